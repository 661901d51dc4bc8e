/**
 * Leaks, the small version of `npm run leaks` (100,000 cycles): a few hundred
 * mixed call cycles (point-to-point and multipoint, with incoming drop party,
 * drop party and close with close data) through the daemon's own CoNDIS
 * client, then every counter is back to zero, no request is in progress, and
 * no timer is left beyond the steady ones (SSCOP keep-alive, discovery) that
 * were there before the first call.
 */
import test from 'ava';
import { cycle, settled, startBench } from './cycles.js';
import { liveTimers } from '../helpers/timers.js';

for (const completion of ['pending', 'sync'] as const) {
  test(`mixed call cycles leave no call, party, VC, path, queued SDU, request or timer behind (${completion})`, async (t) => {
    const bench = await startBench({ callManager: { shape: 'mcm', completion } });
    t.teardown(() => bench.close());
    // warm up, then take the steady state as the baseline
    for (let i = 0; i < 6; i++) await cycle(bench, i);
    t.deepEqual(await settled(bench), []);
    const timers0 = liveTimers();

    const cycles = 240;
    for (let i = 6; i < 6 + cycles; i++) await cycle(bench, i);
    t.deepEqual(await settled(bench), [], 'everything back to zero');
    for (const n of bench.nodes) {
      t.like(n.ndis.counters(), { vcs: 0, parties: 0, sendsOutstanding: 0, receivesOutstanding: 0 });
      t.like(n.uni.counters(), { calls: 0, parties: 0, timers: 0 });
    }
    // timers: a completion waiter armed for a request that finished at once must not outlive it
    let timers = liveTimers();
    for (let i = 0; i < 100 && timers > timers0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      timers = liveTimers();
    }
    t.true(timers <= timers0, `live timers ${timers}, baseline ${timers0}`);
  });
}
