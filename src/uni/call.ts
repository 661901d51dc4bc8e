/**
 * Q.2931 call control for one call on one link: a pure machine.
 *
 * `stepCall(state, event)` returns the next state and the effects the link
 * coordinator carries out (send a message, start/stop a timer, tell the host,
 * forget the call). Messages leave without call reference: the link fills it
 * in with the flag convention. Party control (Q.2971) is a separate machine;
 * the coordinator couples the two.
 */
import type { TimerName } from './timers.js';
import { SENDS, timerDiagnostic } from './timers.js';
import { callStateCode, type CallPhase, type Side } from './states.js';
import { causeIe, causeOf, closeDataOf, connIdIe, EMPTY, msg, uuIe } from './call-ies.js';
import { Cause, findIe, IeId, MsgType, type UniMessage } from './msg/types.js';
import type { PeakCellRates } from './msg/traffic.js';
import { isModifyMessage, stepModify, type ModifyEvent } from './modify.js';

export type { CallEffect, CallIndication, CallKind, CallState, CallStep, VcId } from './call-types.js';
import type { CallEffect, CallIndication, CallKind, CallState, CallStep, VcId } from './call-types.js';

export type CallEvent =
  | { k: 'setup-req'; msg: UniMessage }
  | { k: 'setup-ind'; msg: UniMessage }
  | { k: 'proceeding-req' }
  | { k: 'alerting-req' }
  | { k: 'connect-req'; ies?: UniMessage['ies'] }
  | { k: 'reject-req'; cause: number }
  | { k: 'release-req'; cause: number; closeData?: Buffer }
  | { k: 'status-enquiry-req'; ies?: UniMessage['ies'] }
  | { k: 'msg'; msg: UniMessage }
  | { k: 'timer'; timer: TimerName }
  /** clearing for an error (5.6) or a timer: tell the host, send RELEASE */
  | { k: 'clear'; cause: number; diagnostic?: Buffer; closeData?: Buffer; remote?: boolean }
  /** the call is gone without signalling (link lost, RESTART, STATUS with Null) */
  | { k: 'local-release'; cause: number }
  | ModifyEvent;

export function newCall(side: Side, kind: CallKind, vc?: VcId): CallState {
  // every field present from the start: each step's copy keeps the one object shape (a field
  // added later would give V8 a new shape per step, and the copies would take the slow path)
  return {
    phase: 'null',
    side,
    kind,
    vc,
    vcSent: false,
    setup: undefined,
    release: undefined,
    enquiry: undefined,
    sent: { t303: 0, t308: 0, t322: 0 },
    told: false,
    activeTold: false,
    owner: undefined,
    mod: undefined,
    modPcr: undefined,
    awaitAvail: undefined,
    modDefer: undefined,
    owesAvail: undefined,
  };
}

/** The Call state IE code of this call (U/N numbering by side; 13/14 while a modification is under way). */
export function stateCode(s: CallState): number {
  if (s.phase === 'active' && s.mod) return s.mod === 'req' ? 13 : 14;
  return callStateCode(s.phase, s.side);
}

const CALL_TIMERS: TimerName[] = ['t303', 't308', 't310', 't313', 't322', 't360', 't361'];

/** the modification fields of a call that leaves Active */
// A call that is released or gone has no modification in progress: its state names mod, modPcr,
// awaitAvail, modDefer and owesAvail undefined, written out in each literal (a second spread, of a
// constant, takes V8's slow path for the whole literal: a runtime call per property).

/** the effects that stop every call timer: one shared, frozen list (effects are only read) */
const STOP_ALL: readonly CallEffect[] = Object.freeze(CALL_TIMERS.map((timer): CallEffect => Object.freeze({ t: 'stop', timer })));

function stopAll(): readonly CallEffect[] {
  return STOP_ALL;
}

function ind(i: CallIndication): CallEffect {
  return { t: 'ind', ind: i };
}

/** the state as it is, with these effects (none by default) */
function unchanged(s: CallState, effects: CallEffect[] = []): CallStep {
  return { state: s, effects };
}

