/**
 * The switch's call control: calls whose every leg is a UNI link on a switch
 * port, the switch playing the network side on each host's link and the user
 * side on an IISP link to another switch (uni-port.ts). Call control does not
 * care which: every leg is a Q.2931 call with its own references.
 *
 * A call has one inbound leg (the caller's, or the root's for
 * point-to-multipoint) and one outbound leg per port link it reaches. Each
 * leg is its own Q.2931 call: own call reference, VPI/VCI and endpoint
 * references, picked by that link. Call control maps between them:
 *
 * - SETUP in: route the called address (longest prefix), SETUP out on the
 *   route's link, CALL PROCEEDING back (with the inbound VPI/VCI). No route:
 *   RELEASE COMPLETE cause 3, logged.
 * - ALERTING / CONNECT out there -> ALERTING / CONNECT in here (p2p, or the
 *   root's first party); for further parties PARTY ALERTING / ADD PARTY ACK.
 * - ADD PARTY from the root: routed like a SETUP; on a link the call already
 *   uses it goes as ADD PARTY, on a new link as SETUP (its own call there).
 *   The root's ADD PARTY waits (party state P2) for that answer.
 * - DROP PARTY from the root -> DROP PARTY (or RELEASE, for the last party on
 *   that link: the UNI link's last-party rule) towards the leaf, close data
 *   (User-user IE) and cause carried; a leaf leaving -> DROP PARTY (or
 *   RELEASE, when it was the root's last party) towards the root, likewise.
 * - MODIFY REQUEST / ACKNOWLEDGE / REJECT and CONNECTION AVAILABLE on a p2p
 *   call: relayed between its two legs (modify.ts, Q.2963.1).
 * - RELEASE from either end of a p2p call, or from the root -> RELEASE on
 *   every other leg with the same cause and close data. A port link lost:
 *   its legs are cleared locally with cause 27 and the far sides are told so.
 *
 * Work is run to completion: a link's signal, a timer or a request finishes
 * before the next one starts (batch()), so acting on one leg from another
 * leg's indication never lands in the middle of a state change.
 *
 * The switch is a user of call control's core (src/callcontrol/core.ts), as a
 * host's call control is: the core keeps the port links, the calls and their
 * legs and parties; this file says what a switched call does with them.
 */
import type { SchedulerLike } from 'rxjs';
import type { Mac } from '../common/mac.js';
import { RunQueue } from '../common/run-queue.js';
import type { SaalService } from '../sscop/service.js';
import type { AtmAddress, UniTimers } from '../uni/api.js';
import { stateCode, type CallIndication } from '../uni/call.js';
import { defaultCodec } from '../uni/uni-codec.js';
import { addressOf, canonicalAddress } from '../uni/call-ies.js';
import { causeName } from '../uni/msg/names.js';
import { Cause, findIe, IeId, MsgType, type InfoElement, type UniMessage } from '../uni/msg/types.js';
import type { PartyIndication } from '../uni/party.js';
import type { Fabric, VcEnd } from './fabric.js';
import { isModifyIndication, relayModify } from './modify.js';
import type { RouteTable } from './routes.js';
import type { SwitchCallView, SwitchEvent, SwitchLog } from './types.js';
import { CallLeg } from '../callcontrol/legs.js';
import { CallCore, type CallUser, type CoreLink } from '../callcontrol/core.js';
import { ANSWER_LATER, type LinkCall } from '../uni/port.js';

/** One host's UNI link on one port (the core's record of it, keyed `port|peer`). */
export interface PortLink extends CoreLink {
  readonly port: string;
  readonly peer: Mac;
}

type PartyPhase = 'adding' | 'alerting' | 'active' | 'dropping';

interface Party {
  /** endpoint reference on the root's link */
  readonly rootEp: number;
  readonly called: AtmAddress;
  phase: PartyPhase;
  leg?: Leg;
  /** endpoint reference on the leaf link; -1 while queued behind that leg's SETUP */
  ep: number;
}

