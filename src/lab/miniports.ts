/**
 * Two hosts' miniports of one kind, ready to carry frames between them, in
 * namespaces made for the purpose (memory: an in-process hub). For tests,
 * labs and benchmarks that want "a link of kind X" without the plumbing:
 *
 *   const link = await openMiniportPair('etherip');
 *   try { ... link.a.send(frame) ... link.b.frames$ ... } finally { await link.close(); }
 *
 * `close()` closes both miniports and removes every namespace, also after a
 * failure half-way through opening.
 */
import { openMiniport, type Miniport, type MemoryWireOptions } from '../miniport/index.js';
import { createBridgedPair, createRoutedPair, createVeth, Netns, uniqueName } from './netns.js';

export type PairKind = 'tap' | 'nic' | 'etherip' | 'memory';

export interface MiniportPair {
  kind: PairKind;
  a: Miniport;
  b: Miniport;
  /** the namespaces of the two ends (undefined for memory) */
  nsA?: Netns;
  nsB?: Netns;
  close(): Promise<void>;
}

export interface PairOptions {
  /** host MACs (tap, etherip, memory; a NIC has its own) */
  macA?: string;
  macB?: string;
  etherType?: number;
  /** impairments of the memory wire, applied by both ends */
  memory?: MemoryWireOptions;
}

export async function openMiniportPair(kind: PairKind, opts: PairOptions = {}): Promise<MiniportPair> {
  const macA = opts.macA ?? '02:00:00:00:00:0a';
  const macB = opts.macB ?? '02:00:00:00:00:0b';
  const etherType = opts.etherType;
  const opened: Miniport[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(opened.splice(0).map((m) => m.close()));
    for (const c of cleanups.splice(0).reverse()) await c();
  };
  const open = async (p: Promise<Miniport>): Promise<Miniport> => {
    const m = await p;
    opened.push(m);
    return m;
  };
  try {
    switch (kind) {
      case 'memory': {
        const hub = uniqueName('hub');
        const a = await open(openMiniport({ kind: 'memory', hub, mac: macA, etherType, ...opts.memory }));
        const b = await open(openMiniport({ kind: 'memory', hub, mac: macB, etherType, ...opts.memory }));
        return { kind, a, b, close };
      }
      case 'tap': {
        const lab = await createBridgedPair('mpt');
        cleanups.push(() => lab.destroy());
        const a = await open(openMiniport({ kind: 'tap', device: uniqueName('tapa'), mac: macA, bridge: lab.a.bridge, netns: lab.a.ns.name, etherType }));
        const b = await open(openMiniport({ kind: 'tap', device: uniqueName('tapb'), mac: macB, bridge: lab.b.bridge, netns: lab.b.ns.name, etherType }));
        return { kind, a, b, nsA: lab.a.ns, nsB: lab.b.ns, close };
      }
      case 'nic': {
        const nsA = await Netns.create(uniqueName('mpna'));
        cleanups.push(() => nsA.destroy());
        const nsB = await Netns.create(uniqueName('mpnb'));
        cleanups.push(() => nsB.destroy());
        const va = uniqueName('mpva');
        const vb = uniqueName('mpvb');
        await createVeth({ ns: nsA, name: va }, { ns: nsB, name: vb });
        const a = await open(openMiniport({ kind: 'nic', device: va, netns: nsA.name, etherType }));
        const b = await open(openMiniport({ kind: 'nic', device: vb, netns: nsB.name, etherType }));
        return { kind, a, b, nsA, nsB, close };
      }
      case 'etherip': {
        const lab = await createRoutedPair('mpe');
        cleanups.push(() => lab.destroy());
        const a = await open(openMiniport({ kind: 'etherip', local: lab.a.addr, peers: [lab.b.addr], mac: macA, netns: lab.a.ns.name, etherType }));
        const b = await open(openMiniport({ kind: 'etherip', local: lab.b.addr, peers: [lab.a.addr], mac: macB, netns: lab.b.ns.name, etherType }));
        return { kind, a, b, nsA: lab.a.ns, nsB: lab.b.ns, close };
      }
      default:
        throw new Error(`openMiniportPair: unknown kind '${String(kind)}'`);
    }
  } catch (e) {
    await close();
    throw e;
  }
}