/** a message not allowed in this state: the state as it is, and the coordinator answers it (Q.2931 5.6.10) */
function wrongState(s: CallState, m: UniMessage): CallStep {
  return { state: s, effects: [{ t: 'wrong-state', msg: m }] };
}

/** Our first answer to a SETUP carries the Connection identifier when we are the network side. */
function withConnId(s: CallState, m: UniMessage): { m: UniMessage; s: CallState } {
  if (s.side === 'network' && !s.vcSent && s.vc) {
    m.ies.unshift(connIdIe(s.vc.vpi, s.vc.vci));
    return { m, s: { ...s, vcSent: true } };
  }
  return { m, s };
}

/** Send RELEASE, start T308, enter Release Request (U11/N12). */
function sendRelease(s: CallState, cause: number, diagnostic: Buffer, closeData: Buffer | undefined): CallStep {
  const ies: UniMessage['ies'] = [causeIe(cause, diagnostic)];
  if (closeData) ies.push(uuIe(closeData));
  const rel = msg(MsgType.RELEASE, ies);
  return {
    state: { ...s, mod: undefined, modPcr: undefined, awaitAvail: undefined, modDefer: undefined, owesAvail: undefined, phase: 'rel-sent', release: rel, setup: undefined, sent: { ...s.sent, t308: 1, t322: 0 } },
    effects: [...stopAll(), { t: 'send', msg: rel }, { t: 'start', timer: 't308' }],
  };
}

function gone(s: CallState, effects: CallEffect[]): CallStep {
  return {
    state: { ...s, mod: undefined, modPcr: undefined, awaitAvail: undefined, modDefer: undefined, owesAvail: undefined, phase: 'null', setup: undefined, release: undefined, told: true },
    effects: [...effects, { t: 'destroy' }],
  };
}

function vcFrom(m: UniMessage): VcId | undefined {
  const c = findIe(m, IeId.CONNECTION_IDENTIFIER);
  return c ? { vpi: c.vpci, vci: c.vci } : undefined;
}