interface SwCall {
  readonly id: number;
  readonly multipoint: boolean;
  readonly called: AtmAddress;
  readonly calling?: AtmAddress;
  /** the caller's SETUP: the template of SETUPs for further leaf links */
  readonly setup: UniMessage;
  in: Leg;
  /** the outbound legs, by port link key */
  readonly legs: Map<string, Leg>;
  /** by the root's endpoint reference */
  readonly parties: Map<number, Party>;
  connected: boolean;
  clearing: boolean;
  done: boolean;
}

/** one leg of a switched call (src/callcontrol/legs.ts): the inbound one, or one per port link it reaches */
class Leg extends CallLeg<SwCall, Party> {
  connected = false;
  gone = false;
  constructor(
    private readonly cc: SwitchCalls,
    call: SwCall,
    readonly port: PortLink,
    lc: LinkCall,
    readonly inbound: boolean,
  ) {
    super(call, port.uni, lc);
  }
  onCall(_lc: LinkCall, ind: CallIndication): void {
    this.cc.onCall(this, ind);
  }
  onParty(_lc: LinkCall, ep: number, ind: PartyIndication): void {
    this.cc.onParty(this, ep, ind);
  }
  end(): VcEnd | undefined {
    const v = this.lc.st.vc;
    return v ? { port: this.port.port, peer: this.link.peer, vpi: v.vpi, vci: v.vci } : undefined;
  }
  first(): Party | undefined {
    return this.lc.firstEp === undefined ? undefined : this.byEp.get(this.lc.firstEp);
  }
}

export interface SwitchCallsOptions {
  routes: RouteTable;
  fabric: Fabric;
  scheduler: SchedulerLike;
  timers?: Partial<UniTimers>;
  limits: { calls: number; partiesPerCall: number };
  log: SwitchLog;
  emit(e: SwitchEvent): void;
  /** the hosts on a port whose SSCOP association is up (for static routes that name no host) */
  hostsOn(port: string): Mac[];
}

export interface SwitchCallsCounters {
  links: number;
  calls: number;
  parties: number;
  /** calls and parties refused for want of a route (cause 3) */
  noRoute: number;
  timers: number;
  protocolErrors: number;
}

/** SETUP IEs the outgoing link sets itself */
const PER_LINK = new Set<number>([IeId.CONNECTION_IDENTIFIER, IeId.ENDPOINT_REFERENCE]);
/** SETUP IEs that belong to the first party (an ADD PARTY names its own) */
const PER_PARTY = new Set<number>([IeId.CALLED_PARTY_NUMBER, IeId.CALLING_PARTY_NUMBER, IeId.USER_USER, IeId.CALLED_PARTY_SUBADDRESS, IeId.CALLING_PARTY_SUBADDRESS]);

function known(ies: InfoElement[], skip: Set<number>): InfoElement[] {
  return ies.filter((ie) => !('unknown' in ie) && !skip.has(ie.id));
}

export class SwitchCalls implements CallUser<PortLink> {
  private readonly core: CallCore<PortLink, SwCall>;
  private readonly c = { noRoute: 0, protocolErrors: 0 };
  /** run to completion: what a step sets off on another leg waits until the step is done */
  private readonly work = new RunQueue<() => void>((fn) => fn());

  constructor(private readonly o: SwitchCallsOptions) {
    this.core = new CallCore<PortLink, SwCall>(this, { scheduler: o.scheduler, timers: o.timers, calls: o.limits.calls, partiesPerCall: o.limits.partiesPerCall });
  }

  // ---- run to completion ----------------------------------------------------

  batch(fn: () => void): void {
    this.work.post(fn);
  }

  /** a link's unit of work runs as any other step of the switch (CallUser) */
  unit(fn: () => void): void {
    this.batch(fn);
  }

  // ---- port links -------------------------------------------------------------

  attach(port: string, peer: Mac, saal: SaalService, side: 'network' | 'user' = 'network'): void {
    this.batch(() => {
      this.core.attach(`${port}|${peer}`, peer, saal, side, { port, peer });
    });
  }

  /** the link goes: its calls are cleared locally (cause 27) and the far sides told */
  detach(port: string, peer: Mac): void {
    this.batch(() => this.core.detach(`${port}|${peer}`));
  }

  link(port: string, peer: Mac): PortLink | undefined {
    return this.core.link(`${port}|${peer}`);
  }

