/**
 * QoS changes over the wire: the call manager's side of Q.2963.1 peak cell
 * rate modification (seed 001's two QoS paths; condis.md R66, R80, R81).
 *
 * Local request (the calling client, the connection owner):
 *   NdisClModifyCallQoS -> ProtocolCmModifyCallQoS: the VC is re-activated
 *   with the new parameters first (R80), then MODIFY REQUEST goes out and the
 *   request pends. MODIFY ACKNOWLEDGE: the new parameters stand,
 *   Ndis(M)CmModifyCallQoSComplete(SUCCESS). MODIFY REJECT (or the call
 *   clearing meanwhile): the VC is re-activated with the old parameters and
 *   the completion is FAILURE with them (R80); a client may then close the
 *   call from ProtocolClModifyCallQoSComplete (R66).
 * Remote request (the called client):
 *   MODIFY REQUEST -> the VC is re-activated with the proposed parameters
 *   (R81; a miniport that refuses means MODIFY REJECT 37 and the client hears
 *   nothing) -> Ndis(M)CmDispatchIncomingCallQoSChange ->
 *   ProtocolClIncomingCallQoSChange. The client accepts by returning: on the
 *   turn after the indication MODIFY ACKNOWLEDGE goes out. It refuses by
 *   closing the call (R66): ProtocolCmCloseCall sends MODIFY REJECT (cause 37,
 *   user cell rate not available) and then the RELEASE.
 *
 * Rates: a FLOWSPEC's PeakBandwidth is bytes per second; a peak cell rate is
 * cells per second of 48 payload octets (rounded up). The owner's transmit
 * direction is Q.2963.1's forward direction, the called side's is backward.
 *
 * CmQos below is the call manager's whole QoS section: without q2963 a change
 * stays local to the medium (R79: only with the qos option), with it a
 * point-to-point call's change goes over the wire (WireModify).
 */
import type { CallId, PeakCellRates, UniHost, UniIndication } from '../../uni/api.js';
import { CELL_PAYLOAD, MAX_CELL_RATE } from '../../uni/msg/traffic.js';
import { isPending, type MaybePending } from '../datapath.js';
import { NdisStatus } from '../status.js';
import { cloneCallParameters, type CoCallParameters, type FlowSpec, type NdisVcHandle } from '../types.js';

const S = NdisStatus;
/** Q.2931 cause 37, user cell rate not available: what the called side answers when it will not take the rates */
export const REFUSED_CAUSE = 37;
/** Q.2931 cause 63, service or option not available: a call manager without wire modification */
export const UNSUPPORTED_CAUSE = 63;

/** What the modification needs of one call manager VC. */
export interface ModifyVc {
  vcH?: NdisVcHandle;
  call?: CallId;
  dir: 'out' | 'in';
  multipoint: boolean;
  active: boolean;
  params?: CoCallParameters;
}

/** What the modification needs of the call manager. */
export interface ModifyCmSide<V extends ModifyVc> {
  uni: UniHost;
  /** re-activate the VC with these parameters (CM: through NDIS; MCM: its own miniport half) */
  activate(v: V, params: CoCallParameters): MaybePending;
  /** the parameters with the VC's paths in their media parameters */
  withPaths(v: V, params: CoCallParameters): CoCallParameters;
  later(fn: () => void): void;
  modifyQoSComplete(st: NdisStatus, h: NdisVcHandle, p: CoCallParameters): void;
  dispatchQoSChange(h: NdisVcHandle, p: CoCallParameters): void;
}

export interface QosOptions {
  /** does the medium support QoS changes (R79) */
  qos: boolean;
  /** changes of point-to-point calls go over the wire (Q.2963.1) */
  q2963: boolean;
  completion: 'sync' | 'pending';
}

/** The call manager's QoS section: ProtocolCmModifyCallQoS, a remote change, and the UNI's modification indications. */
export class CmQos<V extends ModifyVc> {
  private readonly wire?: WireModify<V>;

  constructor(
    private readonly cm: ModifyCmSide<V>,
    private readonly opts: QosOptions,
  ) {
    if (opts.q2963) this.wire = new WireModify(cm);
  }

  /** ProtocolCmModifyCallQoS */
  modifyCallQoS(v: V, params: CoCallParameters): NdisStatus {
    if (!this.opts.qos) return S.NOT_SUPPORTED; // R79
    const tx = params.callMgrParameters?.transmit;
    const rx = params.callMgrParameters?.receive;
    const bad = [tx, rx].some((f) => f && Object.values(f).some((x) => typeof x === 'number' && (x < 0 || !Number.isFinite(x))));
    if (!params.callMgrParameters || bad) return S.INVALID_DATA;
    if (!v.active || !v.params) return S.FAILURE;
    if (this.wire && v.multipoint) return S.NOT_SUPPORTED; // Q.2963.1 modifies point-to-point calls only
    if (this.wire?.handles(v)) return this.wire.request(v, params);
    const next = this.cm.withPaths(v, { ...cloneCallParameters(v.params), callMgrParameters: cloneCallParameters(params).callMgrParameters! });
    const r = this.cm.activate(v, next);
    const finish = (st: NdisStatus): NdisStatus => {
      if (st === S.SUCCESS) {
        v.params = next;
        return S.SUCCESS;
      }
      return S.FAILURE; // R80: old parameters stay in force
    };
    if (!isPending(r) && this.opts.completion === 'sync') return finish(r);
    when(r, (st) => {
      const final = finish(st);
      this.cm.later(() => this.cm.modifyQoSComplete(final, v.vcH!, final === S.SUCCESS ? cloneCallParameters(next) : cloneCallParameters(v.params ?? params)));
    });
    return S.PENDING;
  }

