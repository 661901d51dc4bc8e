/**
 * Calls across links: the part of call control every user shares. NgATM splits
 * its call control the same way (api/cc_conn.c: the connections and their
 * parties, the ports they run on, the users above); here two users build on
 * one core:
 *
 * - an endpoint's call control (call-control.ts): each call has the layer
 *   above (NDIS's call manager) on one side and one or more links on the
 *   other;
 * - a switch's (src/switch/calls.ts): every side of a call is a link, and the
 *   switch routes between them.
 *
 * The core keeps what means the same to both:
 *
 * - **links**: one UNI coordinator (`UniLink`) per link, made here with the
 *   user's settings and found by the user's key. The link's `LinkSink` is a
 *   small object of the core's that hands each event to the user together
 *   with the user's record of that link, so no event of a link needs a
 *   lookup, even one the link reports while it is being made.
 * - **calls**: their ids, the call limit, the registry.
 * - **parties**: enrolment on their call (and on their leg, by endpoint
 *   reference) with the party count, and removal from call and leg.
 * - **legs** (legs.ts): a call's leg on a link, opened with its SETUP and
 *   registered in the call by link key; the call's leg on a link that can
 *   still take a party (a leg being cleared is retired: it finishes alone and
 *   the next party opens a new one).
 * - **timers**: how many run on all links.
 *
 * What a call, a party or an indication means is the user's (`CallUser`), and
 * so is how one unit of work runs (`unit`): an endpoint sends its indications
 * up after the unit, a switch queues the work a unit sets off on another leg.
 */
import type { SchedulerLike } from 'rxjs';
import type { SaalService } from '../sscop/service.js';
import type { PeerId, UniTimers } from '../uni/api.js';
import type { VcId } from '../uni/call.js';
import type { LinkSink, LinkCall, UniPort } from '../uni/port.js';
import type { Side } from '../uni/states.js';
import { resolveTimers } from '../uni/timers.js';
import { defaultCodec, type UniCodec } from '../uni/uni-codec.js';
import { UniLink } from '../uni/uni-link.js';
import type { UniMessage } from '../uni/msg/types.js';
import { openLeg, type CallLeg, type LegParty } from './legs.js';
import { NumberMap } from '../common/number-map.js';

/** A user's record of one link: the user's key for it and its UNI port; users add their own fields. */
export interface CoreLink {
  readonly key: string;
  readonly uni: UniPort;
}

/** What the core needs of a user's call. */
export interface CoreCall<L = unknown, P = unknown> {
  readonly id: number;
  readonly multipoint: boolean;
  /** the legs the core opened or the user adopted, by link key */
  readonly legs: Map<string, L>;
  /** the call's parties, by the user's key for them */
  readonly parties: Map<number, P>;
}

/** A user's party as the core knows it: its endpoint reference on its leg's link, and that leg. */
export interface CoreParty extends LegParty {
  readonly leg?: CallLeg<unknown, LegParty>;
}

/** What a user of the core decides: the meaning of what the links report, and how a unit of work runs. */
export interface CallUser<E extends CoreLink> {
  /** a SETUP arrived on `from` and passed the UNI's checks: 0 takes it (the user sets lc.owner), else a cause */
  incomingSetup(from: E, lc: LinkCall, m: UniMessage): number;
  /** an ADD PARTY on a call `from` is a leaf of: 0, a cause, or ANSWER_LATER (src/uni/port.ts) */
  incomingAddParty(from: E, lc: LinkCall, ep: number, m: UniMessage): number;
  linkUp(link: E): void;
  linkDown(link: E, reason: string, kept: number): void;
  restarted(link: E, restartClass: number, vc?: VcId): void;
  protocolError(link: E, cause: number, message: string): void;
  /** run one unit of work of a link (a signal, a timer, a request) */
  unit(fn: () => void): void;
}

export interface CallCoreOptions {
  scheduler: SchedulerLike;
  timers?: Partial<UniTimers>;
  codec?: UniCodec;
  /** calls at once (default: no limit) */
  calls?: number;
  /** endpoint references per call on each link */
  partiesPerCall: number;
  /** true: a peer's RESTART is acknowledged only when the user says so (UniPort.restartAcknowledge) */
  manualRestartAck?: boolean;
}

/** One link's sink: every event of the link goes to the user with the user's record of the link. */
class LinkEvents<E extends CoreLink> implements LinkSink {
  constructor(
    private readonly core: CallCore<E, CoreCall>,
    private readonly user: CallUser<E>,
    readonly link: E,
  ) {}
  incomingSetup(_port: UniPort, lc: LinkCall, m: UniMessage): number {
    return this.user.incomingSetup(this.link, lc, m);
  }
  incomingAddParty(_port: UniPort, lc: LinkCall, ep: number, m: UniMessage): number {
    return this.user.incomingAddParty(this.link, lc, ep, m);
  }
  linkUp(): void {
    this.user.linkUp(this.link);
  }
  linkDown(_port: UniPort, reason: string, kept: number): void {
    this.user.linkDown(this.link, reason, kept);
  }
  restarted(_port: UniPort, restartClass: number, vc?: VcId): void {
    this.user.restarted(this.link, restartClass, vc);
  }
  protocolError(_port: UniPort, cause: number, message: string): void {
    this.user.protocolError(this.link, cause, message);
  }
  timers(delta: number): void {
    this.core.timerCount += delta;
  }
  batch(fn: () => void): void {
    this.user.unit(fn);
  }
}

