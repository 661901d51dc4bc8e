/**
 * The declaration tables: one entry per information element and one per
 * message type. The codec (encode, decode, checkMessage) is driven from these
 * tables and nothing else knows which IE may appear where.
 *
 * Content lengths exclude the 4-octet IE header. Maxima follow the UNI 4.0
 * figures (as also used by NgATM); minima are the smallest content that can
 * be decoded at all.
 */
import { CODEC, type IeCodec } from './ie.js';
import { IeId, MsgType } from './types.js';

export interface IeDecl {
  readonly id: IeId;
  /** smallest content length accepted */
  readonly minLen: number;
  /** largest content length accepted; longer is a content error (Q.2931 5.6.8.2) */
  readonly maxLen: number;
  /** coding standards decoded; an IE with another coding standard is treated as unrecognised */
  readonly codings: readonly number[];
  /** access IE: content errors belong to the "access information discarded" class (cause 43) */
  readonly access: boolean;
  /** the content encoder / decoder (ie.ts) */
  readonly codec: IeCodec;
}

export const IE_DECL_LIST: readonly IeDecl[] = [
  { id: IeId.CAUSE, minLen: 2, maxLen: 30, codings: [0, 3], access: false, codec: CODEC.cause },
  { id: IeId.CALL_STATE, minLen: 1, maxLen: 1, codings: [0], access: false, codec: CODEC.callState },
  { id: IeId.NOTIFICATION_INDICATOR, minLen: 1, maxLen: 128, codings: [0], access: false, codec: CODEC.notification },
  { id: IeId.ENDPOINT_REFERENCE, minLen: 3, maxLen: 3, codings: [0], access: false, codec: CODEC.endpointReference },
  { id: IeId.ENDPOINT_STATE, minLen: 1, maxLen: 1, codings: [0], access: false, codec: CODEC.endpointState },
  { id: IeId.AAL_PARAMETERS, minLen: 1, maxLen: 17, codings: [0], access: true, codec: CODEC.aal },
  { id: IeId.ATM_TRAFFIC_DESCRIPTOR, minLen: 0, maxLen: 26, codings: [0, 3], access: false, codec: CODEC.traffic },
  { id: IeId.CONNECTION_IDENTIFIER, minLen: 5, maxLen: 5, codings: [0], access: false, codec: CODEC.connectionId },
  { id: IeId.QOS_PARAMETER, minLen: 2, maxLen: 2, codings: [0, 3], access: false, codec: CODEC.qos },
  { id: IeId.BROADBAND_HIGH_LAYER_INFORMATION, minLen: 1, maxLen: 9, codings: [0], access: true, codec: CODEC.bhli },
  { id: IeId.BROADBAND_BEARER_CAPABILITY, minLen: 2, maxLen: 3, codings: [0], access: false, codec: CODEC.bearer },
  { id: IeId.BROADBAND_LOW_LAYER_INFORMATION, minLen: 1, maxLen: 13, codings: [0], access: true, codec: CODEC.blli },
  { id: IeId.BROADBAND_SENDING_COMPLETE, minLen: 1, maxLen: 1, codings: [0], access: false, codec: CODEC.sendingComplete },
  { id: IeId.BROADBAND_REPEAT_INDICATOR, minLen: 1, maxLen: 1, codings: [0], access: false, codec: CODEC.repeat },
  { id: IeId.CALLING_PARTY_NUMBER, minLen: 1, maxLen: 22, codings: [0], access: false, codec: CODEC.calling },
  { id: IeId.CALLING_PARTY_SUBADDRESS, minLen: 1, maxLen: 21, codings: [0], access: true, codec: CODEC.callingSub },
  { id: IeId.CALLED_PARTY_NUMBER, minLen: 1, maxLen: 21, codings: [0], access: false, codec: CODEC.called },
  { id: IeId.CALLED_PARTY_SUBADDRESS, minLen: 1, maxLen: 21, codings: [0], access: true, codec: CODEC.calledSub },
  { id: IeId.RESTART_INDICATOR, minLen: 1, maxLen: 1, codings: [0], access: false, codec: CODEC.restart },
  { id: IeId.USER_USER, minLen: 1, maxLen: 128, codings: [0], access: true, codec: CODEC.userUser },
  { id: IeId.BROADBAND_REPORT_TYPE, minLen: 1, maxLen: 1, codings: [0], access: false, codec: CODEC.report },
];

/** IE declarations indexed by identifier (undefined = not known to the codec). */
export const IE_DECLS: readonly (IeDecl | undefined)[] = (() => {
  const t: (IeDecl | undefined)[] = new Array(256).fill(undefined);
  for (const d of IE_DECL_LIST) t[d.id] = d;
  return t;
})();

