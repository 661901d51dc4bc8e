/**
 * The soak's heap figure (src/faults/heap.ts): a process started with
 * heapSnapshotFlags writes a snapshot when asked; the summary counts what is
 * still reachable after V8's full collection (objects kept) and not what was
 * dropped (garbage), by constructor.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heapGrowers, heapSnapshotFlags, snapshotHeap } from '../../src/faults/heap.js';

const CHILD = `
class KeptMarker { constructor(i) { this.i = i; } }
class DroppedMarker { constructor(i) { this.i = i; } }
globalThis.kept = [];
let n = 0;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (line) => {
  // each line: keep 5000 more KeptMarkers, make 20000 DroppedMarkers and let them go; then answer
  for (let i = 0; i < 5000; i++) globalThis.kept.push(new KeptMarker(n++));
  let junk = [];
  for (let i = 0; i < 20000; i++) junk.push(new DroppedMarker(i));
  junk = undefined;
  process.stdout.write('ok\\n');
});
`;

test('heap after a full GC: kept objects counted by constructor, dropped ones not; growth names the constructor; the snapshot is removed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hpol-heap-'));
  const child = spawn(process.execPath, [...heapSnapshotFlags(dir), '-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    for (const l of d.split('\n').filter(Boolean)) {
      lines.push(l);
      waiters.shift()?.();
    }
  });
  const step = () => new Promise<void>((resolve) => {
    waiters.push(resolve);
    child.stdin!.write('go\n');
  });
  await step();
  const a = await snapshotHeap(child.pid!, dir, step);
  await step();
  const b = await snapshotHeap(child.pid!, dir, step);
  // the snapshot is taken when signalled: a after one step, b after three (a's settle step, then one more)
  t.is(a.by['KeptMarker']?.count, 5_000);
  t.is(b.by['KeptMarker']?.count, 15_000);
  t.false('DroppedMarker' in a.by, 'garbage is collected before the snapshot');
  t.true(b.bytes > a.bytes);
  t.true(a.bytes > 1_000_000 && a.bytes < 200 * 1048576, `a plausible heap: ${a.bytes}`);
  const g = heapGrowers(a, b).find((x) => x.name === 'KeptMarker');
  t.is(g?.count, 10_000);
  t.deepEqual(readdirSync(dir), [], 'snapshots are deleted once summarized');
});
