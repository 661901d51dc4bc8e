/**
 * What each kind of plumbing between layers costs alone, in nanoseconds, so
 * that the counts of bench/profile-hops.ts (how many of each a call cycle
 * passes) can be turned into time: the most a design with fewer hops could
 * save (docs/architecture.md, "Where a cycle's CPU goes"). Not a benchmark of
 * the stack, and no root needed:
 *
 *   npm run build && node dist/bench/hop-costs.js
 *
 * Each kind is timed on the project's own classes, warmed up first, with
 * several step functions behind one call site as on the real path:
 *
 * - a step of a path (`stepOperator`, src/common/step-operator.ts) in a
 *   chain of seven, as the link pipeline has;
 * - `Subject#next` with one subscriber and with two;
 * - `RunQueue#post` on a queue that runs at once (src/common/run-queue.ts);
 * - `queueMicrotask`, the callback run.
 *
 * With the per-cycle counts of one profile-hops run as arguments (subscriber
 * hops, subject emissions, run-queue posts, microtasks), it also prints their
 * cost per cycle: `node dist/bench/hop-costs.js 98.85 30.81 43.41 9`.
 */
import { Observable, Subject, type Subscriber } from 'rxjs';
import { stepOperator } from '../src/common/step-operator.js';
import { RunQueue } from '../src/common/run-queue.js';

const N = 2_000_000;
let sink = 0;

/** ns per operation: `fn(n)` does n rounds of `per` operations each */
async function time(per: number, fn: (n: number) => void | Promise<void>): Promise<number> {
  for (let k = 0; k < 3; k++) await fn(N / 10);
  const t0 = process.hrtime.bigint();
  await fn(N);
  return Number(process.hrtime.bigint() - t0) / N / per;
}

let head: Subscriber<{ x: number }> | undefined;
const steps = Array.from({ length: 7 }, (_, i) =>
  stepOperator<{ x: number }, { x: number }>((v, out) => {
    sink += i;
    out.next(v);
  }),
);
steps.reduce((o, step) => o.pipe(step), new Observable<{ x: number }>((s) => void (head = s))).subscribe(() => sink++);
const value = { x: 1 };

const one = new Subject<{ x: number }>();
one.subscribe((v) => (sink += v.x));
const two = new Subject<{ x: number }>();
two.subscribe((v) => (sink += v.x));
two.subscribe((v) => (sink -= v.x));
const queue = new RunQueue<{ x: number }>((item) => (sink += item.x));

const costs = {
  step: await time(7, (n) => {
    for (let i = 0; i < n; i++) head!.next(value);
  }),
  subject1: await time(1, (n) => {
    for (let i = 0; i < n; i++) one.next(value);
  }),
  subject2: await time(1, (n) => {
    for (let i = 0; i < n; i++) two.next(value);
  }),
  post: await time(1, (n) => {
    for (let i = 0; i < n; i++) queue.post({ x: 1 });
  }),
  microtask: await time(1, (n) =>
    new Promise<void>((resolve) => {
      let left = n;
      const task = (): void => {
        sink++;
        if (--left === 0) resolve();
        else queueMicrotask(task);
      };
      queueMicrotask(task);
    }),
  ),
};
console.log('ns each, measured alone:');
console.log(`${costs.step.toFixed(1).padStart(8)}  a step of a path (Subscriber#next, seven in a chain)`);
console.log(`${costs.subject1.toFixed(1).padStart(8)}  Subject#next, one subscriber`);
console.log(`${costs.subject2.toFixed(1).padStart(8)}  Subject#next, two subscribers`);
console.log(`${costs.post.toFixed(1).padStart(8)}  RunQueue#post, run at once`);
console.log(`${costs.microtask.toFixed(1).padStart(8)}  queueMicrotask, the callback run`);

const counts = process.argv.slice(2).map(Number);
if (counts.length === 4 && counts.every((c) => Number.isFinite(c) && c >= 0)) {
  const [hops, subjects, posts, micro] = counts as [number, number, number, number];
  // a subject emission's own hop to each subscriber is among the subscriber hops: count the subject's part once
  const us = (hops * costs.step + subjects * (costs.subject1 - costs.step) + posts * costs.post + micro * costs.microtask) / 1000;
  console.log(`per cycle with those counts: ${us.toFixed(2)} us (subscriber hops ${hops}, subject emissions ${subjects}, posts ${posts}, microtasks ${micro})`);
} else if (counts.length) {
  console.error('usage: hop-costs [SUBSCRIBER_HOPS SUBJECT_EMISSIONS POSTS MICROTASKS] (per cycle, from bench/profile-hops.ts)');
  process.exit(2);
}
if (sink === 0) console.log('');