  linkUp(pl: PortLink): void {
    this.o.log.info({ port: pl.port, host: pl.peer }, 'switch: UNI link up');
    this.o.emit({ kind: 'switch-link', port: pl.port, peer: pl.peer, up: true });
  }

  linkDown(pl: PortLink, reason: string, kept: number): void {
    this.o.log.warn(
      { port: pl.port, host: pl.peer, reason, kept },
      kept > 0 ? 'switch: UNI link down, active calls kept while T309 runs (the others cleared, cause 27)' : 'switch: UNI link down, its calls cleared (cause 27)',
    );
    this.o.emit({ kind: 'switch-link', port: pl.port, peer: pl.peer, up: false, reason });
  }

  restarted(pl: PortLink, restartClass: number): void {
    this.o.log.info({ port: pl.port, host: pl.peer, restartClass }, 'switch: RESTART from a host, its calls cleared');
  }

  protocolError(pl: PortLink, cause: number, message: string): void {
    this.c.protocolErrors++;
    this.o.log.warn({ port: pl.port, host: pl.peer, cause }, `switch: Q.2931 protocol error: ${message}`);
  }

  // ---- routing ------------------------------------------------------------------

  /** the link that reaches `called`, or the cause to refuse with */
  private route(from: PortLink, called: AtmAddress, what: string): PortLink | number {
    const r = this.o.routes.lookup(called);
    if (!r) {
      this.c.noRoute++;
      this.o.log.warn({ port: from.port, host: from.peer, called }, `switch: no route to destination ${called || '(no called address)'}: ${what} refused with cause 3`);
      this.o.emit({ kind: 'switch-no-route', port: from.port, peer: from.peer, called });
      return Cause.NO_ROUTE_TO_DESTINATION;
    }
    const hosts = this.o.hostsOn(r.port);
    const peer = r.peer ?? this.o.routes.announcer(r.port, called) ?? hosts[0];
    const pl = peer === undefined ? undefined : this.core.link(`${r.port}|${peer}`);
    if (!pl || !pl.uni.established) {
      this.o.log.warn({ port: from.port, host: from.peer, called, via: r.port, to: peer }, `switch: route to ${called} leads to a port link that is down: ${what} refused with cause 27`);
      return Cause.DESTINATION_OUT_OF_ORDER;
    }
    return pl;
  }

  // ---- incoming from a caller or root ---------------------------------------------

  incomingSetup(from: PortLink, lc: LinkCall, m: UniMessage): number {
    const ie = findIe(m, IeId.CALLED_PARTY_NUMBER);
    const called = ie ? canonicalAddress(addressOf(ie)) : '';
    const cie = findIe(m, IeId.CALLING_PARTY_NUMBER);
    if (this.core.full) {
      this.o.log.warn({ port: from.port, host: from.peer, called }, 'switch: call limit reached: SETUP refused with cause 47');
      return Cause.RESOURCE_UNAVAILABLE_UNSPECIFIED;
    }
    const to = this.route(from, called, 'SETUP');
    if (typeof to === 'number') return to;
    const call: SwCall = {
      id: this.core.newCallId(),
      multipoint: lc.multipoint,
      called,
      ...(cie ? { calling: addressOf(cie) } : {}),
      setup: m,
      in: undefined as unknown as Leg,
      legs: new Map(),
      parties: new Map(),
      connected: false,
      clearing: false,
      done: false,
    };
    call.in = new Leg(this, call, from, lc, true);
    const first: Party | undefined = lc.firstEp !== undefined ? { rootEp: lc.firstEp, called, phase: 'adding', ep: -1 } : undefined;
    const out = this.openLeg(call, to, { ...m, callRef: 0, callRefFlag: false, ies: known(m.ies, PER_LINK) }, first);
    if (typeof out === 'number') return out; // the link refuses the SETUP; nothing of the call was kept
    lc.owner = call.in;
    this.core.register(call);
    from.uni.leafAnswer(lc, 'proceeding-req');
    this.o.log.info({ call: call.id, from: from.port, to: to.port, called, multipoint: call.multipoint }, 'switch: call set up');
    this.o.emit({ kind: 'switch-call', call: call.id, change: 'setup', called });
    return 0;
  }

