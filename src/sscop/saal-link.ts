/**
 * The SAAL link: SSCOP (machine.ts) and SSCF-UNI (sscf.ts) wired between
 * received PDUs and Q.2931, with its timers on an injectable scheduler
 * (one TimerQueue per link: SSCOP restarts a timer for nearly every PDU, and
 * a restart is then an entry in the queue, not a scheduler action and an
 * interval timer of its own). The two machines stay pure; this file owns the
 * only mutable state: the current machine states, the running timers and the
 * counters.
 *
 * Events are processed strictly one at a time, in order of arrival (run to
 * completion, src/common/run-queue.ts): a `send` that loops straight back into
 * this link, or a subscriber that calls `data()` while handling a signal, only
 * queues its event behind the one being processed.
 *
 * The one queue holds four kinds of work: an SSCOP event (a PDU, a timer),
 * an SSCF request from above (AAL-*.request), an SSCOP signal on its way up
 * to SSCF ('up') and an SSCF request on its way down to SSCOP ('down'). An
 * 'up' item hands the signal to the subscriber of `sscop(link)` when there is
 * one (operators.ts: the signal then goes along the operator chain, and
 * `sscf(link)` steps SSCF on it within that same item), else to this link's
 * SSCF directly; either way SSCF steps at the same place in the queue. A
 * 'down' item does the same the other way: to the subscriber of
 * `sscfDown(link)` when there is one (`sscopDown(link)` steps SSCOP on it
 * within that item), else to SSCOP directly.
 *
 * The PDUs SSCOP sends leave through `send`, given when the link is made: the
 * link's path to the wire exists before the link can send anything (a mux
 * asks for each link's path with `pathTo` before it makes the link).
 */
