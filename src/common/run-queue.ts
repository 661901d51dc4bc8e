/**
 * Run to completion: one queue of work for a component whose handlers may
 * call back into it (a link that loops a PDU straight back, a subscriber that
 * answers an indication at once). Every such queue in the stack is one of
 * these; docs/architecture.md ("Run queues") lists who uses which kind.
 *
 * A queue runs in one of two ways, chosen when it is made:
 *
 * - **now** (no scheduler): the outermost `post` runs the queue there and
 *   then. The SAAL link's inbox, call control's indications, the switch.
 * - **on later turns** (`{ scheduler }`): a `post` never runs anything; the
 *   queue asks the scheduler for one turn and runs there. NDIS's completions
 *   and indications, which CoNDIS hands to a client after the request that
 *   caused them has returned.
 *
 * The ordering rule, for both:
 *
 * 1. Items run one at a time, never nested: an item posted while another runs
 *    does not start until that one has returned.
 * 2. Items run in the order they were posted (first in, first out), whoever
 *    posted them: the outside world, or a running item and the code it calls.
 * 3. Now: the outermost `post` drains: it returns only when the queue is
 *    empty, so when a caller's `post` returns, its item and everything it
 *    caused that went through this queue has run.
 *    On later turns: a turn runs the items that were queued when it began,
 *    then calls `afterTurn`; an item posted during a turn runs on the next
 *    turn (one scheduler action per turn, not per item).
 * 4. After `close()`, posts are ignored and a drain in progress stops after
 *    the current item; what was still queued is dropped.
 * 5. If an item throws, the items queued behind it (now) or behind it in its
 *    turn (later) are dropped, the queue is ready for the next post, and the
 *    exception goes to the outermost caller (now) or the scheduler (later).
 * 6. Now: `hold(fn)` runs `fn` as if it were an item being run: items it
 *    posts wait until it has returned and then drain as in rule 3 (even if
 *    it threw: what it posted before throwing still runs, then the exception
 *    goes on). Inside a running item, `hold(fn)` simply calls `fn`: it is
 *    part of that item's work.
 *
 * Nothing allocates per item beyond the item itself.
 */
import type { SchedulerLike } from 'rxjs';

export interface RunQueueTurns {
  /** where turns run (a virtual-time scheduler in tests) */
  scheduler: SchedulerLike;
  /** called at the end of each turn that ran to its end */
  afterTurn?: () => void;
}

/**
 * A scheduler that also takes work nobody cancels as a plain function, with no action object
 * (laterScheduler, src/common/later-scheduler.ts, is one).
 */
export interface PostingScheduler extends SchedulerLike {
  post(fn: () => void): void;
}

/**
 * Run `fn` on `scheduler`'s next turn, for a caller that never cancels: a PostingScheduler takes
 * it as it is; any other scheduler (a test's virtual time) gets an ordinary `schedule(fn)`.
 */
export function runLater(scheduler: SchedulerLike, fn: () => void): void {
  if ('post' in scheduler) (scheduler as PostingScheduler).post(fn);
  else scheduler.schedule(fn);
}

/** the most slots a queue's array keeps between drains */
const KEEP_AT_MOST = 256;

export class RunQueue<T> {
  // The arrays keep their backing store between drains: `items` holds `count` items from `head`
  // on, and a slot is set to undefined once its item runs (an array emptied with `length = 0`
  // would give its store back, to be allocated again by the next post). A store a burst made
  // large goes once the burst has run (KEEP_AT_MOST slots), so no queue holds on to one.
  private items: T[] = [];
  private count = 0;
  /** on later turns: the array the next turn's items go to while this turn runs `items` */
  private spare: T[] = [];
  private head = 0;
  private draining = false;
  private scheduled = false;
  private closed = false;
  private readonly turnAction?: () => void;

  /** `run` handles one item; with `turns`, the queue runs on later scheduler turns instead of at once */
  constructor(
    private readonly run: (item: T) => void,
    private readonly turns?: RunQueueTurns,
  ) {
    if (turns) this.turnAction = () => this.turn();
  }

  /** true while an item runs (now: a drain or a hold is in progress; later: a turn is running) */
  get running(): boolean {
    return this.draining;
  }

  /** items waiting to run (on later turns: for the turn that is scheduled) */
  get size(): number {
    return this.count - this.head;
  }

  /** queue `item`; now: when nothing runs, run it and everything queued behind it before returning */
  post(item: T): void {
    if (this.closed) return;
    this.items[this.count++] = item;
    if (this.turnAction) {
      if (!this.scheduled) {
        this.scheduled = true;
        runLater(this.turns!.scheduler, this.turnAction);
      }
      return;
    }
    if (this.draining) return;
    this.draining = true;
    this.drain();
  }

  /** now: run `fn` as an item would run, then drain what it posted (rule 6); returns what `fn` returns */
  hold<R>(fn: () => R): R {
    if (this.turnAction) throw new Error('RunQueue.hold: a queue that runs on later turns cannot hold');
    if (this.draining) return fn();
    this.draining = true;
    try {
      return fn();
    } finally {
      this.drain();
    }
  }

  /** ignore every later post; a drain in progress stops after the current item */
  close(): void {
    this.closed = true;
  }

  /** run every queued item (draining is already set); always leaves the queue empty and idle */
  private drain(): void {
    try {
      const items = this.items;
      while (this.head < this.count && !this.closed) {
        const next = items[this.head]!;
        items[this.head++] = undefined as T;
        this.run(next);
      }
    } finally {
      // what a throw or close() left behind is dropped (rules 4 and 5)
      if (this.items.length > KEEP_AT_MOST) this.items = [];
      else if (this.head < this.count) this.items.fill(undefined as T, this.head, this.count); // (only after a throw or close: Array#fill is a call into C++ even for nothing)
      this.count = 0;
      this.head = 0;
      this.draining = false;
    }
  }

  /** one scheduler turn: the items queued before it began; what they post goes to the next turn */
  private turn(): void {
    this.scheduled = false;
    const batch = this.items;
    const n = this.count;
    this.items = this.spare;
    this.count = 0;
    this.draining = true;
    let i = 0;
    try {
      for (; i < n && !this.closed; i++) {
        const next = batch[i]!;
        batch[i] = undefined as T;
        this.run(next);
      }
    } finally {
      if (batch.length > KEEP_AT_MOST) this.spare = [];
      else {
        if (i < n) batch.fill(undefined as T, i, n); // (as in drain: only after a throw or close)
        this.spare = batch;
      }
      this.draining = false;
    }
    if (!this.closed) this.turns!.afterTurn?.();
  }
}
