/**
 * The working copy one SSCOP transition edits: a mutable draft of the state, the effects
 * produced so far, and copy-on-write editors for the transmit and receive buffers. Every
 * procedure of the machine takes this context; `result()` hands the draft and the effects
 * over as the step's answer.
 *
 * The machine keeps one context and reuses it for every step (`beginStep`): a step is
 * synchronous and never re-entered, and what it returns (the draft, the effects array) is
 * made afresh for that step and dropped from the context at `result()`, so nothing a caller
 * holds is ever written again. The step stays pure; only the wrapper is not reallocated.
 */
import type { SscopPdu } from './pdu.js';
import type { SnLogEditor, SnMapEditor } from './queue.js';
import {
  copyState,
  SSCOP_TIMERS,
  withTimer,
  type MaaErrorCode,
  type SscopEffect,
  type SscopParams,
  type SscopSignal,
  type SscopState,
  type SscopStateName,
  type SscopStepResult,
  type SscopTimer,
  type TxEntry,
} from './state.js';

export type Draft = { -readonly [K in keyof SscopState]: SscopState[K] };

/** the effects of a step that had none (a stale timer, an SDU queued behind a closed window, an SD held out of order) */
const NO_EFFECTS: readonly SscopEffect[] = Object.freeze([]);

export class Ctx {
  /** the draft: a copy of the state stepped from, edited in place */
  s!: Draft;
  /** its parameters (they never change within a step) */
  p!: SscopParams;
  private effects: SscopEffect[] | undefined = undefined;
  private txE: SnLogEditor<TxEntry> | undefined = undefined;
  private rxE: SnMapEditor<Buffer> | undefined = undefined;

  /** start a step from `state` (which is copied, never written) */
  begin(state: SscopState): this {
    this.s = copyState(state);
    this.p = state.params;
    this.effects = undefined;
    this.txE = undefined;
    this.rxE = undefined;
    return this;
  }
  private push(e: SscopEffect): void {
    if (this.effects === undefined) this.effects = [e];
    else this.effects.push(e);
  }
  send(pdu: SscopPdu, retransmission = false): void {
    this.push({ kind: 'send', pdu, retransmission });
  }
  start(timer: SscopTimer): void {
    this.push({ kind: 'start-timer', timer, ms: timerMs(timer, this.p) });
    if (!this.s.timers[timer]) this.s.timers = withTimer(this.s.timers, timer, true);
  }
  stop(timer: SscopTimer): void {
    if (!this.s.timers[timer]) return;
    this.push({ kind: 'stop-timer', timer });
    this.s.timers = withTimer(this.s.timers, timer, false);
  }
  /** `timer` expired: it no longer runs (nothing to stop) */
  expired(timer: SscopTimer): void {
    this.s.timers = withTimer(this.s.timers, timer, false);
  }
  stopAll(): void {
    for (const t of SSCOP_TIMERS) this.stop(t);
  }
  stopDataTimers(): void {
    this.stop('POLL');
    this.stop('NO_RESPONSE');
    this.stop('KEEP_ALIVE');
    this.stop('IDLE');
  }
  signal(signal: SscopSignal): void {
    this.push({ kind: 'signal', signal });
  }
  maa(code: MaaErrorCode, count?: number): void {
    this.push(count === undefined ? { kind: 'maa-error', code } : { kind: 'maa-error', code, count });
  }
  discard(reason: string, count = 1): void {
    this.push({ kind: 'discard', reason, count });
  }
  /** the transmit buffer as of now in this step (read and write through this, never s.txBuf) */
  tx(): SnLogEditor<TxEntry> {
    return (this.txE ??= this.s.txBuf.edit());
  }
  /** the receive buffer as of now in this step */
  rx(): SnMapEditor<Buffer> {
    return (this.rxE ??= this.s.rxBuf.edit());
  }
  /** SDs in the receive buffer as of now (without making an editor) */
  rxSize(): number {
    return this.rxE ? this.rxE.size : this.s.rxBuf.size;
  }
  go(name: SscopStateName): void {
    this.s.name = name;
  }
  /** the step's answer; the context lets go of it */
  result(): SscopStepResult {
    const s = this.s;
    if (this.txE) s.txBuf = this.txE.done();
    if (this.rxE) s.rxBuf = this.rxE.done();
    const r: SscopStepResult = { state: s, effects: this.effects ?? NO_EFFECTS };
    this.s = undefined as unknown as Draft;
    this.effects = undefined;
    this.txE = undefined;
    this.rxE = undefined;
    return r;
  }
}

function timerMs(timer: SscopTimer, p: SscopParams): number {
  switch (timer) {
    case 'CC':
      return p.timerCC;
    case 'POLL':
      return p.timerPoll;
    case 'NO_RESPONSE':
      return p.timerNoResponse;
    case 'KEEP_ALIVE':
      return p.timerKeepAlive;
    case 'IDLE':
      return p.timerIdle;
  }
}
