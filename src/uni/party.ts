/**
 * Q.2971 party control for one party (endpoint reference) of a
 * point-to-multipoint call on one link: a pure machine.
 *
 * Messages leave without endpoint reference and call reference: the link
 * adds both with their flag conventions. The last-party rule (a DROP PARTY,
 * DROP PARTY ACKNOWLEDGE or ADD PARTY REJECT for the last living party becomes
 * a RELEASE of the call) is the coordinator's: it knows the count.
 */
import { causeIe, causeOf, closeDataOf, EMPTY, msg, uuIe } from './call-ies.js';
import { PartyState, type Side } from './states.js';
import { timerDiagnostic, type TimerName } from './timers.js';
import { Cause, findIe, IeId, MsgType, type UniMessage } from './msg/types.js';

export { PartyState };

export interface PartyMachine {
  readonly st: PartyState;
  /** root: we allocated the endpoint reference and add the party; leaf: we are the party */
  readonly role: 'root' | 'leaf';
  readonly side: Side;
  /** the party that came with the SETUP (its progress rides on ALERTING / CONNECT) */
  readonly first: boolean;
  /** the host has been told this party is over */
  readonly told: boolean;
}

export type PartyIndication =
  | { k: 'alerting' }
  | { k: 'added' }
  | { k: 'rejected'; cause: number; closeData?: Buffer }
  | { k: 'dropped'; cause: number; closeData?: Buffer; remote: boolean }
  | { k: 'drop-confirm'; cause: number };

export type PartyEffect =
  | { t: 'send'; msg: UniMessage }
  | { t: 'start'; timer: TimerName }
  | { t: 'stop' }
  | { t: 'ind'; ind: PartyIndication }
  /** illegal in this party state: STATUS 101 with the endpoint reference and state */
  | { t: 'wrong-state'; msg: UniMessage }
  /** the endpoint reference is free again */
  | { t: 'gone' };

export type PartyEvent =
  | { k: 'add-req'; msg: UniMessage }
  /** the party travels in our SETUP */
  | { k: 'first-out' }
  /** ADD PARTY received, or the SETUP that made us a leaf */
  | { k: 'add-ind'; first: boolean }
  | { k: 'alerting-req' }
  | { k: 'ack-req'; ies?: UniMessage['ies'] }
  | { k: 'reject-req'; cause: number }
  /** the call went Active with this (first) party in it */
  | { k: 'call-active' }
  | { k: 'drop-req'; cause: number; closeData?: Buffer }
  | { k: 'msg'; msg: UniMessage }
  | { k: 'timer'; timer: TimerName }
  /** the party is gone without signalling (its link was lost while it was not Active, Q.2931 5.5.6) */
  | { k: 'local-release'; cause: number };

export interface PartyStep {
  state: PartyMachine;
  effects: PartyEffect[];
}

export function newParty(role: 'root' | 'leaf', side: Side, first: boolean): PartyMachine {
  return { st: PartyState.P0, role, side, first, told: false };
}

/** the state as it is, with these effects (none by default) */
function unchanged(s: PartyMachine, effects: PartyEffect[] = []): PartyStep {
  return { state: s, effects };
}

/** a message not allowed in this state: the state as it is, and the coordinator answers it (Q.2931 5.6.10) */
function wrongState(s: PartyMachine, m: UniMessage): PartyStep {
  return { state: s, effects: [{ t: 'wrong-state', msg: m }] };
}

function dropMsg(cause: number, diagnostic: Buffer, closeData?: Buffer): UniMessage {
  const ies: UniMessage['ies'] = [causeIe(cause, diagnostic)];
  if (closeData) ies.push(uuIe(closeData));
  return msg(MsgType.DROP_PARTY, ies);
}

/** Drop because of an error or a timer (Q.2971 "drop with error"): tell the host, DROP PARTY, T398 -> P5. */
function dropWithError(s: PartyMachine, cause: number, diagnostic: Buffer, i: PartyIndication): PartyStep {
  return {
    state: { ...s, st: PartyState.P5, told: true },
    effects: [{ t: 'stop' }, ...(s.told ? [] : [{ t: 'ind' as const, ind: i }]), { t: 'send', msg: dropMsg(cause, diagnostic) }, { t: 'start', timer: 't398' }],
  };
}

