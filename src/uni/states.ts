/**
 * Q.2931 call states and Q.2971 party (endpoint) states.
 *
 * Call control keeps an abstract phase per call and derives the standard's
 * state code from the phase and our side of the link: the user side and the
 * network side name the same moment of a call differently (we send SETUP as
 * user: U1; as network: N6).
 */

export type Side = 'user' | 'network';

/** Where a call is, independent of the side we play on its link. */
export type CallPhase =
  | 'null'
  /** we sent SETUP */
  | 'out-setup'
  /** we received CALL PROCEEDING */
  | 'out-proceeding'
  /** we received ALERTING */
  | 'out-alerting'
  /** we received SETUP */
  | 'in-setup'
  /** we sent CALL PROCEEDING */
  | 'in-proceeding'
  /** we sent ALERTING */
  | 'in-alerting'
  /** we sent CONNECT and wait for CONNECT ACKNOWLEDGE (user side only) */
  | 'in-connect'
  | 'active'
  /** we sent RELEASE */
  | 'rel-sent'
  /** we received RELEASE (transient: RELEASE COMPLETE goes back at once) */
  | 'rel-rcvd';

const USER_CODE: Record<CallPhase, number> = {
  null: 0,
  'out-setup': 1,
  'out-proceeding': 3,
  'out-alerting': 4,
  'in-setup': 6,
  'in-alerting': 7,
  'in-connect': 8,
  'in-proceeding': 9,
  active: 10,
  'rel-sent': 11,
  'rel-rcvd': 12,
};

const NETWORK_CODE: Record<CallPhase, number> = {
  null: 0,
  'in-setup': 1,
  'in-proceeding': 3,
  'in-alerting': 4,
  'out-setup': 6,
  'out-alerting': 7,
  'in-connect': 8,
  'out-proceeding': 9,
  active: 10,
  'rel-rcvd': 11,
  'rel-sent': 12,
};

/** The Call state IE code (Q.2931 4.5.5) for a phase on our side of the link. */
export function callStateCode(phase: CallPhase, side: Side): number {
  return side === 'user' ? USER_CODE[phase] : NETWORK_CODE[phase];
}

const USER_PHASE = new Map<number, CallPhase>(Object.entries(USER_CODE).map(([p, c]) => [c, p as CallPhase]));
const NETWORK_PHASE = new Map<number, CallPhase>(Object.entries(NETWORK_CODE).map(([p, c]) => [c, p as CallPhase]));
// N8 on the network side is "we received CONNECT": from the peer's point of view an outgoing call.
NETWORK_PHASE.set(8, 'out-alerting');

/** The phase a Call state code names for a party playing `side` (undefined: not a call state we know). */
export function phaseOfCode(code: number, side: Side): CallPhase | undefined {
  return (side === 'user' ? USER_PHASE : NETWORK_PHASE).get(code);
}

/** Q.2971 party states. The value is the Endpoint state IE code. */
export enum PartyState {
  P0 = 0x00,
  P1 = 0x01,
  P2 = 0x06,
  P3 = 0x04,
  P4 = 0x07,
  P5 = 0x0b,
  P6 = 0x0c,
  P7 = 0x0a,
}

/** A party counts for the last-party rule while it is being added or is active (Q.2971: P1, P2, P3, P4, P7). */
export function partyAlive(s: PartyState): boolean {
  return s === PartyState.P1 || s === PartyState.P2 || s === PartyState.P3 || s === PartyState.P4 || s === PartyState.P7;
}

/** Restart states of the global call reference. */
export enum RestartState {
  REST0 = 0x00,
  REST1 = 0x3d,
  REST2 = 0x3e,
}

/** Link (coordinator) states, as NgATM names them. */
export type LinkState = 'CU0 Released' | 'CU1 Awaiting Establish' | 'CU2 Awaiting Release' | 'CU3 Established';
