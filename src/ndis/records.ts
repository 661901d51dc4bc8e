/**
 * NDIS's shared records and their guarded transitions: the AF, SAP, VC and
 * party records both halves of NDIS work on (the client side in
 * `client-side.ts`, the call-manager side in `cm-side.ts`), the handle
 * allocator, the run-to-completion queue that delivers every completion and
 * indication to clients on a later scheduler turn, in order (R5), the
 * counters, and the data path's receive side. Every state change goes through
 * `moveVc` / `moveCall` / `moveParty`, which check the tables of machines.ts.
 */
import { BehaviorSubject, Subject, type SchedulerLike } from 'rxjs';
import { laterScheduler } from '../common/later-scheduler.js';
import { RunQueue } from '../common/run-queue.js';
import type { VcPath } from '../uni/api.js';
import type { CallManagerHandlers, CallManagerShape } from './cm-interface.js';
import { samePath, type NdisDataPath } from './datapath.js';
import type { ClIndication, ClIndicationOf, ClientHandlers, Context } from './indications.js';
import { NdisStatus } from './status.js';
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
  callMayMove,
  deleteVcRefusal,
  isLiveParty,
  partyMayMove,
  vcMayMove,
  type CallState,
  type PartyState,
  type VcState,
} from './machines.js';
import { NumberMap } from '../common/number-map.js';

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

export interface ClientRec {
  id: number;
  name: string;
  handlers: ClientHandlers;
  ind$: Subject<ClIndication>;
  receiveMode: 'resources' | 'return';
  afs: Set<AfRec>;
}

export interface AfRec {
  h: NdisAfHandle;
  client: ClientRec;
  af: CoAddressFamily;
  clCtx: Context;
  cmCtx: Context;
  state: 'OPENING' | 'OPEN' | 'CLOSING';
  saps: Set<SapRec>;
  /** how many VCs the AF has (a count, not a set: one more entry per VC in a set costs ~33 B of heap each) */
  vcCount: number;
  notifyPending: boolean;
}

export interface SapRec {
  h: NdisSapHandle;
  af: AfRec;
  clCtx: Context;
  cmCtx: Context;
  sap: CoSap;
  state: 'REGISTERING' | 'REGISTERED' | 'DEREGISTERING';
}

export interface PartyRec {
  h: NdisPartyHandle;
  vc: VcRec;
  clCtx: Context;
  cmCtx: Context;
  state: PartyState;
  /** state to go back to when a drop or close fails */
  before?: PartyState;
  /** its neighbours in its VC's list (PartyList) */
  prev: PartyRec | undefined;
  next: PartyRec | undefined;
}

/**
 * A VC's parties in the order they came: a list through the parties themselves (two fields in each,
 * 16 B, where an entry in a Map's table takes about 46). Iterating while removing: iterate a copy.
 */
export class PartyList {
  private head: PartyRec | undefined = undefined;
  private tail: PartyRec | undefined = undefined;
  size = 0;

  add(p: PartyRec): void {
    p.prev = this.tail;
    p.next = undefined;
    if (this.tail) this.tail.next = p;
    else this.head = p;
    this.tail = p;
    this.size++;
  }

  /** (a party not on the list is left alone) */
  remove(p: PartyRec): void {
    if (p.prev === undefined && this.head !== p) return;
    if (p.prev) p.prev.next = p.next;
    else this.head = p.next;
    if (p.next) p.next.prev = p.prev;
    else this.tail = p.prev;
    p.prev = p.next = undefined;
    this.size--;
  }

  *values(): Generator<PartyRec, void, undefined> {
    for (let p = this.head; p; p = p.next) yield p;
  }
}

/** the parties of every VC that has none (most VCs never have one): one frozen, empty list */
const NO_PARTIES: PartyList = Object.freeze(new PartyList()) as PartyList;

/** (the bits of VcRec's yes/no fields) */
const BY_CM = 1;
const MULTIPOINT = 2;
const INCOMING_PENDING = 4;
const QOS_PENDING = 8;
const CLOSE_AFTER_INDICATION = 16;
const CLOSE_AWAITS_DEACTIVATION = 32;

/**
 * A VC. Its yes/no fields share one number (`flags`) behind accessors: a field of its own costs
 * 8 B each, and every endpoint of a multipoint call at a leaf host is a VC.
 */
