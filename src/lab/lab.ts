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
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Netns } from './netns.js';
import { run, type RunResult } from './sh.js';
import { describeNetem, loadTopology, netemActive, netemArgs, type Netem, type Topology } from './topology.js';

// ---------------------------------------------------------------------------------------------
// names and plan (pure)

/** Errors a lab user can act on (bad state, unknown host, conflicting topology). */
export class LabError extends Error {
  override readonly name = 'LabError';
}

/** The kernel has no netem qdisc (CONFIG_NET_SCH_NETEM): impairment cannot be applied. */
export class NetemUnsupportedError extends LabError {
  constructor(readonly where: string, readonly detail: string) {
    super(`cannot apply netem on ${where}: this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM / module sch_netem): ${detail}`);
  }
}

export const UPLINK = 'eth1';
export const HOST_BRIDGE = 'br0';
export const TAP = 'tap0';
export const SEGMENT_BRIDGE = 'seg0';

/** Prefix of every namespace of lab NAME; lab and host names never contain a dot, so prefixes never overlap. */
export function labNsPrefix(lab: string): string {
  return `clab.${lab}.`;
}

/** Where labs keep their state: $CONDIS_LAB_DIR, /run/condis-lab as root, ./.lab otherwise. */
export function defaultRunRoot(): string {
  const env = process.env.CONDIS_LAB_DIR;
  if (env) return isAbsolute(env) ? env : resolve(env);
  return process.getuid?.() === 0 ? '/run/condis-lab' : resolve('.lab');
}

export interface PlannedHost {
  name: string;
  mac: string;
  address: string;
  /** namespace name */
  ns: string;
  uplink: string;
  /** br0 in bridged labs; undefined in routed labs (the address is on eth1) */
  bridge?: string;
  tap: string;
  /** the uplink's peer in the switch / router namespace */
  switchPort: string;
  /** address with prefix on br0 (bridged, optional) or eth1 (routed) */
  ip?: string;
  /** routed: the router's address on this host's subnet */
  gateway?: string;
  /** impairment of frames the host sends (on eth1) */
  netemOut?: Netem;
  /** impairment of frames sent to the host (on the switch port) */
  netemIn?: Netem;
  /** the host's own directory (condisd socket, log, capture) */
  runDir: string;
}

export interface LabPlan {
  name: string;
  kind: 'bridged' | 'routed';
  runDir: string;
  /** the switch (bridged) or router (routed) namespace */
  switchNs: string;
  hosts: PlannedHost[];
}

function ipv4ToInt(s: string): number {
  return s.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}
function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Every name and address a lab will use, computed from its topology without touching the system. */
export function planLab(topology: Topology, runRoot = defaultRunRoot()): LabPlan {
  const runDir = join(runRoot, topology.name);
  const prefix = labNsPrefix(topology.name);
  const kind = topology.segment.kind;
  const subnets = new Map<string, string>();
  const hosts = topology.hosts.map((h, i): PlannedHost => {
    let ip = h.ip;
    let gateway = h.gateway;
    if (kind === 'routed') {
      ip ??= `10.77.${i + 1}.2/24`;
      const [addr, lenS] = ip.split('/') as [string, string];
      const len = Number(lenS);
      const net = Math.floor(ipv4ToInt(addr) / 2 ** (32 - len)) * 2 ** (32 - len);
      gateway ??= intToIpv4(net + 1);
      if (gateway === addr) throw new LabError(`host ${h.name}: address ${addr} is the router's; give another ip or a gateway`);
      const key = `${intToIpv4(net)}/${len}`;
      const other = subnets.get(key);
      if (other) throw new LabError(`routed lab: hosts ${other} and ${h.name} are on the same subnet ${key}; routed hosts need distinct subnets`);
      subnets.set(key, h.name);
    }
    const netemOut = h.netemOut ?? h.netem ?? topology.segment.netem;
    const netemIn = h.netemIn ?? h.netem;
    return {
      name: h.name,
      mac: h.mac,
      address: h.address,
      ns: `${prefix}${h.name}`,
      uplink: UPLINK,
      ...(kind === 'bridged' ? { bridge: HOST_BRIDGE } : {}),
      tap: TAP,
      switchPort: `p${i}-${h.name}`.slice(0, 15),
      ...(ip ? { ip } : {}),
      ...(gateway ? { gateway } : {}),
      ...(netemActive(netemOut) ? { netemOut } : {}),
      ...(netemActive(netemIn) ? { netemIn } : {}),
      runDir: join(runDir, 'hosts', h.name),
    };
  });
  return { name: topology.name, kind, runDir, switchNs: `${prefix}${kind === 'bridged' ? '_sw' : '_rt'}`, hosts };
}

