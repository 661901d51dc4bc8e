/**
 * CoNDIS for condis-tap. Entry point for programs and the daemon:
 *
 *   const { ndis, cm } = createNdisStack({ uni, dataPath, shape: 'cm', completion: 'pending', ownAddresses: ['1001'] });
 *   const client = ndis.registerClient({ name: 'app' });
 *   client.indications$.subscribe(...)               // Protocol* indications
 *   const { afHandle } = client.NdisClOpenAddressFamilyEx(Q2931_AF, ctx);
 *
 * See docs/ndis-api.md for the NDIS function -> TypeScript table.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { AtmAddress, UniHost, UniIndication } from '../uni/api.js';
import { UniCallManager } from './q2931/callmanager.js';
import { callManager } from './q2931/operators.js';
import type { CallManagerShape } from './cm-interface.js';
import type { NdisDataPath } from './datapath.js';
import { NdisHost } from './ndis.js';

export * from './status.js';
export * from './types.js';
export * from './datapath.js';
export * from './indications.js';
export * from './cm-interface.js';
export { NdisHost, NdisClient, NdisProtocolError } from './ndis.js';
export type { NdisTraceEntry, NdisCounters, VcInfo, VcState, CallState, PartyState, ClientOptions, NdisHostOptions } from './ndis.js';
export { UniCallManager } from './q2931/callmanager.js';
export { callManager } from './q2931/operators.js';
export { uniCallOfContext, uniPartiesOfContext } from './q2931/records.js';
export * as machines from './machines.js';
export type { CallManagerOptions } from './q2931/callmanager.js';
export { ClientPolicy, attachClientPolicy } from './policy.js';
export type { ClientPolicyOptions, PolicyEvent } from './policy.js';

export interface NdisStackOptions {
  uni: UniHost;
  dataPath: NdisDataPath;
  /** 'cm': stand-alone call manager (Ndis*Cm*); 'mcm': integrated miniport call manager (NdisMCm*) */
  shape: CallManagerShape;
  /** how the call manager answers requests it can finish at once; default 'pending' */
  completion?: 'sync' | 'pending';
  ownAddresses: AtmAddress[];
  /** the medium supports QoS changes (R79); default false */
  qos?: boolean;
  /** QoS changes of point-to-point calls go over the wire (Q.2963.1, modify.ts); default false */
  q2963?: boolean;
  scheduler?: SchedulerLike;
  name?: string;
  /**
   * the indications the call manager takes: `uni.indications$` (the default) with the composer's own
   * steps in front, e.g. a log (src/host/node.ts)
   */
  indications$?: Observable<UniIndication>;
}

/** NDIS for one host plus its Q.2931 call manager bound to the host's UNI service */
export function createNdisStack(o: NdisStackOptions): { ndis: NdisHost; cm: UniCallManager; dispose(): void } {
  const ndis = new NdisHost({ dataPath: o.dataPath, ...(o.scheduler ? { scheduler: o.scheduler } : {}), ...(o.name ? { name: o.name } : {}) });
  const cm = new UniCallManager(ndis, o.uni, {
    shape: o.shape,
    completion: o.completion ?? 'pending',
    ownAddresses: o.ownAddresses,
    ...(o.qos !== undefined ? { qos: o.qos } : {}),
    ...(o.q2963 !== undefined ? { q2963: o.q2963 } : {}),
    ...(o.scheduler ? { scheduler: o.scheduler } : {}),
  });
  // the top of the path up: call control's indications -> the call manager -> NDIS (q2931/operators.ts)
  const path = (o.indications$ ?? o.uni.indications$).pipe(callManager(cm)).subscribe();
  return {
    ndis,
    cm,
    dispose() {
      path.unsubscribe();
      ndis.dispose();
    },
  };
}
export { ClientRequests } from './requests.js';
export type { Waiting, Settled, ClientRequestsOptions, CompletionKind } from './requests.js';
export { ofKind, onVc } from './operators.js';
