/**
 * SSCOP connection control (Q.2110): establishment (BGN/BGAK/BGREJ), release (END/ENDAK),
 * resynchronisation (RS/RSAK), error recovery (ER/ERAK), the procedures the per-state
 * handlers share for them, and Timer_CC with its MaxCC limit.
 */
import type { SscopPdu } from './pdu.js';
import { emptyQueue, queueFrom, queueToArray } from './queue.js';
import { EMPTY, inc, MASK, type MaaErrorCode } from './state.js';
import type { Ctx } from './step-context.js';

// ---------------------------------------------------------------- shared procedures

/** "Initialize state variables" (after BGAK/RSAK/ERAK and their responses) */
export function initVars(c: Ctx, nmr: number): void {
  const s = c.s;
  s.vtS = 0;
  s.vtPS = 0;
  s.vtA = 0;
  s.vtPA = 1;
  s.vtPD = 0;
  s.vtMS = nmr & MASK;
  s.vrR = 0;
  s.vrH = 0;
  s.vrMR = c.p.window;
  s.credit = true;
  s.crossing = false;
  s.rtx = [];
  c.tx().clear();
  c.rx().clear();
}

export function clearTransmitter(c: Ctx): void {
  const s = c.s;
  const lost = s.txQueue.size + c.tx().size;
  if (lost) c.discard('buffers-cleared', lost);
  s.txQueue = emptyQueue();
  c.tx().clear();
  s.rtx = [];
}

export function clearReceiver(c: Ctx): void {
  const rx = c.rx();
  if (rx.size) {
    c.discard('receive-buffer-cleared', rx.size);
    rx.clear();
  }
}

/** Error recovery keeps unacknowledged SDs: they go back to the head of the queue, to be numbered afresh. */
export function prepareRecovery(c: Ctx): void {
  const s = c.s;
  const again: Buffer[] = [];
  for (let sn = s.vtA; sn !== s.vtS; sn = inc(sn)) {
    const e = c.tx().get(sn);
    if (e) again.push(e.data);
  }
  if (again.length) s.txQueue = queueFrom(again.concat(queueToArray(s.txQueue)));
  c.tx().clear();
  s.rtx = [];
  clearReceiver(c);
}

export function sendBgn(c: Ctx, retransmission: boolean): void {
  c.send({ type: 'BGN', nsq: c.s.vtSQ, nmr: c.p.window, uu: c.s.ccUu }, retransmission);
}
export function sendRs(c: Ctx, retransmission: boolean): void {
  c.send({ type: 'RS', nsq: c.s.vtSQ, nmr: c.p.window, uu: c.s.ccUu }, retransmission);
}
export function sendEr(c: Ctx, retransmission: boolean): void {
  c.send({ type: 'ER', nsq: c.s.vtSQ, nmr: c.p.window }, retransmission);
}
export function sendEnd(c: Ctx, source: 'user' | 'sscop', uu: Buffer, retransmission = false): void {
  c.send({ type: 'END', source, uu }, retransmission);
}

/** AA-ESTABLISH.request from Idle or Outgoing Disconnection Pending */
export function beginEstablish(c: Ctx, uu: Buffer | undefined): void {
  c.stopAll();
  clearTransmitter(c);
  clearReceiver(c);
  c.s.ccUu = uu ?? EMPTY;
  c.s.vtCC = 1;
  c.s.vtSQ = (c.s.vtSQ + 1) & 0xff;
  sendBgn(c, false);
  c.start('CC');
  c.go('Outgoing Connection Pending');
}

/** AA-RELEASE.request from a connected or pending state: END, Timer_CC, state 4 */
export function beginRelease(c: Ctx, uu: Buffer | undefined): void {
  c.stopAll();
  clearTransmitter(c);
  clearReceiver(c);
  c.s.ccUu = uu ?? EMPTY;
  c.s.vtCC = 1;
  sendEnd(c, 'user', c.s.ccUu);
  c.start('CC');
  c.go('Outgoing Disconnection Pending');
}

/** AA-RESYNC.request */
export function beginResync(c: Ctx, uu: Buffer | undefined): void {
  c.stopAll();
  clearTransmitter(c);
  clearReceiver(c);
  c.s.ccUu = uu ?? EMPTY;
  c.s.vtCC = 1;
  c.s.vtSQ = (c.s.vtSQ + 1) & 0xff;
  sendRs(c, false);
  c.start('CC');
  c.go('Outgoing Resynchronization Pending');
}

