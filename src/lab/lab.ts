/**
 * Labs: a topology (topology.ts) made real with network namespaces, the way
 * people run condisd on two or more VMs.
 *
 * Bridged lab (one Ethernet segment):
 *
 * ```
 *  ns clab.NAME.root                   ns clab.NAME._sw                 ns clab.NAME.leaf1
 *  tap0 (condisd) -- br0 -- eth1 ===== p0-root -- seg0 -- p1-leaf1 ===== eth1 -- br0 -- tap0 (condisd)
 * ```
 *
 * The lab only prepares each host namespace with `br0` and the uplink `eth1`;
 * condisd creates `tap0` itself and enslaves it to `br0`, exactly as a VM
 * whose tap0 is bridged to its NIC. Routed lab: each host's `eth1` carries an
 * IPv4 address on its own subnet, and a router namespace (clab.NAME._rt)
 * forwards between them (for the etherip miniport).
 *
 * The state of a lab lives in its run directory (`/run/condis-lab/NAME/` as
 * root, `.lab/NAME/` otherwise, or $CONDIS_LAB_DIR/NAME/): `lab.json`
 * (written before anything is created, so an interrupted `up` can be undone),
 * `pids/*.pid` (processes the lab started), `hosts/HOST/` (a place for each
 * host's condisd socket, log and captures). `labDown` removes namespaces,
 * processes and the run directory, from any process, after any failure.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Netns } from './netns.js';
import { entryArgs } from '../common/package-root.js';
import { defaultRunRoot, digestOf, labNameOf, labNsPrefix, LabError, impairerChoice, planLab, type LabOptions, type PlannedHost, type PlannedSwitch, type RelayedLink } from './plan.js';
import { nsPidsAll, pidFileAlive, procStartTime, readPidFiles, terminate, type PidFile } from './procs.js';
import { run, type RunResult } from '../common/sh.js';
import { readState, statePath, withLock, writeState, type LabState } from './lab-file.js';
import { buildLab, listNamespaces, nsHandle, verifyLab } from './system.js';
import { describeNetem, loadTopology, type Topology } from './topology.js';

export * from './plan.js';
export { labStatus, parseNetemQdiscs, type LabStatus, type LinkStatus, type NsStatus, type ProcessStatus } from './lab-status.js';

// ---------------------------------------------------------------------------------------------
// public API

export interface LabHost extends Omit<PlannedHost, 'ns'> {
  /** the host's namespace (same methods as netns.ts's Netns) */
  ns: Netns;
  nsName: string;
}

export interface LabSwitch extends Omit<PlannedSwitch, 'ns'> {
  /** the switch's namespace */
  ns: Netns;
  nsName: string;
}

export interface LabProcess {
  pid: number;
  pidFile: string;
  logFile: string;
}

export interface Lab {
  readonly name: string;
  readonly kind: 'bridged' | 'routed';
  readonly runDir: string;
  readonly topology: Topology;
  /** the segment switch (bridged) or the router (routed) */
  readonly switchNs: Netns;
  readonly hosts: readonly LabHost[];
  /** ATM switches (condisd with role switch runs in each one's namespace) */
  readonly switches: readonly LabSwitch[];
  /** links the impairer daemon impairs in user space because the kernel has no netem (empty with netem) */
  readonly relays: readonly RelayedLink[];
  /** a host by name; throws LabError naming the known hosts */
  host(name: string): LabHost;
  /** an ATM switch by name; throws LabError naming the known switches */
  atmSwitch(name: string): LabSwitch;
  /** run a command in a host's (or switch's) namespace to completion */
  exec(host: string, cmd: string, args: string[], opts?: { allowFail?: boolean; timeoutMs?: number }): Promise<RunResult>;
  /**
   * Start a long-running process in a host's namespace, detached, output to
   * `hosts/HOST/NAME.log`, recorded in `pids/HOST.NAME.pid`: `labDown` stops it.
   * A LabError when one of that name is running there already.
   */
  spawn(host: string, cmd: string, args: string[], opts: { name: string; env?: NodeJS.ProcessEnv; cwd?: string }): LabProcess;
  /**
   * Stop a process `spawn` started (SIGTERM, SIGKILL after 3 s) and remove
   * its pid file; resolves whether it was running. Stopped this way, it is
   * not reported as a process that died.
   */
  stop(host: string, name: string): Promise<boolean>;
  /** the pid of the process `spawn` started under this name in this host, while it runs */
  running(host: string, name: string): number | undefined;
  down(): Promise<DownReport>;
}

