/**
 * The Q.2931/Q.2971 call manager: the ProtocolCm* side of CoNDIS translated to
 * the UniHost contract (src/uni/api.ts; mapping in docs/architecture.md). One class serves both shapes: as a
 * stand-alone CM it uses the Ndis*Cm* functions and NDIS drives the miniport;
 * as an integrated miniport call manager (MCM) it uses NdisMCm* and drives its
 * own miniport half (the data path) itself.
 *
 * `completion: 'sync'` answers every request that can finish at once with its
 * final status (open AF, SAP registration, drop party, close call...);
 * 'pending' answers PENDING and completes on a later turn. Make call and add
 * party always pend: they wait for the network.
 */
import type { SchedulerLike } from 'rxjs';
import { laterScheduler, runLater } from '../../common/later-scheduler.js';
import { CALL_CONTEXT, type AtmAddress, type CallId, type PartyId, type PeerId, type UniHost, type UniIndication, type VcPath } from '../../uni/api.js';
import type { CallManagerHandlers, CallManagerShape, NdisCmApi, NdisMcmApi } from '../cm-interface.js';
import { isPending, samePaths, type MaybePending, type NdisDataPath } from '../datapath.js';
import type { Context } from '../indications.js';
import type { NdisHost } from '../ndis.js';
import { CmContexts, cmOps, incomingCallParameters, mcmOps, uniStatus, type CmAf, type CmOps, type CmParty, type CmSap, CmVc } from './records.js';
import { NdisStatus, causeFromStatus, failureFromCause, statusFromCause } from '../status.js';
import { CmQos } from './modify.js';
import {
  CallFlags,
  Q2931_AF,
  SAP_TYPE_ATM,
  cloneCallParameters,
  sameFlows,
  sealCallParameters,
  sealedCallParameters,
  withCallFlags,
  type CoAddressFamily,
  type CoCallParameters,
  type CoSap,
  type NdisAfHandle,
  type NdisPartyHandle,
  type NdisSapHandle,
  type NdisVcHandle,
} from '../types.js';

const S = NdisStatus;

export interface CallManagerOptions {
  shape: CallManagerShape;
  completion: 'sync' | 'pending';
  /** the addresses this host answers to (SAPs must name one of them, or "*") */
  ownAddresses: AtmAddress[];
  /** does the medium support QoS changes (R79); default false */
  qos?: boolean;
  /** QoS changes of point-to-point calls go over the wire as Q.2963.1 modifications (modify.ts); default false */
  q2963?: boolean;
  scheduler?: SchedulerLike;
}

export class UniCallManager implements CallManagerHandlers {
  readonly shape: CallManagerShape;
  readonly completion: 'sync' | 'pending';
  /** the NDIS functions of this shape, for callers that want to exercise them directly */
  readonly cmApi?: NdisCmApi;
  readonly mcmApi?: NdisMcmApi;
  private readonly ops: CmOps;
  private readonly scheduler: SchedulerLike;
  private readonly dataPath: NdisDataPath;
  private readonly afs = new Set<CmAf>();
  private readonly saps = new Set<CmSap>();
  private readonly contexts = new CmContexts();
  private signallingVc?: NdisVcHandle;
  /** the QoS section (modify.ts): local changes (R79) and Q.2963.1 modification over the wire */
  private readonly qos: CmQos<CmVc>;
  /** statuses the CM answered for AF registration (R84 evidence) */
  readonly registration: NdisStatus;

  constructor(
    private readonly ndis: NdisHost,
    private readonly uni: UniHost,
    private readonly opts: CallManagerOptions,
  ) {
    this.shape = opts.shape;
    this.completion = opts.completion;
    this.scheduler = opts.scheduler ?? laterScheduler;
    this.dataPath = ndis.dataPath;
    if (opts.shape === 'cm') {
      const api = ndis.registerCallManager(this, 'cm');
      this.cmApi = api;
      this.ops = cmOps(api);
      // the CM's own signalling VC: no AF, only the miniport learns of it (R9)
      const sig: CmVc = this.newVc('out');
      sig.signalling = true;
      const r = api.NdisCoCreateVc(undefined, sig);
      if (r.status === S.SUCCESS) {
        this.signallingVc = r.vcHandle;
        sig.vcH = r.vcHandle;
      }
      this.registration = api.NdisCmRegisterAddressFamilyEx(Q2931_AF);
    } else {
      const api = ndis.registerCallManager(this, 'mcm');
      this.mcmApi = api;
      this.ops = mcmOps(api);
      this.registration = api.NdisMCmRegisterAddressFamilyEx(Q2931_AF);
    }
    this.qos = new CmQos<CmVc>(
      {
        uni: this.uni,
        activate: (v, p) => this.activate(v, p),
        withPaths: (v, p) => this.paramsWithPaths(p, v.params?.mediaParameters?.mediaSpecific?.paths ?? []),
        later: (fn) => this.later(fn),
        modifyQoSComplete: (st, h, p) => this.ops.modifyQoSComplete(st, h, p),
        dispatchQoSChange: (h, p) => this.ops.dispatchQoSChange(h, p),
      },
      { qos: opts.qos ?? false, q2963: opts.q2963 ?? false, completion: opts.completion },
    );
  }

