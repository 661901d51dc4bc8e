/**
 * Call cycles for leak hunting, driven through the daemon's own CoNDIS client
 * (NodeControlBackend, what condisd puts behind its control socket) on four
 * real stacks over the memory miniport: a root and three leaves.
 *
 * Each cycle is one of
 * - point-to-point: root calls leaf1, data, closed with close data by the caller or, every other time, by the callee;
 * - multipoint: root calls leaf1, adds leaf2 and leaf3, data to all, leaf3 leaves (incoming drop party at the root),
 *   the root drops leaf2 with close data, then closes naming leaf1 with close data.
 * Every close data is checked on arrival, exactly once.
 * Used by test/leaks/leaks.test.ts (a few hundred cycles) and scripts/leaks.ts (100,000).
 */
import { filter, firstValueFrom, timeout } from 'rxjs';
import type { ControlEvent } from '../../src/control/backend.js';
import { NodeControlBackend } from '../../src/host/control-backend.js';
import type { CondisNode, NodeOptions } from '../../src/host/node.js';
import { linksUp, memoryNodes, shutdownAll } from '../helpers/nodes.js';

export interface Bench {
  nodes: CondisNode[];
  backends: NodeControlBackend[];
  /** close data seen by each host, by VC: checked for exactly-once */
  close(): Promise<void>;
}

type Ev<K extends ControlEvent['kind']> = Extract<ControlEvent, { kind: K }>;

function next<K extends ControlEvent['kind']>(b: NodeControlBackend, kind: K, pred: (e: Ev<K>) => boolean = () => true, ms = 10_000): Promise<Ev<K>> {
  const p = firstValueFrom(
    b.events$.pipe(
      filter((e): e is Ev<K> => e.kind === kind && pred(e as Ev<K>)),
      timeout({ first: ms, with: () => Promise.reject(new Error(`no ${kind} within ${ms} ms`)) }),
    ),
  );
  p.catch(() => {});
  return p;
}

export async function startBench(overrides: Partial<NodeOptions> = {}): Promise<Bench> {
  const nodes = memoryNodes(4, overrides);
  await linksUp(nodes);
  const backends = await Promise.all(nodes.map((n) => NodeControlBackend.create(n, { version: 'test', miniport: n.miniport.name })));
  for (let i = 1; i < 4; i++) await backends[i]!.registerSap({ address: `${1001 + i}`, policy: 'accept' });
  return {
    nodes,
    backends,
    async close() {
      for (const b of backends) b.dispose();
      await shutdownAll(nodes);
    },
  };
}

export async function p2pCycle(bench: Bench, i: number): Promise<void> {
  const [root, leaf1] = bench.backends as [NodeControlBackend, NodeControlBackend];
  const inc = next(leaf1, 'incoming-call');
  const { vc } = await root.makeCall({ called: '1002', multipoint: false });
  const leafVc = (await inc).vc;
  const got = next(leaf1, 'receive', (e) => e.vc === leafVc);
  await root.send({ vc, data: Buffer.from(`p2p ${i}`) });
  if ((await got).data.toString() !== `p2p ${i}`) throw new Error(`cycle ${i}: wrong data`);
  const data = Buffer.from(`close ${i}`);
  if (i % 2 === 0) {
    const ic = next(leaf1, 'incoming-close-call', (e) => e.vc === leafVc);
    const gone = next(leaf1, 'vc-state', (e) => e.vc === leafVc && e.state === 'DELETED');
    await root.closeCall({ vc, closeData: data });
    const e = await ic;
    if (!e.closeData?.equals(data)) throw new Error(`cycle ${i}: close data ${e.closeData?.toString()}`);
    await gone;
  } else {
    const ic = next(root, 'incoming-close-call', (e) => e.vc === vc);
    const gone = next(root, 'vc-state', (e) => e.vc === vc && e.state === 'DELETED');
    await leaf1.closeCall({ vc: leafVc, closeData: data });
    const e = await ic;
    if (!e.closeData?.equals(data)) throw new Error(`cycle ${i}: close data ${e.closeData?.toString()}`);
    await gone;
  }
}

