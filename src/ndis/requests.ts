/**
 * Promises over an NdisClient: the one way, for the daemon's backend, the
 * in-process driver and the tests, to wait for what a request that may return
 * PENDING finally completes with.
 *
 * A CoNDIS request returns a final status, or PENDING and later the request's
 * completion indication (ProtocolClMakeCallComplete ...). NDIS delivers every
 * completion on a later turn than the request (docs/conformance.md, R5), so a
 * wait armed right after the request never misses it. The pattern:
 *
 *   const req = new ClientRequests(client);
 *   const r = await req.makeCall(vc, params);   // { status, returned, completion?, partyHandle? }
 *
 * or, for a request this module has no shorthand for:
 *
 *   const done = req.completionOf('ProtocolClModifyCallQoSComplete', vc);
 *   const final = await req.settle(client.NdisClModifyCallQoS(vc, params), done);
 *
 * A completion is awaited by what it answers for (`completionOf(kind, key)`: the
 * context or handle the request named), so that one completion finds its wait at
 * once however many requests are outstanding; `next(kind, pred)` waits for any
 * indication, trying `pred` on each of its kind.
 *
 * One subscription to the client's indications serves every wait, and one timer
 * their timeouts (src/common/deadline-timer.ts), on the injected scheduler (one
 * clock for the whole stack); on the real clock it holds the process only while
 * a wait is open, and the subscription outlives the last wait until the timer's
 * last deadline has passed (see `ended`).
 */
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { deadlineTimer, type DeadlineTimer } from '../common/deadline-timer.js';
import type { NdisClient } from './ndis.js';
import type { ClIndication, ClIndicationKind, ClIndicationOf, Context } from './indications.js';
import { NdisStatus } from './status.js';
import type { CoAddressFamily, CoCallParameters, CoSap, NdisAfHandle, NdisPartyHandle, NdisSapHandle, NdisVcHandle, NetBufferList } from './types.js';

const S = NdisStatus;
const noop = (): void => {};
const never = (): boolean => false;
const always = (): boolean => true;

/** a wait for one indication: a promise that can be dropped */
export interface Waiting<T> extends Promise<T> {
  /** stop waiting (the request finished at once): no waiter and no timer is left behind */
  cancel(): void;
  /** the indication, once it came (for callers that drive a virtual clock themselves) */
  readonly value: T | undefined;
}

/** a request's outcome: the status it returned, and the final one (its completion's when it pended) */
export interface Settled<C> {
  /** what the request returned (PENDING, or a final status) */
  returned: NdisStatus;
  /** the final status */
  status: NdisStatus;
  /** the completion indication, when the request pended */
  completion?: C;
}

export interface ClientRequestsOptions {
  /** how long a wait may take before it fails; default 15 s */
  timeoutMs?: number;
  /** the clock for the timeouts; default the real one (asyncScheduler) */
  scheduler?: SchedulerLike;
  /** the error a timed-out wait fails with (default: an Error naming the client and the indication) */
  timeoutError?: (kind: ClIndicationKind, ms: number) => Error;
}

/** a Waiting as this module fills it in */
type OpenWaiting = Promise<ClIndication> & { cancel(): void; value: ClIndication | undefined };

/**
 * One open wait. A class, not an object literal: V8 tracks each literal's allocation site and may
 * decide to allocate all of a site's objects in the old generation (pretenuring), and an old waiter
 * that has died keeps what it points to (its promise and everything that promise's reactions reach)
 * alive through every scavenge until the next major collection (docs/architecture.md, "Garbage").
 * `letGo()` drops those references as soon as the wait ends, so a waiter that is already old holds
 * nothing young either.
 */
class Waiter {
  out: OpenWaiting | undefined = undefined;

  constructor(
    readonly kind: ClIndicationKind,
    public pred: (i: ClIndication) => boolean,
    public resolve: (i: ClIndication) => void,
    public reject: (e: unknown) => void,
    /** when it times out, on the timer's clock */
    readonly due: number,
    readonly ms: number,
    /** looked up by what the awaited completion answers for (`key`, KEYS), not tried on every indication of its kind */
    readonly keyed: boolean,
    readonly key: unknown,
    /** arming order: the waits one indication ends are ended in it */
    readonly seq: number,
  ) {}

  /** the wait ends with `i` */
  fulfil(i: ClIndication): void {
    const resolve = this.resolve;
    if (this.out) this.out.value = i;
    this.letGo();
    resolve(i);
  }