function digestOf(topology: Topology): string {
  const { file: _file, ...rest } = topology;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}

// ---------------------------------------------------------------------------------------------
// state file

interface LabState {
  version: 1;
  name: string;
  /** 'creating' until every namespace and link exists */
  phase: 'creating' | 'up';
  digest: string;
  createdAt: string;
  upPid: number;
  topologyFile?: string;
  topology: Topology;
  plan: LabPlan;
}

function statePath(runDir: string): string {
  return join(runDir, 'lab.json');
}

function readState(runDir: string): LabState | undefined {
  try {
    const s = JSON.parse(readFileSync(statePath(runDir), 'utf8')) as LabState;
    return s.version === 1 ? s : undefined;
  } catch {
    return undefined;
  }
}

function writeState(runDir: string, state: LabState): void {
  mkdirSync(runDir, { recursive: true });
  const tmp = `${statePath(runDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, statePath(runDir));
}

// ---------------------------------------------------------------------------------------------
// locking: one up/down of a lab at a time, across processes

const inProcess = new Map<string, Promise<unknown>>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function withLock<T>(runRoot: string, name: string, fn: () => Promise<T>): Promise<T> {
  const key = `${runRoot}\0${name}`;
  const before = inProcess.get(key) ?? Promise.resolve();
  const mine = before.catch(() => {}).then(() => lockFile(runRoot, name, fn));
  inProcess.set(key, mine);
  try {
    return await mine;
  } finally {
    if (inProcess.get(key) === mine) inProcess.delete(key);
  }
}

async function lockFile<T>(runRoot: string, name: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(runRoot, { recursive: true });
  const path = join(runRoot, `.${name}.lock`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSafe(path).trim());
      if (!holder || !pidAlive(holder)) {
        rmSync(path, { force: true }); // left by a process that died (an interrupted up)
        continue;
      }
      if (Date.now() > deadline) throw new LabError(`lab ${name} is busy: process ${holder} holds ${path}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// system helpers (only ever inside namespaces this module creates)

/** A handle on an existing namespace of the lab (it may have been made by another process). */
function nsHandle(name: string): Netns {
  return Netns.attach(name);
}

async function listNamespaces(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { allowFail: true });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

async function createNs(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  // no IPv6 chatter (router solicitations, MLD, DAD) in the captures people read in Wireshark
  await run('ip', ['netns', 'exec', name, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], {
    allowFail: true,
  });
}

/** A veth pair created directly between two namespaces: nothing ever appears in the machine's own namespace. */
async function vethBetween(nsA: string, nameA: string, nsB: string, nameB: string): Promise<void> {
  await run('ip', ['-n', nsA, 'link', 'add', nameA, 'type', 'veth', 'peer', 'name', nameB, 'netns', nsB]);
}

async function bridgeIn(ns: string, name: string): Promise<void> {
  await run('ip', ['-n', ns, 'link', 'add', name, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  await run('ip', ['-n', ns, 'link', 'set', name, 'up']);
}

async function applyNetem(ns: string, dev: string, n: Netem, where: string): Promise<void> {
  try {
    await run('tc', ['-n', ns, 'qdisc', 'replace', 'dev', dev, 'root', 'netem', ...netemArgs(n)]);
  } catch (e) {
    const msg = (e as Error).message;
    if (/unknown|not supported|No such file/i.test(msg)) throw new NetemUnsupportedError(where, msg);
    throw e;
  }
}

async function buildLab(plan: LabPlan): Promise<void> {
  await createNs(plan.switchNs);
  const sw = plan.switchNs;
  if (plan.kind === 'bridged') await bridgeIn(sw, SEGMENT_BRIDGE);
  else await run('ip', ['netns', 'exec', sw, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);

  for (const h of plan.hosts) {
    await createNs(h.ns);
    await vethBetween(h.ns, h.uplink, sw, h.switchPort);
    if (plan.kind === 'bridged') {
      await bridgeIn(h.ns, h.bridge!);
      await run('ip', ['-n', h.ns, 'link', 'set', h.uplink, 'master', h.bridge!]);
      await run('ip', ['-n', sw, 'link', 'set', h.switchPort, 'master', SEGMENT_BRIDGE]);
      if (h.ip) await run('ip', ['-n', h.ns, 'addr', 'add', h.ip, 'dev', h.bridge!]);
    } else {
      const len = h.ip!.split('/')[1]!;
      await run('ip', ['-n', h.ns, 'addr', 'add', h.ip!, 'dev', h.uplink]);
      await run('ip', ['-n', sw, 'addr', 'add', `${h.gateway}/${len}`, 'dev', h.switchPort]);
    }
    await run('ip', ['-n', h.ns, 'link', 'set', h.uplink, 'up']);
    await run('ip', ['-n', sw, 'link', 'set', h.switchPort, 'up']);
    if (plan.kind === 'routed') await run('ip', ['-n', h.ns, 'route', 'add', 'default', 'via', h.gateway!]);
    if (h.netemOut) await applyNetem(h.ns, h.uplink, h.netemOut, `${h.name} ${h.uplink} (frames from ${h.name})`);
    if (h.netemIn) await applyNetem(sw, h.switchPort, h.netemIn, `${h.switchPort} (frames to ${h.name})`);
    mkdirSync(h.runDir, { recursive: true });
  }
}

/** True when every namespace and link of the plan exists (an `up` that finished and was not disturbed). */
async function verifyLab(plan: LabPlan): Promise<boolean> {
  const present = new Set(await listNamespaces());
  if (!present.has(plan.switchNs) || plan.hosts.some((h) => !present.has(h.ns))) return false;
  const links = async (ns: string) => {
    const r = await run('ip', ['-n', ns, '-j', 'link'], { allowFail: true });
    try {
      return new Set((JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname));
    } catch {
      return new Set<string>();
    }
  };
  const swLinks = await links(plan.switchNs);
  for (const h of plan.hosts) {
    const mine = await links(h.ns);
    if (!mine.has(h.uplink) || (h.bridge && !mine.has(h.bridge)) || !swLinks.has(h.switchPort)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// processes

interface PidFile {
  pid: number;
  /** /proc/PID/stat start time: a reused pid is never signalled */
  startTime: string;
  host?: string;
  name: string;
  argv: string[];
}

function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function procCommand(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return cmd || readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

function readPidFiles(runDir: string): { file: string; info: PidFile }[] {
  const dir = join(runDir, 'pids');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.pid'));
  } catch {
    return [];
  }
  const out: { file: string; info: PidFile }[] = [];
  for (const n of names) {
    const file = join(dir, n);
    const text = readFileSafe(file).trim();
    let info: PidFile | undefined;
    try {
      info = JSON.parse(text) as PidFile;
    } catch {
      const pid = Number(text); // a plain pid file written by someone else
      if (pid > 0) info = { pid, startTime: '', name: n.replace(/\.pid$/, ''), argv: [] };
    }
    if (info && info.pid > 0) out.push({ file, info });
  }
  return out;
}

function pidFileAlive(info: PidFile): boolean {
  const st = procStartTime(info.pid);
  return st !== undefined && (info.startTime === '' || info.startTime === st);
}

async function nsPids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns], { allowFail: true });
  return r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((p) => p > 0 && p !== process.pid);
}

async function terminate(pids: number[]): Promise<number[]> {
  const targets = pids.filter((p) => p !== process.pid);
  for (const p of targets) {
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 3000;
  while (targets.some((p) => procStartTime(p) !== undefined && !isZombie(p)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const p of targets) {
    if (procStartTime(p) !== undefined && !isZombie(p)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  return targets;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// public API

export interface LabHost extends Omit<PlannedHost, 'ns'> {
  /** the host's namespace (same methods as netns.ts's Netns) */
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
  /** a host by name; throws LabError naming the known hosts */
  host(name: string): LabHost;
  /** run a command in a host's namespace to completion */
  exec(host: string, cmd: string, args: string[], opts?: { allowFail?: boolean; timeoutMs?: number }): Promise<RunResult>;
  /**
   * Start a long-running process in a host's namespace, detached, output to
   * `hosts/HOST/NAME.log`, recorded in `pids/HOST.NAME.pid`: `labDown` stops it.
   */
  spawn(host: string, cmd: string, args: string[], opts: { name: string; env?: NodeJS.ProcessEnv; cwd?: string }): LabProcess;
  /**
   * Stop a process `spawn` started (SIGTERM, SIGKILL after 3 s) and remove
   * its pid file; resolves whether it was running. Stopped this way, it is
   * not reported as a process that died.
   */
  stop(host: string, name: string): Promise<boolean>;
  down(): Promise<DownReport>;
}

export interface LabOptions {
  /** where run directories live (default: defaultRunRoot()) */
  runRoot?: string;
}

function makeLab(state: LabState, runRoot: string): Lab {
  const plan = state.plan;
  const hosts: LabHost[] = plan.hosts.map((h) => ({ ...h, ns: nsHandle(h.ns), nsName: h.ns }));
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const host = (name: string): LabHost => {
    const h = byName.get(name);
    if (!h) throw new LabError(`lab ${plan.name} has no host ${JSON.stringify(name)} (hosts: ${hosts.map((x) => x.name).join(', ')})`);
    return h;
  };
  return {
    name: plan.name,
    kind: plan.kind,
    runDir: plan.runDir,
    topology: state.topology,
    switchNs: nsHandle(plan.switchNs),
    hosts,
    host,
    exec: (name, cmd, args, opts) => host(name).ns.exec(cmd, args, opts),
    spawn(name, cmd, args, opts) {
      const h = host(name);
      if (!/^[A-Za-z0-9_-]+$/.test(opts.name)) throw new LabError(`process name ${JSON.stringify(opts.name)}: letters, digits, - and _ only`);
      mkdirSync(h.runDir, { recursive: true });
      mkdirSync(join(plan.runDir, 'pids'), { recursive: true });
      const logFile = join(h.runDir, `${opts.name}.log`);
      const pidFile = join(plan.runDir, 'pids', `${h.name}.${opts.name}.pid`);
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
      const h = host(name);
      const pidFile = join(plan.runDir, 'pids', `${h.name}.${procName}.pid`);
      const entry = readPidFiles(plan.runDir).find((p) => p.file === pidFile);
      const alive = !!entry && pidFileAlive(entry.info);
      if (alive) await terminate([entry.info.pid]);
      rmSync(pidFile, { force: true });
      return alive;
    },
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
  return withLock(runRoot, topo.name, async () => {
    const existing = readState(plan.runDir);
    if (existing?.phase === 'up') {
      if (existing.digest !== digest) {
        throw new LabError(
          `lab ${topo.name} is already up with a different topology${existing.topologyFile ? ` (from ${existing.topologyFile})` : ''}: run \`lab down ${topo.name}\` first`,
        );
      }
      if (await verifyLab(existing.plan)) return makeLab(existing, runRoot);
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
      await buildLab(plan);
    } catch (e) {
      await teardown(topo.name, plan.runDir, state, { keepRunDir: false });
      throw e;
    }
    state.phase = 'up';
    writeState(plan.runDir, state);
    return makeLab(state, runRoot);
  });
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

/** `demo` -> `demo`; `scripts/labs/demo.yaml` -> the name inside the file. */
export function labNameOf(nameOrFile: string): string {
  if (/\.ya?ml$/i.test(nameOrFile) || nameOrFile.includes('/')) return loadTopology(nameOrFile).name;
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/i.test(nameOrFile)) throw new LabError(`${JSON.stringify(nameOrFile)} is neither a lab name nor a .yaml topology file`);
  return nameOrFile;
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
  const known = new Set<string>(state ? [state.plan.switchNs, ...state.plan.hosts.map((h) => h.ns)] : []);
  const present = (await listNamespaces()).filter((n) => n.startsWith(prefix) || known.has(n));
  // processes: those the lab started (pid files), then anything still running in its namespaces
  const fromFiles = readPidFiles(runDir)
    .filter(({ info }) => pidFileAlive(info))
    .map(({ info }) => info.pid);
  const inNs = (await Promise.all(present.map(nsPids))).flat();
  const processes = [...new Set([...fromFiles, ...inNs])];
  if (processes.length) await terminate(processes);
  const still = (await Promise.all(present.map(nsPids))).flat();
  if (still.length) await terminate(still);
  for (const ns of present) await run('ip', ['netns', 'del', ns], { allowFail: true });
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
// status

export interface LinkStatus {
  name: string;
  /** operstate: UP, DOWN, LOWERLAYERDOWN, UNKNOWN */
  state: string;
  mac: string;
  master?: string;
  addresses: string[];
  /** netem settings on the link, as tc prints them */
  netem?: string;
}

export interface NsStatus {
  ns: string;
  role: 'host' | 'switch' | 'router';
  host?: string;
  exists: boolean;
  links: LinkStatus[];
}

export interface ProcessStatus {
  pid: number;
  alive: boolean;
  command: string;
  ns?: string;
  host?: string;
  /** the pid file's name, for processes the lab started */
  name?: string;
  pidFile?: string;
}

export interface LabStatus {
  name: string;
  runDir: string;
  /** up: complete; creating: an up in progress or interrupted; partial: namespaces missing or left over; absent: nothing */
  state: 'up' | 'creating' | 'partial' | 'absent';
  kind?: 'bridged' | 'routed';
  topologyFile?: string;
  namespaces: NsStatus[];
  processes: ProcessStatus[];
  /** expected netem per host link, from the topology */
  netem: { host: string; out: string; in: string }[];
  problems: string[];
}

async function linksOf(ns: string): Promise<LinkStatus[]> {
  const r = await run('ip', ['-n', ns, '-j', 'addr'], { allowFail: true });
  let links: { ifname: string; operstate?: string; address?: string; master?: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  try {
    links = JSON.parse(r.stdout);
  } catch {
    return [];
  }
  const tc = await run('tc', ['-n', ns, 'qdisc', 'show'], { allowFail: true });
  const netem = parseNetemQdiscs(tc.stdout);
  return links
    .filter((l) => l.ifname !== 'lo')
    .map((l) => ({
      name: l.ifname,
      state: l.operstate ?? '?',
      mac: l.address ?? '',
      ...(l.master ? { master: l.master } : {}),
      addresses: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      ...(netem.has(l.ifname) ? { netem: netem.get(l.ifname)! } : {}),
    }));
}

/** netem settings per device from `tc qdisc show` output: `qdisc netem 8001: dev eth1 root refcnt 2 limit 1000 delay 3ms loss 2%` -> eth1: `delay 3ms loss 2%`. */
export function parseNetemQdiscs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^qdisc netem \S+ dev (\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const rest = m[2]!.replace(/^(root|parent \S+)\s*/, '').replace(/^refcnt \d+\s*/, '').replace(/^limit \d+\s*/, '').trim();
    out.set(m[1]!, rest || 'netem');
  }
  return out;
}

/** What exists of a lab: namespaces, links, addresses, netem, processes. Never throws for a lab that is not up. */
export async function labStatus(nameOrFile: string, opts: LabOptions = {}): Promise<LabStatus> {
  const runRoot = opts.runRoot ?? defaultRunRoot();
  const name = labNameOf(nameOrFile);
  const runDir = join(runRoot, name);
  const state = readState(runDir);
  const prefix = labNsPrefix(name);
  const present = new Set((await listNamespaces()).filter((n) => n.startsWith(prefix)));
  const problems: string[] = [];
  const namespaces: NsStatus[] = [];
  const seen = new Set<string>();
  const add = async (ns: string, role: NsStatus['role'], host?: string) => {
    seen.add(ns);
    const exists = present.has(ns);
    if (!exists && state) problems.push(`namespace ${ns} is missing`);
    namespaces.push({ ns, role, ...(host ? { host } : {}), exists, links: exists ? await linksOf(ns) : [] });
  };
  if (state) {
    await add(state.plan.switchNs, state.plan.kind === 'bridged' ? 'switch' : 'router');
    for (const h of state.plan.hosts) await add(h.ns, 'host', h.name);
  }
  for (const ns of [...present].sort()) {
    if (seen.has(ns)) continue;
    problems.push(`namespace ${ns} is not part of the lab's state${state ? '' : ' (no state file: run `lab down` to remove it)'}`);
    const host = ns.slice(prefix.length);
    await add(ns, host.startsWith('_') ? 'switch' : 'host', host.startsWith('_') ? undefined : host);
  }
  const processes: ProcessStatus[] = [];
  const seenPids = new Set<number>();
  for (const { file, info } of readPidFiles(runDir)) {
    const alive = pidFileAlive(info);
    seenPids.add(info.pid);
    const h = state?.plan.hosts.find((x) => x.name === info.host);
    processes.push({
      pid: info.pid,
      alive,
      command: alive ? procCommand(info.pid) : info.argv.join(' '),
      ...(h ? { ns: h.ns, host: h.name } : {}),
      name: info.name,
      pidFile: file,
    });
    if (!alive) problems.push(`process ${info.name} (pid ${info.pid}) is not running`);
  }
  for (const n of namespaces) {
    if (!n.exists) continue;
    for (const pid of await nsPids(n.ns)) {
      if (seenPids.has(pid)) continue;
      seenPids.add(pid);
      processes.push({ pid, alive: true, command: procCommand(pid), ns: n.ns, ...(n.host ? { host: n.host } : {}) });
    }
  }
  let st: LabStatus['state'];
  if (!state && present.size === 0) st = existsSync(runDir) ? 'partial' : 'absent';
  else if (!state) st = 'partial';
  else if (state.phase === 'creating') {
    st = 'creating';
    problems.push(
      pidAlive(state.upPid) && state.upPid !== process.pid
        ? `an up is in progress (pid ${state.upPid})`
        : `the up started by pid ${state.upPid} did not finish: run \`lab down ${name}\` (or \`lab up\` again)`,
    );
  }
  else st = problems.some((p) => p.startsWith('namespace')) ? 'partial' : 'up';
  if (st === 'up' && state && !(await verifyLab(state.plan))) {
    st = 'partial';
    problems.push('links are missing (run `lab up` again to rebuild)');
  }
  return {
    name,
    runDir,
    state: st,
    ...(state ? { kind: state.plan.kind } : {}),
    ...(state?.topologyFile ? { topologyFile: state.topologyFile } : {}),
    namespaces,
    processes,
    netem: state ? state.plan.hosts.map((h) => ({ host: h.name, out: describeNetem(h.netemOut), in: describeNetem(h.netemIn) })) : [],
    problems,
  };
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
  /** the other hosts of the lab (for static peers) */
  peers: { host: string; mac: string; address: string; ip?: string }[];
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
    tap: h.tap,
    ...(h.bridge ? { bridge: h.bridge } : {}),
    uplink: h.uplink,
    ...(h.ip ? { ip: h.ip } : {}),
    ...(h.gateway ? { gateway: h.gateway } : {}),
    runDir: h.runDir,
    controlSocket: join(h.runDir, 'condisd.sock'),
    logFile: join(h.runDir, 'condisd.log'),
    captureFile: join(h.runDir, 'condisd.pcap'),
    pidFile: join(lab.runDir, 'pids', `${h.name}.condisd.pid`),
    peers: lab.hosts
      .filter((o) => o.name !== h.name)
      .map((o) => ({ host: o.name, mac: o.mac, address: o.address, ...(o.ip ? { ip: o.ip } : {}) })),
  };
}