export class CallCore<E extends CoreLink, C extends CoreCall> {
  private readonly links = new Map<string, E>();
  /** (a table every call adds to and deletes from: NumberMap, src/common/number-map.ts says why) */
  private readonly calls = new NumberMap<C>();
  private readonly maxCalls: number;
  private nextCall = 1;
  private partyCount = 0;
  /** (LinkEvents counts here) */
  timerCount = 0;

  constructor(
    private readonly user: CallUser<E>,
    private readonly o: CallCoreOptions,
  ) {
    this.maxCalls = o.calls ?? Number.MAX_SAFE_INTEGER;
  }

  // ---- links -------------------------------------------------------------------

  /**
   * A link to `peer` over `saal`, known by `key` (a link already known by that key is disposed first);
   * `fields` are the user's own fields of its record.
   */
  attach(key: string, peer: PeerId, saal: SaalService, side: Side, fields: Omit<E, keyof CoreLink>): E {
    this.detach(key);
    const link = { ...fields, key } as E & { uni: UniPort };
    link.uni = new UniLink({
      peer,
      saal,
      side,
      timers: resolveTimers(side, this.o.timers),
      codec: this.o.codec ?? defaultCodec,
      scheduler: this.o.scheduler,
      sink: new LinkEvents(this as CallCore<E, CoreCall>, this.user, link),
      partiesPerCall: this.o.partiesPerCall,
      manualRestartAck: this.o.manualRestartAck,
    });
    this.links.set(key, link);
    return link;
  }

  /** the link goes: the UNI clears its calls locally and reports them through their owners */
  detach(key: string): void {
    const link = this.links.get(key);
    if (!link) return;
    link.uni.dispose();
    this.links.delete(key);
  }

  link(key: string): E | undefined {
    return this.links.get(key);
  }

  allLinks(): IterableIterator<E> {
    return this.links.values();
  }

  // ---- calls -------------------------------------------------------------------

  /** the call limit is reached: no new call */
  get full(): boolean {
    return this.calls.size >= this.maxCalls;
  }

  /** the id for a new call */
  newCallId(): number {
    return this.nextCall++;
  }

  register(call: C): void {
    this.calls.set(call.id, call);
  }

  forget(call: C): void {
    this.calls.delete(call.id);
  }

  call(id: number): C | undefined {
    return this.calls.get(id);
  }

  allCalls(): IterableIterator<C> {
    return this.calls.values();
  }

  // ---- parties -----------------------------------------------------------------

  /** `p` joins its call under `key`, and its leg by endpoint reference when it has one */
  enrol<P extends CoreParty>(call: CoreCall<unknown, P>, key: number, p: P): void {
    call.parties.set(key, p);
    if (p.ep >= 0) p.leg?.byEp.set(p.ep, p);
    this.partyCount++;
  }

  /** `p` leaves its call (if it is the party there under `key`) and its leg; true when it was on the call */
  remove<P extends CoreParty>(call: CoreCall<unknown, P>, key: number, p: P): boolean {
    let was = false;
    if (call.parties.get(key) === p) {
      call.parties.delete(key);
      this.partyCount--;
      was = true;
    }
    p.leg?.detach(p);
    return was;
  }

  // ---- legs --------------------------------------------------------------------

  /**
   * The call out on `to` (its SETUP; a multipoint call's with the first party's endpoint reference):
   * the leg `make` builds owns the link call from the start and is the call's leg on that link.
   */
  openLeg<L extends CallLeg<unknown, LegParty>>(call: CoreCall<L>, to: E, setup: UniMessage, make: (lc: LinkCall) => L): { leg: L; ep?: number } | 'limit' | 'link-down' {
    const r = openLeg(to.uni, call.multipoint, setup, make);
    if (typeof r !== 'string') call.legs.set(to.key, r.leg);
    return r;
  }

  /**
   * The call's leg on `to` that can take a further party, if any. A leg being cleared there (its last
   * party left) is retired: it finishes on its own, and the next party starts a fresh leg with its own
   * SETUP.
   */
  legOn<L extends CallLeg<unknown, LegParty>>(call: CoreCall<L>, to: E): L | undefined {
    const leg = call.legs.get(to.key);
    if (!leg?.ending) return leg;
    call.legs.delete(to.key);
    return undefined;
  }

  // ---- counters and shutdown ---------------------------------------------------------

  counts(): { links: number; calls: number; linkCalls: number; parties: number; timers: number } {
    let linkCalls = 0;
    for (const l of this.links.values()) linkCalls += l.uni.calls.size;
    return { links: this.links.size, calls: this.calls.size, linkCalls, parties: this.partyCount, timers: this.timerCount };
  }

  /** every link disposed (their calls cleared locally), every record forgotten */
  dispose(): void {
    for (const l of this.links.values()) l.uni.dispose();
    this.links.clear();
    this.calls.clear();
    this.partyCount = 0;
  }
}
