/**
 * Human-readable names for every Q.2931 / Q.2971 code the codec handles, for
 * logs, captures and the CLI. Every lookup has a hex (or decimal, for causes)
 * fallback, so a name function never fails on an unexpected code.
 */
import { Cause, IeAction, IeId, MsgAction, MsgType } from './types.js';

function hex2(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(2, '0');
}

/** Message type names (Q.2931 table 4-2, Q.2971, Q.2932, Q.2963, UNI 4.0 LIJ, Q.931 relatives). */
export const MESSAGE_NAMES: Readonly<Record<number, string>> = {
  [MsgType.ALERTING]: 'ALERTING',
  [MsgType.CALL_PROCEEDING]: 'CALL PROCEEDING',
  0x03: 'PROGRESS',
  [MsgType.SETUP]: 'SETUP',
  [MsgType.CONNECT]: 'CONNECT',
  0x0b: 'SETUP ACKNOWLEDGE',
  [MsgType.CONNECT_ACKNOWLEDGE]: 'CONNECT ACKNOWLEDGE',
  0x15: 'COBI SETUP',
  [MsgType.RESTART]: 'RESTART',
  [MsgType.RELEASE]: 'RELEASE',
  [MsgType.RESTART_ACKNOWLEDGE]: 'RESTART ACKNOWLEDGE',
  [MsgType.RELEASE_COMPLETE]: 'RELEASE COMPLETE',
  0x62: 'FACILITY',
  [MsgType.NOTIFY]: 'NOTIFY',
  [MsgType.STATUS_ENQUIRY]: 'STATUS ENQUIRY',
  0x7b: 'INFORMATION',
  [MsgType.STATUS]: 'STATUS',
  [MsgType.ADD_PARTY]: 'ADD PARTY',
  [MsgType.ADD_PARTY_ACKNOWLEDGE]: 'ADD PARTY ACKNOWLEDGE',
  [MsgType.ADD_PARTY_REJECT]: 'ADD PARTY REJECT',
  [MsgType.DROP_PARTY]: 'DROP PARTY',
  [MsgType.DROP_PARTY_ACKNOWLEDGE]: 'DROP PARTY ACKNOWLEDGE',
  [MsgType.PARTY_ALERTING]: 'PARTY ALERTING',
  [MsgType.MODIFY_REQUEST]: 'MODIFY REQUEST',
  [MsgType.MODIFY_ACKNOWLEDGE]: 'MODIFY ACKNOWLEDGE',
  [MsgType.MODIFY_REJECT]: 'MODIFY REJECT',
  [MsgType.CONNECTION_AVAILABLE]: 'CONNECTION AVAILABLE',
  0x90: 'LEAF SETUP FAILURE',
  0x91: 'LEAF SETUP REQUEST',
};

/** Information element names (Q.2931 table 4-3 and the supplements / UNI 4.0 / PNNI). */
export const IE_NAMES: Readonly<Record<number, string>> = {
  0x04: 'narrowband bearer capability',
  [IeId.CAUSE]: 'cause',
  [IeId.CALL_STATE]: 'call state',
  0x1c: 'facility',
  0x1e: 'progress indicator',
  [IeId.NOTIFICATION_INDICATOR]: 'notification indicator',
  0x42: 'end-to-end transit delay',
  0x4c: 'connected number',
  0x4d: 'connected subaddress',
  [IeId.ENDPOINT_REFERENCE]: 'endpoint reference',
  [IeId.ENDPOINT_STATE]: 'endpoint state',
  [IeId.AAL_PARAMETERS]: 'AAL parameters',
  [IeId.ATM_TRAFFIC_DESCRIPTOR]: 'ATM traffic descriptor',
  [IeId.CONNECTION_IDENTIFIER]: 'connection identifier',
  0x5b: 'OAM traffic descriptor',
  [IeId.QOS_PARAMETER]: 'quality of service parameter',
  [IeId.BROADBAND_HIGH_LAYER_INFORMATION]: 'broadband high layer information',
  [IeId.BROADBAND_BEARER_CAPABILITY]: 'broadband bearer capability',
  [IeId.BROADBAND_LOW_LAYER_INFORMATION]: 'broadband low layer information',
  0x60: 'broadband locking shift',
  0x61: 'broadband non-locking shift',
  [IeId.BROADBAND_SENDING_COMPLETE]: 'broadband sending complete',
  [IeId.BROADBAND_REPEAT_INDICATOR]: 'broadband repeat indicator',
  [IeId.CALLING_PARTY_NUMBER]: 'calling party number',
  [IeId.CALLING_PARTY_SUBADDRESS]: 'calling party subaddress',
  [IeId.CALLED_PARTY_NUMBER]: 'called party number',
  [IeId.CALLED_PARTY_SUBADDRESS]: 'called party subaddress',
  0x78: 'transit network selection',
  [IeId.RESTART_INDICATOR]: 'restart indicator',
  0x7c: 'narrowband low layer compatibility',
  0x7d: 'narrowband high layer compatibility',
  [IeId.USER_USER]: 'user-user',
  0x7f: 'generic identifier transport',
  0x81: 'minimum acceptable traffic descriptor',
  0x82: 'alternative ATM traffic descriptor',
  0x84: 'ABR setup parameters',
  [IeId.BROADBAND_REPORT_TYPE]: 'broadband report type',
  0xe0: 'called party soft PVPC or PVCC',
  0xe1: 'crankback',
  0xe2: 'designated transit list',
  0xe3: 'calling party soft PVPC or PVCC',
  0xe4: 'ABR additional parameters',
  0xe8: 'LIJ call identifier',
  0xe9: 'LIJ parameters',
  0xea: 'leaf sequence number',
  0xeb: 'connection scope selection',
  0xec: 'extended QoS parameters',
  0xf0: 'minimum desired cell rate',
};

