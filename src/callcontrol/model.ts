/**
 * The records a UniHost keeps (host calls, their legs on links, parties) and
 * the reading of a received SETUP / ADD PARTY into call parameters, kept
 * apart from `host.ts` (which drives them) so that file stays one job.
 */
import { SmallMap } from '../common/small-map.js';
import type { AtmAddress, CallId, PartyId, PeerId, UniCallParams, UniIndication, VcPath } from '../uni/api.js';
import type { CallIndication } from '../uni/call.js';
import { addressOf, canonicalAddress } from '../uni/call-ies.js';
import type { LinkCall, UniPort } from '../uni/port.js';
import { CallLeg } from './legs.js';
import type { PartyIndication } from '../uni/party.js';
import { IeId, type InfoElement, type KnownIe, type UniMessage } from '../uni/msg/types.js';

export type PartyPhase = (typeof PHASES)[number];

const PHASES = ['adding', 'alerting', 'connected', 'dropping'] as const;
const PHASE = 3; // (the phase's index in PHASES)
const DROP_ASKED = 4;

/**
 * A host party. Its phase and whether its drop was asked for share one number, and the address it
 * was called at and its leg are kept only when they are not its call's (its address, its first leg:
 * most parties have those): every party is one of these at the root and one at the leaf host.
 */
export class HostParty {
  private flags: number;
  /** (the address, when it is not the call's) */
  declare private readonly calledHere?: AtmAddress;
  /** (the leg, when it is not the call's first) */
  declare private readonly legHere?: Leg;

  constructor(
    readonly id: PartyId,
    readonly call: HostCall,
    leg: Leg,
    /** -1 while queued behind its leg's SETUP */
    public ep: number,
    called: AtmAddress,
    phase: PartyPhase,
  ) {
    this.flags = PHASES.indexOf(phase);
    if (called !== call.params.called) this.calledHere = called;
    if (leg !== call.firstLeg) this.legHere = leg;
  }

  get leg(): Leg {
    return this.legHere ?? this.call.firstLeg!;
  }

  get called(): AtmAddress {
    return this.calledHere ?? this.call.params.called;
  }
  get phase(): PartyPhase {
    return PHASES[this.flags & PHASE]!;
  }
  set phase(to: PartyPhase) {
    this.flags = (this.flags & ~PHASE) | PHASES.indexOf(to);
  }
  /** dropParty was asked for this party: it gets its drop-party-confirm even if the call is released meanwhile */
  get dropAsked(): boolean {
    return (this.flags & DROP_ASKED) !== 0;
  }
  set dropAsked(on: boolean) {
    this.flags = on ? this.flags | DROP_ASKED : this.flags & ~DROP_ASKED;
  }
}

/** What a leg reports to: the host. */
export interface LegSink {
  legCall(leg: Leg, ind: CallIndication): void;
  legParty(leg: Leg, ep: number, ind: PartyIndication): void;
}

/**
 * One host call's share of one Q.2931 call on one link (legs.ts). At a leaf
 * host one leg is shared: every endpoint of the link call is a host call of
 * its own (`byEp` maps each endpoint reference to its party, whose `call` is
 * that host call); `call` is then the host call of the SETUP's endpoint.
 */
export class Leg extends CallLeg<HostCall, HostParty> {
  constructor(
    readonly host: LegSink,
    call: HostCall,
    link: UniPort,
    lc: LinkCall,
  ) {
    super(call, link, lc);
  }
  onCall(_lc: LinkCall, ind: CallIndication): void {
    this.host.legCall(this, ind);
  }
  onParty(_lc: LinkCall, ep: number, ind: PartyIndication): void {
    this.host.legParty(this, ep, ind);
  }
  vc(): VcPath | undefined {
    const v = this.lc.st.vc;
    return v ? { peer: this.link.peer, vpi: v.vpi, vci: v.vci } : undefined;
  }
  private only?: Map<PeerId, Leg>;
  /** the legs of a call that has this leg alone: one read-only map, which every endpoint's call at a leaf host shares */
  alone(): Map<PeerId, Leg> {
    return (this.only ??= Object.freeze(new SmallMap<PeerId, Leg>([[this.link.peer, this]])) as Map<PeerId, Leg>);
  }
}

/** the legs of an incoming call before it has its leg, and after it lost it */
const NO_LEGS = Object.freeze(new SmallMap<PeerId, Leg>()) as Map<PeerId, Leg>;