export function stepCall(s: CallState, e: CallEvent): CallStep {
  switch (e.k) {
    case 'setup-req': {
      if (s.phase !== 'null') return unchanged(s);
      const m: UniMessage = { ...e.msg, ies: [...e.msg.ies] };
      let ns: CallState = { ...s, phase: 'out-setup', setup: m, sent: { ...s.sent, t303: 1 }, owner: true };
      if (s.side === 'network' && s.vc) {
        m.ies.push(connIdIe(s.vc.vpi, s.vc.vci));
        ns = { ...ns, vcSent: true };
      }
      return { state: ns, effects: [{ t: 'send', msg: m }, { t: 'start', timer: 't303' }] };
    }
    case 'setup-ind': {
      if (s.phase !== 'null') return unchanged(s);
      const vc = s.side === 'user' ? vcFrom(e.msg) : s.vc;
      return { state: { ...s, phase: 'in-setup', vc }, effects: [] };
    }
    case 'proceeding-req': {
      if (s.phase !== 'in-setup') return unchanged(s);
      const { m, s: ns } = withConnId(s, msg(MsgType.CALL_PROCEEDING));
      return { state: { ...ns, phase: 'in-proceeding' }, effects: [{ t: 'send', msg: m }] };
    }
    case 'alerting-req': {
      if (s.phase !== 'in-setup' && s.phase !== 'in-proceeding') return unchanged(s);
      const { m, s: ns } = withConnId(s, msg(MsgType.ALERTING));
      return { state: { ...ns, phase: 'in-alerting' }, effects: [{ t: 'send', msg: m }] };
    }
    case 'connect-req': {
      if (s.phase !== 'in-setup' && s.phase !== 'in-proceeding' && s.phase !== 'in-alerting') return unchanged(s);
      const { m, s: ns } = withConnId(s, msg(MsgType.CONNECT, e.ies ? [...e.ies] : []));
      if (s.side === 'user') return { state: { ...ns, phase: 'in-connect' }, effects: [{ t: 'send', msg: m }, { t: 'start', timer: 't313' }] };
      // the network side is Active as soon as it sends CONNECT; the user's CONNECT ACKNOWLEDGE tells the host
      return { state: { ...ns, phase: 'active' }, effects: [{ t: 'send', msg: m }] };
    }
    case 'reject-req': {
      if (s.phase !== 'in-setup' && s.phase !== 'in-proceeding' && s.phase !== 'in-alerting') return unchanged(s);
      const rc = msg(MsgType.RELEASE_COMPLETE, [causeIe(e.cause)]);
      return gone(s, [...stopAll(), { t: 'send', msg: rc }, { t: 'parties-gone', cause: e.cause, remote: false }, ind({ k: 'release-confirm', cause: e.cause })]);
    }
    case 'release-req': {
      if (s.phase === 'null' || s.phase === 'rel-sent' || s.phase === 'rel-rcvd') return unchanged(s);
      const r = sendRelease(s, e.cause, EMPTY, e.closeData);
      return { state: r.state, effects: [...r.effects, { t: 'parties-gone', cause: e.cause, closeData: e.closeData, remote: false }] };
    }
    case 'status-enquiry-req': {
      if (s.phase === 'null' || s.sent.t322 > 0) return unchanged(s);
      const enq = msg(MsgType.STATUS_ENQUIRY, e.ies ? [...e.ies] : []);
      return {
        state: { ...s, enquiry: enq, sent: { ...s.sent, t322: 1 } },
        effects: [{ t: 'send', msg: enq }, { t: 'start', timer: 't322' }],
      };
    }
    case 'clear': {
      if (s.phase === 'null' || s.phase === 'rel-sent') return unchanged(s);
      const r = sendRelease(s, e.cause, e.diagnostic ?? EMPTY, e.closeData);
      const effects: CallEffect[] = [...r.effects, { t: 'parties-gone', cause: e.cause, closeData: e.closeData, remote: e.remote ?? false }];
      if (!s.told) effects.push(ind({ k: 'released', cause: e.cause, closeData: e.closeData, remote: e.remote ?? false }));
      return { state: { ...r.state, told: true }, effects };
    }
    case 'local-release': {
      if (s.phase === 'null') return unchanged(s);
      const effects: CallEffect[] = [...stopAll(), { t: 'parties-gone', cause: e.cause, remote: false }];
      if (!s.told) effects.push(ind(s.phase === 'rel-sent' ? { k: 'release-confirm', cause: e.cause } : { k: 'released', cause: e.cause, remote: false }));
      return gone(s, effects);
    }
    case 'modify-req':
    case 'modify-ack-req':
    case 'modify-reject-req':
    case 'avail-req':
      return stepModify(s, e);
    case 'timer':
      return onTimer(s, e.timer);
    case 'msg':
      return isModifyMessage(e.msg.type) ? stepModify(s, e) : onMessage(s, e.msg);
  }
}