  private openLeg(call: SwCall, to: PortLink, setup: UniMessage, party?: Party): Leg | number {
    const r = this.core.openLeg(call, to, setup, (lc) => new Leg(this, call, to, lc, false));
    if (r === 'limit') return Cause.NO_VPCI_VCI_AVAILABLE;
    if (r === 'link-down') return Cause.DESTINATION_OUT_OF_ORDER;
    if (party && r.ep !== undefined) {
      party.leg = r.leg;
      party.ep = r.ep;
      this.core.enrol(call, party.rootEp, party);
    }
    return r.leg;
  }

  private removeParty(p: Party, call: SwCall): void {
    this.core.remove(call, p.rootEp, p);
  }

  incomingAddParty(_from: PortLink, lc: LinkCall, ep: number, m: UniMessage): number {
    const leg = lc.owner instanceof Leg ? lc.owner : undefined;
    if (!leg || !leg.inbound || leg.call.done || leg.call.clearing) return Cause.NORMAL_UNSPECIFIED;
    const call = leg.call;
    const ie = findIe(m, IeId.CALLED_PARTY_NUMBER);
    const called = ie ? canonicalAddress(addressOf(ie)) : '';
    if (call.parties.size >= this.o.limits.partiesPerCall) return Cause.TOO_MANY_PENDING_ADD_PARTY;
    const to = this.route(leg.port, called, 'ADD PARTY');
    if (typeof to === 'number') return to;
    const party: Party = { rootEp: ep, called, phase: 'adding', ep: -1 };
    const out = this.core.legOn(call, to);
    const add: UniMessage = { type: MsgType.ADD_PARTY, callRef: 0, callRefFlag: false, ies: known(m.ies, PER_LINK) };
    if (!out) {
      const replaced = new Set(add.ies.map((i) => i.id));
      const ies = [...known(call.setup.ies, new Set([...PER_LINK, ...PER_PARTY, ...replaced])), ...add.ies];
      const r = this.openLeg(call, to, { type: MsgType.SETUP, callRef: 0, callRefFlag: false, ies }, party);
      if (typeof r === 'number') return r;
    } else {
      const placed = out.placeParty(party, add);
      if (placed === 'limit') return Cause.TOO_MANY_PENDING_ADD_PARTY;
      if (typeof placed === 'object') return Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE;
      party.leg = out;
      this.core.enrol(call, party.rootEp, party);
    }
    this.o.log.info({ call: call.id, to: to.port, called, rootEpref: ep }, 'switch: party being added');
    this.o.emit({ kind: 'switch-party', call: call.id, rootEpref: ep, change: 'adding', called });
    return ANSWER_LATER;
  }

  // ---- what the legs report ---------------------------------------------------------

  onCall(leg: Leg, ind: CallIndication): void {
    const call = leg.call;
    if (isModifyIndication(ind)) return call.clearing || call.multipoint ? undefined : relayModify(call, leg, ind, this.o.log);
    switch (ind.k) {
      case 'proceeding':
      case 'active':
        return;
      case 'alerting': {
        if (leg.inbound || call.clearing) return;
        if (!call.multipoint) return this.answerIn(call, 'alerting-req');
        const p = leg.first();
        if (p) this.partyAlerting(call, p);
        return;
      }
      case 'connected': {
        if (leg.inbound || call.clearing) return;
        leg.connected = true;
        if (!call.multipoint) {
          this.answerIn(call, 'connect-req');
          this.callConnected(call);
        } else {
          const p = leg.first();
          if (p) this.partyAdded(call, p);
          this.flushQueued(leg);
        }
        this.wire(call);
        return;
      }
      case 'released':
        return this.legGone(leg, ind.cause, ind.closeData);
      case 'release-confirm':
        return this.legGone(leg, ind.cause, undefined);
    }
  }