function makeLab(state: LabState, runRoot: string): Lab {
  const plan = state.plan;
  const hosts: LabHost[] = plan.hosts.map((h) => ({ ...h, ns: nsHandle(h.ns), nsName: h.ns }));
  const switches: LabSwitch[] = (plan.switches ?? []).map((s) => ({ ...s, ns: nsHandle(s.ns), nsName: s.ns }));
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const swByName = new Map(switches.map((s) => [s.name, s]));
  const host = (name: string): LabHost => {
    const h = byName.get(name);
    if (!h) throw new LabError(`lab ${plan.name} has no host ${JSON.stringify(name)} (hosts: ${hosts.map((x) => x.name).join(', ')})`);
    return h;
  };
  const atmSwitch = (name: string): LabSwitch => {
    const s = swByName.get(name);
    if (!s) throw new LabError(`lab ${plan.name} has no switch ${JSON.stringify(name)} (${switches.length ? `switches: ${switches.map((x) => x.name).join(', ')}` : 'it has no switches'})`);
    return s;
  };
  /** where processes run: a host, else a switch */
  const node = (name: string): { name: string; ns: Netns; nsName: string; runDir: string } => {
    const s = byName.has(name) ? undefined : swByName.get(name);
    return s ?? host(name);
  };
  const pidFileOf = (name: string, procName: string) => join(plan.runDir, 'pids', `${node(name).name}.${procName}.pid`);
  /** the pid file of a process spawn started, while that process runs */
  const live = (name: string, procName: string): PidFile | undefined => {
    const file = pidFileOf(name, procName);
    const entry = readPidFiles(plan.runDir).find((p) => p.file === file);
    return entry && pidFileAlive(entry.info) ? entry.info : undefined;
  };
  return {
    name: plan.name,
    kind: plan.kind,
    runDir: plan.runDir,
    topology: state.topology,
    switchNs: nsHandle(plan.switchNs),
    hosts,
    switches,
    relays: state.relays ?? [],
    host,
    atmSwitch,
    exec: (name, cmd, args, opts) => node(name).ns.exec(cmd, args, opts),
    spawn(name, cmd, args, opts) {
      const h = node(name);
      if (!/^[A-Za-z0-9_-]+$/.test(opts.name)) throw new LabError(`process name ${JSON.stringify(opts.name)}: letters, digits, - and _ only`);
      mkdirSync(h.runDir, { recursive: true });
      mkdirSync(join(plan.runDir, 'pids'), { recursive: true });
      const logFile = join(h.runDir, `${opts.name}.log`);
      const pidFile = pidFileOf(name, opts.name);
      // one of a name per host: a second would take the first one's pid file, and nothing could stop the first
      const running = live(name, opts.name);
      if (running) throw new LabError(`${opts.name} is already running in ${h.name} (pid ${running.pid}); stop it first`);
      const out = openSync(logFile, 'a');
      const [c, a] = h.ns.spawnArgs(cmd, args);
      const child = spawn(c, a, { detached: true, stdio: ['ignore', out, out], env: opts.env ?? process.env, cwd: opts.cwd });
      closeSync(out);
      if (child.pid === undefined) throw new LabError(`could not start ${cmd} in ${h.nsName}`);
      child.unref();
      const info: PidFile = { pid: child.pid, startTime: procStartTime(child.pid) ?? '', host: h.name, name: opts.name, argv: [cmd, ...args] };
      writeFileSync(pidFile, `${JSON.stringify(info)}\n`);
      return { pid: child.pid, pidFile, logFile };
    },
    async stop(name, procName) {
      const entry = live(name, procName);
      if (entry) await terminate([entry.pid]);
      rmSync(pidFileOf(name, procName), { force: true });
      return entry !== undefined;
    },
    running: (name, procName) => live(name, procName)?.pid,
    down: () => labDown(plan.name, { runRoot }),
  };
}

function resolveTopology(t: Topology | string): Topology {
  return typeof t === 'string' ? loadTopology(t) : t;
}

/**
 * Bring a lab up. Idempotent: when the lab is already up with the same
 * topology it is returned as is; when an earlier `up` was interrupted or the
 * lab was disturbed, what is left is removed and the lab built again. A lab
 * that is up with a different topology is an error (take it down first).
 * When building fails, everything built so far is removed before the error
 * is thrown.
 */
