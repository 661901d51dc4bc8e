/**
 * NDIS for connection-oriented drivers: the broker between clients (CL), one
 * call manager (CM or MCM) and the miniport data path. It allocates every
 * handle, keeps the AF/SAP/VC/party bookkeeping and the state machines of
 * src/ndis/machines.ts, validates every request against them (a request in the wrong
 * state returns its status and changes nothing), routes each call to the
 * other side, and delivers every completion and indication to clients on a
 * later scheduler turn, in order (R5).
 *
 * Three files, one job each: `records.ts` (the shared records and their
 * guarded transitions, the delivery queue, counters, receive side),
 * `client-side.ts` (the client's requests and its `NdisClient` facade) and
 * `cm-side.ts` (the call manager's functions). `NdisHost` here binds them for
 * one adapter.
 */
import { Observable, Subject, defer, type Subscription } from 'rxjs';
import type { CallManagerHandlers, CallManagerShape, NdisCmApi, NdisMcmApi } from './cm-interface.js';
import type { NdisDataPath } from './datapath.js';
import { ClientSide, NdisClient } from './client-side.js';
import { CmSide } from './cm-side.js';
import { statusName } from './status.js';
import type { NdisAfHandle, NdisVcHandle } from './types.js';
import {
  NdisCore,
  NdisProtocolError,
  type ClientOptions,
  type ClientRec,
  type NdisCounters,
  type NdisHostOptions,
  type NdisTraceEntry,
  type VcInfo,
} from './records.js';

export type { VcState, CallState, PartyState, NdisCounters, VcInfo, NdisTraceEntry, NdisHostOptions, ClientOptions } from './records.js';
export { NdisProtocolError, NdisClient };

export class NdisHost {
  readonly name: string;
  readonly dataPath: NdisDataPath;
  private readonly core: NdisCore;
  private readonly clientSide: ClientSide;
  private readonly cmSide: CmSide;
  private readonly rxSub: Subscription;
  /** every Ndis(M)Cm* call of the call manager and every ProtocolCm* call into it, synchronously, in order (for logs and tests) */
  readonly trace$: Observable<NdisTraceEntry>;

  constructor(opts: NdisHostOptions) {
    this.core = new NdisCore(opts);
    this.clientSide = new ClientSide(this.core);
    this.cmSide = new CmSide(this.core);
    this.name = this.core.name;
    this.dataPath = this.core.dataPath;
    // NDIS's calls into its call manager go through the tracing Proxy only while someone watches: its
    // trap on every Protocol* call was 1-2% of a call cycle
    this.trace$ = new Observable<NdisTraceEntry>((sub) => {
      const s = this.core.trace$$.subscribe(sub);
      if (this.tracers++ === 0) this.traceCalls(true);
      return () => {
        s.unsubscribe();
        if (--this.tracers === 0) this.traceCalls(false);
      };
    });
    this.rxSub = this.dataPath.receive$.subscribe((r) => this.core.onReceive(r.path, r.data, r.vc, r.owned));
  }

  /** sends the call manager made on its signalling VC (R92) */
  get cmSignallingSends(): number {
    return this.core.cmSignallingSends;
  }

  /** live counters; emits whenever one changes (each request costs the same however many VCs there are) */
  get counters$(): Observable<NdisCounters> {
    // (touch() leaves the subject as it is while nobody listens: bring it up to date for the new listener)
    return defer(() => {
      this.core.touch(true);
      return this.core.counters$$;
    });
  }

  /** the counters counted now, walking every VC (for a status query; counters$ keeps them as they change) */
  counters(): NdisCounters {
    return this.core.computeCounters();
  }

  /** true while some completion or indication still waits for its turn */
  get busy(): boolean {
    return this.core.deferred.size > 0;
  }

  registerClient(opts: ClientOptions): NdisClient {
    const core = this.core;
    const rec: ClientRec = {
      id: core.nextClient++,
      name: opts.name,
      handlers: opts.handlers ?? {},
      ind$: new Subject(),
      receiveMode: opts.receiveMode ?? 'resources',
      afs: new Set(),
    };
    core.clients.add(rec);
    for (const af of core.registeredAfs) core.indicate(rec, { kind: 'ProtocolCoAfRegisterNotify', addressFamily: { ...af } });
    return new NdisClient(this.clientSide, rec);
  }