import { Observable, Subject, asyncScheduler, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import type { SaalService, SaalSignal } from './service.js';
import { emitPdu, parsePdu, type PduLimits } from './pdu.js';
import {
  initialSscopState,
  sscopParams,
  sscopQueued,
  sscopStep,
  SSCOP_TIMERS,
  type MaaErrorCode,
  type SscopEvent,
  type SscopParams,
  type SscopSignal,
  type SscopState,
  type SscopStateName,
  type SscopTimer,
} from './machine.js';
import { copyState } from './state.js';
import { RunQueue } from '../common/run-queue.js';
import { TimerQueue, type QueuedTimer } from '../common/timer-queue.js';
import { initialSscfState, sscfStep, type SscfEvent, type SscfState, type SscfStateName } from './sscf.js';

export interface SaalLinkOptions {
  /**
   * send one SSCOP PDU to the peer (the AAL5 SDU for VCI 5): the head of the
   * link's path to the wire, there before the link exists; must not throw (a
   * throw counts the PDU as lost, `sendErrors`)
   */
  send(pdu: Buffer): void;
  /** where timers run; default `asyncScheduler` (tests pass a virtual-time scheduler) */
  scheduler?: SchedulerLike;
  params?: Partial<SscopParams>;
  /** for logs and counters, e.g. the peer MAC */
  name?: string;
  /**
   * initial VT(SQ) (connection sequence, 8 bits); default random, so that after a restart
   * our first BGN is not mistaken for a retransmission by a peer that still has the old link
   */
  initialSequence?: number;
}

export interface SaalLinkCounters {
  name: string;
  /** SSCOP state name (Q.2110) and SSCF-UNI state */
  state: SscopStateName;
  sscfState: SscfStateName;
  /** PDUs received / sent, by PDU type name */
  pdusIn: Record<string, number>;
  pdusOut: Record<string, number>;
  /** retransmitted SDs (after STAT / USTAT) */
  sdRetransmissions: number;
  /** retransmitted BGN / END / RS / ER (Timer_CC expiries) */
  ccRetransmissions: number;
  /** PDUs whose send callback threw (counted as lost) */
  sendErrors: number;
  /** MAA-ERROR indications by code letter; V counts SDs to retransmit, not reports */
  maaErrors: Partial<Record<MaaErrorCode, number>>;
  /** received PDUs that failed to decode, by decode error code */
  drops: Record<string, number>;
  /** PDUs and SDUs dropped without a protocol error, by reason (stale, duplicate, cleared buffers, ...) */
  discards: Record<string, number>;
  /** SDUs delivered up (AAL-DATA.indication) and accepted from above (AAL-DATA.request) */
  sdusDelivered: number;
  sdusAccepted: number;
  /** SDUs not yet sent (SSCF hold queue + SSCOP transmission queue) */
  queuedSdus: number;
  /** SDUs sent but not acknowledged */
  unacknowledgedSdus: number;
  /** SDUs received out of order, waiting for a gap to fill */
  outOfOrderSdus: number;
  runningTimers: SscopTimer[];
}

export interface SaalLink extends SaalService {
  readonly name: string;
  /**
   * feed one received SSCOP PDU (the AAL5 SDU from VCI 5); never throws. The buffer is handed
   * over: the link keeps views of it (an SD's message until it is delivered), so the caller must
   * not change it afterwards (the router passes a frame the miniport handed over, or a copy)
   */
  receive(pdu: Buffer): void;
  /** the SSCOP state, by its Q.2110 name */
  readonly state: SscopStateName;
  readonly sscfState: SscfStateName;
  /** the parameters in force */
  readonly params: Readonly<SscopParams>;
  /**
   * Change parameters; Q.2110 allows this only while the connection is Idle.
   * Returns false (and changes nothing) in any other state; throws a RangeError for invalid values.
   */
  configure(params: Partial<SscopParams>): boolean;
  /** feed every PDU of `pdus$` to `receive` (the RxJS way in); unsubscribe to detach */
  attach(pdus$: Observable<Buffer>): Subscription;
  /** the SSCOP state each time it changes (what a shutdown waits on, instead of polling `state`) */
  readonly state$: Observable<SscopStateName>;
  /** MAA-ERROR indications as they happen (layer management) */
  readonly maaErrors$: Observable<{ code: MaaErrorCode; count?: number }>;
  counters(): SaalLinkCounters;
  /** where the operators sscop(link) and sscf(link) (operators.ts) plug in; not for other use */
  readonly layers: SaalLayerPorts;
  /** stop every timer, complete signals$ (and the outputs of the attached operators); the link ignores everything afterwards */
  dispose(): void;
}

/** a request from above to SSCF (AAL-*.request): what the UNI's calls on the SAAL service are */
export type SaalRequest = Exclude<SscfEvent, { kind: 'sscop' }>;
/** a request from SSCF to SSCOP (AA-*.request / response) */
export type SscopRequest = Exclude<SscopEvent, { kind: 'pdu' | 'bad-pdu' | 'timer' }>;

/**
 * The places where one layer of a link hands to the next, for the operators
 * that make the layers a pipeline (operators.ts): up, SSCOP to SSCF; down, the
 * UNI to SSCF and SSCF to SSCOP. One subscriber of each at a time.
 */
export interface SaalLayerPorts {
  /**
   * While attached, SSCOP's signals go to `up` instead of straight to this
   * link's SSCF (whoever takes them hands them on with `fromSscop`); returns
   * the detach. Throws when another is attached.
   */
  sscopTo(up: Subscriber<SscopSignal>): () => void;
  /** while attached, each SaalSignal goes to `up`, then to signals$; returns the detach; throws when another is attached */
  sscfTo(up: Subscriber<SaalSignal>): () => void;
  /**
   * One SSCOP signal for SSCF: stepped at once when it is the signal SSCOP is
   * handing up right now (its place in the queue), else queued like any event.
   */
  fromSscop(signal: SscopSignal): void;
  /** one request from above for SSCF, queued as SaalService's calls queue it (a data request of a disposed link is ignored) */
  toSscf(request: SaalRequest): void;
  /**
   * While attached, SSCF's requests to SSCOP go to `down` instead of straight
   * to this link's SSCOP (whoever takes them hands them on with `fromSscf`);
   * returns the detach. Throws when another is attached.
   */
  sscfDownTo(down: Subscriber<SscopRequest>): () => void;
  /**
   * One request for SSCOP: stepped at once when it is the request SSCF is
   * handing down right now (its place in the queue), else queued like any event.
   */
  fromSscf(request: SscopRequest): void;
}

/** an SSCOP signal as SSCF's event: made once, when SSCOP signals, and stepped as it is */
type FromSscop = Extract<SscfEvent, { kind: 'sscop' }>;

type Work = { layer: 'sscop'; event: SscopEvent } | { layer: 'sscf'; event: SscfEvent } | { layer: 'up'; event: FromSscop } | { layer: 'down'; event: SscopRequest };

const bump = (r: Record<string, number>, k: string, n = 1) => {
  r[k] = (r[k] ?? 0) + n;
};

export function createSaalLink(opts: SaalLinkOptions): SaalLink {
  let params = sscopParams(opts.params);
  const scheduler = opts.scheduler ?? asyncScheduler;
  const name = opts.name ?? 'saal';
  let limits: PduLimits = { maxK: params.maxK, maxJ: params.maxJ, maxStat: params.maxSTAT };
  const signals = new Subject<SaalSignal>();
  const maa = new Subject<{ code: MaaErrorCode; count?: number }>();
  const states = new Subject<SscopStateName>();
  // 0..254, so the first BGN never carries N(SQ) 0: a fresh peer's VR(SQ) is 0 and it would
  // take that BGN for a retransmission of one it refused
  let sscop: SscopState = initialSscopState(params, opts.initialSequence ?? params.initialSequence ?? Math.floor(Math.random() * 255));
  let sscf: SscfState = initialSscfState();
  let disposed = false;
  const timerQueue = new TimerQueue(scheduler);
  // the running timer of each name: a field each, not a Map (a Map every SD adds to and deletes from
  // has V8 replace its hash table over and over; src/common/number-map.ts says what that costs)
  const timers = Object.fromEntries(SSCOP_TIMERS.map((t) => [t, undefined])) as Record<SscopTimer, QueuedTimer | undefined>;
  // every event, from outside or from the other machine, goes through one run-to-completion queue
  const inbox = new RunQueue<Work>((w) => {
    switch (w.layer) {
      case 'sscop':
        return runSscop(w.event);
      case 'up':
        return runUp(w.event);
      case 'down':
        return runDown(w.event);
      default:
        return runSscf(w.event);
    }
  });
  const post = (w: Work): void => inbox.post(w);
  // the operators' subscribers (operators.ts), while attached
  let sscopUp: Subscriber<SscopSignal> | undefined;
  let sscfUp: Subscriber<SaalSignal> | undefined;
  // the SSCOP signal an 'up' item is handing to sscopUp, until SSCF takes it
  let handingUp: FromSscop | undefined;
  // the operator's subscriber SSCF's requests go down to (operators.ts), while attached, and the request a 'down' item is handing it
  let sscfDown: Subscriber<SscopRequest> | undefined;
  let handingDown: SscopRequest | undefined;

  const c = {
    pdusIn: {} as Record<string, number>,
    pdusOut: {} as Record<string, number>,
    sdRetransmissions: 0,
    ccRetransmissions: 0,
    maaErrors: {} as Record<string, number>,
    drops: {} as Record<string, number>,
    discards: {} as Record<string, number>,
    sdusDelivered: 0,
    sdusAccepted: 0,
    sendErrors: 0,
  };

  function startTimer(t: SscopTimer, ms: number): void {
    if (disposed) return; // (disposed from inside a callback while this step still runs)
    timers[t]?.cancel();
    timers[t] = undefined;
    let fired = false;
    let entry: QueuedTimer | undefined = undefined;
    entry = timerQueue.start(ms, () => {
      fired = true;
      if (entry && timers[t] === entry) timers[t] = undefined;
      post({ layer: 'sscop', event: { kind: 'timer', timer: t } });
    });
    // (a synchronous scheduler may already have fired it)
    if (!fired) timers[t] = entry;
  }

  function stopTimer(t: SscopTimer): void {
    timers[t]?.cancel();
    timers[t] = undefined;
  }

  function runSscop(event: SscopEvent): void {
    const r = sscopStep(sscop, event);
    const was = sscop.name;
    sscop = r.state;
    if (sscop.name !== was) states.next(sscop.name);
    for (const e of r.effects) {
      switch (e.kind) {
        case 'send': {
          bump(c.pdusOut, e.pdu.type);
          if (e.retransmission) {
            if (e.pdu.type === 'SD') c.sdRetransmissions++;
            else c.ccRetransmissions++;
          }
          try {
            opts.send(emitPdu(e.pdu));
          } catch {
            // the contract says send never throws; if it does, the PDU counts as lost on the wire
            c.sendErrors++;
          }
          break;
        }
        case 'start-timer':
          startTimer(e.timer, e.ms);
          break;
        case 'stop-timer':
          stopTimer(e.timer);
          break;
        case 'signal':
          inbox.post({ layer: 'up', event: { kind: 'sscop', signal: e.signal } });
          break;
        case 'maa-error':
          bump(c.maaErrors, e.code, e.count ?? 1);
          maa.next(e.count === undefined ? { code: e.code } : { code: e.code, count: e.count });
          break;
        case 'discard':
          bump(c.discards, e.reason, e.count);
          break;
      }
    }
  }

  /** an SSCOP signal's turn: to the operator chain when one is attached (sscf(link) steps SSCF within this item), else to SSCF */
  function runUp(event: FromSscop): void {
    const up = sscopUp;
    if (!up) return runSscf(event);
    handingUp = event;
    try {
      up.next(event.signal);
    } finally {
      handingUp = undefined;
    }
  }

  /** an SSCF request's turn: to the operator chain when one is attached (sscopDown(link) steps SSCOP within this item), else to SSCOP */
  function runDown(event: SscopRequest): void {
    const down = sscfDown;
    if (!down) return runSscop(event);
    handingDown = event;
    try {
      down.next(event);
    } finally {
      handingDown = undefined;
    }
  }

  function runSscf(event: SscfEvent): void {
    const r = sscfStep(sscf, event);
    sscf = r.state;
    for (const e of r.effects) {
      switch (e.kind) {
        case 'sscop':
          // (SSCF asks SSCOP only for requests: AA-*.request / response)
          inbox.post({ layer: 'down', event: e.event as SscopRequest });
          break;
        case 'up':
          if (e.signal.kind === 'data-indication') c.sdusDelivered++;
          sscfUp?.next(e.signal);
          signals.next(e.signal);
          break;
        case 'discard':
          bump(c.discards, e.reason, e.count);
          break;
      }
    }
  }

  const layers: SaalLayerPorts = {
    sscopTo(up) {
      if (sscopUp) throw new Error(`SAAL link ${name}: SSCOP's signals already go to another subscriber`);
      sscopUp = up;
      return () => {
        if (sscopUp === up) sscopUp = undefined;
      };
    },
    sscfTo(up) {
      if (sscfUp) throw new Error(`SAAL link ${name}: SSCF's signals already go to another subscriber`);
      sscfUp = up;
      return () => {
        if (sscfUp === up) sscfUp = undefined;
      };
    },
    fromSscop(signal) {
      const ev = handingUp;
      if (ev !== undefined && ev.signal === signal) {
        handingUp = undefined;
        runSscf(ev);
      } else post({ layer: 'sscf', event: { kind: 'sscop', signal } });
    },
    toSscf: request,
    sscfDownTo(down) {
      if (sscfDown) throw new Error(`SAAL link ${name}: SSCF's requests already go to another subscriber`);
      sscfDown = down;
      return () => {
        if (sscfDown === down) sscfDown = undefined;
      };
    },
    fromSscf(req) {
      if (handingDown !== undefined && handingDown === req) {
        handingDown = undefined;
        runSscop(req);
      } else post({ layer: 'sscop', event: req });
    },
  };

  /** a request from above (SaalService's calls, the operators' toSscf): a data request of a disposed link is ignored */
  function request(event: SaalRequest): void {
    if (event.kind === 'AAL-DATA.request') {
      if (disposed) return;
      c.sdusAccepted++;
    }
    post({ layer: 'sscf', event });
  }

  const link: SaalLink = {
    name,
    layers,
    get params() {
      return params;
    },
    configure(over: Partial<SscopParams>): boolean {
      const next = sscopParams({ ...params, ...over });
      if (sscop.name !== 'Idle' || inbox.running) return false;
      params = next;
      limits = { maxK: params.maxK, maxJ: params.maxJ, maxStat: params.maxSTAT };
      const moved = copyState(sscop);
      moved.params = params;
      moved.vrMR = (sscop.vrR + params.window) & 0xffffff;
      sscop = moved;
      return true;
    },
    attach(pdus$: Observable<Buffer>): Subscription {
      return pdus$.subscribe((pdu) => link.receive(pdu));
    },
    signals$: signals.asObservable(),
    maaErrors$: maa.asObservable(),
    state$: states.asObservable(),
    get established() {
      return sscf.name === '4/10 Established';
    },
    get state() {
      return sscop.name;
    },
    get sscfState() {
      return sscf.name;
    },
    establish() {
      request({ kind: 'AAL-ESTABLISH.request' });
    },
    release() {
      request({ kind: 'AAL-RELEASE.request' });
    },
    data(sdu: Buffer) {
      request({ kind: 'AAL-DATA.request', data: sdu });
    },
    unitdata(sdu: Buffer) {
      request({ kind: 'AAL-UNITDATA.request', data: sdu });
    },
    receive(buf: Buffer) {
      if (disposed) return;
      const r = parsePdu(buf, limits, false); // handed over (see SaalLink.receive): no copy of the payload
      if (!r.ok) {
        bump(c.drops, r.error.code);
        post({ layer: 'sscop', event: { kind: 'bad-pdu', code: r.error.code } });
        return;
      }
      bump(c.pdusIn, r.value.type);
      post({ layer: 'sscop', event: { kind: 'pdu', pdu: r.value } });
    },
    counters(): SaalLinkCounters {
      const q = sscopQueued(sscop);
      return {
        name,
        state: sscop.name,
        sscfState: sscf.name,
        pdusIn: { ...c.pdusIn },
        pdusOut: { ...c.pdusOut },
        sdRetransmissions: c.sdRetransmissions,
        ccRetransmissions: c.ccRetransmissions,
        sendErrors: c.sendErrors,
        maaErrors: { ...c.maaErrors },
        drops: { ...c.drops },
        discards: { ...c.discards },
        sdusDelivered: c.sdusDelivered,
        sdusAccepted: c.sdusAccepted,
        queuedSdus: sscf.held.size + q.queued,
        unacknowledgedSdus: q.unacknowledged,
        outOfOrderSdus: q.outOfOrder,
        runningTimers: SSCOP_TIMERS.filter((t) => timers[t] !== undefined),
      };
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      inbox.close();
      for (const t of SSCOP_TIMERS) timers[t] = undefined;
      timerQueue.dispose();
      sscopUp?.complete();
      sscfUp?.complete();
      sscfDown?.complete();
      signals.complete();
      maa.complete();
      states.complete();
    },
  };
  return link;
}

interface SaalMuxCommon {
  scheduler?: SchedulerLike;
  params?: Partial<SscopParams>;
  /** prefix for link names */
  name?: string;
}

export type SaalMuxOptions = SaalMuxCommon &
  (
    | {
        /** send one SSCOP PDU to `peer` (a MAC) */
        send(peer: string, pdu: Buffer): void;
      }
    | {
        /**
         * The path down of the link to `peer` (lower case): asked for once,
         * before the link is made, so that every PDU the link sends, its first
         * BGN included, has somewhere to go; the link's `send`.
         */
        pathTo(peer: string): (pdu: Buffer) => void;
      }
  );

/** One SSCOP association per peer MAC on a miniport: links created on first use. */
export interface SaalMux {
  /** the link to `peer`, created (Idle) if it does not exist yet */
  link(peer: string): SaalLink;
  /** route a received SSCOP PDU from `peer` to its link (creating it: a BGN may open one) */
  receive(peer: string, pdu: Buffer): void;
  peers(): string[];
  /** dispose the link to one peer */
  remove(peer: string): void;
  dispose(): void;
}

export function createSaalMux(opts: SaalMuxOptions): SaalMux {
  const links = new Map<string, SaalLink>();
  const link = (peer: string): SaalLink => {
    const key = peer.toLowerCase();
    let l = links.get(key);
    if (!l) {
      l = createSaalLink({
        send: 'pathTo' in opts ? opts.pathTo(key) : (pdu) => opts.send(key, pdu),
        scheduler: opts.scheduler,
        params: opts.params,
        name: opts.name ? `${opts.name}/${key}` : key,
      });
      links.set(key, l);
    }
    return l;
  };
  return {
    link,
    receive: (peer, pdu) => link(peer).receive(pdu),
    peers: () => [...links.keys()],
    remove(peer) {
      const key = peer.toLowerCase();
      links.get(key)?.dispose();
      links.delete(key);
    },
    dispose() {
      for (const l of links.values()) l.dispose();
      links.clear();
    },
  };
}