function gone(s: PartyMachine, effects: PartyEffect[]): PartyStep {
  return { state: { ...s, st: PartyState.P0, told: true }, effects: [{ t: 'stop' }, ...effects, { t: 'gone' }] };
}

/** The indication for a party that ended without our asking, by how far it had got. */
function endedInd(s: PartyMachine, cause: number, closeData: Buffer | undefined, remote: boolean): PartyEffect[] {
  if (s.told) return [];
  if (s.st === PartyState.P5) return [{ t: 'ind', ind: { k: 'drop-confirm', cause } }];
  if (s.role === 'root' && (s.st === PartyState.P1 || s.st === PartyState.P4)) return [{ t: 'ind', ind: { k: 'rejected', cause, closeData } }];
  return [{ t: 'ind', ind: { k: 'dropped', cause, closeData, remote } }];
}

export function stepParty(s: PartyMachine, e: PartyEvent): PartyStep {
  const P = PartyState;
  switch (e.k) {
    case 'add-req':
      if (s.st !== P.P0) return unchanged(s);
      return { state: { ...s, st: P.P1 }, effects: [{ t: 'send', msg: e.msg }, { t: 'start', timer: 't399' }] };
    case 'first-out':
      return s.st === P.P0 ? { state: { ...s, st: P.P1, first: true }, effects: [] } : unchanged(s);
    case 'add-ind':
      return s.st === P.P0 ? { state: { ...s, st: P.P2, first: e.first }, effects: [] } : unchanged(s);
    case 'alerting-req':
      if (s.st !== P.P2) return unchanged(s);
      return { state: { ...s, st: P.P3 }, effects: s.first ? [] : [{ t: 'send', msg: msg(MsgType.PARTY_ALERTING) }] };
    case 'ack-req':
      if (s.st !== P.P2 && s.st !== P.P3) return unchanged(s);
      return { state: { ...s, st: P.P7 }, effects: s.first ? [] : [{ t: 'send', msg: msg(MsgType.ADD_PARTY_ACKNOWLEDGE, e.ies ? [...e.ies] : []) }] };
    case 'reject-req':
      if (s.st !== P.P2 && s.st !== P.P3) return unchanged(s);
      return gone(s, [{ t: 'send', msg: msg(MsgType.ADD_PARTY_REJECT, [causeIe(e.cause)]) }]);
    case 'call-active':
      if (s.st === P.P1 || s.st === P.P2 || s.st === P.P3 || s.st === P.P4) return { state: { ...s, st: P.P7 }, effects: [{ t: 'stop' }] };
      return unchanged(s);
    case 'drop-req':
      if (s.st === P.P0 || s.st === P.P5 || s.st === P.P6) return unchanged(s);
      return {
        state: { ...s, st: P.P5, told: false },
        effects: [{ t: 'stop' }, { t: 'send', msg: dropMsg(e.cause, EMPTY, e.closeData) }, { t: 'start', timer: 't398' }],
      };
    case 'local-release':
      if (s.st === P.P0) return unchanged(s);
      return gone(s, endedInd(s, e.cause, undefined, false));
    case 'timer':
      return onTimer(s, e.timer);
    case 'msg':
      return onMessage(s, e.msg);
  }
}

function onTimer(s: PartyMachine, t: TimerName): PartyStep {
  const P = PartyState;
  switch (t) {
    case 't399': {
      if (s.st !== P.P1) return { state: s, effects: [] };
      const cause = s.side === 'user' ? Cause.RECOVERY_ON_TIMER_EXPIRY : Cause.NO_USER_RESPONDING;
      const diag = s.side === 'user' ? timerDiagnostic('t399') : EMPTY;
      return dropWithError(s, cause, diag, { k: 'rejected', cause });
    }
    case 't397':
      if (s.st !== P.P4) return { state: s, effects: [] };
      return dropWithError(s, Cause.RECOVERY_ON_TIMER_EXPIRY, timerDiagnostic('t397'), { k: 'rejected', cause: Cause.RECOVERY_ON_TIMER_EXPIRY });
    case 't398': {
      if (s.st !== P.P5) return { state: s, effects: [] };
      // no acknowledgement: acknowledge ourselves (102 "398") and forget the party
      const ack = msg(MsgType.DROP_PARTY_ACKNOWLEDGE, [causeIe(Cause.RECOVERY_ON_TIMER_EXPIRY, timerDiagnostic('t398'))]);
      return gone(s, [...(s.told ? [] : [{ t: 'ind' as const, ind: { k: 'drop-confirm' as const, cause: Cause.RECOVERY_ON_TIMER_EXPIRY } }]), { t: 'send', msg: ack }]);
    }
    default:
      return { state: s, effects: [] };
  }
}

