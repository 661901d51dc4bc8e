/**
 * Q.2931 / Q.2971 message and information-element representations.
 *
 * This file is the contract between the codec (`uni/msg`, which turns these
 * into bytes and back) and call control (`uni/`, which builds and inspects
 * them). Call control never touches a raw offset: it reads and writes these
 * records. Numeric values are the standard's code points; names for logs come
 * from `names.ts`.
 */

/** Message types (Q.2931 table 4-2, Q.2971 additions). */
export enum MsgType {
  ALERTING = 0x01,
  CALL_PROCEEDING = 0x02,
  SETUP = 0x05,
  CONNECT = 0x07,
  CONNECT_ACKNOWLEDGE = 0x0f,
  RESTART = 0x46,
  RELEASE = 0x4d,
  RESTART_ACKNOWLEDGE = 0x4e,
  RELEASE_COMPLETE = 0x5a,
  NOTIFY = 0x6e,
  STATUS_ENQUIRY = 0x75,
  STATUS = 0x7d,
  ADD_PARTY = 0x80,
  ADD_PARTY_ACKNOWLEDGE = 0x81,
  ADD_PARTY_REJECT = 0x82,
  DROP_PARTY = 0x83,
  DROP_PARTY_ACKNOWLEDGE = 0x84,
  PARTY_ALERTING = 0x85,
  /** Q.2963.1: the connection owner asks for a new peak cell rate */
  MODIFY_REQUEST = 0x88,
  /** Q.2963.1: the responder takes the new peak cell rate */
  MODIFY_ACKNOWLEDGE = 0x89,
  /** Q.2963.1: the responder keeps the old peak cell rate (cause says why) */
  MODIFY_REJECT = 0x8a,
  /** Q.2963.1: the owner confirms the new rate is in force (asked for by a report type in MODIFY ACKNOWLEDGE) */
  CONNECTION_AVAILABLE = 0x8b,
}

/** Information element identifiers. */
export enum IeId {
  CAUSE = 0x08,
  CALL_STATE = 0x14,
  NOTIFICATION_INDICATOR = 0x27,
  ENDPOINT_REFERENCE = 0x54,
  ENDPOINT_STATE = 0x55,
  AAL_PARAMETERS = 0x58,
  ATM_TRAFFIC_DESCRIPTOR = 0x59,
  CONNECTION_IDENTIFIER = 0x5a,
  QOS_PARAMETER = 0x5c,
  BROADBAND_HIGH_LAYER_INFORMATION = 0x5d,
  BROADBAND_BEARER_CAPABILITY = 0x5e,
  BROADBAND_LOW_LAYER_INFORMATION = 0x5f,
  BROADBAND_SENDING_COMPLETE = 0x62,
  BROADBAND_REPEAT_INDICATOR = 0x63,
  CALLING_PARTY_NUMBER = 0x6c,
  CALLING_PARTY_SUBADDRESS = 0x6d,
  CALLED_PARTY_NUMBER = 0x70,
  CALLED_PARTY_SUBADDRESS = 0x71,
  RESTART_INDICATOR = 0x79,
  USER_USER = 0x7e,
  /** Q.2963.1 8.2.2: broadband report type (MODIFY ACKNOWLEDGE asks for CONNECTION AVAILABLE) */
  BROADBAND_REPORT_TYPE = 0x89,
}

