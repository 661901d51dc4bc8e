/**
 * NDIS's client half: the Ndis* requests a CoNDIS client makes, each checked
 * against the shared records (a request in the wrong state returns its status
 * and changes nothing) and handed to the call manager's ProtocolCm* handler,
 * and `NdisClient`, the facade a client holds.
 */
import type { Observable } from 'rxjs';
import type { ClIndication, ClientHandlers, Context } from './indications.js';
import { NdisStatus } from './status.js';
import {
  cloneCallParameters,
  sealedCallParameters,
  type CoAddressFamily,
  type CoCallParameters,
  type CoSap,
  type NdisAfHandle,
  type NdisPartyHandle,
  type NdisSapHandle,
  type NdisVcHandle,
  type NetBufferList,
} from './types.js';
import { addPartyRefusal, closeCallRefusal, dropPartyRefusal, makeCallRefusal, sendRefusal, type VcState } from './machines.js';
import { NdisProtocolError, type AfRec, type ClientRec, type NdisCore, type PartyRec, type SapRec, type VcInfo, type VcRec } from './records.js';

const S = NdisStatus;

/** The client-side requests, on the shared records. */
export class ClientSide {
  constructor(readonly core: NdisCore) {}



  clIndications(c: ClientRec): Observable<ClIndication> {
    return c.ind$.asObservable();
  }

  private clAf(c: ClientRec, h: NdisAfHandle): AfRec | undefined {
    const a = this.core.afs.get(h);
    return a && a.client === c && a.state !== 'CLOSING' ? a : undefined;
  }

  private clVc(c: ClientRec, h: NdisVcHandle): VcRec | undefined {
    const v = this.core.vcs.get(h);
    return v && v.af?.client === c && v.state !== 'DELETED' ? v : undefined;
  }

  private clParty(c: ClientRec, h: NdisPartyHandle): PartyRec | undefined {
    const p = this.core.parties.get(h);
    return p && p.vc.af?.client === c ? p : undefined;
  }

  clOpenAf(c: ClientRec, af: CoAddressFamily, clCtx: Context): { status: NdisStatus; afHandle?: NdisAfHandle } {
    if (!this.core.cm || !this.core.registeredAfs.some((r) => r.addressFamily === af.addressFamily)) return { status: S.FAILURE };
    const rec: AfRec = { h: this.core.handle(), client: c, af: { ...af }, clCtx, cmCtx: undefined, state: 'OPENING', saps: new Set(), vcCount: 0, notifyPending: false };
    this.core.afs.set(rec.h, rec);
    c.afs.add(rec);
    const r = this.core.cmh.ProtocolCmOpenAf({ ...af }, rec.h);
    if (r.status === S.PENDING) {
      this.core.touch();
      return { status: S.PENDING, afHandle: rec.h };
    }
    if (r.status === S.SUCCESS) {
      rec.cmCtx = r.callMgrAfContext;
      rec.state = 'OPEN';
      this.core.touch();
      return { status: S.SUCCESS, afHandle: rec.h };
    }
    this.core.afs.delete(rec.h);
    c.afs.delete(rec);
    return { status: r.status };
  }

  clCloseAf(c: ClientRec, h: NdisAfHandle): NdisStatus {
    const a = this.clAf(c, h);
    if (!a || a.state !== 'OPEN') return S.FAILURE;
    if (a.saps.size > 0 || a.vcCount > 0) return S.FAILURE;
    a.state = 'CLOSING';
    const st = this.core.cmh.ProtocolCmCloseAf(a.cmCtx);
    if (st === S.PENDING) return S.PENDING;
    if (st === S.SUCCESS) {
      this.core.afs.delete(h);
      c.afs.delete(a);
      this.core.touch();
      return S.SUCCESS;
    }
    a.state = 'OPEN';
    return st;
  }

