/**
 * The per-link coordinator: one UNI (one peer host) over one SAAL service.
 *
 * On link-core.ts (calls, allocation, machines, timers) it adds the link
 * state (CU0..CU3) with SSCOP loss and T309 (Q.2931 5.5.6), the requests of
 * the host, and dispatch by call reference. Two jobs are pure steps in their
 * own files and only carried out here: the Q.2931 5.6 checks of every
 * received message (verify.ts) and the global call reference's RESTART
 * procedures (restart.ts). No operation walks all calls or all parties
 * (except clearing a whole call or link, which visits what it frees).
 */
import type { OperatorFunction, Subscription } from 'rxjs';
import type { SaalSignal } from '../sscop/service.js';
import { stepOperator } from '../common/step-operator.js';
import { DUMMY_CALL_REFERENCE } from './msg/index.js';
import { newCall, stateCode, type CallEvent, type CallKind, type VcId } from './call.js';
import type { PartyEvent } from './party.js';
import { PartyState, RestartState } from './states.js';
import { restartStep, type RestartEvent, type RestartScope } from './restart.js';
import { verify, verifySetup } from './verify.js';
import { causeIe, eprefIe, ieListDiag, msg, msgTypeDiag } from './call-ies.js';
import { Cause, findIe, IeId, MsgAction, MsgType, type InfoElement, type UniMessage } from './msg/types.js';
import { LinkCore, type LinkConfig } from './link-core.js';
import { ANSWER_LATER, LinkCall, type CallOwner, type UniPort } from './port.js';

export { MAX_CALL_REF, MAX_EPREF } from './link-core.js';
export type { LinkConfig } from './link-core.js';
export { ANSWER_LATER, LinkCall } from './port.js';
export type { CallOwner, LinkSink, UniPort } from './port.js';

const KNOWN_TYPES = new Set<number>(Object.values(MsgType).filter((v): v is number => typeof v === 'number'));
const PARTY_TYPES = new Set<number>([
  MsgType.ADD_PARTY,
  MsgType.ADD_PARTY_ACKNOWLEDGE,
  MsgType.ADD_PARTY_REJECT,
  MsgType.PARTY_ALERTING,
  MsgType.DROP_PARTY,
  MsgType.DROP_PARTY_ACKNOWLEDGE,
]);

/**
 * The UNI coordinator as the last step of its link's path up (src/host/link-pipeline.ts):
 * each SaalSignal handed to `link.signal`; nothing goes on. A UniLink puts it on its SAAL
 * service's signals$ and subscribes, which runs the path.
 */
export function coordinator(link: UniLink): OperatorFunction<SaalSignal, never> {
  return stepOperator<SaalSignal, never>((s) => link.signal(s));
}

export class UniLink extends LinkCore implements UniPort {
  /** Q.2931 5.5.6: runs while active calls wait for SSCOP to come back */
  private t309?: Subscription;
  private readonly sub: Subscription;

  constructor(cfg: LinkConfig) {
    super(cfg);
    this.sub = cfg.saal.signals$.pipe(coordinator(this)).subscribe();
  }

  get established(): boolean {
    return this.state === 'CU3 Established';
  }

  /** T309 runs: SSCOP was lost under active calls and is being re-established */
  get awaitingReestablish(): boolean {
    return this.t309 !== undefined;
  }

  // ---- SAAL ------------------------------------------------------------------

  /** one signal of the SAAL below (the coordinator step): handled with call control's indications held until it is done */
  signal(s: SaalSignal): void {
    this.cfg.sink.batch(() => this.onSignal(s));
  }

  private onSignal(s: SaalSignal): void {
    if (this.disposed) return;
    switch (s.kind) {
      case 'establish-indication':
      case 'establish-confirm': {
        const was = this.state;
        this.state = 'CU3 Established';
        this.stopT309();
        if (was !== 'CU3 Established') this.cfg.sink.linkUp(this);
        // SSCOP re-established under calls that survived (T309, resynchronisation, recovery): ask the peer where
        // each one stands (Q.2931 5.5.6); its STATUS answers are handled per 5.6.11 (call.ts)
        for (const lc of [...this.calls.values()]) if (lc.st.phase !== 'rel-sent' && lc.st.phase !== 'null') this.statusEnquiry(lc);
        return;
      }
      case 'release-indication':
        this.lost(s.reason, true);
        return;
      case 'release-confirm':
        this.lost('released', false);
        return;
      case 'data-indication':
      case 'unitdata-indication':
        this.receive(s.data);
        return;
    }
  }

