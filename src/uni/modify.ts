/**
 * Q.2963.1 peak cell rate modification by the connection owner, as a pure
 * step on one call (call.ts routes the modify requests, the four messages
 * and T361 here; T360's expiry clears the call there).
 *
 * - Only a point-to-point call in Active may be modified, and only the side
 *   that sent the SETUP (the owner) asks: MODIFY REQUEST with the new PCR
 *   CLP=0+1 rates, T360, call state 13. One modification at a time.
 * - The responder, in Active, gets `modify-ind` (call state 14) and answers
 *   MODIFY ACKNOWLEDGE (with the broadband report type "modification
 *   confirmation" when it wants to hear CONNECTION AVAILABLE: T361 runs) or
 *   MODIFY REJECT with a cause. A request whose traffic descriptor breaks the
 *   PCR rules (msg/traffic.ts) is refused at once with cause 73.
 * - The owner stops T360 on either answer and tells the host; an
 *   acknowledgement that carries the report type is followed by CONNECTION
 *   AVAILABLE (at once; a switch relaying the modification sends it when the
 *   caller's own CONNECTION AVAILABLE, or its T361, says the rates are in
 *   force end to end: modify-req with deferAvail, then avail-req).
 * - A MODIFY REQUEST on an active point-to-multipoint call (at a root, a leaf
 *   or a switch) is refused with MODIFY REJECT cause 63, service or option
 *   not available: Q.2963.1 has no procedure for such calls (the host is not
 *   asked, the call goes on).
 * - Collisions: a MODIFY REQUEST reaching the owner, or reaching a responder
 *   already asked, is not compatible with the call state (STATUS 101); a new
 *   MODIFY REQUEST while the responder waits for CONNECTION AVAILABLE means
 *   the owner has the new rate in force (counted as that confirmation first);
 *   clearing in either direction ends the modification with the call
 *   (call.ts stops T360/T361 with every call timer).
 */
import type { CallEffect, CallState, CallStep } from './call-types.js';
import { causeIe, msg } from './call-ies.js';
import { Cause, findIe, IeId, MsgType, ReportType, type UniMessage } from './msg/types.js';
import { modifyTrafficDescriptor, modifyTrafficProblem, peakCellRates, type PeakCellRates } from './msg/traffic.js';

export type ModifyEvent =
  /** owner: ask for these rates; `deferAvail` (a switch relaying): a CONNECTION AVAILABLE the answer asks for waits for avail-req */
  | { k: 'modify-req'; pcr: PeakCellRates; deferAvail?: boolean }
  /** owner with deferAvail: send the CONNECTION AVAILABLE the acknowledgement asked for (the caller has the rates in force) */
  | { k: 'avail-req' }
  /** responder: take the rates; `confirm` asks the owner for CONNECTION AVAILABLE */
  | { k: 'modify-ack-req'; confirm: boolean }
  /** responder: keep the old rates */
  | { k: 'modify-reject-req'; cause: number };

const MODIFY_TYPES = new Set<number>([MsgType.MODIFY_REQUEST, MsgType.MODIFY_ACKNOWLEDGE, MsgType.MODIFY_REJECT, MsgType.CONNECTION_AVAILABLE]);

/** the state as it is, with these effects (none by default) */
function unchanged(s: CallState, effects: CallEffect[] = []): CallStep {
  return { state: s, effects };
}

/** a message not allowed in this state: the state as it is, and the coordinator answers it (Q.2931 5.6.10) */
function wrongState(s: CallState, m: UniMessage): CallStep {
  return { state: s, effects: [{ t: 'wrong-state', msg: m }] };
}

export function isModifyMessage(type: number): boolean {
  return MODIFY_TYPES.has(type);
}

/** Why the owner may not ask now (undefined: it may). */
export function modifyRefusal(s: CallState): string | undefined {
  if (s.kind !== 'p2p') return 'Q.2963.1 modifies point-to-point calls only';
  if (!s.owner) return 'only the calling side (the connection owner) may ask for a modification';
  if (s.phase !== 'active') return 'the call is not active';
  if (s.mod) return 'a modification is already under way';
  return undefined;
}

