/**
 * Test support for uni/: a virtual clock, a perfect in-memory SAAL pair, and
 * two or more UniHosts wired together.
 */
import { Subject, VirtualAction, VirtualTimeScheduler, type Subscription } from 'rxjs';
import type { SaalService, SaalSignal } from '../../src/sscop/service.js';
import { createUniHost, type Host, type UniHostConfig } from '../../src/uni/host.js';
import type { UniIndication } from '../../src/uni/api.js';
import { decodeMessage } from '../../src/uni/msg/index.js';
import type { UniMessage } from '../../src/uni/msg/types.js';

export class Clock {
  readonly scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  get now(): number {
    return this.scheduler.frame;
  }
  /** run everything due in the next `ms` virtual milliseconds */
  advance(ms: number): void {
    const target = this.scheduler.frame + ms;
    this.scheduler.maxFrames = target;
    this.scheduler.flush();
    this.scheduler.frame = target;
    this.scheduler.maxFrames = Infinity;
  }
  /** actions still scheduled (timers, deliveries) */
  get pending(): number {
    return (this.scheduler as unknown as { actions: unknown[] }).actions.length;
  }
}

/** One end of a perfect in-memory SAAL: assured data arrives once, in order, after `delay` ms. */
export class MemSaal implements SaalService {
  readonly signals = new Subject<SaalSignal>();
  readonly signals$ = this.signals.asObservable();
  established: boolean;
  peer!: MemSaal;
  /** every SDU this end sent, decoded, for assertions */
  readonly sent: UniMessage[] = [];
  /** drop instead of deliver (a test's scalpel) */
  filter?: (m: UniMessage) => boolean;
  private queue: Buffer[] = [];
  constructor(
    private readonly clock: Clock,
    private readonly delay: number,
    up: boolean,
  ) {
    this.established = up;
  }
  /** while set (cut()), the link cannot come up: an attempt fails after `attemptMs`, as SSCOP's MaxCC x Timer_CC would */
  blocked = false;
  attemptMs = 400;
  private attempting = false;
  establish(): void {
    if (this.established) return;
    if (this.blocked) {
      if (this.attempting) return;
      this.attempting = true;
      this.clock.scheduler.schedule(() => {
        this.attempting = false;
        if (this.established) return;
        if (this.blocked) this.signals.next({ kind: 'release-indication', reason: 'max-cc: no answer to BGN' });
        else this.establish();
      }, this.attemptMs);
      return;
    }
    this.clock.scheduler.schedule(() => {
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
    const copy = Buffer.from(sdu);
    if (!this.established) {
      this.queue.push(copy);
      return;
    }
    const d = decodeMessage(copy);
    if (d.ok) {
      this.sent.push(d.value);
      if (this.filter && !this.filter(d.value)) return;
    }
    this.clock.scheduler.schedule(() => {
      if (this.peer.established) this.peer.signals.next({ kind: 'data-indication', data: copy });
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

export function saalPair(clock: Clock, delay = 1, up = true): [MemSaal, MemSaal] {
  const a = new MemSaal(clock, delay, up);
  const b = new MemSaal(clock, delay, up);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export interface TestHost {
  host: Host;
  mac: string;
  ind: UniIndication[];
  sub: Subscription;
  /** indications of one kind */
  of<K extends UniIndication['kind']>(k: K): Extract<UniIndication, { kind: K }>[];
}

export function makeHost(clock: Clock, mac: string, own: string[], routes: Record<string, string>, extra: Partial<UniHostConfig> = {}): TestHost {
  const host = createUniHost({ resolve: (a) => routes[a], ownAddresses: own, scheduler: clock.scheduler, ...extra });
  const ind: UniIndication[] = [];
  const sub = host.indications$.subscribe((i) => ind.push(i));
  return {
    host,
    mac,
    ind,
    sub,
    of: (k) => ind.filter((i) => i.kind === k) as never,
  };
}

/** wire two hosts with a perfect SAAL; the lower MAC is the network side */
export function link(clock: Clock, a: TestHost, b: TestHost, delay = 1): [MemSaal, MemSaal] {
  const [sa, sb] = saalPair(clock, delay);
  const aNet = a.mac < b.mac;
  a.host.attachLink(b.mac, sa, aNet ? 'network' : 'user');
  b.host.attachLink(a.mac, sb, aNet ? 'user' : 'network');
  return [sa, sb];
}

export const MAC_A = '02:00:00:00:00:01';
export const MAC_B = '02:00:00:00:00:02';
export const MAC_C = '02:00:00:00:00:03';
export const MAC_D = '02:00:00:00:00:04';

/** nothing left anywhere: calls, parties, timers */
export function idle(...hs: TestHost[]): boolean {
  return hs.every((h) => {
    const c = h.host.counters();
    return c.calls === 0 && c.parties === 0 && c.timers === 0 && h.host.linkCallCount() === 0;
  });
}

/**
 * A scheduler whose timers never fire on their own (for scale tests, where a
 * sorted virtual queue would cost more than the code under test); it counts
 * what is scheduled and not yet cancelled.
 */
export class FrozenScheduler {
  readonly live = new Set<object>();
  now(): number {
    return 0;
  }
  schedule(): Subscription {
    const token = {};
    this.live.add(token);
    const live = this.live;
    return { closed: false, unsubscribe: () => void live.delete(token) } as unknown as Subscription;
  }
}