/**
 * Cause values 1..127 (Q.2610, which aligns B-ISDN with Q.850, plus the ATM
 * Forum UNI 3.1/4.0 values). Values without a name print as "cause N".
 */
export const CAUSE_NAMES: Readonly<Record<number, string>> = {
  [Cause.UNALLOCATED_NUMBER]: 'unallocated (unassigned) number',
  [Cause.NO_ROUTE_TO_SPECIFIED_TRANSIT_NETWORK]: 'no route to specified transit network',
  [Cause.NO_ROUTE_TO_DESTINATION]: 'no route to destination',
  4: 'send special information tone',
  5: 'misdialled trunk prefix',
  6: 'channel unacceptable',
  7: 'call awarded and being delivered in an established channel',
  8: 'preemption',
  9: 'preemption, circuit reserved for reuse',
  10: 'VPCI/VCI unacceptable',
  14: 'number portability query on release of the number',
  [Cause.NORMAL_CALL_CLEARING]: 'normal call clearing',
  [Cause.USER_BUSY]: 'user busy',
  [Cause.NO_USER_RESPONDING]: 'no user responding',
  [Cause.NO_ANSWER_FROM_USER]: 'no answer from user (user alerted)',
  20: 'subscriber absent',
  [Cause.CALL_REJECTED]: 'call rejected',
  [Cause.NUMBER_CHANGED]: 'number changed',
  23: 'redirection to new destination',
  25: 'exchange routing error',
  26: 'non-selected user clearing',
  [Cause.DESTINATION_OUT_OF_ORDER]: 'destination out of order',
  [Cause.INVALID_NUMBER_FORMAT]: 'invalid number format (address incomplete)',
  29: 'facility rejected',
  [Cause.RESPONSE_TO_STATUS_ENQUIRY]: 'response to STATUS ENQUIRY',
  [Cause.NORMAL_UNSPECIFIED]: 'normal, unspecified',
  [Cause.TOO_MANY_PENDING_ADD_PARTY_REQUESTS]: 'too many pending add party requests',
  34: 'no circuit/channel available',
  [Cause.REQUESTED_VPCI_VCI_NOT_AVAILABLE]: 'requested VPCI/VCI not available',
  [Cause.VPCI_VCI_ASSIGNMENT_FAILURE]: 'VPCI/VCI assignment failure',
  [Cause.USER_CELL_RATE_NOT_AVAILABLE]: 'user cell rate not available',
  [Cause.NETWORK_OUT_OF_ORDER]: 'network out of order',
  39: 'permanent frame mode connection out of service',
  40: 'permanent frame mode connection operational',
  [Cause.TEMPORARY_FAILURE]: 'temporary failure',
  42: 'switching equipment congestion',
  [Cause.ACCESS_INFORMATION_DISCARDED]: 'access information discarded',
  44: 'requested circuit/channel not available',
  [Cause.NO_VPCI_VCI_AVAILABLE]: 'no VPCI/VCI available',
  46: 'precedence call blocked',
  [Cause.RESOURCE_UNAVAILABLE_UNSPECIFIED]: 'resource unavailable, unspecified',
  [Cause.QOS_UNAVAILABLE]: 'quality of service unavailable',
  50: 'requested facility not subscribed',
  51: 'user cell rate not available (UNI 3.1)',
  53: 'outgoing calls barred within CUG',
  55: 'incoming calls barred within CUG',
  [Cause.BEARER_CAPABILITY_NOT_AUTHORIZED]: 'bearer capability not authorized',
  [Cause.BEARER_CAPABILITY_NOT_PRESENTLY_AVAILABLE]: 'bearer capability not presently available',
  62: 'inconsistency in designated outgoing access information and subscriber class',
  [Cause.SERVICE_OR_OPTION_NOT_AVAILABLE]: 'service or option not available, unspecified',
  [Cause.BEARER_CAPABILITY_NOT_IMPLEMENTED]: 'bearer capability not implemented',
  66: 'channel type not implemented',
  69: 'requested facility not implemented',
  70: 'only restricted digital information bearer capability is available',
  [Cause.UNSUPPORTED_COMBINATION_OF_TRAFFIC_PARAMETERS]: 'unsupported combination of traffic parameters',
  [Cause.AAL_PARAMETERS_CANNOT_BE_SUPPORTED]: 'AAL parameters cannot be supported',
  79: 'service or option not implemented, unspecified',
  [Cause.INVALID_CALL_REFERENCE_VALUE]: 'invalid call reference value',
  [Cause.IDENTIFIED_CHANNEL_DOES_NOT_EXIST]: 'identified channel does not exist',
  83: 'a suspended call exists, but this call identity does not',
  84: 'call identity in use',
  85: 'no call suspended',
  86: 'call having the requested call identity has been cleared',
  87: 'user not member of CUG',
  [Cause.INCOMPATIBLE_DESTINATION]: 'incompatible destination',
  [Cause.INVALID_ENDPOINT_REFERENCE]: 'invalid endpoint reference',
  90: 'non-existent CUG',
  [Cause.INVALID_TRANSIT_NETWORK_SELECTION]: 'invalid transit network selection',
  [Cause.TOO_MANY_PENDING_ADD_PARTY]: 'too many pending add party requests (UNI 3.1)',
  [Cause.AAL_PARAMETERS_UNSUPPORTED]: 'AAL parameters cannot be supported (UNI 3.1)',
  95: 'invalid message, unspecified',
  [Cause.MANDATORY_INFORMATION_ELEMENT_MISSING]: 'mandatory information element is missing',
  [Cause.MESSAGE_TYPE_NON_EXISTENT]: 'message type non-existent or not implemented',
  98: 'message not compatible with call state or message type non-existent or not implemented',
  [Cause.INFORMATION_ELEMENT_NON_EXISTENT]: 'information element non-existent or not implemented',
  [Cause.INVALID_INFORMATION_ELEMENT_CONTENTS]: 'invalid information element contents',
  [Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE]: 'message not compatible with call state',
  [Cause.RECOVERY_ON_TIMER_EXPIRY]: 'recovery on timer expiry',
  103: 'parameter non-existent or not implemented, passed on',
  [Cause.INCORRECT_MESSAGE_LENGTH]: 'incorrect message length',
  110: 'message with unrecognized parameter discarded',
  [Cause.PROTOCOL_ERROR_UNSPECIFIED]: 'protocol error, unspecified',
  127: 'interworking, unspecified',
};