  /**
   * SSCOP is gone. Q.2931 5.5.6 (`keep`, a release we did not ask for): active calls are kept with their
   * active parties (other parties leave locally, cause 27), T309 starts if it is not running and the link is
   * re-established; every call not active is cleared locally with cause 27. Without `keep`, or with no active
   * call, every call is cleared. Then the host hears of it.
   */
  lost(reason: string, keep: boolean): void {
    const was = this.state;
    // a failed attempt to re-establish while T309 runs: the host heard of the loss already
    const retrying = this.t309 !== undefined;
    this.state = 'CU0 Released';
    this.restartEvent({ k: 'link-lost' });
    let kept = 0;
    for (const lc of [...this.calls.values()]) {
      if (keep && lc.st.phase === 'active' && this.keepCall(lc)) kept++;
      else this.callEvent(lc, { k: 'local-release', cause: Cause.DESTINATION_OUT_OF_ORDER });
    }
    if (kept > 0) {
      this.t309 ??= this.linkTimer('t309', () => this.onT309());
      this.state = 'CU1 Awaiting Establish';
      this.cfg.saal.establish();
    } else this.stopT309();
    if (was !== 'CU0 Released' && !(retrying && kept > 0)) this.cfg.sink.linkDown(this, reason, kept);
  }

  /** an active call survives a link loss with its active parties; false when none is left (then it is cleared) */
  private keepCall(lc: LinkCall): boolean {
    if (!lc.multipoint) return true;
    const waiting = [...lc.parties].filter(([, pm]) => pm.st !== PartyState.P7);
    if (waiting.length === lc.parties.size) return false;
    for (const [ep] of waiting) this.partyLocalRelease(lc, ep, Cause.DESTINATION_OUT_OF_ORDER);
    return true;
  }

  /** T309 expired before SSCOP came back: the calls kept are cleared locally with cause 27 */
  private onT309(): void {
    this.t309 = undefined;
    if (this.state === 'CU3 Established') return;
    this.state = 'CU0 Released';
    this.clearAllLocally(Cause.DESTINATION_OUT_OF_ORDER);
  }

  private stopT309(): void {
    this.t309?.unsubscribe();
    this.t309 = undefined;
  }

  /** make sure the link is up or coming up; false when it cannot carry a message */
  ensureUp(): boolean {
    if (this.disposed) return false;
    if (this.state === 'CU0 Released' || this.state === 'CU2 Awaiting Release') {
      this.state = 'CU1 Awaiting Establish';
      this.cfg.saal.establish();
    }
    return true;
  }

  dispose(): void {
    if (this.disposed) return;
    this.stopT309();
    this.clearAllLocally(Cause.DESTINATION_OUT_OF_ORDER);
    this.restartEvent({ k: 'link-lost' });
    this.disposed = true;
    this.timerQueue.dispose();
    this.sub.unsubscribe();
    this.state = 'CU0 Released';
  }



  // ---- requests from the host ------------------------------------------------

  /** SETUP a call; multipoint calls get their first endpoint reference */
  setup(kind: CallKind, setup: UniMessage, owner: CallOwner): { lc: LinkCall; ep?: number } | 'limit' | 'link-down' {
    if (!this.ensureUp()) return 'link-down';
    const cref = this.allocCref();
    if (cref === undefined) return 'limit';
    let vc: VcId | undefined;
    let ownVci = false;
    if (this.side === 'network') {
      const vci = this.allocVci();
      if (vci === undefined) return 'limit';
      vc = { vpi: 0, vci };
      ownVci = true;
    }
    const lc = new LinkCall(cref, true, newCall(this.side, kind, vc));
    lc.ownVci = ownVci;
    lc.owner = owner;
    this.calls.set(lc.key, lc);
    let ep: number | undefined;
    const m: UniMessage = { ...setup, ies: [...setup.ies] };
    if (kind === 'root') {
      ep = this.allocEp(lc)!;
      lc.firstEp = ep;
      m.ies.push(eprefIe(ep, false));
      this.newPartyIn(lc, ep, 'root');
      this.partyEvent(lc, ep, { k: 'first-out' });
    }
    this.callEvent(lc, { k: 'setup-req', msg: m });
    return { lc, ep };
  }

