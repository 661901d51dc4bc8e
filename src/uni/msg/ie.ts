/**
 * Codecs for the information elements the codec knows: one encoder and one
 * decoder per IE kind (`CODEC`), each referenced by that IE's single
 * declaration in decls.ts.
 *
 * Encoders write the compatibility octet and the contents of an IE whose
 * header starts at p into the work buffer (room()); the message codec
 * (codec.ts) writes identifier and length around them.
 *
 * Decoders get the whole message buffer and the content bounds [s, e); the
 * length has already been checked against the IE declaration (decls.ts), so a
 * decoder only checks what depends on the content itself. A decoder returns
 * the IE record or a problem string; it never throws and every loop advances.
 */
import {
  type AalParametersIe,
  type BearerCapabilityIe,
  type CalledPartyNumberIe,
  type CalledSubaddressIe,
  type CallingPartyNumberIe,
  type CallingSubaddressIe,
  type CallStateIe,
  type CauseIe,
  type ConnectionIdentifierIe,
  type EndpointReferenceIe,
  type EndpointStateIe,
  type HighLayerInfoIe,
  type KnownIe,
  type LowLayerInfoIe,
  type NotificationIe,
  type QosParameterIe,
  type RepeatIndicatorIe,
  type ReportTypeIe,
  type RestartIndicatorIe,
  type SendingCompleteIe,
  type TrafficDescriptorIe,
  type TrafficField,
  type UnknownIe,
  type UserUserIe,
  IeId,
} from './types.js';

/** Problems recorded on `ErroredIe.problem`. */
export const IE_PROBLEM = {
  /** content shorter than the IE's minimum */
  tooShort: 'ie-too-short',
  /** content longer than the IE's maximum (Q.2931 5.6.8.2) */
  tooLong: 'ie-too-long',
  /** content octets that do not decode */
  badContent: 'ie-bad-content',
  /** the IE length runs past the end of the message (ends the IE loop) */
  truncated: 'ie-truncated',
  /** fewer than 4 octets left for an IE header (ends the IE loop) */
  headerTruncated: 'ie-header-truncated',
  /** more instances than the message allows */
  repeated: 'repeated',
} as const;
export type IeProblem = (typeof IE_PROBLEM)[keyof typeof IE_PROBLEM];

const BAD = IE_PROBLEM.badContent;

/**
 * Writes a whole IE whose header starts at p (compatibility octet, contents;
 * the message codec fills in identifier and length) and returns the position
 * after it. Each encoder reads its own IE's compatibility fields and checks
 * for an UnknownIe itself: those reads then see one or two record shapes per
 * encoder instead of every shape at the message loop, which keeps V8's
 * property caches monomorphic where the work is.
 */
type Enc = (ie: any, p: number) => number;
type Dec = (b: Buffer, s: number, e: number) => KnownIe | IeProblem;

let scratch = Buffer.allocUnsafe(4096);

/** The encoder's work buffer, grown so an IE header at p plus n content octets fit. */
export function room(p: number, n: number): Buffer {
  const need = p + 4 + n;
  if (need > scratch.length) {
    const next = Buffer.allocUnsafe(Math.max(need, scratch.length * 2));
    scratch.copy(next);
    scratch = next;
  }
  return scratch;
}

/** The compatibility octet: ext bit, coding standard, instruction flag, action indicator. */
export function compat(coding: number | undefined, flag: boolean | undefined, action: number | undefined): number {
  return 0x80 | (((coding ?? 0) & 0x03) << 5) | (flag ? 0x10 : 0) | ((action ?? 0) & 0x07);
}

/** An unrecognised IE, written back with its stored content and compatibility fields. */
export function writeUnknown(ie: UnknownIe, p: number): number {
  const b = room(p, ie.content.length);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  return put(ie.content, b, p + 4);
}

/** Below this many octets a plain loop beats Buffer#copy's call overhead. */
const SMALL = 48;

/** an empty field (a cause without diagnostics, most often): one shared buffer, which has nothing to change */
const NOTHING = Buffer.alloc(0);

