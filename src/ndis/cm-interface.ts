/**
 * The call-manager side of NDIS: the ProtocolCm* entry points a call manager
 * (stand-alone CM or integrated MCM) gives NDIS, and the Ndis(M)Cm* functions
 * NDIS gives back to it. Both shapes use the same handler interface; the
 * function sets differ by name and by what NDIS does with the miniport.
 */
import type { Context } from './indications.js';
import type { MaybePending } from './datapath.js';
import type { NdisStatus } from './status.js';
import type { CoAddressFamily, CoCallParameters, CoSap, NdisAfHandle, NdisPartyHandle, NdisSapHandle, NdisVcHandle } from './types.js';

export interface CallManagerHandlers {
  ProtocolCmOpenAf(addressFamily: CoAddressFamily, afHandle: NdisAfHandle): { status: NdisStatus; callMgrAfContext?: Context };
  ProtocolCmCloseAf(callMgrAfContext: Context): NdisStatus;
  ProtocolCmRegisterSap(callMgrAfContext: Context, sap: CoSap, sapHandle: NdisSapHandle): { status: NdisStatus; callMgrSapContext?: Context };
  ProtocolCmDeregisterSap(callMgrSapContext: Context): NdisStatus;
  /** a client created a VC on one of our AFs (never PENDING) */
  ProtocolCoCreateVc(callMgrAfContext: Context, vcHandle: NdisVcHandle): { status: NdisStatus; callMgrVcContext?: Context };
  ProtocolCoDeleteVc(callMgrVcContext: Context): NdisStatus;
  ProtocolCmMakeCall(
    callMgrVcContext: Context,
    params: CoCallParameters,
    partyHandle: NdisPartyHandle | undefined,
  ): { status: NdisStatus; callMgrPartyContext?: Context };
  ProtocolCmCloseCall(callMgrVcContext: Context, callMgrPartyContext: Context | undefined, closeData: Buffer | undefined, size: number): NdisStatus;
  ProtocolCmAddParty(callMgrVcContext: Context, params: CoCallParameters, partyHandle: NdisPartyHandle): { status: NdisStatus; callMgrPartyContext?: Context };
  ProtocolCmDropParty(callMgrPartyContext: Context, closeData: Buffer | undefined, size: number): NdisStatus;
  ProtocolCmIncomingCallComplete(status: NdisStatus, callMgrVcContext: Context, params: CoCallParameters): void;
  ProtocolCmActivateVcComplete(status: NdisStatus, callMgrVcContext: Context, params: CoCallParameters): void;
  ProtocolCmDeactivateVcComplete(status: NdisStatus, callMgrVcContext: Context): void;
  ProtocolCmModifyCallQoS(callMgrVcContext: Context, params: CoCallParameters): NdisStatus;
  ProtocolCmNotifyCloseAfComplete(status: NdisStatus, callMgrAfContext: Context): void;
  /** how many per-AF/SAP/VC/party contexts the call manager holds (for counters) */
  liveContexts(): number;
}

/** Functions NDIS offers a stand-alone call manager (a protocol driver bound to a CO miniport). */
export interface NdisCmApi {
  NdisCmRegisterAddressFamilyEx(addressFamily: CoAddressFamily): NdisStatus;
  NdisCmOpenAddressFamilyComplete(status: NdisStatus, afHandle: NdisAfHandle, callMgrAfContext: Context): void;
  NdisCmCloseAddressFamilyComplete(status: NdisStatus, afHandle: NdisAfHandle): void;
  NdisCmNotifyCloseAddressFamily(afHandle: NdisAfHandle): NdisStatus;
  NdisCmRegisterSapComplete(status: NdisStatus, sapHandle: NdisSapHandle, callMgrSapContext: Context): void;
  NdisCmDeregisterSapComplete(status: NdisStatus, sapHandle: NdisSapHandle): void;
  /** afHandle undefined: a signalling VC only the miniport learns of */
  NdisCoCreateVc(afHandle: NdisAfHandle | undefined, callMgrVcContext: Context): { status: NdisStatus; vcHandle?: NdisVcHandle };
  NdisCoDeleteVc(vcHandle: NdisVcHandle): NdisStatus;
  NdisCmActivateVc(vcHandle: NdisVcHandle, params: CoCallParameters): NdisStatus;
  NdisCmDeactivateVc(vcHandle: NdisVcHandle): NdisStatus;
  NdisCmMakeCallComplete(status: NdisStatus, vcHandle: NdisVcHandle, partyHandle: NdisPartyHandle | undefined, callMgrPartyContext: Context | undefined, params: CoCallParameters): void;
  NdisCmDispatchIncomingCall(sapHandle: NdisSapHandle, vcHandle: NdisVcHandle, params: CoCallParameters): NdisStatus;
  NdisCmDispatchCallConnected(vcHandle: NdisVcHandle): void;
  NdisCmAddPartyComplete(status: NdisStatus, partyHandle: NdisPartyHandle, callMgrPartyContext: Context | undefined, params: CoCallParameters): void;
  NdisCmDropPartyComplete(status: NdisStatus, partyHandle: NdisPartyHandle): void;
  NdisCmDispatchIncomingDropParty(dropStatus: NdisStatus, partyHandle: NdisPartyHandle, closeData: Buffer | undefined, size: number): void;
  NdisCmCloseCallComplete(status: NdisStatus, vcHandle: NdisVcHandle, partyHandle: NdisPartyHandle | undefined): void;
  NdisCmDispatchIncomingCloseCall(closeStatus: NdisStatus, vcHandle: NdisVcHandle, closeData: Buffer | undefined, size: number): void;
  NdisCmModifyCallQoSComplete(status: NdisStatus, vcHandle: NdisVcHandle, params: CoCallParameters): void;
  NdisCmDispatchIncomingCallQoSChange(vcHandle: NdisVcHandle, params: CoCallParameters): void;
  /** send on the CM's signalling VC (NdisCoSendNetBufferLists from a CM) */
  NdisCoSendNetBufferLists(vcHandle: NdisVcHandle, data: Buffer[]): Promise<NdisStatus[]>;
}