export class VcRec {
  clCtx: Context = undefined;
  cmCtx: Context = undefined;
  state: VcState = 'CREATED';
  call: CallState = 'IDLE';
  /** changed only through NdisCore.addParty / removeParty (a VC without parties shares one empty list) */
  parties: PartyList = NO_PARTIES;
  /** the parameters the VC is active with (sealed, types.ts); their paths are the VC's (`vcPaths`) */
  params: CoCallParameters | undefined = undefined;
  sends = 0;
  receives = 0;
  /** what only a closing VC has (closeParty, closeStatus): one field, made when the first is set */
  private closing: { party?: PartyRec; status?: NdisStatus } | undefined = undefined;
  private flags: number;

  constructor(
    readonly h: NdisVcHandle,
    /** none for the call manager's signalling VC */
    readonly af: AfRec | undefined,
    creator: 'cl' | 'cm',
  ) {
    this.flags = creator === 'cm' ? BY_CM : 0;
  }

  /** the party a close under way names */
  get closeParty(): PartyRec | undefined {
    return this.closing?.party;
  }
  set closeParty(p: PartyRec | undefined) {
    if (p !== undefined || this.closing) (this.closing ??= {}).party = p;
  }
  /** the status of the last incoming close (for the client's R75/R76 decision) */
  get closeStatus(): NdisStatus | undefined {
    return this.closing?.status;
  }
  set closeStatus(st: NdisStatus | undefined) {
    if (st !== undefined || this.closing) (this.closing ??= {}).status = st;
  }

  get creator(): 'cl' | 'cm' {
    return this.flags & BY_CM ? 'cm' : 'cl';
  }
  /** the call manager's own VC (it has no AF) */
  get signalling(): boolean {
    return this.af === undefined;
  }
  get multipoint(): boolean {
    return (this.flags & MULTIPOINT) !== 0;
  }
  set multipoint(on: boolean) {
    this.flag(MULTIPOINT, on);
  }
  get incomingPending(): boolean {
    return (this.flags & INCOMING_PENDING) !== 0;
  }
  set incomingPending(on: boolean) {
    this.flag(INCOMING_PENDING, on);
  }
  get qosPending(): boolean {
    return (this.flags & QOS_PENDING) !== 0;
  }
  set qosPending(on: boolean) {
    this.flag(QOS_PENDING, on);
  }
  /** the close under way was asked after an incoming close (else on a connected call): where a failed close goes back to */
  get closeAfterIndication(): boolean {
    return (this.flags & CLOSE_AFTER_INDICATION) !== 0;
  }
  set closeAfterIndication(on: boolean) {
    this.flag(CLOSE_AFTER_INDICATION, on);
  }
  /** the call manager completed the close with SUCCESS before it deactivated the VC: the close ends with the deactivation (R62) */
  get closeAwaitsDeactivation(): boolean {
    return (this.flags & CLOSE_AWAITS_DEACTIVATION) !== 0;
  }
  set closeAwaitsDeactivation(on: boolean) {
    this.flag(CLOSE_AWAITS_DEACTIVATION, on);
  }
  private flag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }
}

const NO_PATHS: readonly VcPath[] = Object.freeze([]);


/** the paths an active VC has (those of its parameters), none when it is not active */
export function vcPaths(v: VcRec): readonly VcPath[] {
  return v.params?.mediaParameters?.mediaSpecific?.paths ?? NO_PATHS;
}

/** does the VC's call have this path (a loop: the receive path asks once per frame) */
function hasPath(v: VcRec, path: VcPath): boolean {
  const ps = vcPaths(v);
  for (let i = 0; i < ps.length; i++) if (samePath(ps[i]!, path)) return true;
  return false;
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
  /** where completions and indications are delivered; default laterScheduler (src/common/later-scheduler.ts) */
  scheduler?: SchedulerLike;
  name?: string;
}

export interface ClientOptions {
  name: string;
  handlers?: ClientHandlers;
  /** 'resources' (default): receives carry NDIS_RECEIVE_FLAGS_RESOURCES, the client copies; 'return': the client calls NdisReturnNetBufferLists */
  receiveMode?: 'resources' | 'return';
}

/** what NdisCore.indicateNbl chains: NBLs handed to the client or back to it */
type DataIndication = ClIndicationOf<'ProtocolCoReceiveNetBufferLists'> | ClIndicationOf<'ProtocolCoSendNetBufferListsComplete'>;