  clNotifyCloseAfComplete(c: ClientRec, h: NdisAfHandle, status: NdisStatus): void {
    this.core.assertFinal(status, 'NdisClNotifyCloseAddressFamilyComplete');
    const a = this.core.afs.get(h);
    if (!a || a.client !== c || !a.notifyPending) throw new NdisProtocolError('notify-close completion without a pending notify');
    a.notifyPending = false;
    const cmCtx = a.cmCtx;
    this.core.later(() => this.core.cmh.ProtocolCmNotifyCloseAfComplete(status, cmCtx));
  }

  clRegisterSap(c: ClientRec, h: NdisAfHandle, clCtx: Context, sap: CoSap): { status: NdisStatus; sapHandle?: NdisSapHandle } {
    const a = this.clAf(c, h);
    if (!a || a.state !== 'OPEN') return { status: S.FAILURE };
    const rec: SapRec = { h: this.core.handle(), af: a, clCtx, cmCtx: undefined, sap, state: 'REGISTERING' };
    this.core.saps.set(rec.h, rec);
    a.saps.add(rec);
    const r = this.core.cmh.ProtocolCmRegisterSap(a.cmCtx, sap, rec.h);
    if (r.status === S.PENDING) {
      this.core.touch();
      return { status: S.PENDING, sapHandle: rec.h };
    }
    if (r.status === S.SUCCESS) {
      rec.cmCtx = r.callMgrSapContext;
      rec.state = 'REGISTERED';
      this.core.touch();
      return { status: S.SUCCESS, sapHandle: rec.h };
    }
    this.core.saps.delete(rec.h);
    a.saps.delete(rec);
    return { status: r.status };
  }

  clDeregisterSap(c: ClientRec, h: NdisSapHandle): NdisStatus {
    const s = this.core.saps.get(h);
    if (!s || s.af.client !== c || s.state !== 'REGISTERED') return S.FAILURE;
    s.state = 'DEREGISTERING';
    const st = this.core.cmh.ProtocolCmDeregisterSap(s.cmCtx);
    if (st !== S.PENDING) this.core.finishDeregister(s, st);
    return S.PENDING;
  }

  clCreateVc(c: ClientRec, h: NdisAfHandle, clCtx: Context): { status: NdisStatus; vcHandle?: NdisVcHandle } {
    const a = this.clAf(c, h);
    if (!a || a.state !== 'OPEN') return { status: S.FAILURE };
    const v = this.core.newVc(a, 'cl');
    v.clCtx = clCtx;
    const r = this.core.cmh.ProtocolCoCreateVc(a.cmCtx, v.h);
    if (r.status !== S.SUCCESS) {
      if (r.status === S.PENDING) {
        // R3: a PENDING create is a failed create; the context is deleted again
        this.core.cmh.ProtocolCoDeleteVc(r.callMgrVcContext);
        return { status: S.FAILURE };
      }
      return { status: r.status };
    }
    v.cmCtx = r.callMgrVcContext;
    if (this.core.cm!.shape === 'cm') {
      const mp = this.core.dataPath.createVc?.(v.h) ?? S.SUCCESS;
      if (mp !== S.SUCCESS) {
        this.core.cmh.ProtocolCoDeleteVc(v.cmCtx); // R7
        return { status: mp === S.PENDING ? S.FAILURE : mp };
      }
    }
    this.core.addVc(v);
    a.vcCount++;
    this.core.touch();
    return { status: S.SUCCESS, vcHandle: v.h };
  }

  clDeleteVc(c: ClientRec, h: NdisVcHandle): NdisStatus {
    const v = this.clVc(c, h);
    if (!v || v.creator !== 'cl') return S.FAILURE; // R10
    const bad = this.core.deleteChecks(v);
    if (bad !== undefined) return bad;
    const st = this.core.cmh.ProtocolCoDeleteVc(v.cmCtx);
    if (st !== S.SUCCESS) return st === S.PENDING ? S.FAILURE : st; // R13
    if (this.core.cm!.shape === 'cm') this.core.dataPath.deleteVc?.(v.h);
    this.core.removeVc(v);
    return S.SUCCESS;
  }