function onTimer(s: CallState, t: TimerName): CallStep {
  switch (t) {
    case 't303': {
      if (s.phase !== 'out-setup' || !s.setup) return unchanged(s);
      if (s.sent.t303 < (SENDS.t303 ?? 2))
        return { state: { ...s, sent: { ...s.sent, t303: s.sent.t303 + 1 } }, effects: [{ t: 'send', msg: s.setup }, { t: 'start', timer: 't303' }] };
      // no answer to the resent SETUP: give the reference back with RELEASE COMPLETE (102 "303") and tell the host (18)
      const rc = msg(MsgType.RELEASE_COMPLETE, [causeIe(Cause.RECOVERY_ON_TIMER_EXPIRY, timerDiagnostic('t303'))]);
      return gone(s, [
        { t: 'send', msg: rc },
        { t: 'parties-gone', cause: Cause.NO_USER_RESPONDING, remote: false },
        ...(s.told ? [] : [ind({ k: 'released', cause: Cause.NO_USER_RESPONDING, remote: false })]),
      ]);
    }
    case 't308': {
      if (s.phase !== 'rel-sent' || !s.release) return unchanged(s);
      if (s.sent.t308 < (SENDS.t308 ?? 2)) {
        const again: UniMessage = { ...s.release, ies: [...s.release.ies] };
        // second cause: recovery on timer expiry, naming T308
        const at = again.ies.findIndex((ie) => ie.id === IeId.CAUSE);
        again.ies.splice(at + 1, 0, causeIe(Cause.RECOVERY_ON_TIMER_EXPIRY, timerDiagnostic('t308')));
        return { state: { ...s, sent: { ...s.sent, t308: s.sent.t308 + 1 } }, effects: [{ t: 'send', msg: again }, { t: 'start', timer: 't308' }] };
      }
      return gone(s, s.told ? [] : [ind({ k: 'release-confirm', cause: Cause.RECOVERY_ON_TIMER_EXPIRY })]);
    }
    case 't310':
      if (s.phase !== 'out-proceeding') return unchanged(s);
      return stepCall(s, { k: 'clear', cause: Cause.NO_USER_RESPONDING });
    case 't313':
      if (s.phase !== 'in-connect') return unchanged(s);
      return stepCall(s, { k: 'clear', cause: Cause.RECOVERY_ON_TIMER_EXPIRY, diagnostic: timerDiagnostic('t313') });
    case 't360':
      // Q.2963.1: no answer to our MODIFY REQUEST: the call is cleared (102, naming T360)
      if (s.mod !== 'req') return unchanged(s);
      return stepCall({ ...s, mod: undefined }, { k: 'clear', cause: Cause.RECOVERY_ON_TIMER_EXPIRY, diagnostic: timerDiagnostic('t360') });
    case 't361':
      return stepModify(s, { k: 'timer', timer: 't361' });
    case 't322': {
      if (s.sent.t322 === 0 || s.phase === 'null') return unchanged(s);
      if (s.phase === 'rel-sent') return { state: { ...s, sent: { ...s.sent, t322: 0 } }, effects: [] };
      if (s.sent.t322 < (SENDS.t322 ?? 2))
        return {
          state: { ...s, sent: { ...s.sent, t322: s.sent.t322 + 1 } },
          effects: [{ t: 'send', msg: s.enquiry ?? msg(MsgType.STATUS_ENQUIRY) }, { t: 'start', timer: 't322' }],
        };
      return stepCall({ ...s, sent: { ...s.sent, t322: 0 } }, { k: 'clear', cause: Cause.RECOVERY_ON_TIMER_EXPIRY, diagnostic: timerDiagnostic('t322') });
    }
    default:
      return unchanged(s);
  }
}