  onParty(leg: Leg, ep: number, ind: PartyIndication): void {
    const call = leg.call;
    if (leg.inbound) {
      // the root's side: its DROP PARTY was answered by the link; the party leaves its leaf link too
      if (ind.k !== 'dropped') return;
      const p = call.parties.get(ep);
      if (!p) return;
      this.removeParty(p, call);
      const was = p.phase;
      p.phase = 'dropping';
      const l = p.leg;
      if (l && p.ep >= 0 && !l.gone) l.link.partyRequest(l.lc, p.ep, { k: 'drop-req', cause: ind.cause, ...(ind.closeData ? { closeData: ind.closeData } : {}) });
      this.o.log.info({ call: call.id, rootEpref: ep, called: p.called, cause: ind.cause, closeData: ind.closeData?.length ?? 0, was }, 'switch: the root dropped a party');
      this.o.emit({ kind: 'switch-party', call: call.id, rootEpref: ep, change: 'dropped', called: p.called, cause: ind.cause });
      return;
    }
    const p = leg.byEp.get(ep);
    if (!p) return;
    switch (ind.k) {
      case 'alerting':
        return this.partyAlerting(call, p);
      case 'added':
        return this.partyAdded(call, p);
      case 'rejected':
      case 'dropped':
        return this.partyLost(call, p, ind.cause, ind.closeData);
      case 'drop-confirm':
        this.removeParty(p, call);
        return;
    }
  }

  private answerIn(call: SwCall, what: 'alerting-req' | 'connect-req'): void {
    const ph = call.in.lc.st.phase;
    const legal = what === 'alerting-req' ? ph === 'in-setup' || ph === 'in-proceeding' : ph === 'in-setup' || ph === 'in-proceeding' || ph === 'in-alerting';
    if (legal && !call.in.gone) call.in.link.leafAnswer(call.in.lc, what);
  }

  private callConnected(call: SwCall): void {
    if (call.connected) return;
    call.connected = true;
    this.o.emit({ kind: 'switch-call', call: call.id, change: 'connected', called: call.called });
  }

  private isRootFirst(call: SwCall, p: Party): boolean {
    return p.rootEp === call.in.lc.firstEp && !call.connected;
  }

  private partyAlerting(call: SwCall, p: Party): void {
    if (p.phase !== 'adding') return;
    p.phase = 'alerting';
    if (this.isRootFirst(call, p)) this.answerIn(call, 'alerting-req');
    else call.in.link.partyRequest(call.in.lc, p.rootEp, { k: 'alerting-req' });
  }

  private partyAdded(call: SwCall, p: Party): void {
    if (p.phase !== 'adding' && p.phase !== 'alerting') return;
    p.phase = 'active';
    if (this.isRootFirst(call, p)) {
      this.answerIn(call, 'connect-req');
      this.callConnected(call);
    } else call.in.link.partyRequest(call.in.lc, p.rootEp, { k: 'ack-req' });
    this.o.emit({ kind: 'switch-party', call: call.id, rootEpref: p.rootEp, change: 'added', called: p.called });
  }

  /** a party left on its leaf link (rejected, dropped, its leg cleared): the root hears of it with the cause and close data */
  private partyLost(call: SwCall, p: Party, cause: number, closeData?: Buffer): void {
    this.removeParty(p, call);
    const was = p.phase;
    p.phase = 'dropping';
    if (call.clearing || call.in.gone || was === 'dropping') return;
    if (this.isRootFirst(call, p)) {
      // the call's first party never got through: the call fails
      this.o.log.info({ call: call.id, called: p.called, cause: causeName(cause) }, 'switch: first party failed, call cleared');
      return this.clear(call, cause, closeData);
    }
    const cd = closeData ? { closeData } : {};
    if (was === 'active') call.in.link.partyRequest(call.in.lc, p.rootEp, { k: 'drop-req', cause, ...cd });
    else call.in.link.partyRequest(call.in.lc, p.rootEp, { k: 'reject-req', cause });
    this.o.log.info({ call: call.id, rootEpref: p.rootEp, called: p.called, cause: `${causeName(cause)} (${cause})`, closeData: closeData?.length ?? 0 }, `switch: a party left (${was})`);
    this.o.emit({ kind: 'switch-party', call: call.id, rootEpref: p.rootEp, change: was === 'active' ? 'dropped' : 'rejected', called: p.called, cause });
  }

  private flushQueued(leg: Leg): void {
    leg.sendQueued((p) => this.partyLost(leg.call, p, Cause.TOO_MANY_PENDING_ADD_PARTY));
  }

