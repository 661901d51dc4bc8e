/**
 * The Q.2931 call manager's own records: its contexts for address families,
 * SAPs, VCs and parties (the CallMgr*Context values NDIS hands back to it),
 * the phases a VC's call goes through on the network, the UNI error ->
 * NDIS_STATUS mapping, and the table of NDIS functions of each shape under one
 * set of names.
 */
import { SmallMap } from '../../common/small-map.js';
import type { CallId, PartyId, PeerId, UniCallParams, UniError, VcPath } from '../../uni/api.js';
import type { NdisCmApi, NdisMcmApi } from '../cm-interface.js';
import type { Context } from '../indications.js';
import { NdisStatus } from '../status.js';
import { CallFlags, type CoCallParameters, type Q2931CallMgrParameters, type CoSap, NdisAfHandle, NdisPartyHandle, NdisSapHandle, NdisVcHandle } from '../types.js';

const S = NdisStatus;

export interface CmAf {
  kind: 'af';
  afH: NdisAfHandle;
  saps: Set<CmSap>;
  /** how many VCs the AF has (a count: a set would cost ~33 B of heap per VC) */
  vcCount: number;
}

export interface CmSap {
  kind: 'sap';
  sapH: NdisSapHandle;
  af: CmAf;
  sap: CoSap;
}

export interface CmParty {
  partyH: NdisPartyHandle;
  vc: CmVc;
  uniParty: PartyId;
  peer?: PeerId;
  /** gone: the network already dropped it (incoming drop or close); only the client's drop is awaited */
  state: 'adding' | 'connected' | 'dropping' | 'gone';
  /** the parameters asked for (sealed), held while the party is being added */
  params?: CoCallParameters;
}

/**
 * A VC's parties, by the UNI party id every party indication names (the
 * party's NDIS handle is never looked up here: NDIS hands the party's context
 * back with every request). A SmallMap: most VCs have one party or none.
 */
export class PartyMap extends SmallMap<PartyId, CmParty> {
  add(p: CmParty): void {
    this.set(p.uniParty, p);
  }
  /** forget `p`, if it is the party there under its id */
  remove(p: CmParty): void {
    if (this.get(p.uniParty) === p) this.delete(p.uniParty);
  }
  /** is there a party other than `but` that `pred` holds for? (the first one found answers: asked as each party goes) */
  other(but: CmParty | undefined, pred: (p: CmParty) => boolean): boolean {
    for (const p of this.values()) if (p !== but && pred(p)) return true;
    return false;
  }
}

/** the parties of every VC that has none (most never have one): one frozen, empty map; `partiesOf` makes a VC its own */
export const NO_PARTIES: PartyMap = Object.freeze(new PartyMap()) as PartyMap;

/** the VC's own party map, made with its first party */
export function partiesOf(v: CmVc): PartyMap {
  if (v.parties === NO_PARTIES) v.parties = new PartyMap();
  return v.parties;
}

/**
 * The contexts a call manager holds for VCs (but its signalling VC) and parties, counted as they
 * come and go (a set of every VC would cost ~33 B of heap per VC). Parties join and leave their
 * VC's PartyMap here.
 */
export class CmContexts {
  private vcs = 0;
  private parties = 0;

  get size(): number {
    return this.vcs + this.parties;
  }

  /** a VC context of an AF: counted there and here until freed */
  countVc(v: CmVc): void {
    v.counted = true;
    this.vcs++;
    if (v.af) v.af.vcCount++;
  }

  /** the VC's context and its parties' are freed (once) */
  freeVc(v: CmVc): void {
    this.dropParties(v);
    if (!v.counted) return;
    v.counted = false;
    this.vcs--;
    if (v.af) v.af.vcCount--;
  }

  addParty(v: CmVc, p: CmParty): void {
    partiesOf(v).add(p);
    this.parties++;
  }

  /** the party's context is freed (if it is still the VC's) */
  removeParty(v: CmVc, p: CmParty): void {
    if (v.parties.get(p.uniParty) !== p) return;
    v.parties.remove(p);
    this.parties--;
  }

