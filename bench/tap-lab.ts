/**
 * The bench's TAP lab: four hosts h1..h4 on one bridged segment (namespaces,
 * a bridge, a TAP miniport per host), as bench/stack.ts measures over it and
 * the profile scripts take its figures apart. Root only.
 */
import { CondisNode } from '../src/host/node.js';
import { benchNodeOptions } from './node-options.js';
import { openMiniport } from '../src/miniport/index.js';
import type { Miniport } from '../src/miniport/types.js';
import { labUp, type Lab } from '../src/lab/lab.js';
import { topologyFrom } from '../src/lab/topology.js';
import { uniqueName } from '../src/lab/netns.js';

export interface BenchTapLab {
  lab: Lab;
  /** one TAP miniport per host this process drives (all but `elsewhere`), in `lab.hosts` order */
  miniports: Miniport[];
  /** the hosts' nodes (empty until startNodes) */
  nodes: CondisNode[];
  /**
   * a node on each of this process's miniports, every other host its static peer; resolves once
   * every signalling link between them is up (links to hosts `elsewhere` come up when those do)
   */
  startNodes(): Promise<CondisNode[]>;
  /** host i's MAC, address and static peers, for a node of its own (a host `elsewhere`) */
  hostOptions(i: number): { nsName: string; mac: string; address: string; peers: { mac: string; addresses: string[] }[] };
  /** the nodes shut down (given `graceMs`), the miniports closed (they are the lab's, not the nodes'), the lab removed */
  close(graceMs?: number): Promise<void>;
}

/**
 * every node has its signalling link up to every other and to each host of `elsewhere` (MACs of
 * hosts another process runs); bounded: an Error after `ms`
 */
export async function linksUp(nodes: CondisNode[], ms = 20_000, elsewhere: string[] = []): Promise<void> {
  const deadline = Date.now() + ms;
  const macs = [...nodes.map((n) => n.mac), ...elsewhere];
  while (!nodes.every((a) => macs.every((mac) => mac === a.mac || a.peerList().some((p) => p.mac === mac && p.link?.established)))) {
    if (Date.now() > deadline) throw new Error('bench: signalling links did not come up');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The lab, named `prefix` plus a unique part; host i gets MAC 02:00:00:00:0`octet`:0i and address
 * `addressBase + i` (each user its own octet and base, so that their frames tell them apart).
 * `hosts`: how many (default 4); `elsewhere`: the indexes of hosts whose TAP and node another
 * process opens (a TAP takes one process: this one leaves those alone).
 */
export async function benchTapLab(prefix: string, octet: number, addressBase: number, opts: { hosts?: number; elsewhere?: number[] } = {}): Promise<BenchTapLab> {
  const name = uniqueName(prefix);
  const hosts = Array.from({ length: opts.hosts ?? 4 }, (_, k) => k + 1).map((i) => ({ name: `h${i}`, mac: `02:00:00:00:0${octet}:0${i}`, address: `${addressBase + i}` }));
  const here = (i: number): boolean => !opts.elsewhere?.includes(i);
  const lab = await labUp(topologyFrom({ name, segment: { kind: 'bridged' }, hosts }, name));
  const miniports: Miniport[] = [];
  const nodes: CondisNode[] = [];
  const peersOf = (i: number) => lab.hosts.filter((_, j) => j !== i).map((o) => ({ mac: o.mac, addresses: [o.address] }));
  const close = async (graceMs = 0): Promise<void> => {
    await Promise.all(nodes.map((n) => n.shutdown(graceMs).catch(() => {})));
    await Promise.all(miniports.map((m) => m.close().catch(() => {})));
    await lab.down();
  };
  try {
    for (const [i, h] of lab.hosts.entries()) if (here(i)) miniports.push(await openMiniport({ kind: 'tap', device: 'tap0', netns: h.nsName, mac: h.mac, bridge: 'br0' }));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    lab,
    miniports,
    nodes,
    async startNodes() {
      let k = 0; // (miniports holds this process's hosts only)
      for (const [i, h] of lab.hosts.entries()) if (here(i)) nodes.push(new CondisNode(benchNodeOptions(h.name, miniports[k++]!, h.address, peersOf(i))));
      await linksUp(nodes);
      return nodes;
    },
    hostOptions(i) {
      const h = lab.hosts[i]!;
      return { nsName: h.nsName, mac: h.mac, address: h.address, peers: peersOf(i) };
    },
    close,
  };
}
