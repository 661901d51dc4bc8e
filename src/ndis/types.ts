/**
 * CoNDIS structures and constants (values from ndis.h), shaped for TypeScript.
 * Handles are opaque numbers branded by kind; a driver never interprets them.
 */
import type { AtmAddress, VcPath } from '../uni/api.js';
import type { NdisStatus } from './status.js';

declare const brand: unique symbol;
type Handle<K extends string> = number & { readonly [brand]: K };
export type NdisAfHandle = Handle<'af'>;
export type NdisSapHandle = Handle<'sap'>;
export type NdisVcHandle = Handle<'vc'>;
export type NdisPartyHandle = Handle<'party'>;

/** NDIS_AF values; CO_ADDRESS_FAMILY_PROXY is OR-ed in by proxies. */
export const NDIS_AF = {
  CO_ADDRESS_FAMILY_Q2931: 0x1,
  CO_ADDRESS_FAMILY_PSCHED: 0x2,
  CO_ADDRESS_FAMILY_L2TP: 0x3,
  CO_ADDRESS_FAMILY_IRDA: 0x4,
  CO_ADDRESS_FAMILY_1394: 0x5,
  CO_ADDRESS_FAMILY_PPP: 0x6,
  CO_ADDRESS_FAMILY_INFINIBAND: 0x7,
  CO_ADDRESS_FAMILY_TAPI: 0x800,
  CO_ADDRESS_FAMILY_TAPI_PROXY: 0x801,
} as const;
export const CO_ADDRESS_FAMILY_PROXY = 0x80000000;

/** CO_ADDRESS_FAMILY */
export interface CoAddressFamily {
  addressFamily: number;
  majorVersion: number;
  minorVersion: number;
}

/** The address family this port registers: Q.2931, version 3.1. */
export const Q2931_AF: CoAddressFamily = Object.freeze({ addressFamily: NDIS_AF.CO_ADDRESS_FAMILY_Q2931, majorVersion: 3, minorVersion: 1 });

/** CO_CALL_PARAMETERS.Flags */
export const CallFlags = {
  PERMANENT_VC: 0x1,
  CALL_PARAMETERS_CHANGED: 0x2,
  QUERY_CALL_PARAMETERS: 0x4,
  BROADCAST_VC: 0x8,
  MULTIPOINT_VC: 0x10,
} as const;

/** CO_MEDIA_PARAMETERS.Flags */
export const MediaFlags = {
  RECEIVE_TIME_INDICATION: 0x1,
  USE_TIME_STAMPS: 0x2,
  TRANSMIT_VC: 0x4,
  RECEIVE_VC: 0x8,
  INDICATE_ERRED_PACKETS: 0x10,
  INDICATE_END_OF_TX: 0x20,
  RESERVE_RESOURCES_VC: 0x40,
  ROUND_DOWN_FLOW: 0x80,
  ROUND_UP_FLOW: 0x100,
} as const;

/** FLOWSPEC (rates in bytes per second, sizes in bytes); all optional, best effort when absent. */
export interface FlowSpec {
  tokenRate?: number;
  tokenBucketSize?: number;
  peakBandwidth?: number;
  latency?: number;
  delayVariation?: number;
  serviceType?: number;
  maxSduSize?: number;
  minimumPolicedSize?: number;
}

/** Q2931_CALLMGR_PARAMETERS, as carried in CallMgrSpecific for the Q.2931 AF. */
export interface Q2931CallMgrParameters {
  calledParty: AtmAddress;
  callingParty?: AtmAddress;
  /** broadband low-layer information content octets (the SAP's BLLI) */
  blli?: Buffer;
  /** user-user information on the SETUP / ADD PARTY */
  uu?: Buffer;
  /**
   * Q.2931 cause (1-127). A client rejecting an incoming call sets it in the
   * parameters it answers with (ProtocolClIncomingCall's, or those of
   * NdisClIncomingCallComplete): the call manager signals this cause instead of
   * the one it derives from the status. In a failed ProtocolClMakeCallComplete
   * the call manager reports the cause the network or the called user gave;
   * in a failed ProtocolClModifyCallQoSComplete, the cause of the MODIFY REJECT.
   */
  cause?: number;
}