export async function multipointCycle(bench: Bench, i: number): Promise<void> {
  const [root, l1, l2, l3] = bench.backends as [NodeControlBackend, NodeControlBackend, NodeControlBackend, NodeControlBackend];
  const inc1 = next(l1, 'incoming-call');
  const call = await root.makeCall({ called: '1002', multipoint: true });
  const v1 = (await inc1).vc;
  const inc2 = next(l2, 'incoming-call');
  const p2 = await root.addParty({ vc: call.vc, address: '1003' });
  const v2 = (await inc2).vc;
  const inc3 = next(l3, 'incoming-call');
  const p3 = await root.addParty({ vc: call.vc, address: '1004' });
  const v3 = (await inc3).vc;
  const rx = [next(l1, 'receive', (e) => e.vc === v1), next(l2, 'receive', (e) => e.vc === v2), next(l3, 'receive', (e) => e.vc === v3)];
  await root.send({ vc: call.vc, data: Buffer.from(`mp ${i}`) });
  for (const r of await Promise.all(rx)) if (r.data.toString() !== `mp ${i}`) throw new Error(`cycle ${i}: wrong data`);
  // leaf3 leaves: the root sees an incoming drop party, its policy drops the party
  const idp = next(root, 'incoming-drop-party', (e) => e.party === p3.party);
  await l3.closeCall({ vc: v3 });
  await idp;
  // the policy's drop completes at once (sync) or by drop-party-complete (pending): either way the party goes
  for (let k = 0; (await root.parties()).some((p) => p.party === p3.party); k++) {
    if (k > 1000) throw new Error(`cycle ${i}: party ${p3.party} never went`);
    await new Promise((r) => setTimeout(r, 5));
  }
  // the root drops leaf2 with close data
  const d2 = Buffer.from(`drop ${i}`);
  const ic2 = next(l2, 'incoming-close-call', (e) => e.vc === v2);
  await root.dropParty({ vc: call.vc, party: p2.party, closeData: d2 });
  if (!(await ic2).closeData?.equals(d2)) throw new Error(`cycle ${i}: drop close data`);
  // the root closes naming leaf1 with close data
  const d1 = Buffer.from(`last ${i}`);
  const ic1 = next(l1, 'incoming-close-call', (e) => e.vc === v1);
  const gone = next(root, 'vc-state', (e) => e.vc === call.vc && e.state === 'DELETED');
  await root.closeCall({ vc: call.vc, party: call.party, closeData: d1 });
  if (!(await ic1).closeData?.equals(d1)) throw new Error(`cycle ${i}: close data`);
  await gone;
}

export async function cycle(bench: Bench, i: number): Promise<void> {
  return i % 3 === 2 ? multipointCycle(bench, i) : p2pCycle(bench, i);
}

/** wait until every host is back to no calls, parties, VCs or paths; returns what is left if it never gets there */
export async function settled(bench: Bench, ms = 5000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left: string[] = [];
    for (const n of bench.nodes) {
      const u = n.uni.counters();
      const d = n.ndis.counters();
      const p = n.dataPathCounters();
      if (u.calls || u.parties || u.timers || u.linkCalls) left.push(`${n.name} uni ${JSON.stringify(u)}`);
      if (d.vcs || d.parties || d.sendsOutstanding || d.receivesOutstanding) left.push(`${n.name} ndis ${JSON.stringify(d)}`);
      if (p.activeVcs || p.paths || p.outstandingSends) left.push(`${n.name} datapath ${JSON.stringify(p)}`);
      for (const s of n.sscopCounters()) if (s.queuedSdus || s.unacknowledgedSdus || s.outOfOrderSdus) left.push(`${n.name} sscop ${s.name} queued ${s.queuedSdus} unack ${s.unacknowledgedSdus} ooo ${s.outOfOrderSdus}`);
    }
    for (const b of bench.backends) if (b.pendingRequests()) left.push(`backend requests in progress ${b.pendingRequests()}`);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 10));
  }
}
