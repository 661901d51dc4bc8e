/**
 * Call control above the UNIs: every link of one host, and host calls that may span links (the
 * UniHost service of src/uni/api.ts). It reaches each link through the UNI port (src/uni/port.ts).
 *
 * A host call has one leg per link it uses. A point-to-point call or a leaf
 * has exactly one leg; a multipoint call this host roots fans out: the first
 * party of each link goes as SETUP (with an endpoint reference), further
 * parties on that link as ADD PARTY. Host party ids map to (leg, endpoint
 * reference) and back through Maps; the count of living parties per host call
 * is kept as parties come and go.
 *
 * Indications are queued while the host is working (a request, a received
 * message, a timer) and emitted when it is done, so a subscriber that calls
 * back into the host never lands in the middle of a state change.
 *
 * The links, the call registry and limit, party enrolment and the legs are
 * call control's core (core.ts), which the switch uses too; this file is the
 * endpoint's use of it: the host's addresses, the layer above's requests and
 * what each leg's indications mean to it.
 */
import { asyncScheduler, Subject, type Observable } from 'rxjs';
import { RunQueue } from '../common/run-queue.js';
import { err, ok, type Result } from '../common/result.js';
import type { AtmAddress, CallId, ClearingOptions, CloseDataPolicy, PartyId, PeakCellRates, PeerId, UniCallParams, UniCounters } from '../uni/api.js';
import type { UniError, UniErrorCode, UniHost, UniHostOptions, UniIndication, UniPartyParams, UniSnapshot, VcPath } from '../uni/api.js';
import { withCallContext } from '../uni/api.js';
import type { SaalService } from '../sscop/service.js';
import type { CallIndication, VcId } from '../uni/call.js';
import { stateCode } from '../uni/call.js';
import { defaultCodec, type UniCodec } from '../uni/uni-codec.js';
import { calledIe, callingIe, canonicalAddress, CLOSE_DATA_MAX, defaultAal, defaultBearer, defaultQos, defaultTraffic, uuIe } from '../uni/call-ies.js';
import { modifyAnswer, modifyIndication, modifyRequest } from './modify.js';
import { ANSWER_LATER, LinkCall, type UniPort } from '../uni/port.js';
import { CallCore, type CallUser, type CoreLink } from './core.js';
import { Leg, newHostCall, paramsFromMessage, type HostCall, HostParty, type PartyPhase } from './model.js';
import type { PartyIndication } from '../uni/party.js';
import { PartyState, type Side } from '../uni/states.js';
import { Cause, MsgType, type InfoElement, type TrafficDescriptorIe, type UniMessage } from '../uni/msg/types.js';

/** One link of the host (the core's record of it, keyed by the peer). */
interface HostLink extends CoreLink {
  readonly peer: PeerId;
  readonly policy: CloseDataPolicy;
}

function uerr(code: UniErrorCode, cause: number, message: string): { ok: false; error: UniError } {
  return err({ code, cause, message });
}

export type CallControlConfig = UniHostOptions & {
  codec?: UniCodec;
  /** true: a peer's RESTART is acknowledged only by restartAcknowledge(peer), within T317 (default: at once) */
  manualRestartAck?: boolean;
};

export class CallControl implements UniHost, CallUser<HostLink> {
  private readonly subject = new Subject<UniIndication>();
  readonly indications$: Observable<UniIndication> = this.subject.asObservable();
  private readonly core: CallCore<HostLink, HostCall>;
  private readonly codec: UniCodec;
  private readonly own: Set<AtmAddress>;
  private readonly maxParties: number;
  private readonly defaultPolicy: CloseDataPolicy;
  private nextParty = 1;
  /** indications wait here while the host works (a request, a message, a timer) and go out when it is done */
  private readonly out = new RunQueue<UniIndication>((i) => this.subject.next(i));
  private disposed = false;

  constructor(private readonly opts: CallControlConfig) {
    this.codec = opts.codec ?? defaultCodec;
    this.own = new Set(opts.ownAddresses.map(canonicalAddress));
    this.maxParties = Math.min(opts.limits?.partiesPerCall ?? 32_768, 32_768);
    this.core = new CallCore<HostLink, HostCall>(this, {
      scheduler: opts.scheduler ?? asyncScheduler,
      timers: opts.timers,
      codec: this.codec,
      calls: opts.limits?.calls,
      partiesPerCall: this.maxParties,
      manualRestartAck: opts.manualRestartAck,
    });
    this.defaultPolicy = {
      allowed: opts.closeData?.allowed ?? true,
      maxOctets: Math.min(opts.closeData?.maxOctets ?? CLOSE_DATA_MAX, CLOSE_DATA_MAX),
    };
  }

