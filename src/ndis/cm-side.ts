/**
 * NDIS's call-manager half: the Ndis(M)Cm* functions a call manager calls
 * (completions, dispatches, VC creation, activation and deactivation, its
 * signalling sends), each checked against the shared records, and the two API
 * objects (`NdisCmApi` for a stand-alone CM, `NdisMcmApi` for an integrated
 * miniport call manager) that hand them out under their NDIS names.
 */
import type { NdisCmApi, NdisMcmApi } from './cm-interface.js';
import { isPending } from './datapath.js';
import type { Context } from './indications.js';
import { NdisStatus } from './status.js';
import {
  cloneCallParameters,
  sealedCallParameters,
  type CoAddressFamily,
  type CoCallParameters,
  type NdisAfHandle,
  type NdisPartyHandle,
  type NdisSapHandle,
  type NdisVcHandle,
} from './types.js';
import { NdisProtocolError, type AfRec, type NdisCore } from './records.js';

const S = NdisStatus;

/** The call-manager-side functions, on the shared records. */
export class CmSide {
  constructor(readonly core: NdisCore) {}


  private cmOpenAfComplete(status: NdisStatus, h: NdisAfHandle, cmCtx: Context): void {
    this.core.assertFinal(status, 'Ndis(M)CmOpenAddressFamilyComplete');
    const a = this.core.afs.get(h);
    if (!a || a.state !== 'OPENING') throw new NdisProtocolError('open-AF completion without a pending open');
    if (status === S.SUCCESS) {
      a.cmCtx = cmCtx;
      a.state = 'OPEN';
    } else {
      this.core.afs.delete(h);
      a.client.afs.delete(a);
    }
    this.core.indicate(a.client, { kind: 'ProtocolClOpenAfCompleteEx', clientAfContext: a.clCtx, afHandle: status === S.SUCCESS ? h : undefined, status });
    this.core.touch();
  }

  private cmCloseAfComplete(status: NdisStatus, h: NdisAfHandle): void {
    this.core.assertFinal(status, 'Ndis(M)CmCloseAddressFamilyComplete');
    const a = this.core.afs.get(h);
    if (!a || a.state !== 'CLOSING') throw new NdisProtocolError('close-AF completion without a pending close');
    if (status === S.SUCCESS) {
      this.core.afs.delete(h);
      a.client.afs.delete(a);
    } else a.state = 'OPEN';
    this.core.indicate(a.client, { kind: 'ProtocolClCloseAfComplete', status, clientAfContext: a.clCtx });
    this.core.touch();
  }

  private cmNotifyCloseAf(h: NdisAfHandle): NdisStatus {
    const a = this.core.afs.get(h);
    if (!a || a.state !== 'OPEN') return S.FAILURE;
    const fn = a.client.handlers.ProtocolClNotifyCloseAf;
    const st = fn ? fn(a.clCtx, h) : S.PENDING;
    if (st === S.PENDING) a.notifyPending = true;
    this.core.indicate(a.client, { kind: 'ProtocolClNotifyCloseAf', clientAfContext: a.clCtx, afHandle: h, result: st });
    return st;
  }

  private cmRegisterSapComplete(status: NdisStatus, h: NdisSapHandle, cmCtx: Context): void {
    this.core.assertFinal(status, 'Ndis(M)CmRegisterSapComplete');
    const s = this.core.saps.get(h);
    if (!s || s.state !== 'REGISTERING') throw new NdisProtocolError('register-SAP completion without a pending registration');
    if (status === S.SUCCESS) {
      s.cmCtx = cmCtx;
      s.state = 'REGISTERED';
    } else {
      this.core.saps.delete(h);
      s.af.saps.delete(s);
    }
    this.core.indicate(s.af.client, { kind: 'ProtocolClRegisterSapComplete', status, sapContext: s.clCtx, sap: s.sap, sapHandle: status === S.SUCCESS ? h : undefined });
    this.core.touch();
  }

  private cmDeregisterSapComplete(status: NdisStatus, h: NdisSapHandle): void {
    this.core.assertFinal(status, 'Ndis(M)CmDeregisterSapComplete');
    const s = this.core.saps.get(h);
    if (!s || s.state !== 'DEREGISTERING') throw new NdisProtocolError('deregister-SAP completion without a pending deregistration');
    this.core.finishDeregister(s, status);
  }