  /** the CM's signalling VC (stand-alone CM only; an MCM's are internal) */
  get signallingVcHandle(): NdisVcHandle | undefined {
    return this.signallingVc;
  }

  liveContexts(): number {
    return this.afs.size + this.saps.size + this.contexts.size;
  }

  /** ask every client of an AF to close it (unbinding / halting) */
  notifyCloseAf(afH: NdisAfHandle): NdisStatus {
    return this.ops.notifyCloseAf(afH);
  }

  // ------------------------------------------------------------------ helpers

  private later(fn: () => void): void {
    runLater(this.scheduler, fn);
  }

  /** run `fn(status)` now for a final status, or when a pending one settles */
  private when(r: MaybePending, fn: (st: NdisStatus) => void): void {
    if (isPending(r)) void r.then(fn);
    else fn(r);
  }

  private newVc(dir: 'out' | 'in', af?: CmAf): CmVc {
    return new CmVc(dir, af);
  }

  /** new, mutable parameters for activating the VC: `base` with these paths (the miniport may round its flows) */
  private paramsWithPaths(base: CoCallParameters, paths: VcPath[]): CoCallParameters {
    return cloneCallParameters(base, paths);
  }

  /**
   * Activate (or re-activate) the VC with these parameters: CM through NDIS, MCM through its own miniport half.
   * `params` are the call manager's own (from paramsWithPaths): once the miniport took them they are sealed
   * (types.ts), so the VC's context and NDIS's record of an MCM's VC share them.
   */
  private activate(v: CmVc, params: CoCallParameters): MaybePending {
    const h = v.vcH!;
    const sealed = (st: NdisStatus): NdisStatus => {
      if (st === S.SUCCESS) sealCallParameters(params);
      return st;
    };
    if (this.shape === 'cm') {
      const st = this.cmApi!.NdisCmActivateVc(h, params);
      if (st !== S.PENDING) return sealed(st);
      return new Promise<NdisStatus>((resolve) => {
        this.activationWaiters.set(v, (st) => resolve(sealed(st)));
      });
    }
    const r = this.dataPath.activate(h, params.mediaParameters?.mediaSpecific?.paths ?? [], params);
    const finish = (st: NdisStatus): NdisStatus => (st === S.SUCCESS ? this.mcmApi!.NdisMCmActivateVc(h, sealCallParameters(params)) : st);
    return isPending(r) ? r.then(finish) : finish(r);
  }

  private readonly activationWaiters = new Map<CmVc, (st: NdisStatus) => void>();
  /** the last incoming call's parameters, whose parts the next one shares when it says the same */
  private lastIncoming?: CoCallParameters;
  private readonly deactivationWaiters = new Map<CmVc, (st: NdisStatus) => void>();

  private deactivate(v: CmVc): MaybePending {
    const h = v.vcH!;
    if (!v.active) return S.SUCCESS;
    v.active = false;
    if (this.shape === 'cm') {
      const st = this.cmApi!.NdisCmDeactivateVc(h);
      if (st !== S.PENDING) return S.SUCCESS;
      return new Promise((resolve) => this.deactivationWaiters.set(v, resolve));
    }
    // R20: the miniport half stops only after every receive came back from the client
    const drained = this.ndis.receivesReturned(h);
    const r = drained ? drained.then(() => this.dataPath.deactivate(h)) : this.dataPath.deactivate(h);
    const finish = (): NdisStatus => {
      this.mcmApi!.NdisMCmDeactivateVc(h);
      return S.SUCCESS;
    };
    return isPending(r) ? r.then(finish) : finish();
  }

  /** re-program the VC after a party changed its set of paths (one on a link the call uses changes none); a failure keeps the old paths (R17) */
  private refreshPaths(v: CmVc): void {
    if (!v.active || v.call === undefined || !v.params) return;
    const paths = this.uni.paths(v.call);
    if (samePaths(paths, v.activePaths)) return;
    const params = this.paramsWithPaths(v.params, paths);
    this.when(this.activate(v, params), (st) => {
      if (st === S.SUCCESS) v.params = params;
    });
  }

