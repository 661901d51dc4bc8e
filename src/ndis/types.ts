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

/** Deep enough copy of call parameters so one side's rewrite never leaks into another's view. */
export function cloneCallParameters(p: CoCallParameters): CoCallParameters {
  return {
    flags: p.flags,
    ...(p.callMgrParameters
      ? {
          callMgrParameters: {
            transmit: { ...p.callMgrParameters.transmit },
            receive: { ...p.callMgrParameters.receive },
            ...(p.callMgrParameters.callMgrSpecific ? { callMgrSpecific: { ...p.callMgrParameters.callMgrSpecific } } : {}),
          },
        }
      : {}),
    ...(p.mediaParameters
      ? {
          mediaParameters: {
            ...p.mediaParameters,
            ...(p.mediaParameters.mediaSpecific ? { mediaSpecific: { paths: p.mediaParameters.mediaSpecific.paths.map((x) => ({ ...x })) } } : {}),
          },
        }
      : {}),
  };
}
