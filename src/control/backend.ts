/**
 * The seam between the control protocol and the daemon's CoNDIS layer.
 *
 * `condisd` implements `ControlBackend` on top of its CoNDIS client (CL) and
 * hands it to `startControlServer`. The server owns JSON, sockets, validation
 * and subscriptions; the backend owns CoNDIS. One backend serves every control
 * connection: SAPs, VCs and calls belong to the daemon's client, not to a
 * connection, so a control client that disconnects loses its subscriptions and
 * nothing else.
 *
 * Contract for implementers:
 * - Arguments arrive validated (types, ranges, address syntax) and decoded:
 *   close data and data are Buffers. Results must be plain JSON-able values.
 * - A method resolves when the NDIS operation is over: a request that returned
 *   PENDING resolves (or rejects) when its completion arrives, with the final
 *   status. It must not wait for the peer beyond that.
 * - Failure: throw `ControlError` (src/control/errors.ts): `wrong-state` (with
 *   the NDIS_STATUS NDIS gave, e.g. INVALID_STATE, or FAILURE for a drop of the
 *   last party), `not-found` (no such VC/party/SAP), `failed` (the request or
 *   its completion ended with a non-SUCCESS status; give it: e.g. close data
 *   longer than the link allows is `failed` with INVALID_DATA, as the CM
 *   answers), `unsupported`, `bad-args` (arguments the server could not check,
 *   e.g. an address that is well-formed but not usable here). Anything else
 *   thrown is reported to the client as `internal`.
 * - `events$` is hot and never errors; the server subscribes once. Events that
 *   carry bytes carry Buffers.
 * - Indications that CoNDIS requires the client to answer (incoming close call
 *   -> NdisClCloseCall, incoming drop party -> NdisClDropParty) are answered by
 *   the backend's own CL at once, then reported as events. Incoming calls follow
 *   the SAP's policy: 'accept' / 'reject' are answered by the backend; 'ask'
 *   pends the call (ProtocolClIncomingCall returns PENDING) until `answerCall`.
 */
import type { Observable } from 'rxjs';
import type { Mac } from '../common/mac.js';
import type { AtmAddress, VcPath } from '../uni/api.js';
import type { StatusInfo } from './errors.js';
import type { SwitchEvent, SwitchSnapshot } from '../switch/types.js';

export type SapId = number;
export type VcId = number;
export type PartyId = number;

/** How a SAP answers incoming calls. ask: emit `incoming-call` with `awaitingAnswer` and wait for answerCall. */
export type IncomingPolicy = 'accept' | 'reject' | 'ask';

// ---- arguments ------------------------------------------------------------------------------

export interface RegisterSapArgs {
  /** the called address this SAP takes calls for; absent: any of this host's addresses */
  address?: AtmAddress;
  /** default 'accept' */
  policy?: IncomingPolicy;
  /** Q.2931 cause for 'reject' (default 21, call rejected) */
  rejectCause?: number;
  /** a remote QoS change on this SAP's calls: 'accept' (default) returns, 'refuse' closes the call (MODIFY REJECT, RELEASE) */
  qos?: 'accept' | 'refuse';
  /** who asks (filled by the server from the connection's hello, never by a client): named when another registration collides */
  owner?: string;
}

export interface SetIncomingPolicyArgs {
  sap: SapId;
  policy: IncomingPolicy;
  rejectCause?: number;
}

export interface AnswerCallArgs {
  vc: VcId;
  accept: boolean;
  /** cause when rejecting (default 21) */
  cause?: number;
}

export interface MakeCallArgs {
  /** a VC created with createVc and carrying no call; absent: the backend creates one (and deletes it if the call fails) */
  vc?: VcId;
  called: AtmAddress;
  /** true: point-to-multipoint (the called address becomes the first party) */
  multipoint: boolean;
  /** user-user information on the SETUP (not close data) */
  uu?: Buffer;
}

export interface AddPartyArgs {
  vc: VcId;
  address: AtmAddress;
  uu?: Buffer;
}

export interface DropPartyArgs {
  vc: VcId;
  party: PartyId;
  closeData?: Buffer;
}

export interface CloseCallArgs {
  vc: VcId;
  /** multipoint: the one remaining party (absent: the backend finds it) */
  party?: PartyId;
  closeData?: Buffer;
}

/** Peak cell rates in cells/s (48 payload octets a cell), in one host's own directions. */
export interface PeakRates {
  transmit?: number;
  receive?: number;
}

/**
 * NdisClModifyCallQoS on a point-to-point call this host placed (Q.2963.1: only the calling side asks):
 * new peak cell rates, cells/s, for our transmit direction and, when given, our receive direction
 */
export interface ModifyCallArgs {
  vc: VcId;
  /** transmit peak cell rate (the FLOWSPEC's PeakBandwidth = pcr x 48 octets/s) */
  pcr: number;
  /** receive peak cell rate (absent: unchanged) */
  receivePcr?: number;
}

