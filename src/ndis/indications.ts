/**
 * What NDIS delivers to a client (the Protocol* entry points of a CoNDIS
 * client), as plain data on `client.indications$`, and the handler object for
 * the few entry points whose return value matters (create/delete VC, incoming
 * call, notify close AF).
 *
 * Each indication is named after its Protocol* function and carries that
 * function's arguments; for convenience it also carries the NDIS handles the
 * client already knows for the contexts (vcHandle, partyHandle, ...).
 */
import type { NdisStatus } from './status.js';
import type {
  CoAddressFamily,
  CoCallParameters,
  CoSap,
  NdisAfHandle,
  NdisPartyHandle,
  NdisSapHandle,
  NdisVcHandle,
  NetBufferList,
} from './types.js';

/** A driver's own context: whatever it handed NDIS; NDIS never looks inside. */
export type Context = unknown;

export type ClIndication =
  | { kind: 'ProtocolCoAfRegisterNotify'; addressFamily: CoAddressFamily }
  | { kind: 'ProtocolClOpenAfCompleteEx'; clientAfContext: Context; afHandle: NdisAfHandle | undefined; status: NdisStatus }
  | { kind: 'ProtocolClCloseAfComplete'; status: NdisStatus; clientAfContext: Context }
  | { kind: 'ProtocolClNotifyCloseAf'; clientAfContext: Context; afHandle: NdisAfHandle; result: NdisStatus }
  | { kind: 'ProtocolClRegisterSapComplete'; status: NdisStatus; sapContext: Context; sap: CoSap; sapHandle: NdisSapHandle | undefined }
  | { kind: 'ProtocolClDeregisterSapComplete'; status: NdisStatus; sapContext: Context }
  | { kind: 'ProtocolCoCreateVc'; clientAfContext: Context; vcHandle: NdisVcHandle; vcContext: Context; result: NdisStatus }
  | { kind: 'ProtocolCoDeleteVc'; vcContext: Context; vcHandle: NdisVcHandle; result: NdisStatus }
  | { kind: 'ProtocolClMakeCallComplete'; status: NdisStatus; vcContext: Context; vcHandle: NdisVcHandle; partyHandle: NdisPartyHandle | undefined; params: CoCallParameters }
  | { kind: 'ProtocolClIncomingCall'; sapContext: Context; vcContext: Context; vcHandle: NdisVcHandle; params: CoCallParameters; result: NdisStatus }
  | { kind: 'ProtocolClCallConnected'; vcContext: Context; vcHandle: NdisVcHandle }
  | { kind: 'ProtocolClAddPartyComplete'; status: NdisStatus; partyContext: Context; partyHandle: NdisPartyHandle; vcHandle: NdisVcHandle; params: CoCallParameters }
  | { kind: 'ProtocolClDropPartyComplete'; status: NdisStatus; partyContext: Context; partyHandle: NdisPartyHandle; vcHandle: NdisVcHandle }
  | { kind: 'ProtocolClIncomingDropParty'; dropStatus: NdisStatus; partyContext: Context; partyHandle: NdisPartyHandle; vcHandle: NdisVcHandle; closeData: Buffer | undefined; size: number }
  | { kind: 'ProtocolClCloseCallComplete'; status: NdisStatus; vcContext: Context; vcHandle: NdisVcHandle; partyContext: Context | undefined; partyHandle: NdisPartyHandle | undefined }
  | { kind: 'ProtocolClIncomingCloseCall'; closeStatus: NdisStatus; vcContext: Context; vcHandle: NdisVcHandle; closeData: Buffer | undefined; size: number }
  | { kind: 'ProtocolClModifyCallQoSComplete'; status: NdisStatus; vcContext: Context; vcHandle: NdisVcHandle; params: CoCallParameters }
  | { kind: 'ProtocolClIncomingCallQoSChange'; vcContext: Context; vcHandle: NdisVcHandle; params: CoCallParameters }
  | { kind: 'ProtocolCoSendNetBufferListsComplete'; vcContext: Context; vcHandle: NdisVcHandle; nbls: NetBufferList[] }
  | { kind: 'ProtocolCoReceiveNetBufferLists'; vcContext: Context; vcHandle: NdisVcHandle; nbls: NetBufferList[]; flags: number };

export type ClIndicationKind = ClIndication['kind'];
export type ClIndicationOf<K extends ClIndicationKind> = Extract<ClIndication, { kind: K }>;

/**
 * Client entry points with a synchronous answer. All optional: absent
 * ProtocolCoCreateVc accepts (context = the handle), absent ProtocolCoDeleteVc
 * accepts, absent ProtocolClIncomingCall answers PENDING (answer later with
 * NdisClIncomingCallComplete), absent ProtocolClNotifyCloseAf answers PENDING
 * (finish with NdisClNotifyCloseAddressFamilyComplete).
 */
export interface ClientHandlers {
  ProtocolCoCreateVc?(clientAfContext: Context, vcHandle: NdisVcHandle): { status: NdisStatus; vcContext?: Context };
  ProtocolCoDeleteVc?(vcContext: Context, vcHandle: NdisVcHandle): NdisStatus;
  ProtocolClIncomingCall?(sapContext: Context, vcContext: Context, params: CoCallParameters, vcHandle: NdisVcHandle): NdisStatus;
  ProtocolClNotifyCloseAf?(clientAfContext: Context, afHandle: NdisAfHandle): NdisStatus;
}