function onMessage(s: PartyMachine, m: UniMessage): PartyStep {
  const P = PartyState;
  switch (m.type) {
    case MsgType.PARTY_ALERTING:
    case MsgType.ALERTING:
      if (s.role !== 'root' || s.st !== P.P1) return wrongState(s, m);
      if (s.first) return { state: { ...s, st: P.P4 }, effects: [] };
      return { state: { ...s, st: P.P4 }, effects: [{ t: 'stop' }, { t: 'start', timer: 't397' }, { t: 'ind', ind: { k: 'alerting' } }] };
    case MsgType.ADD_PARTY_ACKNOWLEDGE:
    case MsgType.CONNECT:
      if (s.role !== 'root' || (s.st !== P.P1 && s.st !== P.P4)) return wrongState(s, m);
      return { state: { ...s, st: P.P7 }, effects: [{ t: 'stop' }, ...(s.first ? [] : [{ t: 'ind' as const, ind: { k: 'added' as const } }])] };
    case MsgType.ADD_PARTY_REJECT: {
      const cause = causeOf(m) ?? Cause.NORMAL_UNSPECIFIED;
      if (s.st === P.P5) return gone(s, s.told ? [] : [{ t: 'ind', ind: { k: 'drop-confirm', cause } }]);
      if (s.role !== 'root' || (s.st !== P.P1 && s.st !== P.P4)) return wrongState(s, m);
      return gone(s, s.told ? [] : [{ t: 'ind', ind: { k: 'rejected', cause, closeData: closeDataOf(m) } }]);
    }
    case MsgType.DROP_PARTY: {
      const cause = causeOf(m) ?? Cause.NORMAL_UNSPECIFIED;
      if (s.st === P.P5) {
        // drop collision: both sides dropped; no acknowledgement goes back
        return gone(s, s.told ? [] : [{ t: 'ind', ind: { k: 'drop-confirm', cause } }]);
      }
      if (s.st === P.P0) return wrongState(s, m);
      // answered at once (docs/architecture.md, "NDIS requests and Q.2931 messages"): DROP PARTY ACKNOWLEDGE, then the host hears of it
      const ack = msg(MsgType.DROP_PARTY_ACKNOWLEDGE, [causeIe(cause)]);
      return gone(s, [...endedInd(s, cause, closeDataOf(m), true), { t: 'send', msg: ack }]);
    }
    case MsgType.DROP_PARTY_ACKNOWLEDGE: {
      const cause = causeOf(m) ?? Cause.NORMAL_UNSPECIFIED;
      return gone(s, endedInd(s, cause, closeDataOf(m), true));
    }
    case MsgType.STATUS: {
      const ep = findIe(m, IeId.ENDPOINT_STATE)?.state;
      if (ep === undefined) return { state: s, effects: [] };
      if (ep === P.P0) return gone(s, endedInd(s, Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, undefined, true));
      if (s.st === P.P5) return { state: s, effects: [] };
      const both = (a: number[], b: number[]) => a.includes(s.st) && b.includes(ep);
      if (both([P.P1, P.P4], [P.P1, P.P4]) || both([P.P2, P.P3], [P.P2, P.P3])) {
        const cause = Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE;
        return dropWithError(s, cause, EMPTY, s.st === P.P7 ? { k: 'dropped', cause, remote: false } : s.role === 'root' && s.st !== P.P2 && s.st !== P.P3 ? { k: 'rejected', cause } : { k: 'dropped', cause, remote: false });
      }
      const c = causeOf(m);
      if (c === 96 || c === 97 || c === 99 || c === 100) {
        const cause = Cause.NORMAL_UNSPECIFIED;
        return dropWithError(s, cause, EMPTY, s.role === 'root' && (s.st === P.P1 || s.st === P.P4) ? { k: 'rejected', cause } : { k: 'dropped', cause, remote: false });
      }
      return { state: s, effects: [] };
    }
    default:
      return wrongState(s, m);
  }
}