  clMakeCall(c: ClientRec, h: NdisVcHandle, params: CoCallParameters, partyCtx: Context | undefined): { status: NdisStatus; partyHandle?: NdisPartyHandle } {
    const v = this.clVc(c, h);
    if (!v) return { status: S.FAILURE };
    const refused = makeCallRefusal(v.creator === 'cl', v.state, v.call); // R23, R14
    if (refused !== undefined) return { status: refused };
    const multipoint = partyCtx !== undefined;
    let p: PartyRec | undefined;
    if (multipoint) {
      p = this.core.newParty(v, partyCtx);
      this.core.addParty(p);
    }
    v.multipoint = multipoint;
    this.core.moveCall(v, 'MAKING');
    v.closeStatus = undefined;
    // the call manager gets NDIS's sealed copy: the client's own buffer stays the client's (and it may reuse it at once)
    const r = this.core.cmh.ProtocolCmMakeCall(v.cmCtx, sealedCallParameters(params), p?.h);
    if (r.status === S.PENDING) {
      if (p) p.cmCtx = r.callMgrPartyContext;
      this.core.touch();
      return { status: S.PENDING, ...(p ? { partyHandle: p.h } : {}) };
    }
    if (r.status === S.SUCCESS) {
      if ((v.state as VcState) !== 'ACTIVE') throw new NdisProtocolError('ProtocolCmMakeCall SUCCESS on a VC that is not active (R15)');
      this.core.moveCall(v, 'CONNECTED');
      if (p) {
        p.cmCtx = r.callMgrPartyContext;
        this.core.moveParty(p, 'CONNECTED');
      }
      this.core.touch();
      return { status: S.SUCCESS, ...(p ? { partyHandle: p.h } : {}) };
    }
    if (p) this.core.removeParty(p);
    this.core.moveCall(v, 'IDLE');
    v.multipoint = false;
    this.core.touch();
    return { status: r.status };
  }

  clIncomingCallComplete(c: ClientRec, status: NdisStatus, h: NdisVcHandle, params: CoCallParameters): void {
    this.core.assertFinal(status, 'NdisClIncomingCallComplete');
    const v = this.clVc(c, h);
    if (!v) throw new NdisProtocolError('NdisClIncomingCallComplete on an unknown VC');
    if (!v.incomingPending) {
      if (v.call === 'CLOSE_INDICATED') return; // the caller gave up meanwhile; the incoming close already says so
      throw new NdisProtocolError('NdisClIncomingCallComplete without a pending incoming call');
    }
    v.incomingPending = false;
    if (v.call === 'OFFERED') {
      if (status === S.SUCCESS) this.core.moveCall(v, 'ACCEPTED');
      else {
        this.core.moveCall(v, 'REJECTED');
        this.core.moveVc(v, 'CLOSING');
      }
    }
    const cmCtx = v.cmCtx;
    const copy = cloneCallParameters(params);
    this.core.later(() => this.core.cmh.ProtocolCmIncomingCallComplete(status, cmCtx, copy));
    this.core.touch();
  }

  clAddParty(c: ClientRec, h: NdisVcHandle, partyCtx: Context, params: CoCallParameters): { status: NdisStatus; partyHandle?: NdisPartyHandle } {
    const v = this.clVc(c, h);
    if (!v) return { status: S.FAILURE };
    const refused = addPartyRefusal(v.creator === 'cl', v.multipoint, v.call); // R36
    if (refused !== undefined) return { status: refused };
    const p = this.core.newParty(v, partyCtx);
    this.core.addParty(p);
    const r = this.core.cmh.ProtocolCmAddParty(v.cmCtx, sealedCallParameters(params), p.h);
    if (r.status === S.PENDING) {
      p.cmCtx = r.callMgrPartyContext;
      this.core.touch();
      return { status: S.PENDING, partyHandle: p.h };
    }
    if (r.status === S.SUCCESS) {
      p.cmCtx = r.callMgrPartyContext;
      this.core.moveParty(p, 'CONNECTED');
      this.core.touch();
      return { status: S.SUCCESS, partyHandle: p.h };
    }
    this.core.removeParty(p);
    this.core.touch();
    return { status: r.status };
  }

