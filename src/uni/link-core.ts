/**
 * The per-link coordinator's foundation (uni-link.ts builds on it): the records of
 * calls and parties on one link, call reference / VCI / endpoint reference
 * allocation, sending with the call reference conventions, the call and party
 * machines with their effects and timers (the last-party rule included), the
 * link's own timers, and the replies the Q.2931 5.6 procedures send (STATUS,
 * ADD PARTY REJECT). Each call's parties live in a Map keyed by endpoint
 * reference with an incrementally kept count of living parties.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { TimerQueue, type QueuedTimer } from '../common/timer-queue.js';
import type { PeerId } from './api.js';
import { ANSWER_LATER, LinkCall, sharedParty, type CallOwner, type LinkSink, type UniPort } from './port.js';
import type { SaalService } from '../sscop/service.js';
import type { UniCodec } from './uni-codec.js';
import { stateCode, stepCall, type CallEvent, type CallIndication, type CallState, type VcId } from './call.js';
import { newParty, stepParty, type PartyEvent, type PartyIndication, type PartyMachine } from './party.js';
import { partyAlive, PartyState, type LinkState, type Side } from './states.js';
import { RESTART_IDLE, type RestartProcs } from './restart.js';
import type { TimerName } from './timers.js';
import type { UniTimers } from './api.js';
import { causeIe, causeOf, closeDataOf, eprefIe, msg, msgTypeDiag } from './call-ies.js';
import { Cause, findIe, IeId, MsgAction, MsgType, type InfoElement, type UniMessage } from './msg/types.js';
import { NumberMap } from '../common/number-map.js';

export const MAX_CALL_REF = 0x7ffffe;
export const MAX_EPREF = 0x7fff;
const FIRST_VCI = 32;
const MAX_VCI = 0xffff;


export interface LinkConfig {
  peer: PeerId;
  saal: SaalService;
  side: Side;
  timers: UniTimers;
  codec: UniCodec;
  scheduler: SchedulerLike;
  sink: LinkSink;
  partiesPerCall: number;
  /** true: a received RESTART is acknowledged only when restartAcknowledge() is called (T317 guards it) */
  manualRestartAck?: boolean;
}

export class LinkCore {
  readonly peer: PeerId;
  readonly side: Side;
  state: LinkState = 'CU0 Released';
  /** (a table every call adds to and deletes from: NumberMap, src/common/number-map.ts says why) */
  readonly calls: Map<number, LinkCall> = new NumberMap<LinkCall>();
  /** the RESTART procedures of the global call reference (restart.ts) */
  protected restartProcs: RestartProcs = RESTART_IDLE;
  protected t316?: Subscription;
  protected t317?: Subscription;
  /** next call reference to try (exposed for tests of the wrap) */
  nextCref = 1;
  protected nextVci = FIRST_VCI;
  protected readonly usedVci = new NumberMap<true>();
  protected disposed = false;
  /** the call and party timers: one scheduled action at a time for all of them */
  protected readonly timerQueue: TimerQueue;
  /** received messages handled by the 5.6 procedures, by cause */
  readonly protocolErrors: Record<number, number> = {};

  constructor(protected readonly cfg: LinkConfig) {
    this.peer = cfg.peer;
    this.side = cfg.side;
    this.timerQueue = new TimerQueue(cfg.scheduler);
    if (cfg.saal.established) this.state = 'CU3 Established';
  }

  /** a party leaves without signalling while others stay (so the last-party rule does not apply) */
  protected partyLocalRelease(lc: LinkCall, ep: number, cause: number): void {
    const pm = lc.parties.get(ep);
    if (!pm) return;
    const r = stepParty(pm, { k: 'local-release', cause });
    lc.parties.set(ep, sharedParty(r.state));
    if (partyAlive(pm.st) && !partyAlive(r.state.st)) lc.alive--;
    for (const f of r.effects) {
      if (f.t === 'ind') lc.owner?.onParty(lc, ep, f.ind);
      else if (f.t === 'stop' || f.t === 'gone') this.stopPartyTimer(lc, ep);
      if (f.t === 'gone') lc.parties.delete(ep);
    }
  }

  protected clearAllLocally(cause: number): void {
    for (const lc of [...this.calls.values()]) this.callEvent(lc, { k: 'local-release', cause });
  }

  protected sendRaw(m: UniMessage): void {
    if (this.disposed || this.state === 'CU0 Released') return;
    this.cfg.saal.data(this.cfg.codec.encode(m));
  }

