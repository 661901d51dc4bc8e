/**
 * SSCOP PDU reception, one handler per Q.2110 state: what each received PDU does in
 * Idle, the pending states 2..9 and Data Transfer Ready, including which are protocol
 * errors (MAA-ERROR A..M) and which are discarded.
 */
import type { BgakPdu, BgnPdu, ErakPdu, ErPdu, RsakPdu, RsPdu, SscopPdu } from './pdu.js';
import { EMPTY, type MaaErrorCode, type SscopStateName } from './state.js';
import type { Ctx } from './step-context.js';
import { abort, enterDataTransfer, initVars, peerEnd, peerRecover, peerRestart, peerResync, prepareRecovery, sendCc, sendEnd } from './connection-control.js';
import { receivePoll, receiveSd, receiveStat, receiveUstat, transmit } from './data-transfer.js';

// ---------------------------------------------------------------- per-state PDU handling

const UNEXPECTED: Partial<Record<SscopPdu['type'], MaaErrorCode>> = {
  SD: 'A',
  BGN: 'B',
  BGAK: 'C',
  BGREJ: 'D',
  END: 'E',
  ENDAK: 'F',
  POLL: 'G',
  STAT: 'H',
  USTAT: 'I',
  RS: 'J',
  RSAK: 'K',
  ER: 'L',
  ERAK: 'M',
};

function pduIdle(c: Ctx, pdu: SscopPdu): void {
  const s = c.s;
  switch (pdu.type) {
    case 'BGN':
      if (pdu.nsq === s.vrSQ) {
        // a retransmission of a BGN this end has already refused or finished with
        c.send({ type: 'BGREJ', uu: EMPTY });
        return;
      }
      s.vrSQ = pdu.nsq;
      s.vtMS = pdu.nmr;
      c.signal({ kind: 'AA-ESTABLISH.indication', uu: pdu.uu });
      c.go('Incoming Connection Pending');
      return;
    case 'END':
      c.send({ type: 'ENDAK' });
      return;
    case 'ENDAK':
      c.discard('ignored-in-state');
      return;
    case 'BGREJ':
      c.maa('D');
      return;
    case 'UD':
    case 'MD':
      return unnumbered(c, pdu);
    default:
      c.maa(UNEXPECTED[pdu.type]!);
      sendEnd(c, 'sscop', EMPTY);
      return;
  }
}

function pduOutgoingConnectionPending(c: Ctx, pdu: SscopPdu): void {
  const s = c.s;
  switch (pdu.type) {
    case 'BGAK':
      return answered(c, pdu);
    case 'BGN':
      if (pdu.nsq === s.vrSQ) return c.discard('retransmitted-bgn');
      return answered(c, pdu);
    case 'BGREJ':
      c.stop('CC');
      c.signal({ kind: 'AA-RELEASE.indication', source: 'user', reason: 'peer rejected the connection (BGREJ)', uu: pdu.uu });
      c.go('Idle');
      return;
    case 'UD':
    case 'MD':
      return unnumbered(c, pdu);
    default:
      // END included: it belongs to an earlier connection (a refusal comes as BGREJ)
      return c.discard('ignored-in-state');
  }
}

/**
 * A PDU that is a protocol error in this state: MAA-ERROR, then (per the SDL cell) either nothing
 * more, or a release indication, or END(S=1) and a release indication.
 */
function unexpected(c: Ctx, pdu: SscopPdu, then: 'ignore' | 'release' | 'end-and-release'): void {
  const code = UNEXPECTED[pdu.type]!;
  if (then === 'ignore') return c.maa(code);
  abort(c, code, `unexpected ${pdu.type} in ${c.s.name}`, then === 'end-and-release');
}

/** state 3: the user has been asked (SSCF answers at once) */
function pduIncomingConnectionPending(c: Ctx, pdu: SscopPdu): void {
  const s = c.s;
  switch (pdu.type) {
    case 'BGN':
      if (pdu.nsq === s.vrSQ) return c.discard('retransmitted-bgn');
      // a new BGN replaces the one being answered
      s.vrSQ = pdu.nsq;
      s.vtMS = pdu.nmr;
      c.signal({ kind: 'AA-RELEASE.indication', source: 'sscop', reason: 'peer sent a new BGN', uu: EMPTY });
      c.signal({ kind: 'AA-ESTABLISH.indication', uu: pdu.uu });
      return;
    case 'END':
      return peerEnd(c, pdu);
    case 'UD':
    case 'MD':
      return unnumbered(c, pdu);
    case 'ENDAK':
    case 'BGREJ':
      return unexpected(c, pdu, 'release');
    case 'SD':
    case 'POLL':
    case 'STAT':
    case 'USTAT':
      return unexpected(c, pdu, 'end-and-release');
    default: // BGAK, RS, RSAK, ER, ERAK
      return unexpected(c, pdu, 'ignore');
  }
}