/** One IE a message may carry. */
export interface MsgIeRule {
  readonly id: IeId;
  readonly mandatory: boolean;
  /** how many instances are accepted; further ones are errors ('repeated') */
  readonly max: number;
}

export interface MsgDecl {
  readonly type: MsgType;
  /** allowed IEs, in the order the standard lists them */
  readonly ies: readonly MsgIeRule[];
}

const M = (id: IeId, max = 1): MsgIeRule => ({ id, mandatory: true, max });
const O = (id: IeId, max = 1): MsgIeRule => ({ id, mandatory: false, max });

/**
 * Messages (UNI side, Q.2931 clause 3 / Q.2971 clause 8 / UNI 4.0 additions
 * restricted to the IEs the codec knows). Mandatory sets are those both
 * directions share; direction-specific requirements (e.g. the endpoint
 * reference in a point-to-multipoint CONNECT) are call control's business.
 */
export const MSG_DECL_LIST: readonly MsgDecl[] = [
  {
    type: MsgType.SETUP,
    ies: [
      O(IeId.AAL_PARAMETERS),
      M(IeId.ATM_TRAFFIC_DESCRIPTOR),
      M(IeId.BROADBAND_BEARER_CAPABILITY),
      O(IeId.BROADBAND_HIGH_LAYER_INFORMATION),
      O(IeId.BROADBAND_REPEAT_INDICATOR),
      O(IeId.BROADBAND_LOW_LAYER_INFORMATION, 3),
      M(IeId.CALLED_PARTY_NUMBER),
      O(IeId.CALLED_PARTY_SUBADDRESS, 2),
      O(IeId.CALLING_PARTY_NUMBER),
      O(IeId.CALLING_PARTY_SUBADDRESS, 2),
      O(IeId.CONNECTION_IDENTIFIER),
      M(IeId.QOS_PARAMETER),
      O(IeId.NOTIFICATION_INDICATOR),
      O(IeId.BROADBAND_SENDING_COMPLETE),
      O(IeId.ENDPOINT_REFERENCE),
      O(IeId.USER_USER),
    ],
  },
  {
    type: MsgType.CALL_PROCEEDING,
    ies: [O(IeId.CONNECTION_IDENTIFIER), O(IeId.ENDPOINT_REFERENCE), O(IeId.NOTIFICATION_INDICATOR)],
  },
  {
    type: MsgType.ALERTING,
    ies: [
      O(IeId.CONNECTION_IDENTIFIER),
      O(IeId.ENDPOINT_REFERENCE),
      O(IeId.NOTIFICATION_INDICATOR),
      O(IeId.USER_USER),
    ],
  },
  {
    type: MsgType.CONNECT,
    ies: [
      O(IeId.AAL_PARAMETERS),
      O(IeId.BROADBAND_LOW_LAYER_INFORMATION),
      O(IeId.CONNECTION_IDENTIFIER),
      O(IeId.ENDPOINT_REFERENCE),
      O(IeId.NOTIFICATION_INDICATOR),
      O(IeId.ATM_TRAFFIC_DESCRIPTOR),
      O(IeId.USER_USER),
    ],
  },
  { type: MsgType.CONNECT_ACKNOWLEDGE, ies: [O(IeId.NOTIFICATION_INDICATOR)] },
  {
    type: MsgType.RELEASE,
    ies: [M(IeId.CAUSE, 2), O(IeId.NOTIFICATION_INDICATOR), O(IeId.USER_USER)],
  },
  {
    type: MsgType.RELEASE_COMPLETE,
    ies: [O(IeId.CAUSE, 2), O(IeId.USER_USER)],
  },
  {
    type: MsgType.STATUS,
    ies: [M(IeId.CALL_STATE), M(IeId.CAUSE), O(IeId.ENDPOINT_REFERENCE), O(IeId.ENDPOINT_STATE)],
  },
  { type: MsgType.STATUS_ENQUIRY, ies: [O(IeId.ENDPOINT_REFERENCE)] },
  {
    type: MsgType.RESTART,
    ies: [O(IeId.CONNECTION_IDENTIFIER), M(IeId.RESTART_INDICATOR)],
  },
  {
    type: MsgType.RESTART_ACKNOWLEDGE,
    ies: [O(IeId.CONNECTION_IDENTIFIER), M(IeId.RESTART_INDICATOR)],
  },
  {
    type: MsgType.NOTIFY,
    ies: [M(IeId.NOTIFICATION_INDICATOR), O(IeId.ENDPOINT_REFERENCE)],
  },
  {
    type: MsgType.ADD_PARTY,
    ies: [
      O(IeId.AAL_PARAMETERS),
      O(IeId.BROADBAND_HIGH_LAYER_INFORMATION),
      O(IeId.BROADBAND_LOW_LAYER_INFORMATION),
      M(IeId.CALLED_PARTY_NUMBER),
      O(IeId.CALLED_PARTY_SUBADDRESS, 2),
      O(IeId.CALLING_PARTY_NUMBER),
      O(IeId.CALLING_PARTY_SUBADDRESS, 2),
      O(IeId.BROADBAND_SENDING_COMPLETE),
      M(IeId.ENDPOINT_REFERENCE),
      O(IeId.NOTIFICATION_INDICATOR),
      O(IeId.USER_USER),
    ],
  },
  {
    type: MsgType.ADD_PARTY_ACKNOWLEDGE,
    ies: [
      M(IeId.ENDPOINT_REFERENCE),
      O(IeId.AAL_PARAMETERS),
      O(IeId.BROADBAND_LOW_LAYER_INFORMATION),
      O(IeId.NOTIFICATION_INDICATOR),
      O(IeId.USER_USER),
    ],
  },
  {
    type: MsgType.PARTY_ALERTING,
    ies: [M(IeId.ENDPOINT_REFERENCE), O(IeId.NOTIFICATION_INDICATOR), O(IeId.USER_USER)],
  },
  {
    type: MsgType.ADD_PARTY_REJECT,
    ies: [M(IeId.CAUSE), M(IeId.ENDPOINT_REFERENCE), O(IeId.USER_USER)],
  },
  {
    type: MsgType.DROP_PARTY,
    ies: [M(IeId.CAUSE), M(IeId.ENDPOINT_REFERENCE), O(IeId.NOTIFICATION_INDICATOR), O(IeId.USER_USER)],
  },
  {
    type: MsgType.DROP_PARTY_ACKNOWLEDGE,
    ies: [M(IeId.ENDPOINT_REFERENCE), O(IeId.CAUSE), O(IeId.USER_USER)],
  },
  // Q.2963.1 8.1 (peak cell rate modification by the connection owner); the alternative and minimum
  // traffic descriptors of the negotiating variants (Q.2963.3) are not decoded and arrive as unrecognised
  { type: MsgType.MODIFY_REQUEST, ies: [M(IeId.ATM_TRAFFIC_DESCRIPTOR), O(IeId.NOTIFICATION_INDICATOR)] },
  {
    type: MsgType.MODIFY_ACKNOWLEDGE,
    ies: [O(IeId.BROADBAND_REPORT_TYPE), O(IeId.ATM_TRAFFIC_DESCRIPTOR), O(IeId.NOTIFICATION_INDICATOR)],
  },
  { type: MsgType.MODIFY_REJECT, ies: [M(IeId.CAUSE), O(IeId.NOTIFICATION_INDICATOR)] },
  { type: MsgType.CONNECTION_AVAILABLE, ies: [O(IeId.NOTIFICATION_INDICATOR), O(IeId.BROADBAND_REPORT_TYPE)] },
];