/** Functions NDIS offers an integrated miniport call manager. */
export interface NdisMcmApi {
  NdisMCmRegisterAddressFamilyEx(addressFamily: CoAddressFamily): NdisStatus;
  NdisMCmOpenAddressFamilyComplete(status: NdisStatus, afHandle: NdisAfHandle, callMgrAfContext: Context): void;
  NdisMCmCloseAddressFamilyComplete(status: NdisStatus, afHandle: NdisAfHandle): void;
  NdisMCmNotifyCloseAddressFamily(afHandle: NdisAfHandle): NdisStatus;
  NdisMCmRegisterSapComplete(status: NdisStatus, sapHandle: NdisSapHandle, callMgrSapContext: Context): void;
  NdisMCmDeregisterSapComplete(status: NdisStatus, sapHandle: NdisSapHandle): void;
  NdisMCmCreateVc(afHandle: NdisAfHandle, mcmVcContext: Context): { status: NdisStatus; vcHandle?: NdisVcHandle };
  NdisMCmDeleteVc(vcHandle: NdisVcHandle): NdisStatus;
  /** the MCM programmed its miniport half already; this tells NDIS the VC is ready (or its parameters changed) */
  NdisMCmActivateVc(vcHandle: NdisVcHandle, params: CoCallParameters): NdisStatus;
  /** synchronous (spec A7): SUCCESS, or NOT_ACCEPTED when not active */
  NdisMCmDeactivateVc(vcHandle: NdisVcHandle): NdisStatus;
  NdisMCmMakeCallComplete(status: NdisStatus, vcHandle: NdisVcHandle, partyHandle: NdisPartyHandle | undefined, callMgrPartyContext: Context | undefined, params: CoCallParameters): void;
  NdisMCmDispatchIncomingCall(sapHandle: NdisSapHandle, vcHandle: NdisVcHandle, params: CoCallParameters): NdisStatus;
  NdisMCmDispatchCallConnected(vcHandle: NdisVcHandle): void;
  NdisMCmAddPartyComplete(status: NdisStatus, partyHandle: NdisPartyHandle, callMgrPartyContext: Context | undefined, params: CoCallParameters): void;
  NdisMCmDropPartyComplete(status: NdisStatus, partyHandle: NdisPartyHandle): void;
  NdisMCmDispatchIncomingDropParty(dropStatus: NdisStatus, partyHandle: NdisPartyHandle, closeData: Buffer | undefined, size: number): void;
  NdisMCmCloseCallComplete(status: NdisStatus, vcHandle: NdisVcHandle, partyHandle: NdisPartyHandle | undefined): void;
  NdisMCmDispatchIncomingCloseCall(closeStatus: NdisStatus, vcHandle: NdisVcHandle, closeData: Buffer | undefined, size: number): void;
  NdisMCmModifyCallQoSComplete(status: NdisStatus, vcHandle: NdisVcHandle, params: CoCallParameters): void;
  NdisMCmDispatchIncomingCallQoSChange(vcHandle: NdisVcHandle, params: CoCallParameters): void;
}

export type CallManagerShape = 'cm' | 'mcm';

/** What the data path answered, for MCMs that drive their own miniport half. */
export type { MaybePending };