  /** every party context of the VC is freed */
  dropParties(v: CmVc): void {
    this.parties -= v.parties.size;
    v.parties = NO_PARTIES;
  }
}

/**
 * For status displays: the UNI call behind a VC context this call manager gave NDIS (CallMgrVcContext),
 * undefined for a context of another call manager or a VC without a call.
 */
export function uniCallOfContext(ctx: unknown): CallId | undefined {
  return ctx instanceof CmVc ? ctx.call : undefined;
}

/** For status displays: the UNI party of each party of a VC context of this call manager, by NDIS party handle */
export function uniPartiesOfContext(ctx: unknown): Map<NdisPartyHandle, PartyId> {
  const out = new Map<NdisPartyHandle, PartyId>();
  if (ctx instanceof CmVc) for (const p of ctx.parties.values()) out.set(p.partyH, p.uniParty);
  return out;
}

export type VcPhase =
  | 'idle'
  | 'making' // SETUP sent
  | 'activating-out' // CONNECT received, activating
  | 'activating-in' // SETUP received, VC created, activating before the dispatch
  | 'offered' // incoming call dispatched to the client
  | 'accepted' // CONNECT sent
  | 'connected'
  | 'released' // network side gone, waiting for the client's close
  | 'closing'; // our RELEASE sent, waiting for RELEASE COMPLETE

const INCOMING = 1;
const MULTIPOINT = 2;
const ACTIVE = 4;
const CLOSE_PENDING = 8;
const ACTIVATING = 16;
const SIGNALLING = 32;
const RETIRE_AFTER_ACTIVATION = 64;
const COUNTED = 128;

/**
 * The call manager's context of a VC. Its yes/no fields share one number (`flags`) behind
 * accessors: a field of its own costs 8 B, and every endpoint of a multipoint call at a leaf host
 * is a VC.
 */
export class CmVc {
  vcH: NdisVcHandle | undefined = undefined;
  phase: VcPhase = 'idle';
  call: CallId | undefined = undefined;
  peer: PeerId | undefined = undefined;
  /** NO_PARTIES until the first party (partiesOf) */
  parties: PartyMap = NO_PARTIES;
  params: CoCallParameters | undefined = undefined;
  private flags: number;
  /** the party named in a make-call (multipoint) */
  declare firstParty?: CmParty;
  declare failAfterActivation?: NdisStatus;
  /** an incoming close waiting for our outstanding drops to finish */
  declare pendingClose?: { status: NdisStatus; closeData?: Buffer };

  constructor(
    dir: 'out' | 'in',
    readonly af?: CmAf,
  ) {
    this.flags = dir === 'in' ? INCOMING : 0;
  }

  get dir(): 'out' | 'in' {
    return this.flags & INCOMING ? 'in' : 'out';
  }
  /** the wire paths the VC was last activated with */
  get activePaths(): readonly VcPath[] | undefined {
    return this.params?.mediaParameters?.mediaSpecific?.paths;
  }
  get multipoint(): boolean {
    return (this.flags & MULTIPOINT) !== 0;
  }
  set multipoint(on: boolean) {
    this.flag(MULTIPOINT, on);
  }
  get active(): boolean {
    return (this.flags & ACTIVE) !== 0;
  }
  set active(on: boolean) {
    this.flag(ACTIVE, on);
  }
  get closePending(): boolean {
    return (this.flags & CLOSE_PENDING) !== 0;
  }
  set closePending(on: boolean) {
    this.flag(CLOSE_PENDING, on);
  }
  get activating(): boolean {
    return (this.flags & ACTIVATING) !== 0;
  }
  set activating(on: boolean) {
    this.flag(ACTIVATING, on);
  }
  get signalling(): boolean {
    return (this.flags & SIGNALLING) !== 0;
  }
  set signalling(on: boolean) {
    this.flag(SIGNALLING, on);
  }
  get retireAfterActivation(): boolean {
    return (this.flags & RETIRE_AFTER_ACTIVATION) !== 0;
  }
  set retireAfterActivation(on: boolean) {
    this.flag(RETIRE_AFTER_ACTIVATION, on);
  }
  /** (written only on a VC that had one: a property every VC gets would take a slot in every VC) */
  forgetFirstParty(): void {
    if (this.firstParty !== undefined) this.firstParty = undefined;
  }
  /** counted among the call manager's live VC contexts (from its creation until it is freed) */
  get counted(): boolean {
    return (this.flags & COUNTED) !== 0;
  }
  set counted(on: boolean) {
    this.flag(COUNTED, on);
  }
  private flag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }
}