export async function labUp(topology: Topology | string, opts: LabOptions = {}): Promise<Lab> {
  const topo = resolveTopology(topology);
  const runRoot = opts.runRoot ?? defaultRunRoot();
  const plan = planLab(topo, runRoot);
  const digest = digestOf(topo);
  const impairer = impairerChoice(opts);
  return withLock(runRoot, topo.name, async () => {
    const existing = readState(plan.runDir);
    if (existing?.phase === 'up') {
      if (existing.digest !== digest) {
        throw new LabError(
          `lab ${topo.name} is already up with a different topology${existing.topologyFile ? ` (from ${existing.topologyFile})` : ''}: run \`lab down ${topo.name}\` first`,
        );
      }
      if ((await verifyLab(existing.plan)) && impairerRunning(existing)) return makeLab(existing, runRoot);
    }
    // interrupted, disturbed, or leftovers without a state file: start clean
    await teardown(topo.name, plan.runDir, existing, { keepRunDir: false });
    const state: LabState = {
      version: 1,
      name: topo.name,
      phase: 'creating',
      digest,
      createdAt: new Date().toISOString(),
      upPid: process.pid,
      ...(topo.file ? { topologyFile: resolve(topo.file) } : {}),
      topology: topo,
      plan,
    };
    writeState(plan.runDir, state);
    try {
      const relays = await buildLab(plan, { impairer });
      if (relays.length) {
        state.relays = relays;
        writeState(plan.runDir, state);
        await startImpairer(state);
      }
    } catch (e) {
      await teardown(topo.name, plan.runDir, state, { keepRunDir: false });
      throw e;
    }
    state.phase = 'up';
    writeState(plan.runDir, state);
    return makeLab(state, runRoot);
  });
}

/** The impairer daemon's pid file, log and stats file in a lab's run directory. */
export function impairerFiles(runDir: string): { pidFile: string; logFile: string; statsFile: string } {
  return { pidFile: join(runDir, 'pids', 'lab.impairer.pid'), logFile: join(runDir, 'impairer.log'), statsFile: join(runDir, 'impairer.stats.json') };
}

function impairerRunning(state: LabState): boolean {
  if (!state.relays?.length) return true;
  const entry = readPidFiles(state.plan.runDir).find((p) => p.file === impairerFiles(state.plan.runDir).pidFile);
  return !!entry && pidFileAlive(entry.info);
}

/**
 * Start the impairer daemon (src/lab/impairer-daemon.ts) for the lab's relayed
 * links, detached in the segment's namespace, and wait until every relay
 * forwards (it writes `ready` into its stats file).
 */
