/**
 * Many one-shot timers on one RxJS scheduler's clock with one timer under them
 * (src/common/deadline-timer.ts), armed for the earliest live deadline.
 * Protocol timers are started and stopped far more often than they expire
 * (T303 stops at the first answer, T308 at RELEASE COMPLETE): a start appends
 * an entry, a stop marks it dead, and neither touches the timer unless the new
 * deadline is the earliest or the last live timer stops. Then the timer goes
 * idle: nothing holds the process once no protocol timer runs (on the real
 * clock Node's timer is only unref'd, so a link whose timers go from none to
 * one and back every call does not set and clear a timer every call). Works on
 * any SchedulerLike (TestScheduler's virtual time included).
 *
 * Timers with the same delay keep their start order, so each delay has its own
 * queue sorted by due time; the earliest entry is the smallest head. Entries
 * due at the same time fire in the order they were started, as separate
 * scheduler actions would.
 */
import type { SchedulerLike } from 'rxjs';
import { deadlineTimer, type DeadlineTimer } from './deadline-timer.js';

/** a started timer; cancel() before it fires stops it (after, it does nothing) */
export interface QueuedTimer {
  cancel(): void;
}

class Entry implements QueuedTimer {
  live = true;
  constructor(
    readonly lane: Lane,
    readonly due: number,
    readonly seq: number,
    public fire: (() => void) | undefined,
  ) {}
  cancel(): void {
    if (!this.live) return;
    this.live = false;
    this.fire = undefined;
    this.lane.owner.cancelled(this.lane);
  }
}

/** one delay's entries in start order (so also in due order); the first `head` are gone */
interface Lane {
  owner: TimerQueue;
  delay: number;
  entries: Entry[];
  head: number;
  /** cancelled entries at or after head */
  dead: number;
}

export class TimerQueue {
  private readonly lanes = new Map<number, Lane>();
  private seq = 0;
  private liveCount = 0;
  private readonly timer: DeadlineTimer;
  private disposed = false;
  /** run() is firing entries: the timer is armed for what is left when it is done */
  private running = false;

  constructor(scheduler: SchedulerLike) {
    this.timer = deadlineTimer(scheduler, () => this.run());
  }

  /** timers started and not yet fired or cancelled */
  get size(): number {
    return this.liveCount;
  }

  start(delay: number, fire: () => void): QueuedTimer {
    const due = this.timer.now() + delay;
    let lane = this.lanes.get(delay);
    if (!lane) {
      lane = { owner: this, delay, entries: [], head: 0, dead: 0 };
      if (!this.disposed) this.lanes.set(delay, lane);
    }
    const e = new Entry(lane, due, this.seq++, fire);
    if (this.disposed) {
      e.live = false;
      return e;
    }
    lane.entries.push(e);
    this.liveCount++;
    // (an armed timer that comes earlier, or at the same time, will find this entry)
    if (!this.running) this.timer.need(due);
    return e;
  }

  /** cancel every timer and the scheduled action */
  dispose(): void {
    this.disposed = true;
    for (const lane of this.lanes.values()) for (let i = lane.head; i < lane.entries.length; i++) lane.entries[i]!.live = false;
    this.lanes.clear();
    this.liveCount = 0;
    this.timer.idle();
  }

  /**
   * (from Entry.cancel) While other timers run, the scheduled action stays: when it comes it finds
   * the next live entry. With none left it goes too (no scheduled action outlives the last timer).
   */
  cancelled(lane: Lane): void {
    this.liveCount--;
    if (this.liveCount === 0 && !this.running) {
      for (const l of this.lanes.values()) {
        l.entries = [];
        l.head = 0;
        l.dead = 0;
      }
      this.timer.idle();
      return;
    }
    if (this.lanes.get(lane.delay) !== lane) return;
    lane.dead++;
    const es = lane.entries;
    while (lane.head < es.length && !es[lane.head]!.live) {
      lane.head++;
      lane.dead--;
    }
    if (lane.head === es.length) {
      lane.entries = [];
      lane.head = 0;
      lane.dead = 0;
    } else if (lane.dead > 32 && lane.dead * 2 > es.length - lane.head) {
      // a long-lived timer at the head holds many cancelled ones behind it: keep the live ones
      lane.entries = es.slice(lane.head).filter((e) => e.live);
      lane.head = 0;
      lane.dead = 0;
    } else if (lane.head > 64 && lane.head * 2 > es.length) {
      lane.entries = es.slice(lane.head);
      lane.head = 0;
    }
  }

  /** the lane whose head is the earliest live entry */
  private earliest(): Lane | undefined {
    let best: Lane | undefined;
    let bestEntry: Entry | undefined;
    for (const lane of this.lanes.values()) {
      const es = lane.entries;
      while (lane.head < es.length && !es[lane.head]!.live) {
        lane.head++;
        lane.dead--;
      }
      if (lane.head === es.length) continue;
      const h = es[lane.head]!;
      if (!bestEntry || h.due < bestEntry.due || (h.due === bestEntry.due && h.seq < bestEntry.seq)) {
        best = lane;
        bestEntry = h;
      }
    }
    return best;
  }

  /** (the timer's sweep) fire what is due, in order; the earliest due time left */
  private run(): number {
    this.running = true;
    try {
      for (;;) {
        if (this.disposed) return Infinity;
        const lane = this.earliest();
        if (!lane) return Infinity;
        const e = lane.entries[lane.head]!;
        if (e.due > this.timer.now()) return e.due;
        lane.head++;
        e.live = false;
        this.liveCount--;
        const fire = e.fire!;
        e.fire = undefined;
        fire();
      }
    } finally {
      this.running = false;
    }
  }
}
