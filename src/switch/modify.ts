/**
 * The switch's part in Q.2963.1 peak cell rate modification: on a
 * point-to-point call it relays between the call's two legs, each its own
 * Q.2931 call with its own modification machine (src/uni/modify.ts). The
 * switch is the responder on the caller's leg and the owner on the called
 * side's leg:
 *
 * - MODIFY REQUEST from the caller (modify-ind on the inbound leg) -> MODIFY
 *   REQUEST with the same peak cell rates on the outbound leg. If that leg
 *   cannot ask now (not active, a modification of its own under way) the
 *   caller gets MODIFY REJECT 41, temporary failure.
 * - MODIFY ACKNOWLEDGE / MODIFY REJECT from the called side (modify-confirm
 *   on the outbound leg) -> the same answer to the caller, the cause carried;
 *   an acknowledgement that asked for CONNECTION AVAILABLE asks the caller
 *   for it in turn.
 * - CONNECTION AVAILABLE from the caller (or T361 running out on its leg:
 *   modify-available) -> CONNECTION AVAILABLE to the called side, which the
 *   outbound leg held back until then (modify-req with deferAvail).
 *
 * A MODIFY REQUEST on a point-to-multipoint call never gets here: the leg's
 * machine answers MODIFY REJECT 63 itself. Clearing during a modification is
 * ordinary clearing: each leg's machine ends its modification with its call.
 */
import type { CallIndication } from '../uni/call.js';
import { modifyRefusal } from '../uni/modify.js';
import { Cause } from '../uni/msg/types.js';
import type { SwitchLog } from './types.js';
import type { LinkCall, UniPort } from '../uni/port.js';

/** What the relay needs of one leg of a call. */
export interface ModifyLeg {
  readonly inbound: boolean;
  readonly gone: boolean;
  readonly link: UniPort;
  readonly lc: LinkCall;
}

export type ModifyIndication = Extract<CallIndication, { k: 'modify-ind' | 'modify-confirm' | 'modify-available' }>;

export function isModifyIndication(ind: CallIndication): ind is ModifyIndication {
  return ind.k === 'modify-ind' || ind.k === 'modify-confirm' || ind.k === 'modify-available';
}

/** relay one leg's modification indication to the other leg of a point-to-point call */
export function relayModify(call: { readonly id: number; readonly in: ModifyLeg; readonly legs: ReadonlyMap<string, ModifyLeg> }, leg: ModifyLeg, ind: ModifyIndication, log: SwitchLog): void {
  const out = [...call.legs.values()][0];
  const to = leg.inbound ? out : call.in;
  if (!to || to.gone) return; // the call is clearing: each leg's machine ends its modification with it
  switch (ind.k) {
    case 'modify-ind': {
      const why = modifyRefusal(to.lc.st);
      if (why) {
        log.info({ call: call.id, why }, 'switch: a modification the called side cannot be asked for now: MODIFY REJECT 41');
        leg.link.callRequest(leg.lc, { k: 'modify-reject-req', cause: Cause.TEMPORARY_FAILURE });
        return;
      }
      log.info({ call: call.id, pcr: ind.pcr }, 'switch: MODIFY REQUEST relayed to the called side');
      to.link.callRequest(to.lc, { k: 'modify-req', pcr: ind.pcr, deferAvail: true });
      return;
    }
    case 'modify-confirm':
      log.info({ call: call.id, accepted: ind.cause === undefined, cause: ind.cause }, 'switch: the answer to a modification relayed to the caller');
      to.link.callRequest(to.lc, ind.cause === undefined ? { k: 'modify-ack-req', confirm: !!ind.confirm } : { k: 'modify-reject-req', cause: ind.cause });
      return;
    case 'modify-available':
      to.link.callRequest(to.lc, { k: 'avail-req' });
      return;
  }
}