  /** CM: NdisCoCreateVc (afH given: incoming-call VC for that AF's client; none: signalling VC); MCM: NdisMCmCreateVc */
  private cmCreateVc(h: NdisAfHandle | undefined, cmCtx: Context, viaMiniport: boolean): { status: NdisStatus; vcHandle?: NdisVcHandle } {
    let a: AfRec | undefined;
    if (h !== undefined) {
      a = this.core.afs.get(h);
      if (!a || a.state !== 'OPEN') return { status: S.FAILURE };
    }
    const v = this.core.newVc(a, 'cm');
    v.cmCtx = cmCtx;
    if (a) {
      const fn = a.client.handlers.ProtocolCoCreateVc;
      const r = fn ? fn(a.clCtx, v.h) : { status: S.SUCCESS, vcContext: v.h };
      this.core.indicate(a.client, { kind: 'ProtocolCoCreateVc', clientAfContext: a.clCtx, vcHandle: v.h, vcContext: r.vcContext, result: r.status });
      if (r.status !== S.SUCCESS) {
        if (r.status === S.PENDING) {
          a.client.handlers.ProtocolCoDeleteVc?.(r.vcContext, v.h);
          return { status: S.FAILURE };
        }
        return { status: r.status };
      }
      v.clCtx = r.vcContext;
    }
    if (viaMiniport) {
      const mp = this.core.dataPath.createVc?.(v.h) ?? S.SUCCESS;
      if (mp !== S.SUCCESS) {
        if (a) {
          a.client.handlers.ProtocolCoDeleteVc?.(v.clCtx, v.h);
          this.core.indicate(a.client, { kind: 'ProtocolCoDeleteVc', vcContext: v.clCtx, vcHandle: v.h, result: S.SUCCESS });
        }
        return { status: mp === S.PENDING ? S.FAILURE : mp };
      }
    }
    this.core.addVc(v);
    if (a) a.vcCount++;
    this.core.touch();
    return { status: S.SUCCESS, vcHandle: v.h };
  }

  private cmDeleteVc(h: NdisVcHandle, viaMiniport: boolean): NdisStatus {
    const v = this.core.vcs.get(h);
    if (!v || v.creator !== 'cm') return S.FAILURE;
    const bad = this.core.deleteChecks(v);
    if (bad !== undefined) return viaMiniport ? bad : bad === S.CLOSING ? S.NOT_ACCEPTED : bad;
    if (v.af) {
      const client = v.af.client;
      const fn = client.handlers.ProtocolCoDeleteVc;
      const st = fn ? fn(v.clCtx, v.h) : S.SUCCESS;
      this.core.indicate(client, { kind: 'ProtocolCoDeleteVc', vcContext: v.clCtx, vcHandle: v.h, result: st });
      if (st !== S.SUCCESS) return st === S.PENDING ? S.FAILURE : st;
    }
    if (viaMiniport) this.core.dataPath.deleteVc?.(v.h);
    this.core.removeVc(v);
    return S.SUCCESS;
  }

  /** CM: NdisCmActivateVc -> MiniportCoActivateVc; SUCCESS/failure now or PENDING and ProtocolCmActivateVcComplete later */
  private cmActivateVc(h: NdisVcHandle, params: CoCallParameters): NdisStatus {
    const v = this.core.vcs.get(h);
    if (!v) return S.FAILURE;
    if (v.state === 'ACTIVATING' || v.state === 'DEACTIVATING' || v.state === 'DELETED') return S.INVALID_STATE;
    const reactivation = v.state === 'ACTIVE' || v.state === 'CLOSING';
    const before = v.state;
    if (!reactivation) this.core.moveVc(v, 'ACTIVATING');
    const paths = this.core.pathsOf(params);
    const r = this.core.dataPath.activate(v.h, paths, params);
    const done = (st: NdisStatus): void => {
      if (st === S.SUCCESS) {
        if (!reactivation) this.core.moveVc(v, 'ACTIVE');
        // sealed: an MCM's or CM's own sealed set is shared, anything else copied once
        v.params = sealedCallParameters(params);
      } else if (!reactivation) this.core.moveVc(v, before); // R17: a failed re-activation keeps the old parameters
      this.core.touch();
    };
    if (isPending(r)) {
      const cmCtx = v.cmCtx;
      void r.then((st) => {
        this.core.assertFinal(st, 'NdisMCoActivateVcComplete');
        done(st);
        this.core.cmh.ProtocolCmActivateVcComplete(st, cmCtx, params);
      });
      return S.PENDING;
    }
    done(r);
    return r;
  }

