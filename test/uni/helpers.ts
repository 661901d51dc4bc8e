/**
 * Test support for uni/: a virtual clock, a perfect in-memory SAAL pair, and
 * two or more UniHosts wired together.
 */
import { VirtualAction, VirtualTimeScheduler, type Subscription } from 'rxjs';
import { joinLoopback, LoopbackSaal } from '../../src/sscop/loopback.js';
import { createCallControl, type CallControl, type CallControlConfig } from '../../src/callcontrol/index.js';
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
  /** the virtual time the earliest scheduled action is due at (undefined: nothing scheduled) */
  get nextDue(): number | undefined {
    return (this.scheduler as unknown as { actions: { delay: number }[] }).actions[0]?.delay;
  }
}

/** One end of a perfect in-memory SAAL (src/sscop/loopback.ts) that also keeps every Q.2931 message it sent. */
export class MemSaal extends LoopbackSaal {
  declare peer: MemSaal;
  /** every SDU this end sent, decoded, for assertions */
  readonly sent: UniMessage[] = [];
  /** drop instead of deliver (a test's scalpel) */
  filter?: (m: UniMessage) => boolean;
  constructor(clock: Clock, delay: number, up: boolean) {
    super(clock.scheduler, { delay, up });
    this.onSend = (sdu) => {
      const d = decodeMessage(sdu);
      if (!d.ok) return true;
      this.sent.push(d.value);
      return !this.filter || this.filter(d.value);
    };
  }
}

export function saalPair(clock: Clock, delay = 1, up = true): [MemSaal, MemSaal] {
  return joinLoopback(new MemSaal(clock, delay, up), new MemSaal(clock, delay, up));
}

export interface TestHost {
  host: CallControl;
  mac: string;
  ind: UniIndication[];
  sub: Subscription;
  /** indications of one kind */
  of<K extends UniIndication['kind']>(k: K): Extract<UniIndication, { kind: K }>[];
}

export function makeHost(clock: Clock, mac: string, own: string[], routes: Record<string, string>, extra: Partial<CallControlConfig> = {}): TestHost {
  const host = createCallControl({ resolve: (a) => routes[a], ownAddresses: own, scheduler: clock.scheduler, ...extra });
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