/** CO_CALL_MANAGER_PARAMETERS */
export interface CoCallManagerParameters {
  transmit: FlowSpec;
  receive: FlowSpec;
  callMgrSpecific?: Q2931CallMgrParameters;
}

/** CO_MEDIA_PARAMETERS */
export interface CoMediaParameters {
  flags: number;
  receivePriority: number;
  receiveSizeHint: number;
  /** ATM media specific part as plain data: the VC paths the call uses (filled by the CM) */
  mediaSpecific?: { paths: VcPath[] };
}

/** CO_CALL_PARAMETERS */
export interface CoCallParameters {
  flags: number;
  callMgrParameters?: CoCallManagerParameters;
  mediaParameters?: CoMediaParameters;
}

/** SAP_TYPE values the Q.2931 call manager understands. */
export const SAP_TYPE_ATM = 0x00000001;

/** CO_SAP: SapType plus the SAP body; for SAP_TYPE_ATM the body is the called address it listens on ("*" = any own address). */
export interface CoSap {
  sapType: number;
  sap: { address: AtmAddress | '*'; blli?: Buffer };
}

/** NET_BUFFER_LIST as far as CoNDIS cares: SourceHandle, the data, the per-NBL completion status. */
export interface NetBufferList {
  sourceHandle?: NdisVcHandle;
  data: Buffer;
  status?: NdisStatus;
}

export const NDIS_RECEIVE_FLAGS_RESOURCES = 0x2;

/** Convenience: point-to-point Q.2931 call parameters for a called address. */
export function q2931CallParameters(called: AtmAddress, extra: { flags?: number; calling?: AtmAddress; uu?: Buffer; media?: Partial<CoMediaParameters>; transmit?: FlowSpec; receive?: FlowSpec } = {}): CoCallParameters {
  return {
    flags: extra.flags ?? 0,
    callMgrParameters: {
      transmit: extra.transmit ?? {},
      receive: extra.receive ?? {},
      callMgrSpecific: { calledParty: called, ...(extra.calling ? { callingParty: extra.calling } : {}), ...(extra.uu ? { uu: extra.uu } : {}) },
    },
    mediaParameters: { flags: 0, receivePriority: 0, receiveSizeHint: 0, ...extra.media },
  };
}

/** a copy of a flow spec, field by field (a literal of one shape, not a spread) */
function copyFlow(f: FlowSpec): FlowSpec {
  const c: FlowSpec = {};
  for (const k in f) {
    const x = f[k as keyof FlowSpec];
    if (x !== undefined) c[k as keyof FlowSpec] = x;
  }
  return c;
}

function copyPaths(paths: readonly VcPath[]): VcPath[] {
  const out = new Array<VcPath>(paths.length);
  for (let i = 0; i < paths.length; i++) {
    const x = paths[i]!;
    out[i] = { peer: x.peer, vpi: x.vpi, vci: x.vci };
  }
  return out;
}

/**
 * Deep enough copy of call parameters so one side's rewrite never leaks into another's view
 * (the Buffers in callMgrSpecific are shared, as NDIS shares them). The copy is mutable.
 */
export function cloneCallParameters(p: CoCallParameters, paths?: readonly VcPath[]): CoCallParameters {
  const c: CoCallParameters = { flags: p.flags };
  const cm = p.callMgrParameters;
  if (cm) {
    const spec = cm.callMgrSpecific;
    c.callMgrParameters = spec
      ? { transmit: copyFlow(cm.transmit), receive: copyFlow(cm.receive), callMgrSpecific: { ...spec } }
      : { transmit: copyFlow(cm.transmit), receive: copyFlow(cm.receive) };
  }
  const m = p.mediaParameters;
  const ps = paths ?? m?.mediaSpecific?.paths;
  if (m || paths) {
    const media: CoMediaParameters = { flags: m?.flags ?? 0, receivePriority: m?.receivePriority ?? 0, receiveSizeHint: m?.receiveSizeHint ?? 0 };
    if (ps) media.mediaSpecific = { paths: copyPaths(ps) };
    c.mediaParameters = media;
  }
  return c;
}