const S = NdisStatus;

const runItem = (fn: () => void): void => fn();

/** The state one adapter's NDIS keeps, shared by its client side and its call-manager side (not exported from the package). */
export class NdisCore {
  readonly name: string;
  readonly dataPath: NdisDataPath;
  readonly scheduler: SchedulerLike;
  readonly counters$$: BehaviorSubject<NdisCounters>;
  /** sends the call manager made on its signalling VC (R92) */
  cmSignallingSends = 0;
  readonly trace$$ = new Subject<NdisTraceEntry>();

  constructor(opts: NdisHostOptions) {
    this.name = opts.name ?? 'ndis';
    this.dataPath = opts.dataPath;
    this.scheduler = opts.scheduler ?? laterScheduler;
    this.counters$$ = new BehaviorSubject(this.tallied());
    // what a turn's items changed shows in counters$ once per turn
    this.deferred = new RunQueue(runItem, { scheduler: this.scheduler, afterTurn: () => this.touch() });
  }
  nextHandle = 1;
  nextClient = 1;
  readonly clients = new Set<ClientRec>();
  readonly afs = new Map<number, AfRec>();
  readonly saps = new Map<number, SapRec>();
  // (tables every call adds to and deletes from: NumberMap, src/common/number-map.ts says why)
  readonly vcs: Map<number, VcRec> = new NumberMap<VcRec>();
  readonly parties: Map<number, PartyRec> = new NumberMap<PartyRec>();
  cm?: { handlers: CallManagerHandlers; shape: CallManagerShape };
  readonly registeredAfs: CoAddressFamily[] = [];
  /** completions and indications, each on a later scheduler turn than the request that caused it, in order (R5) */
  readonly deferred: RunQueue<() => void>;

  /**
   * What counters$ reports of the VCs, kept up to date as they change, so that a watched counters$
   * costs the same per request with ten VCs or ten thousand (a leaf host holds one per party); a
   * recount walks them all (computeCounters). A VC's sends and receives count while it is in `vcs`.
   */
  private readonly tally = { callVcs: 0, signallingVcs: 0, sends: 0, receives: 0 };

  addVc(v: VcRec): void {
    this.vcs.set(v.h, v);
    this.countVc(v, 1);
  }

  /** a VC in `vcs` (+1) or out of it (-1), with what it has outstanding */
  private countVc(v: VcRec, n: 1 | -1): void {
    if (v.signalling) this.tally.signallingVcs += n;
    else this.tally.callVcs += n;
    this.tally.sends += n * v.sends;
    this.tally.receives += n * v.receives;
  }

  /** a send on `v` handed to the miniport (+1) or completed (-1) */
  countSend(v: VcRec, n: 1 | -1): void {
    v.sends += n;
    if (v.state !== 'DELETED') this.tally.sends += n;
  }

  /** a receive on `v` the client is to return (+1), or returned (-1) */
  countReceive(v: VcRec, n: 1 | -1): void {
    v.receives += n;
    if (v.state !== 'DELETED') this.tally.receives += n;
  }

  /** the counters from the tally (counters$) */
  private tallied(): NdisCounters {
    const t = this.tally;
    return this.withVcCounts(t.callVcs, t.signallingVcs, t.sends, t.receives);
  }

  /** the counters counted now, walking every VC (counters(): a status query; tests hold counters$ to it) */
  computeCounters(): NdisCounters {
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
    return this.withVcCounts(vcs, sig, sends, receives);
  }

  private withVcCounts(vcs: number, signallingVcs: number, sendsOutstanding: number, receivesOutstanding: number): NdisCounters {
    return {
      afs: this.afs.size,
      saps: this.saps.size,
      vcs,
      parties: this.parties.size,
      cmContexts: this.cm?.handlers.liveContexts() ?? 0,
      signallingVcs,
      sendsOutstanding,
      receivesOutstanding,
    };
  }

  touch(force = false): void {
    // (no counters object after each request when nobody listens)
    if (!force && !this.counters$$.observed) return;
    const c = this.tallied();
    const p = this.counters$$.value;
    if ((Object.keys(c) as (keyof NdisCounters)[]).some((k) => c[k] !== p[k])) this.counters$$.next(c);
  }