  /** the wait ends in failure */
  fail(e: unknown): void {
    const reject = this.reject;
    this.letGo();
    reject(e);
  }

  /** the wait is over: nothing it pointed to is kept by it any longer */
  letGo(): void {
    this.pred = never;
    this.resolve = noop;
    this.reject = noop;
    this.out = undefined;
  }
}

/**
 * What each completion answers for: the context or handle its request named (for a send completion,
 * each NBL of its chain). A wait armed with that key is looked up by it when the completion comes,
 * instead of every open wait being tried: a program may have thousands of requests outstanding.
 */
const KEYS = {
  ProtocolClOpenAfCompleteEx: (i) => i.clientAfContext,
  ProtocolClCloseAfComplete: (i) => i.clientAfContext,
  ProtocolClRegisterSapComplete: (i) => i.sapContext,
  ProtocolClDeregisterSapComplete: (i) => i.sapContext,
  ProtocolClMakeCallComplete: (i) => i.vcHandle,
  ProtocolClAddPartyComplete: (i) => i.partyHandle,
  ProtocolClDropPartyComplete: (i) => i.partyHandle,
  ProtocolClCloseCallComplete: (i) => i.vcHandle,
  ProtocolClModifyCallQoSComplete: (i) => i.vcHandle,
  ProtocolCoSendNetBufferListsComplete: (i) => i.nbls,
} satisfies { [K in ClIndicationKind]?: (i: ClIndicationOf<K>) => unknown };
/** the completions a wait can name by key (ClientRequests.completionOf) */
export type CompletionKind = keyof typeof KEYS;

/** the kinds whose key is a list (each element a key of its own) */
const LISTED: ReadonlySet<ClIndicationKind> = new Set(['ProtocolCoSendNetBufferListsComplete']);

export class ClientRequests {
  /** open waits with a key: kind -> key -> waits (in arming order) */
  private readonly keyed = new Map<ClIndicationKind, Map<unknown, Waiter[]>>();
  /** open waits without one: kind -> waits (in arming order) */
  private readonly loose = new Map<ClIndicationKind, Waiter[]>();
  private open = 0;
  private seq = 0;
  private sub?: Subscription;
  private readonly timeoutMs: number;
  private readonly timer: DeadlineTimer;

  constructor(
    readonly client: NdisClient,
    private readonly opts: ClientRequestsOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.timer = deadlineTimer(opts.scheduler ?? asyncScheduler, (now) => this.timeOut(now));
  }

  /** the next indication of `kind` (matching `pred`) from now on */
  next<K extends ClIndicationKind>(kind: K, pred: (i: ClIndicationOf<K>) => boolean = () => true, ms = this.timeoutMs): Waiting<ClIndicationOf<K>> {
    return this.arm(kind, pred as (i: ClIndication) => boolean, ms, false, undefined);
  }

  /**
   * the completion of `kind` that answers for `key`: the context or handle its request named (for a
   * send completion, the NBL). Found by that key when it comes, however many other waits are open.
   */
  completionOf<K extends CompletionKind>(kind: K, key: unknown, ms = this.timeoutMs): Waiting<ClIndicationOf<K>> {
    return this.arm(kind, always, ms, true, key);
  }