  // ---- indication queue -----------------------------------------------------

  /** one unit of work: the indications it makes go up when it is done */
  unit(fn: () => void): void {
    this.out.hold(fn);
  }

  /** (tests that inject messages on a link run them as the link would: one unit) */
  batch(fn: () => void): void {
    this.unit(fn);
  }

  private run<T>(fn: () => T): T {
    return this.out.hold(fn);
  }

  /** `call`: the indication's call when it is no longer in the registry (its last indication) */
  private emit(i: UniIndication, call = 'call' in i ? this.core.call(i.call) : undefined): void {
    this.out.post(withCallContext(i, call?.ctx));
  }

  // ---- links -----------------------------------------------------------------

  attachLink(peer: PeerId, saal: SaalService, side: Side, policy?: Partial<CloseDataPolicy>): void {
    this.run(() => {
      const link = this.core.attach(peer, peer, saal, side, {
        peer,
        policy: {
          allowed: policy?.allowed ?? this.defaultPolicy.allowed,
          maxOctets: Math.min(policy?.maxOctets ?? this.defaultPolicy.maxOctets, CLOSE_DATA_MAX),
        },
      });
      if (link.uni.established) this.emit({ kind: 'link-up', peer });
    });
  }

  detachLink(peer: PeerId): void {
    this.run(() => this.core.detach(peer));
  }

  /** the port of one link (diagnostics and tests) */
  linkOf(peer: PeerId): UniPort | undefined {
    return this.core.link(peer)?.uni;
  }

  closeDataPolicy(peer: PeerId): CloseDataPolicy {
    return { ...(this.core.link(peer)?.policy ?? this.defaultPolicy) };
  }

  linkUp(link: HostLink): void {
    this.emit({ kind: 'link-up', peer: link.peer });
  }

  linkDown(link: HostLink, reason: string, kept: number): void {
    this.emit({ kind: 'link-down', peer: link.peer, reason, kept });
  }

  restarted(link: HostLink, restartClass: number, vc?: VcId): void {
    this.emit({ kind: 'restart', peer: link.peer, restartClass, ...(vc ? { vc } : {}) });
  }

