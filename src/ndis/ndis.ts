/**
 * NDIS for connection-oriented drivers: the broker between clients (CL), one
 * call manager (CM or MCM) and the miniport data path. It allocates every
 * handle, keeps the AF/SAP/VC/party bookkeeping and the state machines of
 * condis.md §3, validates every request against them (a request in the wrong
 * state returns its status and changes nothing), routes each call to the
 * other side, and delivers every completion and indication to clients on a
 * later scheduler turn, in order (R5).
 */
import { BehaviorSubject, Subject, asapScheduler, defer, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { VcPath } from '../uni/api.js';
import type { CallManagerHandlers, CallManagerShape, NdisCmApi, NdisMcmApi } from './cm-interface.js';
import { isPending, samePath, type NdisDataPath } from './datapath.js';
import type { ClIndication, ClientHandlers, Context } from './indications.js';
import { NdisStatus, statusName } from './status.js';
import {
  NDIS_RECEIVE_FLAGS_RESOURCES,
  cloneCallParameters,
  type CoAddressFamily,
  type CoCallParameters,
  type CoSap,
  type NdisAfHandle,
  type NdisPartyHandle,
  type NdisSapHandle,
  type NdisVcHandle,
  type NetBufferList,
} from './types.js';

import {
  addPartyRefusal,
  callMayMove,
  closeCallRefusal,
  deleteVcRefusal,
  dropPartyRefusal,
  isLiveParty,
  makeCallRefusal,
  partyMayMove,
  sendRefusal,
  vcMayMove,
  type CallState,
  type PartyState,
  type VcState,
} from './machines.js';

export type { VcState, CallState, PartyState };

export interface NdisCounters {
  /** address families opened by clients and not yet fully closed */
  afs: number;
  saps: number;
  /** VCs with an AF (call VCs); signalling VCs are counted apart */
  vcs: number;
  parties: number;
  /** contexts the call manager holds for AFs, SAPs, VCs and parties */
  cmContexts: number;
  signallingVcs: number;
  /** sends handed to the miniport and not yet completed */
  sendsOutstanding: number;
  /** receives indicated without the RESOURCES flag and not yet returned */
  receivesOutstanding: number;
}

/** A programming error by a driver (e.g. a completion carrying PENDING, a second completion): thrown, never a status. */
export class NdisProtocolError extends Error {
  override readonly name = 'NdisProtocolError';
}

interface ClientRec {
  id: number;
  name: string;
  handlers: ClientHandlers;
  ind$: Subject<ClIndication>;
  receiveMode: 'resources' | 'return';
  afs: Set<AfRec>;
}

interface AfRec {
  h: NdisAfHandle;
  client: ClientRec;
  af: CoAddressFamily;
  clCtx: Context;
  cmCtx: Context;
  state: 'OPENING' | 'OPEN' | 'CLOSING';
  saps: Set<SapRec>;
  vcs: Set<VcRec>;
  notifyPending: boolean;
}

interface SapRec {
  h: NdisSapHandle;
  af: AfRec;
  clCtx: Context;
  cmCtx: Context;
  sap: CoSap;
  state: 'REGISTERING' | 'REGISTERED' | 'DEREGISTERING';
}

interface PartyRec {
  h: NdisPartyHandle;
  vc: VcRec;
  clCtx: Context;
  cmCtx: Context;
  state: PartyState;
  /** state to go back to when a drop or close fails */
  before?: PartyState;
  params?: CoCallParameters;
}

interface VcRec {
  h: NdisVcHandle;
  af: AfRec | undefined;
  creator: 'cl' | 'cm';
  clCtx: Context;
  cmCtx: Context;
  state: VcState;
  /** state before an outstanding activation / closing began */
  before?: VcState;
  call: CallState;
  callBefore?: CallState;
  multipoint: boolean;
  parties: Map<NdisPartyHandle, PartyRec>;
  params?: CoCallParameters;
  paths: VcPath[];
  incomingPending: boolean;
  qosPending: boolean;
  closeParty?: PartyRec;
  /** the status of the last incoming close (for the client's R75/R76 decision) */
  closeStatus?: NdisStatus;
  sends: number;
  receives: number;
  signalling: boolean;
}

/** What a client may ask about its own VC (read-only view). */
export interface VcInfo {
  handle: NdisVcHandle;
  creator: 'client' | 'call-manager';
  state: VcState;
  call: CallState;
  multipoint: boolean;
  parties: { handle: NdisPartyHandle; state: PartyState; context: Context }[];
  closeStatus: NdisStatus | undefined;
  params: CoCallParameters | undefined;
}

/** one call across the NDIS / call-manager boundary */
export interface NdisTraceEntry {
  fn: string;
  args: unknown[];
  result?: unknown;
}

export interface NdisHostOptions {
  dataPath: NdisDataPath;
  /** where completions and indications are delivered; default asapScheduler */
  scheduler?: SchedulerLike;
  name?: string;
}

export interface ClientOptions {
  name: string;
  handlers?: ClientHandlers;
  /** 'resources' (default): receives carry NDIS_RECEIVE_FLAGS_RESOURCES, the client copies; 'return': the client calls NdisReturnNetBufferLists */
  receiveMode?: 'resources' | 'return';
}

const S = NdisStatus;

export class NdisHost {
  readonly name: string;
  readonly dataPath: NdisDataPath;
  private readonly scheduler: SchedulerLike;
  private nextHandle = 1;
  private nextClient = 1;
  private readonly clients = new Set<ClientRec>();
  private readonly afs = new Map<number, AfRec>();
  private readonly saps = new Map<number, SapRec>();
  private readonly vcs = new Map<number, VcRec>();
  private readonly parties = new Map<number, PartyRec>();
  private cm?: { handlers: CallManagerHandlers; shape: CallManagerShape };
  private readonly registeredAfs: CoAddressFamily[] = [];
  private readonly queue: (() => void)[] = [];
  private flushScheduled = false;
  private readonly counters$$: BehaviorSubject<NdisCounters>;
  private readonly rxSub: Subscription;
  /** sends the call manager made on its signalling VC (R92) */
  cmSignallingSends = 0;
  private readonly trace$$ = new Subject<NdisTraceEntry>();
  /** every Ndis(M)Cm* call of the call manager and every ProtocolCm* call into it, synchronously, in order (for logs and tests) */
  readonly trace$: Observable<NdisTraceEntry> = this.trace$$.asObservable();

  constructor(opts: NdisHostOptions) {
    this.name = opts.name ?? 'ndis';
    this.dataPath = opts.dataPath;
    this.scheduler = opts.scheduler ?? asapScheduler;
    this.counters$$ = new BehaviorSubject(this.computeCounters());
    this.rxSub = this.dataPath.receive$.subscribe((r) => this.onReceive(r.path, r.data, r.vc));
  }

  // ------------------------------------------------------------------ plumbing

  /** live counters; emits whenever one changes */
  get counters$(): Observable<NdisCounters> {
    // (touch() skips the count while nobody listens: bring it up to date for the new listener)
    return defer(() => {
      this.touch(true);
      return this.counters$$;
    });
  }

  counters(): NdisCounters {
    return this.computeCounters();
  }

  private computeCounters(): NdisCounters {
    let vcs = 0;
    let sig = 0;
    let sends = 0;
    let receives = 0;
    for (const v of this.vcs.values()) {
      if (v.signalling) sig++;
      else vcs++;
      sends += v.sends;
      receives += v.receives;
    }
    return {
      afs: this.afs.size,
      saps: this.saps.size,
      vcs,
      parties: this.parties.size,
      cmContexts: this.cm?.handlers.liveContexts() ?? 0,
      signallingVcs: sig,
      sendsOutstanding: sends,
      receivesOutstanding: receives,
    };
  }

  private touch(force = false): void {
    // counting walks every VC: not after each request when nobody listens
    if (!force && !this.counters$$.observed) return;
    const c = this.computeCounters();
    const p = this.counters$$.value;
    if ((Object.keys(c) as (keyof NdisCounters)[]).some((k) => c[k] !== p[k])) this.counters$$.next(c);
  }

  /** run on a later scheduler turn, after everything queued before (FIFO) */
  private later(fn: () => void): void {
    this.queue.push(fn);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.scheduler.schedule(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    // items queued while flushing run on the next turn
    const items = this.queue.splice(0);
    for (const f of items) f();
    this.touch();
  }

  private indicate(client: ClientRec, ind: ClIndication): void {
    this.later(() => client.ind$.next(ind));
  }

  /** every state change goes through the tables of machines.ts; an illegal one is a bug here or in the call manager */
  private moveVc(v: VcRec, to: VcState): void {
    if (!vcMayMove(v.state, to)) throw new NdisProtocolError(`VC ${v.h}: no transition ${v.state} -> ${to}`);
    v.state = to;
  }

  private moveCall(v: VcRec, to: CallState): void {
    if (!callMayMove(v.call, to)) throw new NdisProtocolError(`call on VC ${v.h}: no transition ${v.call} -> ${to}`);
    v.call = to;
  }

  private moveParty(p: PartyRec, to: PartyState): void {
    if (!partyMayMove(p.state, to)) throw new NdisProtocolError(`party ${p.h}: no transition ${p.state} -> ${to}`);
    p.state = to;
  }

  private handle<T extends number>(): T {
    return this.nextHandle++ as T;
  }

  private assertFinal(status: NdisStatus, fn: string): void {
    if (status === S.PENDING) throw new NdisProtocolError(`${fn}: a completion never carries NDIS_STATUS_PENDING`);
  }

  /** true while some completion or indication still waits for its turn */
  get busy(): boolean {
    return this.queue.length > 0;
  }

  // ------------------------------------------------------------------ registration

  registerClient(opts: ClientOptions): NdisClient {
    const rec: ClientRec = {
      id: this.nextClient++,
      name: opts.name,
      handlers: opts.handlers ?? {},
      ind$: new Subject(),
      receiveMode: opts.receiveMode ?? 'resources',
      afs: new Set(),
    };
    this.clients.add(rec);
    for (const af of this.registeredAfs) this.indicate(rec, { kind: 'ProtocolCoAfRegisterNotify', addressFamily: { ...af } });
    return new NdisClient(this, rec);
  }

  /** bind a stand-alone call manager (shape 'cm') or an integrated miniport call manager ('mcm') */
  registerCallManager(handlers: CallManagerHandlers, shape: 'cm'): NdisCmApi;
  registerCallManager(handlers: CallManagerHandlers, shape: 'mcm'): NdisMcmApi;
  registerCallManager(handlers: CallManagerHandlers, shape: CallManagerShape): NdisCmApi | NdisMcmApi {
    if (this.cm) throw new NdisProtocolError('a call manager is already bound to this adapter');
    const trace = this.trace$$;
    const traced = new Proxy(handlers, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv) as unknown;
        if (typeof v !== 'function' || typeof prop !== 'string' || !prop.startsWith('Protocol')) return v;
        return (...args: unknown[]) => {
          const entry: NdisTraceEntry = { fn: prop, args };
          trace.next(entry);
          const result = (v as (...a: unknown[]) => unknown).apply(target, args);
          entry.result = result;
          return result;
        };
      },
    });
    this.cm = { handlers: traced, shape };
    const api: Record<string, (...a: unknown[]) => unknown> = (shape === 'cm' ? this.cmApi() : this.mcmApi()) as never;
    for (const k of Object.keys(api)) {
      const f = api[k]!;
      api[k] = (...args: unknown[]) => {
        const entry: NdisTraceEntry = { fn: k, args };
        trace.next(entry);
        const result = f(...args);
        entry.result = result;
        return result;
      };
    }
    return api as never;
  }

  get callManagerShape(): CallManagerShape | undefined {
    return this.cm?.shape;
  }

  private get cmh(): CallManagerHandlers {
    if (!this.cm) throw new NdisProtocolError('no call manager bound');
    return this.cm.handlers;
  }

  dispose(): void {
    this.rxSub.unsubscribe();
    for (const c of this.clients) c.ind$.complete();
    this.counters$$.complete();
    this.trace$$.complete();
  }

  // ------------------------------------------------------------------ client-side implementation

  /** @internal */ clIndications(c: ClientRec): Observable<ClIndication> {
    return c.ind$.asObservable();
  }

  private clAf(c: ClientRec, h: NdisAfHandle): AfRec | undefined {
    const a = this.afs.get(h);
    return a && a.client === c && a.state !== 'CLOSING' ? a : undefined;
  }

  private clVc(c: ClientRec, h: NdisVcHandle): VcRec | undefined {
    const v = this.vcs.get(h);
    return v && v.af?.client === c && v.state !== 'DELETED' ? v : undefined;
  }

  private clParty(c: ClientRec, h: NdisPartyHandle): PartyRec | undefined {
    const p = this.parties.get(h);
    return p && p.vc.af?.client === c ? p : undefined;
  }

  /** @internal */ clOpenAf(c: ClientRec, af: CoAddressFamily, clCtx: Context): { status: NdisStatus; afHandle?: NdisAfHandle } {
    if (!this.cm || !this.registeredAfs.some((r) => r.addressFamily === af.addressFamily)) return { status: S.FAILURE };
    const rec: AfRec = { h: this.handle(), client: c, af: { ...af }, clCtx, cmCtx: undefined, state: 'OPENING', saps: new Set(), vcs: new Set(), notifyPending: false };
    this.afs.set(rec.h, rec);
    c.afs.add(rec);
    const r = this.cmh.ProtocolCmOpenAf({ ...af }, rec.h);
    if (r.status === S.PENDING) {
      this.touch();
      return { status: S.PENDING, afHandle: rec.h };
    }
    if (r.status === S.SUCCESS) {
      rec.cmCtx = r.callMgrAfContext;
      rec.state = 'OPEN';
      this.touch();
      return { status: S.SUCCESS, afHandle: rec.h };
    }
    this.afs.delete(rec.h);
    c.afs.delete(rec);
    return { status: r.status };
  }

  private cmOpenAfComplete(status: NdisStatus, h: NdisAfHandle, cmCtx: Context): void {
    this.assertFinal(status, 'Ndis(M)CmOpenAddressFamilyComplete');
    const a = this.afs.get(h);
    if (!a || a.state !== 'OPENING') throw new NdisProtocolError('open-AF completion without a pending open');
    if (status === S.SUCCESS) {
      a.cmCtx = cmCtx;
      a.state = 'OPEN';
    } else {
      this.afs.delete(h);
      a.client.afs.delete(a);
    }
    this.indicate(a.client, { kind: 'ProtocolClOpenAfCompleteEx', clientAfContext: a.clCtx, afHandle: status === S.SUCCESS ? h : undefined, status });
    this.touch();
  }

  /** @internal */ clCloseAf(c: ClientRec, h: NdisAfHandle): NdisStatus {
    const a = this.clAf(c, h);
    if (!a || a.state !== 'OPEN') return S.FAILURE;
    if (a.saps.size > 0 || a.vcs.size > 0) return S.FAILURE;
    a.state = 'CLOSING';
    const st = this.cmh.ProtocolCmCloseAf(a.cmCtx);
    if (st === S.PENDING) return S.PENDING;
    if (st === S.SUCCESS) {
      this.afs.delete(h);
      c.afs.delete(a);
      this.touch();
      return S.SUCCESS;
    }
    a.state = 'OPEN';
    return st;
  }

  private cmCloseAfComplete(status: NdisStatus, h: NdisAfHandle): void {
    this.assertFinal(status, 'Ndis(M)CmCloseAddressFamilyComplete');
    const a = this.afs.get(h);
    if (!a || a.state !== 'CLOSING') throw new NdisProtocolError('close-AF completion without a pending close');
    if (status === S.SUCCESS) {
      this.afs.delete(h);
      a.client.afs.delete(a);
    } else a.state = 'OPEN';
    this.indicate(a.client, { kind: 'ProtocolClCloseAfComplete', status, clientAfContext: a.clCtx });
    this.touch();
  }

  private cmNotifyCloseAf(h: NdisAfHandle): NdisStatus {
    const a = this.afs.get(h);
    if (!a || a.state !== 'OPEN') return S.FAILURE;
    const fn = a.client.handlers.ProtocolClNotifyCloseAf;
    const st = fn ? fn(a.clCtx, h) : S.PENDING;
    if (st === S.PENDING) a.notifyPending = true;
    this.indicate(a.client, { kind: 'ProtocolClNotifyCloseAf', clientAfContext: a.clCtx, afHandle: h, result: st });
    return st;
  }

  /** @internal */ clNotifyCloseAfComplete(c: ClientRec, h: NdisAfHandle, status: NdisStatus): void {
    this.assertFinal(status, 'NdisClNotifyCloseAddressFamilyComplete');
    const a = this.afs.get(h);
    if (!a || a.client !== c || !a.notifyPending) throw new NdisProtocolError('notify-close completion without a pending notify');
    a.notifyPending = false;
    const cmCtx = a.cmCtx;
    this.later(() => this.cmh.ProtocolCmNotifyCloseAfComplete(status, cmCtx));
  }

  /** @internal */ clRegisterSap(c: ClientRec, h: NdisAfHandle, clCtx: Context, sap: CoSap): { status: NdisStatus; sapHandle?: NdisSapHandle } {
    const a = this.clAf(c, h);
    if (!a || a.state !== 'OPEN') return { status: S.FAILURE };
    const rec: SapRec = { h: this.handle(), af: a, clCtx, cmCtx: undefined, sap, state: 'REGISTERING' };
    this.saps.set(rec.h, rec);
    a.saps.add(rec);
    const r = this.cmh.ProtocolCmRegisterSap(a.cmCtx, sap, rec.h);
    if (r.status === S.PENDING) {
      this.touch();
      return { status: S.PENDING, sapHandle: rec.h };
    }
    if (r.status === S.SUCCESS) {
      rec.cmCtx = r.callMgrSapContext;
      rec.state = 'REGISTERED';
      this.touch();
      return { status: S.SUCCESS, sapHandle: rec.h };
    }
    this.saps.delete(rec.h);
    a.saps.delete(rec);
    return { status: r.status };
  }

  private cmRegisterSapComplete(status: NdisStatus, h: NdisSapHandle, cmCtx: Context): void {
    this.assertFinal(status, 'Ndis(M)CmRegisterSapComplete');
    const s = this.saps.get(h);
    if (!s || s.state !== 'REGISTERING') throw new NdisProtocolError('register-SAP completion without a pending registration');
    if (status === S.SUCCESS) {
      s.cmCtx = cmCtx;
      s.state = 'REGISTERED';
    } else {
      this.saps.delete(h);
      s.af.saps.delete(s);
    }
    this.indicate(s.af.client, { kind: 'ProtocolClRegisterSapComplete', status, sapContext: s.clCtx, sap: s.sap, sapHandle: status === S.SUCCESS ? h : undefined });
    this.touch();
  }

  /** @internal */ clDeregisterSap(c: ClientRec, h: NdisSapHandle): NdisStatus {
    const s = this.saps.get(h);
    if (!s || s.af.client !== c || s.state !== 'REGISTERED') return S.FAILURE;
    s.state = 'DEREGISTERING';
    const st = this.cmh.ProtocolCmDeregisterSap(s.cmCtx);
    if (st !== S.PENDING) this.finishDeregister(s, st);
    return S.PENDING;
  }

  private finishDeregister(s: SapRec, status: NdisStatus): void {
    if (status === S.SUCCESS) {
      this.saps.delete(s.h);
      s.af.saps.delete(s);
    } else s.state = 'REGISTERED';
    this.indicate(s.af.client, { kind: 'ProtocolClDeregisterSapComplete', status, sapContext: s.clCtx });
    this.touch();
  }

  private cmDeregisterSapComplete(status: NdisStatus, h: NdisSapHandle): void {
    this.assertFinal(status, 'Ndis(M)CmDeregisterSapComplete');
    const s = this.saps.get(h);
    if (!s || s.state !== 'DEREGISTERING') throw new NdisProtocolError('deregister-SAP completion without a pending deregistration');
    this.finishDeregister(s, status);
  }

  // ------------------------------------------------------------------ VCs

  private newVc(af: AfRec | undefined, creator: 'cl' | 'cm', signalling = false): VcRec {
    return {
      h: this.handle(),
      af,
      creator,
      clCtx: undefined,
      cmCtx: undefined,
      state: 'CREATED',
      call: 'IDLE',
      multipoint: false,
      parties: new Map(),
      paths: [],
      incomingPending: false,
      qosPending: false,
      sends: 0,
      receives: 0,
      signalling,
    };
  }

  /** @internal */ clCreateVc(c: ClientRec, h: NdisAfHandle, clCtx: Context): { status: NdisStatus; vcHandle?: NdisVcHandle } {
    const a = this.clAf(c, h);
    if (!a || a.state !== 'OPEN') return { status: S.FAILURE };
    const v = this.newVc(a, 'cl');
    v.clCtx = clCtx;
    const r = this.cmh.ProtocolCoCreateVc(a.cmCtx, v.h);
    if (r.status !== S.SUCCESS) {
      if (r.status === S.PENDING) {
        // R3: a PENDING create is a failed create; the context is deleted again
        this.cmh.ProtocolCoDeleteVc(r.callMgrVcContext);
        return { status: S.FAILURE };
      }
      return { status: r.status };
    }
    v.cmCtx = r.callMgrVcContext;
    if (this.cm!.shape === 'cm') {
      const mp = this.dataPath.createVc?.(v.h) ?? S.SUCCESS;
      if (mp !== S.SUCCESS) {
        this.cmh.ProtocolCoDeleteVc(v.cmCtx); // R7
        return { status: mp === S.PENDING ? S.FAILURE : mp };
      }
    }
    this.vcs.set(v.h, v);
    a.vcs.add(v);
    this.touch();
    return { status: S.SUCCESS, vcHandle: v.h };
  }

  /** CM: NdisCoCreateVc (afH given: incoming-call VC for that AF's client; none: signalling VC); MCM: NdisMCmCreateVc */
  private cmCreateVc(h: NdisAfHandle | undefined, cmCtx: Context, viaMiniport: boolean): { status: NdisStatus; vcHandle?: NdisVcHandle } {
    let a: AfRec | undefined;
    if (h !== undefined) {
      a = this.afs.get(h);
      if (!a || a.state !== 'OPEN') return { status: S.FAILURE };
    }
    const v = this.newVc(a, 'cm', a === undefined);
    v.cmCtx = cmCtx;
    if (a) {
      const fn = a.client.handlers.ProtocolCoCreateVc;
      const r = fn ? fn(a.clCtx, v.h) : { status: S.SUCCESS, vcContext: v.h };
      this.indicate(a.client, { kind: 'ProtocolCoCreateVc', clientAfContext: a.clCtx, vcHandle: v.h, vcContext: r.vcContext, result: r.status });
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
      const mp = this.dataPath.createVc?.(v.h) ?? S.SUCCESS;
      if (mp !== S.SUCCESS) {
        if (a) {
          a.client.handlers.ProtocolCoDeleteVc?.(v.clCtx, v.h);
          this.indicate(a.client, { kind: 'ProtocolCoDeleteVc', vcContext: v.clCtx, vcHandle: v.h, result: S.SUCCESS });
        }
        return { status: mp === S.PENDING ? S.FAILURE : mp };
      }
    }
    this.vcs.set(v.h, v);
    a?.vcs.add(v);
    this.touch();
    return { status: S.SUCCESS, vcHandle: v.h };
  }

  private deleteChecks(v: VcRec): NdisStatus | undefined {
    return deleteVcRefusal(v.state, v.call, v.parties.size);
  }

  /** @internal */ clDeleteVc(c: ClientRec, h: NdisVcHandle): NdisStatus {
    const v = this.clVc(c, h);
    if (!v || v.creator !== 'cl') return S.FAILURE; // R10
    const bad = this.deleteChecks(v);
    if (bad !== undefined) return bad;
    const st = this.cmh.ProtocolCoDeleteVc(v.cmCtx);
    if (st !== S.SUCCESS) return st === S.PENDING ? S.FAILURE : st; // R13
    if (this.cm!.shape === 'cm') this.dataPath.deleteVc?.(v.h);
    this.removeVc(v);
    return S.SUCCESS;
  }

  private cmDeleteVc(h: NdisVcHandle, viaMiniport: boolean): NdisStatus {
    const v = this.vcs.get(h);
    if (!v || v.creator !== 'cm') return S.FAILURE;
    const bad = this.deleteChecks(v);
    if (bad !== undefined) return viaMiniport ? bad : bad === S.CLOSING ? S.NOT_ACCEPTED : bad;
    if (v.af) {
      const client = v.af.client;
      const fn = client.handlers.ProtocolCoDeleteVc;
      const st = fn ? fn(v.clCtx, v.h) : S.SUCCESS;
      this.indicate(client, { kind: 'ProtocolCoDeleteVc', vcContext: v.clCtx, vcHandle: v.h, result: st });
      if (st !== S.SUCCESS) return st === S.PENDING ? S.FAILURE : st;
    }
    if (viaMiniport) this.dataPath.deleteVc?.(v.h);
    this.removeVc(v);
    return S.SUCCESS;
  }

  private removeVc(v: VcRec): void {
    this.moveVc(v, 'DELETED');
    this.vcs.delete(v.h);
    v.af?.vcs.delete(v);
    this.touch();
  }

  // ------------------------------------------------------------------ activation

  private pathsOf(params: CoCallParameters): VcPath[] {
    return params.mediaParameters?.mediaSpecific?.paths ?? [];
  }

  /** CM: NdisCmActivateVc -> MiniportCoActivateVc; SUCCESS/failure now or PENDING and ProtocolCmActivateVcComplete later */
  private cmActivateVc(h: NdisVcHandle, params: CoCallParameters): NdisStatus {
    const v = this.vcs.get(h);
    if (!v) return S.FAILURE;
    if (v.state === 'ACTIVATING' || v.state === 'DEACTIVATING' || v.state === 'DELETED') return S.INVALID_STATE;
    const reactivation = v.state === 'ACTIVE' || v.state === 'CLOSING';
    const before = v.state;
    if (!reactivation) this.moveVc(v, 'ACTIVATING');
    const paths = this.pathsOf(params);
    const r = this.dataPath.activate(v.h, paths, params);
    const done = (st: NdisStatus): void => {
      if (st === S.SUCCESS) {
        if (!reactivation) this.moveVc(v, 'ACTIVE');
        v.params = cloneCallParameters(params);
        v.paths = paths.map((p) => ({ ...p }));
      } else if (!reactivation) this.moveVc(v, before); // R17: a failed re-activation keeps the old parameters
      this.touch();
    };
    if (isPending(r)) {
      const cmCtx = v.cmCtx;
      void r.then((st) => {
        this.assertFinal(st, 'NdisMCoActivateVcComplete');
        done(st);
        this.cmh.ProtocolCmActivateVcComplete(st, cmCtx, params);
      });
      return S.PENDING;
    }
    done(r);
    return r;
  }

  /** MCM: the MCM programmed its own miniport half; NDIS records the VC as active with these parameters */
  private mcmActivateVc(h: NdisVcHandle, params: CoCallParameters): NdisStatus {
    const v = this.vcs.get(h);
    if (!v) return S.FAILURE;
    if (v.state === 'DEACTIVATING' || v.state === 'DELETED') return S.INVALID_STATE;
    if (v.state !== 'ACTIVE' && v.state !== 'CLOSING') this.moveVc(v, 'ACTIVE');
    v.params = cloneCallParameters(params);
    v.paths = this.pathsOf(params).map((p) => ({ ...p }));
    this.touch();
    return S.SUCCESS;
  }

  private cmDeactivateVc(h: NdisVcHandle): NdisStatus {
    const v = this.vcs.get(h);
    if (!v) return S.FAILURE;
    if (v.state !== 'ACTIVE' && v.state !== 'CLOSING') return S.NOT_ACCEPTED; // R21
    this.moveVc(v, 'DEACTIVATING');
    // R20: every indicated receive comes back before the miniport stops the VC
    const drained = this.receivesReturned(v.h);
    const r = drained ? drained.then(() => this.dataPath.deactivate(v.h)) : this.dataPath.deactivate(v.h);
    const done = (): void => {
      this.moveVc(v, 'DEACTIVATED');
      v.params = undefined;
      v.paths = [];
      this.touch();
    };
    if (isPending(r)) {
      const cmCtx = v.cmCtx;
      void r.then((st) => {
        this.assertFinal(st, 'NdisMCoDeactivateVcComplete');
        done();
        this.cmh.ProtocolCmDeactivateVcComplete(st, cmCtx);
      });
      return S.PENDING;
    }
    done();
    return S.SUCCESS;
  }

  private mcmDeactivateVc(h: NdisVcHandle): NdisStatus {
    const v = this.vcs.get(h);
    if (!v) return S.FAILURE;
    if (v.state !== 'ACTIVE' && v.state !== 'CLOSING') return S.NOT_ACCEPTED;
    this.moveVc(v, 'DEACTIVATED');
    v.params = undefined;
    v.paths = [];
    this.touch();
    return S.SUCCESS;
  }

  // ------------------------------------------------------------------ outgoing calls

  /** @internal */ clMakeCall(c: ClientRec, h: NdisVcHandle, params: CoCallParameters, partyCtx: Context | undefined): { status: NdisStatus; partyHandle?: NdisPartyHandle } {
    const v = this.clVc(c, h);
    if (!v) return { status: S.FAILURE };
    const refused = makeCallRefusal(v.creator === 'cl', v.state, v.call); // R23, R14
    if (refused !== undefined) return { status: refused };
    const multipoint = partyCtx !== undefined;
    let p: PartyRec | undefined;
    if (multipoint) {
      p = { h: this.handle(), vc: v, clCtx: partyCtx, cmCtx: undefined, state: 'ADDING', params };
      this.parties.set(p.h, p);
      v.parties.set(p.h, p);
    }
    v.multipoint = multipoint;
    this.moveCall(v, 'MAKING');
    v.closeStatus = undefined;
    const r = this.cmh.ProtocolCmMakeCall(v.cmCtx, params, p?.h);
    if (r.status === S.PENDING) {
      if (p) p.cmCtx = r.callMgrPartyContext;
      this.touch();
      return { status: S.PENDING, ...(p ? { partyHandle: p.h } : {}) };
    }
    if (r.status === S.SUCCESS) {
      if ((v.state as VcState) !== 'ACTIVE') throw new NdisProtocolError('ProtocolCmMakeCall SUCCESS on a VC that is not active (R15)');
      this.moveCall(v, 'CONNECTED');
      if (p) {
        p.cmCtx = r.callMgrPartyContext;
        this.moveParty(p, 'CONNECTED');
      }
      this.touch();
      return { status: S.SUCCESS, ...(p ? { partyHandle: p.h } : {}) };
    }
    if (p) this.removeParty(p);
    this.moveCall(v, 'IDLE');
    v.multipoint = false;
    this.touch();
    return { status: r.status };
  }

  private cmMakeCallComplete(status: NdisStatus, h: NdisVcHandle, ph: NdisPartyHandle | undefined, cmPartyCtx: Context | undefined, params: CoCallParameters): void {
    this.assertFinal(status, 'Ndis(M)CmMakeCallComplete');
    const v = this.vcs.get(h);
    if (!v || v.call !== 'MAKING') throw new NdisProtocolError('make-call completion without a pending make-call');
    const p = ph !== undefined ? v.parties.get(ph) : undefined;
    if (status === S.SUCCESS) {
      if (v.state !== 'ACTIVE') throw new NdisProtocolError('make-call completed SUCCESS before the VC was activated (R15)');
      this.moveCall(v, 'CONNECTED');
      if (p) {
        this.moveParty(p, 'CONNECTED');
        p.cmCtx = cmPartyCtx;
      }
    } else {
      this.moveCall(v, 'IDLE');
      if (p) this.removeParty(p);
      for (const q of [...v.parties.values()]) this.removeParty(q);
      v.multipoint = false;
    }
    const client = v.af!.client;
    this.indicate(client, {
      kind: 'ProtocolClMakeCallComplete',
      status,
      vcContext: v.clCtx,
      vcHandle: v.h,
      partyHandle: status === S.SUCCESS && p ? p.h : undefined,
      params: cloneCallParameters(params),
    });
    this.touch();
  }

  private removeParty(p: PartyRec): void {
    this.moveParty(p, 'DROPPED');
    this.parties.delete(p.h);
    p.vc.parties.delete(p.h);
  }

  // ------------------------------------------------------------------ incoming calls

  private cmDispatchIncomingCall(sh: NdisSapHandle, h: NdisVcHandle, params: CoCallParameters): NdisStatus {
    const s = this.saps.get(sh);
    const v = this.vcs.get(h);
    if (!s || s.state === 'DEREGISTERING' || !v || v.creator !== 'cm' || v.af !== s.af) return S.FAILURE;
    if (v.state !== 'ACTIVE' || v.call !== 'IDLE') return S.INVALID_STATE; // R30: activate before dispatch
    this.moveCall(v, 'OFFERED');
    v.multipoint = false;
    v.closeStatus = undefined;
    const client = s.af.client;
    const fn = client.handlers.ProtocolClIncomingCall;
    const st = fn ? fn(s.clCtx, v.clCtx, params, v.h) : S.PENDING;
    if (st === S.SUCCESS) this.moveCall(v, 'ACCEPTED');
    else if (st === S.PENDING) v.incomingPending = true;
    else {
      this.moveCall(v, 'REJECTED');
      this.moveVc(v, 'CLOSING');
    }
    this.indicate(client, { kind: 'ProtocolClIncomingCall', sapContext: s.clCtx, vcContext: v.clCtx, vcHandle: v.h, params: cloneCallParameters(params), result: st });
    this.touch();
    return st;
  }

  /** @internal */ clIncomingCallComplete(c: ClientRec, status: NdisStatus, h: NdisVcHandle, params: CoCallParameters): void {
    this.assertFinal(status, 'NdisClIncomingCallComplete');
    const v = this.clVc(c, h);
    if (!v) throw new NdisProtocolError('NdisClIncomingCallComplete on an unknown VC');
    if (!v.incomingPending) {
      if (v.call === 'CLOSE_INDICATED') return; // the caller gave up meanwhile; the incoming close already says so
      throw new NdisProtocolError('NdisClIncomingCallComplete without a pending incoming call');
    }
    v.incomingPending = false;
    if (v.call === 'OFFERED') {
      if (status === S.SUCCESS) this.moveCall(v, 'ACCEPTED');
      else {
        this.moveCall(v, 'REJECTED');
        this.moveVc(v, 'CLOSING');
      }
    }
    const cmCtx = v.cmCtx;
    const copy = cloneCallParameters(params);
    this.later(() => this.cmh.ProtocolCmIncomingCallComplete(status, cmCtx, copy));
    this.touch();
  }

  private cmDispatchCallConnected(h: NdisVcHandle): void {
    const v = this.vcs.get(h);
    if (!v || v.call !== 'ACCEPTED') throw new NdisProtocolError('call-connected for a call that was not accepted');
    this.moveCall(v, 'CONNECTED');
    this.indicate(v.af!.client, { kind: 'ProtocolClCallConnected', vcContext: v.clCtx, vcHandle: v.h });
    this.touch();
  }

  // ------------------------------------------------------------------ parties

  private liveParties(v: VcRec, except?: PartyRec): PartyRec[] {
    return [...v.parties.values()].filter((p) => p !== except && isLiveParty(p.state));
  }

  /** @internal */ clAddParty(c: ClientRec, h: NdisVcHandle, partyCtx: Context, params: CoCallParameters): { status: NdisStatus; partyHandle?: NdisPartyHandle } {
    const v = this.clVc(c, h);
    if (!v) return { status: S.FAILURE };
    const refused = addPartyRefusal(v.creator === 'cl', v.multipoint, v.call); // R36
    if (refused !== undefined) return { status: refused };
    const p: PartyRec = { h: this.handle(), vc: v, clCtx: partyCtx, cmCtx: undefined, state: 'ADDING', params };
    this.parties.set(p.h, p);
    v.parties.set(p.h, p);
    const r = this.cmh.ProtocolCmAddParty(v.cmCtx, params, p.h);
    if (r.status === S.PENDING) {
      p.cmCtx = r.callMgrPartyContext;
      this.touch();
      return { status: S.PENDING, partyHandle: p.h };
    }
    if (r.status === S.SUCCESS) {
      p.cmCtx = r.callMgrPartyContext;
      this.moveParty(p, 'CONNECTED');
      this.touch();
      return { status: S.SUCCESS, partyHandle: p.h };
    }
    this.removeParty(p);
    this.touch();
    return { status: r.status };
  }

  private cmAddPartyComplete(status: NdisStatus, ph: NdisPartyHandle, cmCtx: Context | undefined, params: CoCallParameters): void {
    this.assertFinal(status, 'Ndis(M)CmAddPartyComplete');
    const p = this.parties.get(ph);
    if (!p || p.state !== 'ADDING') throw new NdisProtocolError('add-party completion without a pending add');
    const v = p.vc;
    if (status === S.SUCCESS) {
      if (cmCtx === undefined) throw new NdisProtocolError('a successful add-party completion needs a call-manager party context (R38)');
      this.moveParty(p, v.call === 'CLOSE_INDICATED' ? 'DROP_INDICATED' : 'CONNECTED');
      p.cmCtx = cmCtx;
    } else this.removeParty(p);
    this.indicate(v.af!.client, { kind: 'ProtocolClAddPartyComplete', status, partyContext: p.clCtx, partyHandle: p.h, vcHandle: v.h, params: cloneCallParameters(params) });
    this.touch();
  }

  /** @internal */ clDropParty(c: ClientRec, ph: NdisPartyHandle, closeData: Buffer | undefined): NdisStatus {
    const p = this.clParty(c, ph);
    if (!p) return S.FAILURE;
    const v = p.vc;
    // R51: the last party is closed with NdisClCloseCall; R54: not while it is being added
    // (one other live party decides it: no copy of every party's state, which made dropping n parties O(n^2))
    let otherLive: PartyState | undefined;
    for (const q of v.parties.values())
      if (q !== p && isLiveParty(q.state)) {
        otherLive = q.state;
        break;
      }
    const refused = dropPartyRefusal(p.state, otherLive === undefined ? [] : [otherLive]);
    if (refused !== undefined) return refused;
    p.before = p.state;
    this.moveParty(p, 'DROPPING');
    const st = this.cmh.ProtocolCmDropParty(p.cmCtx, closeData, closeData?.length ?? 0);
    if (st === S.PENDING) return S.PENDING;
    if (st === S.SUCCESS) this.removeParty(p);
    else this.moveParty(p, p.before ?? 'CONNECTED'); // A15
    this.touch();
    return st;
  }

  private cmDropPartyComplete(status: NdisStatus, ph: NdisPartyHandle): void {
    this.assertFinal(status, 'Ndis(M)CmDropPartyComplete');
    const p = this.parties.get(ph);
    if (!p || p.state !== 'DROPPING') throw new NdisProtocolError('drop-party completion without a pending drop');
    if (status === S.SUCCESS) this.removeParty(p);
    else this.moveParty(p, p.before ?? 'CONNECTED');
    this.indicate(p.vc.af!.client, { kind: 'ProtocolClDropPartyComplete', status, partyContext: p.clCtx, partyHandle: p.h, vcHandle: p.vc.h });
    this.touch();
  }

  private cmDispatchIncomingDropParty(dropStatus: NdisStatus, ph: NdisPartyHandle, closeData: Buffer | undefined): void {
    const p = this.parties.get(ph);
    if (!p || p.state !== 'CONNECTED') throw new NdisProtocolError('incoming drop-party for a party that is not connected');
    if (this.liveParties(p.vc, p).length === 0) throw new NdisProtocolError('incoming drop-party for the last party: dispatch an incoming close instead (R56)');
    this.moveParty(p, 'DROP_INDICATED');
    this.indicate(p.vc.af!.client, {
      kind: 'ProtocolClIncomingDropParty',
      dropStatus,
      partyContext: p.clCtx,
      partyHandle: p.h,
      vcHandle: p.vc.h,
      closeData,
      size: closeData?.length ?? 0,
    });
    this.touch();
  }

  // ------------------------------------------------------------------ closing

  /** @internal */ clCloseCall(c: ClientRec, h: NdisVcHandle, ph: NdisPartyHandle | undefined, closeData: Buffer | undefined): NdisStatus {
    const v = this.clVc(c, h);
    if (!v) return S.FAILURE;
    const p = ph !== undefined ? v.parties.get(ph) : undefined;
    const named = ph === undefined ? 'none' : p ? p.state : 'unknown';
    const refused = closeCallRefusal(v.call, v.multipoint, named, [...v.parties.values()].map((q) => q.state)); // R55
    if (refused !== undefined) return refused;
    const saved = { call: v.call, state: v.state, party: p?.state };
    v.callBefore = v.call;
    v.before = v.state;
    this.moveCall(v, 'CLOSE_REQUESTED');
    if (v.state === 'ACTIVE') this.moveVc(v, 'CLOSING');
    if (p) {
      p.before = p.state;
      this.moveParty(p, 'CLOSING');
    }
    v.closeParty = p;
    const st = this.cmh.ProtocolCmCloseCall(v.cmCtx, p?.cmCtx, closeData, closeData?.length ?? 0);
    if (st === S.PENDING) {
      this.touch();
      return S.PENDING;
    }
    if (st === S.SUCCESS) this.closeDone(v);
    else {
      // R64 / R45: refused, nothing changes
      this.moveCall(v, saved.call);
      if (v.state === 'CLOSING') this.moveVc(v, saved.state);
      if (p && saved.party) this.moveParty(p, saved.party);
      v.closeParty = undefined;
    }
    this.touch();
    return st;
  }

  private closeDone(v: VcRec): void {
    if (v.state !== 'DEACTIVATED' && v.state !== 'CREATED') throw new NdisProtocolError('close-call completed SUCCESS before the VC was deactivated (R62)');
    this.moveCall(v, 'IDLE');
    for (const q of [...v.parties.values()]) this.removeParty(q);
    v.closeParty = undefined;
  }

  private cmCloseCallComplete(status: NdisStatus, h: NdisVcHandle, ph: NdisPartyHandle | undefined): void {
    this.assertFinal(status, 'Ndis(M)CmCloseCallComplete');
    const v = this.vcs.get(h);
    if (!v || v.call !== 'CLOSE_REQUESTED') throw new NdisProtocolError('close-call completion without a pending close');
    const p = v.closeParty;
    if (ph !== p?.h) throw new NdisProtocolError('close-call completion names another party than the close');
    if (status === S.SUCCESS) this.closeDone(v);
    else {
      // A9: back to CONNECTED, the client may retry
      this.moveCall(v, v.callBefore === 'CLOSE_INDICATED' ? 'CLOSE_INDICATED' : 'CONNECTED');
      if (v.state === 'CLOSING' && v.callBefore === 'CONNECTED') this.moveVc(v, 'ACTIVE');
      if (p) this.moveParty(p, p.before ?? 'CONNECTED');
      v.closeParty = undefined;
    }
    this.indicate(v.af!.client, {
      kind: 'ProtocolClCloseCallComplete',
      status,
      vcContext: v.clCtx,
      vcHandle: v.h,
      partyContext: p?.clCtx,
      partyHandle: p?.h,
    });
    this.touch();
  }

  private cmDispatchIncomingCloseCall(closeStatus: NdisStatus, h: NdisVcHandle, closeData: Buffer | undefined): void {
    const v = this.vcs.get(h);
    if (!v || !v.af) throw new NdisProtocolError('incoming close on an unknown VC');
    if (v.call !== 'CONNECTED' && v.call !== 'ACCEPTED' && v.call !== 'OFFERED') throw new NdisProtocolError(`incoming close on a call in ${v.call}`);
    this.moveCall(v, 'CLOSE_INDICATED');
    v.incomingPending = false;
    if (v.state === 'ACTIVE') this.moveVc(v, 'CLOSING'); // R78: no data from here on
    v.closeStatus = closeStatus;
    for (const p of v.parties.values()) if (p.state === 'CONNECTED') this.moveParty(p, 'DROP_INDICATED');
    this.indicate(v.af.client, { kind: 'ProtocolClIncomingCloseCall', closeStatus, vcContext: v.clCtx, vcHandle: v.h, closeData, size: closeData?.length ?? 0 });
    this.touch();
  }

  // ------------------------------------------------------------------ QoS

  /** @internal */ clModifyCallQoS(c: ClientRec, h: NdisVcHandle, params: CoCallParameters): NdisStatus {
    const v = this.clVc(c, h);
    if (!v) return S.FAILURE;
    if ((v.call !== 'CONNECTED' && v.call !== 'OFFERED') || v.qosPending) return S.INVALID_STATE;
    const st = this.cmh.ProtocolCmModifyCallQoS(v.cmCtx, params);
    if (st === S.PENDING) v.qosPending = true;
    return st;
  }

  private cmModifyCallQoSComplete(status: NdisStatus, h: NdisVcHandle, params: CoCallParameters): void {
    this.assertFinal(status, 'Ndis(M)CmModifyCallQoSComplete');
    const v = this.vcs.get(h);
    if (!v || !v.qosPending) throw new NdisProtocolError('QoS completion without a pending QoS change');
    v.qosPending = false;
    this.indicate(v.af!.client, { kind: 'ProtocolClModifyCallQoSComplete', status, vcContext: v.clCtx, vcHandle: v.h, params: cloneCallParameters(params) });
  }

  private cmDispatchIncomingCallQoSChange(h: NdisVcHandle, params: CoCallParameters): void {
    const v = this.vcs.get(h);
    if (!v || !v.af || v.state !== 'ACTIVE') throw new NdisProtocolError('incoming QoS change on a VC that is not active');
    this.indicate(v.af.client, { kind: 'ProtocolClIncomingCallQoSChange', vcContext: v.clCtx, vcHandle: v.h, params: cloneCallParameters(params) });
  }

  // ------------------------------------------------------------------ data

  /** @internal */ clSend(c: ClientRec, h: NdisVcHandle, nbls: NetBufferList[]): void {
    const v = this.clVc(c, h);
    const complete = (nbl: NetBufferList, status: NdisStatus, vcRec: VcRec | undefined): void => {
      nbl.status = status;
      if (vcRec) this.indicate(c, { kind: 'ProtocolCoSendNetBufferListsComplete', vcContext: vcRec.clCtx, vcHandle: vcRec.h, nbls: [nbl] });
    };
    for (const nbl of nbls) {
      if (!v) {
        nbl.status = S.FAILURE;
        continue;
      }
      if (nbl.sourceHandle !== h) {
        complete(nbl, S.INVALID_PARAMETER, v); // R88
        continue;
      }
      const refused = sendRefusal(v.state, v.call); // R28, R33, R65, R78
      if (refused !== undefined) {
        complete(nbl, refused, v);
        continue;
      }
      v.sends++;
      void this.dataPath.send(v.h, nbl.data).then((st) => {
        v.sends--;
        complete(nbl, st, v);
        this.touch();
      });
    }
    this.touch();
  }

  private cmSend(h: NdisVcHandle, data: Buffer[]): Promise<NdisStatus[]> {
    const v = this.vcs.get(h);
    if (!v || !v.signalling) return Promise.resolve(data.map(() => S.FAILURE));
    this.cmSignallingSends += data.length;
    if (v.state !== 'ACTIVE') return Promise.resolve(data.map(() => S.VC_NOT_ACTIVATED));
    return Promise.all(data.map((d) => this.dataPath.send(v.h, d)));
  }

  private onReceive(path: VcPath, data: Buffer, hint?: number): void {
    // the VC the miniport names, when it has that path; else the first VC that has it
    const named = hint === undefined ? undefined : this.vcs.get(hint);
    const candidates = named && named.paths.some((p) => samePath(p, path)) ? [named] : this.vcs.values();
    for (const v of candidates) {
      if (!v.paths.some((p) => samePath(p, path))) continue;
      // R20/R78: only an active VC whose call is connected delivers data to its client
      if (v.state !== 'ACTIVE' || v.call !== 'CONNECTED' || !v.af) return;
      const client = v.af.client;
      const nbl: NetBufferList = { data: Buffer.from(data) };
      if (client.receiveMode === 'return') v.receives++;
      this.indicate(client, {
        kind: 'ProtocolCoReceiveNetBufferLists',
        vcContext: v.clCtx,
        vcHandle: v.h,
        nbls: [nbl],
        flags: client.receiveMode === 'resources' ? NDIS_RECEIVE_FLAGS_RESOURCES : 0,
      });
      this.receiveOwner.set(nbl, v);
      this.touch();
      return;
    }
  }

  private readonly receiveOwner = new WeakMap<NetBufferList, VcRec>();

  /** @internal */ clReturn(_c: ClientRec, nbls: NetBufferList[]): void {
    for (const n of nbls) {
      const v = this.receiveOwner.get(n);
      if (v && v.receives > 0) {
        v.receives--;
        this.receiveOwner.delete(n);
        if (v.receives === 0) {
          const waiters = this.drainWaiters.get(v.h) ?? [];
          this.drainWaiters.delete(v.h);
          for (const w of waiters) w();
        }
      }
    }
    this.touch();
  }

  private readonly drainWaiters = new Map<number, (() => void)[]>();

  /**
   * Undefined when no receive indicated on the VC is still with its client;
   * otherwise a promise that settles once the client returned them all (R20).
   * An integrated call manager waits for it before it stops its miniport half.
   */
  receivesReturned(vc: NdisVcHandle): Promise<void> | undefined {
    const v = this.vcs.get(vc);
    if (!v || v.receives === 0) return undefined;
    return new Promise((resolve) => {
      const list = this.drainWaiters.get(vc) ?? [];
      list.push(resolve);
      this.drainWaiters.set(vc, list);
    });
  }

  // ------------------------------------------------------------------ views

  /** @internal */ clVcInfo(c: ClientRec, h: NdisVcHandle): VcInfo | undefined {
    const v = this.clVc(c, h);
    return v ? this.info(v) : undefined;
  }

  private info(v: VcRec): VcInfo {
    return {
      handle: v.h,
      creator: v.creator === 'cl' ? 'client' : 'call-manager',
      state: v.state,
      call: v.call,
      multipoint: v.multipoint,
      parties: [...v.parties.values()].map((p) => ({ handle: p.h, state: p.state, context: p.clCtx })),
      closeStatus: v.closeStatus,
      params: v.params ? cloneCallParameters(v.params) : undefined,
    };
  }

  /** @internal */ clVcs(c: ClientRec, af?: NdisAfHandle): VcInfo[] {
    const out: VcInfo[] = [];
    for (const a of c.afs) if (af === undefined || a.h === af) for (const v of a.vcs) out.push(this.info(v));
    return out;
  }

  /** @internal */ clSaps(c: ClientRec, af: NdisAfHandle): NdisSapHandle[] {
    const a = this.afs.get(af);
    return a && a.client === c ? [...a.saps].filter((s) => s.state !== 'DEREGISTERING').map((s) => s.h) : [];
  }

  /** a read-only view of every VC (for status displays and tests) */
  snapshot(): { vcs: (VcInfo & { client: string | undefined; signalling: boolean })[]; afs: { handle: NdisAfHandle; client: string; state: string }[] } {
    return {
      vcs: [...this.vcs.values()].map((v) => ({ ...this.info(v), client: v.af?.client.name, signalling: v.signalling })),
      afs: [...this.afs.values()].map((a) => ({ handle: a.h, client: a.client.name, state: a.state })),
    };
  }

  // ------------------------------------------------------------------ call-manager API objects

  private registerAf(af: CoAddressFamily): NdisStatus {
    if (this.registeredAfs.some((r) => r.addressFamily === af.addressFamily)) return S.FAILURE; // R84
    this.registeredAfs.push({ ...af });
    for (const c of this.clients) this.indicate(c, { kind: 'ProtocolCoAfRegisterNotify', addressFamily: { ...af } });
    return S.SUCCESS;
  }

  private cmApi(): NdisCmApi {
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

  private mcmApi(): NdisMcmApi {
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
    private readonly host: NdisHost,
    private readonly rec: ClientRec,
  ) {
    this.indications$ = host.clIndications(rec);
  }

  get name(): string {
    return this.rec.name;
  }

  /** replace or add synchronous handlers (e.g. a policy installing its own) */
  setHandlers(h: ClientHandlers): void {
    Object.assign(this.rec.handlers, h);
  }

  NdisClOpenAddressFamilyEx(addressFamily: CoAddressFamily, clientAfContext: Context): { status: NdisStatus; afHandle?: NdisAfHandle } {
    return this.host.clOpenAf(this.rec, addressFamily, clientAfContext);
  }
  NdisClCloseAddressFamily(afHandle: NdisAfHandle): NdisStatus {
    return this.host.clCloseAf(this.rec, afHandle);
  }
  NdisClNotifyCloseAddressFamilyComplete(afHandle: NdisAfHandle, status: NdisStatus): void {
    this.host.clNotifyCloseAfComplete(this.rec, afHandle, status);
  }
  NdisClRegisterSap(afHandle: NdisAfHandle, sapContext: Context, sap: CoSap): { status: NdisStatus; sapHandle?: NdisSapHandle } {
    return this.host.clRegisterSap(this.rec, afHandle, sapContext, sap);
  }
  NdisClDeregisterSap(sapHandle: NdisSapHandle): NdisStatus {
    return this.host.clDeregisterSap(this.rec, sapHandle);
  }
  NdisCoCreateVc(afHandle: NdisAfHandle, vcContext: Context): { status: NdisStatus; vcHandle?: NdisVcHandle } {
    return this.host.clCreateVc(this.rec, afHandle, vcContext);
  }
  NdisCoDeleteVc(vcHandle: NdisVcHandle): NdisStatus {
    return this.host.clDeleteVc(this.rec, vcHandle);
  }
  /** partyContext given: a point-to-multipoint call whose first party is the called address */
  NdisClMakeCall(vcHandle: NdisVcHandle, params: CoCallParameters, partyContext?: Context): { status: NdisStatus; partyHandle?: NdisPartyHandle } {
    return this.host.clMakeCall(this.rec, vcHandle, params, partyContext);
  }
  NdisClIncomingCallComplete(status: NdisStatus, vcHandle: NdisVcHandle, params: CoCallParameters): void {
    this.host.clIncomingCallComplete(this.rec, status, vcHandle, params);
  }
  NdisClAddParty(vcHandle: NdisVcHandle, partyContext: Context, params: CoCallParameters): { status: NdisStatus; partyHandle?: NdisPartyHandle } {
    return this.host.clAddParty(this.rec, vcHandle, partyContext, params);
  }
  NdisClDropParty(partyHandle: NdisPartyHandle, closeData?: Buffer): NdisStatus {
    return this.host.clDropParty(this.rec, partyHandle, closeData);
  }
  NdisClCloseCall(vcHandle: NdisVcHandle, partyHandle?: NdisPartyHandle, closeData?: Buffer): NdisStatus {
    return this.host.clCloseCall(this.rec, vcHandle, partyHandle, closeData);
  }
  NdisClModifyCallQoS(vcHandle: NdisVcHandle, params: CoCallParameters): NdisStatus {
    return this.host.clModifyCallQoS(this.rec, vcHandle, params);
  }
  /** completion per NBL through ProtocolCoSendNetBufferListsComplete, always later */
  NdisCoSendNetBufferLists(vcHandle: NdisVcHandle, nbls: NetBufferList[], _sendFlags = 0): void {
    this.host.clSend(this.rec, vcHandle, nbls);
  }
  NdisReturnNetBufferLists(nbls: NetBufferList[], _returnFlags = 0): void {
    this.host.clReturn(this.rec, nbls);
  }

  /** what NDIS knows about one of this client's VCs (state names of condis.md §3) */
  vcInfo(vcHandle: NdisVcHandle): VcInfo | undefined {
    return this.host.clVcInfo(this.rec, vcHandle);
  }
  /** this client's VCs (on one AF, or all) */
  vcs(afHandle?: NdisAfHandle): VcInfo[] {
    return this.host.clVcs(this.rec, afHandle);
  }
  /** this client's registered SAPs on an AF */
  saps(afHandle: NdisAfHandle): NdisSapHandle[] {
    return this.host.clSaps(this.rec, afHandle);
  }
}

export { statusName };
