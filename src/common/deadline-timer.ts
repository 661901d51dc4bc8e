/**
 * One timer for many deadlines that nearly always end before they are due: a
 * client request's wait ends with its completion, and fails by timing out only
 * when something is broken. The owner keeps the deadlines; this keeps one timer
 * armed for the earliest of them, and when the timer fires the owner's sweep
 * fails what is due and names the next deadline.
 *
 * Its contract: while a deadline is live the timer holds the process (a wait
 * that nothing else keeps alive still fails in time); when none is, no timer
 * holds it (a finished program exits at once).
 *
 * `deadlineTimer(scheduler, sweep)` gives one of two:
 *
 * - on asyncScheduler (the real clock): Node's own timer. Going idle only
 *   unrefs it, and a new deadline refs it again, so waits that come and go
 *   several times a call cycle cost two flag flips each instead of a timer set
 *   and a timer cleared; the timer is re-armed only when it fires (at most once
 *   per timeout length).
 * - on any other RxJS scheduler (virtual time in tests, a stack's injected
 *   clock): its actions. A scheduled action cannot be unref'd, so going
 *   idle drops it: none is left behind.
 */
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';

export interface DeadlineTimer {
  /** the clock the deadlines are on, in ms */
  now(): number;
  /** a deadline at `due` is live: the timer fires at or after it, and holds the process until then */
  need(due: number): void;
  /** no deadline is live: nothing may hold the process */
  idle(): void;
  /**
   * Whether an idle timer stays armed (unref'd) until its last deadline and then calls the sweep once
   * more with nothing due: an owner may keep what it would drop when idle until then (Node's timer:
   * true; a scheduler's action: false, it is dropped at once).
   */
  readonly lingers: boolean;
}

/**
 * What the owner does when the timer fires: fail what is due at `now` and return the earliest deadline
 * still live, which the timer is then armed for and holds the process until (Infinity: none is).
 */
export type DeadlineSweep = (now: number) => number;

class WallDeadlineTimer implements DeadlineTimer {
  readonly lingers = true;
  private timer: NodeJS.Timeout | undefined;
  private at = Infinity;
  private held = false;

  constructor(private readonly sweep: DeadlineSweep) {}

  now(): number {
    return performance.now();
  }

  need(due: number): void {
    if (due < this.at) this.arm(due);
    if (!this.held) {
      this.held = true;
      this.timer!.ref();
    }
  }

  idle(): void {
    if (!this.held) return;
    this.held = false;
    this.timer?.unref();
  }

  private arm(due: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.at = due;
    // Node's timers run on the loop's cached clock and may fire a fraction of a ms before `due` by
    // performance.now(): the sweep then finds nothing due and the timer is armed again for the rest
    this.timer = setTimeout(this.fired, Math.max(1, Math.ceil(due - this.now())));
    if (!this.held) this.timer.unref();
  }

  private readonly fired = (): void => {
    this.timer = undefined;
    this.at = Infinity;
    this.held = false;
    const next = this.sweep(this.now());
    if (next < Infinity) this.need(next);
  };
}

class SchedulerDeadlineTimer implements DeadlineTimer {
  readonly lingers = false;
  private action: Subscription | undefined;
  private at = Infinity;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly sweep: DeadlineSweep,
  ) {}

  now(): number {
    return this.scheduler.now();
  }

  need(due: number): void {
    if (due < this.at) this.arm(due);
  }

  idle(): void {
    this.action?.unsubscribe();
    this.action = undefined;
    this.at = Infinity;
  }

  private arm(due: number): void {
    this.action?.unsubscribe();
    this.at = due;
    this.action = this.scheduler.schedule(() => {
      this.action = undefined;
      this.at = Infinity;
      const next = this.sweep(this.scheduler.now());
      if (next < Infinity) this.arm(next);
    }, Math.max(0, due - this.scheduler.now()));
  }
}

/**
 * The timer for deadlines on `scheduler`'s clock: on asyncScheduler (the real clock, every stack's
 * default) Node's own timer, which can let go of the process while idle; on any other, its actions.
 */
export function deadlineTimer(scheduler: SchedulerLike, sweep: DeadlineSweep): DeadlineTimer {
  return scheduler === asyncScheduler ? new WallDeadlineTimer(sweep) : new SchedulerDeadlineTimer(scheduler, sweep);
}