  /** clear every leg of the call still up with this cause and close data */
  private clear(call: SwCall, cause: number, closeData?: Buffer): void {
    if (call.clearing) return;
    call.clearing = true;
    const cd = closeData ? { closeData } : {};
    for (const leg of [call.in, ...call.legs.values()]) if (!leg.gone) leg.link.callRequest(leg.lc, { k: 'release-req', cause, ...cd });
  }

  private legGone(leg: Leg, cause: number, closeData?: Buffer): void {
    if (leg.gone) return;
    leg.gone = true;
    const call = leg.call;
    this.unwire(leg);
    if (leg.inbound) {
      this.clear(call, cause, closeData);
      for (const p of [...call.parties.values()]) this.removeParty(p, call);
      return this.maybeDone(call, cause);
    }
    if (call.legs.get(leg.port.key) === leg) call.legs.delete(leg.port.key);
    const onLeg = leg.parties();
    if (!call.multipoint) this.clear(call, cause, closeData);
    else for (const p of onLeg) this.partyLost(call, p, cause, closeData);
    this.wire(call);
    this.maybeDone(call, cause);
  }

  private maybeDone(call: SwCall, cause: number): void {
    if (call.done || !call.in.gone) return;
    for (const l of call.legs.values()) if (!l.gone) return;
    call.done = true;
    for (const p of [...call.parties.values()]) this.removeParty(p, call);
    this.core.forget(call);
    this.o.log.info({ call: call.id, called: call.called, cause: `${causeName(cause)} (${cause})` }, 'switch: call cleared');
    this.o.emit({ kind: 'switch-call', call: call.id, change: 'cleared', called: call.called, cause });
  }

  // ---- data plane -----------------------------------------------------------------

  /** the fabric follows the call: the inbound VC to every connected outbound leg, each outbound VC back to it */
  private wire(call: SwCall): void {
    const inEnd = call.in.gone ? undefined : call.in.end();
    if (!inEnd) return;
    const outs: VcEnd[] = [];
    for (const l of call.legs.values()) {
      const e = l.connected && !l.gone ? l.end() : undefined;
      if (!e) continue;
      outs.push(e);
      this.o.fabric.connect(e, [inEnd]);
    }
    this.o.fabric.connect(inEnd, outs);
  }

  private unwire(leg: Leg): void {
    const e = leg.end();
    if (e) this.o.fabric.disconnect(e);
  }

  // ---- views and shutdown ------------------------------------------------------------

  releaseAll(cause: number): void {
    this.batch(() => {
      for (const call of this.core.allCalls()) this.clear(call, cause);
    });
  }

  snapshot(): SwitchCallView[] {
    return [...this.core.allCalls()].map((c) => ({
      call: c.id,
      multipoint: c.multipoint,
      called: c.called,
      ...(c.calling ? { calling: c.calling } : {}),
      legs: [c.in, ...c.legs.values()]
        .filter((l) => !l.gone)
        .map((l) => ({
          port: l.port.port,
          peer: l.link.peer,
          inbound: l.inbound,
          callRef: l.lc.cref,
          state: defaultCodec.callStateName(stateCode(l.lc.st), l.link.side),
          ...(l.lc.st.vc ? { vpi: l.lc.st.vc.vpi, vci: l.lc.st.vc.vci } : {}),
        })),
      parties: [...c.parties.values()].map((p) => ({
        rootEpref: p.rootEp,
        called: p.called,
        phase: p.phase,
        ...(p.leg ? { port: p.leg.port.port, peer: p.leg.link.peer } : {}),
        ...(p.ep >= 0 ? { epref: p.ep } : {}),
      })),
    }));
  }

  linkState(port: string, peer: Mac): string | undefined {
    return this.link(port, peer)?.uni.state;
  }

  counters(): SwitchCallsCounters {
    const n = this.core.counts();
    return { links: n.links, calls: n.calls, parties: n.parties, noRoute: this.c.noRoute, timers: n.timers, protocolErrors: this.c.protocolErrors };
  }

  dispose(): void {
    this.batch(() => this.core.dispose());
  }
}