  /** messages the machines hand over may live in their state (resends): send a copy with the call reference */
  protected sendOn(lc: LinkCall, m: UniMessage, extra?: InfoElement): void {
    this.sendRaw({ ...m, callRef: lc.cref, callRefFlag: !lc.mine, ies: extra ? [...m.ies, extra] : m.ies });
  }

  /** answer a message with its own call reference, flag inverted */
  protected reply(to: UniMessage, m: UniMessage): void {
    this.sendRaw({ ...m, callRef: to.callRef, callRefFlag: !to.callRefFlag });
  }

  protected countError(cause: number, text: string): void {
    this.protocolErrors[cause] = (this.protocolErrors[cause] ?? 0) + 1;
    // (every LinkCore is the base of a UniLink, which is a UniPort)
    this.cfg.sink.protocolError(this as unknown as UniPort, cause, `${text}: ${this.cfg.codec.causeName(cause)}`);
  }

  protected allocCref(): number | undefined {
    for (let i = 0; i < MAX_CALL_REF; i++) {
      const c = this.nextCref;
      this.nextCref = c >= MAX_CALL_REF ? 1 : c + 1;
      if (!this.calls.has(c * 2 + 1)) return c;
    }
    return undefined;
  }

  protected allocVci(): number | undefined {
    const span = MAX_VCI - FIRST_VCI + 1;
    for (let i = 0; i < span; i++) {
      const v = this.nextVci;
      this.nextVci = v >= MAX_VCI ? FIRST_VCI : v + 1;
      if (!this.usedVci.has(v)) {
        this.usedVci.set(v, true);
        return v;
      }
    }
    return undefined;
  }

  protected allocEp(lc: LinkCall): number | undefined {
    for (let i = 0; i <= MAX_EPREF; i++) {
      const e = lc.nextEp;
      lc.nextEp = e >= MAX_EPREF ? 0 : e + 1;
      if (!lc.parties.has(e)) return e;
    }
    return undefined;
  }

  protected releaseVc(vpi: number, vci: number, cause: number): void {
    // one VC: at most a few calls; the map is by call reference, so look at each call's VC
    for (const lc of [...this.calls.values()]) if (lc.st.vc && lc.st.vc.vpi === vpi && lc.st.vc.vci === vci) this.callEvent(lc, { k: 'local-release', cause });
  }

  /** a timer of the link itself (not of one call): T309, T316, T317 */
  protected linkTimer(t: 't309' | 't316' | 't317', on: () => void): Subscription {
    this.cfg.sink.timers(1);
    let fired = false;
    const sub = this.cfg.scheduler.schedule(() => {
      fired = true;
      this.cfg.sink.timers(-1);
      this.cfg.sink.batch(on);
    }, this.cfg.timers[t]);
    return {
      unsubscribe: () => {
        if (fired) return;
        fired = true;
        sub.unsubscribe();
        this.cfg.sink.timers(-1);
      },
    } as Subscription;
  }

  protected newPartyIn(lc: LinkCall, ep: number, role: 'root' | 'leaf'): void {
    lc.parties.set(ep, sharedParty(newParty(role, this.side, false)));
  }

  protected epMine(lc: LinkCall): boolean {
    // the side that sent the SETUP (the root) allocates every endpoint reference of the call
    return lc.mine;
  }

  protected callEvent(lc: LinkCall, e: CallEvent): void {
    const r = stepCall(lc.st, e);
    lc.st = r.state;
    this.runCallEffects(lc, r.effects);
  }

  protected runCallEffects(lc: LinkCall, effects: ReturnType<typeof stepCall>['effects']): void {
    for (const f of effects) {
      switch (f.t) {
        case 'send':
          if (lc.multipoint && lc.firstEp !== undefined && needsEpref(f.msg.type) && !findIe(f.msg, IeId.ENDPOINT_REFERENCE))
            this.sendOn(lc, f.msg, eprefIe(lc.firstEp, !this.epMine(lc)));
          else this.sendOn(lc, f.msg);
          break;
        case 'start':
          this.startCallTimer(lc, f.timer);
          break;
        case 'stop':
          this.stopCallTimer(lc, f.timer);
          break;
        case 'ind':
          lc.owner?.onCall(lc, f.ind);
          break;
        case 'wrong-state':
          this.wrongState(lc, f.msg);
          break;
        case 'parties-gone':
          this.stopPartyTimers(lc);
          lc.parties.clear();
          lc.alive = 0;
          break;
        case 'destroy':
          for (const t of [...lc.timers.keys()]) this.stopCallTimer(lc, t);
          this.stopPartyTimers(lc);
          lc.parties.clear();
          lc.alive = 0;
          if (this.calls.get(lc.key) === lc) this.calls.delete(lc.key);
          if (lc.ownVci && lc.st.vc) this.usedVci.delete(lc.st.vc.vci);
          lc.ownVci = false;
          break;
      }
    }
  }