/** Call states (call state IE values) as [number suffix, name]; prefixed U (user side) or N (network side). */
export const CALL_STATE_NAMES: Readonly<Record<number, readonly [string, string]>> = {
  0x00: ['0', 'Null'],
  0x01: ['1', 'Call Initiated'],
  0x03: ['3', 'Outgoing Call Proceeding'],
  0x04: ['4', 'Call Delivered'],
  0x06: ['6', 'Call Present'],
  0x07: ['7', 'Call Received'],
  0x08: ['8', 'Connect Request'],
  0x09: ['9', 'Incoming Call Proceeding'],
  0x0a: ['10', 'Active'],
  0x0b: ['11', 'Release Request'],
  0x0c: ['12', 'Release Indication'],
  0x0d: ['13', 'Modify Request'],
  0x0e: ['14', 'Modify Received'],
};

/** Global-call-reference (restart) states carried in the call state IE. */
export const RESTART_STATE_NAMES: Readonly<Record<number, string>> = {
  0x3d: 'REST1 Restart Request',
  0x3e: 'REST2 Restart',
};

/** Endpoint (party) states, endpoint state IE values (Q.2971). */
export const ENDPOINT_STATE_NAMES: Readonly<Record<number, string>> = {
  0x00: 'P0 Null',
  0x01: 'P1 Add Party Initiated',
  0x06: 'P2 Add Party Received',
  0x04: 'P3 Party Alerting Delivered',
  0x07: 'P4 Party Alerting Received',
  0x0b: 'P5 Drop Party Initiated',
  0x0c: 'P6 Drop Party Received',
  0x0a: 'P7 Active',
};

