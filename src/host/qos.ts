/**
 * The control op modify-call's arithmetic and checks (src/host/control-backend.ts):
 * peak cell rates in cells/s (48 payload octets a cell) against a FLOWSPEC's
 * PeakBandwidth in octets/s, the wire's traffic descriptor in a host's own
 * directions, and the requests Q.2963.1 refuses before anything is sent.
 */
import { ControlError } from '../control/errors.js';
import type { ModifyCallArgs, PeakRates } from '../control/backend.js';
import { CallFlags, cloneCallParameters, NdisStatus, type CoCallParameters, type VcInfo } from '../ndis/index.js';
import { CELL_PAYLOAD, peakCellRates } from '../uni/msg/traffic.js';
import type { TrafficDescriptorIe } from '../uni/msg/types.js';

/** the peak cell rates a client's call parameters name (rounded up to whole cells) */
export function ratesOf(params: CoCallParameters | undefined): PeakRates {
  const cell = (b: number | undefined) => (b === undefined ? undefined : Math.ceil(b / CELL_PAYLOAD));
  return pair(cell(params?.callMgrParameters?.transmit.peakBandwidth), cell(params?.callMgrParameters?.receive.peakBandwidth));
}

/** a call's traffic descriptor (forward = calling to called) in the directions of the host at one end */
export function wireRates(td: TrafficDescriptorIe | undefined, direction: 'outgoing' | 'incoming'): PeakRates {
  const r = peakCellRates(td);
  return direction === 'outgoing' ? pair(r.forward, r.backward) : pair(r.backward, r.forward);
}

function pair(transmit: number | undefined, receive: number | undefined): PeakRates {
  return { ...(transmit !== undefined ? { transmit } : {}), ...(receive !== undefined ? { receive } : {}) };
}

/** the call's parameters with the new peak bandwidths (receive unchanged unless asked) */
export function paramsWithRates(base: CoCallParameters, args: ModifyCallArgs): CoCallParameters {
  const params = cloneCallParameters(base);
  const cm = params.callMgrParameters ?? { transmit: {}, receive: {} };
  params.callMgrParameters = {
    ...cm,
    transmit: { ...cm.transmit, peakBandwidth: args.pcr * CELL_PAYLOAD },
    receive: args.receivePcr !== undefined ? { ...cm.receive, peakBandwidth: args.receivePcr * CELL_PAYLOAD } : cm.receive,
  };
  return params;
}

/** why NdisClModifyCallQoS must not be asked on this VC (undefined: ask) */
export function modifyRefusal(what: string, info: VcInfo, direction: 'outgoing' | 'incoming'): ControlError | undefined {
  if (info.call !== 'CONNECTED' || !info.params) return ControlError.wrongState(`${what}: no connected call on it (${info.call})`);
  if (info.multipoint || (info.params.flags & CallFlags.MULTIPOINT_VC) !== 0)
    return new ControlError('unsupported', `${what}: Q.2963.1 changes point-to-point calls only; this is a point-to-multipoint call`, NdisStatus.NOT_SUPPORTED);
  if (direction !== 'outgoing') return ControlError.wrongState(`${what}: only the calling side changes a call's peak cell rate (Q.2963.1); this host took the call`, NdisStatus.FAILURE);
  return undefined;
}