const ROLES = ['root', 'leaf', 'p2p-out', 'p2p-in'] as const;
const ROLE = 3; // (the role's index in ROLES)
const MULTIPOINT = 4;
const CONNECTED = 8;
const RELEASING = 16;
const DONE = 32;
const AWAIT_ACTIVE = 64;

/**
 * A host call. Its role and yes/no fields share one number (`flags`) behind accessors: a field of
 * its own costs 8 B, and every endpoint of a multipoint call at a leaf host is a host call.
 */
export class HostCall {
  /**
   * Most calls have one leg and one party (every endpoint at a leaf host is a call of its own):
   * maps that make a table only for a second entry. An incoming call has one leg at most, in a
   * read-only map it shares with the other calls on that leg (`adoptLeg`, `dropLeg`).
   */
  legs: Map<PeerId, Leg>;
  readonly parties: Map<PartyId, HostParty> = new SmallMap();
  /** the leg of the call's first party (the one `connected` reports) */
  firstLeg: Leg | undefined = undefined;
  /** parties not being dropped, kept as they change */
  undropped = 0;
  /** the context its user gave it (UniHost.setCallContext), carried by every indication about it */
  ctx: unknown = undefined;
  private flags: number;
  /** the call is over; this goes up once its last leg is gone */
  declare final?: Extract<UniIndication, { kind: 'released' | 'release-confirm' }>;

  constructor(
    readonly id: CallId,
    role: (typeof ROLES)[number],
    multipoint: boolean,
    readonly params: UniCallParams,
  ) {
    this.flags = ROLES.indexOf(role) | (multipoint ? MULTIPOINT : 0);
    this.legs = this.incoming ? NO_LEGS : new SmallMap();
  }

  private get incoming(): boolean {
    const r = this.role;
    return r === 'leaf' || r === 'p2p-in';
  }

  /** an incoming call's one leg (the SETUP's, or the one an ADD PARTY came on) */
  adoptLeg(leg: Leg): void {
    if (!this.incoming) throw new Error(`adoptLeg: call ${this.id} is not an incoming call`);
    this.legs = leg.alone();
    this.firstLeg = leg;
  }

  /** the call's leg on that link is gone */
  dropLeg(leg: Leg): void {
    if (this.legs.get(leg.link.peer) !== leg) return;
    if (Object.isFrozen(this.legs)) this.legs = NO_LEGS;
    else this.legs.delete(leg.link.peer);
  }

  /** every leg of the call is gone */
  dropLegs(): void {
    if (Object.isFrozen(this.legs)) this.legs = NO_LEGS;
    else this.legs.clear();
  }

  get role(): (typeof ROLES)[number] {
    return ROLES[this.flags & ROLE]!;
  }
  get multipoint(): boolean {
    return (this.flags & MULTIPOINT) !== 0;
  }
  get connected(): boolean {
    return (this.flags & CONNECTED) !== 0;
  }
  set connected(on: boolean) {
    this.flag(CONNECTED, on);
  }
  /** release() asked: release-confirm when the last leg is gone */
  get releasing(): boolean {
    return (this.flags & RELEASING) !== 0;
  }
  set releasing(on: boolean) {
    this.flag(RELEASING, on);
  }
  get done(): boolean {
    return (this.flags & DONE) !== 0;
  }
  set done(on: boolean) {
    this.flag(DONE, on);
  }
  /** leaf call of an added endpoint, accepted (ADD PARTY ACKNOWLEDGE sent) while its link call was not yet active */
  get awaitActive(): boolean {
    return (this.flags & AWAIT_ACTIVE) !== 0;
  }
  set awaitActive(on: boolean) {
    this.flag(AWAIT_ACTIVE, on);
  }
  private flag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }
}

export function newHostCall(id: CallId, role: HostCall['role'], multipoint: boolean, params: UniCallParams): HostCall {
  return new HostCall(id, role, multipoint, params);
}

/** SETUP IEs that map onto UniCallParams fields (the rest travel up in `extra`) */
const SETUP_PARAM_IES = new Set<number>([
  IeId.AAL_PARAMETERS,
  IeId.ATM_TRAFFIC_DESCRIPTOR,
  IeId.BROADBAND_BEARER_CAPABILITY,
  IeId.CALLED_PARTY_NUMBER,
  IeId.CALLING_PARTY_NUMBER,
  IeId.QOS_PARAMETER,
  IeId.BROADBAND_LOW_LAYER_INFORMATION,
  IeId.USER_USER,
  IeId.CONNECTION_IDENTIFIER,
  IeId.ENDPOINT_REFERENCE,
]);

