/**
 * `laterScheduler`: the stack's own "later turn", for work that must not run
 * inside the call that asked for it: CoNDIS completions and indications (R5),
 * the call manager's answers, the memory wire's deliveries.
 *
 * It keeps RxJS's asapScheduler's order: zero-delay actions run in a
 * microtask, first scheduled first run; a run takes the actions that were
 * queued when it began, and what they schedule runs in the next microtask.
 * That is a RunQueue on later turns whose turns are microtasks.
 * It costs less per action: one small action object, one `queueMicrotask`
 * per batch, where asap makes an AsyncAction per action and, per batch, a
 * promise reaction and an entry in a handle table that it deletes again.
 * Those were about a seventh of what a call cycle allocated.
 *
 * Delayed actions go to asyncScheduler. An action that throws does not keep
 * the rest of its batch from running (they are other components' work); its
 * error is thrown again from a microtask of its own, so it reaches the
 * process as an uncaught exception, as it did from asap.
 */
import { asyncScheduler, Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { RunQueue, type PostingScheduler } from './run-queue.js';

export { runLater } from './run-queue.js';

class LaterAction<T> extends Subscription {
  constructor(
    readonly work: (this: SchedulerAction<T>, state?: T) => void,
    readonly state: T | undefined,
  ) {
    super();
  }

  /** what an RxJS action offers its work: schedule the same work again */
  schedule(state?: T, delay?: number): Subscription {
    return laterScheduler.schedule(this.work, delay, state);
  }
}

/** an action, or the plain function of a caller that never cancels (`runLater`) */
type Queued = LaterAction<unknown> | (() => void);

/** one turn per microtask (only the queue below asks, and never with a delay) */
const microtaskTurns: SchedulerLike = {
  now: () => asyncScheduler.now(),
  schedule(work) {
    queueMicrotask(work as () => void);
    return Subscription.EMPTY;
  },
};

const queue = new RunQueue<Queued>(
  (a) => {
    try {
      if (typeof a === 'function') a();
      else if (!a.closed) a.work.call(a as unknown as SchedulerAction<unknown>, a.state);
    } catch (e) {
      queueMicrotask(() => {
        throw e;
      });
    }
  },
  { scheduler: microtaskTurns },
);

export const laterScheduler: PostingScheduler = {
  now: () => asyncScheduler.now(),
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    if (delay > 0) return asyncScheduler.schedule(work, delay, state);
    const a = new LaterAction<T>(work, state);
    queue.post(a as LaterAction<unknown>);
    return a;
  },
  post(fn: () => void): void {
    queue.post(fn);
  },
};