/** Copy of b[s, e): decoded records never alias the input buffer. */
export function copyOut(b: Buffer, s: number, e: number): Buffer {
  const n = e - s;
  if (n === 0) return NOTHING;
  const o = Buffer.allocUnsafe(n);
  if (n <= SMALL) for (let i = 0; i < n; i++) o[i] = b[s + i];
  else o.set(b.subarray(s, e)); // TypedArray methods: works on a plain Uint8Array view too
  return o;
}

/** Write src at b[p]; the caller has made room. Returns the position after it. */
export function put(src: Buffer, b: Buffer, p: number): number {
  const n = src.length;
  if (n <= SMALL) {
    for (let i = 0; i < n; i++) b[p + i] = src[i];
    return p + n;
  }
  b.set(src, p);
  return p + n;
}

function putU16(v: number, b: Buffer, p: number): number {
  b[p] = (v >>> 8) & 0xff;
  b[p + 1] = v & 0xff;
  return p + 2;
}

function putU24(v: number, b: Buffer, p: number): number {
  b[p] = (v >>> 16) & 0xff;
  b[p + 1] = (v >>> 8) & 0xff;
  b[p + 2] = v & 0xff;
  return p + 3;
}

const u16 = (b: Buffer, p: number): number => (b[p] << 8) | b[p + 1];
const u24 = (b: Buffer, p: number): number => (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];

// ---- cause (0x08): location, cause value, diagnostic ------------------------

function encCause(ie: CauseIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 2 + ie.diagnostic.length);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  b[p] = 0x80 | (ie.location & 0x0f);
  b[p + 1] = 0x80 | (ie.cause & 0x7f);
  return put(ie.diagnostic, b, p + 2);
}
function decCause(b: Buffer, s: number, e: number): KnownIe | IeProblem {
  const o5 = b[s];
  const o6 = b[s + 1];
  // octet 5 with the extension bit clear is how a deliberately erroneous cause is coded
  if ((o5 & 0x80) === 0 || (o6 & 0x80) === 0) return BAD;
  return { id: IeId.CAUSE, location: o5 & 0x0f, cause: o6 & 0x7f, diagnostic: copyOut(b, s + 2, e) };
}

// ---- one-octet state / indicator IEs ----------------------------------------

function encCallState(ie: CallStateIe | EndpointStateIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 1);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  b[p] = ie.state & 0x3f;
  return p + 1;
}
function decCallState(b: Buffer, s: number): KnownIe {
  return { id: IeId.CALL_STATE, state: b[s] & 0x3f };
}
function decEndpointState(b: Buffer, s: number): KnownIe {
  return { id: IeId.ENDPOINT_STATE, state: b[s] & 0x3f };
}

function encRestart(ie: RestartIndicatorIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 1);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  b[p] = 0x80 | (ie.restartClass & 0x07);
  return p + 1;
}
function decRestart(b: Buffer, s: number): KnownIe {
  return { id: IeId.RESTART_INDICATOR, restartClass: b[s] & 0x07 };
}

function encRepeat(ie: RepeatIndicatorIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 1);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  b[p] = 0x80 | (ie.indicator & 0x0f);
  return p + 1;
}
function decRepeat(b: Buffer, s: number): KnownIe {
  return { id: IeId.BROADBAND_REPEAT_INDICATOR, indicator: b[s] & 0x0f };
}

function encSendingComplete(ie: SendingCompleteIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 1);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  b[p] = 0xa1;
  return p + 1;
}
function decSendingComplete(b: Buffer, s: number): KnownIe | IeProblem {
  return b[s] === 0xa1 ? { id: IeId.BROADBAND_SENDING_COMPLETE } : BAD;
}

function encReport(ie: ReportTypeIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 1);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  b[p] = ie.reportType & 0x7f;
  return p + 1;
}
function decReport(b: Buffer, s: number): KnownIe {
  // one octet; the top bit is read as an extension bit and ignored, every type value is kept for call control
  return { id: IeId.BROADBAND_REPORT_TYPE, reportType: b[s] & 0x7f };
}

// ---- endpoint reference (0x54): type, flag + 15-bit value -------------------

