/**
 * How many times a point-to-point call cycle over TAP passes the plumbing
 * between layers: rxjs subscriber hops (`Subscriber#next`), subject
 * emissions (`Subject#next`), run-queue posts (`RunQueue#post`) and
 * microtasks queued with `queueMicrotask`, per cycle (not a benchmark: the
 * counting wrappers cost time; docs/architecture.md, "Where a cycle's CPU
 * goes", gives the counts). Root only (namespaces, TAP devices):
 *
 *   npm run build && node dist/bench/profile-hops.js [cycles=5000] [--who]
 *
 * `--who` also counts each subscriber hop by the place that called it (a
 * stack trace per hop: run it with fewer cycles).
 */
import { Subject, Subscriber } from 'rxjs';
import { Client } from '../src/host/driver.js';
import { RunQueue } from '../src/common/run-queue.js';
import { callCycles } from './stack.js';
import { benchTapLab } from './tap-lab.js';

const cycles = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 5000);
const who = process.argv.includes('--who');
const counts = new Map<string, number>();
let counting = false;
const bump = (k: string) => {
  if (counting) counts.set(k, (counts.get(k) ?? 0) + 1);
};
/** where the caller of the caller of this function is, as file:line under dist/ or node_modules/ */
const caller = () => (new Error().stack?.split('\n')[3] ?? '').trim().split('/dist/').pop()!.split('node_modules/').pop()!.replace(/\)$/, '');

function wrap<T extends object>(proto: T, name: keyof T & string, label: string, where = false): void {
  const original = proto[name] as unknown as (...a: unknown[]) => unknown;
  (proto as Record<string, unknown>)[name] = function (this: unknown, ...a: unknown[]) {
    bump(label);
    if (where) bump(`  ${label} from ${caller()}`);
    return original.apply(this, a);
  };
}
wrap(Subscriber.prototype, 'next', 'Subscriber#next', who);
wrap(Subject.prototype, 'next', 'Subject#next');
wrap(RunQueue.prototype, 'post', 'RunQueue#post');
const queueMicrotask0 = globalThis.queueMicrotask;
globalThis.queueMicrotask = (fn) => {
  bump('queueMicrotask');
  queueMicrotask0(fn);
};

const tl = await benchTapLab('hops', 3, 3000);
try {
  const nodes = await tl.startNodes();
  const a = await Client.open(nodes[0]!, 'a', { keepLog: false });
  const b = await Client.open(nodes[1]!, 'b', { keepLog: false });
  await b.listen('3002');
  await callCycles(a, b, '3002', { count: 2000 });
  counting = true;
  await callCycles(a, b, '3002', { count: cycles });
  counting = false;
  console.log(`per point-to-point call cycle over TAP (${cycles} cycles after 2,000 of warm-up):`);
  for (const [k, v] of [...counts].sort((x, y) => (x[0].startsWith(' ') === y[0].startsWith(' ') ? y[1] - x[1] : x[0].startsWith(' ') ? 1 : -1)))
    console.log(`${(v / cycles).toFixed(2).padStart(8)}  ${k}`);
} finally {
  await tl.close();
}