  /** the VC's call, known to call control by `call`: its indications carry the VC (ctx) while `v.call` names it */
  private bindCall(v: CmVc, call: CallId): void {
    v.call = call;
    this.uni.setCallContext(call, v);
  }

  private forgetCall(v: CmVc): void {
    v.call = undefined;
  }

  private freeVc(v: CmVc): void {
    this.forgetCall(v);
    this.contexts.freeVc(v);
  }

  /** CM-created VC after its call ended: deactivate and delete it on a later turn (after the client saw its completion) */
  private retireIncomingVc(v: CmVc, attempt = 0): void {
    if (v.activating) {
      v.retireAfterActivation = true; // finish the activation first, then deactivate and delete
      return;
    }
    this.later(() =>
      this.when(this.deactivate(v), () => {
        const st = this.ops.deleteVc(v.vcH!);
        if (st === S.SUCCESS) this.freeVc(v);
        // R13: the client still has work outstanding on it: try again a little later
        else if (attempt < 50) this.scheduler.schedule(() => this.retireIncomingVc(v, attempt + 1), 10);
      }),
    );
  }

  private closeDataCheck(peer: PeerId | undefined, closeData: Buffer | undefined): NdisStatus {
    if (!closeData || peer === undefined) return S.SUCCESS;
    const pol = this.uni.closeDataPolicy(peer);
    if (!pol.allowed || closeData.length > pol.maxOctets) return S.INVALID_DATA;
    return S.SUCCESS;
  }

  // ------------------------------------------------------------------ AF and SAP

  ProtocolCmOpenAf(af: CoAddressFamily, afH: NdisAfHandle): { status: NdisStatus; callMgrAfContext?: Context } {
    if (af.addressFamily !== Q2931_AF.addressFamily) return { status: S.FAILURE };
    const ctx: CmAf = { kind: 'af', afH, saps: new Set(), vcCount: 0 };
    this.afs.add(ctx);
    if (this.completion === 'sync') return { status: S.SUCCESS, callMgrAfContext: ctx };
    this.later(() => this.ops.openAfComplete(S.SUCCESS, afH, ctx));
    return { status: S.PENDING, callMgrAfContext: ctx };
  }

  ProtocolCmCloseAf(ctx: Context): NdisStatus {
    const af = ctx as CmAf;
    if (af.saps.size > 0 || af.vcCount > 0) return S.NOT_ACCEPTED;
    this.afs.delete(af);
    if (this.completion === 'sync') return S.SUCCESS;
    this.later(() => this.ops.closeAfComplete(S.SUCCESS, af.afH));
    return S.PENDING;
  }

  ProtocolCmNotifyCloseAfComplete(_status: NdisStatus, _ctx: Context): void {}

  ProtocolCmRegisterSap(ctx: Context, sap: CoSap, sapH: NdisSapHandle): { status: NdisStatus; callMgrSapContext?: Context } {
    const af = ctx as CmAf;
    // R82: a format we do not understand, an address that is not ours, or one another client holds
    if (sap.sapType !== SAP_TYPE_ATM || !sap.sap || typeof sap.sap.address !== 'string') return { status: S.INVALID_DATA };
    if (sap.sap.address !== '*' && !this.opts.ownAddresses.includes(sap.sap.address)) return { status: S.INVALID_DATA };
    for (const s of this.saps) if (s.sap.sap.address === sap.sap.address) return { status: S.INVALID_DATA };
    const rec: CmSap = { kind: 'sap', sapH, af, sap };
    this.saps.add(rec);
    af.saps.add(rec);
    if (this.completion === 'sync') return { status: S.SUCCESS, callMgrSapContext: rec };
    this.later(() => this.ops.registerSapComplete(S.SUCCESS, sapH, rec));
    return { status: S.PENDING, callMgrSapContext: rec };
  }

  ProtocolCmDeregisterSap(ctx: Context): NdisStatus {
    const s = ctx as CmSap;
    this.saps.delete(s);
    s.af.saps.delete(s);
    if (this.completion === 'sync') return S.SUCCESS;
    this.later(() => this.ops.deregisterSapComplete(S.SUCCESS, s.sapH));
    return S.PENDING;
  }

  // ------------------------------------------------------------------ VCs

