/**
 * condisd processes in lab hosts: a configuration written for each host from
 * its place in the lab, the daemon started inside the host's namespace (where
 * it creates tap0 and enslaves it to br0, as on a VM), and a control client
 * connected to it, recording every event it reports.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import { stringify } from 'yaml';
import { connectControl, type ControlClient, type EventSubscription } from '../control/client.js';
import type { ControlEvent } from '../control/backend.js';
import { hostConfigFor, LabError, switchConfigFor, type HostConfigInfo, type Lab, type LabProcess } from '../lab/lab.js';
import { entryArgs, packageRoot } from '../common/package-root.js';
import { mapConcurrent } from '../common/map-concurrent.js';

/** daemons started at once by startLabDaemons */
const DAEMON_STARTS = 4;

export const PROJECT_ROOT = packageRoot();

/**
 * The lab's SSCOP timers unless a caller gives its own: a peer that dies while
 * its link is idle is noticed within 3 s (Timer_IDLE + Timer_NO_RESPONSE; the
 * Q.2110 defaults take up to 22 s). docs/robustness.md, test/host/idle-detect.test.ts.
 */
export const LAB_SSCOP_TIMERS = Object.freeze({ sscop: Object.freeze({ keepAlive: '300ms', idle: '1s', noResponse: '2s' }) });

export interface DaemonOptions {
  callManager?: { shape?: 'cm' | 'mcm'; completion?: 'sync' | 'pending' };
  closeData?: { allowed: boolean; maxOctets: number };
  /** discovery interval (ms); the lab default is short so links come up fast */
  discoveryIntervalMs?: number;
  /** SSCOP/UNI timer overrides, in the configuration's own words (e.g. { sscop: { noResponse: '2s' } }) */
  timers?: Record<string, unknown>;
  logLevel?: string;
  /** TAP miniport options beyond the lab's (e.g. { sendThread: true }); not for a routed lab's etherip */
  tap?: { sendThread?: boolean };
  /** capture.flush of the hosts' daemons, ms (default 0: each record written at once) */
  captureFlushMs?: number;
}

export class RunningDaemon {
  /** every event the daemon reported since it started, in order */
  readonly events: ControlEvent[] = [];

  constructor(
    readonly host: string,
    readonly lab: Lab,
    readonly process: LabProcess,
    readonly configFile: string,
    readonly socket: string,
    readonly capture: string,
    readonly control: ControlClient,
    readonly subscription: EventSubscription,
  ) {
    subscription.events$.subscribe((e) => this.events.push(e));
  }

  get events$(): Observable<ControlEvent> {
    return this.subscription.events$;
  }

  /** the next event of a kind matching `pred`, from now on */
  next<K extends ControlEvent['kind']>(kind: K, pred: (e: Extract<ControlEvent, { kind: K }>) => boolean = () => true, ms = 20_000): Promise<Extract<ControlEvent, { kind: K }>> {
    const p = firstValueFrom(
      this.events$.pipe(
        filter((e): e is Extract<ControlEvent, { kind: K }> => e.kind === kind && pred(e as Extract<ControlEvent, { kind: K }>)),
        timeout({ first: ms, with: () => Promise.reject(new Error(`${this.host}: no ${kind} event within ${ms / 1000} s`)) }),
      ),
    );
    p.catch(() => {});
    return p;
  }

  /** an event of a kind matching `pred` that already arrived, or the next one that does */
  seen<K extends ControlEvent['kind']>(kind: K, pred: (e: Extract<ControlEvent, { kind: K }>) => boolean = () => true, ms = 20_000): Promise<Extract<ControlEvent, { kind: K }>> {
    // not async: the waiter from next() carries its own rejection handler, a wrapping promise would not
    const past = this.events.find((e): e is Extract<ControlEvent, { kind: K }> => e.kind === kind && pred(e as Extract<ControlEvent, { kind: K }>));
    return past ? Promise.resolve(past) : this.next(kind, pred, ms);
  }

