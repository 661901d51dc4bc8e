/**
 * Waiting for a condition without polling: re-check it when something that
 * can change it happens (an Observable of changes), give up after a time on
 * the caller's scheduler. Used by the orderly shutdowns (host, switch port),
 * which wait for calls to clear and SSCOP links to reach Idle.
 */
import { map, merge, timer, type Observable, type SchedulerLike, type Subscription } from 'rxjs';

const TIMEOUT: unique symbol = Symbol('timeout');

/**
 * Resolves once `done()` holds, checked now and after each emission of
 * `changes$` (once what caused it has run: on the next microtask), or once
 * `ms` have passed on `scheduler`. Undefined when there is nothing to wait
 * for (`done()` already, or no time left): the caller goes on synchronously.
 */
export function settle(done: () => boolean, changes$: Observable<unknown>, ms: number, scheduler: SchedulerLike): Promise<void> | undefined {
  if (done() || ms <= 0) return undefined;
  return new Promise<void>((resolve) => {
    let checking = false;
    let finished = false;
    let sub: Subscription | undefined;
    const finish = (): void => {
      finished = true;
      sub?.unsubscribe();
      resolve();
    };
    // (a change is never judged inside the step that made it: the check runs once that step is over)
    const check = (): void => {
      checking = false;
      if (!finished && done()) finish();
    };
    sub = merge(changes$, timer(ms, scheduler).pipe(map(() => TIMEOUT))).subscribe((v) => {
      if (v === TIMEOUT) return finish();
      if (checking) return;
      checking = true;
      queueMicrotask(check);
    });
    if (finished) sub.unsubscribe();
  });
}
