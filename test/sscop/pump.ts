/**
 * Drives two pure SSCOP machines against each other without any clock:
 * `send` effects go into a FIFO wire that `run()` delivers (optionally
 * dropping or rewriting PDUs), timers are only recorded (tests fire them with
 * `fire()`), and everything each end did is logged.
 */
import {
  initialSscopState,
  sscopStep,
  type SscopEffect,
  type SscopEvent,
  type SscopParams,
  type SscopPdu,
  type SscopSignal,
  type SscopState,
  type SscopTimer,
  type MaaErrorCode,
} from '../../src/sscop/index.js';

export type Side = 'a' | 'b';

export class End {
  s: SscopState;
  effects: SscopEffect[] = [];
  /** answer establish / resync / recover indications as SSCF-UNI would */
  autoRespond = true;
  constructor(
    readonly side: Side,
    params: Partial<SscopParams> = {},
  ) {
    this.s = initialSscopState(params);
  }
  get signals(): SscopSignal[] {
    return this.effects.flatMap((e) => (e.kind === 'signal' ? [e.signal] : []));
  }
  get sent(): SscopPdu[] {
    return this.effects.flatMap((e) => (e.kind === 'send' ? [e.pdu] : []));
  }
  get maa(): string[] {
    return this.effects.flatMap((e) => (e.kind === 'maa-error' ? [e.count === undefined ? e.code : `${e.code}${e.count}`] : []));
  }
  maaCodes(): MaaErrorCode[] {
    return this.effects.flatMap((e) => (e.kind === 'maa-error' ? [e.code] : []));
  }
  delivered(): string[] {
    return this.signals.flatMap((s) => (s.kind === 'AA-DATA.indication' ? [s.data.toString()] : []));
  }
  clear(): void {
    this.effects = [];
  }
}

export class Pump {
  readonly a: End;
  readonly b: End;
  /** PDUs in flight, in order */
  wire: { to: Side; pdu: SscopPdu }[] = [];
  /** return false to lose a PDU, or a PDU to replace it */
  filter: (from: Side, pdu: SscopPdu) => boolean | SscopPdu = () => true;

  constructor(pa: Partial<SscopParams> = {}, pb: Partial<SscopParams> = pa) {
    this.a = new End('a', pa);
    this.b = new End('b', pb);
  }

  end(side: Side): End {
    return side === 'a' ? this.a : this.b;
  }

  /** apply one event to one end; returns the effects of that step (and of any automatic response) */
  step(side: Side, ev: SscopEvent): SscopEffect[] {
    const e = this.end(side);
    const r = sscopStep(e.s, ev);
    e.s = r.state;
    e.effects.push(...r.effects);
    const out = [...r.effects];
    for (const x of r.effects) {
      if (x.kind === 'send') {
        const f = this.filter(side, x.pdu);
        if (f !== false) this.wire.push({ to: side === 'a' ? 'b' : 'a', pdu: f === true ? x.pdu : f });
      }
    }
    if (e.autoRespond) {
      for (const x of r.effects) {
        if (x.kind !== 'signal') continue;
        const k = x.signal.kind;
        if (k === 'AA-ESTABLISH.indication') out.push(...this.step(side, { kind: 'AA-ESTABLISH.response' }));
        else if (k === 'AA-RESYNC.indication') out.push(...this.step(side, { kind: 'AA-RESYNC.response' }));
        else if (k === 'AA-RECOVER.indication') out.push(...this.step(side, { kind: 'AA-RECOVER.response' }));
      }
    }
    return out;
  }

  /** deliver one PDU directly to an end (not through the wire) */
  inject(side: Side, pdu: SscopPdu): SscopEffect[] {
    return this.step(side, { kind: 'pdu', pdu });
  }

  /** deliver everything in flight (and what that causes) until the wire is empty */
  run(max = 100000): void {
    let n = 0;
    while (this.wire.length) {
      if (++n > max) throw new Error('pump did not settle');
      const { to, pdu } = this.wire.shift()!;
      this.step(to, { kind: 'pdu', pdu });
    }
  }

  /** expire a timer at one end (only meaningful if it runs) */
  fire(side: Side, timer: SscopTimer): SscopEffect[] {
    return this.step(side, { kind: 'timer', timer });
  }

  /** both ends in Data Transfer Ready, logs cleared */
  establish(): this {
    this.step('a', { kind: 'AA-ESTABLISH.request' });
    this.run();
    if (this.a.s.name !== 'Data Transfer Ready' || this.b.s.name !== 'Data Transfer Ready') throw new Error('did not establish');
    this.a.clear();
    this.b.clear();
    return this;
  }

  send(side: Side, ...texts: string[]): void {
    for (const t of texts) this.step(side, { kind: 'AA-DATA.request', data: Buffer.from(t) });
  }

  /** a POLL/STAT round from `side` (as Timer_POLL would cause), delivered */
  poll(side: Side): void {
    const e = this.end(side);
    if (!e.s.timers.POLL && !e.s.timers.KEEP_ALIVE && !e.s.timers.IDLE) throw new Error('no polling timer runs');
    this.fire(side, e.s.timers.POLL ? 'POLL' : e.s.timers.KEEP_ALIVE ? 'KEEP_ALIVE' : 'IDLE');
    this.run();
  }
}

/** Move an established pair's sequence numbers to start at `base` (both ends agree), to test the 2^24 wrap. */
export function rebase(p: Pump, base: number, psBase = base): void {
  const w = (x: number) => (x + base) & 0xffffff;
  const wp = (x: number) => (x + psBase) & 0xffffff;
  for (const e of [p.a, p.b]) {
    const s = e.s;
    if (s.txBuf.size || s.rxBuf.size || s.txQueue.size) throw new Error('rebase only an idle association');
    e.s = { ...s, vtS: w(s.vtS), vtA: w(s.vtA), vtMS: w(s.vtMS), vrR: w(s.vrR), vrH: w(s.vrH), vrMR: w(s.vrMR), vtPS: wp(s.vtPS), vtPA: wp(s.vtPA) };
  }
}

/** a filter that loses the first transmission of the SDs with these N(S) from `side` (retransmissions pass) */
export function loseOnce(side: Side, ...ns: number[]): (from: Side, pdu: SscopPdu) => boolean {
  const pending = new Set(ns);
  return (from, pdu) => {
    if (from !== side || pdu.type !== 'SD' || !pending.has(pdu.ns)) return true;
    pending.delete(pdu.ns);
    return false;
  };
}