  /** MCM: the MCM programmed its own miniport half; NDIS records the VC as active with these parameters */
  private mcmActivateVc(h: NdisVcHandle, params: CoCallParameters): NdisStatus {
    const v = this.core.vcs.get(h);
    if (!v) return S.FAILURE;
    if (v.state === 'DEACTIVATING' || v.state === 'DELETED') return S.INVALID_STATE;
    if (v.state !== 'ACTIVE' && v.state !== 'CLOSING') this.core.moveVc(v, 'ACTIVE');
    // the MCM's sealed parameters are shared (types.ts), anything else is copied once
    v.params = sealedCallParameters(params);
    this.core.touch();
    return S.SUCCESS;
  }

  private cmDeactivateVc(h: NdisVcHandle): NdisStatus {
    const v = this.core.vcs.get(h);
    if (!v) return S.FAILURE;
    if (v.state !== 'ACTIVE' && v.state !== 'CLOSING') return S.NOT_ACCEPTED; // R21
    this.core.moveVc(v, 'DEACTIVATING');
    // R20: every indicated receive comes back before the miniport stops the VC
    const drained = this.core.receivesReturned(v.h);
    const r = drained ? drained.then(() => this.core.dataPath.deactivate(v.h)) : this.core.dataPath.deactivate(v.h);
    const done = (): void => {
      this.core.moveVc(v, 'DEACTIVATED');
      v.params = undefined;
      this.core.deactivated(v);
      this.core.touch();
    };
    if (isPending(r)) {
      const cmCtx = v.cmCtx;
      void r.then((st) => {
        this.core.assertFinal(st, 'NdisMCoDeactivateVcComplete');
        done();
        this.core.cmh.ProtocolCmDeactivateVcComplete(st, cmCtx);
      });
      return S.PENDING;
    }
    done();
    return S.SUCCESS;
  }

  private mcmDeactivateVc(h: NdisVcHandle): NdisStatus {
    const v = this.core.vcs.get(h);
    if (!v) return S.FAILURE;
    if (v.state !== 'ACTIVE' && v.state !== 'CLOSING') return S.NOT_ACCEPTED;
    this.core.moveVc(v, 'DEACTIVATED');
    v.params = undefined;
    this.core.deactivated(v);
    this.core.touch();
    return S.SUCCESS;
  }

  private cmMakeCallComplete(status: NdisStatus, h: NdisVcHandle, ph: NdisPartyHandle | undefined, cmPartyCtx: Context | undefined, params: CoCallParameters): void {
    this.core.assertFinal(status, 'Ndis(M)CmMakeCallComplete');
    const v = this.core.vcs.get(h);
    if (!v || v.call !== 'MAKING') throw new NdisProtocolError('make-call completion without a pending make-call');
    const p = ph !== undefined ? this.core.partyOf(v, ph) : undefined;
    if (status === S.SUCCESS) {
      if (v.state !== 'ACTIVE') throw new NdisProtocolError('make-call completed SUCCESS before the VC was activated (R15)');
      this.core.moveCall(v, 'CONNECTED');
      if (p) {
        this.core.moveParty(p, 'CONNECTED');
        p.cmCtx = cmPartyCtx;
      }
    } else {
      this.core.moveCall(v, 'IDLE');
      if (p) this.core.removeParty(p);
      for (const q of [...v.parties.values()]) this.core.removeParty(q);
      v.multipoint = false;
    }
    const client = v.af!.client;
    this.core.indicate(client, {
      kind: 'ProtocolClMakeCallComplete',
      status,
      vcContext: v.clCtx,
      vcHandle: v.h,
      partyHandle: status === S.SUCCESS && p ? p.h : undefined,
      params: cloneCallParameters(params),
    });
    this.core.touch();
  }


