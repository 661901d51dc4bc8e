/**
 * The host's orderly shutdown: every call released with a normal cause, every
 * SSCOP association ended (END / ENDAK), a farewell announcement (hold time
 * 0), then everything disposed. The waits are on events, not on a poll: the
 * UNI's indications while calls are left, the SAAL links' state changes while
 * a link is not Idle, each bounded by the grace period on the host's
 * scheduler.
 */
import { merge, tap, type SchedulerLike } from 'rxjs';
import { settle } from '../common/settle.js';
import type { SaalLink } from '../sscop/index.js';
import type { UniHost } from '../uni/api.js';

export interface ShutdownParts {
  uni: UniHost;
  links(): SaalLink[];
  scheduler: SchedulerLike;
  /** after the waits: the farewell announcement and every dispose */
  finish(): void;
}

/** the steps of an orderly shutdown, each wait at most until `graceMs` after the start */
export async function shutdownHost(p: ShutdownParts, graceMs: number): Promise<void> {
  const { uni, scheduler } = p;
  const deadline = scheduler.now() + graceMs;
  for (const c of uni.snapshot().calls) uni.release(c.call, { cause: 16 });
  const noCalls = settle(() => uni.counters().calls === 0, uni.indications$, deadline - scheduler.now(), scheduler);
  if (noCalls) await noCalls;
  for (const l of p.links()) if (l.established) l.release();
  // the links not Idle yet, each crossed off on its own state change (a look at them all per change was O(links^2))
  const busy = new Set(p.links().filter((l) => l.state !== 'Idle'));
  const crossOff = (l: SaalLink) => l.state$.pipe(tap(() => l.state === 'Idle' && busy.delete(l)));
  const idle = settle(() => busy.size === 0, merge(...[...busy].map(crossOff)), deadline - scheduler.now(), scheduler);
  if (idle) await idle;
  p.finish();
}
