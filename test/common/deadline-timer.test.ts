import test from 'ava';
import { asyncScheduler, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { deadlineTimer } from '../../src/common/deadline-timer.js';
import { liveTimers } from '../helpers/timers.js';

/** a sweep over a list of deadlines, as an owner would keep them */
function owner() {
  const live: number[] = [];
  const swept: [number, number[]][] = [];
  const sweep = (now: number) => {
    const due = live.filter((d) => d <= now);
    swept.push([now, due]);
    live.splice(0, live.length, ...live.filter((d) => d > now));
    return live.length ? Math.min(...live) : Infinity;
  };
  return { live, swept, sweep };
}

const open = (s: VirtualTimeScheduler) => s.actions.filter((a) => !a.closed).length;

test('on a scheduler: one action at a time, for the earliest deadline; the sweep names the next', (t) => {
  const clock = new VirtualTimeScheduler(VirtualAction, Infinity);
  const o = owner();
  const timer = deadlineTimer(clock, o.sweep);
  for (const d of [30, 10, 50]) {
    o.live.push(d);
    timer.need(d);
  }
  t.is(open(clock), 1, 'an earlier deadline replaces the armed action; a later one leaves it');
  clock.flush();
  t.deepEqual(o.swept, [
    [10, [10]],
    [30, [30]],
    [50, [50]],
  ]);
  t.is(open(clock), 0);
});

test('on a scheduler: going idle drops the action, nothing is swept', (t) => {
  const clock = new VirtualTimeScheduler(VirtualAction, Infinity);
  const o = owner();
  const timer = deadlineTimer(clock, o.sweep);
  o.live.push(15);
  timer.need(15);
  o.live.length = 0;
  timer.idle();
  t.is(open(clock), 0);
  clock.flush();
  t.deepEqual(o.swept, []);
});

test.serial('on the real clock (Node\'s timers): a live deadline holds the process, an idle timer does not, and a new deadline holds it again', (t) => {
  const o = owner();
  const timer = deadlineTimer(asyncScheduler, o.sweep);
  const before = liveTimers();
  const d = timer.now() + 60_000;
  o.live.push(d);
  timer.need(d);
  t.is(liveTimers(), before + 1);
  o.live.length = 0;
  timer.idle();
  t.is(liveTimers(), before, 'idle: the timer no longer keeps the event loop alive');
  o.live.push(d + 1);
  timer.need(d + 1);
  t.is(liveTimers(), before + 1, 'the same timer, held again');
  o.live.length = 0;
  timer.idle();
  t.is(liveTimers(), before);
});

test.serial('on the real clock (Node\'s timers): a due deadline is swept, and the timer is armed again for the next one', async (t) => {
  const swept: number[] = [];
  const live: number[] = [];
  let done!: () => void;
  const both = new Promise<void>((r) => (done = r));
  const timer = deadlineTimer(asyncScheduler, (now) => {
    while (live.length && live[0]! <= now) swept.push(live.shift()!);
    if (swept.length === 2) done();
    return live.length ? live[0]! : Infinity;
  });
  const t0 = timer.now();
  live.push(t0 + 5, t0 + 15);
  timer.need(t0 + 5);
  timer.need(t0 + 15);
  await both;
  t.deepEqual(swept, [t0 + 5, t0 + 15]);
  t.true(timer.now() >= t0 + 15, 'never swept before it was due');
});
