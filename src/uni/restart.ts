/**
 * The global call reference: Q.2931 5.5 RESTART and RESTART ACKNOWLEDGE as a
 * pure step (NgATM keeps the same job in `sig_reset.c`).
 *
 * Two independent processes run on a link: the restart we started (REST0 ->
 * REST1, guarded by T316, RESTART sent at most twice) and our answer to the
 * peer's restart (REST0 -> REST2, guarded by T317, ended by RESTART
 * ACKNOWLEDGE). `restartStep(state, event)` returns the new state and the
 * effects, in order; the coordinator (`uni-link.ts`) carries them out: it owns the
 * timers, releases the calls the restart names and tells the layer above.
 */
import { causeIe, connIdIe, ieListDiag, msg, msgTypeDiag } from './call-ies.js';
import { Cause, findIe, IeId, MsgType, type InfoElement, type UniMessage } from './msg/types.js';
import { RestartState } from './states.js';
import { SENDS } from './timers.js';
import type { VcId } from './call.js';

export interface RestartProcs {
  /** the restart we started: REST0 or REST1 */
  readonly restart: RestartState;
  /** our RESTART, kept for its resend on T316 */
  readonly restartMsg?: UniMessage;
  /** how many times it went out */
  readonly sends: number;
  /** our answer to the peer's restart: REST0 or REST2 */
  readonly respond: RestartState;
  /** the RESTART ACKNOWLEDGE waiting for the layer above (REST2) */
  readonly ack?: UniMessage;
}

export const RESTART_IDLE: RestartProcs = Object.freeze({ restart: RestartState.REST0, sends: 0, respond: RestartState.REST0 });

/** what a restart covers: every VC of the link, one VC, or one virtual path */
export type RestartScope = { all: true } | { vpi: number; vci: number };

export type RestartEvent =
  /** the layer above asks to restart (Q.2931 5.5.1) */
  | { k: 'request'; scope: RestartScope }
  /** a message on the global call reference */
  | { k: 'message'; m: UniMessage; name: (type: number) => string }
  | { k: 't316' }
  | { k: 't317' }
  /** the layer above has released what the peer's RESTART named: acknowledge it */
  | { k: 'answer' }
  /** the link is gone: both processes end */
  | { k: 'link-lost' };

export type RestartEffect =
  /** send on the global call reference */
  | { k: 'send'; m: UniMessage }
  /** answer the received message (its call reference, flag inverted) */
  | { k: 'reply'; m: UniMessage }
  | { k: 'start'; t: 't316' | 't317' }
  | { k: 'stop'; t: 't316' | 't317' }
  /** release locally, with the cause, the calls on every VC, on one VC, or on one virtual path */
  | { k: 'release'; what: 'all' | VcId | { vpi: number }; cause: number }
  /** tell the layer above the peer restarted (the affected calls are released by now) */
  | { k: 'restarted'; restartClass: number; vc?: VcId }
  /** count a protocol error */
  | { k: 'count'; cause: number; text: string };

export interface RestartResult {
  readonly state: RestartProcs;
  readonly effects: readonly RestartEffect[];
  /** false: the request or answer was refused in this state (nothing changed) */
  readonly ok: boolean;
}

const unchanged = (state: RestartProcs, ok = true): RestartResult => ({ state, effects: [], ok });

export function restartStep(s: RestartProcs, e: RestartEvent): RestartResult {
  switch (e.k) {
    case 'request': {
      if (s.restart !== RestartState.REST0) return unchanged(s, false);
      const ies: InfoElement[] = [];
      let release: RestartEffect;
      if ('all' in e.scope) {
        ies.push({ id: IeId.RESTART_INDICATOR, restartClass: 2 });
        release = { k: 'release', what: 'all', cause: Cause.TEMPORARY_FAILURE };
      } else {
        ies.push(connIdIe(e.scope.vpi, e.scope.vci), { id: IeId.RESTART_INDICATOR, restartClass: 0 });
        release = { k: 'release', what: { vpi: e.scope.vpi, vci: e.scope.vci }, cause: Cause.TEMPORARY_FAILURE };
      }
      const restartMsg: UniMessage = { type: MsgType.RESTART, callRef: 0, callRefFlag: false, ies };
      return {
        state: { ...s, restart: RestartState.REST1, restartMsg, sends: 1 },
        effects: [release, { k: 'send', m: restartMsg }, { k: 'start', t: 't316' }],
        ok: true,
      };
    }
    case 't316': {
      if (s.restart !== RestartState.REST1 || !s.restartMsg) return unchanged(s);
      if (s.sends < (SENDS.t316 ?? 2))
        return { state: { ...s, sends: s.sends + 1 }, effects: [{ k: 'send', m: s.restartMsg }, { k: 'start', t: 't316' }], ok: true };
      return {
        state: endRestart(s),
        effects: [{ k: 'count', cause: Cause.RECOVERY_ON_TIMER_EXPIRY, text: 'RESTART not acknowledged (T316 expired twice)' }],
        ok: true,
      };
    }
    case 't317':
      // the layer above did not answer in time: no RESTART ACKNOWLEDGE goes out (Q.2931 5.5.2)
      if (s.respond !== RestartState.REST2) return unchanged(s);
      return {
        state: endRespond(s),
        effects: [{ k: 'count', cause: Cause.RECOVERY_ON_TIMER_EXPIRY, text: 'RESTART not answered in time (T317)' }],
        ok: true,
      };
    case 'answer':
      if (s.respond !== RestartState.REST2 || !s.ack) return unchanged(s, false);
      return { state: endRespond(s), effects: [{ k: 'stop', t: 't317' }, { k: 'send', m: s.ack }], ok: true };
    case 'link-lost':
      if (s === RESTART_IDLE) return unchanged(s);
      return { state: RESTART_IDLE, effects: [{ k: 'stop', t: 't316' }, { k: 'stop', t: 't317' }], ok: true };
    case 'message':
      return onMessage(s, e.m, e.name);
  }
}