  private cmDispatchIncomingCall(sh: NdisSapHandle, h: NdisVcHandle, params: CoCallParameters): NdisStatus {
    const s = this.core.saps.get(sh);
    const v = this.core.vcs.get(h);
    if (!s || s.state === 'DEREGISTERING' || !v || v.creator !== 'cm' || v.af !== s.af) return S.FAILURE;
    if (v.state !== 'ACTIVE' || v.call !== 'IDLE') return S.INVALID_STATE; // R30: activate before dispatch
    this.core.moveCall(v, 'OFFERED');
    v.multipoint = false;
    v.closeStatus = undefined;
    const client = s.af.client;
    const fn = client.handlers.ProtocolClIncomingCall;
    const st = fn ? fn(s.clCtx, v.clCtx, params, v.h) : S.PENDING;
    if (st === S.SUCCESS) this.core.moveCall(v, 'ACCEPTED');
    else if (st === S.PENDING) v.incomingPending = true;
    else {
      this.core.moveCall(v, 'REJECTED');
      this.core.moveVc(v, 'CLOSING');
    }
    this.core.indicate(client, { kind: 'ProtocolClIncomingCall', sapContext: s.clCtx, vcContext: v.clCtx, vcHandle: v.h, params: cloneCallParameters(params), result: st });
    this.core.touch();
    return st;
  }

  private cmDispatchCallConnected(h: NdisVcHandle): void {
    const v = this.core.vcs.get(h);
    if (!v || v.call !== 'ACCEPTED') throw new NdisProtocolError('call-connected for a call that was not accepted');
    this.core.moveCall(v, 'CONNECTED');
    this.core.indicate(v.af!.client, { kind: 'ProtocolClCallConnected', vcContext: v.clCtx, vcHandle: v.h });
    this.core.touch();
  }

  private cmAddPartyComplete(status: NdisStatus, ph: NdisPartyHandle, cmCtx: Context | undefined, params: CoCallParameters): void {
    this.core.assertFinal(status, 'Ndis(M)CmAddPartyComplete');
    const p = this.core.parties.get(ph);
    if (!p || p.state !== 'ADDING') throw new NdisProtocolError('add-party completion without a pending add');
    const v = p.vc;
    if (status === S.SUCCESS) {
      if (cmCtx === undefined) throw new NdisProtocolError('a successful add-party completion needs a call-manager party context (R38)');
      this.core.moveParty(p, v.call === 'CLOSE_INDICATED' ? 'DROP_INDICATED' : 'CONNECTED');
      p.cmCtx = cmCtx;
    } else this.core.removeParty(p);
    this.core.indicate(v.af!.client, { kind: 'ProtocolClAddPartyComplete', status, partyContext: p.clCtx, partyHandle: p.h, vcHandle: v.h, params: cloneCallParameters(params) });
    this.core.touch();
  }

  private cmDropPartyComplete(status: NdisStatus, ph: NdisPartyHandle): void {
    this.core.assertFinal(status, 'Ndis(M)CmDropPartyComplete');
    const p = this.core.parties.get(ph);
    if (!p || p.state !== 'DROPPING') throw new NdisProtocolError('drop-party completion without a pending drop');
    if (status === S.SUCCESS) this.core.removeParty(p);
    else this.core.moveParty(p, p.before ?? 'CONNECTED');
    this.core.indicate(p.vc.af!.client, { kind: 'ProtocolClDropPartyComplete', status, partyContext: p.clCtx, partyHandle: p.h, vcHandle: p.vc.h });
    this.core.touch();
  }

  private cmDispatchIncomingDropParty(dropStatus: NdisStatus, ph: NdisPartyHandle, closeData: Buffer | undefined): void {
    const p = this.core.parties.get(ph);
    if (!p || p.state !== 'CONNECTED') throw new NdisProtocolError('incoming drop-party for a party that is not connected');
    if (!this.core.otherLiveParty(p.vc, p)) throw new NdisProtocolError('incoming drop-party for the last party: dispatch an incoming close instead (R56)');
    this.core.moveParty(p, 'DROP_INDICATED');
    this.core.indicate(p.vc.af!.client, {
      kind: 'ProtocolClIncomingDropParty',
      dropStatus,
      partyContext: p.clCtx,
      partyHandle: p.h,
      vcHandle: p.vc.h,
      closeData,
      size: closeData?.length ?? 0,
    });
    this.core.touch();
  }