  clDropParty(c: ClientRec, ph: NdisPartyHandle, closeData: Buffer | undefined): NdisStatus {
    const p = this.clParty(c, ph);
    if (!p) return S.FAILURE;
    const v = p.vc;
    // R51: the last party is closed with NdisClCloseCall; R54: not while it is being added
    // (one other live party decides it: no copy of every party's state, which made dropping n parties O(n^2))
    const otherLive = this.core.otherLiveParty(v, p);
    const refused = dropPartyRefusal(p.state, otherLive ? [otherLive.state] : []);
    if (refused !== undefined) return refused;
    p.before = p.state;
    this.core.moveParty(p, 'DROPPING');
    const st = this.core.cmh.ProtocolCmDropParty(p.cmCtx, closeData, closeData?.length ?? 0);
    if (st === S.PENDING) return S.PENDING;
    if (st === S.SUCCESS) this.core.removeParty(p);
    else this.core.moveParty(p, p.before ?? 'CONNECTED'); // A15
    this.core.touch();
    return st;
  }


  clCloseCall(c: ClientRec, h: NdisVcHandle, ph: NdisPartyHandle | undefined, closeData: Buffer | undefined): NdisStatus {
    const v = this.clVc(c, h);
    if (!v) return S.FAILURE;
    const p = ph !== undefined ? this.core.partyOf(v, ph) : undefined;
    const named = ph === undefined ? 'none' : p ? p.state : 'unknown';
    const refused = closeCallRefusal(v.call, v.multipoint, named, [...v.parties.values()].map((q) => q.state)); // R55
    if (refused !== undefined) return refused;
    const saved = { call: v.call, state: v.state, party: p?.state };
    v.closeAfterIndication = v.call === 'CLOSE_INDICATED';
    this.core.moveCall(v, 'CLOSE_REQUESTED');
    if (v.state === 'ACTIVE') this.core.moveVc(v, 'CLOSING');
    if (p) {
      p.before = p.state;
      this.core.moveParty(p, 'CLOSING');
    }
    v.closeParty = p;
    const st = this.core.cmh.ProtocolCmCloseCall(v.cmCtx, p?.cmCtx, closeData, closeData?.length ?? 0);
    if (st === S.PENDING) {
      this.core.touch();
      return S.PENDING;
    }
    if (st === S.SUCCESS) {
      // R62: the call manager finished before it deactivated the VC: the client's completion follows the deactivation
      if (!this.core.closeDone(v)) {
        this.core.touch();
        return S.PENDING;
      }
    } else {
      // R64 / R45: refused, nothing changes
      this.core.moveCall(v, saved.call);
      if (v.state === 'CLOSING') this.core.moveVc(v, saved.state);
      if (p && saved.party) this.core.moveParty(p, saved.party);
      v.closeParty = undefined;
    }
    this.core.touch();
    return st;
  }


  clModifyCallQoS(c: ClientRec, h: NdisVcHandle, params: CoCallParameters): NdisStatus {
    const v = this.clVc(c, h);
    if (!v) return S.FAILURE;
    if ((v.call !== 'CONNECTED' && v.call !== 'OFFERED') || v.qosPending) return S.INVALID_STATE;
    const st = this.core.cmh.ProtocolCmModifyCallQoS(v.cmCtx, params);
    if (st === S.PENDING) v.qosPending = true;
    return st;
  }


  /** a send's completion to its client */
  private sendComplete(c: ClientRec, nbl: NetBufferList, status: NdisStatus, v: VcRec): void {
    nbl.status = status;
    this.core.indicateNbl(c, 'ProtocolCoSendNetBufferListsComplete', v, nbl);
  }