function endRestart(s: RestartProcs): RestartProcs {
  return { ...s, restart: RestartState.REST0, restartMsg: undefined, sends: 0 };
}

function endRespond(s: RestartProcs): RestartProcs {
  return { ...s, respond: RestartState.REST0, ack: undefined };
}

function onMessage(s: RestartProcs, m: UniMessage, name: (type: number) => string): RestartResult {
  // flag 0: from the side that restarts (our respond process); flag 1: about our own restart
  const status = (cause: number, diag?: Buffer, count?: string): RestartResult => {
    const state = m.callRefFlag ? s.restart : s.respond;
    const reply: RestartEffect = { k: 'reply', m: msg(MsgType.STATUS, [{ id: IeId.CALL_STATE, state }, causeIe(cause, diag)]) };
    return { state: s, effects: count ? [{ k: 'count', cause, text: count }, reply] : [reply], ok: true };
  };
  switch (m.type) {
    case MsgType.RESTART: {
      if (m.callRefFlag) return status(Cause.INVALID_CALL_REFERENCE_VALUE);
      const ri = findIe(m, IeId.RESTART_INDICATOR);
      if (!ri) return status(Cause.MANDATORY_INFORMATION_ELEMENT_MISSING, ieListDiag([IeId.RESTART_INDICATOR]));
      const ci = findIe(m, IeId.CONNECTION_IDENTIFIER);
      if (ri.restartClass === 0 && !ci) return status(Cause.MANDATORY_INFORMATION_ELEMENT_MISSING, ieListDiag([IeId.CONNECTION_IDENTIFIER]));
      if (ri.restartClass > 2) return status(Cause.INVALID_INFORMATION_ELEMENT_CONTENTS, ieListDiag([IeId.RESTART_INDICATOR]));
      if (s.respond === RestartState.REST2) return status(Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, msgTypeDiag(m.type));
      const effects: RestartEffect[] = [{ k: 'start', t: 't317' }];
      let vc: VcId | undefined;
      if (ri.restartClass === 2) effects.push({ k: 'release', what: 'all', cause: Cause.TEMPORARY_FAILURE });
      else if (ri.restartClass === 0 && ci) {
        vc = { vpi: ci.vpci, vci: ci.vci };
        effects.push({ k: 'release', what: vc, cause: Cause.TEMPORARY_FAILURE });
      } else if (ci) {
        vc = { vpi: ci.vpci, vci: 0 };
        effects.push({ k: 'release', what: { vpi: ci.vpci }, cause: Cause.TEMPORARY_FAILURE });
      }
      const ies: InfoElement[] = [];
      if (ci) ies.push(connIdIe(ci.vpci, ci.vci));
      ies.push({ id: IeId.RESTART_INDICATOR, restartClass: ri.restartClass });
      const ack: UniMessage = { ...msg(MsgType.RESTART_ACKNOWLEDGE, ies), callRef: 0, callRefFlag: true };
      effects.push({ k: 'restarted', restartClass: ri.restartClass, vc });
      return { state: { ...s, respond: RestartState.REST2, ack }, effects, ok: true };
    }
    case MsgType.RESTART_ACKNOWLEDGE: {
      if (!m.callRefFlag) return status(Cause.INVALID_CALL_REFERENCE_VALUE);
      if (s.restart !== RestartState.REST1 || !s.restartMsg) return status(Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, msgTypeDiag(m.type));
      const want = findIe(s.restartMsg, IeId.RESTART_INDICATOR)?.restartClass;
      const got = findIe(m, IeId.RESTART_INDICATOR)?.restartClass;
      if (want !== got) return unchanged(s); // not the answer to our RESTART
      return { state: endRestart(s), effects: [{ k: 'stop', t: 't316' }], ok: true };
    }
    case MsgType.STATUS:
      return unchanged(s);
    default:
      return status(Cause.INVALID_CALL_REFERENCE_VALUE, undefined, `${name(m.type)} on the global call reference`);
  }
}
