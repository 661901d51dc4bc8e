/**
 * The CoNDIS state machines (docs/ndis-api.md, docs/conformance.md) as data plus pure functions: the
 * legal transitions of a VC, of the call on it and of a party, and the guards
 * that decide whether a request may proceed (and with which status it is
 * refused otherwise). NdisHost asks these before every change and never moves
 * an entity along a transition that is not in the tables.
 */
import { NdisStatus } from './status.js';

export type VcState = 'CREATED' | 'ACTIVATING' | 'ACTIVE' | 'CLOSING' | 'DEACTIVATING' | 'DEACTIVATED' | 'DELETED';
export type CallState = 'IDLE' | 'MAKING' | 'OFFERED' | 'ACCEPTED' | 'CONNECTED' | 'CLOSE_INDICATED' | 'CLOSE_REQUESTED' | 'REJECTED';
export type PartyState = 'ADDING' | 'CONNECTED' | 'DROP_INDICATED' | 'DROPPING' | 'CLOSING' | 'DROPPED';

/** §3.1, plus the integrated shape's one-step activation and deactivation (A7) and the return of a refused close (A9) */
export const VC_TRANSITIONS: Readonly<Record<VcState, readonly VcState[]>> = {
  CREATED: ['ACTIVATING', 'ACTIVE', 'DELETED'],
  ACTIVATING: ['ACTIVE', 'CREATED', 'DEACTIVATED'],
  ACTIVE: ['CLOSING', 'DEACTIVATING', 'DEACTIVATED'],
  CLOSING: ['DEACTIVATING', 'DEACTIVATED', 'ACTIVE'],
  DEACTIVATING: ['DEACTIVATED'],
  DEACTIVATED: ['ACTIVATING', 'ACTIVE', 'DELETED'],
  DELETED: [],
};

/** §3.2; a refused or failed close goes back to where it came from (A9), a rejected offer may be followed by a new one (R14) */
export const CALL_TRANSITIONS: Readonly<Record<CallState, readonly CallState[]>> = {
  IDLE: ['MAKING', 'OFFERED'],
  MAKING: ['CONNECTED', 'IDLE'],
  OFFERED: ['ACCEPTED', 'REJECTED', 'CLOSE_INDICATED'],
  ACCEPTED: ['CONNECTED', 'CLOSE_INDICATED'],
  CONNECTED: ['CLOSE_REQUESTED', 'CLOSE_INDICATED'],
  CLOSE_INDICATED: ['CLOSE_REQUESTED'],
  CLOSE_REQUESTED: ['IDLE', 'CONNECTED', 'CLOSE_INDICATED'],
  REJECTED: ['OFFERED', 'IDLE'],
};

/** §3.3; a failed drop or close gives the party back (A15), an add finishing on a closing VC lands in DROP_INDICATED */
export const PARTY_TRANSITIONS: Readonly<Record<PartyState, readonly PartyState[]>> = {
  ADDING: ['CONNECTED', 'DROP_INDICATED', 'DROPPED'],
  CONNECTED: ['DROP_INDICATED', 'DROPPING', 'CLOSING'],
  DROP_INDICATED: ['DROPPING', 'CLOSING'],
  DROPPING: ['DROPPED', 'CONNECTED', 'DROP_INDICATED'],
  CLOSING: ['DROPPED', 'CONNECTED', 'DROP_INDICATED'],
  DROPPED: [],
};

export function vcMayMove(from: VcState, to: VcState): boolean {
  return from === to || VC_TRANSITIONS[from].includes(to);
}
export function callMayMove(from: CallState, to: CallState): boolean {
  return from === to || CALL_TRANSITIONS[from].includes(to);
}
export function partyMayMove(from: PartyState, to: PartyState): boolean {
  return from === to || PARTY_TRANSITIONS[from].includes(to);
}

/** parties that still count on the VC: being added, connected, or told to go but not yet dropped (R54) */
export function isLiveParty(s: PartyState): boolean {
  return s === 'ADDING' || s === 'CONNECTED' || s === 'DROP_INDICATED';
}

/** data may flow only on an active VC whose call is connected (R28, R33, R65, R78) */
export function sendRefusal(vc: VcState, call: CallState): NdisStatus | undefined {
  if (vc === 'CLOSING' || vc === 'DEACTIVATING' || call === 'CLOSE_INDICATED' || call === 'CLOSE_REQUESTED') return NdisStatus.CLOSING;
  if (vc !== 'ACTIVE' || call !== 'CONNECTED') return NdisStatus.VC_NOT_ACTIVATED;
  return undefined;
}

/** NdisClDropParty: R51 (not the last), R54 (not while adding), A3 (once after an incoming drop) */
export function dropPartyRefusal(party: PartyState, others: readonly PartyState[]): NdisStatus | undefined {
  if (party !== 'CONNECTED' && party !== 'DROP_INDICATED') return NdisStatus.INVALID_STATE;
  if (!others.some(isLiveParty)) return NdisStatus.FAILURE;
  return undefined;
}

/**
 * NdisClCloseCall: a call to close; for multipoint a named party that is still
 * there; no add or drop outstanding (R55). More than one party left is the call
 * manager's to refuse (R64).
 */
export function closeCallRefusal(
  call: CallState,
  multipoint: boolean,
  named: PartyState | 'none' | 'unknown',
  parties: readonly PartyState[],
): NdisStatus | undefined {
  if (call !== 'CONNECTED' && call !== 'CLOSE_INDICATED') return NdisStatus.INVALID_STATE;
  if (multipoint && (named === 'none' || named === 'unknown' || (named !== 'CONNECTED' && named !== 'DROP_INDICATED'))) return NdisStatus.FAILURE;
  if (!multipoint && named !== 'none') return NdisStatus.FAILURE;
  if (parties.some((p) => p === 'ADDING' || p === 'DROPPING')) return NdisStatus.INVALID_STATE;
  return undefined;
}

/** NdisCoDeleteVc / NdisMCmDeleteVc: R11 (active: NOT_ACCEPTED, deactivating: CLOSING), no call, no party */
export function deleteVcRefusal(vc: VcState, call: CallState, parties: number): NdisStatus | undefined {
  if (vc === 'DEACTIVATING') return NdisStatus.CLOSING;
  if (vc === 'ACTIVE' || vc === 'ACTIVATING' || vc === 'CLOSING') return NdisStatus.NOT_ACCEPTED;
  if (call !== 'IDLE' && call !== 'REJECTED') return NdisStatus.NOT_ACCEPTED;
  if (parties > 0) return NdisStatus.NOT_ACCEPTED;
  return undefined;
}

/** NdisClMakeCall: R23 / R14 (an idle VC of this client, created or deactivated) */
export function makeCallRefusal(creatorIsClient: boolean, vc: VcState, call: CallState): NdisStatus | undefined {
  if (!creatorIsClient || call !== 'IDLE' || (vc !== 'CREATED' && vc !== 'DEACTIVATED')) return NdisStatus.INVALID_STATE;
  return undefined;
}

/** NdisClAddParty: R36 (an established multipoint call made by this client) */
export function addPartyRefusal(creatorIsClient: boolean, multipoint: boolean, call: CallState): NdisStatus | undefined {
  return creatorIsClient && multipoint && call === 'CONNECTED' ? undefined : NdisStatus.FAILURE;
}
