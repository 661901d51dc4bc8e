/**
 * A perfect SAAL in memory: two ends of a `SaalService` joined back to back, for
 * unit tests of the layers above SSCOP and for the benchmarks. Assured data
 * arrives once and in order, `delay` after it was sent; nothing is lost unless
 * a test says so (`onSend`, `cut`). No SSCOP runs: this stands in for the whole
 * of sscop/ + SSCF when what is under test is call control.
 *
 * Deliveries go through a `LoopbackDelivery`: an RxJS scheduler (virtual time in
 * tests), or a `LoopbackPump` that keeps them in one queue until `run()` (no
 * timers, no recursion: the benchmarks and scale tests use it).
 */
import { Subject } from 'rxjs';
import type { SaalService, SaalSignal } from './service.js';

/** Where deliveries and establishment attempts are scheduled (an RxJS SchedulerLike fits). */
export interface LoopbackDelivery {
  schedule(work: () => void, delay?: number): unknown;
}

/** A delivery queue drained by `run()`; delays are ignored (everything is due at the next run). */
export class LoopbackPump implements LoopbackDelivery {
  private readonly q: (() => void)[] = [];
  schedule(work: () => void): void {
    this.q.push(work);
  }
  /** run what is queued, including what the deliveries queue meanwhile */
  run(): void {
    const q = this.q;
    for (let i = 0; i < q.length; i++) q[i]!();
    q.length = 0;
  }
}

export interface LoopbackOptions {
  /** ms from send to delivery, and for establishment (default 1) */
  delay?: number;
  /** both ends start established (default true) */
  up?: boolean;
  /** copy each SDU when it is sent, so the sender may reuse its buffer (default true) */
  copy?: boolean;
}

/** One end of a loopback SAAL. */
export class LoopbackSaal implements SaalService {
  readonly signals = new Subject<SaalSignal>();
  readonly signals$ = this.signals.asObservable();
  established: boolean;
  peer!: LoopbackSaal;
  /** while set (cut()), the link cannot come up: an attempt fails after `attemptMs`, as SSCOP's MaxCC x Timer_CC would */
  blocked = false;
  attemptMs = 400;
  /** sees every assured SDU sent while established; returning false drops it (a test's scalpel) */
  onSend?: (sdu: Buffer) => boolean;
  private queue: Buffer[] = [];
  private attempting = false;
  private readonly delay: number;
  private readonly copy: boolean;

  constructor(
    private readonly delivery: LoopbackDelivery,
    opts: LoopbackOptions = {},
  ) {
    this.delay = opts.delay ?? 1;
    this.established = opts.up ?? true;
    this.copy = opts.copy ?? true;
  }

  establish(): void {
    if (this.established) return;
    if (this.blocked) {
      if (this.attempting) return;
      this.attempting = true;
      this.delivery.schedule(() => {
        this.attempting = false;
        if (this.established) return;
        if (this.blocked) this.signals.next({ kind: 'release-indication', reason: 'max-cc: no answer to BGN' });
        else this.establish();
      }, this.attemptMs);
      return;
    }
    this.delivery.schedule(() => {
      // (the peer may have brought the link up meanwhile: then only what waited here goes out)
      if (!this.established) {
        this.established = true;
        this.peer.established = true;
        this.signals.next({ kind: 'establish-confirm' });
        this.peer.signals.next({ kind: 'establish-indication' });
      }
      const q = this.queue;
      this.queue = [];
      for (const b of q) this.data(b);
    }, this.delay);
  }

  /** the link dies under both ends and cannot be re-established until restore() */
  cut(reason = 'link lost'): void {
    this.blocked = this.peer.blocked = true;
    this.lose(reason);
  }

  restore(): void {
    this.blocked = this.peer.blocked = false;
  }

  release(): void {
    if (!this.established) return;
    this.established = false;
    this.peer.established = false;
    this.signals.next({ kind: 'release-confirm' });
    this.peer.signals.next({ kind: 'release-indication', reason: 'peer released' });
  }

  /** the link dies under both ends */
  lose(reason = 'link lost'): void {
    this.established = false;
    this.peer.established = false;
    this.signals.next({ kind: 'release-indication', reason });
    this.peer.signals.next({ kind: 'release-indication', reason });
  }

  data(sdu: Buffer): void {
    const copy = this.copy ? Buffer.from(sdu) : sdu;
    if (!this.established) {
      this.queue.push(copy);
      return;
    }
    if (this.onSend && !this.onSend(copy)) return;
    const peer = this.peer;
    this.delivery.schedule(() => {
      if (peer.established) peer.signals.next({ kind: 'data-indication', data: copy });
    }, this.delay);
  }

  unitdata(sdu: Buffer): void {
    this.data(sdu);
  }

  /** inject raw bytes as if the peer had sent them */
  inject(buf: Buffer): void {
    this.signals.next({ kind: 'data-indication', data: buf });
  }
}

/** Join two ends. */
export function joinLoopback<T extends LoopbackSaal>(a: T, b: T): [T, T] {
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Two joined ends of a loopback SAAL. */
export function loopbackSaalPair(delivery: LoopbackDelivery, opts: LoopbackOptions = {}): [LoopbackSaal, LoopbackSaal] {
  return joinLoopback(new LoopbackSaal(delivery, opts), new LoopbackSaal(delivery, opts));
}