  clSend(c: ClientRec, h: NdisVcHandle, nbls: NetBufferList[]): void {
    const v = this.clVc(c, h);
    for (const nbl of nbls) {
      if (!v) {
        // an unknown or deleted VC: the send still completes (R89), with no VC context left to name
        nbl.status = S.FAILURE;
        this.core.indicate(c, { kind: 'ProtocolCoSendNetBufferListsComplete', vcContext: undefined, vcHandle: h, nbls: [nbl] });
        continue;
      }
      if (nbl.sourceHandle !== h) {
        this.sendComplete(c, nbl, S.INVALID_PARAMETER, v); // R88
        continue;
      }
      const refused = sendRefusal(v.state, v.call); // R28, R33, R65, R78
      if (refused !== undefined) {
        this.sendComplete(c, nbl, refused, v);
        continue;
      }
      this.core.countSend(v, 1);
      const done = (st: NdisStatus): void => {
        this.core.countSend(v, -1);
        this.sendComplete(c, nbl, st, v);
        this.core.touch();
      };
      const dp = this.core.dataPath;
      if (dp.sendWith) dp.sendWith(v.h, nbl.data, done);
      else void dp.send(v.h, nbl.data).then(done);
    }
    this.core.touch();
  }

  clReturn(_c: ClientRec, nbls: NetBufferList[]): void {
    for (const n of nbls) {
      const v = this.core.receiveOwner.get(n);
      if (v && v.receives > 0) {
        this.core.countReceive(v, -1);
        this.core.receiveOwner.delete(n);
        if (v.receives === 0) {
          const waiters = this.core.drainWaiters.get(v.h) ?? [];
          this.core.drainWaiters.delete(v.h);
          for (const w of waiters) w();
        }
      }
    }
    this.core.touch();
  }


  clHasVc(c: ClientRec, h: NdisVcHandle): boolean {
    return this.clVc(c, h) !== undefined;
  }

  clVcInfo(c: ClientRec, h: NdisVcHandle, withParams = true): VcInfo | undefined {
    const v = this.clVc(c, h);
    return v ? this.core.info(v, withParams) : undefined;
  }

  clVcs(c: ClientRec, af?: NdisAfHandle): VcInfo[] {
    const out: VcInfo[] = [];
    for (const a of c.afs) if ((af === undefined || a.h === af) && a.vcCount > 0) for (const v of this.core.vcs.values()) if (v.af === a) out.push(this.core.info(v));
    return out;
  }

  clSaps(c: ClientRec, af: NdisAfHandle): NdisSapHandle[] {
    const a = this.core.afs.get(af);
    return a && a.client === c ? [...a.saps].filter((s) => s.state !== 'DEREGISTERING').map((s) => s.h) : [];
  }
}


/**
 * One client's binding to the adapter: the Ndis* functions a CoNDIS client
 * calls, under their NDIS names, and its indications as an Observable.
 * Requests return their NDIS_STATUS at once; PENDING means exactly one
 * completion indication follows later; any other status means none does.
 */
export class NdisClient {
  /** every Protocol* call NDIS makes into this client, in order, each on a later turn than the request that caused it */
  readonly indications$: Observable<ClIndication>;

  constructor(
    private readonly side: ClientSide,
    private readonly rec: ClientRec,
  ) {
    this.indications$ = side.clIndications(rec);
  }

  get name(): string {
    return this.rec.name;
  }

  /** replace or add synchronous handlers (e.g. a policy installing its own) */
  setHandlers(h: ClientHandlers): void {
    Object.assign(this.rec.handlers, h);
  }