  /** run on a later scheduler turn, after everything queued before (FIFO) */
  later(fn: () => void): void {
    this.dataTail = undefined;
    this.deferred.post(fn);
  }

  indicate(client: ClientRec, ind: ClIndication): void {
    this.later(() => client.ind$.next(ind));
  }

  /** the data indication queued last, while nothing has been queued after it and it has not run yet */
  private dataTail: { client: ClientRec; ind: DataIndication; flags: number } | undefined = undefined;

  /**
   * NBL `nbl` to its client on VC `v`: a receive (with `flags`) or a send completion. One that follows
   * the same kind on the same VC for the same client (receives: with the same flags) directly in the
   * queue joins that one's NBL list instead of being a call of its own: NDIS hands NBLs over in chains,
   * each NBL with its own status, and the client sees the same NBLs in the same order relative to
   * everything else. A burst of frames read in one turn then costs the client one call, not one per
   * frame (and no indication object per NBL that joins).
   */
  indicateNbl(client: ClientRec, kind: DataIndication['kind'], v: Pick<VcRec, 'clCtx' | 'h'>, nbl: NetBufferList, flags = 0): void {
    const t = this.dataTail;
    if (t !== undefined && t.client === client && t.ind.kind === kind && t.ind.vcHandle === v.h && t.flags === flags) {
      t.ind.nbls.push(nbl);
      return;
    }
    const ind: DataIndication =
      kind === 'ProtocolCoReceiveNetBufferLists'
        ? { kind, vcContext: v.clCtx, vcHandle: v.h, nbls: [nbl], flags }
        : { kind, vcContext: v.clCtx, vcHandle: v.h, nbls: [nbl] };
    // the tail before the post: a scheduler that runs the item at once finds it there and clears it
    const entry = { client, ind, flags };
    this.dataTail = entry;
    this.deferred.post(() => {
      if (this.dataTail === entry) this.dataTail = undefined;
      client.ind$.next(ind);
    });
  }

  /** every state change goes through the tables of machines.ts; an illegal one is a bug here or in the call manager */
  moveVc(v: VcRec, to: VcState): void {
    if (!vcMayMove(v.state, to)) throw new NdisProtocolError(`VC ${v.h}: no transition ${v.state} -> ${to}`);
    v.state = to;
  }

  moveCall(v: VcRec, to: CallState): void {
    if (!callMayMove(v.call, to)) throw new NdisProtocolError(`call on VC ${v.h}: no transition ${v.call} -> ${to}`);
    v.call = to;
  }

  moveParty(p: PartyRec, to: PartyState): void {
    if (!partyMayMove(p.state, to)) throw new NdisProtocolError(`party ${p.h}: no transition ${p.state} -> ${to}`);
    p.state = to;
  }

  handle<T extends number>(): T {
    return this.nextHandle++ as T;
  }

  assertFinal(status: NdisStatus, fn: string): void {
    if (status === S.PENDING) throw new NdisProtocolError(`${fn}: a completion never carries NDIS_STATUS_PENDING`);
  }

  get cmh(): CallManagerHandlers {
    if (!this.cm) throw new NdisProtocolError('no call manager bound');
    return this.cm.handlers;
  }

  finishDeregister(s: SapRec, status: NdisStatus): void {
    if (status === S.SUCCESS) {
      this.saps.delete(s.h);
      s.af.saps.delete(s);
    } else s.state = 'REGISTERED';
    this.indicate(s.af.client, { kind: 'ProtocolClDeregisterSapComplete', status, sapContext: s.clCtx });
    this.touch();
  }


  newVc(af: AfRec | undefined, creator: 'cl' | 'cm'): VcRec {
    return new VcRec(this.handle(), af, creator);
  }

  deleteChecks(v: VcRec): NdisStatus | undefined {
    return deleteVcRefusal(v.state, v.call, v.parties.size);
  }

  removeVc(v: VcRec): void {
    this.moveVc(v, 'DELETED');
    this.vcs.delete(v.h);
    this.countVc(v, -1);
    if (v.af) v.af.vcCount--;
    this.touch();
  }


  pathsOf(params: CoCallParameters): VcPath[] {
    return params.mediaParameters?.mediaSpecific?.paths ?? [];
  }