export function stepModify(
  s: CallState,
  e: ModifyEvent | { k: 'msg'; msg: UniMessage } | { k: 'timer'; timer: 't361' },
): CallStep {
  const ind = (i: Extract<CallEffect, { t: 'ind' }>['ind']): CallEffect => ({ t: 'ind', ind: i });
  switch (e.k) {
    case 'modify-req': {
      if (modifyRefusal(s) !== undefined) return unchanged(s);
      return {
        state: { ...s, mod: 'req', modPcr: e.pcr, modDefer: e.deferAvail || undefined, owesAvail: undefined },
        effects: [{ t: 'send', msg: msg(MsgType.MODIFY_REQUEST, [modifyTrafficDescriptor(e.pcr)]) }, { t: 'start', timer: 't360' }],
      };
    }
    case 'modify-ack-req': {
      if (s.phase !== 'active' || s.mod !== 'rcvd') return unchanged(s);
      const ies = e.confirm ? [{ id: IeId.BROADBAND_REPORT_TYPE as const, reportType: ReportType.MODIFICATION_CONFIRMATION }] : [];
      return {
        state: { ...s, mod: undefined, modPcr: undefined, awaitAvail: e.confirm || undefined },
        effects: [{ t: 'send', msg: msg(MsgType.MODIFY_ACKNOWLEDGE, ies) }, ...(e.confirm ? [{ t: 'start', timer: 't361' } as const] : [])],
      };
    }
    case 'modify-reject-req': {
      if (s.phase !== 'active' || s.mod !== 'rcvd') return unchanged(s);
      return { state: { ...s, mod: undefined, modPcr: undefined }, effects: [{ t: 'send', msg: msg(MsgType.MODIFY_REJECT, [causeIe(e.cause)]) }] };
    }
    case 'avail-req':
      if (s.phase !== 'active' || !s.owesAvail) return unchanged(s);
      return { state: { ...s, owesAvail: undefined }, effects: [{ t: 'send', msg: msg(MsgType.CONNECTION_AVAILABLE) }] };
    case 'timer':
      // T361: no CONNECTION AVAILABLE came; the new rates are taken as in force (the call goes on)
      if (!s.awaitAvail) return unchanged(s);
      return { state: { ...s, awaitAvail: undefined }, effects: [ind({ k: 'modify-available' })] };
    case 'msg':
      return onModifyMessage(s, e.msg, ind);
  }
}

function onModifyMessage(s: CallState, m: UniMessage, ind: (i: Extract<CallEffect, { t: 'ind' }>['ind']) => CallEffect): CallStep {
  const active = s.phase === 'active' && s.kind === 'p2p';
  switch (m.type) {
    case MsgType.MODIFY_REQUEST: {
      if (s.phase === 'active' && s.kind !== 'p2p') return { state: s, effects: [{ t: 'send', msg: msg(MsgType.MODIFY_REJECT, [causeIe(Cause.SERVICE_OR_OPTION_NOT_AVAILABLE)]) }] };
      if (!active || s.owner || s.mod) return wrongState(s, m);
      const pre: CallEffect[] = [];
      let ns = s;
      if (s.awaitAvail) {
        // the owner asks again: our last acknowledgement is in force at its end
        pre.push({ t: 'stop', timer: 't361' }, ind({ k: 'modify-available' }));
        ns = { ...ns, awaitAvail: undefined };
      }
      const td = findIe(m, IeId.ATM_TRAFFIC_DESCRIPTOR);
      if (!td || modifyTrafficProblem(td) !== undefined) {
        const rej = msg(MsgType.MODIFY_REJECT, [causeIe(Cause.UNSUPPORTED_COMBINATION_OF_TRAFFIC_PARAMETERS)]);
        return { state: ns, effects: [...pre, { t: 'send', msg: rej }] };
      }
      const pcr = peakCellRates(td);
      return { state: { ...ns, mod: 'rcvd', modPcr: pcr }, effects: [...pre, ind({ k: 'modify-ind', pcr })] };
    }
    case MsgType.MODIFY_ACKNOWLEDGE: {
      if (!active || s.mod !== 'req') return wrongState(s, m);
      const pcr = s.modPcr ?? {};
      const effects: CallEffect[] = [{ t: 'stop', timer: 't360' }];
      const asked = findIe(m, IeId.BROADBAND_REPORT_TYPE)?.reportType === ReportType.MODIFICATION_CONFIRMATION;
      if (asked && !s.modDefer) effects.push({ t: 'send', msg: msg(MsgType.CONNECTION_AVAILABLE) });
      const owes = asked && !!s.modDefer;
      effects.push(ind({ k: 'modify-confirm', pcr, ...(owes ? { confirm: true } : {}) }));
      return { state: { ...s, mod: undefined, modPcr: undefined, modDefer: undefined, owesAvail: owes || undefined }, effects };
    }
    case MsgType.MODIFY_REJECT: {
      if (!active || s.mod !== 'req') return wrongState(s, m);
      const cause = findIe(m, IeId.CAUSE)?.cause ?? Cause.NORMAL_UNSPECIFIED;
      return {
        state: { ...s, mod: undefined, modPcr: undefined, modDefer: undefined },
        effects: [{ t: 'stop', timer: 't360' }, ind({ k: 'modify-confirm', pcr: s.modPcr ?? {}, cause })],
      };
    }
    case MsgType.CONNECTION_AVAILABLE: {
      if (!active || s.owner) return wrongState(s, m);
      if (!s.awaitAvail) return { state: s, effects: [] }; // late (after T361) or not asked for: nothing to do
      return { state: { ...s, awaitAvail: undefined }, effects: [{ t: 'stop', timer: 't361' }, ind({ k: 'modify-available' })] };
    }
    default:
      return wrongState(s, m);
  }
}