  private cmCloseCallComplete(status: NdisStatus, h: NdisVcHandle, ph: NdisPartyHandle | undefined): void {
    this.core.assertFinal(status, 'Ndis(M)CmCloseCallComplete');
    const v = this.core.vcs.get(h);
    if (!v || v.call !== 'CLOSE_REQUESTED' || v.closeAwaitsDeactivation) throw new NdisProtocolError('close-call completion without a pending close');
    const p = v.closeParty;
    if (ph !== p?.h) throw new NdisProtocolError('close-call completion names another party than the close');
    if (status === S.SUCCESS) {
      // R62: completed before the deactivation: the client hears of it once the VC is deactivated
      if (!this.core.closeDone(v)) {
        this.core.touch();
        return;
      }
    } else {
      // A9: back to CONNECTED, the client may retry
      this.core.moveCall(v, v.closeAfterIndication ? 'CLOSE_INDICATED' : 'CONNECTED');
      if (v.state === 'CLOSING' && !v.closeAfterIndication) this.core.moveVc(v, 'ACTIVE');
      if (p) this.core.moveParty(p, p.before ?? 'CONNECTED');
      v.closeParty = undefined;
    }
    this.core.indicate(v.af!.client, {
      kind: 'ProtocolClCloseCallComplete',
      status,
      vcContext: v.clCtx,
      vcHandle: v.h,
      partyContext: p?.clCtx,
      partyHandle: p?.h,
    });
    this.core.touch();
  }

  private cmDispatchIncomingCloseCall(closeStatus: NdisStatus, h: NdisVcHandle, closeData: Buffer | undefined): void {
    const v = this.core.vcs.get(h);
    if (!v || !v.af) throw new NdisProtocolError('incoming close on an unknown VC');
    if (v.call !== 'CONNECTED' && v.call !== 'ACCEPTED' && v.call !== 'OFFERED') throw new NdisProtocolError(`incoming close on a call in ${v.call}`);
    this.core.moveCall(v, 'CLOSE_INDICATED');
    v.incomingPending = false;
    if (v.state === 'ACTIVE') this.core.moveVc(v, 'CLOSING'); // R78: no data from here on
    v.closeStatus = closeStatus;
    for (const p of v.parties.values()) if (p.state === 'CONNECTED') this.core.moveParty(p, 'DROP_INDICATED');
    this.core.indicate(v.af.client, { kind: 'ProtocolClIncomingCloseCall', closeStatus, vcContext: v.clCtx, vcHandle: v.h, closeData, size: closeData?.length ?? 0 });
    this.core.touch();
  }

  private cmModifyCallQoSComplete(status: NdisStatus, h: NdisVcHandle, params: CoCallParameters): void {
    this.core.assertFinal(status, 'Ndis(M)CmModifyCallQoSComplete');
    const v = this.core.vcs.get(h);
    if (!v || !v.qosPending) throw new NdisProtocolError('QoS completion without a pending QoS change');
    v.qosPending = false;
    this.core.indicate(v.af!.client, { kind: 'ProtocolClModifyCallQoSComplete', status, vcContext: v.clCtx, vcHandle: v.h, params: cloneCallParameters(params) });
  }

  private cmDispatchIncomingCallQoSChange(h: NdisVcHandle, params: CoCallParameters): void {
    const v = this.core.vcs.get(h);
    if (!v || !v.af || v.state !== 'ACTIVE') throw new NdisProtocolError('incoming QoS change on a VC that is not active');
    this.core.indicate(v.af.client, { kind: 'ProtocolClIncomingCallQoSChange', vcContext: v.clCtx, vcHandle: v.h, params: cloneCallParameters(params) });
  }

  private cmSend(h: NdisVcHandle, data: Buffer[]): Promise<NdisStatus[]> {
    const v = this.core.vcs.get(h);
    if (!v || !v.signalling) return Promise.resolve(data.map(() => S.FAILURE));
    this.core.cmSignallingSends += data.length;
    if (v.state !== 'ACTIVE') return Promise.resolve(data.map(() => S.VC_NOT_ACTIVATED));
    return Promise.all(data.map((d) => this.core.dataPath.send(v.h, d)));
  }


  private registerAf(af: CoAddressFamily): NdisStatus {
    if (this.core.registeredAfs.some((r) => r.addressFamily === af.addressFamily)) return S.FAILURE; // R84
    this.core.registeredAfs.push({ ...af });
    for (const c of this.core.clients) this.core.indicate(c, { kind: 'ProtocolCoAfRegisterNotify', addressFamily: { ...af } });
    return S.SUCCESS;
  }

