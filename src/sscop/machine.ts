/**
 * The Q.2110 SSCOP state machine, pure: `sscopStep(state, event) -> { state, effects }`.
 *
 * No I/O, no clocks: sending a PDU, starting or stopping a timer, handing an
 * SDU or a signal to the SSCOP user and reporting an MAA-ERROR are all effects
 * (plain data) that `saal-link.ts` carries out. States and state variables carry the
 * standard's names (VT(S) is `vtS`, VR(MR) is `vrMR`, ...), so the code can be
 * read next to the Q.2110 SDLs.
 *
 * Sequence numbers are 24-bit and every comparison is made modulo 2^24 relative
 * to VT(A) (transmitter) or VR(R) (receiver), so nothing breaks when N(S) wraps.
 *
 * Robust mode (`params.robust`, on by default): Q.2110 assumes an ATM
 * connection that may lose cells but never duplicates or reorders them, and
 * treats a duplicated SD, a POLL behind VR(H), or a STAT/USTAT whose N(PS) or
 * N(R) is behind what the transmitter already knows as protocol errors that
 * start error recovery (which may itself lose or duplicate SDUs). Ethernet
 * through bridges and `netem` can duplicate and reorder, so in robust mode
 * such stale or duplicate PDUs are recognised by their position relative to
 * VT(A)/VT(PA)/VR(R) and discarded (counted, effect `discard`) instead; genuine
 * violations (a sequence number ahead of anything sent) still raise the
 * standard's MAA-ERROR and recovery, and so does a STAT that answers our newest
 * POLL with an N(R) behind VT(A) (no reordering explains it: the peer has lost
 * its state). Each deviation is kept because test/sscop/lossy.test.ts fails
 * without it (recovery on every reordered STAT/USTAT duplicates SDUs). With
 * `robust: false` the machine follows Q.2110 to the letter.
 *
 * Buffer release (BR) and buffer retrieval (AA-RETRIEVE) are not implemented:
 * buffers are always cleared on release, resynchronisation and establishment,
 * and error recovery keeps unacknowledged SDUs and sends them again.
 *
 * The machine is split by job, as the Q.2110 SDLs are: `state.ts` (names, parameters,
 * state variables, events, effects), `step-context.ts` (the draft one transition edits),
 * `connection-control.ts` (BGN/END/RS/ER and Timer_CC), `data-transfer.ts`
 * (SD/POLL/STAT/USTAT and the polling timers), `pdu-handling.ts` (each state's PDU
 * table); this file holds the user requests and the step itself.
 */
import { enqueue } from './queue.js';
import { EMPTY, type SscopEvent, type SscopState, type SscopStepResult } from './state.js';
import { Ctx } from './step-context.js';
import { beginEstablish, beginRelease, beginResync, ccExpiry, clearReceiver, clearTransmitter, enterDataTransfer, initVars, prepareRecovery } from './connection-control.js';
import { dataTransferTimer, transmit, transmitData } from './data-transfer.js';
import { PDU_HANDLERS } from './pdu-handling.js';

export {
  checkSscopParams,
  DEFAULT_SSCOP_PARAMS,
  initialSscopState,
  MAA_ERROR_NAMES,
  seqRel,
  SSCOP_STATE_NUMBER,
  SSCOP_TIMERS,
  sscopParams,
  sscopQueued,
  type MaaErrorCode,
  type SscopEffect,
  type SscopEvent,
  type SscopParams,
  type SscopSignal,
  type SscopState,
  type SscopStateName,
  type SscopStepResult,
  type SscopTimer,
} from './state.js';

// ---------------------------------------------------------------- user requests

function request(c: Ctx, ev: Exclude<SscopEvent, { kind: 'pdu' | 'bad-pdu' | 'timer' }>): void {
  const s = c.s;
  const st = s.name;
  switch (ev.kind) {
    case 'AA-UNITDATA.request':
      if (ev.data.length > c.p.maxK) return c.discard('sdu-too-long');
      c.send({ type: 'UD', data: ev.data });
      return;
    case 'MAA-UNITDATA.request':
      if (ev.data.length > c.p.maxK) return c.discard('sdu-too-long');
      c.send({ type: 'MD', data: ev.data });
      return;
    case 'AA-ESTABLISH.request':
      if (st === 'Outgoing Connection Pending' || st === 'Incoming Connection Pending') return c.discard('request-ignored-in-state');
      return beginEstablish(c, ev.uu);
    case 'AA-ESTABLISH.response':
      if (st !== 'Incoming Connection Pending') return c.discard('request-ignored-in-state');
      clearTransmitter(c);
      initVars(c, s.vtMS);
      c.send({ type: 'BGAK', nmr: c.p.window, uu: ev.uu ?? EMPTY });
      enterDataTransfer(c);
      return;
    case 'AA-RELEASE.request':
      if (st === 'Idle' || st === 'Outgoing Disconnection Pending') return c.discard('request-ignored-in-state');
      if (st === 'Incoming Connection Pending') {
        c.send({ type: 'BGREJ', uu: ev.uu ?? EMPTY });
        c.go('Idle');
        return;
      }
      return beginRelease(c, ev.uu);
    case 'AA-RESYNC.request':
      if (st === 'Idle' || st === 'Outgoing Connection Pending' || st === 'Incoming Connection Pending' || st === 'Outgoing Disconnection Pending')
        return c.discard('request-ignored-in-state');
      return beginResync(c, ev.uu);
    case 'AA-RESYNC.response':
      if (st !== 'Incoming Resynchronization Pending') return c.discard('request-ignored-in-state');
      clearTransmitter(c);
      clearReceiver(c);
      initVars(c, s.vtMS);
      c.send({ type: 'RSAK', nmr: c.p.window });
      enterDataTransfer(c);
      return;
    case 'AA-RECOVER.response':
      if (st === 'Recovery Response Pending') {
        enterDataTransfer(c);
        transmit(c);
      } else if (st === 'Incoming Recovery Pending') {
        prepareRecovery(c);
        initVars(c, s.vtMS);
        c.send({ type: 'ERAK', nmr: c.p.window });
        enterDataTransfer(c);
        transmit(c);
      } else c.discard('request-ignored-in-state');
      return;
    case 'AA-DATA.request':
      // the peer would drop an SD over MaxK (MAA-ERROR U) and we would resend it forever
      if (ev.data.length > c.p.maxK) return c.discard('sdu-too-long');
      switch (st) {
        case 'Idle':
        case 'Outgoing Connection Pending':
        case 'Incoming Connection Pending':
        case 'Outgoing Disconnection Pending':
          return c.discard('data-while-not-connected');
        case 'Data Transfer Ready':
          return transmitData(c, ev.data);
        default:
          s.txQueue = enqueue(s.txQueue, ev.data);
          return;
      }
  }
}

// ---------------------------------------------------------------- step

/** One transition. Never throws for any event (PDUs come from the network). */
export function sscopStep(state: SscopState, event: SscopEvent): SscopStepResult {
  const c = new Ctx(state);
  switch (event.kind) {
    case 'pdu':
      PDU_HANDLERS[state.name](c, event.pdu);
      break;
    case 'bad-pdu':
      c.maa('U');
      c.discard(`decode:${event.code}`);
      break;
    case 'timer':
      if (!state.timers[event.timer]) break; // stopped meanwhile: a stale expiry
      if (event.timer === 'CC') ccExpiry(c);
      else if (state.name === 'Data Transfer Ready') dataTransferTimer(c, event.timer);
      else c.expired(event.timer);
      break;
    default:
      request(c, event);
      break;
  }
  return c.result();
}