  ProtocolCoCreateVc(ctx: Context, vcH: NdisVcHandle): { status: NdisStatus; callMgrVcContext?: Context } {
    const af = ctx as CmAf;
    const v = this.newVc('out', af);
    v.vcH = vcH;
    this.contexts.countVc(v);
    return { status: S.SUCCESS, callMgrVcContext: v };
  }

  ProtocolCoDeleteVc(ctx: Context): NdisStatus {
    const v = ctx as CmVc;
    if (v.phase !== 'idle' || v.parties.size > 0) return S.NOT_ACCEPTED;
    this.freeVc(v);
    return S.SUCCESS;
  }

  ProtocolCmActivateVcComplete(status: NdisStatus, ctx: Context, _params: CoCallParameters): void {
    const v = ctx as CmVc;
    const w = this.activationWaiters.get(v);
    this.activationWaiters.delete(v);
    w?.(status);
  }

  ProtocolCmDeactivateVcComplete(status: NdisStatus, ctx: Context): void {
    const v = ctx as CmVc;
    const w = this.deactivationWaiters.get(v);
    this.deactivationWaiters.delete(v);
    w?.(status);
  }

  // ------------------------------------------------------------------ outgoing calls

  ProtocolCmMakeCall(ctx: Context, params: CoCallParameters, partyH: NdisPartyHandle | undefined): { status: NdisStatus; callMgrPartyContext?: Context } {
    const v = ctx as CmVc;
    if (v.phase !== 'idle') return { status: S.FAILURE };
    const q = params.callMgrParameters?.callMgrSpecific;
    if (!q?.calledParty) return { status: S.INVALID_ADDRESS };
    const multipoint = partyH !== undefined;
    const r = this.uni.setup({
      called: q.calledParty,
      multipoint,
      ...(q.callingParty ? { calling: q.callingParty } : this.opts.ownAddresses[0] ? { calling: this.opts.ownAddresses[0] } : {}),
      ...(q.uu ? { uu: q.uu } : {}),
    });
    if (!r.ok) return { status: uniStatus(r.error) };
    v.phase = 'making';
    v.multipoint = multipoint;
    this.bindCall(v, r.value.call);
    // NDIS hands sealed parameters (its copy of the client's): kept as they are, not copied again
    const sealed = sealedCallParameters(params);
    v.params = multipoint ? withCallFlags(sealed, sealed.flags | CallFlags.MULTIPOINT_VC) : sealed;
    let party: CmParty | undefined;
    if (partyH !== undefined) {
      // (a multipoint call's SETUP always names its first party)
      party = { partyH, vc: v, uniParty: r.value.party!, peer: undefined, state: 'adding', params: sealed };
      this.contexts.addParty(v, party);
      v.firstParty = party;
    }
    return { status: S.PENDING, ...(party ? { callMgrPartyContext: party } : {}) };
  }

  /** `cause`: the Q.2931 cause the call was cleared with, reported in the completion's parameters */
  private makeCallFailed(v: CmVc, status: NdisStatus, cause?: number): void {
    const party = v.firstParty;
    this.forgetCall(v);
    this.contexts.dropParties(v);
    v.forgetFirstParty();
    v.multipoint = false;
    const base = v.params ?? { flags: 0 };
    const spec = base.callMgrParameters?.callMgrSpecific;
    const params: CoCallParameters =
      cause !== undefined && base.callMgrParameters && spec ? { ...base, callMgrParameters: { ...base.callMgrParameters, callMgrSpecific: { ...spec, cause } } } : base;
    this.when(this.deactivate(v), () => {
      v.phase = 'idle';
      this.ops.makeCallComplete(status, v.vcH!, party?.partyH, undefined, params);
    });
  }

