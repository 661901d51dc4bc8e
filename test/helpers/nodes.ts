/**
 * Real hosts for tests: the whole stack (wire, SSCOP, UNI, CoNDIS) on a
 * miniport, plus a small client driver that waits for indications instead of
 * polling. Used over the memory miniport here and over TAP devices in the
 * namespace tests.
 */
import { CondisNode, type NodeOptions } from '../../src/host/node.js';
import { openMemorySync, type MemoryWireOptions } from '../../src/miniport/index.js';
import type { Miniport } from '../../src/miniport/types.js';
import { NdisStatus } from '../../src/ndis/index.js';
export { Client } from '../../src/host/driver.js';

export const S = NdisStatus;

let hubCounter = 0;

export function nodeOptions(name: string, miniport: Miniport, address: string, overrides: Partial<NodeOptions> = {}): NodeOptions {
  return {
    name,
    miniport,
    addresses: [address],
    role: 'auto',
    peers: [],
    discovery: { enabled: true, intervalMs: 200, holdTimeMs: 700 },
    closeData: { allowed: true, maxOctets: 127 },
    callManager: { shape: 'mcm', completion: 'pending' },
    ...overrides,
  };
}

/** N hosts on one in-memory segment, addresses 1001.. (host i also `extra[i]`), MACs 02:00:00:00:00:0N, discovery on. */
export function memoryNodes(n: number, overrides: Partial<NodeOptions> = {}, wire: MemoryWireOptions = {}, extra: string[][] = []): CondisNode[] {
  const hub = `hub${process.pid}-${hubCounter++}`;
  const nodes: CondisNode[] = [];
  for (let i = 0; i < n; i++) {
    const mac = `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`;
    const mp = openMemorySync({ kind: 'memory', hub, mac, ...wire });
    const o = nodeOptions(`h${i + 1}`, mp, `${1001 + i}`, overrides);
    nodes.push(new CondisNode({ ...o, addresses: [...o.addresses, ...(extra[i] ?? [])] }));
  }
  return nodes;
}

/** Wait until every pair of nodes has an established signalling link. */
export async function linksUp(nodes: CondisNode[], ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = nodes.every((a) => nodes.every((b) => a === b || a.peerList().some((p) => p.mac === b.mac && p.link?.established && p.addresses.length > 0)));
    if (ok) return;
    if (Date.now() > deadline) throw new Error('links did not come up');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function shutdownAll(nodes: CondisNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.shutdown(1000)));
  await Promise.all(nodes.map((n) => n.miniport.close()));
}
