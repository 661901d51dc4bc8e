/**
 * A lab's names and addresses, computed from its topology without touching
 * the system (lab.ts makes them real): namespaces, links, host addresses,
 * run directories. Also the errors a lab user can act on.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { loadTopology, netemActive, type Netem, type Topology } from './topology.js';


/** Errors a lab user can act on (bad state, unknown host, conflicting topology). */
export class LabError extends Error {
  override readonly name = 'LabError';
}

/** The kernel has no netem qdisc (CONFIG_NET_SCH_NETEM) and the user-space relay cannot stand in (routed labs). */
export class NetemUnsupportedError extends LabError {
  constructor(readonly where: string, readonly detail: string) {
    super(`cannot apply netem on ${where}: this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM / module sch_netem): ${detail}`);
  }
}

/**
 * A host link impaired by the user-space relay (the kernel has no netem):
 * in namespace `ns` the host's port link `port` left `bridge` for the veth
 * pair `a`/`b`; the impairer daemon forwards between `port` and `a`.
 */
export interface RelayedLink {
  host: string;
  ns: string;
  bridge: string;
  port: string;
  a: string;
  b: string;
  /** frames from the host */
  out?: Netem;
  /** frames to the host */
  in?: Netem;
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
  /** the topology's extraAddresses */
  extraAddresses?: string[];
  /** namespace name */
  ns: string;
  uplink: string;
  /** br0 in bridged labs; undefined in routed labs (the address is on eth1) */
  bridge?: string;
  tap: string;
  /** the uplink's peer in the segment / router namespace, or in the ATM switch's namespace */
  switchPort: string;
  /** the host is on a port of an ATM switch: which (its uplink's peer is in that switch's namespace) */
  atmSwitch?: { name: string; port: string };
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

/**
 * One port of an ATM switch, in the switch's namespace: the TAP device the
 * switch's condisd creates (`t-PORT`) and a bridge (`b-PORT`) joining it to
 * the port's link (`v-PORT`, a veth pair to the host's eth1 or to the other
 * switch's port link).
 */
export interface PlannedPort {
  name: string;
  /** the switch port's MAC (its TAP device's) */
  mac: string;
  tap: string;
  bridge: string;
  link: string;
  /** the host on the port ... */
  host?: string;
  /** ... or the switch at the other end of the link, and its port */
  peerSwitch?: { name: string; port: string };
  /** the UNI side the switch plays on the port: user on its end of a switch-to-switch (IISP) link it lists under `links` */
  side?: 'user';
}

export interface PlannedSwitch {
  name: string;
  /** namespace name */
  ns: string;
  ports: PlannedPort[];
  /** the switch's own directory (condisd socket, log, capture) */
  runDir: string;
}

export interface LabPlan {
  name: string;
  kind: 'bridged' | 'routed';
  runDir: string;
  /** the segment (bridged) or router (routed) namespace */
  switchNs: string;
  hosts: PlannedHost[];
  /** ATM switches (absent in plans written before labs had switches) */
  switches?: PlannedSwitch[];
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
  const ports = planSwitches(topology, prefix, runDir);
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
    const port = h.switch ? ports.host.get(h.name)! : undefined;
    return {
      name: h.name,
      mac: h.mac,
      address: h.address,
      ...(h.extraAddresses?.length ? { extraAddresses: h.extraAddresses } : {}),
      ns: `${prefix}${h.name}`,
      uplink: UPLINK,
      ...(kind === 'bridged' ? { bridge: HOST_BRIDGE } : {}),
      tap: TAP,
      switchPort: port ? port.port.link : `p${i}-${h.name}`.slice(0, 15),
      ...(port ? { atmSwitch: { name: port.sw.name, port: port.port.name } } : {}),
      ...(ip ? { ip } : {}),
      ...(gateway ? { gateway } : {}),
      ...(netemActive(netemOut) ? { netemOut } : {}),
      ...(netemActive(netemIn) ? { netemIn } : {}),
      runDir: join(runDir, 'hosts', h.name),
    };
  });
  return { name: topology.name, kind, runDir, switchNs: `${prefix}${kind === 'bridged' ? '_sw' : '_rt'}`, hosts, switches: ports.switches };
}

/** MAC of port `port` (0-based) of switch `sw` (0-based): 02:53 ('S'):00:00:switch:port */
export function switchPortMac(sw: number, port: number): string {
  return `02:53:00:00:${(sw + 1).toString(16).padStart(2, '0')}:${(port + 1).toString(16).padStart(2, '0')}`;
}