/** A message declaration compiled for the decoder: per-identifier repeat limits and the mandatory list. */
export interface CompiledMsgDecl {
  readonly decl: MsgDecl;
  /** maxCount[id] = accepted instances of IE `id`; 0 = not allowed in this message */
  readonly maxCount: Uint8Array;
  /** identifiers of the mandatory IEs */
  readonly mandatory: readonly number[];
  /** identifiers of all allowed IEs */
  readonly allowed: readonly number[];
}

/** Message declarations indexed by message type (undefined = type unknown to the codec). */
export const MSG_DECLS: readonly (CompiledMsgDecl | undefined)[] = (() => {
  const t: (CompiledMsgDecl | undefined)[] = new Array(256).fill(undefined);
  for (const decl of MSG_DECL_LIST) {
    const maxCount = new Uint8Array(256);
    for (const r of decl.ies) maxCount[r.id] = r.max;
    t[decl.type] = {
      decl,
      maxCount,
      mandatory: decl.ies.filter((r) => r.mandatory).map((r) => r.id),
      allowed: decl.ies.map((r) => r.id),
    };
  }
  return t;
})();

/** The declaration of an IE, or undefined for identifiers the codec does not know. */
export function ieDecl(id: number): IeDecl | undefined {
  return id >= 0 && id < 256 ? IE_DECLS[id] : undefined;
}

/** The compiled declaration of a message type, or undefined for unknown types. */
export function msgDecl(type: number): CompiledMsgDecl | undefined {
  return type >= 0 && type < 256 ? MSG_DECLS[type] : undefined;
}

/**
 * Most close-data octets one user-user IE carries: contents are the protocol
 * discriminator plus data, at most 128 octets (docs/wire.md; what NgATM accepts).
 */
export const USER_USER_MAX_DATA: number = IE_DECLS[IeId.USER_USER]!.maxLen - 1;