/** Cause values (Q.2931 / Q.2610 / UNI 4.0). Names in names.ts. */
export enum Cause {
  UNALLOCATED_NUMBER = 1,
  NO_ROUTE_TO_SPECIFIED_TRANSIT_NETWORK = 2,
  NO_ROUTE_TO_DESTINATION = 3,
  NORMAL_CALL_CLEARING = 16,
  USER_BUSY = 17,
  NO_USER_RESPONDING = 18,
  NO_ANSWER_FROM_USER = 19,
  CALL_REJECTED = 21,
  NUMBER_CHANGED = 22,
  DESTINATION_OUT_OF_ORDER = 27,
  INVALID_NUMBER_FORMAT = 28,
  RESPONSE_TO_STATUS_ENQUIRY = 30,
  NORMAL_UNSPECIFIED = 31,
  TOO_MANY_PENDING_ADD_PARTY_REQUESTS = 32,
  REQUESTED_VPCI_VCI_NOT_AVAILABLE = 35,
  VPCI_VCI_ASSIGNMENT_FAILURE = 36,
  USER_CELL_RATE_NOT_AVAILABLE = 37,
  NETWORK_OUT_OF_ORDER = 38,
  TEMPORARY_FAILURE = 41,
  ACCESS_INFORMATION_DISCARDED = 43,
  NO_VPCI_VCI_AVAILABLE = 45,
  RESOURCE_UNAVAILABLE_UNSPECIFIED = 47,
  QOS_UNAVAILABLE = 49,
  BEARER_CAPABILITY_NOT_AUTHORIZED = 57,
  BEARER_CAPABILITY_NOT_PRESENTLY_AVAILABLE = 58,
  SERVICE_OR_OPTION_NOT_AVAILABLE = 63,
  BEARER_CAPABILITY_NOT_IMPLEMENTED = 65,
  UNSUPPORTED_COMBINATION_OF_TRAFFIC_PARAMETERS = 73,
  AAL_PARAMETERS_CANNOT_BE_SUPPORTED = 78,
  INVALID_CALL_REFERENCE_VALUE = 81,
  IDENTIFIED_CHANNEL_DOES_NOT_EXIST = 82,
  INCOMPATIBLE_DESTINATION = 88,
  INVALID_ENDPOINT_REFERENCE = 89,
  INVALID_TRANSIT_NETWORK_SELECTION = 91,
  TOO_MANY_PENDING_ADD_PARTY = 92,
  AAL_PARAMETERS_UNSUPPORTED = 93,
  MANDATORY_INFORMATION_ELEMENT_MISSING = 96,
  MESSAGE_TYPE_NON_EXISTENT = 97,
  INFORMATION_ELEMENT_NON_EXISTENT = 99,
  INVALID_INFORMATION_ELEMENT_CONTENTS = 100,
  MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE = 101,
  RECOVERY_ON_TIMER_EXPIRY = 102,
  INCORRECT_MESSAGE_LENGTH = 104,
  PROTOCOL_ERROR_UNSPECIFIED = 111,
}

/** IE instruction field (compatibility octet): action indicator values. */
export enum IeAction {
  CLEAR_CALL = 0,
  DISCARD_IE_AND_PROCEED = 1,
  DISCARD_IE_PROCEED_AND_REPORT = 2,
  DISCARD_MESSAGE_AND_IGNORE = 5,
  DISCARD_MESSAGE_AND_REPORT = 6,
}

/** Message-type extension octet action values. */
export enum MsgAction {
  CLEAR_CALL = 0,
  DISCARD_AND_IGNORE = 1,
  DISCARD_AND_REPORT = 2,
}

/**
 * The compatibility octet of an IE header. Omitted on encode = ITU-T coding,
 * flag clear, action 0 (so the octet is 0x80).
 */
export interface IeCompat {
  /** coding standard, 0 = ITU-T, 3 = ATM Forum / network specific */
  coding?: number;
  /** "follow explicit instructions" flag (0x10) */
  flag?: boolean;
  /** action indicator (low 3 bits), meaningful when flag is set */
  action?: number;
}

export interface CauseIe extends IeCompat {
  id: IeId.CAUSE;
  /** 0 user, 1 private local, 2 public local, 3 transit, 4 public remote, 5 private remote, 7 international, 10 beyond interworking */
  location: number;
  cause: number;
  /** raw diagnostic octets (IE id list, message type, 3 IA5 timer chars, ...); empty when absent */
  diagnostic: Buffer;
}

export interface CallStateIe extends IeCompat {
  id: IeId.CALL_STATE;
  /** low 6 bits: U0 0, U1 1, U3 3, U4 4, U6 6, U7 7, U8 8, U9 9, U10 0x0a, U11 0x0b, U12 0x0c; REST1 0x3d, REST2 0x3e */
  state: number;
}