  private onConnected(v: CmVc, i: Extract<UniIndication, { kind: 'connected' }>): void {
    v.phase = 'activating-out';
    v.peer = i.vc.peer;
    const party = v.firstParty;
    if (party) {
      party.peer = i.vc.peer;
      if (i.party !== undefined && i.party !== party.uniParty && v.parties.get(party.uniParty) === party) {
        // (the parties are kept by UNI id)
        v.parties.remove(party);
        party.uniParty = i.party;
        v.parties.add(party);
      }
    }
    const params = this.paramsWithPaths(v.params!, [i.vc]);
    const asked = params.callMgrParameters;
    const requested = asked && { transmit: { ...asked.transmit }, receive: { ...asked.receive } };
    this.when(this.activate(v, params), (st) => {
      if (v.failAfterActivation !== undefined) {
        // the network cleared the call while we were activating: undo and report that
        const status = v.failAfterActivation;
        v.failAfterActivation = undefined;
        if (st === S.SUCCESS) v.active = true;
        this.makeCallFailed(v, status);
        return;
      }
      if (v.phase !== 'activating-out') return;
      if (st !== S.SUCCESS) {
        // R16/R19: the miniport refused the parameters; nothing is sent on the VC, the call is cleared
        if (v.call !== undefined) this.uni.release(v.call, { cause: causeFromStatus(st) });
        this.makeCallFailed(v, st);
        return;
      }
      v.active = true;
      // R18/R26: the miniport may have rounded the flow; report what is in force
      const changed = !sameFlows(params.callMgrParameters, requested);
      v.params = changed ? withCallFlags(params, params.flags | CallFlags.CALL_PARAMETERS_CHANGED) : params;
      v.phase = 'connected';
      if (party) {
        party.state = 'connected';
        party.params = undefined;
      }
      // NDIS copies them for the client
      this.ops.makeCallComplete(S.SUCCESS, v.vcH!, party?.partyH, party, v.params);
    });
  }

  // ------------------------------------------------------------------ incoming calls

  private onSetup(i: Extract<UniIndication, { kind: 'setup' }>): void {
    let sap: CmSap | undefined;
    for (const s of this.saps) if (s.sap.sap.address === i.params.called) sap = s;
    if (!sap) for (const s of this.saps) if (s.sap.sap.address === '*') sap = s;
    if (!sap) {
      this.uni.reject(i.call, 88); // incompatible destination: nobody listens
      return;
    }
    const v = this.newVc('in', sap.af);
    this.contexts.countVc(v);
    const r = this.ops.createVc(sap.af.afH, v);
    if (r.status !== S.SUCCESS) {
      this.freeVc(v);
      this.uni.reject(i.call, 47);
      return;
    }
    v.vcH = r.vcHandle;
    this.bindCall(v, i.call);
    v.peer = i.peer;
    v.phase = 'activating-in';
    const params = incomingCallParameters(i.params, i.vc, this.lastIncoming);
    this.lastIncoming = params;
    // R30: create VC -> activate -> dispatch
    v.activating = true;
    this.when(this.activate(v, params), (st) => {
      v.activating = false;
      if (v.phase !== 'activating-in' || v.call === undefined) {
        // the caller gave up while we were activating: retire the VC now
        if (st === S.SUCCESS) v.active = true;
        if (v.retireAfterActivation) {
          v.retireAfterActivation = false;
          this.retireIncomingVc(v);
        }
        return;
      }
      if (st !== S.SUCCESS) {
        this.uni.reject(v.call, causeFromStatus(st));
        this.forgetCall(v);
        v.phase = 'idle';
        this.retireIncomingVc(v);
        return;
      }
      v.active = true;
      v.params = params;
      v.phase = 'offered';
      const offered = cloneCallParameters(params);
      const ans = this.ops.dispatchIncomingCall(sap!.sapH, v.vcH!, offered);
      // R32: a final answer is not completed again; a rejecting client may have named its cause in the parameters
      if (ans !== S.PENDING) this.incomingAnswered(v, ans, params, offered.callMgrParameters?.callMgrSpecific?.cause);
    });
  }

  ProtocolCmIncomingCallComplete(status: NdisStatus, ctx: Context, params: CoCallParameters): void {
    this.incomingAnswered(ctx as CmVc, status, params, params.callMgrParameters?.callMgrSpecific?.cause);
  }

  /** `cause`: the Q.2931 cause the client named for a rejection (else one derived from the status) */
  private incomingAnswered(v: CmVc, status: NdisStatus, params: CoCallParameters, cause?: number): void {
    if (v.phase !== 'offered') return; // the remote gave up meanwhile; the incoming close is already out
    if (status === S.SUCCESS && params.flags & CallFlags.CALL_PARAMETERS_CHANGED) {
      // R35: we cannot carry changed parameters back on this network: refuse and close instead of connecting
      if (v.call !== undefined) this.uni.reject(v.call, 73);
      this.forgetCall(v);
      v.phase = 'released';
      this.ops.dispatchIncomingCloseCall(S.NOT_SUPPORTED, v.vcH!, undefined);
      return;
    }
    if (status === S.SUCCESS) {
      v.phase = 'accepted';
      if (v.call !== undefined) {
        const r = this.uni.accept(v.call);
        if (!r.ok) {
          this.forgetCall(v);
          v.phase = 'released';
          this.ops.dispatchIncomingCloseCall(uniStatus(r.error), v.vcH!, undefined);
        }
      }
      return;
    }
    // R34: rejected: signal it (with the client's cause when it gave a valid one), deactivate, delete
    const rejectCause = cause !== undefined && Number.isInteger(cause) && cause >= 1 && cause <= 127 ? cause : causeFromStatus(status);
    if (v.call !== undefined) this.uni.reject(v.call, rejectCause);
    this.forgetCall(v);
    v.phase = 'idle';
    this.retireIncomingVc(v);
  }

