/**
 * SSCOP connection control (Q.2110): establishment (BGN/BGAK/BGREJ), release (END/ENDAK),
 * resynchronisation (RS/RSAK), error recovery (ER/ERAK), the procedures the per-state
 * handlers share for them, and Timer_CC with its MaxCC limit.
 */
import type { SscopPdu } from './pdu.js';
import { emptyQueue, queueFrom, queueToArray } from './queue.js';
import { EMPTY, inc, MASK, type MaaErrorCode, type SscopStateName } from './state.js';
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

/** the four PDUs sent under Timer_CC (repeated on expiry, VT(CC) counting the sends) and the state that waits for each one's answer */
type CcPdu = 'BGN' | 'END' | 'RS' | 'ER';
const CC_STATE = {
  BGN: 'Outgoing Connection Pending',
  END: 'Outgoing Disconnection Pending',
  RS: 'Outgoing Resynchronization Pending',
  ER: 'Outgoing Recovery Pending',
} as const satisfies Record<CcPdu, SscopStateName>;
const CC_PDU: Partial<Record<SscopStateName, CcPdu>> = {
  'Outgoing Connection Pending': 'BGN',
  'Outgoing Disconnection Pending': 'END',
  'Outgoing Resynchronization Pending': 'RS',
  'Outgoing Recovery Pending': 'ER',
};

/** send (again) the BGN, END (by the user), RS or ER with this connection's N(SQ) and UU */
export function sendCc(c: Ctx, type: CcPdu, retransmission: boolean): void {
  const s = c.s;
  switch (type) {
    case 'BGN':
    case 'RS':
      return c.send({ type, nsq: s.vtSQ, nmr: c.p.window, uu: s.ccUu }, retransmission);
    case 'ER':
      return c.send({ type, nsq: s.vtSQ, nmr: c.p.window }, retransmission);
    case 'END':
      return sendEnd(c, 'user', s.ccUu, retransmission);
  }
}
export function sendEnd(c: Ctx, source: 'user' | 'sscop', uu: Buffer, retransmission = false): void {
  c.send({ type: 'END', source, uu }, retransmission);
}

/** first send of a BGN/END/RS/ER: VT(CC) := 1, a new N(SQ) (not for END), Timer_CC, wait for the answer */
function underCc(c: Ctx, type: CcPdu): void {
  c.s.vtCC = 1;
  if (type !== 'END') c.s.vtSQ = (c.s.vtSQ + 1) & 0xff;
  sendCc(c, type, false);
  c.start('CC');
  c.go(CC_STATE[type]);
}

/** a user request that starts over (establish, release, resynchronise): timers and buffers cleared, UU kept for resending */
function restartUnderCc(c: Ctx, type: CcPdu, uu: Buffer | undefined): void {
  c.stopAll();
  clearTransmitter(c);
  clearReceiver(c);
  c.s.ccUu = uu ?? EMPTY;
  underCc(c, type);
}

/** AA-ESTABLISH.request from Idle or Outgoing Disconnection Pending */
export function beginEstablish(c: Ctx, uu: Buffer | undefined): void {
  restartUnderCc(c, 'BGN', uu);
}

/** AA-RELEASE.request from a connected or pending state: END, Timer_CC, state 4 */
export function beginRelease(c: Ctx, uu: Buffer | undefined): void {
  restartUnderCc(c, 'END', uu);
}

/** AA-RESYNC.request */
export function beginResync(c: Ctx, uu: Buffer | undefined): void {
  restartUnderCc(c, 'RS', uu);
}

/** a protocol error in Data Transfer Ready: MAA-ERROR, ER, Timer_CC, state 7 */
export function beginRecovery(c: Ctx, code: MaaErrorCode): void {
  c.maa(code);
  c.stopDataTimers();
  underCc(c, 'ER');
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

/** a new RS in Data Transfer Ready or while recovering: the peer resynchronises, the user is asked (state 6) */
export function peerResync(c: Ctx, pdu: Extract<SscopPdu, { type: 'RS' }>): void {
  c.stopAll();
  c.s.vrSQ = pdu.nsq;
  c.s.vtMS = pdu.nmr;
  c.signal({ kind: 'AA-RESYNC.indication', uu: pdu.uu });
  c.go('Incoming Resynchronization Pending');
}

/** a new ER in Data Transfer Ready: the peer recovers, the user is asked (state 9) */
export function peerRecover(c: Ctx, pdu: Extract<SscopPdu, { type: 'ER' }>): void {
  c.stopAll();
  c.s.vrSQ = pdu.nsq;
  c.s.vtMS = pdu.nmr;
  c.signal({ kind: 'AA-RECOVER.indication' });
  c.go('Incoming Recovery Pending');
}

export function enterDataTransfer(c: Ctx): void {
  c.start('POLL');
  c.start('NO_RESPONSE');
  c.go('Data Transfer Ready');
}

// ---------------------------------------------------------------- timers outside data transfer

/** Timer_CC: send the BGN/END/RS/ER again, or after MaxCC sends give up (release is then confirmed, anything else ends) */
export function ccExpiry(c: Ctx): void {
  const s = c.s;
  c.expired('CC');
  const type = CC_PDU[s.name];
  if (type === undefined) return;
  if (s.vtCC >= c.p.maxCC) {
    if (type !== 'END') return abort(c, 'O', `max-cc: no answer to ${type}`);
    c.maa('O');
    c.signal({ kind: 'AA-RELEASE.confirm' });
    c.go('Idle');
    return;
  }
  s.vtCC++;
  sendCc(c, type, true);
  c.start('CC');
}
