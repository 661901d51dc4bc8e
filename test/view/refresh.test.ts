/**
 * When the live view asks a host for its tables again (src/view/refresh.ts),
 * in virtual time, run a millisecond at a time: an ask "takes" as long as
 * the virtual clock runs until it resolves.
 */
import test from 'ava';
import { VirtualTimeScheduler } from 'rxjs';
import { TablesRefresh } from '../../src/view/refresh.js';

/** a refresh whose every ask takes `askMs` of virtual time; the times each ask started and the most in flight at once */
function rig(askMs: number, watched = () => true) {
  const scheduler = new VirtualTimeScheduler();
  const asks: number[] = [];
  let inFlight = 0;
  let most = 0;
  const refresh = new TablesRefresh(
    () => {
      asks.push(scheduler.now());
      most = Math.max(most, ++inFlight);
      return new Promise<void>((resolve) => scheduler.schedule(() => (inFlight--, resolve()), askMs));
    },
    watched,
    { everyMs: 30, spacing: 4, scheduler },
  );
  /**
   * run the virtual clock to `until`, one millisecond at a time, with the promise callbacks of each
   * millisecond (an ask's end) run before the next
   */
  let clock = 0;
  const settle = async (until = clock + 1000) => {
    for (; clock <= until; clock++) {
      scheduler.maxFrames = clock;
      scheduler.flush();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { scheduler, asks, refresh, settle, most: () => most };
}

test('nothing is asked while no page watches; the first change after one does asks, everyMs later', async (t) => {
  let watching = false;
  const r = rig(10, () => watching);
  for (let i = 0; i < 100; i++) r.refresh.changed();
  await r.settle();
  t.deepEqual(r.asks, []);
  watching = true;
  const at = r.scheduler.now();
  r.refresh.changed();
  r.refresh.changed();
  await r.settle();
  t.deepEqual(r.asks, [at + 30], 'changes before the ask ride along with it');
});

test('one ask at a time; changes during it ask once more, spaced by what the last one took', async (t) => {
  const r = rig(100);
  r.refresh.changed(); // t=0: asks at 30, done at 130
  // changes while the first ask is in flight (t=50, 60, 120): one more ask, at 130 + 4 * 100
  for (const when of [50, 60, 120]) r.scheduler.schedule(() => r.refresh.changed(), when);
  await r.settle();
  t.deepEqual(r.asks, [30, 530]);
  t.is(r.most(), 1);
  // no change after the last ask began: nothing more
  await r.settle();
  t.is(r.asks.length, 2);
});

test('a quick host is asked everyMs after each change; a slow one no more than one part in five of the time', async (t) => {
  const quick = rig(2);
  for (let k = 0; k < 5; k++) quick.scheduler.schedule(() => quick.refresh.changed(), k * 100);
  await quick.settle();
  t.deepEqual(quick.asks, [30, 130, 230, 330, 430]);

  // a change every 10 ms for 5 s on a host whose tables take 200 ms
  const slow = rig(200);
  for (let k = 0; k < 500; k++) slow.scheduler.schedule(() => slow.refresh.changed(), k * 10);
  await slow.settle(6000);
  // each ask waits 4 x 200 ms after the one before ended: busy 200 ms of every 1,000 at most
  const gaps = slow.asks.slice(1).map((at, i) => at - (slow.asks[i]! + 200));
  t.true(gaps.length >= 4 && gaps.every((g) => g >= 800), `gaps ${gaps.join(', ')}`);
  t.is(slow.most(), 1);
  t.true(slow.asks.at(-1)! + 200 >= 4990, 'the last change is followed by an ask');
});

test('dispose: a pending ask does not happen, and later changes ask nothing', async (t) => {
  const r = rig(10);
  r.refresh.changed();
  r.refresh.dispose();
  r.refresh.changed();
  await r.settle();
  t.deepEqual(r.asks, []);
});