function encEpref(ie: EndpointReferenceIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 3);
  b[p + 1] = compat(ie.coding, ie.ieFlag, ie.action);
  p += 4;
  b[p] = ie.type & 0xff;
  return putU16((ie.flag ? 0x8000 : 0) | (ie.value & 0x7fff), b, p + 1);
}
function decEpref(b: Buffer, s: number): KnownIe {
  const v = u16(b, s + 1);
  return { id: IeId.ENDPOINT_REFERENCE, type: b[s], flag: (v & 0x8000) !== 0, value: v & 0x7fff };
}

// ---- AAL parameters (0x58) --------------------------------------------------

function encAal(ie: AalParametersIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, ie.aalType === 5 ? 10 : 1 + (ie.raw ? ie.raw.length : 0));
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  b[p++] = ie.aalType & 0xff;
  if (ie.aalType !== 5) return ie.raw ? put(ie.raw, b, p) : p;
  if (ie.fwdMaxSdu !== undefined) {
    b[p] = 0x8c;
    p = putU16(ie.fwdMaxSdu, b, p + 1);
  }
  if (ie.bwdMaxSdu !== undefined) {
    b[p] = 0x81;
    p = putU16(ie.bwdMaxSdu, b, p + 1);
  }
  if (ie.mode !== undefined) {
    b[p] = 0x83;
    b[p + 1] = ie.mode & 0xff;
    p += 2;
  }
  if (ie.sscsType !== undefined) {
    b[p] = 0x84;
    b[p + 1] = ie.sscsType & 0xff;
    p += 2;
  }
  return p;
}
function decAal(b: Buffer, s: number, e: number): KnownIe | IeProblem {
  const ie: AalParametersIe = { id: IeId.AAL_PARAMETERS, aalType: b[s] };
  let i = s + 1;
  if (ie.aalType !== 5) {
    if (i < e) ie.raw = copyOut(b, i, e);
    return ie;
  }
  while (i < e) {
    const sub = b[i];
    if (sub === 0x8c || sub === 0x81) {
      if (i + 3 > e) return BAD;
      if (sub === 0x8c) ie.fwdMaxSdu = u16(b, i + 1);
      else ie.bwdMaxSdu = u16(b, i + 1);
      i += 3;
    } else if (sub === 0x83 || sub === 0x84) {
      if (i + 2 > e) return BAD;
      if (sub === 0x83) ie.mode = b[i + 1];
      else ie.sscsType = b[i + 1];
      i += 2;
    } else return BAD;
  }
  return ie;
}

// ---- ATM traffic descriptor (0x59) ------------------------------------------

/** Traffic-descriptor subfield identifiers that carry a 24-bit value. */
export const TRAFFIC_RATE_IDS: readonly number[] = [
  0x82, 0x83, 0x84, 0x85, 0x88, 0x89, 0x90, 0x91, 0x92, 0x93, 0xa0, 0xa1, 0xb0, 0xb1,
];
const IS_RATE = new Uint8Array(256);
for (const id of TRAFFIC_RATE_IDS) IS_RATE[id] = 1;

function encTraffic(ie: TrafficDescriptorIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, ie.fields.length * 4 + 3);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  const f = ie.fields;
  for (let k = 0; k < f.length; k++) {
    b[p] = f[k].id & 0xff;
    p = putU24(f[k].value, b, p + 1);
  }
  if (ie.bestEffort) b[p++] = 0xbe;
  if (ie.tmOptions !== undefined) {
    b[p] = 0xbf;
    b[p + 1] = ie.tmOptions & 0xff;
    p += 2;
  }
  return p;
}
function decTraffic(b: Buffer, s: number, e: number): KnownIe | IeProblem {
  const fields: TrafficField[] = [];
  const ie: TrafficDescriptorIe = { id: IeId.ATM_TRAFFIC_DESCRIPTOR, fields, bestEffort: false };
  let i = s;
  while (i < e) {
    const sub = b[i];
    if (IS_RATE[sub] === 1) {
      if (i + 4 > e) return BAD;
      fields.push({ id: sub, value: u24(b, i + 1) });
      i += 4;
    } else if (sub === 0xbe) {
      ie.bestEffort = true;
      i += 1;
    } else if (sub === 0xbf) {
      if (i + 2 > e) return BAD;
      ie.tmOptions = b[i + 1];
      i += 2;
    } else return BAD;
  }
  return ie;
}

// ---- connection identifier (0x5A) -------------------------------------------