function onMessage(s: CallState, m: UniMessage): CallStep {
  const p = s.phase;
  switch (m.type) {
    case MsgType.CALL_PROCEEDING:
      if (p !== 'out-setup') return wrongState(s, m);
      return {
        state: { ...s, phase: 'out-proceeding', setup: undefined, vc: s.vc ?? vcFrom(m) },
        effects: [{ t: 'stop', timer: 't303' }, { t: 'start', timer: 't310' }, ind({ k: 'proceeding' })],
      };
    case MsgType.ALERTING:
      if (p !== 'out-setup' && p !== 'out-proceeding') return wrongState(s, m);
      return {
        state: { ...s, phase: 'out-alerting', setup: undefined, vc: s.vc ?? vcFrom(m) },
        effects: [{ t: 'stop', timer: 't303' }, { t: 'stop', timer: 't310' }, ind({ k: 'alerting' })],
      };
    case MsgType.CONNECT: {
      if (p !== 'out-setup' && p !== 'out-proceeding' && p !== 'out-alerting') return wrongState(s, m);
      const vc = s.vc ?? vcFrom(m);
      return {
        state: { ...s, phase: 'active', setup: undefined, vc, activeTold: true },
        effects: [
          { t: 'stop', timer: 't303' },
          { t: 'stop', timer: 't310' },
          { t: 'send', msg: msg(MsgType.CONNECT_ACKNOWLEDGE) },
          ind({ k: 'connected', vc }),
        ],
      };
    }
    case MsgType.CONNECT_ACKNOWLEDGE:
      if (p === 'in-connect')
        return { state: { ...s, phase: 'active', activeTold: true }, effects: [{ t: 'stop', timer: 't313' }, ind({ k: 'active' })] };
      if (p === 'active' && s.side === 'network' && !s.activeTold) return { state: { ...s, activeTold: true }, effects: [ind({ k: 'active' })] };
      if (p === 'active') return { state: s, effects: [] };
      return wrongState(s, m);
    case MsgType.RELEASE: {
      const cause = causeOf(m) ?? Cause.NORMAL_UNSPECIFIED;
      if (p === 'null') return wrongState(s, m);
      if (p === 'rel-sent') {
        // clear collision: both sides sent RELEASE; ours is answered by theirs
        return gone(s, [{ t: 'stop', timer: 't308' }, ...(s.told ? [] : [ind({ k: 'release-confirm', cause })])]);
      }
      const missing = !findIe(m, IeId.CAUSE);
      const rcCauses = missing ? [causeIe(Cause.MANDATORY_INFORMATION_ELEMENT_MISSING, Buffer.from([IeId.CAUSE]))] : [];
      const closeData = closeDataOf(m);
      return gone(s, [
        ...stopAll(),
        { t: 'send', msg: msg(MsgType.RELEASE_COMPLETE, rcCauses) },
        { t: 'parties-gone', cause, closeData, remote: true },
        ...(s.told ? [] : [ind({ k: 'released', cause, closeData, remote: true })]),
      ]);
    }
    case MsgType.RELEASE_COMPLETE: {
      const cause = causeOf(m) ?? Cause.NORMAL_UNSPECIFIED;
      const closeData = closeDataOf(m);
      const i: CallIndication = p === 'rel-sent' ? { k: 'release-confirm', cause } : { k: 'released', cause, closeData, remote: true };
      return gone(s, [...stopAll(), { t: 'parties-gone', cause, closeData, remote: p !== 'rel-sent' }, ...(s.told ? [] : [ind(i)])]);
    }
    case MsgType.STATUS: {
      const effects: CallEffect[] = [];
      let ns = s;
      const cause = causeOf(m);
      if (cause === Cause.RESPONSE_TO_STATUS_ENQUIRY && s.sent.t322 > 0) {
        effects.push({ t: 'stop', timer: 't322' });
        ns = { ...ns, sent: { ...ns.sent, t322: 0 } };
      }
      const peer = findIe(m, IeId.CALL_STATE)?.state;
      if (peer === undefined) return { state: ns, effects };
      if (peer === 0) {
        // the peer has no such call: release it here without signalling (cause 101)
        const r = stepCall(ns, { k: 'local-release', cause: Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE });
        return { state: r.state, effects: [...effects, ...r.effects] };
      }
      if (p === 'rel-sent') return { state: ns, effects };
      if (!compatible(ns, peer)) {
        const r = stepCall(ns, { k: 'clear', cause: Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, diagnostic: Buffer.from([MsgType.STATUS]) });
        return { state: r.state, effects: [...effects, ...r.effects] };
      }
      return { state: ns, effects };
    }
    default:
      return wrongState(s, m);
  }
}

/**
 * Q.2931 5.6.11: a STATUS whose call state cannot follow from ours. The peer
 * plays the other side; a state that may simply predate a legal change counts
 * as compatible. Incompatible: both think they originated, or both think they
 * were called.
 */
export function compatible(s: CallState, peerCode: number): boolean {
  const peerSide: Side = s.side === 'user' ? 'network' : 'user';
  const out = (c: number, side: Side) => (side === 'user' ? [1, 3, 4].includes(c) : [6, 7, 8, 9].includes(c));
  const inn = (c: number, side: Side) => (side === 'user' ? [6, 7, 8, 9].includes(c) : [1, 3, 4].includes(c));
  const mine = stateCode(s);
  if (out(mine, s.side) && out(peerCode, peerSide)) return false;
  if (inn(mine, s.side) && inn(peerCode, peerSide)) return false;
  // 13 / 14: the peer is Active with a modification under way (Q.2963.1)
  return ![0, 1, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14].includes(peerCode) ? false : true;
}