  // ------------------------------------------------------------------ multipoint

  ProtocolCmAddParty(ctx: Context, params: CoCallParameters, partyH: NdisPartyHandle): { status: NdisStatus; callMgrPartyContext?: Context } {
    const v = ctx as CmVc;
    if (!v.multipoint || v.phase !== 'connected' || v.call === undefined) return { status: S.NOT_SUPPORTED };
    const called = params.callMgrParameters?.callMgrSpecific?.calledParty;
    if (!called) return { status: S.INVALID_ADDRESS };
    const r = this.uni.addParty(v.call, { called });
    if (!r.ok) return { status: uniStatus(r.error) };
    // NDIS hands sealed parameters (its copy of the client's): kept, not copied again
    const party: CmParty = { partyH, vc: v, uniParty: r.value, peer: undefined, state: 'adding', params: sealedCallParameters(params) };
    this.contexts.addParty(v, party);
    return { status: S.PENDING, callMgrPartyContext: party };
  }

  private partyOf(v: CmVc, uniParty: PartyId): CmParty | undefined {
    return v.parties.get(uniParty);
  }

  ProtocolCmDropParty(ctx: Context, closeData: Buffer | undefined, _size: number): NdisStatus {
    const p = ctx as CmParty;
    const v = p.vc;
    if (p.state === 'gone') {
      // the network already dropped it (incoming drop / close): no signalling, just free the state
      this.contexts.removeParty(v, p);
      if (this.completion === 'sync') return S.SUCCESS;
      this.later(() => this.ops.dropPartyComplete(S.SUCCESS, p.partyH));
      return S.PENDING;
    }
    if (p.state !== 'connected' || v.call === undefined) return S.FAILURE;
    // R45: close data the link cannot carry: refuse before anything goes out
    const cd = this.closeDataCheck(p.peer, closeData);
    if (cd !== S.SUCCESS) return cd;
    const r = this.uni.dropParty(v.call, p.uniParty, closeData ? { closeData } : {});
    if (!r.ok) return uniStatus(r.error);
    if (this.completion === 'sync') {
      // R47: dropped, close data sent (DROP PARTY is out), per-party state freed
      this.contexts.removeParty(v, p);
      this.refreshPaths(v);
      return S.SUCCESS;
    }
    p.state = 'dropping';
    return S.PENDING;
  }

  private onPartyAdded(v: CmVc, i: Extract<UniIndication, { kind: 'party-added' }>): void {
    const p = this.partyOf(v, i.party);
    if (!p || p.state !== 'adding') return;
    p.peer = i.vc.peer;
    const paths = this.uni.paths(v.call!);
    const same = samePaths(paths, v.activePaths); // a party on a link the call already uses: the VC stays as it is
    const params = same ? v.params! : this.paramsWithPaths(v.params!, paths);
    this.when(same ? S.SUCCESS : this.activate(v, params), (st) => {
      if (v.parties.get(p.uniParty) !== p || p.state !== 'adding') return;
      if (st !== S.SUCCESS) {
        if (v.call !== undefined) this.uni.dropParty(v.call, p.uniParty, { cause: causeFromStatus(st) });
        this.contexts.removeParty(v, p);
        this.ops.addPartyComplete(st, p.partyH, undefined, p.params!);
        return;
      }
      v.params = params;
      p.state = v.phase === 'released' ? 'gone' : 'connected';
      // R39: one VC carries one set of traffic parameters: a party asking for others gets the VC's, flagged as changed
      let granted = p.params!;
      const vcCm = v.params.callMgrParameters;
      if (vcCm && granted.callMgrParameters && !sameFlows(granted.callMgrParameters, vcCm)) {
        const g = cloneCallParameters(granted);
        g.callMgrParameters!.transmit = { ...vcCm.transmit };
        g.callMgrParameters!.receive = { ...vcCm.receive };
        g.flags |= CallFlags.CALL_PARAMETERS_CHANGED;
        granted = g;
      }
      // the party's parameters are needed only while it is being added; NDIS copies them for the client
      p.params = undefined;
      this.ops.addPartyComplete(S.SUCCESS, p.partyH, p, granted);
    });
  }