/** state 4 */
function pduOutgoingDisconnectionPending(c: Ctx, pdu: SscopPdu): void {
  const s = c.s;
  switch (pdu.type) {
    case 'ENDAK':
    case 'BGREJ':
      c.stop('CC');
      c.signal({ kind: 'AA-RELEASE.confirm' });
      c.go('Idle');
      return;
    case 'END':
      c.stop('CC');
      c.send({ type: 'ENDAK' });
      c.signal({ kind: 'AA-RELEASE.confirm' });
      c.go('Idle');
      return;
    case 'BGN':
      if (pdu.nsq === s.vrSQ) {
        // the peer never heard our BGAK: acknowledge, then end again
        c.send({ type: 'BGAK', nmr: c.p.window, uu: EMPTY });
        sendCc(c, 'END', true);
        return;
      }
      return peerRestart(c, pdu, true);
    case 'UD':
    case 'MD':
      return unnumbered(c, pdu);
    default:
      return c.discard('ignored-in-state');
  }
}

/** END, ENDAK, BGREJ and new BGN/RS are handled alike in states 5..9 */
function pduPendingCommon(c: Ctx, pdu: SscopPdu): boolean {
  const s = c.s;
  switch (pdu.type) {
    case 'END':
      peerEnd(c, pdu);
      return true;
    case 'ENDAK':
    case 'BGREJ':
      unexpected(c, pdu, 'release');
      return true;
    case 'BGN':
      if (pdu.nsq === s.vrSQ) {
        if (s.name === 'Outgoing Resynchronization Pending') {
          // the peer never heard our BGAK: acknowledge, then resynchronise again
          c.send({ type: 'BGAK', nmr: c.p.window, uu: EMPTY });
          sendCc(c, 'RS', true);
        } else c.maa('B');
      } else peerRestart(c, pdu, false);
      return true;
    case 'UD':
    case 'MD':
      unnumbered(c, pdu);
      return true;
    default:
      return false;
  }
}

/** state 5 */
function pduOutgoingResyncPending(c: Ctx, pdu: SscopPdu): void {
  if (pduPendingCommon(c, pdu)) return;
  switch (pdu.type) {
    case 'RSAK':
      return answered(c, pdu);
    case 'RS':
      if (pdu.nsq === c.s.vrSQ) return c.discard('retransmitted-rs');
      return answered(c, pdu);
    default:
      // SD, POLL, STAT, USTAT sent before the peer saw our RS; BGAK, ER, ERAK
      return c.discard('ignored-in-state');
  }
}

/** state 6 (transient: SSCF answers the indication at once) */
function pduIncomingResyncPending(c: Ctx, pdu: SscopPdu): void {
  if (pduPendingCommon(c, pdu)) return;
  switch (pdu.type) {
    case 'RS':
      if (pdu.nsq === c.s.vrSQ) return c.discard('retransmitted-rs');
      return c.maa('J');
    case 'SD':
    case 'POLL':
    case 'STAT':
    case 'USTAT':
      return unexpected(c, pdu, 'end-and-release');
    default: // BGAK, RSAK, ER, ERAK
      return unexpected(c, pdu, 'ignore');
  }
}

/**
 * Our BGN, RS or ER was answered by its BGAK, RSAK or ERAK, or it crossed the peer's own BGN, RS or
 * ER with a new N(SQ) (both ends started at once: theirs is acknowledged, and counts as the answer
 * to ours). Timer_CC stops and the state variables start from the peer's N(MR); establishment and
 * resynchronisation go on to Data Transfer Ready, recovery asks the user first (state 8).
 */
function answered(c: Ctx, pdu: BgakPdu | BgnPdu | RsakPdu | RsPdu | ErakPdu | ErPdu): void {
  c.stop('CC');
  switch (pdu.type) {
    case 'BGN':
      c.s.vrSQ = pdu.nsq;
      c.send({ type: 'BGAK', nmr: c.p.window, uu: EMPTY });
      break;
    case 'RS':
      c.s.vrSQ = pdu.nsq;
      c.send({ type: 'RSAK', nmr: c.p.window });
      break;
    case 'ER':
      c.s.vrSQ = pdu.nsq;
      c.send({ type: 'ERAK', nmr: c.p.window });
      break;
    default:
      break;
  }
  if (pdu.type === 'ERAK' || pdu.type === 'ER') {
    prepareRecovery(c);
    initVars(c, pdu.nmr);
    c.signal({ kind: 'AA-RECOVER.indication' });
    c.go('Recovery Response Pending');
    return;
  }
  initVars(c, pdu.nmr);
  if (pdu.type === 'BGAK') c.s.crossing = c.p.robust; // the peer's crossing BGN may still come, behind this BGAK
  c.signal(pdu.type === 'BGAK' || pdu.type === 'BGN' ? { kind: 'AA-ESTABLISH.confirm', uu: pdu.uu } : { kind: 'AA-RESYNC.confirm' });
  enterDataTransfer(c);
  transmit(c);
}

/** RS in states 7, 8, 9: a retransmission of one already taken is error J, a new one resynchronises */
function rsInRecovery(c: Ctx, pdu: RsPdu): void {
  if (pdu.nsq === c.s.vrSQ) return c.maa('J');
  peerResync(c, pdu);
}

