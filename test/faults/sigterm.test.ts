/**
 * SIGTERM during busy signalling: condisd on h1 is making, adding and
 * closing calls to h2 and h3 as fast as its control socket takes them when it
 * is told to stop. It exits, the peers see every call released with a normal
 * cause and are back to nothing, and nothing of h1 is left in the kernel (its
 * TAP device) or on disk (its control socket).
 */
import { existsSync } from 'node:fs';
import { rootTest } from '../helpers/root.js';
import { startLab } from '../helpers/lab.js';
import { assertDrained, drained, FAST_TIMERS } from './helpers.js';
import { waitUntil } from '../helpers/wait.js';

rootTest('SIGTERM during busy signalling: clean release, peers back to nothing, no TAP and no socket left', async (t) => {
  const lab = await startLab(t, 3, { timers: FAST_TIMERS, discoveryIntervalMs: 500 });
  const root = lab.d('h1');
  for (const [h, a] of [['h2', '3002'], ['h3', '3003']] as const) await lab.d(h).control.registerSap({ address: a, policy: 'accept' });
  const closes = { h2: [] as string[], h3: [] as string[] };
  for (const h of ['h2', 'h3'] as const) lab.d(h).events$.subscribe((e) => e.kind === 'incoming-close-call' && closes[h].push(e.status.name));

  // a steady set of calls up, then a storm of requests in flight
  for (let i = 0; i < 6; i++) await root.control.makeCall({ called: i % 2 ? '3002' : '3003' });
  const mp = (await root.control.makeCall({ called: '3002', multipoint: true })) as { vc: number };
  await root.control.addParty({ vc: mp.vc, address: '3003' });
  const storm: Promise<unknown>[] = [];
  let stop = false;
  const made = [0, 0, 0, 0];
  for (let w = 0; w < 4; w++) {
    storm.push(
      (async () => {
        while (!stop) {
          const c = (await root.control.makeCall({ called: w % 2 ? '3002' : '3003' })) as { vc: number };
          made[w]!++;
          if (w === 0) await root.control.closeCall({ vc: c.vc, closeData: 'storm' });
        }
      })().catch(() => undefined),
    );
  }
  // the storm is on: every worker has had calls through and is on its next request
  await waitUntil('each storm worker makes three calls', () => made.every((n) => n >= 3), { ms: 30_000, every: 20 });
  const before = (await root.control.counters()) as Record<string, Record<string, number>>;
  t.log(`SIGTERM with ${before.uni!.calls} calls up and requests in flight`);

  stop = true;
  t.true(await root.stop('SIGTERM', 15_000), 'condisd exited after SIGTERM');
  await Promise.all(storm);

  // on the peers: every call released, all with a normal cause, nothing left
  for (const h of ['h2', 'h3'] as const) {
    const c = await drained(lab.d(h));
    assertDrained(t, c, h);
    t.true(closes[h].length > 0, `${h} saw its calls closed`);
    t.deepEqual([...new Set(closes[h])], ['SUCCESS'], `${h}: every close was a normal release`);
  }
  // nothing of h1 in the kernel or on disk
  const h1 = lab.lab.host('h1');
  const tap = await h1.ns.ip(['link', 'show', h1.tap], { allowFail: true });
  t.not(tap.code, 0, `${h1.tap} is gone from ${h1.nsName}`);
  t.false(existsSync(root.socket), 'the control socket file is removed');
  t.regex(root.logTail(5), /stopped/);
});