export interface ModifyCallResult {
  vc: VcId;
  status: StatusInfo;
  /** the peak cell rates in force after the change */
  pcr: PeakRates;
}

export interface SendArgs {
  vc: VcId;
  data: Buffer;
}

// ---- results --------------------------------------------------------------------------------

export interface DaemonInfo {
  name: string;
  version: string;
  addresses: AtmAddress[];
  mac: Mac;
  /** e.g. "tap:tap0" */
  miniport: string;
  callManager: { shape: 'cm' | 'mcm'; completion: 'sync' | 'pending' };
  closeData: { allowed: boolean; maxOctets: number };
}

export interface SapInfo {
  sap: SapId;
  /** "*" for any own address */
  address: AtmAddress | '*';
  policy: IncomingPolicy;
  rejectCause?: number;
  /** present when the SAP refuses remote QoS changes */
  qos?: 'refuse';
  /** registered | registering | deregistering */
  state: string;
  /** who registered it (the control client's hello name, or its connection) */
  owner?: string;
}

export interface PeerInfo {
  mac: Mac;
  name?: string;
  addresses: AtmAddress[];
  /** static (configuration) or discovery (announcements heard) */
  source: 'static' | 'discovery';
  /** ISO time of the last announcement heard */
  lastSeen?: string;
  /** is there a signalling link to it (see links) */
  linked: boolean;
  /** what looks wrong with it, e.g. a static peer whose address discovery hears from another MAC */
  warning?: string;
}

export interface LinkInfo {
  peer: Mac;
  name?: string;
  /** our Q.2931 side on this link */
  side: 'user' | 'network';
  /** SSCOP state name as in Q.2110 (e.g. "Data Transfer Ready", "Outgoing Connection Pending") */
  state: string;
  established: boolean;
  calls: number;
}

export interface VcInfo {
  vc: VcId;
  /** who created it (and alone may delete it) */
  creator: 'client' | 'call-manager';
  /** NDIS view of the VC (the VC states of src/ndis/machines.ts), e.g. "CREATED", "ACTIVE", "CLOSING" */
  state: string;
  /** call on the VC, if any */
  call?: {
    direction: 'outgoing' | 'incoming';
    multipoint: boolean;
    called?: AtmAddress;
    calling?: AtmAddress;
    /** CL/CM call state (§3.2), e.g. "CONNECTED" */
    state: string;
    /** Q.2931 call state on the wire, e.g. "U10 Active" */
    uniState?: string;
    /** the peak cell rates of the call's traffic descriptor on the wire (point-to-point calls; after any Q.2963.1 modification) */
    pcr?: PeakRates;
  };
  path?: VcPath;
  sap?: SapId;
  rx?: { packets: number; bytes: number };
  tx?: { packets: number; bytes: number };
}

export interface PartyInfo {
  vc: VcId;
  party: PartyId;
  address: AtmAddress;
  /** CL party state (§3.3), e.g. "CONNECTED", "ADDING" */
  state: string;
  /** Q.2971 party state, e.g. "P7 Active" */
  uniState?: string;
}

export interface MakeCallResult {
  vc: VcId;
  /** multipoint: the first party */
  party?: PartyId;
  /** the final status (SUCCESS) */
  status: StatusInfo;
  path?: VcPath;
}

export interface AddPartyResult {
  vc: VcId;
  party: PartyId;
  status: StatusInfo;
}

/** counters by group ("miniport", "sscop", "uni", "ndis", ...): name -> number */
export type Counters = Record<string, Record<string, number>>;

// ---- events ---------------------------------------------------------------------------------

/** Every indication and state change the backend reports. `at` (ISO time) is filled by the server when absent. */
export type ControlEvent = (
  | { kind: 'incoming-call'; sap: SapId; vc: VcId; called: AtmAddress; calling?: AtmAddress; multipoint: boolean; awaitingAnswer: boolean; uu?: Buffer }
  /** ProtocolClCallConnected: data may flow */
  | { kind: 'call-connected'; vc: VcId }
  | { kind: 'make-call-complete'; vc: VcId; party?: PartyId; status: StatusInfo }
  | { kind: 'add-party-complete'; vc: VcId; party: PartyId; address: AtmAddress; status: StatusInfo }
  | { kind: 'drop-party-complete'; vc: VcId; party: PartyId; status: StatusInfo }
  | { kind: 'close-call-complete'; vc: VcId; party?: PartyId; status: StatusInfo }
  /** ProtocolClIncomingDropParty: status SUCCESS = the remote asked, else the network failed */
  | { kind: 'incoming-drop-party'; vc: VcId; party: PartyId; status: StatusInfo; closeData?: Buffer }
  /** ProtocolClIncomingCloseCall */
  | { kind: 'incoming-close-call'; vc: VcId; status: StatusInfo; closeData?: Buffer }
  /** ProtocolClModifyCallQoSComplete: the rates in force afterwards; a refusal names the MODIFY REJECT's cause */
  | { kind: 'modify-call-complete'; vc: VcId; status: StatusInfo; pcr: PeakRates; cause?: number; causeName?: string }
  /** ProtocolClIncomingCallQoSChange: the calling side asks for these rates; `accepted` false = the SAP refuses by closing the call */
  | { kind: 'incoming-qos-change'; vc: VcId; pcr: PeakRates; accepted: boolean }
  | { kind: 'receive'; vc: VcId; data: Buffer }
  | { kind: 'send-complete'; vc: VcId; bytes: number; status: StatusInfo }
  | { kind: 'vc-state'; vc: VcId; state: string; previous?: string }
  | { kind: 'party-state'; vc: VcId; party: PartyId; state: string; previous?: string }
  | { kind: 'link-state'; peer: Mac; state: string; established: boolean; reason?: string }
  | { kind: 'peer'; peer: Mac; change: 'discovered' | 'updated' | 'lost'; addresses: readonly AtmAddress[] }
  | { kind: 'sap'; sap: SapId; change: 'registered' | 'deregistered'; address: AtmAddress | '*' }
  /** a switch's routes, port links, calls and parties (docs/switch.md) */
  | { kind: 'switch'; event: SwitchEvent }
  /** a Q.2931/Q.2971 message sent (out) or received (in) on the link to `peer` */
  | {
      kind: 'message';
      direction: 'in' | 'out';
      peer: Mac;
      type: string;
      callRef: number;
      callRefFlag: boolean;
      epref?: number;
      cause?: number;
      causeName?: string;
      closeData?: Buffer;
      called?: AtmAddress;
    }
) & { at?: string };

