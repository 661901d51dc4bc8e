import test from 'ava';
import { asyncScheduler, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { TimerQueue } from '../../src/common/timer-queue.js';
import { liveTimers } from '../helpers/timers.js';

function setup() {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const q = new TimerQueue(scheduler);
  const fired: [string, number][] = [];
  const start = (name: string, delay: number) => q.start(delay, () => fired.push([name, scheduler.now()]));
  return { scheduler, q, fired, start };
}

test('timers fire at their due time, in due order across delays, ties in start order', (t) => {
  const { scheduler, q, fired, start } = setup();
  start('a30', 30);
  start('b4', 4);
  start('c10', 10);
  start('d4', 4);
  start('e30', 30);
  t.is(q.size, 5);
  scheduler.flush();
  t.deepEqual(fired, [
    ['b4', 4],
    ['d4', 4],
    ['c10', 10],
    ['a30', 30],
    ['e30', 30],
  ]);
  t.is(q.size, 0);
});

test('a cancelled timer never fires; the others still do, on time', (t) => {
  const { scheduler, q, fired, start } = setup();
  const a = start('a', 4);
  start('b', 10);
  const c = start('c', 10);
  a.cancel();
  c.cancel();
  c.cancel(); // twice: no effect
  t.is(q.size, 1);
  scheduler.flush();
  t.deepEqual(fired, [['b', 10]]);
});

test('no scheduled action outlives the last live timer', (t) => {
  const { scheduler, q, start } = setup();
  const actions = () => (scheduler as unknown as { actions: unknown[] }).actions.length;
  const a = start('a', 4);
  const b = start('b', 30);
  a.cancel();
  t.is(actions(), 1);
  b.cancel();
  t.is(actions(), 0);
  t.is(q.size, 0);
});

test('one scheduled action serves timers started later with later deadlines', (t) => {
  const { scheduler, fired, start } = setup();
  start('first', 4);
  const actions = () => (scheduler as unknown as { actions: unknown[] }).actions.length;
  t.is(actions(), 1);
  for (let i = 0; i < 100; i++) start(`t${i}`, 4).cancel();
  start('late', 30);
  t.is(actions(), 1);
  // an earlier deadline takes the action's place
  scheduler.schedule(() => start('early', 1), 0);
  scheduler.flush();
  t.deepEqual(fired, [
    ['early', 1],
    ['first', 4],
    ['late', 30],
  ]);
});

test('a timer started from a firing timer fires later, after the rest due now', (t) => {
  const { scheduler, q, fired, start } = setup();
  q.start(5, () => {
    fired.push(['outer', scheduler.now()]);
    start('inner0', 0);
    start('inner5', 5);
  });
  start('same', 5);
  scheduler.flush();
  t.deepEqual(fired, [
    ['outer', 5],
    ['same', 5],
    ['inner0', 5],
    ['inner5', 10],
  ]);
});

test('many cancelled timers behind a long-lived one are not kept', (t) => {
  const { scheduler, q, fired, start } = setup();
  start('long', 30);
  for (let i = 0; i < 10_000; i++) start(`x${i}`, 30).cancel();
  const lanes = (q as unknown as { lanes: Map<number, { entries: unknown[] }> }).lanes;
  t.true(lanes.get(30)!.entries.length < 100);
  scheduler.flush();
  t.deepEqual(fired, [['long', 30]]);
});

test('dispose cancels every timer; later starts do nothing', (t) => {
  const { scheduler, q, fired, start } = setup();
  start('a', 4);
  start('b', 8);
  q.dispose();
  start('c', 1);
  scheduler.flush();
  t.deepEqual(fired, []);
  t.is(q.size, 0);
});

test.serial('on the real clock a live timer holds the process and a queue with none does not; a restarted one still fires', async (t) => {
  const q = new TimerQueue(asyncScheduler);
  const before = liveTimers();
  const a = q.start(60_000, () => t.fail('cancelled'));
  t.is(liveTimers(), before + 1);
  a.cancel();
  t.is(liveTimers(), before, 'no live timer: nothing holds the process');
  const fired = new Promise<number>((resolve) => {
    const t0 = Date.now();
    q.start(5, () => resolve(Date.now() - t0));
  });
  t.is(liveTimers(), before + 1);
  t.true((await fired) >= 4, 'not before its time');
  t.is(liveTimers(), before);
});