  private onPartyRejected(v: CmVc, i: Extract<UniIndication, { kind: 'party-rejected' }>): void {
    const p = this.partyOf(v, i.party);
    if (!p || p.state !== 'adding') return;
    this.contexts.removeParty(v, p);
    this.ops.addPartyComplete(failureFromCause(i.cause), p.partyH, undefined, p.params!);
  }

  private onPartyDropped(v: CmVc, i: Extract<UniIndication, { kind: 'party-dropped' }>): void {
    const p = this.partyOf(v, i.party);
    if (!p) return;
    if (p.state === 'dropping') return this.onDropConfirm(v, i.party);
    if (p.state === 'adding') {
      this.contexts.removeParty(v, p);
      this.ops.addPartyComplete(failureFromCause(i.cause), p.partyH, undefined, p.params!);
      return;
    }
    if (p.state !== 'connected') return;
    p.state = 'gone';
    // R56/R57: SUCCESS when the remote asked, a failure status for a network fault
    const st = i.remote && (i.cause === 16 || i.cause === 31) ? S.SUCCESS : i.remote ? statusFromCause(i.cause) : failureFromCause(i.cause);
    if (!v.parties.other(p, (x) => x.state === 'connected' || x.state === 'adding')) {
      // the last party the client still counts left while our own drop of another one is under way:
      // that is an incoming close (R56), told once no drop is outstanding any more
      v.pendingClose = { status: st, ...(i.closeData ? { closeData: i.closeData } : {}) };
      this.flushPendingClose(v);
      return;
    }
    this.refreshPaths(v);
    this.ops.dispatchIncomingDropParty(st, p.partyH, i.closeData);
  }

  /** the call is gone: adds still under way fail (before the incoming close, so the client can finish its teardown, R54) */
  private failPendingAdds(v: CmVc, status: NdisStatus): void {
    for (const p of [...v.parties.values()]) {
      if (p.state !== 'adding') continue;
      this.contexts.removeParty(v, p);
      this.ops.addPartyComplete(status, p.partyH, undefined, p.params!);
    }
  }

  private flushPendingClose(v: CmVc): void {
    const pc = v.pendingClose;
    if (!pc || v.parties.other(undefined, (x) => x.state === 'dropping')) return;
    v.pendingClose = undefined;
    if (v.call !== undefined) this.uni.release(v.call, { cause: 31 }); // whatever is left of it on the wire
    this.forgetCall(v);
    v.phase = 'released';
    this.failPendingAdds(v, S.FAILURE);
    this.ops.dispatchIncomingCloseCall(pc.status, v.vcH!, pc.closeData);
  }

  private onDropConfirm(v: CmVc, uniParty: PartyId): void {
    const p = this.partyOf(v, uniParty);
    if (!p || p.state !== 'dropping') return;
    this.contexts.removeParty(v, p); // R48: nothing of the party remains
    this.refreshPaths(v);
    this.ops.dropPartyComplete(S.SUCCESS, p.partyH);
    this.flushPendingClose(v);
  }

  // ------------------------------------------------------------------ closing

  ProtocolCmCloseCall(ctx: Context, partyCtx: Context | undefined, closeData: Buffer | undefined, _size: number): NdisStatus {
    const v = ctx as CmVc;
    const party = partyCtx as CmParty | undefined;
    if (v.multipoint && v.parties.size > 1) return S.FAILURE; // R64
    if (v.phase === 'released') {
      // the network side is gone already (incoming close): deactivate, free, done
      return this.finishClose(v, party);
    }
    if (v.phase !== 'connected' || v.call === undefined) return S.FAILURE;
    const peer = party?.peer ?? v.peer;
    const cd = this.closeDataCheck(peer, closeData);
    if (cd !== S.SUCCESS) return cd; // R60: nothing sent, nothing changed
    this.qos.beforeClose(v); // a remote QoS change refused by closing: MODIFY REJECT before the RELEASE (R66)
    const r = this.uni.release(v.call, closeData ? { closeData } : {});
    if (!r.ok) return uniStatus(r.error);
    if (this.completion === 'sync') {
      this.forgetCall(v);
      return this.finishClose(v, party);
    }
    v.phase = 'closing';
    v.closePending = true;
    return S.PENDING;
  }