export interface EndpointReferenceIe extends IeCompat {
  id: IeId.ENDPOINT_REFERENCE;
  /** endpoint reference type; 0 = locally defined integer */
  type: number;
  /** true = sent to the side that allocated the endpoint reference (bit 0x8000) */
  flag: boolean;
  /** 15-bit value, 0..32767 */
  value: number;
  /**
   * The compatibility octet's "follow explicit instructions" flag (0x10) for
   * this IE: `flag` above is taken by the endpoint-reference flag, so the
   * codec reads and writes the IE-header flag here. Omitted = clear.
   */
  ieFlag?: boolean;
}

export interface EndpointStateIe extends IeCompat {
  id: IeId.ENDPOINT_STATE;
  /** low 6 bits: P0 0, P1 1, P3 4, P2 6, P4 7, P7 0x0a, P5 0x0b, P6 0x0c */
  state: number;
}

export interface ConnectionIdentifierIe extends IeCompat {
  id: IeId.CONNECTION_IDENTIFIER;
  /** VP-associated signalling field (bits 0x18 of octet 5); 1 = explicit indication of VPCI */
  vpAssociated: number;
  /** preferred/exclusive field (bits 0x07 of octet 5); 0 = exclusive VPCI, exclusive VCI */
  exclusive: number;
  vpci: number;
  vci: number;
}

export interface RestartIndicatorIe extends IeCompat {
  id: IeId.RESTART_INDICATOR;
  /** 0 indicated VC, 1 all VCs in the indicated VPC, 2 all VCs */
  restartClass: number;
}

export interface UserUserIe extends IeCompat {
  id: IeId.USER_USER;
  /** protocol discriminator octet; 0 = user-specific (condis-tap close data) */
  protocol: number;
  /** the user information octets (condis-tap close data), at most 127 */
  data: Buffer;
}

/** Numbering plan: 1 E.164, 2 ATM End System Address (AESA / NSAP), 9 private. */
export interface PartyNumber extends IeCompat {
  /** type of number (3 bits), 0 unknown, 1 international */
  typeOfNumber: number;
  plan: number;
  /** E.164: ASCII digits; AESA: 20 octets */
  address: Buffer;
}

export interface CalledPartyNumberIe extends PartyNumber {
  id: IeId.CALLED_PARTY_NUMBER;
}

export interface CallingPartyNumberIe extends PartyNumber {
  id: IeId.CALLING_PARTY_NUMBER;
  /** octet 5a, when present */
  presentation?: number;
  screening?: number;
}

interface Subaddress extends IeCompat {
  /** 0 NSAP, 1 ATM End System Address, 2 user specified */
  subaddressType: number;
  address: Buffer;
}

export interface CalledSubaddressIe extends Subaddress {
  id: IeId.CALLED_PARTY_SUBADDRESS;
}

export interface CallingSubaddressIe extends Subaddress {
  id: IeId.CALLING_PARTY_SUBADDRESS;
}

export interface BearerCapabilityIe extends IeCompat {
  id: IeId.BROADBAND_BEARER_CAPABILITY;
  /** 0x01 BCOB-A, 0x03 BCOB-C, 0x10 BCOB-X, 0x18 transparent VP */
  bearerClass: number;
  /** ATM transfer capability (octet 5a), when present */
  transferCapability?: number;
  /** susceptibility to clipping: 0 not susceptible, 1 susceptible */
  clipping: number;
  /** user-plane connection configuration: 0 point-to-point, 1 point-to-multipoint */
  userPlane: number;
}

/** One traffic-descriptor subfield: identifier octet + value (24-bit for rates/sizes). */
export interface TrafficField {
  id: number;
  value: number;
}

export interface TrafficDescriptorIe extends IeCompat {
  id: IeId.ATM_TRAFFIC_DESCRIPTOR;
  /** cell rates / burst sizes in encoding order, e.g. {id: 0x84, value: fwd PCR CLP0+1} */
  fields: TrafficField[];
  /** best-effort indicator (0xBE) */
  bestEffort: boolean;
  /** traffic management options octet (0xBF), when present */
  tmOptions?: number;
}

/** Broadband report type values (Q.2963.1 8.2.2). */
export enum ReportType {
  /** the sender of MODIFY ACKNOWLEDGE wants CONNECTION AVAILABLE once the new rate is in force */
  MODIFICATION_CONFIRMATION = 0x01,
}

export interface ReportTypeIe extends IeCompat {
  id: IeId.BROADBAND_REPORT_TYPE;
  /** the content octet (7 bits); 1 = modification confirmation */
  reportType: number;
}