  addParty(lc: LinkCall, add: UniMessage): number | 'limit' {
    if (lc.parties.size >= this.cfg.partiesPerCall) return 'limit';
    const ep = this.allocEp(lc);
    if (ep === undefined) return 'limit';
    this.newPartyIn(lc, ep, 'root');
    this.partyEvent(lc, ep, { k: 'add-req', msg: { ...add, ies: [...add.ies] } });
    return ep;
  }

  callRequest(lc: LinkCall, e: CallEvent): void {
    this.callEvent(lc, e);
  }

  partyRequest(lc: LinkCall, ep: number, e: PartyEvent): void {
    this.partyEvent(lc, ep, e);
  }

  /** leaf side: our answer to the SETUP moves the first party too */
  leafAnswer(lc: LinkCall, what: 'proceeding-req' | 'alerting-req' | 'connect-req'): void {
    const before = lc.st.phase;
    this.callEvent(lc, { k: what });
    if (lc.st.phase === before || lc.firstEp === undefined || !lc.parties.has(lc.firstEp)) return;
    if (what === 'alerting-req') this.partyEvent(lc, lc.firstEp, { k: 'alerting-req' });
    if (what === 'connect-req' && lc.st.phase === 'active') this.partyEvent(lc, lc.firstEp, { k: 'call-active' });
  }

  /** STATUS ENQUIRY on a call (T322; one outstanding per call) */
  statusEnquiry(lc: LinkCall, ep?: number): boolean {
    if (lc.st.sent.t322 > 0) return false;
    this.callEvent(lc, { k: 'status-enquiry-req', ies: ep === undefined ? undefined : [eprefIe(ep, !this.epMine(lc))] });
    return true;
  }

  /** RESTART one VC or all VCs of the link: affected calls are released locally first */
  restart(scope: RestartScope): boolean {
    if (this.restartProcs.restart !== RestartState.REST0) return false;
    if (!this.ensureUp()) return false;
    return this.restartEvent({ k: 'request', scope });
  }

  /** answer the peer's RESTART (automatic unless the link was configured to wait for the layer above) */
  restartAcknowledge(): boolean {
    return this.restartEvent({ k: 'answer' });
  }

  /** our RESTART (REST0 / REST1) */
  get restartState(): RestartState {
    return this.restartProcs.restart;
  }

  /** our answer to the peer's RESTART (REST0 / REST2) */
  get respondState(): RestartState {
    return this.restartProcs.respond;
  }

  /** one step of the RESTART procedures (restart.ts); the coordinator owns their timers and the calls they release */
  private restartEvent(e: RestartEvent): boolean {
    const r = restartStep(this.restartProcs, e);
    this.restartProcs = r.state;
    let restarted = false;
    for (const f of r.effects) {
      switch (f.k) {
        case 'send':
          this.sendRaw(f.m);
          break;
        case 'reply':
          if (e.k === 'message') this.reply(e.m, f.m);
          break;
        case 'start':
          if (f.t === 't316') this.t316 = this.linkTimer('t316', () => this.onRestartTimer('t316'));
          else this.t317 = this.linkTimer('t317', () => this.onRestartTimer('t317'));
          break;
        case 'stop':
          if (f.t === 't316') {
            this.t316?.unsubscribe();
            this.t316 = undefined;
          } else {
            this.t317?.unsubscribe();
            this.t317 = undefined;
          }
          break;
        case 'release':
          if (f.what === 'all') this.clearAllLocally(f.cause);
          else if ('vci' in f.what) this.releaseVc(f.what.vpi, f.what.vci, f.cause);
          else {
            const vpi = f.what.vpi;
            for (const lc of [...this.calls.values()]) if (lc.st.vc && lc.st.vc.vpi === vpi) this.callEvent(lc, { k: 'local-release', cause: f.cause });
          }
          break;
        case 'restarted':
          this.cfg.sink.restarted(this, f.restartClass, f.vc);
          restarted = true;
          break;
        case 'count':
          this.countError(f.cause, f.text);
          break;
      }
    }
    // every affected call is in Null now: acknowledge, unless the layer above answers itself
    if (restarted && !this.cfg.manualRestartAck) this.restartAcknowledge();
    return r.ok;
  }

  private onRestartTimer(t: 't316' | 't317'): void {
    if (t === 't316') this.t316 = undefined;
    else this.t317 = undefined;
    this.restartEvent({ k: t });
  }

