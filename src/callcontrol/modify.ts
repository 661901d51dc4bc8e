/**
 * The host side of Q.2963.1 connection modification: the UniHost requests
 * (modify, modifyAccept, modifyReject) checked against the host call, and
 * the call machine's modification indications turned into UniIndications.
 * The call's traffic descriptor (its UniCallParams.traffic) takes the new
 * peak cell rates when they are agreed: at the owner when MODIFY ACKNOWLEDGE
 * arrives, at the responder when it sends one.
 */
import { err, ok, type Result } from '../common/result.js';
import type { CallId, UniCallParams, UniError, UniErrorCode, UniIndication } from '../uni/api.js';
import type { CallIndication } from '../uni/call.js';
import { defaultTraffic } from '../uni/call-ies.js';
import type { LinkCall, UniPort } from '../uni/port.js';
import { modifyRefusal } from '../uni/modify.js';
import { Cause } from '../uni/msg/types.js';
import { pcrProblem, peakCellRates, withPeakCellRates, type PeakCellRates } from '../uni/msg/traffic.js';

/** What the modification needs of a host call. */
export interface ModifiableCall {
  readonly id: CallId;
  readonly params: UniCallParams;
  readonly firstLeg?: { readonly link: UniPort; readonly lc: LinkCall };
  done: boolean;
}

const fail = (code: UniErrorCode, cause: number, message: string): { ok: false; error: UniError } => err({ code, cause, message });

/** MODIFY REQUEST on the call's only leg. */
export function modifyRequest(call: ModifiableCall | undefined, callId: CallId, pcr: PeakCellRates): Result<void, UniError> {
  const lc = call?.firstLeg?.lc;
  if (!call || call.done || !lc) return fail('unknown-call', Cause.INVALID_CALL_REFERENCE_VALUE, `no call ${callId}`);
  const bad = pcrProblem(pcr);
  if (bad) return fail('bad-traffic', Cause.UNSUPPORTED_COMBINATION_OF_TRAFFIC_PARAMETERS, bad);
  const why = modifyRefusal(lc.st);
  if (why) {
    const code: UniErrorCode = lc.st.kind !== 'p2p' ? 'not-multipoint' : !lc.st.owner ? 'not-owner' : 'wrong-state';
    return fail(code, Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, `call ${callId}: ${why}`);
  }
  call.firstLeg!.link.callRequest(lc, { k: 'modify-req', pcr });
  return ok(undefined);
}

/** MODIFY ACKNOWLEDGE or MODIFY REJECT for the request the host was told of. */
export function modifyAnswer(call: ModifiableCall | undefined, callId: CallId, accept: boolean, cause: number): Result<void, UniError> {
  const lc = call?.firstLeg?.lc;
  if (!call || call.done || !lc) return fail('unknown-call', Cause.INVALID_CALL_REFERENCE_VALUE, `no call ${callId}`);
  if (lc.st.phase !== 'active' || lc.st.mod !== 'rcvd')
    return fail('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, `call ${callId} has no modification to answer`);
  const link = call.firstLeg!.link;
  if (!accept) {
    link.callRequest(lc, { k: 'modify-reject-req', cause });
    return ok(undefined);
  }
  const pcr = lc.st.modPcr ?? {};
  const before = peakCellRates(call.params.traffic ?? defaultTraffic());
  // ask for CONNECTION AVAILABLE when what we receive (forward) may grow: we want to know the owner has it in force
  const confirm = pcr.forward !== undefined && (before.forward === undefined || pcr.forward > before.forward);
  link.callRequest(lc, { k: 'modify-ack-req', confirm });
  call.params.traffic = withPeakCellRates(call.params.traffic ?? defaultTraffic(), pcr);
  return ok(undefined);
}

/** The UniIndication for a modification indication of the call machine (undefined: not one). */
export function modifyIndication(call: ModifiableCall, ind: CallIndication): UniIndication | undefined {
  switch (ind.k) {
    case 'modify-ind':
      return { kind: 'modify-request', call: call.id, pcr: ind.pcr };
    case 'modify-confirm':
      if (ind.cause !== undefined) return { kind: 'modify-confirm', call: call.id, pcr: ind.pcr, accepted: false, cause: ind.cause };
      call.params.traffic = withPeakCellRates(call.params.traffic ?? defaultTraffic(), ind.pcr);
      return { kind: 'modify-confirm', call: call.id, pcr: ind.pcr, accepted: true };
    case 'modify-available':
      return { kind: 'modify-available', call: call.id };
    default:
      return undefined;
  }
}