/** a protocol error in Data Transfer Ready: MAA-ERROR, ER, Timer_CC, state 7 */
export function beginRecovery(c: Ctx, code: MaaErrorCode): void {
  c.maa(code);
  c.stopDataTimers();
  c.s.vtCC = 1;
  c.s.vtSQ = (c.s.vtSQ + 1) & 0xff;
  sendEr(c, false);
  c.start('CC');
  c.go('Outgoing Recovery Pending');
}

/** SSCOP gives up on the connection: END(S=1), AA-RELEASE.indication, Idle */
export function abort(c: Ctx, code: MaaErrorCode | undefined, reason: string, sendEndPdu = true): void {
  if (code) c.maa(code);
  c.stopAll();
  if (sendEndPdu) sendEnd(c, 'sscop', EMPTY);
  clearTransmitter(c);
  clearReceiver(c);
  c.signal({ kind: 'AA-RELEASE.indication', source: 'sscop', reason, uu: EMPTY });
  c.go('Idle');
}

/** END received in a connected or pending state */
export function peerEnd(c: Ctx, pdu: Extract<SscopPdu, { type: 'END' }>): void {
  c.stopAll();
  c.send({ type: 'ENDAK' });
  clearTransmitter(c);
  clearReceiver(c);
  c.signal({ kind: 'AA-RELEASE.indication', source: pdu.source, reason: pdu.source === 'sscop' ? 'peer SSCOP ended the connection' : 'peer released', uu: pdu.uu });
  c.go('Idle');
}

/** a new BGN (not a retransmission) while connected or pending: the peer starts over */
export function peerRestart(c: Ctx, pdu: Extract<SscopPdu, { type: 'BGN' }>, confirmRelease: boolean): void {
  c.stopAll();
  clearTransmitter(c);
  clearReceiver(c);
  c.s.vrSQ = pdu.nsq;
  c.s.vtMS = pdu.nmr;
  if (confirmRelease) c.signal({ kind: 'AA-RELEASE.confirm' });
  else c.signal({ kind: 'AA-RELEASE.indication', source: 'sscop', reason: 'peer re-established the connection', uu: EMPTY });
  c.signal({ kind: 'AA-ESTABLISH.indication', uu: pdu.uu });
  c.go('Incoming Connection Pending');
}

/** a new RS while pending recovery: the peer resynchronises */
export function peerResync(c: Ctx, pdu: Extract<SscopPdu, { type: 'RS' }>): void {
  c.stopAll();
  c.s.vrSQ = pdu.nsq;
  c.s.vtMS = pdu.nmr;
  c.signal({ kind: 'AA-RESYNC.indication', uu: pdu.uu });
  c.go('Incoming Resynchronization Pending');
}

export function enterDataTransfer(c: Ctx): void {
  c.start('POLL');
  c.start('NO_RESPONSE');
  c.go('Data Transfer Ready');
}

/** the BGN/END/RS/ER under Timer_CC went unanswered MaxCC times? */
export function ccExhausted(c: Ctx): boolean {
  return c.s.vtCC >= c.p.maxCC;
}

// ---------------------------------------------------------------- timers outside data transfer

export function ccExpiry(c: Ctx): void {
  const s = c.s;
  c.expired('CC');
  switch (s.name) {
    case 'Outgoing Connection Pending':
      if (ccExhausted(c)) return abort(c, 'O', 'max-cc: no answer to BGN');
      s.vtCC++;
      sendBgn(c, true);
      c.start('CC');
      return;
    case 'Outgoing Disconnection Pending':
      if (ccExhausted(c)) {
        c.maa('O');
        c.signal({ kind: 'AA-RELEASE.confirm' });
        c.go('Idle');
        return;
      }
      s.vtCC++;
      sendEnd(c, 'user', s.ccUu, true);
      c.start('CC');
      return;
    case 'Outgoing Resynchronization Pending':
      if (ccExhausted(c)) return abort(c, 'O', 'max-cc: no answer to RS');
      s.vtCC++;
      sendRs(c, true);
      c.start('CC');
      return;
    case 'Outgoing Recovery Pending':
      if (ccExhausted(c)) return abort(c, 'O', 'max-cc: no answer to ER');
      s.vtCC++;
      sendEr(c, true);
      c.start('CC');
      return;
    default:
      return;
  }
}