  /** deactivate (R62), free the last party (R59), then report; SUCCESS when all of it finished now */
  private finishClose(v: CmVc, party: CmParty | undefined, alreadyPending = false): NdisStatus {
    this.forgetCall(v);
    if (party) this.contexts.removeParty(v, party);
    this.contexts.dropParties(v);
    const d = this.deactivate(v);
    const idle = (): void => {
      v.phase = 'idle';
      v.multipoint = false;
      v.forgetFirstParty();
    };
    // R77: a VC we created is deleted after the close, and only after the client has its completion
    // (the retirement is queued behind it, so ProtocolCoDeleteVc never precedes ProtocolClCloseCallComplete)
    const retire = (): void => {
      if (v.dir === 'in') this.retireIncomingVc(v);
    };
    if (!isPending(d) && !alreadyPending && this.completion === 'sync') {
      idle();
      retire();
      return S.SUCCESS;
    }
    const complete = (): void => {
      idle();
      this.ops.closeCallComplete(S.SUCCESS, v.vcH!, party?.partyH);
      retire();
    };
    if (isPending(d)) void d.then(complete);
    else this.later(complete);
    return S.PENDING;
  }

  private onReleased(v: CmVc, i: Extract<UniIndication, { kind: 'released' }>): void {
    const normal = i.remote && (i.cause === 16 || i.cause === 31);
    this.qos.released(v, v.call);
    switch (v.phase) {
      case 'making':
        this.makeCallFailed(v, failureFromCause(i.cause), i.cause);
        return;
      case 'activating-out':
        // report once the activation under way has finished (and been undone)
        this.forgetCall(v);
        v.failAfterActivation = failureFromCause(i.cause);
        return;
      case 'closing':
        // clear collision: our release is finished too
        return this.onReleaseConfirm(v);
      case 'activating-in':
        // gone before the client heard of it: nothing to tell, just retire the VC
        this.forgetCall(v);
        v.phase = 'idle';
        this.retireIncomingVc(v);
        return;
      case 'offered':
      case 'accepted':
      case 'connected': {
        this.forgetCall(v);
        v.phase = 'released';
        this.failPendingAdds(v, failureFromCause(i.cause));
        for (const p of v.parties.values()) p.state = 'gone';
        // R69/R70: SUCCESS when the remote closed normally, else a status for what went wrong
        const st = normal ? S.SUCCESS : i.remote ? statusFromCause(i.cause) : failureFromCause(i.cause);
        this.ops.dispatchIncomingCloseCall(st, v.vcH!, i.closeData);
        return;
      }
      default:
        return;
    }
  }

  private onReleaseConfirm(v: CmVc): void {
    if (v.phase !== 'closing' || !v.closePending) return;
    v.closePending = false;
    const party = [...v.parties.values()][0];
    this.finishClose(v, party, true);
  }

  // ------------------------------------------------------------------ QoS (modify.ts)

  ProtocolCmModifyCallQoS(ctx: Context, params: CoCallParameters): NdisStatus {
    return this.qos.modifyCallQoS(ctx as CmVc, params);
  }

  /** a QoS change the medium reports without a wire message (tests; R81): reactivate first, tell the client only if the miniport accepted */
  remoteQoSChange(vcH: NdisVcHandle, params: CoCallParameters): MaybePending {
    const v = this.ndis.callMgrVcContext(vcH);
    return this.qos.remoteChange(v instanceof CmVc ? v : undefined, params);
  }

  // ------------------------------------------------------------------ UNI indications

  /** one indication of call control (UniHost), taken as the last step of the path up (callManager, operators.ts) */
  indication(i: UniIndication): void {
    if (i.kind === 'setup') return this.onSetup(i);
    if (!('call' in i)) return;
    // (the VC the call manager gave the call; an indication of a call it forgot, or of a call before, is not its VC's)
    const v = i[CALL_CONTEXT];
    if (!(v instanceof CmVc) || v.call !== i.call) return;
    switch (i.kind) {
      case 'modify-request':
      case 'modify-confirm':
      case 'modify-available':
        return this.qos.onUni(v, i);
      case 'connected':
        if (v.phase === 'making') this.onConnected(v, i);
        return;
      case 'active':
        if (v.phase === 'accepted') {
          v.phase = 'connected';
          this.ops.dispatchCallConnected(v.vcH!); // R33
        }
        return;
      case 'party-added':
        return this.onPartyAdded(v, i);
      case 'party-rejected':
        return this.onPartyRejected(v, i);
      case 'party-dropped':
        return this.onPartyDropped(v, i);
      case 'drop-party-confirm':
        return this.onDropConfirm(v, i.party);
      case 'released':
        return this.onReleased(v, i);
      case 'release-confirm':
        return this.onReleaseConfirm(v);
      default:
        return;
    }
  }
}
