/**
 * The working copy one SSCOP transition edits: a mutable draft of the state, the effects
 * produced so far, and copy-on-write editors for the transmit and receive buffers. Every
 * procedure of the machine takes this context; `result()` freezes it into the step's answer.
 */
import type { SscopPdu } from './pdu.js';
import type { SnMapEditor } from './queue.js';
import {
  SSCOP_TIMERS,
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
  readonly s: Draft;
  readonly effects: SscopEffect[] = [];
  private txE: SnMapEditor<TxEntry> | undefined;
  private rxE: SnMapEditor<Buffer> | undefined;
  constructor(state: SscopState) {
    this.s = { ...state };
  }
  get p(): SscopParams {
    return this.s.params;
  }
  send(pdu: SscopPdu, retransmission = false): void {
    this.effects.push({ kind: 'send', pdu, retransmission });
  }
  start(timer: SscopTimer): void {
    const ms = TIMER_MS[timer](this.p);
    this.effects.push({ kind: 'start-timer', timer, ms });
    if (!this.s.timers[timer]) this.s.timers = { ...this.s.timers, [timer]: true };
  }
  stop(timer: SscopTimer): void {
    if (!this.s.timers[timer]) return;
    this.effects.push({ kind: 'stop-timer', timer });
    this.s.timers = { ...this.s.timers, [timer]: false };
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
  tx(): SnMapEditor<TxEntry> {
    return (this.txE ??= this.s.txBuf.edit());
  }
  /** the receive buffer as of now in this step */
  rx(): SnMapEditor<Buffer> {
    return (this.rxE ??= this.s.rxBuf.edit());
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

const TIMER_MS: Record<SscopTimer, (p: SscopParams) => number> = {
  CC: (p) => p.timerCC,
  POLL: (p) => p.timerPoll,
  NO_RESPONSE: (p) => p.timerNoResponse,
  KEEP_ALIVE: (p) => p.timerKeepAlive,
  IDLE: (p) => p.timerIdle,
};

