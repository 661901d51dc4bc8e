/**
 * The host's orderly shutdown waits for its SSCOP links to reach Idle
 * (src/host/shutdown.ts). In virtual time, with stand-in links that go Idle
 * one at a time: the wait ends when the last one does (not at the grace
 * period's end, not before), and each change costs a look at the link that
 * changed, not at every link (thousands of links to peers that never answered
 * made a shutdown quadratic).
 */
import test from 'ava';
import { NEVER, Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { shutdownHost } from '../../src/host/shutdown.js';
import type { SaalLink } from '../../src/sscop/index.js';
import type { UniHost } from '../../src/uni/api.js';

function links(n: number) {
  let looks = 0;
  const all = Array.from({ length: n }, () => {
    let state = 'Outgoing Connection Pending';
    const state$ = new Subject<string>();
    return {
      link: {
        get state() {
          looks++;
          return state;
        },
        established: false,
        state$,
        release() {},
      } as unknown as SaalLink,
      idle() {
        state = 'Idle';
        state$.next(state);
      },
    };
  });
  return { all, looks: () => looks };
}

const noCalls = { snapshot: () => ({ links: [], calls: [] }), counters: () => ({ calls: 0 }), indications$: NEVER, release() {} } as unknown as UniHost;

test('shutdown waits for the last link to reach Idle, looking at each link a bounded number of times', async (t) => {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const n = 3000;
  const l = links(n);
  let finishedAt: number | undefined;
  const done = shutdownHost({ uni: noCalls, links: () => l.all.map((x) => x.link), scheduler, finish: () => (finishedAt = scheduler.frame) }, 60_000).then(() => t.is(finishedAt, scheduler.frame));
  // one link goes Idle per virtual ms, each in a turn of its own (as their timers run out)
  for (let i = 0; i < n; i++) {
    scheduler.maxFrames = i + 1;
    scheduler.flush();
    scheduler.frame = i + 1;
    l.all[i]!.idle();
    await Promise.resolve();
    await Promise.resolve();
    if (i < n - 1) t.is(finishedAt, undefined, `finished with ${n - 1 - i} links not Idle`);
  }
  await done;
  t.is(finishedAt, n, 'finished when the last link went Idle, long before the grace period ends');
  t.true(l.looks() <= 4 * n, `${l.looks()} looks at ${n} links' states`);
});
