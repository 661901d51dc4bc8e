/**
 * The port between call control and one UNI link: what call control (src/callcontrol/, and the
 * switch's src/switch/calls.ts) may ask of a link and what the link tells it back. The per-link
 * coordinator (`UniLink`, uni-link.ts) implements `UniPort`; call control sees nothing else of it.
 *
 * Asking (UniPort):
 * - setup(kind, SETUP, owner): a call out on this link (own call reference, VPI/VCI on the network
 *   side and, for 'root', the first endpoint reference)
 * - addParty(call, ADD PARTY): a further party on a call we root here
 * - leafAnswer(call, proceeding | alerting | connect): our answer to a SETUP
 * - callRequest(call, release-req | reject-req | modify-...): clearing and modification of a call
 * - partyRequest(call, ep, alerting-req | ack-req | reject-req | drop-req): a party's answer or drop
 * - statusEnquiry, restart, restartAcknowledge, dispose
 *
 * Told (LinkSink for the link as a whole, CallOwner per call): incoming SETUP and ADD PARTY, link up
 * and down, RESTART, protocol errors, and each call's and party's indications.
 *
 * The call records (LinkCall) cross the port as handles, a party as its call and endpoint reference:
 * call control keeps them and hands them back, and reads their state; only the link changes them.
 */
import type { QueuedTimer } from '../common/timer-queue.js';
import { DenseMap } from '../common/dense-map.js';
import { SmallMap } from '../common/small-map.js';
import type { PeerId } from './api.js';
import type { CallEvent, CallIndication, CallKind, CallState, VcId } from './call.js';
import type { PartyEvent, PartyIndication, PartyMachine } from './party.js';
import type { LinkState, Side } from './states.js';
import type { RestartScope } from './restart.js';
import type { TimerName } from './timers.js';
import type { UniMessage } from './msg/types.js';

/** LinkSink.incomingAddParty: the answer comes later (see there) */
export const ANSWER_LATER = -1;

/** What call control may ask of one UNI link. */
export interface UniPort {
  readonly peer: PeerId;
  readonly side: Side;
  readonly state: LinkState;
  readonly established: boolean;
  /** the calls on this link by key (call reference and who allocated it) */
  readonly calls: ReadonlyMap<number, LinkCall>;
  /** received messages handled by the 5.6 procedures, by cause */
  readonly protocolErrors: Readonly<Record<number, number>>;
  setup(kind: CallKind, setup: UniMessage, owner: CallOwner): { lc: LinkCall; ep?: number } | 'limit' | 'link-down';
  addParty(lc: LinkCall, add: UniMessage): number | 'limit';
  leafAnswer(lc: LinkCall, what: 'proceeding-req' | 'alerting-req' | 'connect-req'): void;
  /** a request of call control on one call (its machine decides what goes out) */
  callRequest(lc: LinkCall, e: CallEvent): void;
  /** a request of call control on one party */
  partyRequest(lc: LinkCall, ep: number, e: PartyEvent): void;
  statusEnquiry(lc: LinkCall, ep?: number): boolean;
  restart(scope: RestartScope): boolean;
  restartAcknowledge(): boolean;
  dispose(): void;
}

/** Who hears about one call on the link (the host call that owns it). */
export interface CallOwner {
  onCall(lc: LinkCall, ind: CallIndication): void;
  onParty(lc: LinkCall, ep: number, ind: PartyIndication): void;
}

/** What the link asks of / tells its host. */
export interface LinkSink {
  /** a SETUP arrived and passed the checks; return 0 to take it (set lc.owner) or a cause to refuse it */
  incomingSetup(port: UniPort, lc: LinkCall, m: UniMessage): number;
  /**
   * an ADD PARTY for a call we are a leaf of; 0 accepts (ADD PARTY ACK), else the ADD PARTY REJECT cause;
   * ANSWER_LATER leaves the party in P2 (a switch asks the far side first) until the sink sends
   * alerting-req / ack-req / reject-req for it through partyRequest
   */
  incomingAddParty(port: UniPort, lc: LinkCall, ep: number, m: UniMessage): number;
  linkUp(port: UniPort): void;
  /** SSCOP was lost; `kept` active calls wait out T309 (0: nothing was kept) */
  linkDown(port: UniPort, reason: string, kept: number): void;
  restarted(port: UniPort, restartClass: number, vc?: VcId): void;
  protocolError(port: UniPort, cause: number, message: string): void;
  /** a timer started (+1) or ended (-1), for the counters */
  timers(delta: number): void;
  /** run one unit of work (a signal, a timer): indications go up after it, never in the middle */
  batch(fn: () => void): void;
}

/** (tsc stops here when PartyMachine gains a field: sharedParty below must then key on it too) */
const partyFieldsKnown: Exclude<keyof PartyMachine, 'st' | 'role' | 'side' | 'first' | 'told'> extends never ? true : never = true;
void partyFieldsKnown;
const sharedParties = new Map<number, PartyMachine>();

/**
 * The one frozen PartyMachine with these values: a party's state is a handful of small values
 * (about a hundred combinations), so the parties share them instead of holding a copy each.
 */
export function sharedParty(pm: PartyMachine): PartyMachine {
  const key = (pm.st << 4) | (pm.role === 'root' ? 8 : 0) | (pm.side === 'network' ? 4 : 0) | (pm.first ? 2 : 0) | (pm.told ? 1 : 0);
  let s = sharedParties.get(key);
  if (!s) sharedParties.set(key, (s = Object.freeze({ st: pm.st, role: pm.role, side: pm.side, first: pm.first, told: pm.told })));
  return s;
}

export class LinkCall {
  /**
   * The parties by endpoint reference: each one's state, a frozen value shared with every party in
   * that state (see sharedParty), so a party costs its entry here and nothing more (8 B: the root
   * hands out endpoint references in sequence).
   */
  readonly parties: Map<number, PartyMachine> = new DenseMap();
  /** parties in P1, P2, P3, P4 or P7 */
  alive = 0;
  /** (a SmallMap: a call runs one call timer at a time; a Map would grow and shrink its table for each) */
  readonly timers: Map<TimerName, QueuedTimer> = new SmallMap();
  /** the running timer of each party that has one (at most one a party), made with the first (a NumberMap: a root adds and deletes one per party, src/common/number-map.ts) */
  partyTimers?: Map<number, QueuedTimer>;
  owner?: CallOwner;
  /** next endpoint reference to try (root side) */
  nextEp = 0;
  /** the endpoint reference of the party that came with the SETUP */
  firstEp?: number;
  /** we allocated the VCI (network side) */
  ownVci = false;
  constructor(
    readonly cref: number,
    /** we allocated the call reference (we sent the SETUP) */
    readonly mine: boolean,
    public st: CallState,
  ) {}
  get key(): number {
    return this.cref * 2 + (this.mine ? 1 : 0);
  }
  get multipoint(): boolean {
    return this.st.kind !== 'p2p';
  }
}