/** IE instruction field action indicator (only meaningful with the flag set). */
export const IE_ACTION_NAMES: Readonly<Record<number, string>> = {
  [IeAction.CLEAR_CALL]: 'clear call',
  [IeAction.DISCARD_IE_AND_PROCEED]: 'discard information element and proceed',
  [IeAction.DISCARD_IE_PROCEED_AND_REPORT]: 'discard information element, proceed and report status',
  3: 'reserved (treated as discard information element, proceed and report status)',
  4: 'reserved (treated as discard information element, proceed and report status)',
  [IeAction.DISCARD_MESSAGE_AND_IGNORE]: 'discard message and ignore',
  [IeAction.DISCARD_MESSAGE_AND_REPORT]: 'discard message and report status',
  7: 'reserved (treated as discard information element, proceed and report status)',
};

/** Message-type extension octet action indicator. */
export const MSG_ACTION_NAMES: Readonly<Record<number, string>> = {
  [MsgAction.CLEAR_CALL]: 'clear call',
  [MsgAction.DISCARD_AND_IGNORE]: 'discard and ignore',
  [MsgAction.DISCARD_AND_REPORT]: 'discard and report status',
  3: 'reserved (treated as discard and report status)',
};

/** Coding standard field of the compatibility octet. */
export const CODING_STANDARD_NAMES: Readonly<Record<number, string>> = {
  0: 'ITU-T',
  1: 'ISO/IEC',
  2: 'national',
  3: 'network specific (ATM Forum)',
};

/** Cause location field. */
export const LOCATION_NAMES: Readonly<Record<number, string>> = {
  0: 'user',
  1: 'private network serving the local user',
  2: 'public network serving the local user',
  3: 'transit network',
  4: 'public network serving the remote user',
  5: 'private network serving the remote user',
  7: 'international network',
  10: 'network beyond interworking point',
};

function lookup(table: Readonly<Record<number, string>>, n: number): string | undefined {
  return Object.prototype.hasOwnProperty.call(table, n) ? table[n] : undefined;
}

/** "DROP PARTY", or "0x92" for an unnamed type. */
export function messageName(type: number): string {
  return lookup(MESSAGE_NAMES, type) ?? hex2(type);
}

/** "user-user", or "0xa7" for an unnamed identifier. */
export function ieName(id: number): string {
  return lookup(IE_NAMES, id) ?? hex2(id);
}

/** "normal call clearing", or "cause 12" for an unnamed value. */
export function causeName(n: number): string {
  return lookup(CAUSE_NAMES, n) ?? `cause ${n}`;
}

/** "U10 Active" / "N10 Active" (REST1/REST2 for the global call reference), or "U 0x2f" when unnamed. */
export function callStateName(n: number, side: 'user' | 'network' = 'user'): string {
  const rest = lookup(RESTART_STATE_NAMES, n);
  if (rest !== undefined) return rest;
  const p = side === 'network' ? 'N' : 'U';
  const s = Object.prototype.hasOwnProperty.call(CALL_STATE_NAMES, n) ? CALL_STATE_NAMES[n] : undefined;
  return s ? `${p}${s[0]} ${s[1]}` : `${p} ${hex2(n)}`;
}

/** "P5 Drop Party Initiated", or "P 0x02" when unnamed. */
export function endpointStateName(n: number): string {
  return lookup(ENDPOINT_STATE_NAMES, n) ?? `P ${hex2(n)}`;
}

/** IE action indicator name ("clear call", ...). */
export function ieActionName(n: number): string {
  return lookup(IE_ACTION_NAMES, n) ?? hex2(n);
}

/** Message action indicator name. */
export function msgActionName(n: number): string {
  return lookup(MSG_ACTION_NAMES, n) ?? hex2(n);
}

/** Cause location name. */
export function locationName(n: number): string {
  return lookup(LOCATION_NAMES, n) ?? `location ${n}`;
}

/** Coding standard name. */
export function codingStandardName(n: number): string {
  return lookup(CODING_STANDARD_NAMES, n) ?? `coding ${n}`;
}
