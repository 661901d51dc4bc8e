/**
 * The top of the path up (docs/architecture.md, "The path of one frame"): call
 * control's indications (`UniHost.indications$`) through the Q.2931 call
 * manager, which turns each into NDIS's work: an incoming call dispatched, a
 * party added or dropped, a close indicated, a request completed. NDIS hands
 * the resulting `Protocol*` indications to its clients on a later turn
 * (src/ndis/records.ts), on each client's own `indications$`.
 *
 * ```
 * uni.indications$.pipe(callManager(cm))
 * ```
 *
 * `createNdisStack` (src/ndis/index.ts) composes and subscribes it; a host puts
 * its own steps in front (src/host/node.ts: the indication log).
 */
import type { OperatorFunction } from 'rxjs';
import { stepOperator } from '../../common/step-operator.js';
import type { UniIndication } from '../../uni/api.js';
import type { UniCallManager } from './callmanager.js';

/** NDIS: each indication of call control taken by the Q.2931 call manager; nothing goes on (NDIS's indications go to its clients). */
export function callManager(cm: UniCallManager): OperatorFunction<UniIndication, never> {
  return stepOperator<UniIndication, never>((i) => cm.indication(i));
}
