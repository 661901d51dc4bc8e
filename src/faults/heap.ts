/**
 * Heap after a full garbage collection, for daemons running in other
 * processes (the soak's): node's `--heapsnapshot-signal=SIGUSR2` makes a
 * daemon write a heap snapshot when signalled, and V8 collects all garbage
 * before it takes one, so the snapshot holds exactly what is still reachable.
 * Its nodes' self sizes add up to the live heap; grouped by constructor they
 * name what a leak keeps (`growers`). No change to the daemon is needed.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** node flags that let `snapshotHeap` ask a daemon for its heap, writing into `dir` */
export function heapSnapshotFlags(dir: string): string[] {
  return ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`];
}

export interface HeapSummary {
  /** the live heap after a full GC: the snapshot's nodes, bytes */
  bytes: number;
  nodes: number;
  /** by constructor (objects) or by V8's node type in brackets (strings, code, closures, ...) */
  by: Record<string, { count: number; bytes: number }>;
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** group a heap snapshot (the JSON node writes) by constructor */
export function summarizeHeapSnapshot(text: string): HeapSummary {
  const raw = JSON.parse(text) as RawSnapshot;
  const f = raw.snapshot.meta.node_fields;
  const width = f.length;
  const typeAt = f.indexOf('type');
  const nameAt = f.indexOf('name');
  const sizeAt = f.indexOf('self_size');
  const types = raw.snapshot.meta.node_types[0];
  const by: HeapSummary['by'] = {};
  let bytes = 0;
  let nodes = 0;
  for (let i = 0; i < raw.nodes.length; i += width) {
    const type = types[raw.nodes[i + typeAt]!]!;
    const size = raw.nodes[i + sizeAt]!;
    const key = type === 'object' || type === 'native' ? raw.strings[raw.nodes[i + nameAt]!]! : `(${type})`;
    const e = (by[key] ??= { count: 0, bytes: 0 });
    e.count++;
    e.bytes += size;
    bytes += size;
    nodes++;
  }
  return { bytes, nodes, by };
}

/**
 * Signal `pid` (started with heapSnapshotFlags(dir)) to write a snapshot,
 * wait until it is complete (`settle` resolves once the daemon answers again:
 * it writes the snapshot on its main thread), summarize it and delete it.
 */
export async function snapshotHeap(pid: number, dir: string, settle: () => Promise<unknown>, timeoutMs = 120_000): Promise<HeapSummary> {
  const before = new Set(existsSync(dir) ? readdirSync(dir) : []);
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let file: string | undefined;
  while (!file) {
    if (Date.now() > deadline) throw new Error(`no heap snapshot from pid ${pid} in ${dir} within ${timeoutMs / 1000} s`);
    file = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot') && n.includes(`.${pid}.`) && !before.has(n));
    if (!file) await sleep(100);
  }
  const path = join(dir, file);
  // the daemon writes it synchronously: once it answers again, the file is whole; then its size stays put
  await settle();
  for (let last = -1; ; ) {
    const size = statSync(path).size;
    if (size === last) break;
    last = size;
    if (Date.now() > deadline) throw new Error(`heap snapshot ${path} still growing after ${timeoutMs / 1000} s`);
    await sleep(200);
  }
  try {
    return summarizeHeapSnapshot(readFileSync(path, 'utf8'));
  } finally {
    rmSync(path, { force: true });
  }
}

/** what grew from `a` to `b`, most bytes first: the constructors a leak would name */
export function heapGrowers(a: HeapSummary, b: HeapSummary, top = 8): { name: string; count: number; bytes: number }[] {
  const names = new Set([...Object.keys(a.by), ...Object.keys(b.by)]);
  return [...names]
    .map((name) => ({ name, count: (b.by[name]?.count ?? 0) - (a.by[name]?.count ?? 0), bytes: (b.by[name]?.bytes ?? 0) - (a.by[name]?.bytes ?? 0) }))
    .filter((g) => g.bytes > 0)
    .sort((x, y) => y.bytes - x.bytes)
    .slice(0, top);
}