  restart(peer: PeerId, scope: { all: true } | { vpi: number; vci: number }): Result<void, UniError> {
    return this.run(() => {
      const e = this.core.link(peer);
      if (!e) return uerr('no-route', Cause.NO_ROUTE_TO_DESTINATION, `no link to ${peer}`);
      if (!e.uni.restart(scope)) return uerr('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, 'a RESTART is already in progress on this link');
      return ok(undefined);
    });
  }

  /** answer the peer's RESTART on that link (with manualRestartAck; the affected calls are already released) */
  restartAcknowledge(peer: PeerId): Result<void, UniError> {
    return this.run(() => {
      const e = this.core.link(peer);
      if (!e) return uerr('no-route', Cause.NO_ROUTE_TO_DESTINATION, `no link to ${peer}`);
      if (!e.uni.restartAcknowledge()) return uerr('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, 'no RESTART waits for an answer');
      return ok(undefined);
    });
  }

  protocolError(link: HostLink, cause: number, message: string): void {
    this.emit({ kind: 'protocol-error', peer: link.peer, cause, message });
  }

  // ---- helpers ---------------------------------------------------------------

  private checkClose(peer: PeerId, closeData?: Buffer): UniError | undefined {
    if (!closeData || closeData.length === 0) return undefined;
    const p = this.closeDataPolicy(peer);
    if (!p.allowed) return { code: 'close-data-not-allowed', cause: Cause.SERVICE_OR_OPTION_NOT_AVAILABLE, message: `link ${peer} does not carry close data` };
    if (closeData.length > p.maxOctets)
      return { code: 'close-data-too-long', cause: Cause.INVALID_INFORMATION_ELEMENT_CONTENTS, message: `close data of ${closeData.length} octets exceeds ${p.maxOctets}` };
    return undefined;
  }

  private newParty(call: HostCall, leg: Leg, ep: number, called: AtmAddress, phase: PartyPhase): HostParty {
    return this.enrol(this.partyRecord(call, leg, ep, called, phase));
  }

  /** a party not yet known to its call, its leg or the counts (it takes the next id when enrolled) */
  private partyRecord(call: HostCall, leg: Leg, ep: number, called: AtmAddress, phase: PartyPhase): HostParty {
    return new HostParty(this.nextParty, call, leg, ep, called, phase);
  }

  private enrol(p: HostParty): HostParty {
    this.nextParty++;
    if (this.nextParty > 0x7fffffff) this.nextParty = 1;
    this.core.enrol(p.call, p.id, p);
    if (p.phase !== 'dropping') p.call.undropped++;
    return p;
  }

  private markDropping(p: HostParty): void {
    if (p.phase !== 'dropping') p.call.undropped--;
    p.phase = 'dropping';
  }

  private removeParty(p: HostParty): void {
    if (this.core.remove(p.call, p.id, p) && p.phase !== 'dropping') p.call.undropped--;
  }

  private endCall(call: HostCall): void {
    if (call.done) return;
    call.done = true;
    for (const p of call.parties.values()) this.removeParty(p);
    this.core.forget(call);
  }

  private setupMessage(params: UniCallParams, called: AtmAddress): UniMessage {
    const ies: InfoElement[] = [
      params.aal ?? defaultAal(),
      params.traffic ?? defaultTraffic(),
      params.bearer ?? defaultBearer(params.multipoint),
      calledIe(called),
    ];
    if (params.calling) ies.push(callingIe(params.calling));
    ies.push(params.qos ?? defaultQos());
    if (params.blli) ies.push(params.blli);
    if (params.uu) ies.push(uuIe(params.uu));
    if (params.extra) ies.push(...params.extra);
    return { type: MsgType.SETUP, callRef: 0, callRefFlag: false, ies };
  }

  private route(called: AtmAddress): HostLink | undefined {
    const peer = this.opts.resolve(called);
    return peer === undefined ? undefined : this.core.link(peer);
  }

  // ---- outgoing --------------------------------------------------------------

  setCallContext(callId: CallId, ctx: unknown): void {
    const call = this.core.call(callId);
    if (call) call.ctx = ctx;
  }

  setup(params: UniCallParams): Result<{ call: CallId; party?: PartyId }, UniError> {
    return this.run(() => {
      if (this.disposed) return uerr('link-down', Cause.DESTINATION_OUT_OF_ORDER, 'host disposed');
      const e = this.route(params.called);
      if (!e) return uerr('no-route', Cause.NO_ROUTE_TO_DESTINATION, `no route to ${params.called}`);
      if (this.core.full) return uerr('limit', Cause.RESOURCE_UNAVAILABLE_UNSPECIFIED, 'call limit reached');
      const call = newHostCall(this.core.newCallId(), params.multipoint ? 'root' : 'p2p-out', params.multipoint, params);
      const r = this.openLeg(call, e, params.called);
      if (typeof r === 'string') return uerr(r, r === 'limit' ? Cause.RESOURCE_UNAVAILABLE_UNSPECIFIED : Cause.DESTINATION_OUT_OF_ORDER, `cannot set up on ${e.peer}: ${r}`);
      this.core.register(call);
      return ok(r.party ? { call: call.id, party: r.party.id } : { call: call.id });
    });
  }

  private openLeg(call: HostCall, e: HostLink, called: AtmAddress): { leg: Leg; party?: HostParty } | 'limit' | 'link-down' {
    const r = this.core.openLeg(call, e, this.setupMessage(call.params, called), (lc) => new Leg(this, call, e.uni, lc));
    if (typeof r === 'string') return r;
    call.firstLeg ??= r.leg; // (a call's first leg: known before its first party is made)
    const party = r.ep !== undefined ? this.newParty(call, r.leg, r.ep, called, 'adding') : undefined;
    return { leg: r.leg, party };
  }

  addParty(callId: CallId, params: UniPartyParams): Result<PartyId, UniError> {
    return this.run(() => {
      const call = this.core.call(callId);
      if (!call) return uerr('unknown-call', Cause.INVALID_CALL_REFERENCE_VALUE, `no call ${callId}`);
      if (!call.multipoint || call.role !== 'root') return uerr('not-multipoint', Cause.SERVICE_OR_OPTION_NOT_AVAILABLE, `call ${callId} is not a multipoint call we root`);
      if (!call.connected || call.releasing) return uerr('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, `call ${callId} is not established`);
      if (call.parties.size >= this.maxParties) return uerr('limit', Cause.TOO_MANY_PENDING_ADD_PARTY_REQUESTS, 'party limit reached');
      const e = this.route(params.called);
      if (!e) return uerr('no-route', Cause.NO_ROUTE_TO_DESTINATION, `no route to ${params.called}`);
      const leg = this.core.legOn(call, e);
      if (!leg) {
        const r = this.openLeg(call, e, params.called);
        if (typeof r === 'string') return uerr(r, Cause.DESTINATION_OUT_OF_ORDER, `cannot reach ${params.called}: ${r}`);
        return ok(r.party!.id);
      }
      const ies: InfoElement[] = [params.aal ?? call.params.aal ?? defaultAal(), calledIe(params.called)];
      if (params.calling ?? call.params.calling) ies.push(callingIe((params.calling ?? call.params.calling)!));
      if (params.blli) ies.push(params.blli);
      if (params.uu) ies.push(uuIe(params.uu));
      const add: UniMessage = { type: MsgType.ADD_PARTY, callRef: 0, callRefFlag: false, ies };
      const p = this.partyRecord(call, leg, -1, params.called, 'adding');
      const placed = leg.placeParty(p, add);
      if (placed === 'limit') return uerr('limit', Cause.TOO_MANY_PENDING_ADD_PARTY_REQUESTS, 'no endpoint reference left');
      if (typeof placed === 'object') return uerr('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, `the call's leg to ${e.peer} is in ${placed.refused}`);
      return ok(this.enrol(p).id);
    });
  }

  dropParty(callId: CallId, partyId: PartyId, o?: ClearingOptions): Result<void, UniError> {
    return this.run(() => {
      const call = this.core.call(callId);
      if (!call) return uerr('unknown-call', Cause.INVALID_CALL_REFERENCE_VALUE, `no call ${callId}`);
      if (!call.multipoint) return uerr('not-multipoint', Cause.SERVICE_OR_OPTION_NOT_AVAILABLE, `call ${callId} is point-to-point`);
      const p = call.parties.get(partyId);
      if (!p) return uerr('unknown-party', Cause.INVALID_ENDPOINT_REFERENCE, `no party ${partyId} in call ${callId}`);
      if (p.phase === 'dropping') return uerr('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, `party ${partyId} is already being dropped`);
      const bad = this.checkClose(p.leg.link.peer, o?.closeData);
      if (bad) return err(bad);
      if (call.undropped <= 1 && call.role === 'root') return this.release(callId, o);
      if (p.leg.queued.has(p)) {
        // nothing went out for it yet
        this.removeParty(p);
        this.emit({ kind: 'drop-party-confirm', call: call.id, party: p.id, cause: o?.cause ?? Cause.NORMAL_UNSPECIFIED });
        return ok(undefined);
      }
      this.markDropping(p);
      p.dropAsked = true;
      p.leg.link.partyRequest(p.leg.lc, p.ep, { k: 'drop-req', cause: o?.cause ?? Cause.NORMAL_UNSPECIFIED, closeData: o?.closeData });
      return ok(undefined);
    });
  }

  release(callId: CallId, o?: ClearingOptions): Result<void, UniError> {
    return this.run(() => {
      const call = this.core.call(callId);
      if (!call) return uerr('unknown-call', Cause.INVALID_CALL_REFERENCE_VALUE, `no call ${callId}`);
      if (call.releasing) return uerr('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, `call ${callId} is already being released`);
      const lp = this.leafParty(call);
      if (lp && this.leafSiblings(call, lp.leg)) {
        // a leaf endpoint whose link call carries other endpoints of this host: DROP PARTY for it alone
        const bad = this.checkClose(lp.leg.link.peer, o?.closeData);
        if (bad) return err(bad);
        call.releasing = true;
        this.markDropping(lp);
        lp.leg.link.partyRequest(lp.leg.lc, lp.ep, { k: 'drop-req', cause: o?.cause ?? Cause.NORMAL_CALL_CLEARING, closeData: o?.closeData });
        return ok(undefined);
      }
      for (const leg of call.legs.values()) {
        const bad = this.checkClose(leg.link.peer, o?.closeData);
        if (bad) return err(bad);
      }
      call.releasing = true;
      for (const p of call.parties.values()) this.markDropping(p);
      for (const leg of [...call.legs.values()])
        leg.link.callRequest(leg.lc, { k: 'release-req', cause: o?.cause ?? Cause.NORMAL_CALL_CLEARING, closeData: o?.closeData });
      return ok(undefined);
    });
  }

  // ---- incoming --------------------------------------------------------------

  incomingSetup(from: HostLink, lc: LinkCall, m: UniMessage): number {
    const link = from.uni;
    const params = paramsFromMessage(m, lc.multipoint);
    if (!this.own.has(params.called)) return Cause.UNALLOCATED_NUMBER;
    if (this.core.full) return Cause.RESOURCE_UNAVAILABLE_UNSPECIFIED;
    const call = newHostCall(this.core.newCallId(), lc.multipoint ? 'leaf' : 'p2p-in', lc.multipoint, params);
    const leg = new Leg(this, call, link, lc);
    lc.owner = leg;
    call.adoptLeg(leg);
    this.core.register(call);
    const party = lc.firstEp !== undefined ? this.newParty(call, leg, lc.firstEp, params.called, 'adding') : undefined;
    const vc = leg.vc() ?? { peer: link.peer, vpi: 0, vci: 0 };
    this.emit({ kind: 'setup', call: call.id, peer: link.peer, params, vc, ...(party ? { party: party.id } : {}) });
    return 0;
  }

  /**
   * Another endpoint of a multipoint call this host is already a leaf of: it
   * is an incoming call of its own (its own host call, `setup` indication and
   * answer), as if it had come to another host; its ADD PARTY is answered when
   * the layer above accepts or rejects it. All of them share the link call and
   * its VC on the wire.
   */
  incomingAddParty(from: HostLink, lc: LinkCall, ep: number, m: UniMessage): number {
    const link = from.uni;
    const leg = lc.owner instanceof Leg ? lc.owner : undefined;
    if (!leg || leg.call.role !== 'leaf') return Cause.NORMAL_UNSPECIFIED;
    const params = paramsFromMessage(m, true, leg.call.params);
    if (!this.own.has(params.called)) return Cause.UNALLOCATED_NUMBER;
    if (this.core.full) return Cause.RESOURCE_UNAVAILABLE_UNSPECIFIED;
    const call = newHostCall(this.core.newCallId(), 'leaf', true, params);
    call.adoptLeg(leg);
    this.core.register(call);
    const party = this.newParty(call, leg, ep, params.called, 'adding');
    const vc = leg.vc() ?? { peer: link.peer, vpi: 0, vci: 0 };
    this.emit({ kind: 'setup', call: call.id, peer: link.peer, params, vc, party: party.id });
    return ANSWER_LATER;
  }

  /** a leaf host call's own party (its endpoint on the shared link call) */
  private leafParty(call: HostCall): HostParty | undefined {
    if (call.role !== 'leaf') return undefined;
    for (const p of call.parties.values()) return p;
    return undefined;
  }

  /** another endpoint of the same link call is still someone's call here */
  private leafSiblings(call: HostCall, leg: Leg): boolean {
    for (const p of leg.byEp.values()) if (p.call !== call && !p.call.done) return true;
    return false;
  }

  /** a leaf host call whose endpoint came by ADD PARTY (not with the SETUP) */
  private addedLeaf(call: HostCall): HostParty | undefined {
    const p = this.leafParty(call);
    return p && p.ep !== p.leg.lc.firstEp ? p : undefined;
  }

  private incoming(callId: CallId): HostCall | UniError {
    const call = this.core.call(callId);
    if (!call) return { code: 'unknown-call', cause: Cause.INVALID_CALL_REFERENCE_VALUE, message: `no call ${callId}` };
    if (call.role !== 'p2p-in' && call.role !== 'leaf') return { code: 'wrong-state', cause: Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, message: `call ${callId} is not an incoming call` };
    return call;
  }

  private answer(callId: CallId, what: 'proceeding-req' | 'alerting-req' | 'connect-req', legal: string[]): Result<void, UniError> {
    return this.run(() => {
      const c = this.incoming(callId);
      if (!('id' in c)) return err(c);
      const added = this.addedLeaf(c);
      if (added) return this.answerAdded(c, added, what);
      const leg = c.firstLeg!;
      if (!legal.includes(leg.lc.st.phase) || c.releasing)
        return uerr('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, `call ${callId} is in ${this.codec.callStateName(stateCode(leg.lc.st), leg.link.side)}`);
      leg.link.leafAnswer(leg.lc, what);
      if (what === 'connect-req') for (const p of c.parties.values()) p.phase = 'connected';
      return ok(undefined);
    });
  }

  /** the answer to an endpoint that came by ADD PARTY: PARTY ALERTING, ADD PARTY ACKNOWLEDGE (then `active` once its link call is) */
  private answerAdded(c: HostCall, p: HostParty, what: 'proceeding-req' | 'alerting-req' | 'connect-req'): Result<void, UniError> {
    const st = p.leg.lc.parties.get(p.ep)?.st;
    if (c.releasing || (st !== PartyState.P2 && st !== PartyState.P3)) return uerr('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, `call ${c.id} was answered already`);
    if (what === 'proceeding-req') return ok(undefined);
    if (what === 'alerting-req') {
      p.leg.link.partyRequest(p.leg.lc, p.ep, { k: 'alerting-req' });
      p.phase = 'alerting';
      return ok(undefined);
    }
    p.leg.link.partyRequest(p.leg.lc, p.ep, { k: 'ack-req' });
    p.phase = 'connected';
    if (p.leg.lc.st.phase === 'active') {
      c.connected = true;
      this.emit({ kind: 'active', call: c.id });
    } else c.awaitActive = true;
    return ok(undefined);
  }

  proceeding(callId: CallId): Result<void, UniError> {
    return this.answer(callId, 'proceeding-req', ['in-setup']);
  }

  alerting(callId: CallId): Result<void, UniError> {
    return this.answer(callId, 'alerting-req', ['in-setup', 'in-proceeding']);
  }

  accept(callId: CallId): Result<void, UniError> {
    return this.answer(callId, 'connect-req', ['in-setup', 'in-proceeding', 'in-alerting']);
  }

  reject(callId: CallId, cause: number): Result<void, UniError> {
    return this.run(() => {
      const c = this.incoming(callId);
      if (!('id' in c)) return err(c);
      const lp = this.leafParty(c);
      if (lp && (lp.ep !== lp.leg.lc.firstEp || this.leafSiblings(c, lp.leg))) {
        // one endpoint of a link call others share: refuse that endpoint only
        const st = lp.leg.lc.parties.get(lp.ep)?.st;
        if (c.releasing || (st !== PartyState.P2 && st !== PartyState.P3)) return uerr('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, `call ${callId} was answered already`);
        c.releasing = true;
        if (lp.ep !== lp.leg.lc.firstEp) {
          lp.leg.link.partyRequest(lp.leg.lc, lp.ep, { k: 'reject-req', cause }); // ADD PARTY REJECT
          this.endLeaf(c, { kind: 'release-confirm', call: c.id, cause });
        } else {
          this.markDropping(lp);
          lp.leg.link.partyRequest(lp.leg.lc, lp.ep, { k: 'drop-req', cause }); // its drop-confirm ends the call
        }
        return ok(undefined);
      }
      const leg = c.firstLeg!;
      const ph = leg.lc.st.phase;
      if (ph !== 'in-setup' && ph !== 'in-proceeding' && ph !== 'in-alerting') return uerr('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, `call ${callId} was answered already`);
      c.releasing = true;
      leg.link.callRequest(leg.lc, { k: 'reject-req', cause });
      return ok(undefined);
    });
  }

  statusEnquiry(callId: CallId, partyId?: PartyId): Result<void, UniError> {
    return this.run(() => {
      const call = this.core.call(callId);
      if (!call) return uerr('unknown-call', Cause.INVALID_CALL_REFERENCE_VALUE, `no call ${callId}`);
      let leg = call.firstLeg;
      let ep: number | undefined;
      if (partyId !== undefined) {
        const p = call.parties.get(partyId);
        if (!p) return uerr('unknown-party', Cause.INVALID_ENDPOINT_REFERENCE, `no party ${partyId}`);
        leg = p.leg;
        ep = p.ep;
      }
      if (!leg || !call.legs.has(leg.link.peer)) return uerr('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, 'no leg');
      if (!leg.link.statusEnquiry(leg.lc, ep)) return uerr('wrong-state', Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, 'a STATUS ENQUIRY is outstanding');
      return ok(undefined);
    });
  }

  // ---- what the legs report --------------------------------------------------

  legCall(leg: Leg, ind: CallIndication): void {
    if (leg.call.role === 'leaf') return this.leafLegCall(leg, ind);
    const call = leg.call;
    if (call.done) return;
    const first = leg === call.firstLeg;
    const fp = leg.lc.firstEp !== undefined ? leg.byEp.get(leg.lc.firstEp) : undefined;
    switch (ind.k) {
      case 'proceeding':
        if (first && !call.connected) this.emit({ kind: 'proceeding', call: call.id });
        return;
      case 'alerting':
        if (fp && fp.phase === 'adding') fp.phase = 'alerting';
        if (first && !call.connected) this.emit({ kind: 'alerting', call: call.id, ...(fp ? { party: fp.id } : {}) });
        else if (fp) this.emit({ kind: 'party-alerting', call: call.id, party: fp.id });
        return;
      case 'connected': {
        if (fp && fp.phase !== 'dropping') fp.phase = 'connected';
        const vc = leg.vc() ?? { peer: leg.link.peer, vpi: 0, vci: 0 };
        if (first && !call.connected) {
          call.connected = true;
          this.emit({ kind: 'connected', call: call.id, ...(fp ? { party: fp.id } : {}), vc });
        } else if (fp) this.emit({ kind: 'party-added', call: call.id, party: fp.id, vc });
        this.flushQueued(leg);
        return;
      }
      case 'active':
        call.connected = true;
        this.emit({ kind: 'active', call: call.id });
        return;
      case 'released':
      case 'release-confirm':
        return this.legGone(leg, ind);
      default: {
        const m = modifyIndication(call, ind);
        if (m) this.emit(m);
      }
    }
  }

  // ---- Q.2963.1 modification (modify.ts) ----------------------------------

  modify(callId: CallId, pcr: PeakCellRates): Result<void, UniError> {
    return this.run(() => modifyRequest(this.core.call(callId), callId, pcr));
  }

  modifyAccept(callId: CallId): Result<void, UniError> {
    return this.run(() => modifyAnswer(this.core.call(callId), callId, true, 0));
  }

  modifyReject(callId: CallId, cause: number = Cause.RESOURCE_UNAVAILABLE_UNSPECIFIED): Result<void, UniError> {
    return this.run(() => modifyAnswer(this.core.call(callId), callId, false, cause));
  }

  traffic(callId: CallId): TrafficDescriptorIe | undefined {
    const call = this.core.call(callId);
    return call ? (call.params.traffic ?? defaultTraffic()) : undefined;
  }

  /** a leaf's link call, shared by the host calls of its endpoints: CONNECT ACK makes the accepted ones active, its end ends them all */
  private leafLegCall(leg: Leg, ind: CallIndication): void {
    const calls = new Set<HostCall>([leg.call]);
    for (const p of leg.byEp.values()) calls.add(p.call);
    if (ind.k === 'active') {
      for (const c of calls) {
        if (c.done || (c !== leg.call && !c.awaitActive)) continue;
        c.awaitActive = false;
        c.connected = true;
        this.emit({ kind: 'active', call: c.id });
      }
      return;
    }
    if (ind.k !== 'released' && ind.k !== 'release-confirm') return;
    const closeData = ind.k === 'released' ? ind.closeData : undefined;
    const remote = ind.k === 'released' ? ind.remote : false;
    for (const c of calls) {
      if (c.done) continue;
      this.endLeaf(c, c.releasing ? { kind: 'release-confirm', call: c.id, cause: ind.cause } : { kind: 'released', call: c.id, cause: ind.cause, ...(closeData ? { closeData } : {}), remote });
    }
  }

  /** one leaf endpoint left (remote DROP PARTY, our DROP PARTY acknowledged, an error drop): its host call ends */
  private leafPartyInd(call: HostCall, ind: PartyIndication): void {
    if (ind.k !== 'dropped' && ind.k !== 'drop-confirm' && ind.k !== 'rejected') return;
    const closeData = ind.k === 'drop-confirm' ? undefined : ind.closeData;
    const remote = ind.k === 'dropped' ? ind.remote : false;
    this.endLeaf(call, call.releasing ? { kind: 'release-confirm', call: call.id, cause: ind.cause } : { kind: 'released', call: call.id, cause: ind.cause, ...(closeData ? { closeData } : {}), remote });
  }

  private endLeaf(call: HostCall, final: Extract<UniIndication, { kind: 'released' | 'release-confirm' }>): void {
    call.dropLegs();
    this.endCall(call);
    this.emit(final, call);
  }

  private flushQueued(leg: Leg): void {
    leg.sendQueued((p) => {
      this.removeParty(p);
      this.emit({ kind: 'party-rejected', call: leg.call.id, party: p.id, cause: Cause.TOO_MANY_PENDING_ADD_PARTY_REQUESTS });
    });
  }

  private legGone(leg: Leg, ind: Extract<CallIndication, { k: 'released' | 'release-confirm' }>): void {
    const call = leg.call;
    call.dropLeg(leg);
    const onLeg = leg.parties();
    for (const p of onLeg) this.removeParty(p);
    const closeData = ind.k === 'released' ? ind.closeData : undefined;
    const remote = ind.k === 'released' ? ind.remote : false;
    if (call.final || call.legs.size === 0 || (call.multipoint && call.role === 'root' && call.parties.size === 0 && !this.anyLegPending(call))) {
      // the whole host call is over: what the layer above hears is decided by the event that ended it
      let final = call.final;
      if (!final) {
        const ours = call.releasing || (ind.k === 'release-confirm' && onLeg.length > 0 && onLeg.every((p) => p.phase === 'dropping'));
        final = ours
          ? { kind: 'release-confirm', call: call.id, cause: ind.cause }
          : { kind: 'released', call: call.id, cause: ind.cause, ...(closeData ? { closeData } : {}), remote };
        // kept on the call only while its other legs finish their clearing (most calls end with their one leg:
        // a field set on every call would take a slot in every call)
        if (call.legs.size > 0) call.final = final;
        for (const l of [...call.legs.values()]) l.link.callRequest(l.lc, { k: 'release-req', cause: Cause.NORMAL_CALL_CLEARING });
      }
      if (call.legs.size > 0) return; // the other legs finish their clearing first
      for (const p of [...onLeg, ...call.parties.values()])
        if (p.dropAsked) this.emit({ kind: 'drop-party-confirm', call: call.id, party: p.id, cause: ind.cause });
      this.endCall(call);
      this.emit(final, call);
      return;
    }
    if (call.releasing) {
      for (const p of onLeg) if (p.dropAsked) this.emit({ kind: 'drop-party-confirm', call: call.id, party: p.id, cause: ind.cause });
      return;
    }
    for (const p of onLeg) {
      if (p.phase === 'dropping') this.emit({ kind: 'drop-party-confirm', call: call.id, party: p.id, cause: ind.cause });
      else if (p.phase === 'adding' || p.phase === 'alerting')
        this.emit({ kind: 'party-rejected', call: call.id, party: p.id, cause: ind.cause, ...(closeData ? { closeData } : {}) });
      else this.emit({ kind: 'party-dropped', call: call.id, party: p.id, cause: ind.cause, ...(closeData ? { closeData } : {}), remote });
    }
  }

  private anyLegPending(call: HostCall): boolean {
    for (const l of call.legs.values()) if (l.byEp.size > 0 || l.queued.size > 0) return true;
    return false;
  }

  legParty(leg: Leg, ep: number, ind: PartyIndication): void {
    const p = leg.byEp.get(ep);
    if (!p || p.call.done) return;
    const call = p.call;
    if (call.role === 'leaf') return this.leafPartyInd(call, ind);
    switch (ind.k) {
      case 'alerting':
        p.phase = 'alerting';
        this.emit({ kind: 'party-alerting', call: call.id, party: p.id });
        return;
      case 'added':
        p.phase = 'connected';
        this.emit({ kind: 'party-added', call: call.id, party: p.id, vc: leg.vc() ?? { peer: leg.link.peer, vpi: 0, vci: 0 } });
        return;
      case 'rejected':
        this.removeParty(p);
        this.emit({ kind: 'party-rejected', call: call.id, party: p.id, cause: ind.cause, ...(ind.closeData ? { closeData: ind.closeData } : {}) });
        return;
      case 'dropped':
        this.removeParty(p);
        this.emit({ kind: 'party-dropped', call: call.id, party: p.id, cause: ind.cause, ...(ind.closeData ? { closeData: ind.closeData } : {}), remote: ind.remote });
        return;
      case 'drop-confirm':
        this.removeParty(p);
        if (!call.releasing || p.dropAsked) this.emit({ kind: 'drop-party-confirm', call: call.id, party: p.id, cause: ind.cause });
        return;
    }
  }

  // ---- views -----------------------------------------------------------------

  paths(callId: CallId): VcPath[] {
    const call = this.core.call(callId);
    if (!call) return [];
    const out: VcPath[] = [];
    for (const l of call.legs.values()) {
      const v = l.vc();
      if (v) out.push(v);
    }
    return out;
  }

  links(): UniSnapshot['links'] {
    return [...this.core.allLinks()].map(({ uni }) => ({ peer: uni.peer, side: uni.side, established: uni.established, calls: uni.calls.size }));
  }

  linkCalls(peer: PeerId): number {
    return this.core.link(peer)?.uni.calls.size ?? 0;
  }

  snapshot(): UniSnapshot {
    const links = this.links();
    const calls = [...this.core.allCalls()].map((c) => ({
      call: c.id,
      multipoint: c.multipoint,
      role: c.role,
      links: [...c.legs.values()].map((l) => ({
        peer: l.link.peer,
        callRef: l.lc.cref,
        state: this.codec.callStateName(stateCode(l.lc.st), l.link.side),
        ...(l.vc() ? { vc: l.vc()! } : {}),
      })),
      parties: [...c.parties.values()].map((p) => ({
        party: p.id,
        peer: p.leg.link.peer,
        epref: p.ep,
        state: this.codec.partyStateName(p.leg.lc.parties.get(p.ep)?.st ?? 0),
        called: p.called,
      })),
    }));
    return { links, calls };
  }

  counters(): UniCounters {
    const protocolErrors: Record<number, number> = {};
    for (const { uni } of this.core.allLinks())
      for (const [k, v] of Object.entries(uni.protocolErrors)) protocolErrors[+k] = (protocolErrors[+k] ?? 0) + v;
    return { ...this.core.counts(), protocolErrors };
  }

  /** calls the links still hold (including ones whose host call ended and that finish their clearing) */
  linkCallCount(): number {
    return this.core.counts().linkCalls;
  }

  dispose(): void {
    if (this.disposed) return;
    this.run(() => {
      for (const { uni } of this.core.allLinks()) uni.dispose();
    });
    this.core.dispose();
    this.disposed = true;
    this.out.close();
    this.subject.complete();
  }
}

export function createCallControl(opts: CallControlConfig): UniHost & CallControl {
  return new CallControl(opts);
}
