/**
 * The UNI signalling service one host offers to its call manager (`ndis/`).
 *
 * This file is the contract between `uni/` (Q.2931 call control + Q.2971
 * party control, one UNI per link, both sides) and `ndis/` (CoNDIS call
 * managers), which only ever sees this interface.
 *
 * A *host call* (CallId) is the host's view of one call. For a point-to-point
 * call it is one Q.2931 call on one link. For a point-to-multipoint call this
 * host roots, it spans links: the first party goes out as SETUP (with an
 * endpoint reference) on the link that reaches the called address, further
 * parties as SETUP on a link that carries no part of this call yet, or as ADD
 * PARTY on a link that does (the host fans out, as a network would).
 * Parties (PartyId) are host-wide numbers; endpoint references stay inside uni/.
 *
 * The service answers what Q.2931/Q.2971 make automatic: a received RELEASE is
 * answered with RELEASE COMPLETE and a received DROP PARTY with DROP PARTY
 * ACKNOWLEDGE before the indication is emitted (docs/architecture.md, "NDIS requests and Q.2931 messages").
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { Mac } from '../common/mac.js';
import type { Result } from '../common/result.js';
import type { SaalService } from '../sscop/service.js';
import type {
  AalParametersIe,
  BearerCapabilityIe,
  InfoElement,
  LowLayerInfoIe,
  QosParameterIe,
  TrafficDescriptorIe,
} from './msg/types.js';
import type { PeakCellRates } from './msg/traffic.js';

export type { PeakCellRates } from './msg/traffic.js';

/** A link is named by the peer host's MAC address. */
export type PeerId = Mac;

/**
 * An ATM address as users write it: digits only ("1001", "+4930123") is an
 * E.164 number (numbering plan 1); 40 hex digits, dots allowed, is an AESA/NSAP
 * (plan 2). Canonical form: E.164 digits without '+'; AESA lower-case hex without dots.
 */
export type AtmAddress = string;

export type CallId = number;
export type PartyId = number;

/** Where a call's user data flows on the wire: the link (peer MAC) and the VPI/VCI the network side assigned. */
export interface VcPath {
  peer: PeerId;
  vpi: number;
  vci: number;
}

export interface UniCallParams {
  called: AtmAddress;
  calling?: AtmAddress;
  /** true: point-to-multipoint (bearer user-plane configuration p2mp, endpoint reference on every message) */
  multipoint: boolean;
  /** default: best effort UBR */
  traffic?: TrafficDescriptorIe;
  /** default: BCOB-X, not susceptible to clipping, user plane from `multipoint` */
  bearer?: BearerCapabilityIe;
  /** default: class 0 both ways */
  qos?: QosParameterIe;
  /** default: AAL5, max SDU 1484 both ways */
  aal?: AalParametersIe;
  blli?: LowLayerInfoIe;
  /** user-user information on the SETUP / ADD PARTY (not close data) */
  uu?: Buffer;
  /** further IEs passed through unchanged */
  extra?: InfoElement[];
}

export interface UniPartyParams {
  called: AtmAddress;
  calling?: AtmAddress;
  aal?: AalParametersIe;
  blli?: LowLayerInfoIe;
  uu?: Buffer;
}

/** Close data (User-user IE on DROP PARTY / RELEASE) and the cause that goes with it. */
export interface ClearingOptions {
  /** Q.2931 cause; default 16 normal call clearing (release) / 31 normal unspecified (drop party) */
  cause?: number;
  /** close data, carried in the User-user IE (protocol discriminator 0x00 + data) */
  closeData?: Buffer;
}

export interface CloseDataPolicy {
  /** false: this link "cannot send data at termination" (NDIS_STATUS_INVALID_DATA) */
  allowed: boolean;
  /** at most this many octets of close data (docs/wire.md: 127, the IE content limit less the discriminator) */
  maxOctets: number;
}

export type UniErrorCode =
  | 'no-route' // called address not reachable through any link (cause 3)
  | 'link-down' // the link exists but SSCOP is not established and could not queue (cause 27)
  | 'unknown-call'
  | 'unknown-party'
  | 'wrong-state' // request not legal in the call's / party's state; nothing was sent
  | 'not-multipoint'
  | 'close-data-not-allowed'
  | 'close-data-too-long'
  | 'limit' // a configured cap (calls, parties, pending adds) was reached (cause 47 / 32 / 92)
  | 'not-owner' // Q.2963.1: only the calling side of a point-to-point call asks for a modification
  | 'bad-traffic'; // peak cell rates a MODIFY REQUEST cannot carry (cause 73)

export interface UniError {
  code: UniErrorCode;
  /** the Q.2931 cause that describes it */
  cause: number;
  message: string;
}