/**
 * One string per address: each decoded SETUP / ADD PARTY makes new strings for its addresses, and
 * every endpoint at a leaf host keeps its call's (thousands of parties, a handful of addresses).
 * Bounded: past the limit new addresses are simply not shared.
 */
const addresses = new Map<string, string>();
function intern(a: string): string {
  const known = addresses.get(a);
  if (known !== undefined) return known;
  if (addresses.size < 4096) addresses.set(a, a);
  return a;
}

/**
 * An ADD PARTY's IE, or its call's when the ADD PARTY has none or says the same (every ADD PARTY
 * repeats the AAL parameters: thousands of endpoints of one call at a leaf host then share one).
 */
function sharedIe<T extends object>(own: T | undefined, base: T | undefined): T | undefined {
  if (own === undefined) return base;
  if (base === undefined) return own;
  const a = own as Record<string, unknown>;
  const b = base as Record<string, unknown>;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return own;
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (!(Buffer.isBuffer(x) && Buffer.isBuffer(y) && x.equals(y))) return own;
  }
  return base;
}

/**
 * The call parameters a received SETUP (or ADD PARTY) carries. For an ADD
 * PARTY, `base` holds what its call's SETUP said (traffic, bearer, QoS), which
 * an ADD PARTY does not repeat; the ADD PARTY's own IEs take precedence.
 */
export function paramsFromMessage(m: UniMessage, multipoint: boolean, base?: UniCallParams): UniCallParams {
  // one pass over the IEs: the first known one of each kind, and every IE of a kind not listed above
  let called: Extract<KnownIe, { id: IeId.CALLED_PARTY_NUMBER }> | undefined;
  let calling: Extract<KnownIe, { id: IeId.CALLING_PARTY_NUMBER }> | undefined;
  let uu: Extract<KnownIe, { id: IeId.USER_USER }> | undefined;
  let ownTraffic: UniCallParams['traffic'];
  let ownBearer: UniCallParams['bearer'];
  let ownQos: UniCallParams['qos'];
  let ownAal: UniCallParams['aal'];
  let ownBlli: UniCallParams['blli'];
  let extra: InfoElement[] | undefined;
  for (const ie of m.ies) {
    if (!SETUP_PARAM_IES.has(ie.id)) (extra ??= []).push(ie);
    else if (!('unknown' in ie)) {
      switch (ie.id) {
        case IeId.CALLED_PARTY_NUMBER:
          called ??= ie;
          break;
        case IeId.CALLING_PARTY_NUMBER:
          calling ??= ie;
          break;
        case IeId.USER_USER:
          uu ??= ie;
          break;
        case IeId.ATM_TRAFFIC_DESCRIPTOR:
          ownTraffic ??= ie;
          break;
        case IeId.BROADBAND_BEARER_CAPABILITY:
          ownBearer ??= ie;
          break;
        case IeId.QOS_PARAMETER:
          ownQos ??= ie;
          break;
        case IeId.AAL_PARAMETERS:
          ownAal ??= ie;
          break;
        case IeId.BROADBAND_LOW_LAYER_INFORMATION:
          ownBlli ??= ie;
          break;
      }
    }
  }
  const traffic = sharedIe(ownTraffic, base?.traffic);
  const bearer = sharedIe(ownBearer, base?.bearer);
  const qos = sharedIe(ownQos, base?.qos);
  const aal = sharedIe(ownAal, base?.aal);
  const blli = sharedIe(ownBlli, base?.blli);
  const callingAddr = calling ? intern(addressOf(calling)) : base?.calling;
  const calledAddr = intern(canonicalAddress(called ? addressOf(called) : ''));
  // an ADD PARTY that says what its call's SETUP said: the endpoint's call shares the SETUP's parameters
  if (
    base &&
    !uu &&
    !extra &&
    base.uu === undefined &&
    base.extra === undefined &&
    base.called === calledAddr &&
    base.multipoint === multipoint &&
    base.calling === callingAddr &&
    base.traffic === traffic &&
    base.bearer === bearer &&
    base.qos === qos &&
    base.aal === aal &&
    base.blli === blli
  )
    return base;
  // (fields set one by one, in this order, only when present: no temporary object per optional field)
  const p: UniCallParams = { called: calledAddr, multipoint };
  if (callingAddr !== undefined) p.calling = callingAddr;
  if (traffic) p.traffic = traffic;
  if (bearer) p.bearer = bearer;
  if (qos) p.qos = qos;
  if (aal) p.aal = aal;
  if (blli) p.blli = blli;
  if (uu) p.uu = uu.data;
  if (extra) p.extra = extra;
  return p;
}
