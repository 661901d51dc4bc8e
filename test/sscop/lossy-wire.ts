/**
 * Test (and bench) helpers for SSCOP: a virtual clock that is an RxJS
 * SchedulerLike backed by a binary heap (so tens of thousands of frames in
 * flight stay cheap), a seeded PRNG, and a deterministic in-memory wire that
 * loses, duplicates and reorders frames.
 */
import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

import { seededRandom as prng } from '../../src/common/random.js';
export { prng };

type Entry = { time: number; seq: number; action: ClockAction<any>; state: unknown };

class ClockAction<T> extends Subscription implements SchedulerAction<T> {
  constructor(
    private readonly clock: VirtualClock,
    readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super();
  }
  schedule(state?: T, delay = 0): Subscription {
    if (!this.closed) this.clock.enqueue(this, state, delay);
    return this;
  }
}

/** Virtual time in milliseconds; nothing happens until `run*` is called. */
export class VirtualClock implements SchedulerLike {
  private t = 0;
  private seq = 0;
  private heap: Entry[] = [];
  /** actions run so far */
  executed = 0;

  now(): number {
    return this.t;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const a = new ClockAction<T>(this, work);
    this.enqueue(a, state, delay);
    return a;
  }

  /** run `fn` after `delay` ms (a plain callback, for wires) */
  after(delay: number, fn: () => void): void {
    this.schedule(() => fn(), delay);
  }

  enqueue(action: ClockAction<any>, state: unknown, delay: number): void {
    const e: Entry = { time: this.t + Math.max(0, delay), seq: this.seq++, action, state };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, e)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && less(h[r]!, h[l]!) ? r : l;
        if (less(last, h[c]!)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  /** the time of the next pending action (cancelled ones included), or undefined */
  peek(): number | undefined {
    return this.heap[0]?.time;
  }

  /** pending, not cancelled actions */
  pending(): number {
    return this.heap.filter((e) => !e.action.closed).length;
  }

  /** run every action due at or before `until`, then set the clock to `until` */
  runUntil(until: number): void {
    for (;;) {
      const next = this.heap[0];
      if (!next || next.time > until) break;
      this.pop();
      if (next.action.closed) continue;
      this.t = next.time;
      this.executed++;
      next.action.work.call(next.action, next.state);
    }
    if (until > this.t) this.t = until;
  }

  /** run until `done()` holds (checked after every action) or `limit` ms of virtual time; true if done */
  runWhileNot(done: () => boolean, limit: number): boolean {
    while (!done()) {
      const next = this.heap[0];
      if (!next || next.time > limit) return done();
      this.pop();
      if (next.action.closed) continue;
      this.t = next.time;
      this.executed++;
      next.action.work.call(next.action, next.state);
    }
    return true;
  }

  advance(ms: number): void {
    this.runUntil(this.t + ms);
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

export interface WireOptions {
  seed: number;
  /** probability a frame is lost */
  loss?: number;
  /** probability a (surviving) frame is delivered twice */
  duplicate?: number;
  /** base one-way delay, ms */
  delay?: number;
  /** uniform extra delay 0..jitter ms per copy: frames overtake each other */
  jitter?: number;
}

export interface WireStats {
  sent: number;
  lost: number;
  duplicated: number;
  delivered: number;
  /** deliveries that overtook a frame sent earlier in the same direction */
  reordered: number;
}

/**
 * A deterministic lossy wire: `port(() => receiver)` gives a send function
 * that delivers to the receiver after a delay, or loses, or duplicates. A
 * `cut` wire loses everything (a peer gone silent).
 */
export class LossyWire {
  readonly stats: WireStats = { sent: 0, lost: 0, duplicated: 0, delivered: 0, reordered: 0 };
  private readonly rnd: () => number;
  cut = false;
  constructor(
    private readonly clock: VirtualClock,
    private readonly opts: WireOptions,
  ) {
    this.rnd = prng(opts.seed);
  }

  port(receiver: () => { receive(pdu: Buffer): void }): (pdu: Buffer) => void {
    const { loss = 0, duplicate = 0, delay = 1, jitter = 0 } = this.opts;
    let seq = 0;
    let highest = -1;
    return (pdu) => {
      const mine = seq++;
      this.stats.sent++;
      if (this.cut || this.rnd() < loss) {
        this.stats.lost++;
        return;
      }
      const copies = this.rnd() < duplicate ? 2 : 1;
      if (copies === 2) this.stats.duplicated++;
      for (let i = 0; i < copies; i++) {
        const d = delay + this.rnd() * jitter;
        this.clock.after(d, () => {
          if (this.cut) return;
          this.stats.delivered++;
          if (mine < highest) this.stats.reordered++;
          else highest = mine;
          receiver().receive(pdu);
        });
      }
    };
  }
}