  protected startCallTimer(lc: LinkCall, t: TimerName): void {
    this.stopCallTimer(lc, t);
    this.cfg.sink.timers(1);
    lc.timers.set(
      t,
      this.timerQueue.start(this.cfg.timers[t], () => {
        if (lc.timers.delete(t)) this.cfg.sink.timers(-1);
        if (this.calls.get(lc.key) === lc) this.cfg.sink.batch(() => this.callEvent(lc, { k: 'timer', timer: t }));
      }),
    );
  }

  protected stopCallTimer(lc: LinkCall, t: TimerName): void {
    const s = lc.timers.get(t);
    if (s) {
      s.cancel();
      lc.timers.delete(t);
      this.cfg.sink.timers(-1);
    }
  }

  protected partyEvent(lc: LinkCall, ep: number, e: PartyEvent): void {
    const pm = lc.parties.get(ep);
    if (!pm) return;
    const before = partyAlive(pm.st);
    const r = stepParty(pm, e);
    lc.parties.set(ep, sharedParty(r.state));
    const after = partyAlive(r.state.st);
    if (before !== after) lc.alive += after ? 1 : -1;

    // last-party rule: a DROP PARTY / DROP PARTY ACK / ADD PARTY REJECT for the last living party clears the call instead
    const conv = r.effects.find(
      (f) => f.t === 'send' && (f.msg.type === MsgType.DROP_PARTY || f.msg.type === MsgType.DROP_PARTY_ACKNOWLEDGE || f.msg.type === MsgType.ADD_PARTY_REJECT),
    ) as { t: 'send'; msg: UniMessage } | undefined;
    const clearable = lc.st.phase !== 'rel-sent' && lc.st.phase !== 'null' && lc.st.phase !== 'rel-rcvd';
    const lastOut = conv !== undefined && lc.alive === 0 && clearable;
    // a party that leaves without a message of ours (ADD PARTY REJECT, DROP PARTY ACK, STATUS naming Null) and was the
    // call's last one: the call has nothing left to carry and is cleared (Q.2971 last-party rule, receiving side)
    const emptied = !lastOut && clearable && lc.multipoint && lc.parties.size === 1 && r.effects.some((f) => f.t === 'gone');
    const ind = r.effects.find((f) => f.t === 'ind') as { t: 'ind'; ind: PartyIndication } | undefined;
    for (const f of r.effects) {
      switch (f.t) {
        case 'send':
          if (lastOut && f === conv) break;
          this.sendOn(lc, f.msg, eprefIe(ep, !this.epMine(lc)));
          break;
        case 'start':
          this.startPartyTimer(lc, ep, f.timer);
          break;
        case 'stop':
          this.stopPartyTimer(lc, ep);
          break;
        case 'ind':
          if (!lastOut && !emptied) lc.owner?.onParty(lc, ep, f.ind);
          break;
        case 'wrong-state':
          this.statusReply(lc, f.msg, Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, msgTypeDiag(f.msg.type));
          break;
        case 'gone':
          this.stopPartyTimer(lc, ep);
          lc.parties.delete(ep);
          break;
      }
    }
    if (lastOut && conv) {
      const cause = causeOf(conv.msg) ?? Cause.NORMAL_UNSPECIFIED;
      const closeData = closeDataOf(conv.msg) ?? (e.k === 'msg' ? closeDataOf(e.msg) : undefined);
      if (e.k === 'drop-req' || e.k === 'reject-req') {
        // our own drop of the last party on this link: RELEASE, close data included
        this.callEvent(lc, { k: 'release-req', cause, closeData: e.k === 'drop-req' ? e.closeData : undefined });
      } else if (e.k === 'msg' && e.msg.type === MsgType.DROP_PARTY) {
        // the peer dropped our last party: clear with its cause (96/100 when absent/bad) and hand its close data up
        const c = findIe(e.msg, IeId.CAUSE);
        const bad = (e.msg.errored ?? []).some((x) => x.id === IeId.CAUSE);
        const rc = c ? c.cause : bad ? Cause.INVALID_INFORMATION_ELEMENT_CONTENTS : Cause.MANDATORY_INFORMATION_ELEMENT_MISSING;
        this.callEvent(lc, { k: 'clear', cause: rc, diagnostic: c ? undefined : Buffer.from([IeId.CAUSE]), closeData: closeDataOf(e.msg), remote: true });
      } else {
        this.callEvent(lc, { k: 'clear', cause, closeData, remote: e.k === 'msg' });
      }
    } else if (emptied && partiesLeft(lc) === 0) {
      const i = ind?.ind;
      if (!i || i.k === 'alerting' || i.k === 'added' || i.k === 'drop-confirm')
        this.callEvent(lc, { k: 'release-req', cause: i && 'cause' in i ? i.cause : Cause.NORMAL_UNSPECIFIED });
      else this.callEvent(lc, { k: 'clear', cause: i.cause, closeData: i.closeData, remote: i.k === 'dropped' ? i.remote : true });
    }
  }