/**
 * Ports of every switch: first its hosts' (named as the topology says, else
 * p1, p2, ... skipping names taken), then one per switch-to-switch link.
 */
function planSwitches(topology: Topology, prefix: string, runDir: string) {
  const host = new Map<string, { sw: PlannedSwitch; port: PlannedPort }>();
  const byName = new Map<string, PlannedSwitch>();
  const switches = topology.switches.map((s): PlannedSwitch => {
    const sw: PlannedSwitch = { name: s.name, ns: `${prefix}${s.name}`, ports: [], runDir: join(runDir, 'switches', s.name) };
    byName.set(s.name.toLowerCase(), sw);
    return sw;
  });
  const taken = (sw: PlannedSwitch) => new Set(sw.ports.map((p) => p.name));
  const explicit = new Map<string, Set<string>>();
  for (const h of topology.hosts) if (h.switch && h.port) explicit.set(h.switch.toLowerCase(), (explicit.get(h.switch.toLowerCase()) ?? new Set()).add(h.port));
  const nextName = (sw: PlannedSwitch): string => {
    const used = new Set([...taken(sw), ...(explicit.get(sw.name.toLowerCase()) ?? [])]);
    for (let k = 1; ; k++) if (!used.has(`p${k}`)) return `p${k}`;
  };
  const addPort = (sw: PlannedSwitch, name: string, extra: Pick<PlannedPort, 'host' | 'peerSwitch'>): PlannedPort => {
    const port: PlannedPort = { name, mac: switchPortMac(switches.indexOf(sw), sw.ports.length), tap: `t-${name}`, bridge: `b-${name}`, link: `v-${name}`, ...extra };
    sw.ports.push(port);
    return port;
  };
  for (const h of topology.hosts) {
    if (!h.switch) continue;
    const sw = byName.get(h.switch.toLowerCase())!;
    host.set(h.name, { sw, port: addPort(sw, h.port ?? nextName(sw), { host: h.name }) });
  }
  for (const s of topology.switches) {
    const a = byName.get(s.name.toLowerCase())!;
    for (const other of s.links) {
      const b = byName.get(other.toLowerCase())!;
      const pa = addPort(a, nextName(a), {});
      const pb = addPort(b, nextName(b), {});
      pa.peerSwitch = { name: b.name, port: pb.name };
      pa.side = 'user'; // IISP: the switch that lists the link is the user side on it
      pb.peerSwitch = { name: a.name, port: pa.name };
    }
  }
  const hostMacs = new Map(topology.hosts.map((h) => [h.mac.toLowerCase(), h.name]));
  for (const sw of switches)
    for (const p of sw.ports) {
      const clash = hostMacs.get(p.mac);
      if (clash) throw new LabError(`host ${clash} has MAC ${p.mac}, which the lab gives to port ${p.name} of switch ${sw.name}: switch ports use 02:53:00:00:xx:yy`);
    }
  return { switches, host };
}

export function digestOf(topology: Topology): string {
  const { file: _file, ...rest } = topology;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}

export interface LabOptions {
  /** where run directories live (default: defaultRunRoot()) */
  runRoot?: string;
  /**
   * how `up` impairs links: 'auto' (default) the kernel's netem, else the
   * user-space relay; 'relay' the relay even when the kernel has netem.
   * Default from $CONDIS_LAB_IMPAIRER.
   */
  impairer?: 'auto' | 'relay';
}

/** The impairer `up` uses: the option, else $CONDIS_LAB_IMPAIRER, else 'auto'; anything else is a LabError. */
export function impairerChoice(opts: LabOptions): 'auto' | 'relay' {
  const v = opts.impairer ?? process.env.CONDIS_LAB_IMPAIRER ?? 'auto';
  if (v !== 'auto' && v !== 'relay') throw new LabError(`CONDIS_LAB_IMPAIRER=${JSON.stringify(v)}: expected auto or relay`);
  return v;
}

/** `demo` -> `demo`; `scripts/labs/demo.yaml` -> the name inside the file. */
export function labNameOf(nameOrFile: string): string {
  if (/\.ya?ml$/i.test(nameOrFile) || nameOrFile.includes('/')) return loadTopology(nameOrFile).name;
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/i.test(nameOrFile)) throw new LabError(`${JSON.stringify(nameOrFile)} is neither a lab name nor a .yaml topology file`);
  return nameOrFile;
}