  private arm<K extends ClIndicationKind>(kind: K, pred: (i: ClIndication) => boolean, ms: number, keyed: boolean, key: unknown): Waiting<ClIndicationOf<K>> {
    // (plain properties on the promise: this runs several times per call, so no property descriptors here)
    const due = this.timer.now() + ms;
    const waiter = new Waiter(kind, pred, noop, noop, due, ms, keyed, key, this.seq++);
    const p = new Promise<ClIndication>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    }) as OpenWaiting;
    p.value = undefined;
    p.cancel = () => {
      this.remove(waiter);
    };
    waiter.out = p;
    this.listOf(waiter, true)!.push(waiter);
    this.open++;
    this.timer.need(due);
    this.sub ??= this.client.indications$.subscribe((i) => this.dispatch(i));
    // a wait nobody ends up awaiting (the request finished at once) must not become an unhandled rejection
    p.catch(noop);
    return p as unknown as Waiting<ClIndicationOf<K>>;
  }

  /** the final outcome of a request that returned `returned`, with `done` armed for its completion */
  async settle<C extends { status: NdisStatus }>(returned: NdisStatus, done: Waiting<C>): Promise<Settled<C>> {
    if (returned !== S.PENDING) {
      done.cancel();
      return { returned, status: returned };
    }
    const completion = await done;
    return { returned, status: completion.status, completion };
  }

  // ---- the requests that may pend ---------------------------------------------

  async openAf(af: CoAddressFamily, ctx: Context): Promise<Settled<ClIndicationOf<'ProtocolClOpenAfCompleteEx'>> & { afHandle?: NdisAfHandle }> {
    const done = this.completionOf('ProtocolClOpenAfCompleteEx', ctx);
    const r = this.client.NdisClOpenAddressFamilyEx(af, ctx);
    const s = await this.settle(r.status, done);
    const afHandle = s.completion ? s.completion.afHandle : r.afHandle;
    return afHandle !== undefined ? { ...s, afHandle } : s;
  }

  async closeAf(afHandle: NdisAfHandle, ctx: Context): Promise<Settled<ClIndicationOf<'ProtocolClCloseAfComplete'>>> {
    const done = this.completionOf('ProtocolClCloseAfComplete', ctx);
    return this.settle(this.client.NdisClCloseAddressFamily(afHandle), done);
  }

  async registerSap(afHandle: NdisAfHandle, ctx: Context, sap: CoSap): Promise<Settled<ClIndicationOf<'ProtocolClRegisterSapComplete'>> & { sapHandle?: NdisSapHandle }> {
    const done = this.completionOf('ProtocolClRegisterSapComplete', ctx);
    const r = this.client.NdisClRegisterSap(afHandle, ctx, sap);
    const s = await this.settle(r.status, done);
    const sapHandle = s.completion ? s.completion.sapHandle : r.sapHandle;
    return sapHandle !== undefined ? { ...s, sapHandle } : s;
  }

  async deregisterSap(sapHandle: NdisSapHandle, ctx: Context): Promise<Settled<ClIndicationOf<'ProtocolClDeregisterSapComplete'>>> {
    const done = this.completionOf('ProtocolClDeregisterSapComplete', ctx);
    return this.settle(this.client.NdisClDeregisterSap(sapHandle), done);
  }

  async makeCall(
    vc: NdisVcHandle,
    params: CoCallParameters,
    partyCtx?: Context,
  ): Promise<Settled<ClIndicationOf<'ProtocolClMakeCallComplete'>> & { partyHandle?: NdisPartyHandle }> {
    const done = this.completionOf('ProtocolClMakeCallComplete', vc);
    const r = this.client.NdisClMakeCall(vc, params, partyCtx);
    const s = await this.settle(r.status, done);
    const partyHandle = s.completion ? s.completion.partyHandle : r.partyHandle;
    return partyHandle !== undefined ? { ...s, partyHandle } : s;
  }

  /** add a party; `partyHandle` is the party's (also when the add failed after pending) */
  async addParty(vc: NdisVcHandle, ctx: Context, params: CoCallParameters): Promise<Settled<ClIndicationOf<'ProtocolClAddPartyComplete'>> & { partyHandle?: NdisPartyHandle }> {
    const r = this.client.NdisClAddParty(vc, ctx, params);
    // the party handle is known only now: the completion comes on a later turn, so arming here is in time
    const s = await this.settle(
      r.status,
      this.completionOf('ProtocolClAddPartyComplete', r.partyHandle),
    );
    return r.partyHandle !== undefined ? { ...s, partyHandle: r.partyHandle } : s;
  }

  async dropParty(party: NdisPartyHandle, closeData?: Buffer): Promise<Settled<ClIndicationOf<'ProtocolClDropPartyComplete'>>> {
    const done = this.completionOf('ProtocolClDropPartyComplete', party);
    return this.settle(this.client.NdisClDropParty(party, closeData), done);
  }

  async closeCall(vc: NdisVcHandle, party?: NdisPartyHandle, closeData?: Buffer): Promise<Settled<ClIndicationOf<'ProtocolClCloseCallComplete'>>> {
    const done = this.completionOf('ProtocolClCloseCallComplete', vc);
    return this.settle(this.client.NdisClCloseCall(vc, party, closeData), done);
  }

  /** send one buffer; every send completes, on a later turn, with its own status */
  async send(vc: NdisVcHandle, nbl: NetBufferList): Promise<NdisStatus> {
    const done = this.completionOf('ProtocolCoSendNetBufferListsComplete', nbl);
    this.client.NdisCoSendNetBufferLists(vc, [nbl]);
    const c = await done;
    return c.nbls.find((n) => n === nbl)?.status ?? S.SUCCESS;
  }

  /** fail every wait (the client is going away) */
  dispose(reason = new Error(`${this.client.name}: requests disposed`)): void {
    const ws = this.all();
    this.keyed.clear();
    this.loose.clear();
    this.open = 0;
    this.timer.idle();
    this.unsubscribe();
    for (const w of ws) w.fail(reason);
  }

  /** every open wait, in arming order */
  private all(): Waiter[] {
    const ws = [...this.loose.values()].flat();
    for (const byKey of this.keyed.values()) for (const list of byKey.values()) ws.push(...list);
    return ws.sort((a, b) => a.seq - b.seq);
  }

  /** the list a wait is (or goes) in */
  private listOf(w: Waiter, make = false): Waiter[] | undefined {
    if (!w.keyed) {
      let list = this.loose.get(w.kind);
      if (!list && make) this.loose.set(w.kind, (list = []));
      return list;
    }
    let byKey = this.keyed.get(w.kind);
    if (!byKey && make) this.keyed.set(w.kind, (byKey = new Map()));
    let list = byKey?.get(w.key);
    if (!list && make) byKey!.set(w.key, (list = []));
    return list;
  }

  /** take an open wait out of its list (false: it was not open) */
  private unlist(w: Waiter): boolean {
    const list = this.listOf(w);
    const k = list ? list.indexOf(w) : -1;
    if (k < 0) return false;
    list!.splice(k, 1);
    if (list!.length === 0) {
      if (!w.keyed) this.loose.delete(w.kind);
      else {
        const byKey = this.keyed.get(w.kind)!;
        byKey.delete(w.key);
        if (byKey.size === 0) this.keyed.delete(w.kind);
      }
    }
    this.open--;
    return true;
  }

  private remove(w: Waiter): boolean {
    if (!this.unlist(w)) return false;
    w.letGo();
    if (this.open === 0) this.ended();
    return true;
  }

  /**
   * No wait is open: the timer goes idle. The subscription goes with it, unless the timer lingers (the
   * real clock): then it is kept until the timer's last deadline, when the sweep finds no wait, so that
   * the waits a client opens and ends several times a call do not subscribe and unsubscribe each time,
   * and an abandoned ClientRequests is let go of within one timeout.
   */
  private ended(): void {
    if (!this.timer.lingers) this.unsubscribe();
    this.timer.idle();
  }

  private unsubscribe(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
  }

  /** (the timer's sweep) fail the waits due at `now`; the earliest deadline left */
  private timeOut(now: number): number {
    const due: Waiter[] = [];
    let next = Infinity;
    for (const w of this.all()) {
      if (w.due <= now) {
        this.unlist(w);
        due.push(w);
      } else if (w.due < next) next = w.due;
    }
    // (the timer is not armed again when this returns Infinity: only the subscription is left to drop)
    if (this.open === 0) this.unsubscribe();
    for (const w of due) w.fail(this.opts.timeoutError?.(w.kind, w.ms) ?? new Error(`${this.client.name}: no ${w.kind} within ${w.ms} ms`));
    return next;
  }

  private dispatch(i: ClIndication): void {
    const byKey = this.keyed.get(i.kind);
    const loose = this.loose.get(i.kind);
    // (most indications, received data among them, have no wait of their kind: nothing is made for them)
    if (byKey || loose) this.endWaits(i, byKey, loose);
    if (this.open === 0) this.ended();
  }

  /** end the waits `i` matches, in arming order: those armed with the key it answers for, and those without a key */
  private endWaits(i: ClIndication, byKey: Map<unknown, Waiter[]> | undefined, loose: Waiter[] | undefined): void {
    const candidates: Waiter[] = [];
    let lists = 0;
    const take = (list: Waiter[] | undefined): void => {
      if (!list) return;
      candidates.push(...list);
      lists++;
    };
    if (byKey) {
      const key = (KEYS[i.kind as CompletionKind] as (i: ClIndication) => unknown)(i);
      if (LISTED.has(i.kind)) for (const k of key as unknown[]) take(byKey.get(k));
      else take(byKey.get(key));
    }
    take(loose);
    if (lists > 1) candidates.sort((a, b) => a.seq - b.seq);
    for (const w of candidates) {
      let hit: boolean;
      try {
        hit = w.pred(i);
      } catch (e) {
        if (this.unlist(w)) w.fail(e);
        continue;
      }
      // (a predicate may have ended another wait of this list meanwhile)
      if (!hit || !this.unlist(w)) continue;
      w.fulfil(i);
    }
  }
}
