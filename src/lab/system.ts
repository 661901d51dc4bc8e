/**
 * Building a lab's namespaces, veth pairs and bridges, and checking they are
 * all there. Only ever inside namespaces the lab creates.
 */
import { mkdirSync } from 'node:fs';
import { Netns } from './netns.js';
import { NetemUnsupportedError, SEGMENT_BRIDGE, type LabPlan, type RelayedLink } from './plan.js';
import { run } from '../common/sh.js';
import { mapConcurrent } from '../common/map-concurrent.js';
import { netemArgs, type Netem } from './topology.js';

/** how many namespaces `lab status` and the lab check query at once (each query is an `ip` or `tc` process) */
export const NS_QUERIES = 8;

/** A handle on an existing namespace of the lab (it may have been made by another process). */
export function nsHandle(name: string): Netns {
  return Netns.attach(name);
}

export async function listNamespaces(): Promise<string[]> {
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

/** Apply netem on a link; false when the kernel has no netem qdisc (then nothing was changed). */
async function applyNetem(ns: string, dev: string, n: Netem): Promise<boolean> {
  try {
    await run('tc', ['-n', ns, 'qdisc', 'replace', 'dev', dev, 'root', 'netem', ...netemArgs(n)]);
    return true;
  } catch (e) {
    const msg = (e as Error).message;
    if (/unknown|not supported|No such file/i.test(msg)) return false;
    throw e;
  }
}

/**
 * Make room for a user-space relay (src/faults/impair.ts) on a host's link:
 * take the port link `port` out of `bridge` and put the veth pair `a`/`b`
 * in its place (`b` in the bridge; the relay forwards between `port` and `a`).
 */
export async function insertRelayLink(p: { ns: string; bridge: string; port: string; a: string; b: string }): Promise<void> {
  await run('ip', ['-n', p.ns, 'link', 'set', p.port, 'nomaster']);
  await run('ip', ['-n', p.ns, 'link', 'add', p.a, 'type', 'veth', 'peer', 'name', p.b]);
  await run('ip', ['-n', p.ns, 'link', 'set', p.b, 'master', p.bridge]);
  for (const d of [p.a, p.b, p.port]) await run('ip', ['-n', p.ns, 'link', 'set', d, 'up']);
}

/**
 * Build a lab's namespaces and links. Resolves the links whose impairment
 * the kernel could not apply (no sch_netem): they got a relay's veth pair
 * (insertRelayLink) and need the impairer daemon. `impairer: 'relay'` uses
 * the relay even when the kernel has netem.
 */
export async function buildLab(plan: LabPlan, o: { impairer?: 'auto' | 'relay' } = {}): Promise<RelayedLink[]> {
  const relayed: RelayedLink[] = [];
  let kernelNetem = o.impairer !== 'relay';
  await createNs(plan.switchNs);
  const sw = plan.switchNs;
  if (plan.kind === 'bridged') await bridgeIn(sw, SEGMENT_BRIDGE);
  else await run('ip', ['netns', 'exec', sw, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);

  // ATM switches: a namespace each, a bridge per port (condisd adds the port's TAP device to it)
  const switchNs = new Map<string, string>();
  for (const s of plan.switches ?? []) {
    await createNs(s.ns);
    switchNs.set(s.name, s.ns);
    for (const p of s.ports) await bridgeIn(s.ns, p.bridge);
    mkdirSync(s.runDir, { recursive: true });
  }
  for (const s of plan.switches ?? [])
    for (const p of s.ports) {
      if (!p.peerSwitch || s.name > p.peerSwitch.name) continue; // each switch-to-switch link once
      const o = plan.switches!.find((x) => x.name === p.peerSwitch!.name)!;
      const op = o.ports.find((x) => x.name === p.peerSwitch!.port)!;
      await vethBetween(s.ns, p.link, o.ns, op.link);
      for (const [ns, port] of [[s.ns, p], [o.ns, op]] as const) {
        await run('ip', ['-n', ns, 'link', 'set', port.link, 'master', port.bridge]);
        await run('ip', ['-n', ns, 'link', 'set', port.link, 'up']);
      }
    }

  for (const [i, h] of plan.hosts.entries()) {
    const peerNs = h.atmSwitch ? switchNs.get(h.atmSwitch.name)! : sw;
    await createNs(h.ns);
    await vethBetween(h.ns, h.uplink, peerNs, h.switchPort);
    if (h.atmSwitch) {
      const port = plan.switches!.find((x) => x.name === h.atmSwitch!.name)!.ports.find((p) => p.name === h.atmSwitch!.port)!;
      await bridgeIn(h.ns, h.bridge!);
      await run('ip', ['-n', h.ns, 'link', 'set', h.uplink, 'master', h.bridge!]);
      await run('ip', ['-n', peerNs, 'link', 'set', h.switchPort, 'master', port.bridge]);
      if (h.ip) await run('ip', ['-n', h.ns, 'addr', 'add', h.ip, 'dev', h.bridge!]);
    } else if (plan.kind === 'bridged') {
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
    await run('ip', ['-n', peerNs, 'link', 'set', h.switchPort, 'up']);
    if (plan.kind === 'routed') await run('ip', ['-n', h.ns, 'route', 'add', 'default', 'via', h.gateway!]);
    const relay: RelayedLink = { host: h.name, ns: peerNs, bridge: '', port: h.switchPort, a: `ia${i}`, b: `ib${i}` };
    for (const [dir, n, ns, dev, where] of [
      ['out', h.netemOut, h.ns, h.uplink, `${h.name} ${h.uplink} (frames from ${h.name})`],
      ['in', h.netemIn, peerNs, h.switchPort, `${h.switchPort} (frames to ${h.name})`],
    ] as const) {
      if (!n) continue;
      if (kernelNetem && (await applyNetem(ns, dev, n))) continue;
      kernelNetem = false;
      if (plan.kind === 'routed')
        throw new NetemUnsupportedError(where, 'the user-space relay that stands in for netem needs a bridged lab (a routed link has no bridge to put it on)');
      relay[dir] = n;
    }
    if (relay.out || relay.in) {
      relay.bridge = h.atmSwitch
        ? plan.switches!.find((x) => x.name === h.atmSwitch!.name)!.ports.find((p) => p.name === h.atmSwitch!.port)!.bridge
        : SEGMENT_BRIDGE;
      await insertRelayLink(relay);
      relayed.push(relay);
    }
    mkdirSync(h.runDir, { recursive: true });
  }
  return relayed;
}

/** True when every namespace and link of the plan exists (an `up` that finished and was not disturbed). */
export async function verifyLab(plan: LabPlan): Promise<boolean> {
  const present = new Set(await listNamespaces());
  if (!present.has(plan.switchNs) || plan.hosts.some((h) => !present.has(h.ns)) || (plan.switches ?? []).some((s) => !present.has(s.ns))) return false;
  const links = async (ns: string) => {
    const r = await run('ip', ['-n', ns, '-j', 'link'], { allowFail: true });
    try {
      return new Set((JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname));
    } catch {
      return new Set<string>();
    }
  };
  const switches = plan.switches ?? [];
  const [swLinks, ...rest] = await mapConcurrent([plan.switchNs, ...switches.map((s) => s.ns), ...plan.hosts.map((h) => h.ns)], NS_QUERIES, links);
  const atmLinks = new Map<string, Set<string>>();
  for (const [i, s] of switches.entries()) {
    const l = rest[i]!;
    atmLinks.set(s.name, l);
    if (s.ports.some((p) => !l.has(p.bridge) || !l.has(p.link))) return false;
  }
  for (const [i, h] of plan.hosts.entries()) {
    const mine = rest[switches.length + i]!;
    const peer = h.atmSwitch ? atmLinks.get(h.atmSwitch.name)! : swLinks!;
    if (!mine.has(h.uplink) || (h.bridge && !mine.has(h.bridge)) || !peer.has(h.switchPort)) return false;
  }
  return true;
}