  /** a new party of `v` (not yet added) */
  newParty(v: VcRec, clCtx: Context): PartyRec {
    return { h: this.handle(), vc: v, clCtx, cmCtx: undefined, state: 'ADDING', prev: undefined, next: undefined };
  }

  addParty(p: PartyRec): void {
    const v = p.vc;
    this.parties.set(p.h, p);
    if (v.parties === NO_PARTIES) v.parties = new PartyList();
    v.parties.add(p);
  }

  /** the party with this handle, if it is one of `v`'s */
  partyOf(v: VcRec, h: NdisPartyHandle): PartyRec | undefined {
    const p = this.parties.get(h);
    return p?.vc === v ? p : undefined;
  }

  removeParty(p: PartyRec): void {
    this.moveParty(p, 'DROPPED');
    this.parties.delete(p.h);
    const v = p.vc;
    if (v.parties === NO_PARTIES) return;
    v.parties.remove(p);
    if (v.parties.size === 0) v.parties = NO_PARTIES;
  }


  /** a live party of the VC other than `except`, the first one found (asked for each party that goes: no list of them all) */
  otherLiveParty(v: VcRec, except: PartyRec): PartyRec | undefined {
    for (const p of v.parties.values()) if (p !== except && isLiveParty(p.state)) return p;
    return undefined;
  }

  /**
   * The call manager finished a close with SUCCESS. The close is over once the
   * VC is deactivated too, in whichever order the two happen (R62): false means
   * it waits for the deactivation, which then completes it (`deactivated`).
   */
  closeDone(v: VcRec): boolean {
    if (v.state !== 'DEACTIVATED' && v.state !== 'CREATED') {
      v.closeAwaitsDeactivation = true;
      return false;
    }
    v.closeAwaitsDeactivation = false;
    this.moveCall(v, 'IDLE');
    for (const q of [...v.parties.values()]) this.removeParty(q);
    v.closeParty = undefined;
    return true;
  }

  /** a VC finished deactivating: a close the call manager completed first ends now, and its client hears of it */
  deactivated(v: VcRec): void {
    if (!v.closeAwaitsDeactivation || v.call !== 'CLOSE_REQUESTED') return;
    const p = v.closeParty;
    this.closeDone(v);
    this.indicate(v.af!.client, { kind: 'ProtocolClCloseCallComplete', status: S.SUCCESS, vcContext: v.clCtx, vcHandle: v.h, partyContext: p?.clCtx, partyHandle: p?.h });
  }

  onReceive(path: VcPath, data: Buffer, hint?: number, owned = false): void {
    // the VC the miniport names, when it has that path; else the first VC that has it
    const named = hint === undefined ? undefined : this.vcs.get(hint);
    if (named && hasPath(named, path)) return this.receiveOn(named, data, owned);
    for (const v of this.vcs.values()) if (hasPath(v, path)) return this.receiveOn(v, data, owned);
  }

  private receiveOn(v: VcRec, data: Buffer, owned: boolean): void {
    // R20/R78: only an active VC whose call is connected delivers data to its client
    if (v.state !== 'ACTIVE' || v.call !== 'CONNECTED' || !v.af) return;
    const client = v.af.client;
    // data the miniport half handed over is the client's as it is; else the client gets a copy
    const nbl: NetBufferList = { data: owned ? data : Buffer.from(data) };
    const returned = client.receiveMode === 'return';
    if (returned) {
      this.countReceive(v, 1);
      // (only a receive the client returns is looked up again: the others add no weak entry to collect)
      this.receiveOwner.set(nbl, v);
    }
    this.indicateNbl(client, 'ProtocolCoReceiveNetBufferLists', v, nbl, returned ? 0 : NDIS_RECEIVE_FLAGS_RESOURCES);
    this.touch();
  }

  readonly receiveOwner = new WeakMap<NetBufferList, VcRec>();

  readonly drainWaiters = new Map<number, (() => void)[]>();

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

  info(v: VcRec, withParams = true): VcInfo {
    return {
      handle: v.h,
      creator: v.creator === 'cl' ? 'client' : 'call-manager',
      state: v.state,
      call: v.call,
      multipoint: v.multipoint,
      parties: [...v.parties.values()].map((p) => ({ handle: p.h, state: p.state, context: p.clCtx })),
      closeStatus: v.closeStatus,
      params: v.params && withParams ? cloneCallParameters(v.params) : undefined,
    };
  }
}