  protected startPartyTimer(lc: LinkCall, ep: number, t: TimerName): void {
    this.stopPartyTimer(lc, ep);
    this.cfg.sink.timers(1);
    const timer = this.timerQueue.start(this.cfg.timers[t], () => {
      // (a party that goes stops its timer: one still running is that of a party still there)
      if (lc.partyTimers?.get(ep) !== timer) return;
      lc.partyTimers.delete(ep);
      this.cfg.sink.timers(-1);
      this.cfg.sink.batch(() => this.partyEvent(lc, ep, { k: 'timer', timer: t }));
    });
    (lc.partyTimers ??= new NumberMap()).set(ep, timer);
  }

  protected stopPartyTimer(lc: LinkCall, ep: number): void {
    const timer = lc.partyTimers?.get(ep);
    if (!timer) return;
    timer.cancel();
    lc.partyTimers!.delete(ep);
    this.cfg.sink.timers(-1);
  }

  /** every party's timer stopped (the parties go all at once) */
  protected stopPartyTimers(lc: LinkCall): void {
    if (!lc.partyTimers) return;
    for (const ep of [...lc.partyTimers.keys()]) this.stopPartyTimer(lc, ep);
  }

  protected messageAction(m: UniMessage): number | undefined {
    if (!m.msgFlag) return undefined;
    const a = m.msgAction ?? 0;
    return a === 3 ? MsgAction.DISCARD_AND_REPORT : a;
  }

  protected errorClear(lc: LinkCall, cause: number, diagnostic?: Buffer): void {
    this.callEvent(lc, { k: 'clear', cause, diagnostic });
  }

  /** Q.2931 5.6.4 / 5.6.10: a known message the call (or party) state does not allow */
  protected wrongState(lc: LinkCall, m: UniMessage): void {
    const a = this.messageAction(m);
    this.countError(
      Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE,
      `${this.cfg.codec.messageName(m.type)} in ${this.cfg.codec.callStateName(stateCode(lc.st), this.side)}`,
    );
    if (a === MsgAction.DISCARD_AND_IGNORE) return;
    if (a === MsgAction.CLEAR_CALL && lc.st.phase !== 'rel-sent' && lc.st.phase !== 'rel-rcvd')
      return this.errorClear(lc, Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, msgTypeDiag(m.type));
    this.statusReply(lc, m, Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE, msgTypeDiag(m.type));
  }

  /** STATUS with our call state (and the party's endpoint state when the message named one) */
  protected statusReply(lc: LinkCall, to: UniMessage, cause: number, diagnostic?: Buffer): void {
    const ies: InfoElement[] = [{ id: IeId.CALL_STATE, state: stateCode(lc.st) }, causeIe(cause, diagnostic)];
    const ep = findIe(to, IeId.ENDPOINT_REFERENCE);
    if (ep) {
      const p = lc.parties.get(ep.value);
      ies.push(eprefIe(ep.value, !ep.flag), { id: IeId.ENDPOINT_STATE, state: p ? p.st : PartyState.P0 });
    }
    this.sendOn(lc, msg(MsgType.STATUS, ies));
  }

  protected addPartyReject(lc: LinkCall, to: UniMessage, cause: number, diagnostic?: Buffer): void {
    const ep = findIe(to, IeId.ENDPOINT_REFERENCE);
    const ies: InfoElement[] = [causeIe(cause, diagnostic)];
    if (ep) ies.push(eprefIe(ep.value, !ep.flag));
    this.sendOn(lc, msg(MsgType.ADD_PARTY_REJECT, ies));
  }
}

/** (a call, not a property read, so the compiler does not carry an earlier comparison over) */
function partiesLeft(lc: LinkCall): number {
  return lc.parties.size;
}

function needsEpref(t: number): boolean {
  return t === MsgType.CALL_PROCEEDING || t === MsgType.ALERTING || t === MsgType.CONNECT;
}
