/**
 * The working copy one SSCOP transition edits: a mutable draft of the state, the effects
 * produced so far, and copy-on-write editors for the transmit and receive buffers. Every
 * procedure of the machine takes this context; `result()` hands the draft and the effects
 * over as the step's answer. (One context per step: reusing one for every step measured
 * no faster, a long-lived context written with each step's young objects rather slower.)
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

export class Ctx {
  /** the draft: a copy of the state stepped from (which is never written), edited in place */
  readonly s: Draft;
  /** its parameters (they never change within a step) */
  readonly p: SscopParams;
  readonly effects: SscopEffect[] = [];
  private txE: SnLogEditor<TxEntry> | undefined = undefined;
  private rxE: SnMapEditor<Buffer> | undefined = undefined;
  constructor(state: SscopState) {
    this.s = copyState(state);
    this.p = state.params;
  }
  send(pdu: SscopPdu, retransmission = false): void {
    this.effects.push({ kind: 'send', pdu, retransmission });
  }
  start(timer: SscopTimer): void {
    this.effects.push({ kind: 'start-timer', timer, ms: timerMs(timer, this.p) });
    if (!this.s.timers[timer]) this.s.timers = withTimer(this.s.timers, timer, true);
  }
  stop(timer: SscopTimer): void {
    if (!this.s.timers[timer]) return;
    this.effects.push({ kind: 'stop-timer', timer });
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
    this.effects.push({ kind: 'signal', signal });
  }
  maa(code: MaaErrorCode, count?: number): void {
    this.effects.push(count === undefined ? { kind: 'maa-error', code } : { kind: 'maa-error', code, count });
  }
  discard(reason: string, count = 1): void {
    this.effects.push({ kind: 'discard', reason, count });
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
  result(): SscopStepResult {
    if (this.txE) this.s.txBuf = this.txE.done();
    if (this.rxE) this.s.rxBuf = this.rxE.done();
    return { state: this.s, effects: this.effects };
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