  /** a change the medium itself reports (no wire message): re-activate first, tell the client only if the miniport accepted (R81) */
  remoteChange(v: V | undefined, params: CoCallParameters): MaybePending {
    if (!v || !v.active || !v.params || !this.opts.qos || v.vcH === undefined) return S.NOT_SUPPORTED;
    const h = v.vcH;
    const next = this.cm.withPaths(v, { ...cloneCallParameters(v.params), callMgrParameters: cloneCallParameters(params).callMgrParameters! });
    const r = this.cm.activate(v, next);
    const finish = (st: NdisStatus): NdisStatus => {
      if (st !== S.SUCCESS) return st;
      v.params = next;
      this.cm.dispatchQoSChange(h, cloneCallParameters(next));
      return S.SUCCESS;
    };
    return isPending(r) ? r.then(finish) : finish(r);
  }

  /** a modification indication of the UNI; without q2963 a remote request is refused (cause 63) */
  onUni(v: V, i: Extract<UniIndication, { kind: 'modify-request' | 'modify-confirm' | 'modify-available' }>): void {
    if (this.wire) return this.wire.onUni(v, i);
    if (i.kind === 'modify-request') this.cm.uni.modifyReject(i.call, UNSUPPORTED_CAUSE);
  }

  /** ProtocolCmCloseCall is about to release the call (see WireModify.beforeClose) */
  beforeClose(v: V): void {
    this.wire?.beforeClose(v);
  }

  /** the call was released (see WireModify.released) */
  released(v: V, call: CallId | undefined): void {
    this.wire?.released(v, call);
  }
}

/** cells per second carrying `bytesPerSecond` of payload (undefined when the FLOWSPEC names no peak bandwidth) */
export function pcrOfBandwidth(bytesPerSecond: number | undefined): number | undefined {
  if (bytesPerSecond === undefined) return undefined;
  return Math.min(MAX_CELL_RATE, Math.max(1, Math.ceil(bytesPerSecond / CELL_PAYLOAD)));
}

/** the peak cell rates a client's parameters ask for, in Q.2963.1's directions (forward = calling to called) */
export function ratesOfParams(dir: 'out' | 'in', p: CoCallParameters): PeakCellRates {
  const tx = pcrOfBandwidth(p.callMgrParameters?.transmit.peakBandwidth);
  const rx = pcrOfBandwidth(p.callMgrParameters?.receive.peakBandwidth);
  const [forward, backward] = dir === 'out' ? [tx, rx] : [rx, tx];
  return { ...(forward !== undefined ? { forward } : {}), ...(backward !== undefined ? { backward } : {}) };
}

/** the VC's parameters with the peak bandwidths the rates give, for the side `dir` */
export function paramsOfRates(dir: 'out' | 'in', base: CoCallParameters, pcr: PeakCellRates): CoCallParameters {
  const p = cloneCallParameters(base);
  const cm = p.callMgrParameters ?? { transmit: {}, receive: {} };
  const [tx, rx] = dir === 'out' ? [pcr.forward, pcr.backward] : [pcr.backward, pcr.forward];
  const set = (f: FlowSpec, v: number | undefined): FlowSpec => (v === undefined ? f : { ...f, peakBandwidth: v * CELL_PAYLOAD });
  p.callMgrParameters = { ...cm, transmit: set(cm.transmit, tx), receive: set(cm.receive, rx) };
  return p;
}

interface Asked<V> {
  v: V;
  old: CoCallParameters;
  next: CoCallParameters;
}

export class WireModify<V extends ModifyVc> {
  /** our MODIFY REQUEST is out (by UNI call) */
  private readonly asked = new Map<CallId, Asked<V>>();
  /** a remote request the client has been told of and not yet answered (by UNI call) */
  private readonly told = new Map<CallId, V>();

  constructor(private readonly cm: ModifyCmSide<V>) {}

  /** does this VC's QoS change go over the wire (a point-to-point call we placed or took, active) */
  handles(v: V): boolean {
    return !v.multipoint && v.call !== undefined;
  }