function encConnId(ie: ConnectionIdentifierIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 5);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  b[p] = 0x80 | ((ie.vpAssociated & 0x03) << 3) | (ie.exclusive & 0x07);
  putU16(ie.vpci, b, p + 1);
  return putU16(ie.vci, b, p + 3);
}
function decConnId(b: Buffer, s: number): KnownIe {
  const o5 = b[s];
  return {
    id: IeId.CONNECTION_IDENTIFIER,
    vpAssociated: (o5 >> 3) & 0x03,
    exclusive: o5 & 0x07,
    vpci: u16(b, s + 1),
    vci: u16(b, s + 3),
  };
}

// ---- QoS parameter (0x5C) ---------------------------------------------------

function encQos(ie: QosParameterIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 2);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  b[p] = ie.forwardClass & 0xff;
  b[p + 1] = ie.backwardClass & 0xff;
  return p + 2;
}
function decQos(b: Buffer, s: number): KnownIe {
  return { id: IeId.QOS_PARAMETER, forwardClass: b[s], backwardClass: b[s + 1] };
}

// ---- broadband bearer capability (0x5E) -------------------------------------

function encBearer(ie: BearerCapabilityIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 3);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  if (ie.transferCapability === undefined) {
    b[p++] = 0x80 | (ie.bearerClass & 0x1f);
  } else {
    b[p++] = ie.bearerClass & 0x1f;
    b[p++] = 0x80 | (ie.transferCapability & 0x7f);
  }
  b[p] = 0x80 | ((ie.clipping & 0x03) << 5) | (ie.userPlane & 0x03);
  return p + 1;
}
function decBearer(b: Buffer, s: number, e: number): KnownIe | IeProblem {
  const o5 = b[s];
  const bearerClass = o5 & 0x1f;
  if ((o5 & 0x80) !== 0) {
    if (e - s !== 2) return BAD;
    const o6 = b[s + 1];
    return { id: IeId.BROADBAND_BEARER_CAPABILITY, bearerClass, clipping: (o6 >> 5) & 0x03, userPlane: o6 & 0x03 };
  }
  // ext bit clear: octet 5a (ATM transfer capability) follows
  if (e - s !== 3) return BAD;
  const o6 = b[s + 2];
  return {
    id: IeId.BROADBAND_BEARER_CAPABILITY,
    bearerClass,
    transferCapability: b[s + 1] & 0x7f,
    clipping: (o6 >> 5) & 0x03,
    userPlane: o6 & 0x03,
  };
}

// ---- party numbers and subaddresses ------------------------------------------

function encCalled(ie: CalledPartyNumberIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 1 + ie.address.length);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  b[p] = 0x80 | ((ie.typeOfNumber & 0x07) << 4) | (ie.plan & 0x0f);
  return put(ie.address, b, p + 1);
}
function decCalled(b: Buffer, s: number, e: number): KnownIe | IeProblem {
  const o5 = b[s];
  if ((o5 & 0x80) === 0) return BAD;
  return {
    id: IeId.CALLED_PARTY_NUMBER,
    typeOfNumber: (o5 >> 4) & 0x07,
    plan: o5 & 0x0f,
    address: copyOut(b, s + 1, e),
  };
}

function encCalling(ie: CallingPartyNumberIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 2 + ie.address.length);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  const o5 = ((ie.typeOfNumber & 0x07) << 4) | (ie.plan & 0x0f);
  if (ie.presentation === undefined && ie.screening === undefined) {
    b[p++] = 0x80 | o5;
  } else {
    b[p++] = o5;
    b[p++] = 0x80 | (((ie.presentation ?? 0) & 0x03) << 5) | ((ie.screening ?? 0) & 0x03);
  }
  return put(ie.address, b, p);
}
function decCalling(b: Buffer, s: number, e: number): KnownIe | IeProblem {
  const o5 = b[s];
  const typeOfNumber = (o5 >> 4) & 0x07;
  const plan = o5 & 0x0f;
  if ((o5 & 0x80) !== 0) return { id: IeId.CALLING_PARTY_NUMBER, typeOfNumber, plan, address: copyOut(b, s + 1, e) };
  // ext bit clear: octet 5a (presentation and screening) follows
  if (s + 1 >= e) return BAD;
  const o5a = b[s + 1];
  return {
    id: IeId.CALLING_PARTY_NUMBER,
    typeOfNumber,
    plan,
    presentation: (o5a >> 5) & 0x03,
    screening: o5a & 0x03,
    address: copyOut(b, s + 2, e),
  };
}