  /** bind a stand-alone call manager (shape 'cm') or an integrated miniport call manager ('mcm') */
  registerCallManager(handlers: CallManagerHandlers, shape: 'cm'): NdisCmApi;
  registerCallManager(handlers: CallManagerHandlers, shape: 'mcm'): NdisMcmApi;
  registerCallManager(handlers: CallManagerHandlers, shape: CallManagerShape): NdisCmApi | NdisMcmApi {
    if (this.core.cm) throw new NdisProtocolError('a call manager is already bound to this adapter');
    const trace = this.core.trace$$;
    const record = (fn: string, call: (...a: unknown[]) => unknown, self: unknown, args: unknown[]): unknown => {
      const entry: NdisTraceEntry = { fn, args };
      trace.next(entry);
      const result = call.apply(self, args);
      entry.result = result;
      return result;
    };
    // NDIS -> call manager: while traced, a Proxy whose Protocol* members record the call (one wrapper per
    // handler name, made on first use; it looks the handler up when called)
    const wrappers = new Map<string, (...args: unknown[]) => unknown>();
    const traced = new Proxy(handlers, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv) as unknown;
        if (typeof v !== 'function' || typeof prop !== 'string' || !prop.startsWith('Protocol')) return v;
        let w = wrappers.get(prop);
        if (!w) {
          w = (...args: unknown[]) => record(prop, Reflect.get(target, prop) as (...a: unknown[]) => unknown, target, args);
          wrappers.set(prop, w);
        }
        return w;
      },
    });
    this.core.cm = { handlers, shape };
    this.traceCalls = (on) => {
      this.core.cm!.handlers = on ? traced : handlers;
    };
    if (this.tracers > 0) this.traceCalls(true);
    // call manager -> NDIS: the call manager keeps these functions (not the object), so each checks for
    // itself (a rest-and-spread pass-through is one call in optimised code; the Proxy above was not)
    const api: Record<string, (...a: unknown[]) => unknown> = (shape === 'cm' ? this.cmSide.cmApi() : this.cmSide.mcmApi()) as never;
    for (const k of Object.keys(api)) {
      const f = api[k]!;
      api[k] = (...args: unknown[]) => (trace.observed ? record(k, f, undefined, args) : f(...args));
    }
    return api as never;
  }

  /** how many watch trace$ */
  private tracers = 0;
  /** switch NDIS's calls into its call manager to the recording Proxy and back (set once one is bound) */
  private traceCalls: (on: boolean) => void = () => {};

  get callManagerShape(): CallManagerShape | undefined {
    return this.core.cm?.shape;
  }

  /** the context the call manager gave for this VC (CallMgrVcContext), if the VC exists */
  callMgrVcContext(vc: NdisVcHandle): unknown {
    return this.core.vcs.get(vc)?.cmCtx;
  }

  /**
   * Undefined when no receive indicated on the VC is still with its client;
   * otherwise a promise that settles once the client returned them all (R20).
   * An integrated call manager waits for it before it stops its miniport half.
   */
  receivesReturned(vc: NdisVcHandle): Promise<void> | undefined {
    return this.core.receivesReturned(vc);
  }

  /** a read-only view of every VC (for status displays and tests) */
  snapshot(): { vcs: (VcInfo & { client: string | undefined; signalling: boolean })[]; afs: { handle: NdisAfHandle; client: string; state: string }[] } {
    const core = this.core;
    return {
      vcs: [...core.vcs.values()].map((v) => ({ ...core.info(v), client: v.af?.client.name, signalling: v.signalling })),
      afs: [...core.afs.values()].map((a) => ({ handle: a.h, client: a.client.name, state: a.state })),
    };
  }

  dispose(): void {
    this.rxSub.unsubscribe();
    for (const c of this.core.clients) c.ind$.complete();
    this.core.counters$$.complete();
    this.core.trace$$.complete();
  }
}

export { statusName };