/**
 * The parameters an incoming call is activated and offered with: what the SETUP said, on its VC. A
 * SETUP with the point-to-multipoint bearer is offered as a multipoint VC (the leaf of a multipoint
 * call). They are new and mutable, except that the parts `last` (the previous incoming call's, once
 * sealed) has with the same contents are shared, and `last` itself when all of it says the same: every endpoint at a leaf host is an incoming call
 * of its own, on the same VC, from the same caller to the same address. (Those parts carry no
 * ROUND_UP_FLOW / ROUND_DOWN_FLOW, so the miniport has nothing to rewrite in them.)
 */
export function incomingCallParameters(p: UniCallParams, vc: VcPath, last?: CoCallParameters): CoCallParameters {
  const flags = p.multipoint ? CallFlags.MULTIPOINT_VC : 0;
  const cm = last?.callMgrParameters;
  const spec0 = cm?.callMgrSpecific;
  const path0 = last?.mediaParameters?.mediaSpecific?.paths;
  if (
    cm &&
    spec0 &&
    path0?.length === 1 &&
    Object.isFrozen(cm) &&
    Object.isFrozen(last!.mediaParameters) &&
    spec0.calledParty === p.called &&
    spec0.callingParty === p.calling &&
    spec0.uu === undefined &&
    p.uu === undefined &&
    cm.transmit === cm.receive && // both the shared empty flow spec (types.ts NO_FLOW)
    Object.keys(cm.transmit).length === 0 &&
    path0[0]!.peer === vc.peer &&
    path0[0]!.vpi === vc.vpi &&
    path0[0]!.vci === vc.vci &&
    last!.mediaParameters!.flags === 0
  )
    // the whole set when it is sealed and its flags match too: a sealed set is nobody's to change
    return Object.isFrozen(last) && last!.flags === flags ? last! : { flags, callMgrParameters: cm, mediaParameters: last!.mediaParameters! };
  const spec: Q2931CallMgrParameters = p.calling ? { calledParty: p.called, callingParty: p.calling } : { calledParty: p.called };
  if (p.uu) spec.uu = p.uu;
  return {
    flags,
    callMgrParameters: { transmit: {}, receive: {}, callMgrSpecific: spec },
    mediaParameters: { flags: 0, receivePriority: 0, receiveSizeHint: 0, mediaSpecific: { paths: [{ peer: vc.peer, vpi: vc.vpi, vci: vc.vci }] } },
  };
}

/** The shape-specific NDIS functions the call manager needs, under one set of names. */
export interface CmOps {
  openAfComplete(st: NdisStatus, h: NdisAfHandle, ctx: Context): void;
  closeAfComplete(st: NdisStatus, h: NdisAfHandle): void;
  registerSapComplete(st: NdisStatus, h: NdisSapHandle, ctx: Context): void;
  deregisterSapComplete(st: NdisStatus, h: NdisSapHandle): void;
  createVc(af: NdisAfHandle, ctx: Context): { status: NdisStatus; vcHandle?: NdisVcHandle };
  deleteVc(h: NdisVcHandle): NdisStatus;
  makeCallComplete(st: NdisStatus, h: NdisVcHandle, ph: NdisPartyHandle | undefined, ctx: Context | undefined, p: CoCallParameters): void;
  dispatchIncomingCall(sh: NdisSapHandle, h: NdisVcHandle, p: CoCallParameters): NdisStatus;
  dispatchCallConnected(h: NdisVcHandle): void;
  addPartyComplete(st: NdisStatus, ph: NdisPartyHandle, ctx: Context | undefined, p: CoCallParameters): void;
  dropPartyComplete(st: NdisStatus, ph: NdisPartyHandle): void;
  dispatchIncomingDropParty(st: NdisStatus, ph: NdisPartyHandle, d: Buffer | undefined): void;
  closeCallComplete(st: NdisStatus, h: NdisVcHandle, ph: NdisPartyHandle | undefined): void;
  dispatchIncomingCloseCall(st: NdisStatus, h: NdisVcHandle, d: Buffer | undefined): void;
  modifyQoSComplete(st: NdisStatus, h: NdisVcHandle, p: CoCallParameters): void;
  dispatchQoSChange(h: NdisVcHandle, p: CoCallParameters): void;
  notifyCloseAf(h: NdisAfHandle): NdisStatus;
}

