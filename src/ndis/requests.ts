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
 *   const done = req.next('ProtocolClModifyCallQoSComplete', (i) => i.vcHandle === vc);
 *   const final = await req.settle(client.NdisClModifyCallQoS(vc, params), done);
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

export class ClientRequests {
  private readonly waiters: Waiter[] = [];
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
    // (plain properties on the promise: this runs several times per call, so no property descriptors here)
    const due = this.timer.now() + ms;
    const waiter = new Waiter(kind, pred as (i: ClIndication) => boolean, noop, noop, due, ms);
    const p = new Promise<ClIndication>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    }) as OpenWaiting;
    p.value = undefined;
    p.cancel = () => {
      this.remove(waiter);
    };
    waiter.out = p;
    this.waiters.push(waiter);
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
    const done = this.next('ProtocolClOpenAfCompleteEx', (i) => i.clientAfContext === ctx);
    const r = this.client.NdisClOpenAddressFamilyEx(af, ctx);
    const s = await this.settle(r.status, done);
    const afHandle = s.completion ? s.completion.afHandle : r.afHandle;
    return afHandle !== undefined ? { ...s, afHandle } : s;
  }

  async closeAf(afHandle: NdisAfHandle, ctx: Context): Promise<Settled<ClIndicationOf<'ProtocolClCloseAfComplete'>>> {
    const done = this.next('ProtocolClCloseAfComplete', (i) => i.clientAfContext === ctx);
    return this.settle(this.client.NdisClCloseAddressFamily(afHandle), done);
  }

  async registerSap(afHandle: NdisAfHandle, ctx: Context, sap: CoSap): Promise<Settled<ClIndicationOf<'ProtocolClRegisterSapComplete'>> & { sapHandle?: NdisSapHandle }> {
    const done = this.next('ProtocolClRegisterSapComplete', (i) => i.sapContext === ctx);
    const r = this.client.NdisClRegisterSap(afHandle, ctx, sap);
    const s = await this.settle(r.status, done);
    const sapHandle = s.completion ? s.completion.sapHandle : r.sapHandle;
    return sapHandle !== undefined ? { ...s, sapHandle } : s;
  }

  async deregisterSap(sapHandle: NdisSapHandle, ctx: Context): Promise<Settled<ClIndicationOf<'ProtocolClDeregisterSapComplete'>>> {
    const done = this.next('ProtocolClDeregisterSapComplete', (i) => i.sapContext === ctx);
    return this.settle(this.client.NdisClDeregisterSap(sapHandle), done);
  }

  async makeCall(
    vc: NdisVcHandle,
    params: CoCallParameters,
    partyCtx?: Context,
  ): Promise<Settled<ClIndicationOf<'ProtocolClMakeCallComplete'>> & { partyHandle?: NdisPartyHandle }> {
    const done = this.next('ProtocolClMakeCallComplete', (i) => i.vcHandle === vc);
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
      this.next('ProtocolClAddPartyComplete', (i) => i.partyHandle === r.partyHandle),
    );
    return r.partyHandle !== undefined ? { ...s, partyHandle: r.partyHandle } : s;
  }

  async dropParty(party: NdisPartyHandle, closeData?: Buffer): Promise<Settled<ClIndicationOf<'ProtocolClDropPartyComplete'>>> {
    const done = this.next('ProtocolClDropPartyComplete', (i) => i.partyHandle === party);
    return this.settle(this.client.NdisClDropParty(party, closeData), done);
  }

  async closeCall(vc: NdisVcHandle, party?: NdisPartyHandle, closeData?: Buffer): Promise<Settled<ClIndicationOf<'ProtocolClCloseCallComplete'>>> {
    const done = this.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc);
    return this.settle(this.client.NdisClCloseCall(vc, party, closeData), done);
  }

  /** send one buffer; every send completes, on a later turn, with its own status */
  async send(vc: NdisVcHandle, nbl: NetBufferList): Promise<NdisStatus> {
    const done = this.next('ProtocolCoSendNetBufferListsComplete', (i) => i.nbls.includes(nbl));
    this.client.NdisCoSendNetBufferLists(vc, [nbl]);
    const c = await done;
    return c.nbls.find((n) => n === nbl)?.status ?? S.SUCCESS;
  }

  /** fail every wait (the client is going away) */
  dispose(reason = new Error(`${this.client.name}: requests disposed`)): void {
    const ws = this.waiters.splice(0);
    this.timer.idle();
    this.unsubscribe();
    for (const w of ws) w.fail(reason);
  }

  private remove(w: Waiter): boolean {
    const k = this.waiters.indexOf(w);
    if (k < 0) return false;
    this.waiters.splice(k, 1);
    w.letGo();
    if (this.waiters.length === 0) this.ended();
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
    const ws = this.waiters;
    const due: Waiter[] = [];
    let next = Infinity;
    for (let k = 0; k < ws.length; k++) {
      const w = ws[k]!;
      if (w.due <= now) {
        ws.splice(k--, 1);
        due.push(w);
      } else if (w.due < next) next = w.due;
    }
    // (the timer is not armed again when this returns Infinity: only the subscription is left to drop)
    if (ws.length === 0) this.unsubscribe();
    for (const w of due) w.fail(this.opts.timeoutError?.(w.kind, w.ms) ?? new Error(`${this.client.name}: no ${w.kind} within ${w.ms} ms`));
    return next;
  }

  private dispatch(i: ClIndication): void {
    const ws = this.waiters;
    for (let k = 0; k < ws.length; k++) {
      const w = ws[k]!;
      if (w.kind !== i.kind) continue;
      let hit: boolean;
      try {
        hit = w.pred(i);
      } catch (e) {
        ws.splice(k--, 1);
        w.fail(e);
        continue;
      }
      if (!hit) continue;
      ws.splice(k--, 1);
      w.fulfil(i);
    }
    if (ws.length === 0) this.ended();
  }
}