  cmApi(): NdisCmApi {
    return {
      NdisCmRegisterAddressFamilyEx: (af) => this.registerAf(af),
      NdisCmOpenAddressFamilyComplete: (st, h, ctx) => this.cmOpenAfComplete(st, h, ctx),
      NdisCmCloseAddressFamilyComplete: (st, h) => this.cmCloseAfComplete(st, h),
      NdisCmNotifyCloseAddressFamily: (h) => this.cmNotifyCloseAf(h),
      NdisCmRegisterSapComplete: (st, h, ctx) => this.cmRegisterSapComplete(st, h, ctx),
      NdisCmDeregisterSapComplete: (st, h) => this.cmDeregisterSapComplete(st, h),
      NdisCoCreateVc: (h, ctx) => this.cmCreateVc(h, ctx, true),
      NdisCoDeleteVc: (h) => this.cmDeleteVc(h, true),
      NdisCmActivateVc: (h, p) => this.cmActivateVc(h, p),
      NdisCmDeactivateVc: (h) => this.cmDeactivateVc(h),
      NdisCmMakeCallComplete: (st, h, ph, ctx, p) => this.cmMakeCallComplete(st, h, ph, ctx, p),
      NdisCmDispatchIncomingCall: (sh, h, p) => this.cmDispatchIncomingCall(sh, h, p),
      NdisCmDispatchCallConnected: (h) => this.cmDispatchCallConnected(h),
      NdisCmAddPartyComplete: (st, ph, ctx, p) => this.cmAddPartyComplete(st, ph, ctx, p),
      NdisCmDropPartyComplete: (st, ph) => this.cmDropPartyComplete(st, ph),
      NdisCmDispatchIncomingDropParty: (st, ph, d) => this.cmDispatchIncomingDropParty(st, ph, d),
      NdisCmCloseCallComplete: (st, h, ph) => this.cmCloseCallComplete(st, h, ph),
      NdisCmDispatchIncomingCloseCall: (st, h, d) => this.cmDispatchIncomingCloseCall(st, h, d),
      NdisCmModifyCallQoSComplete: (st, h, p) => this.cmModifyCallQoSComplete(st, h, p),
      NdisCmDispatchIncomingCallQoSChange: (h, p) => this.cmDispatchIncomingCallQoSChange(h, p),
      NdisCoSendNetBufferLists: (h, d) => this.cmSend(h, d),
    };
  }

  mcmApi(): NdisMcmApi {
    return {
      NdisMCmRegisterAddressFamilyEx: (af) => this.registerAf(af),
      NdisMCmOpenAddressFamilyComplete: (st, h, ctx) => this.cmOpenAfComplete(st, h, ctx),
      NdisMCmCloseAddressFamilyComplete: (st, h) => this.cmCloseAfComplete(st, h),
      NdisMCmNotifyCloseAddressFamily: (h) => this.cmNotifyCloseAf(h),
      NdisMCmRegisterSapComplete: (st, h, ctx) => this.cmRegisterSapComplete(st, h, ctx),
      NdisMCmDeregisterSapComplete: (st, h) => this.cmDeregisterSapComplete(st, h),
      NdisMCmCreateVc: (h, ctx) => this.cmCreateVc(h, ctx, false),
      NdisMCmDeleteVc: (h) => this.cmDeleteVc(h, false),
      NdisMCmActivateVc: (h, p) => this.mcmActivateVc(h, p),
      NdisMCmDeactivateVc: (h) => this.mcmDeactivateVc(h),
      NdisMCmMakeCallComplete: (st, h, ph, ctx, p) => this.cmMakeCallComplete(st, h, ph, ctx, p),
      NdisMCmDispatchIncomingCall: (sh, h, p) => this.cmDispatchIncomingCall(sh, h, p),
      NdisMCmDispatchCallConnected: (h) => this.cmDispatchCallConnected(h),
      NdisMCmAddPartyComplete: (st, ph, ctx, p) => this.cmAddPartyComplete(st, ph, ctx, p),
      NdisMCmDropPartyComplete: (st, ph) => this.cmDropPartyComplete(st, ph),
      NdisMCmDispatchIncomingDropParty: (st, ph, d) => this.cmDispatchIncomingDropParty(st, ph, d),
      NdisMCmCloseCallComplete: (st, h, ph) => this.cmCloseCallComplete(st, h, ph),
      NdisMCmDispatchIncomingCloseCall: (st, h, d) => this.cmDispatchIncomingCloseCall(st, h, d),
      NdisMCmModifyCallQoSComplete: (st, h, p) => this.cmModifyCallQoSComplete(st, h, p),
      NdisMCmDispatchIncomingCallQoSChange: (h, p) => this.cmDispatchIncomingCallQoSChange(h, p),
    };
  }
}