  /** ProtocolCmModifyCallQoS on a call handles() accepted; the parameters are already checked for bad numbers */
  request(v: V, params: CoCallParameters): NdisStatus {
    const call = v.call!;
    if (v.dir !== 'out') return S.FAILURE; // Q.2963.1: only the calling side (the connection owner) asks
    if (this.asked.has(call)) return S.INVALID_STATE;
    const old = cloneCallParameters(v.params!);
    const next = this.cm.withPaths(v, { ...cloneCallParameters(old), callMgrParameters: cloneCallParameters(params).callMgrParameters! });
    const wanted = ratesOfParams('out', params);
    if (wanted.forward === undefined && wanted.backward === undefined) return S.INVALID_DATA; // no peak bandwidth to change
    const h = v.vcH!;
    const fail = (): void => this.cm.later(() => this.cm.modifyQoSComplete(S.FAILURE, h, old));
    this.when(this.cm.activate(v, next), (st) => {
      if (st !== S.SUCCESS) return fail(); // the miniport refused: nothing asked, old values stay (R80)
      const r = this.cm.uni.modify(call, wanted);
      if (!r.ok) return this.restore(v, old, fail);
      this.asked.set(call, { v, old, next });
    });
    return S.PENDING;
  }

  /** a modification indication of the UNI for this VC's call */
  onUni(v: V, i: Extract<UniIndication, { kind: 'modify-request' | 'modify-confirm' | 'modify-available' }>): void {
    switch (i.kind) {
      case 'modify-request':
        return this.remoteRequest(v, i.call, i.pcr);
      case 'modify-confirm': {
        const a = this.asked.get(i.call);
        if (!a) return;
        if (i.accepted) {
          v.params = a.next;
          return this.finish(i.call, a, S.SUCCESS);
        }
        // back to the old values first; the call clearing meanwhile completes at once (released)
        return this.restore(v, a.old, () => this.finish(i.call, a, S.FAILURE, i.cause));
      }
      case 'modify-available':
        return; // the owner has the new rates in force: nothing for NDIS to do (the VC was re-activated already)
    }
  }

  /**
   * ProtocolCmCloseCall is about to release the call: a remote request the client answers by closing is refused
   * first (MODIFY REJECT, then the RELEASE); a request of ours still out completes with FAILURE
   */
  beforeClose(v: V): void {
    if (v.call === undefined) return;
    if (this.told.get(v.call) === v) {
      this.told.delete(v.call);
      this.cm.uni.modifyReject(v.call, REFUSED_CAUSE);
    }
    this.released(v, v.call);
  }

  /** the call is gone (released either way): a local request still out completes with FAILURE, before anything else */
  released(v: V, call: CallId | undefined): void {
    if (call === undefined) return;
    this.told.delete(call);
    const a = this.asked.get(call);
    if (a && a.v === v) this.finish(call, a, S.FAILURE);
  }

  /** complete our request once (a later finish of the same request does nothing); a refusal's cause goes in the parameters' callMgrSpecific */
  private finish(call: CallId, a: Asked<V>, st: NdisStatus, cause?: number): void {
    if (this.asked.get(call) !== a) return;
    this.asked.delete(call);
    if (a.v.vcH === undefined) return;
    const p = cloneCallParameters(st === S.SUCCESS ? a.next : a.old);
    const spec = p.callMgrParameters?.callMgrSpecific;
    if (cause !== undefined && spec) spec.cause = cause;
    this.cm.modifyQoSComplete(st, a.v.vcH, p);
  }

  private remoteRequest(v: V, call: CallId, pcr: PeakCellRates): void {
    if (!v.active || !v.params || v.vcH === undefined) {
      this.cm.uni.modifyReject(call, REFUSED_CAUSE);
      return;
    }
    const h = v.vcH;
    const next = this.cm.withPaths(v, paramsOfRates(v.dir, v.params, pcr));
    this.when(this.cm.activate(v, next), (st) => {
      if (st !== S.SUCCESS) {
        this.cm.uni.modifyReject(call, REFUSED_CAUSE); // R81: the miniport refused, the client is not asked
        return;
      }
      v.params = next;
      this.told.set(call, v);
      this.cm.dispatchQoSChange(h, cloneCallParameters(next));
      // the client accepts by returning from ProtocolClIncomingCallQoSChange, which runs on the next turn
      this.cm.later(() => {
        if (this.told.get(call) !== v) return; // it closed the call (beforeClose answered) or the call went
        this.told.delete(call);
        this.cm.uni.modifyAccept(call);
      });
    });
  }

  /** back to the old parameters (the miniport's answer does not change the outcome), then `then` */
  private restore(v: V, old: CoCallParameters, then: () => void): void {
    if (!v.active) return then();
    this.when(this.cm.activate(v, old), () => {
      v.params = old;
      then();
    });
  }

  private when(r: MaybePending, fn: (st: NdisStatus) => void): void {
    when(r, fn);
  }
}

function when(r: MaybePending, fn: (st: NdisStatus) => void): void {
  if (isPending(r)) void r.then(fn);
  else fn(r);
}