export interface QosParameterIe extends IeCompat {
  id: IeId.QOS_PARAMETER;
  forwardClass: number;
  backwardClass: number;
}

/** AAL parameters: aalType 5 = AAL5; subfields kept in order as (id, value). */
export interface AalParametersIe extends IeCompat {
  id: IeId.AAL_PARAMETERS;
  aalType: number;
  fwdMaxSdu?: number;
  bwdMaxSdu?: number;
  sscsType?: number;
  mode?: number;
  /** for AAL types other than 5: the octets after the AAL type, kept raw; omitted when empty */
  raw?: Buffer;
}

export interface SendingCompleteIe extends IeCompat {
  id: IeId.BROADBAND_SENDING_COMPLETE;
}

/** Broadband repeat indicator: precedes repeated B-LLIs in SETUP. */
export interface RepeatIndicatorIe extends IeCompat {
  id: IeId.BROADBAND_REPEAT_INDICATOR;
  /** low 4 bits; 2 = prioritised list for selecting one possibility */
  indicator: number;
}

/** Broadband low-layer information: kept as its content octets (layer 2/3 protocol codes). */
export interface LowLayerInfoIe extends IeCompat {
  id: IeId.BROADBAND_LOW_LAYER_INFORMATION;
  content: Buffer;
}

export interface HighLayerInfoIe extends IeCompat {
  id: IeId.BROADBAND_HIGH_LAYER_INFORMATION;
  content: Buffer;
}

export interface NotificationIe extends IeCompat {
  id: IeId.NOTIFICATION_INDICATOR;
  content: Buffer;
}

/**
 * An IE the codec does not know (or knows but is not allowed in this message:
 * Q.2931 5.6.8.3 treats those as unrecognised). Kept with its instruction
 * field so call control can apply the action indicator.
 */
export interface UnknownIe extends IeCompat {
  id: number;
  unknown: true;
  content: Buffer;
}

export type KnownIe =
  | CauseIe
  | CallStateIe
  | EndpointReferenceIe
  | EndpointStateIe
  | ConnectionIdentifierIe
  | RestartIndicatorIe
  | UserUserIe
  | CalledPartyNumberIe
  | CallingPartyNumberIe
  | CalledSubaddressIe
  | CallingSubaddressIe
  | BearerCapabilityIe
  | TrafficDescriptorIe
  | QosParameterIe
  | AalParametersIe
  | SendingCompleteIe
  | RepeatIndicatorIe
  | LowLayerInfoIe
  | HighLayerInfoIe
  | NotificationIe
  | ReportTypeIe;

export type InfoElement = KnownIe | UnknownIe;

/** An IE whose contents failed to decode: kept for Q.2931 5.6.7 error handling (cause 100). */
export interface ErroredIe extends IeCompat {
  id: number;
  /** the decode error's code, e.g. 'ie-too-long', 'ie-bad-content' */
  problem: string;
  content: Buffer;
}

export interface UniMessage {
  type: MsgType | number;
  /** 23-bit call reference value; 0 = global */
  callRef: number;
  /** call reference flag: false = sent by the side that allocated the call reference */
  callRefFlag: boolean;
  /** message-type extension octet: flag 0x10 + action; omitted = 0x80 (no explicit instructions) */
  msgFlag?: boolean;
  msgAction?: number;
  /** well-formed IEs in wire order (known and unknown) */
  ies: InfoElement[];
  /** IEs whose content could not be decoded (decode only; ignored on encode) */
  errored?: ErroredIe[];
}

/** First IE with that identifier, typed. */
export function findIe<I extends IeId>(msg: UniMessage, id: I): Extract<KnownIe, { id: I }> | undefined {
  for (const ie of msg.ies) if (ie.id === id && !('unknown' in ie)) return ie as Extract<KnownIe, { id: I }>;
  return undefined;
}

/** All IEs with that identifier, typed (cause may appear twice in RELEASE). */
export function findIes<I extends IeId>(msg: UniMessage, id: I): Extract<KnownIe, { id: I }>[] {
  return msg.ies.filter((ie) => ie.id === id && !('unknown' in ie)) as Extract<KnownIe, { id: I }>[];
}