  // ---- receiving ---------------------------------------------------------------

  receive(buf: Buffer): void {
    const d = this.cfg.codec.decode(buf);
    if (!d.ok) {
      // an unusable header is ignored (Q.2931 5.6.1..5.6.3)
      this.protocolErrors[0] = (this.protocolErrors[0] ?? 0) + 1;
      this.cfg.sink.protocolError(this, 0, `undecodable message dropped: ${d.error.message}`);
      return;
    }
    this.handle(d.value);
  }

  handle(m: UniMessage): void {
    if (this.disposed) return;
    if (m.callRef === 0) return this.handleGlobal(m);
    if (m.callRef === DUMMY_CALL_REFERENCE) return;
    // flag set: sent to the side that allocated the reference, i.e. to us
    const key = m.callRef * 2 + (m.callRefFlag ? 1 : 0);
    const lc = this.calls.get(key);
    if (!lc) return this.unknownCall(m);
    if (!KNOWN_TYPES.has(m.type)) return this.unknownType(lc, m);
    if (m.type === MsgType.SETUP || m.type === MsgType.RESTART || m.type === MsgType.RESTART_ACKNOWLEDGE) {
      if (m.type === MsgType.SETUP) return; // a repeated SETUP (T303 resend) for a call we already have
      return this.wrongState(lc, m);
    }
    if (!this.verify(lc, m)) return;
    if (!this.calls.has(key)) return; // the checks cleared it
    this.dispatch(lc, m);
  }

  private unknownType(lc: LinkCall, m: UniMessage): void {
    const a = this.messageAction(m);
    this.countError(Cause.MESSAGE_TYPE_NON_EXISTENT, `${this.cfg.codec.messageName(m.type)} does not exist`);
    if (a === MsgAction.DISCARD_AND_IGNORE) return;
    if (a === MsgAction.CLEAR_CALL) return this.errorClear(lc, Cause.MESSAGE_TYPE_NON_EXISTENT, msgTypeDiag(m.type));
    this.statusReply(lc, m, Cause.MESSAGE_TYPE_NON_EXISTENT, msgTypeDiag(m.type));
  }

  /** Q.2931 5.6.8 (verify.ts decides; the coordinator counts, answers and clears) */
  private verify(lc: LinkCall, m: UniMessage): boolean {
    const v = verify(m, { check: this.cfg.codec.check(m), side: this.side, multipoint: lc.multipoint, mine: lc.mine, vcAssigned: lc.st.vc !== undefined, name: this.messageName });
    for (const s of v.steps) {
      switch (s.k) {
        case 'count':
          this.countError(s.cause, s.text);
          break;
        case 'count-silent':
          this.protocolErrors[0] = (this.protocolErrors[0] ?? 0) + 1;
          break;
        case 'status':
          this.statusReply(lc, m, s.cause, s.diag);
          break;
        case 'clear-call':
          this.errorClear(lc, s.cause, s.diag);
          break;
        case 'add-party-reject':
          this.addPartyReject(lc, m, s.cause, s.diag);
          break;
      }
    }
    return v.proceed;
  }

  private readonly messageName = (type: number): string => this.cfg.codec.messageName(type);

  /** Q.2931 5.6.3: a message for a call reference we do not know */
  private unknownCall(m: UniMessage): void {
    switch (m.type) {
      case MsgType.SETUP:
        if (m.callRefFlag) return; // a SETUP must come from the side that allocated the reference
        return this.incomingSetup(m);
      case MsgType.RELEASE_COMPLETE:
        return;
      case MsgType.STATUS_ENQUIRY: {
        const ies: InfoElement[] = [{ id: IeId.CALL_STATE, state: 0 }, causeIe(Cause.RESPONSE_TO_STATUS_ENQUIRY)];
        const ep = findIe(m, IeId.ENDPOINT_REFERENCE);
        if (ep) ies.push(eprefIe(ep.value, !ep.flag), { id: IeId.ENDPOINT_STATE, state: 0 });
        this.reply(m, msg(MsgType.STATUS, ies));
        return;
      }
      case MsgType.STATUS: {
        const cs = findIe(m, IeId.CALL_STATE);
        if (!cs || cs.state === 0) return;
        this.countError(Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, 'STATUS for a call we do not have');
        this.reply(m, msg(MsgType.RELEASE_COMPLETE, [causeIe(Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, msgTypeDiag(m.type))]));
        return;
      }
      default:
        this.countError(Cause.INVALID_CALL_REFERENCE_VALUE, `${this.cfg.codec.messageName(m.type)} for unknown call reference ${m.callRef}`);
        this.reply(m, msg(MsgType.RELEASE_COMPLETE, [causeIe(Cause.INVALID_CALL_REFERENCE_VALUE)]));
    }
  }