export function uniStatus(e: UniError): NdisStatus {
  switch (e.code) {
    case 'no-route':
      return S.NO_ROUTE_TO_DESTINATION;
    case 'link-down':
      return S.DEST_OUT_OF_ORDER;
    case 'limit':
      return S.RESOURCES;
    case 'close-data-not-allowed':
    case 'close-data-too-long':
      return S.INVALID_DATA;
    case 'not-multipoint':
      return S.NOT_SUPPORTED;
    default:
      return S.FAILURE;
  }
}

/** the stand-alone CM's functions (Ndis*Cm*, NdisCo*Vc) */
export function cmOps(api: NdisCmApi): CmOps {
  return {
    openAfComplete: api.NdisCmOpenAddressFamilyComplete,
    closeAfComplete: api.NdisCmCloseAddressFamilyComplete,
    registerSapComplete: api.NdisCmRegisterSapComplete,
    deregisterSapComplete: api.NdisCmDeregisterSapComplete,
    createVc: api.NdisCoCreateVc,
    deleteVc: api.NdisCoDeleteVc,
    makeCallComplete: api.NdisCmMakeCallComplete,
    dispatchIncomingCall: api.NdisCmDispatchIncomingCall,
    dispatchCallConnected: api.NdisCmDispatchCallConnected,
    addPartyComplete: api.NdisCmAddPartyComplete,
    dropPartyComplete: api.NdisCmDropPartyComplete,
    dispatchIncomingDropParty: (st, ph, d) => api.NdisCmDispatchIncomingDropParty(st, ph, d, d?.length ?? 0),
    closeCallComplete: api.NdisCmCloseCallComplete,
    dispatchIncomingCloseCall: (st, h, d) => api.NdisCmDispatchIncomingCloseCall(st, h, d, d?.length ?? 0),
    modifyQoSComplete: api.NdisCmModifyCallQoSComplete,
    dispatchQoSChange: api.NdisCmDispatchIncomingCallQoSChange,
    notifyCloseAf: api.NdisCmNotifyCloseAddressFamily,
  };
}

/** the integrated miniport call manager's functions (NdisMCm*) */
export function mcmOps(api: NdisMcmApi): CmOps {
  return {
    openAfComplete: api.NdisMCmOpenAddressFamilyComplete,
    closeAfComplete: api.NdisMCmCloseAddressFamilyComplete,
    registerSapComplete: api.NdisMCmRegisterSapComplete,
    deregisterSapComplete: api.NdisMCmDeregisterSapComplete,
    createVc: api.NdisMCmCreateVc,
    deleteVc: api.NdisMCmDeleteVc,
    makeCallComplete: api.NdisMCmMakeCallComplete,
    dispatchIncomingCall: api.NdisMCmDispatchIncomingCall,
    dispatchCallConnected: api.NdisMCmDispatchCallConnected,
    addPartyComplete: api.NdisMCmAddPartyComplete,
    dropPartyComplete: api.NdisMCmDropPartyComplete,
    dispatchIncomingDropParty: (st, ph, d) => api.NdisMCmDispatchIncomingDropParty(st, ph, d, d?.length ?? 0),
    closeCallComplete: api.NdisMCmCloseCallComplete,
    dispatchIncomingCloseCall: (st, h, d) => api.NdisMCmDispatchIncomingCloseCall(st, h, d, d?.length ?? 0),
    modifyQoSComplete: api.NdisMCmModifyCallQoSComplete,
    dispatchQoSChange: api.NdisMCmDispatchIncomingCallQoSChange,
    notifyCloseAf: api.NdisMCmNotifyCloseAddressFamily,
  };
}