function encSubaddress(ie: CalledSubaddressIe | CallingSubaddressIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 1 + ie.address.length);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  b[p] = 0x80 | ((ie.subaddressType & 0x07) << 4);
  return put(ie.address, b, p + 1);
}
function decCalledSub(b: Buffer, s: number, e: number): KnownIe | IeProblem {
  const o5 = b[s];
  if ((o5 & 0x80) === 0) return BAD;
  return { id: IeId.CALLED_PARTY_SUBADDRESS, subaddressType: (o5 >> 4) & 0x07, address: copyOut(b, s + 1, e) };
}
function decCallingSub(b: Buffer, s: number, e: number): KnownIe | IeProblem {
  const o5 = b[s];
  if ((o5 & 0x80) === 0) return BAD;
  return { id: IeId.CALLING_PARTY_SUBADDRESS, subaddressType: (o5 >> 4) & 0x07, address: copyOut(b, s + 1, e) };
}

// ---- user-user (0x7E): protocol discriminator + data ------------------------

function encUserUser(ie: UserUserIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, 1 + ie.data.length);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  b[p] = ie.protocol & 0xff;
  return put(ie.data, b, p + 1);
}
function decUserUser(b: Buffer, s: number, e: number): KnownIe {
  return { id: IeId.USER_USER, protocol: b[s], data: copyOut(b, s + 1, e) };
}

// ---- contents kept raw (B-LLI, B-HLI, notification) --------------------------

function encRaw(ie: LowLayerInfoIe | HighLayerInfoIe | NotificationIe | UnknownIe, p: number): number {
  if ('unknown' in ie) return writeUnknown(ie, p);
  const b = room(p, ie.content.length);
  b[p + 1] = compat(ie.coding, ie.flag, ie.action);
  p += 4;
  return put(ie.content, b, p);
}
function decBlli(b: Buffer, s: number, e: number): KnownIe {
  return { id: IeId.BROADBAND_LOW_LAYER_INFORMATION, content: copyOut(b, s, e) };
}
function decBhli(b: Buffer, s: number, e: number): KnownIe {
  return { id: IeId.BROADBAND_HIGH_LAYER_INFORMATION, content: copyOut(b, s, e) };
}
function decNotify(b: Buffer, s: number, e: number): KnownIe {
  return { id: IeId.NOTIFICATION_INDICATOR, content: copyOut(b, s, e) };
}

// ---- codecs, one per IE kind (referenced by the IE declarations in decls.ts) ----

/** Encoder and decoder of one IE kind. */
export interface IeCodec {
  /** write the IE whose header starts at p (all but identifier and length) into the work buffer; returns its end */
  readonly encode: Enc;
  /** decode contents b[s, e) (length already within the declaration's bounds) */
  readonly decode: Dec;
}

const codec = (encode: Enc, decode: Dec): IeCodec => ({ encode, decode });

export const CODEC = {
  cause: codec(encCause, decCause),
  callState: codec(encCallState, decCallState),
  notification: codec(encRaw, decNotify),
  endpointReference: codec(encEpref, decEpref),
  endpointState: codec(encCallState, decEndpointState),
  aal: codec(encAal, decAal),
  traffic: codec(encTraffic, decTraffic),
  connectionId: codec(encConnId, decConnId),
  qos: codec(encQos, decQos),
  bhli: codec(encRaw, decBhli),
  bearer: codec(encBearer, decBearer),
  blli: codec(encRaw, decBlli),
  sendingComplete: codec(encSendingComplete, decSendingComplete),
  repeat: codec(encRepeat, decRepeat),
  calling: codec(encCalling, decCalling),
  callingSub: codec(encSubaddress, decCallingSub),
  called: codec(encCalled, decCalled),
  calledSub: codec(encSubaddress, decCalledSub),
  restart: codec(encRestart, decRestart),
  userUser: codec(encUserUser, decUserUser),
  report: codec(encReport, decReport),
} as const;