  private incomingSetup(m: UniMessage): void {
    const refuse = (cause: number, diag?: Buffer, text?: string) => {
      if (text) this.countError(cause, text);
      this.reply(m, msg(MsgType.RELEASE_COMPLETE, [causeIe(cause, diag)]));
    };
    const v = verifySetup(m, this.cfg.codec.check(m), this.side);
    if (v.k === 'refuse') return refuse(v.cause, v.diag, v.text);
    if (v.k === 'ignore') {
      this.protocolErrors[0] = (this.protocolErrors[0] ?? 0) + 1;
      return;
    }
    let vc: VcId | undefined;
    let ownVci = false;
    if (this.side === 'network') {
      const vci = this.allocVci();
      if (vci === undefined) return refuse(Cause.NO_VPCI_VCI_AVAILABLE, undefined, 'no VCI left');
      vc = { vpi: 0, vci };
      ownVci = true;
    }
    const lc = new LinkCall(m.callRef, false, newCall(this.side, v.multipoint ? 'leaf' : 'p2p', vc));
    lc.ownVci = ownVci;
    this.calls.set(lc.key, lc);
    this.callEvent(lc, { k: 'setup-ind', msg: m });
    if (v.ep !== undefined) {
      lc.firstEp = v.ep;
      this.newPartyIn(lc, v.ep, 'leaf');
      this.partyEvent(lc, v.ep, { k: 'add-ind', first: true });
    }
    if (v.report) this.statusReply(lc, m, v.report.cause, v.report.diag);
    const cause = this.cfg.sink.incomingSetup(this, lc, m);
    if (cause !== 0 && this.calls.get(lc.key) === lc) this.callEvent(lc, { k: 'reject-req', cause });
  }

  private handleGlobal(m: UniMessage): void {
    this.restartEvent({ k: 'message', m, name: this.messageName });
  }

  // ---- dispatch of a checked message on a known call ------------------------------

  private dispatch(lc: LinkCall, m: UniMessage): void {
    const ph = lc.st.phase;
    if (m.type === MsgType.STATUS_ENQUIRY) {
      const ep = findIe(m, IeId.ENDPOINT_REFERENCE);
      const ies: InfoElement[] = [{ id: IeId.CALL_STATE, state: stateCode(lc.st) }, causeIe(Cause.RESPONSE_TO_STATUS_ENQUIRY)];
      if (ep) ies.push(eprefIe(ep.value, !ep.flag), { id: IeId.ENDPOINT_STATE, state: lc.parties.get(ep.value)?.st ?? 0 });
      this.sendOn(lc, msg(MsgType.STATUS, ies));
      return;
    }
    if (m.type === MsgType.NOTIFY) return;
    if (PARTY_TYPES.has(m.type)) return this.partyMessage(lc, m);
    if (m.type === MsgType.STATUS) {
      const ep = findIe(m, IeId.ENDPOINT_REFERENCE);
      this.callEvent(lc, { k: 'msg', msg: m });
      if (ep && this.calls.get(lc.key) === lc && lc.parties.has(ep.value)) this.partyEvent(lc, ep.value, { k: 'msg', msg: m });
      return;
    }
    const first = lc.firstEp;
    if (lc.st.kind === 'root' && first !== undefined && (m.type === MsgType.ALERTING || m.type === MsgType.CONNECT || m.type === MsgType.CALL_PROCEEDING)) {
      const ep = findIe(m, IeId.ENDPOINT_REFERENCE);
      if (ep && ep.value !== first) {
        this.countError(Cause.INVALID_ENDPOINT_REFERENCE, `${this.cfg.codec.messageName(m.type)} names endpoint ${ep.value}`);
        this.sendOn(lc, msg(MsgType.DROP_PARTY_ACKNOWLEDGE, [causeIe(Cause.INVALID_ENDPOINT_REFERENCE), eprefIe(ep.value, !ep.flag)]));
        return;
      }
    }
    this.callEvent(lc, { k: 'msg', msg: m });
    if (this.calls.get(lc.key) !== lc || first === undefined || lc.st.phase === ph) return;
    // the first party rides on the call's own messages
    if (m.type === MsgType.ALERTING || m.type === MsgType.CONNECT) this.partyEvent(lc, first, { k: 'msg', msg: m });
    else if (m.type === MsgType.CONNECT_ACKNOWLEDGE) this.partyEvent(lc, first, { k: 'call-active' });
  }