  alive(): boolean {
    try {
      process.kill(this.process.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** send a signal and wait for the process to exit; resolves with whether it exited in time */
  async stop(signal: NodeJS.Signals = 'SIGTERM', ms = 10_000): Promise<boolean> {
    this.control.close();
    try {
      process.kill(this.process.pid, signal);
    } catch {
      return true;
    }
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!this.alive()) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return false;
  }

  logTail(lines = 30): string {
    if (!existsSync(this.process.logFile)) return '';
    return readFileSync(this.process.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  }
}

/**
 * The miniport a lab host uses: a TAP device enslaved to br0 on a bridged
 * segment; EtherIP between the hosts' eth1 addresses in a routed lab (frames
 * cross the router as IP, and a TAP there would reach nobody).
 */
export function miniportFor(info: HostConfigInfo): Record<string, unknown> {
  if (info.kind === 'routed') {
    if (!info.ip) throw new LabError(`host ${info.host}: a routed lab host needs an IPv4 address for its etherip miniport`);
    const peers = info.peers.map((p) => {
      if (!p.ip) throw new LabError(`host ${p.host}: a routed lab host needs an IPv4 address for its etherip miniport`);
      return p.ip.split('/')[0]!;
    });
    return { kind: 'etherip', local: info.ip.split('/')[0]!, peers, mac: info.mac };
  }
  return { kind: 'tap', device: info.tap, mac: info.mac, ...(info.bridge ? { bridge: info.bridge } : {}) };
}

/** write the host's condisd configuration into its run directory */
/**
 * The lab key file of a lab whose topology asks for signed discovery
 * (`discovery: { signed: true }`), made on first use: 32 random octets as
 * hex, readable by root only, in the lab's run directory (so `lab down`
 * removes it); undefined when discovery is unsigned.
 */
export function labDiscoveryKey(lab: Lab): string | undefined {
  if (!lab.topology.discovery?.signed) return undefined;
  const file = join(lab.runDir, 'discovery.key');
  try {
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new LabError(`cannot write the lab key ${file}: ${(e as Error).message}`);
  }
  return file;
}

/** the `discovery` section of a generated configuration */
function discoveryConfig(lab: Lab, intervalMs: number | undefined): Record<string, unknown> {
  const keyFile = labDiscoveryKey(lab);
  return { enabled: true, interval: intervalMs ?? 1000, ...(keyFile ? { auth: { keyFile } } : {}) };
}

export function writeDaemonConfig(lab: Lab, host: string, opts: DaemonOptions = {}): { file: string; socket: string; capture: string } {
  const info = hostConfigFor(lab, host);
  const config = {
    name: info.host,
    miniport: { ...miniportFor(info), ...(info.kind === 'routed' ? {} : opts.tap) },
    addresses: info.addresses,
    role: 'auto',
    // discovery finds the neighbours; static peers make the addresses routable from the first moment
    // (behind a switch: the switch's port, with every address the lab reaches through switches; this host is the user side)
    peers: info.atmSwitch
      ? [{ name: info.atmSwitch.name, mac: info.atmSwitch.mac, role: 'user', addresses: info.atmSwitch.reaches.flatMap((r) => r.addresses) }]
      : info.peers.map((p) => ({ name: p.host, mac: p.mac, addresses: p.addresses })),
    discovery: discoveryConfig(lab, opts.discoveryIntervalMs),
    timers: opts.timers ?? LAB_SSCOP_TIMERS,
    closeData: opts.closeData ?? { allowed: true, maxOctets: 127 },
    callManager: { shape: opts.callManager?.shape ?? 'mcm', completion: opts.callManager?.completion ?? 'pending' },
    control: { socket: info.controlSocket },
    // each record written at once unless asked (a SIGKILLed daemon's capture has its last frame)
    capture: { pcap: info.captureFile, ...(opts.captureFlushMs ? { flush: opts.captureFlushMs } : {}) },
    log: { level: opts.logLevel ?? 'info' },
  };
  const file = join(info.runDir, 'condisd.yaml');
  writeFileSync(file, `# generated for lab ${lab.name}, host ${host}\n${stringify(config)}`);
  return { file, socket: info.controlSocket, capture: info.captureFile };
}

/**
 * Write a switch's condisd configuration (`role: switch`) into its run
 * directory: a port per host (a TAP device on the port's bridge, the host
 * configured on it so its routes exist from the first moment) and per
 * switch-to-switch link.
 */
export function writeSwitchConfig(lab: Lab, name: string, opts: Pick<DaemonOptions, 'discoveryIntervalMs' | 'timers' | 'logLevel'> = {}): { file: string; socket: string; capture: string } {
  const info = switchConfigFor(lab, name);
  const config = {
    role: 'switch',
    name: info.switch,
    ports: info.ports.map((p) => ({
      name: p.name,
      ...(p.side ? { side: p.side } : {}),
      miniport: { kind: 'tap', device: p.tap, mac: p.mac, bridge: p.bridge },
      hosts: p.host ? [{ mac: p.host.mac, name: p.host.name, addresses: p.host.addresses }] : [],
    })),
    // the hosts behind other switches (IISP links), so calls route from the first moment (learning them takes an announcement)
    ...(info.routes.length ? { routes: info.routes } : {}),
    discovery: discoveryConfig(lab, opts.discoveryIntervalMs),
    ...(opts.timers ? { timers: opts.timers } : {}),
    control: { socket: info.controlSocket },
    log: { level: opts.logLevel ?? 'info' },
  };
  const file = join(info.runDir, 'condisd.yaml');
  writeFileSync(file, `# generated for lab ${lab.name}, switch ${name}\n${stringify(config)}`);
  return { file, socket: info.controlSocket, capture: info.captureFile };
}

/** start condisd in a lab host (or, by a switch's name, the switch's condisd) and connect to its control socket */
export async function startDaemon(lab: Lab, host: string, opts: DaemonOptions = {}): Promise<RunningDaemon> {
  const isSwitch = lab.switches.some((s) => s.name === host) && !lab.hosts.some((h) => h.name === host);
  // a second condisd would find the socket taken and exit, and we would be talking to the first one (checked
  // before the configuration is written: the running one's stays as it was started with)
  const running = lab.running(host, 'condisd');
  if (running !== undefined) throw new LabError(`condisd is already running in ${host} (pid ${running}); stop it first (lab stop)`);
  const { file, socket, capture } = isSwitch ? writeSwitchConfig(lab, host, opts) : writeDaemonConfig(lab, host, opts);
  if (existsSync(socket)) {
    const other = await connectControl(socket, { helloTimeoutMs: 1000 }).catch(() => undefined);
    if (other) {
      other.close();
      throw new LabError(`a condisd this lab did not start is listening on ${socket}; stop it first`);
    }
  }
  // a switch writes its capture when asked on the command line (one pcapng interface per port)
  const extra = isSwitch ? ['--pcap', capture] : [];
  const proc = lab.spawn(host, process.execPath, [...entryArgs('daemons/condisd'), '--config', file, ...extra], {
    name: 'condisd',
    cwd: PROJECT_ROOT,
  });
  const deadline = Date.now() + 20_000;
  let lastError = '';
  for (;;) {
    if (existsSync(socket)) {
      try {
        const control = await connectControl(socket, { helloTimeoutMs: 2000 });
        const sub = await control.subscribe({});
        return new RunningDaemon(host, lab, proc, file, socket, capture, control, sub);
      } catch (e) {
        lastError = (e as Error).message;
      }
    }
    let alive = true;
    try {
      process.kill(proc.pid, 0);
    } catch {
      alive = false;
    }
    if (!alive || Date.now() > deadline) {
      const log = existsSync(proc.logFile) ? readFileSync(proc.logFile, 'utf8').split('\n').slice(-20).join('\n') : '(no log)';
      if (alive) await lab.stop(host, 'condisd'); // nothing half-started is left behind
      throw new LabError(`condisd in ${host} ${alive ? 'did not open its control socket in time' : 'exited'}${lastError ? ` (${lastError})` : ''}; log:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** wait until the daemon has an established signalling link to each of the named peers */
export async function waitForLinks(d: RunningDaemon, peerMacs: string[], ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const links = (await d.control.links()) as { peer: string; established: boolean }[];
    if (peerMacs.every((m) => links.some((l) => l.peer === m && l.established))) return;
    if (Date.now() > deadline) throw new LabError(`${d.host}: links to ${peerMacs.join(', ')} not established after ${ms / 1000} s: ${JSON.stringify(links)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Start condisd in every host of a lab and wait until each has its links.
 * Any failure is a LabError, and every daemon this call started is stopped
 * before it is thrown: nothing keeps running after a failed start.
 */
export async function startLabDaemons(lab: Lab, opts: DaemonOptions = {}): Promise<RunningDaemon[]> {
  const started: RunningDaemon[] = [];
  // the switches, then the hosts, each group DAEMON_STARTS at a time (a daemon spends most of its start-up on
  // the CPU); every start is let finish, so that all that did start are known when one fails
  const startAll = async (names: string[]): Promise<void> => {
    const results = await mapConcurrent(names, DAEMON_STARTS, (n) => startDaemon(lab, n, opts).then((d) => ({ d }), (e: unknown) => ({ e })));
    for (const r of results) if ('d' in r) started.push(r.d);
    const failed = results.find((r) => 'e' in r);
    if (failed && 'e' in failed) throw failed.e;
  };
  try {
    await startAll(lab.switches.map((s) => s.name));
    await startAll(lab.hosts.map((h) => h.name));
    const hosts = started.filter((d) => lab.hosts.some((h) => h.name === d.host));
    await Promise.all(hosts.map((d) => waitForLinks(d, neighbourMacs(lab, d.host))));
    return started;
  } catch (e) {
    await stopLabDaemons(lab, started);
    if (e instanceof LabError) throw e;
    throw new LabError(`starting condisd in lab ${lab.name}: ${(e as Error).message}`);
  }
}

/** The MACs a host's condisd has signalling links to: its switch port's, or every other host's on its segment. */
export function neighbourMacs(lab: Lab, host: string): string[] {
  const info = hostConfigFor(lab, host);
  return info.atmSwitch ? [info.atmSwitch.mac] : info.peers.map((p) => p.mac);
}

/**
 * Stop condisd in the lab's hosts and switches (the given daemons, else every one): closes their control
 * connections, SIGTERM, forget the pid files. Hosts first, then switches: the hosts end their calls and
 * associations with a switch that still answers. Each group stops at once: one after another, each host
 * whose peers had already gone waited out its END to every one of them (32 hosts on a segment: 62 s).
 */
export async function stopLabDaemons(lab: Lab, daemons?: RunningDaemon[]): Promise<string[]> {
  for (const d of daemons ?? []) d.control.close();
  const names = daemons ? daemons.map((d) => d.host) : [...lab.hosts.map((h) => h.name), ...lab.switches.map((s) => s.name)];
  const isSwitch = (n: string) => lab.switches.some((s) => s.name === n);
  const stopped: string[] = [];
  for (const group of [names.filter((n) => !isSwitch(n)), names.filter(isSwitch)]) {
    const done = await Promise.all(group.map(async (n) => ((await lab.stop(n, 'condisd')) ? n : undefined)));
    for (const n of done) if (n) stopped.push(n);
  }
  return stopped;
}
