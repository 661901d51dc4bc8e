/**
 * What a leaf's client is told about its own endpoints of a point-to-multipoint
 * call beyond the incoming call and the incoming close: CoNDIS has no
 * indication for an ADD PARTY or a DROP PARTY that reaches a leaf (the call
 * manager answers them itself), so they are read from the Q.2971 host and
 * reported as control events on the incoming VC that carries the call.
 */
import { filter, map, type Observable } from 'rxjs';
import type { ControlEvent } from '../control/backend.js';
import type { NdisClient, NdisVcHandle } from '../ndis/index.js';
import type { UniHost, VcPath } from '../uni/api.js';
import { causeName } from '../uni/msg/names.js';

/** the client's VC whose programmed wire path is `path` */
function vcOfPath(client: NdisClient, path: VcPath): NdisVcHandle | undefined {
  for (const v of client.vcs()) {
    const p = client.vcInfo(v.handle)?.params?.mediaParameters?.mediaSpecific?.paths[0];
    if (p && p.peer === path.peer && p.vpi === path.vpi && p.vci === path.vci) return v.handle;
  }
  return undefined;
}

export function leafPartyEvents(uni: UniHost, client: NdisClient): Observable<ControlEvent> {
  return uni.indications$.pipe(
    map((i): ControlEvent | undefined => {
      if (i.kind === 'party-joined') {
        const vc = vcOfPath(client, i.vc);
        return vc === undefined ? undefined : { kind: 'leaf-party-added', vc, address: i.called };
      }
      if (i.kind === 'party-dropped') {
        // a root's parties leave through ProtocolClIncomingDropParty; only a leaf's own endpoints are told here
        const call = uni.snapshot().calls.find((c) => c.call === i.call);
        const path = call?.role === 'leaf' ? call.links[0]?.vc : undefined;
        const vc = path ? vcOfPath(client, path) : undefined;
        if (vc === undefined) return undefined;
        return {
          kind: 'leaf-party-dropped',
          vc,
          ...(i.called ? { address: i.called } : {}),
          cause: i.cause,
          causeName: causeName(i.cause),
          remote: i.remote,
          ...(i.closeData ? { closeData: i.closeData } : {}),
        };
      }
      return undefined;
    }),
    filter((e): e is ControlEvent => e !== undefined),
  );
}