/**
 * The key under which an indication about a call carries the context the user gave that call
 * (`UniHost.setCallContext`), so the user finds its own record without a table of its own. A symbol:
 * logs and JSON leave it out, and setting it is a plain property store (a non-enumerable `ctx` made
 * with defineProperty cost about 2% of a call cycle).
 */
export const CALL_CONTEXT: unique symbol = Symbol('call context');

/** What call control tells its user; an indication about a call carries the call's context (`CALL_CONTEXT`). */
export type UniIndication = UniIndicationOf & { readonly [CALL_CONTEXT]?: unknown };

/** `i` with the call's context, when there is one */
export function withCallContext<T extends object>(i: T, ctx: unknown): T {
  if (ctx !== undefined) (i as { [CALL_CONTEXT]?: unknown })[CALL_CONTEXT] = ctx;
  return i;
}

type UniIndicationOf =
  | { kind: 'link-up'; peer: PeerId }
  /**
   * SSCOP released the link. Calls not active were cleared locally with cause 27 (each got its own indication
   * first); `kept` active calls wait out T309 while the link is re-established (Q.2931 5.5.6), nothing told about
   * them until it comes back (they go on) or T309 expires (each is released with cause 27)
   */
  | { kind: 'link-down'; peer: PeerId; reason: string; kept: number }
  /** SETUP received (we are the called side); answer with accept/reject. `multipoint` = we are a leaf of a p2mp call */
  | { kind: 'setup'; call: CallId; peer: PeerId; params: UniCallParams; vc: VcPath; party?: PartyId }
  | { kind: 'proceeding'; call: CallId }
  | { kind: 'alerting'; call: CallId; party?: PartyId }
  /** CONNECT received for our SETUP: the call (and its first party, if multipoint) is up */
  | { kind: 'connected'; call: CallId; party?: PartyId; vc: VcPath }
  /** CONNECT ACKNOWLEDGE received (called side): the call is end-to-end active */
  | { kind: 'active'; call: CallId }
  /** a party we added is up (ADD PARTY ACK, or CONNECT of a SETUP on another link) */
  | { kind: 'party-added'; call: CallId; party: PartyId; vc: VcPath }
  | { kind: 'party-alerting'; call: CallId; party: PartyId }
  /** a party we were adding failed (ADD PARTY REJECT, RELEASE COMPLETE on its link, T399); no confirm follows */
  | { kind: 'party-rejected'; call: CallId; party: PartyId; cause: number; closeData?: Buffer }
  /** a connected party left without our asking (remote DROP PARTY, remote RELEASE of its link's call, link loss, T3xx) while other parties remain */
  | { kind: 'party-dropped'; call: CallId; party: PartyId; cause: number; closeData?: Buffer; remote: boolean }
  /** our dropParty finished (DROP PARTY ACK, or RELEASE COMPLETE of its link's call) */
  | { kind: 'drop-party-confirm'; call: CallId; party: PartyId; cause: number }
  /** the whole host call ended without our asking (remote RELEASE, error clearing, timer expiry, link loss); remote=true when the peer asked */
  | { kind: 'released'; call: CallId; cause: number; closeData?: Buffer; remote: boolean }
  /** our release (or reject) finished: RELEASE COMPLETE, clear collision, or T308 given up */
  | { kind: 'release-confirm'; call: CallId; cause: number }
  /** the peer restarted one VC or all VCs of a link; affected calls were each released (indicated) first */
  | { kind: 'restart'; peer: PeerId; restartClass: number; vc?: { vpi: number; vci: number } }
  /**
   * Q.2963.1, called side: the calling side asks for new peak cell rates (forward = calling to called); answer
   * with modifyAccept or modifyReject
   */
  | { kind: 'modify-request'; call: CallId; pcr: PeakCellRates }
  /** Q.2963.1, calling side: our modify() was acknowledged (accepted, the rates are in force) or rejected (cause) */
  | { kind: 'modify-confirm'; call: CallId; pcr: PeakCellRates; accepted: boolean; cause?: number }
  /** Q.2963.1, called side: the calling side confirmed (CONNECTION AVAILABLE) or T361 ran out after modifyAccept */
  | { kind: 'modify-available'; call: CallId }
  /** a protocol error was handled (STATUS / RELEASE COMPLETE sent, message dropped); for logs and counters */
  | { kind: 'protocol-error'; peer: PeerId; cause: number; message: string };

export interface UniTimers {
  t303: number;
  t308: number;
  t309: number;
  t310: number;
  t313: number;
  t316: number;
  t317: number;
  t322: number;
  t397: number;
  t398: number;
  t399: number;
  /** Q.2963.1 requesting entity: MODIFY REQUEST sent, waiting for MODIFY ACKNOWLEDGE / REJECT */
  t360: number;
  /** Q.2963.1 responding entity: MODIFY ACKNOWLEDGE asked for CONNECTION AVAILABLE */
  t361: number;
}