async function startImpairer(state: LabState): Promise<void> {
  const plan = state.plan;
  const f = impairerFiles(plan.runDir);
  mkdirSync(join(plan.runDir, 'pids'), { recursive: true });
  rmSync(f.statsFile, { force: true });
  const args = [...entryArgs('src/lab/impairer-daemon'), '--run-dir', plan.runDir];
  const [c, a] = nsHandle(plan.switchNs).spawnArgs(process.execPath, args);
  const out = openSync(f.logFile, 'a');
  const child = spawn(c, a, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  if (child.pid === undefined) throw new LabError(`could not start the impairer daemon in ${plan.switchNs}`);
  child.unref();
  const info: PidFile = { pid: child.pid, startTime: procStartTime(child.pid) ?? '', ns: plan.switchNs, name: 'impairer', argv: [process.execPath, ...args] };
  writeFileSync(f.pidFile, `${JSON.stringify(info)}\n`);
  const deadline = Date.now() + 60_000; // node starting on a busy machine
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(f.statsFile, 'utf8')) as { ready?: boolean }).ready) return;
    } catch {
      /* not yet */
    }
    const dead = procStartTime(child.pid) === undefined;
    if (dead || Date.now() > deadline) {
      let tail = '';
      try {
        tail = readFileSync(f.logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      } catch {
        /* no log */
      }
      throw new LabError(`the impairer daemon (user-space relay for kernels without netem) ${dead ? 'exited' : 'did not get ready in 60 s'}; ${f.logFile}:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One line per link direction the user-space relay impairs: which link, which direction, the settings, and why. */
export function relayLines(lab: Pick<Lab, 'relays'>): string[] {
  return lab.relays.flatMap((r) =>
    (
      [
        ['out', r.out, `frames from ${r.host}`],
        ['in', r.in, `frames to ${r.host}`],
      ] as const
    )
      .filter(([, n]) => n)
      .map(([dir, n, what]) => `${r.host}'s link (${r.port} in ${r.ns}), ${dir} (${what}): ${describeNetem(n)} by the user-space relay (kernel has no netem)`),
  );
}

/** A running lab by name (or topology file), for another process; throws LabError when it is not up. */
export async function openLab(nameOrFile: string, opts: LabOptions = {}): Promise<Lab> {
  const runRoot = opts.runRoot ?? defaultRunRoot();
  const name = labNameOf(nameOrFile);
  const state = readState(join(runRoot, name));
  if (!state) throw new LabError(`lab ${name} is not up (no ${statePath(join(runRoot, name))})`);
  if (state.phase !== 'up') throw new LabError(`lab ${name} is not completely up (an interrupted up?): run \`lab down ${name}\``);
  return makeLab(state, runRoot);
}

/** Names of the labs with a run directory under the run root. */
export function listLabs(opts: LabOptions = {}): string[] {
  const runRoot = opts.runRoot ?? defaultRunRoot();
  try {
    return readdirSync(runRoot)
      .filter((n) => !n.startsWith('.') && existsSync(statePath(join(runRoot, n))))
      .sort();
  } catch {
    return [];
  }
}


export interface DownReport {
  name: string;
  /** namespaces deleted */
  namespaces: string[];
  /** processes signalled */
  processes: number[];
  /** the run directory existed and was removed */
  runDir: boolean;
}

async function teardown(name: string, runDir: string, state: LabState | undefined, o: { keepRunDir: boolean }): Promise<DownReport> {
  const prefix = labNsPrefix(name);
  const known = new Set<string>(state ? [state.plan.switchNs, ...state.plan.hosts.map((h) => h.ns), ...(state.plan.switches ?? []).map((s) => s.ns)] : []);
  const present = (await listNamespaces()).filter((n) => n.startsWith(prefix) || known.has(n));
  // processes: those the lab started (pid files), then anything still running in its namespaces
  const fromFiles = readPidFiles(runDir)
    .filter(({ info }) => pidFileAlive(info))
    .map(({ info }) => info.pid);
  const inNs = [...nsPidsAll(present).values()].flat();
  const processes = [...new Set([...fromFiles, ...inNs])];
  if (processes.length) await terminate(processes);
  const still = [...nsPidsAll(present).values()].flat();
  if (still.length) await terminate(still);
  // one `ip` for all of them (-force: on past one that fails; what is left is reported below)
  if (present.length) await run('ip', ['-force', '-batch', '-'], { input: present.map((ns) => `netns del ${ns}\n`).join(''), allowFail: true });
  const left = (await listNamespaces()).filter((n) => present.includes(n));
  if (left.length) throw new LabError(`could not delete namespaces ${left.join(', ')}`);
  const hadDir = existsSync(runDir);
  if (!o.keepRunDir) rmSync(runDir, { recursive: true, force: true });
  return { name, namespaces: present, processes, runDir: hadDir };
}

/**
 * Take a lab down: stop its processes (pid files, then anything left in its
 * namespaces), delete its namespaces (links and bridges go with them) and its
 * run directory. Works from any process, after an interrupted `up`, and when
 * the lab is not up at all (then it removes nothing).
 */
export async function labDown(nameOrFile: string, opts: LabOptions = {}): Promise<DownReport> {
  const runRoot = opts.runRoot ?? defaultRunRoot();
  const name = labNameOf(nameOrFile);
  const runDir = join(runRoot, name);
  return withLock(runRoot, name, () => teardown(name, runDir, readState(runDir), { keepRunDir: false }));
}
// ---------------------------------------------------------------------------------------------
// condisd configuration hooks

/** What a host's condisd configuration needs to know about its place in the lab. */
export interface HostConfigInfo {
  lab: string;
  kind: 'bridged' | 'routed';
  host: string;
  namespace: string;
  mac: string;
  address: string;
  /** every ATM address of the host: `address`, then the topology's extraAddresses */
  addresses: string[];
  /** the TAP device condisd creates ... */
  tap: string;
  /** ... and enslaves to this bridge (bridged labs; undefined in routed labs) */
  bridge?: string;
  /** the host's uplink into the segment (bridged) or to the router (routed) */
  uplink: string;
  /** IPv4 address with prefix (routed labs: on the uplink; bridged: on br0 when the topology gives one) */
  ip?: string;
  gateway?: string;
  /** the host's run directory: a place for its control socket, log, capture and pid file */
  runDir: string;
  controlSocket: string;
  logFile: string;
  captureFile: string;
  pidFile: string;
  /** the other hosts on the host's segment (for static peers; none for a host on a switch port) */
  peers: { host: string; mac: string; address: string; addresses: string[]; ip?: string }[];
  /** the host is on a port of an ATM switch: the port, its MAC, and the hosts the lab reaches through switches */
  atmSwitch?: { name: string; port: string; mac: string; reaches: { host: string; addresses: string[] }[] };
}

/** The facts about one lab host a condisd configuration is generated from. */
export function hostConfigFor(lab: Lab, hostName: string): HostConfigInfo {
  const h = lab.host(hostName);
  return {
    lab: lab.name,
    kind: lab.kind,
    host: h.name,
    namespace: h.nsName,
    mac: h.mac,
    address: h.address,
    addresses: addressesOf(h),
    tap: h.tap,
    ...(h.bridge ? { bridge: h.bridge } : {}),
    uplink: h.uplink,
    ...(h.ip ? { ip: h.ip } : {}),
    ...(h.gateway ? { gateway: h.gateway } : {}),
    runDir: h.runDir,
    controlSocket: join(h.runDir, 'condisd.sock'),
    logFile: join(h.runDir, 'condisd.log'),
    captureFile: join(h.runDir, 'condisd.pcapng'),
    pidFile: join(lab.runDir, 'pids', `${h.name}.condisd.pid`),
    peers: h.atmSwitch
      ? []
      : lab.hosts.filter((o) => o.name !== h.name && !o.atmSwitch).map((o) => ({ host: o.name, mac: o.mac, address: o.address, addresses: addressesOf(o), ...(o.ip ? { ip: o.ip } : {}) })),
    ...(h.atmSwitch
      ? {
          atmSwitch: {
            ...h.atmSwitch,
            mac: lab.atmSwitch(h.atmSwitch.name).ports.find((p) => p.name === h.atmSwitch!.port)!.mac,
            reaches: lab.hosts.filter((o) => o.name !== h.name && o.atmSwitch).map((o) => ({ host: o.name, addresses: addressesOf(o) })),
          },
        }
      : {}),
  };
}

/** a host's ATM addresses: its address, then its extra ones */
export function addressesOf(h: Pick<PlannedHost, 'address' | 'extraAddresses'>): string[] {
  return [h.address, ...(h.extraAddresses ?? [])];
}

/** What a switch's condisd configuration is generated from. */
export interface SwitchConfigInfo {
  lab: string;
  switch: string;
  namespace: string;
  runDir: string;
  controlSocket: string;
  logFile: string;
  captureFile: string;
  pidFile: string;
  ports: { name: string; mac: string; tap: string; bridge: string; side?: 'user'; host?: { name: string; mac: string; addresses: string[] }; peerSwitch?: { name: string; port: string } }[];
  /** the addresses of hosts behind other switches, each by the port of the first hop towards its switch (IISP static routes) */
  routes: { prefix: string; port: string }[];
}

export function switchConfigFor(lab: Lab, switchName: string): SwitchConfigInfo {
  const s = lab.atmSwitch(switchName);
  return {
    lab: lab.name,
    switch: s.name,
    namespace: s.nsName,
    runDir: s.runDir,
    controlSocket: join(s.runDir, 'condisd.sock'),
    logFile: join(s.runDir, 'condisd.log'),
    captureFile: join(s.runDir, 'condisd.pcapng'),
    pidFile: join(lab.runDir, 'pids', `${s.name}.condisd.pid`),
    ports: s.ports.map((p) => {
      const h = p.host ? lab.host(p.host) : undefined;
      return {
        name: p.name,
        mac: p.mac,
        tap: p.tap,
        bridge: p.bridge,
        ...(h ? { host: { name: h.name, mac: h.mac, addresses: addressesOf(h) } } : {}),
        ...(p.peerSwitch ? { peerSwitch: p.peerSwitch } : {}),
        ...(p.side ? { side: p.side } : {}),
      };
    }),
    routes: routesFrom(lab, s.name),
  };
}

/** breadth first over the switch-to-switch links: for every other switch, the port of `from` its path leaves by; each host behind it gets an exact route */
function routesFrom(lab: Lab, from: string): { prefix: string; port: string }[] {
  const firstHop = new Map<string, string>([[from, '']]);
  const queue = [from];
  while (queue.length) {
    const cur = queue.shift()!;
    for (const p of lab.atmSwitch(cur).ports) {
      if (!p.peerSwitch || firstHop.has(p.peerSwitch.name)) continue;
      firstHop.set(p.peerSwitch.name, cur === from ? p.name : firstHop.get(cur)!);
      queue.push(p.peerSwitch.name);
    }
  }
  return lab.hosts
    .filter((h) => h.atmSwitch && h.atmSwitch.name !== from && firstHop.has(h.atmSwitch.name))
    .flatMap((h) => addressesOf(h).map((a) => ({ prefix: a, port: firstHop.get(h.atmSwitch!.name)! })));
}

/** The control socket of a host's or a switch's condisd. */
export function controlSocketOf(lab: Lab, name: string): string {
  return lab.hosts.some((h) => h.name === name) || !lab.switches.some((s) => s.name === name) ? hostConfigFor(lab, name).controlSocket : switchConfigFor(lab, name).controlSocket;
}