/** the flow spec of every sealed parameter set that asks for nothing (best effort): one object, shared */
const NO_FLOW: FlowSpec = Object.freeze({});

function isEmptyFlow(f: FlowSpec): boolean {
  for (const k in f) if (f[k as keyof FlowSpec] !== undefined) return false;
  return true;
}

/**
 * Seal call parameters in place: freeze them and every object they hold (not
 * the Buffers), an empty flow spec replaced by a shared one. Sealed parameters
 * are immutable, so whoever keeps them (NDIS's VC record, the call manager's
 * VC and party contexts) can share one set instead of a copy each; a rewrite
 * makes a new set. Only for parameters nobody else holds a mutable reference to
 * (the call manager's own); anything from a client is copied first
 * (`sealedCallParameters`).
 */
export function sealCallParameters(p: CoCallParameters): CoCallParameters {
  if (Object.isFrozen(p)) return p;
  const cm = p.callMgrParameters;
  if (cm && !Object.isFrozen(cm)) {
    cm.transmit = isEmptyFlow(cm.transmit) ? NO_FLOW : Object.freeze(cm.transmit);
    cm.receive = isEmptyFlow(cm.receive) ? NO_FLOW : Object.freeze(cm.receive);
    if (cm.callMgrSpecific) Object.freeze(cm.callMgrSpecific);
    Object.freeze(cm);
  }
  const m = p.mediaParameters;
  if (m && !Object.isFrozen(m)) {
    const ms = m.mediaSpecific;
    if (ms) {
      for (const x of ms.paths) Object.freeze(x);
      Object.freeze(ms.paths);
      Object.freeze(ms);
    }
    Object.freeze(m);
  }
  return Object.freeze(p);
}

/** frozen all the way down (a set `sealCallParameters` made, or one built as carefully) */
export function isSealedCallParameters(p: CoCallParameters): boolean {
  if (!Object.isFrozen(p)) return false;
  const cm = p.callMgrParameters;
  if (cm) {
    if (!Object.isFrozen(cm)) return false;
    if (cm.transmit !== NO_FLOW && !Object.isFrozen(cm.transmit)) return false;
    if (cm.receive !== NO_FLOW && !Object.isFrozen(cm.receive)) return false;
    if (cm.callMgrSpecific && !Object.isFrozen(cm.callMgrSpecific)) return false;
  }
  const m = p.mediaParameters;
  if (m) {
    if (!Object.isFrozen(m)) return false;
    const ms = m.mediaSpecific;
    if (ms) {
      if (!Object.isFrozen(ms) || !Object.isFrozen(ms.paths)) return false;
      for (const x of ms.paths) if (!Object.isFrozen(x)) return false;
    }
  }
  return true;
}

/** sealed call parameters with these contents: `p` itself when it is sealed already, else a sealed copy */
export function sealedCallParameters(p: CoCallParameters): CoCallParameters {
  return isSealedCallParameters(p) ? p : sealCallParameters(cloneCallParameters(p));
}

/** sealed parameters `p` with other flags (the parts below shared, they are sealed) */
export function withCallFlags(p: CoCallParameters, flags: number): CoCallParameters {
  if (p.flags === flags) return p;
  const s = sealedCallParameters(p);
  const c: CoCallParameters = { flags };
  if (s.callMgrParameters) c.callMgrParameters = s.callMgrParameters;
  if (s.mediaParameters) c.mediaParameters = s.mediaParameters;
  return Object.freeze(c);
}

/** the same traffic in both flow specs (what a party or a miniport may have changed) */
export function sameFlows(a: CoCallManagerParameters | undefined, b: CoCallManagerParameters | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return sameFlow(a.transmit, b.transmit) && sameFlow(a.receive, b.receive);
}

function sameFlow(a: FlowSpec, b: FlowSpec): boolean {
  if (a === b) return true;
  for (const k in a) if (a[k as keyof FlowSpec] !== b[k as keyof FlowSpec]) return false;
  for (const k in b) if (a[k as keyof FlowSpec] !== b[k as keyof FlowSpec]) return false;
  return true;
}