  NdisClOpenAddressFamilyEx(addressFamily: CoAddressFamily, clientAfContext: Context): { status: NdisStatus; afHandle?: NdisAfHandle } {
    return this.side.clOpenAf(this.rec, addressFamily, clientAfContext);
  }
  NdisClCloseAddressFamily(afHandle: NdisAfHandle): NdisStatus {
    return this.side.clCloseAf(this.rec, afHandle);
  }
  NdisClNotifyCloseAddressFamilyComplete(afHandle: NdisAfHandle, status: NdisStatus): void {
    this.side.clNotifyCloseAfComplete(this.rec, afHandle, status);
  }
  NdisClRegisterSap(afHandle: NdisAfHandle, sapContext: Context, sap: CoSap): { status: NdisStatus; sapHandle?: NdisSapHandle } {
    return this.side.clRegisterSap(this.rec, afHandle, sapContext, sap);
  }
  NdisClDeregisterSap(sapHandle: NdisSapHandle): NdisStatus {
    return this.side.clDeregisterSap(this.rec, sapHandle);
  }
  NdisCoCreateVc(afHandle: NdisAfHandle, vcContext: Context): { status: NdisStatus; vcHandle?: NdisVcHandle } {
    return this.side.clCreateVc(this.rec, afHandle, vcContext);
  }
  NdisCoDeleteVc(vcHandle: NdisVcHandle): NdisStatus {
    return this.side.clDeleteVc(this.rec, vcHandle);
  }
  /** partyContext given: a point-to-multipoint call whose first party is the called address */
  NdisClMakeCall(vcHandle: NdisVcHandle, params: CoCallParameters, partyContext?: Context): { status: NdisStatus; partyHandle?: NdisPartyHandle } {
    return this.side.clMakeCall(this.rec, vcHandle, params, partyContext);
  }
  NdisClIncomingCallComplete(status: NdisStatus, vcHandle: NdisVcHandle, params: CoCallParameters): void {
    this.side.clIncomingCallComplete(this.rec, status, vcHandle, params);
  }
  NdisClAddParty(vcHandle: NdisVcHandle, partyContext: Context, params: CoCallParameters): { status: NdisStatus; partyHandle?: NdisPartyHandle } {
    return this.side.clAddParty(this.rec, vcHandle, partyContext, params);
  }
  NdisClDropParty(partyHandle: NdisPartyHandle, closeData?: Buffer): NdisStatus {
    return this.side.clDropParty(this.rec, partyHandle, closeData);
  }
  NdisClCloseCall(vcHandle: NdisVcHandle, partyHandle?: NdisPartyHandle, closeData?: Buffer): NdisStatus {
    return this.side.clCloseCall(this.rec, vcHandle, partyHandle, closeData);
  }
  NdisClModifyCallQoS(vcHandle: NdisVcHandle, params: CoCallParameters): NdisStatus {
    return this.side.clModifyCallQoS(this.rec, vcHandle, params);
  }
  /** every NBL comes back through ProtocolCoSendNetBufferListsComplete, always later (NBLs that complete together in one call) */
  NdisCoSendNetBufferLists(vcHandle: NdisVcHandle, nbls: NetBufferList[], _sendFlags = 0): void {
    this.side.clSend(this.rec, vcHandle, nbls);
  }
  NdisReturnNetBufferLists(nbls: NetBufferList[], _returnFlags = 0): void {
    this.side.clReturn(this.rec, nbls);
  }

  /**
   * what NDIS knows about one of this client's VCs (state names of src/ndis/machines.ts), with a
   * copy of the call's parameters that is the client's own; `{ params: false }` leaves them out
   * (for a caller that asks only about states, and often: no copy made)
   */
  vcInfo(vcHandle: NdisVcHandle, opts?: { params?: boolean }): VcInfo | undefined {
    return this.side.clVcInfo(this.rec, vcHandle, opts?.params ?? true);
  }
  /** is this VC one of this client's, and not deleted? (no VcInfo made: a multipoint VC's lists its every party) */
  hasVc(vcHandle: NdisVcHandle): boolean {
    return this.side.clHasVc(this.rec, vcHandle);
  }
  /** this client's VCs (on one AF, or all) */
  vcs(afHandle?: NdisAfHandle): VcInfo[] {
    return this.side.clVcs(this.rec, afHandle);
  }
  /** this client's registered SAPs on an AF */
  saps(afHandle: NdisAfHandle): NdisSapHandle[] {
    return this.side.clSaps(this.rec, afHandle);
  }
}