  private partyMessage(lc: LinkCall, m: UniMessage): void {
    const ph = lc.st.phase;
    const name = (): string => this.cfg.codec.messageName(m.type);
    if (!lc.multipoint) return this.wrongState(lc, m);
    if (ph === 'rel-sent' || ph === 'rel-rcvd') return; // the call is going anyway
    const epIe = findIe(m, IeId.ENDPOINT_REFERENCE);
    if (!epIe) {
      this.statusReply(lc, m, Cause.MANDATORY_INFORMATION_ELEMENT_MISSING, ieListDiag([IeId.ENDPOINT_REFERENCE]));
      return;
    }
    const ep = epIe.value;
    const isRoot = lc.st.kind === 'root';
    const p = lc.parties.get(ep);
    switch (m.type) {
      case MsgType.ADD_PARTY: {
        if (isRoot || !(ph === 'in-alerting' || ph === 'in-connect' || ph === 'active')) return this.wrongState(lc, m);
        if (epIe.flag) return this.statusReply(lc, m, Cause.INVALID_ENDPOINT_REFERENCE, ieListDiag([IeId.ENDPOINT_REFERENCE]));
        if (p) {
          if (p.st === PartyState.P2) return; // a repeated ADD PARTY
          return this.statusReply(lc, m, Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, msgTypeDiag(m.type));
        }
        if (lc.parties.size >= this.cfg.partiesPerCall) return this.addPartyReject(lc, m, Cause.TOO_MANY_PENDING_ADD_PARTY);
        this.newPartyIn(lc, ep, 'leaf');
        this.partyEvent(lc, ep, { k: 'add-ind', first: false });
        const cause = this.cfg.sink.incomingAddParty(this, lc, ep, m);
        if (cause === ANSWER_LATER || !lc.parties.has(ep)) return;
        if (cause === 0) this.partyEvent(lc, ep, { k: 'ack-req' });
        else this.partyEvent(lc, ep, { k: 'reject-req', cause });
        return;
      }
      case MsgType.PARTY_ALERTING:
      case MsgType.ADD_PARTY_ACKNOWLEDGE:
        if (!isRoot) return this.wrongState(lc, m);
        if (!p) {
          this.countError(Cause.INVALID_ENDPOINT_REFERENCE, `${name()} for unknown endpoint ${ep}`);
          this.sendOn(lc, msg(MsgType.DROP_PARTY_ACKNOWLEDGE, [causeIe(Cause.INVALID_ENDPOINT_REFERENCE), eprefIe(ep, !epIe.flag)]));
          return;
        }
        if (ph !== 'out-alerting' && ph !== 'active') return this.wrongState(lc, m);
        return this.partyEvent(lc, ep, { k: 'msg', msg: m });
      case MsgType.ADD_PARTY_REJECT:
        if (!isRoot) return this.wrongState(lc, m);
        if (!p) return;
        if (ph !== 'out-alerting' && ph !== 'active') return this.wrongState(lc, m);
        return this.partyEvent(lc, ep, { k: 'msg', msg: m });
      case MsgType.DROP_PARTY:
        if (ph === 'null' || ph === 'out-proceeding' || ph === 'out-setup') return this.wrongState(lc, m);
        if (!p) {
          this.countError(Cause.INVALID_ENDPOINT_REFERENCE, `${name()} for unknown endpoint ${ep}`);
          this.sendOn(lc, msg(MsgType.DROP_PARTY_ACKNOWLEDGE, [causeIe(Cause.INVALID_ENDPOINT_REFERENCE), eprefIe(ep, !epIe.flag)]));
          return;
        }
        return this.partyEvent(lc, ep, { k: 'msg', msg: m });
      case MsgType.DROP_PARTY_ACKNOWLEDGE:
        if (!p) return;
        if (!(ph === 'out-alerting' || ph === 'in-alerting' || ph === 'in-connect' || ph === 'active')) return this.wrongState(lc, m);
        return this.partyEvent(lc, ep, { k: 'msg', msg: m });
    }
  }
}