export type ControlEventKind = ControlEvent['kind'];

/**
 * Every event kind, declared once, in the order `condisctl watch --help` lists them; `true` marks the
 * indications a CoNDIS client sees (what a lab scenario may wait for). `satisfies` makes the compiler
 * refuse a kind of ControlEvent missing here.
 */
const KIND_IS_INDICATION = {
  'incoming-call': true,
  'call-connected': true,
  'make-call-complete': true,
  'add-party-complete': true,
  'drop-party-complete': true,
  'close-call-complete': true,
  'incoming-drop-party': true,
  'incoming-close-call': true,
  'modify-call-complete': true,
  'incoming-qos-change': true,
  receive: true,
  'send-complete': true,
  'vc-state': false,
  'party-state': false,
  'link-state': true,
  peer: true,
  sap: false,
  switch: false,
  message: false,
} as const satisfies Record<ControlEventKind, boolean>;

export const EVENT_KINDS: readonly ControlEventKind[] = Object.keys(KIND_IS_INDICATION) as ControlEventKind[];

/** The control protocol's event kinds that are client indications. */
export type IndicationKind = { [K in ControlEventKind]: (typeof KIND_IS_INDICATION)[K] extends true ? K : never }[ControlEventKind];
export const INDICATION_KINDS = EVENT_KINDS.filter((k): k is IndicationKind => KIND_IS_INDICATION[k]) as [IndicationKind, ...IndicationKind[]];

// ---- the interface --------------------------------------------------------------------------

export interface ControlBackend {
  readonly events$: Observable<ControlEvent>;

  info(): Promise<DaemonInfo>;

  /** NdisClRegisterSap */
  registerSap(args: RegisterSapArgs): Promise<SapInfo>;
  /** NdisClDeregisterSap */
  deregisterSap(args: { sap: SapId }): Promise<void>;
  setIncomingPolicy(args: SetIncomingPolicyArgs): Promise<SapInfo>;
  /** NdisClIncomingCallComplete for a call pended by policy 'ask' */
  answerCall(args: AnswerCallArgs): Promise<void>;

  /** NdisCoCreateVc (client-created, for an outgoing call) */
  createVc(): Promise<VcInfo>;
  /** NdisCoDeleteVc (only VCs the client created, with no call on them) */
  deleteVc(args: { vc: VcId }): Promise<void>;

  /** NdisClMakeCall */
  makeCall(args: MakeCallArgs): Promise<MakeCallResult>;
  /** NdisClAddParty */
  addParty(args: AddPartyArgs): Promise<AddPartyResult>;
  /** NdisClDropParty */
  dropParty(args: DropPartyArgs): Promise<void>;
  /** NdisClCloseCall */
  closeCall(args: CloseCallArgs): Promise<void>;
  /** NdisClModifyCallQoS (Q.2963.1 over the wire); absent: the daemon cannot change QoS (`unsupported`) */
  modifyCall?(args: ModifyCallArgs): Promise<ModifyCallResult>;
  /** NdisCoSendNetBufferLists: resolves at the send completion */
  send(args: SendArgs): Promise<{ bytes: number }>;

  saps(): Promise<SapInfo[]>;
  peers(): Promise<PeerInfo[]>;
  links(): Promise<LinkInfo[]>;
  vcs(): Promise<VcInfo[]>;
  parties(): Promise<PartyInfo[]>;
  counters(): Promise<Counters>;
  /** a switch daemon: its ports, routes, calls and parties */
  switch?(): Promise<SwitchSnapshot>;
}