export interface UniHostOptions {
  /** which link reaches a called address; undefined = no route (cause 3) */
  resolve(called: AtmAddress): PeerId | undefined;
  /** this host's own addresses: a SETUP for another address is rejected (cause 1) */
  ownAddresses: AtmAddress[];
  /** milliseconds; defaults are the Q.2931/Q.2971 (NgATM) ones */
  timers?: Partial<UniTimers>;
  closeData?: CloseDataPolicy;
  /** caps; a request past them fails with 'limit' and the wire gets the matching cause */
  limits?: { calls?: number; partiesPerCall?: number };
  scheduler?: SchedulerLike;
}

export interface UniCounters {
  links: number;
  calls: number;
  /** Q.2931 calls on all links: a multipoint root counts once per link; includes calls still finishing their clearing */
  linkCalls?: number;
  parties: number;
  timers: number;
  /** received messages handled by the section 5.6 error procedures, by cause number */
  protocolErrors: Record<number, number>;
}

export interface UniHost {
  readonly indications$: Observable<UniIndication>;

  /** add a link to a peer over an established-or-establishing SAAL; `side` is our side of that link; `closeData` overrides the host's policy for this link */
  attachLink(peer: PeerId, saal: SaalService, side: 'user' | 'network', closeData?: Partial<CloseDataPolicy>): void;
  /** remove a link: its calls are cleared locally (indications with cause 27) */
  detachLink(peer: PeerId): void;
  closeDataPolicy(peer: PeerId): CloseDataPolicy;

  /** the user's context for a call: every indication about it carries it from now on (`CALL_CONTEXT`) */
  setCallContext(call: CallId, ctx: unknown): void;

  /** originate a call (SETUP); multipoint calls get their first party id */
  setup(params: UniCallParams): Result<{ call: CallId; party?: PartyId }, UniError>;
  /** add a party to a multipoint call we root */
  addParty(call: CallId, params: UniPartyParams): Result<PartyId, UniError>;
  /** drop one party (DROP PARTY, or RELEASE when it is the only party on its link); the last party of the call clears the call */
  dropParty(call: CallId, party: PartyId, opts?: ClearingOptions): Result<void, UniError>;
  /** clear the whole call (RELEASE on every link it spans) */
  release(call: CallId, opts?: ClearingOptions): Result<void, UniError>;

  /** called side: we are working on it (CALL PROCEEDING) */
  proceeding(call: CallId): Result<void, UniError>;
  /** called side: ALERTING */
  alerting(call: CallId): Result<void, UniError>;
  /** called side: accept (CONNECT) */
  accept(call: CallId): Result<void, UniError>;
  /** called side: refuse (RELEASE COMPLETE with cause) */
  reject(call: CallId, cause: number): Result<void, UniError>;

  /** Q.2963.1, calling side of an active point-to-point call: MODIFY REQUEST for new peak cell rates (T360) */
  modify(call: CallId, pcr: PeakCellRates): Result<void, UniError>;
  /** Q.2963.1, called side, after modify-request: MODIFY ACKNOWLEDGE; the call's traffic descriptor takes the rates */
  modifyAccept(call: CallId): Result<void, UniError>;
  /** Q.2963.1, called side, after modify-request: MODIFY REJECT with `cause` (default 47); the old rates stay */
  modifyReject(call: CallId, cause?: number): Result<void, UniError>;
  /** the call's traffic descriptor as it stands (after any modification) */
  traffic(call: CallId): TrafficDescriptorIe | undefined;

  statusEnquiry(call: CallId, party?: PartyId): Result<void, UniError>;
  /** RESTART for one VC or all VCs of a link */
  restart(peer: PeerId, scope: { all: true } | { vpi: number; vci: number }): Result<void, UniError>;

  /** the VC paths a call currently uses (one per link for a multipoint root) */
  paths(call: CallId): VcPath[];
  /** a read-only view for status displays: links, calls with their Q.2931 state names, parties with P-state names */
  snapshot(): UniSnapshot;
  /** the links part of snapshot() alone: O(links), for the status tables that need no call */
  links(): UniSnapshot['links'];
  /** the calls on the link to `peer` (0 when there is no such link) */
  linkCalls(peer: PeerId): number;
  counters(): UniCounters;
  /** stop every timer, complete indications$ */
  dispose(): void;
}

export interface UniSnapshot {
  links: { peer: PeerId; side: 'user' | 'network'; established: boolean; calls: number }[];
  calls: {
    call: CallId;
    multipoint: boolean;
    role: 'root' | 'leaf' | 'p2p-out' | 'p2p-in';
    links: { peer: PeerId; callRef: number; state: string; vc?: VcPath }[];
    parties: { party: PartyId; peer: PeerId; epref: number; state: string; called: AtmAddress }[];
  }[];
}