/** state 7 */
function pduOutgoingRecoveryPending(c: Ctx, pdu: SscopPdu): void {
  if (pduPendingCommon(c, pdu)) return;
  const s = c.s;
  switch (pdu.type) {
    case 'ERAK':
      return answered(c, pdu);
    case 'ER':
      if (pdu.nsq === s.vrSQ) return c.maa('L');
      return answered(c, pdu);
    case 'RS':
      return rsInRecovery(c, pdu);
    case 'BGAK':
    case 'RSAK':
      return unexpected(c, pdu, 'ignore');
    default:
      // SD, POLL, STAT, USTAT sent before the peer saw our ER
      return c.discard('ignored-in-state');
  }
}

/** state 8 (transient: SSCF answers the indication at once) */
function pduRecoveryResponsePending(c: Ctx, pdu: SscopPdu): void {
  if (pduPendingCommon(c, pdu)) return;
  const s = c.s;
  switch (pdu.type) {
    case 'RS':
      return rsInRecovery(c, pdu);
    case 'ER':
      // our ERAK was lost and the peer asks again
      if (pdu.nsq === s.vrSQ) return c.send({ type: 'ERAK', nmr: c.p.window });
      return c.maa('L');
    case 'STAT':
    case 'USTAT':
      return unexpected(c, pdu, 'end-and-release');
    case 'BGAK':
    case 'RSAK':
      return unexpected(c, pdu, 'ignore');
    default:
      return c.discard('ignored-in-state');
  }
}

/** state 9 (transient: SSCF answers the indication at once) */
function pduIncomingRecoveryPending(c: Ctx, pdu: SscopPdu): void {
  if (pduPendingCommon(c, pdu)) return;
  const s = c.s;
  switch (pdu.type) {
    case 'RS':
      return rsInRecovery(c, pdu);
    case 'ER':
      if (pdu.nsq === s.vrSQ) return c.discard('retransmitted-er');
      return c.maa('L');
    case 'SD':
    case 'POLL':
    case 'STAT':
    case 'USTAT':
      return unexpected(c, pdu, 'end-and-release');
    default: // BGAK, RSAK, ERAK
      return unexpected(c, pdu, 'ignore');
  }
}

/** a retransmitted BGN/RS/ER in Data Transfer Ready: answer again, and count it as a sign of life */
function answerAgain(c: Ctx, ack: SscopPdu): void {
  if (c.s.timers.NO_RESPONSE) c.start('NO_RESPONSE');
  c.send(ack);
}

/** state 10 */
function pduDataTransferReady(c: Ctx, pdu: SscopPdu): void {
  const s = c.s;
  switch (pdu.type) {
    case 'SD':
      return receiveSd(c, pdu);
    case 'POLL':
      return receivePoll(c, pdu);
    case 'STAT':
      return receiveStat(c, pdu);
    case 'USTAT':
      return receiveUstat(c, pdu);
    case 'UD':
    case 'MD':
      return unnumbered(c, pdu);
    case 'BGN':
      if (pdu.nsq === s.vrSQ) return answerAgain(c, { type: 'BGAK', nmr: s.vrMR, uu: EMPTY });
      if (s.crossing) {
        // the peer's own BGN of a collision, overtaken by its BGAK: both ends are already up
        s.crossing = false;
        s.vrSQ = pdu.nsq;
        c.send({ type: 'BGAK', nmr: s.vrMR, uu: EMPTY });
        return c.discard('crossing-bgn');
      }
      return peerRestart(c, pdu, false);
    case 'RS':
      if (pdu.nsq === s.vrSQ) return answerAgain(c, { type: 'RSAK', nmr: s.vrMR });
      return peerResync(c, pdu);
    case 'ER':
      if (pdu.nsq === s.vrSQ) return answerAgain(c, { type: 'ERAK', nmr: s.vrMR });
      return peerRecover(c, pdu);
    case 'END':
      return peerEnd(c, pdu);
    case 'ENDAK':
    case 'BGREJ':
      return unexpected(c, pdu, 'release');
    case 'BGAK':
    case 'RSAK':
    case 'ERAK':
      return unexpected(c, pdu, 'ignore');
  }
}

function unnumbered(c: Ctx, pdu: Extract<SscopPdu, { type: 'UD' | 'MD' }>): void {
  c.signal(pdu.type === 'UD' ? { kind: 'AA-UNITDATA.indication', data: pdu.data } : { kind: 'MAA-UNITDATA.indication', data: pdu.data });
}

export const PDU_HANDLERS: Record<SscopStateName, (c: Ctx, pdu: SscopPdu) => void> = {
  Idle: pduIdle,
  'Outgoing Connection Pending': pduOutgoingConnectionPending,
  'Incoming Connection Pending': pduIncomingConnectionPending,
  'Outgoing Disconnection Pending': pduOutgoingDisconnectionPending,
  'Outgoing Resynchronization Pending': pduOutgoingResyncPending,
  'Incoming Resynchronization Pending': pduIncomingResyncPending,
  'Outgoing Recovery Pending': pduOutgoingRecoveryPending,
  'Recovery Response Pending': pduRecoveryResponsePending,
  'Incoming Recovery Pending': pduIncomingRecoveryPending,
  'Data Transfer Ready': pduDataTransferReady,
};
