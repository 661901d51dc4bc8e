/**
 * Q.2931 / Q.2971 message codec: header, IE headers, and the walk over the
 * IEs, driven by the declaration tables (decls.ts) and the content codecs
 * (ie.ts).
 *
 * Header (9 octets): protocol discriminator 0x09; call reference length 3;
 * 3 call reference octets (flag 0x800000 + 23-bit value); message type;
 * message-type extension octet (0x80, plus 0x10 and a 2-bit action when the
 * sender gives explicit instructions); 16-bit length of what follows.
 * IE header (4 octets): identifier; compatibility octet (0x80 | coding << 5 |
 * flag 0x10 | action); 16-bit content length.
 */
import { DecodeError, err, ok, type Result } from '../../common/result.js';
import { IE_DECLS, MSG_DECLS } from './decls.js';
import { IE_PROBLEM, copyOut, room, writeUnknown } from './ie.js';
import { type ErroredIe, type IeCompat, type InfoElement, type UniMessage, type UnknownIe, IeId } from './types.js';

export const PROTOCOL_DISCRIMINATOR = 0x09;
export const HEADER_LENGTH = 9;
/** Call reference 0: the global call reference (RESTART). */
export const GLOBAL_CALL_REFERENCE = 0;
/** Call reference 0x7FFFFF: the dummy call reference (Q.2932); never allocate it. */
export const DUMMY_CALL_REFERENCE = 0x7fffff;

/** What a received message lacks or carries wrongly, for the Q.2931 5.6 precedence. */
export interface MessageCheck {
  /** identifiers of mandatory IEs (per the message declaration) that are absent */
  missing: number[];
  /** unrecognised IEs (unknown, or known but not allowed in this message type) */
  unrecognized: UnknownIe[];
  /** IEs whose content failed to decode, or repeated beyond the allowed count */
  errored: ErroredIe[];
}

// ---- encode -----------------------------------------------------------------

/**
 * Encode a message. IEs go out in the order given; known IEs through their
 * declaration's encoder, unknown ones with their stored content and
 * compatibility octet. `errored` is ignored. Numeric fields are masked to
 * their widths; a content longer than 65535 octets is cut at 65535.
 */
export function encodeMessage(msg: UniMessage): Buffer {
  let b = room(0, HEADER_LENGTH);
  b[0] = PROTOCOL_DISCRIMINATOR;
  b[1] = 3;
  const cr = (msg.callRef & 0x7fffff) | (msg.callRefFlag ? 0x800000 : 0);
  b[2] = (cr >>> 16) & 0xff;
  b[3] = (cr >>> 8) & 0xff;
  b[4] = cr & 0xff;
  b[5] = msg.type & 0xff;
  b[6] = msg.msgFlag ? 0x90 | ((msg.msgAction ?? 0) & 0x03) : 0x80;
  let p = HEADER_LENGTH;
  const ies = msg.ies;
  for (let k = 0; k < ies.length; k++) {
    const ie = ies[k];
    const id = ie.id & 0xff;
    // the declaration's encoder tells known records from UnknownIe itself (see ie.ts)
    const d = IE_DECLS[id];
    let end = d === undefined ? writeUnknown(ie as UnknownIe, p) : d.codec.encode(ie, p);
    b = room(p, 0);
    let len = end - p - 4;
    if (len > 0xffff) {
      len = 0xffff;
      end = p + 4 + len;
    }
    b[p] = id;
    b[p + 2] = len >>> 8;
    b[p + 3] = len & 0xff;
    p = end;
  }
  const total = Math.min(p - HEADER_LENGTH, 0xffff);
  b[7] = total >>> 8;
  b[8] = total & 0xff;
  return copyOut(b, 0, p);
}

// ---- decode -----------------------------------------------------------------

/** CODING_OK[id] bit c set = coding standard c is decoded for IE id. */
const CODING_OK = new Uint8Array(256);
for (let id = 0; id < 256; id++) {
  const d = IE_DECLS[id];
  if (d) for (const cs of d.codings) CODING_OK[id] |= 1 << cs;
}

/** Per-decode instance counters; reset for the message's allowed IEs after each decode. */
const counts = new Uint16Array(256);

function withCompat<T extends IeCompat>(o: T, c: number): T {
  const coding = (c >> 5) & 0x03;
  if (coding !== 0) o.coding = coding;
  if (c & 0x10) o.flag = true;
  const action = c & 0x07;
  if (action !== 0) o.action = action;
  return o;
}

function errored(id: number, c: number, problem: string, content: Buffer): ErroredIe {
  return withCompat<ErroredIe>({ id, problem, content }, c);
}

/**
 * Decode a message. Fails only when the header is unusable; everything wrong
 * after the header is recorded on the message (unknown IEs in `ies`, bad ones
 * in `errored`). The message length field is not trusted: IEs run to the end
 * of the buffer.
 */
export function decodeMessage(buf: Buffer): Result<UniMessage, DecodeError> {
  const end = buf.length;
  if (end < HEADER_LENGTH)
    return err(new DecodeError('uni', 'short', 0, `message of ${end} octets is shorter than the 9-octet header`));
  if (buf[0] !== PROTOCOL_DISCRIMINATOR)
    return err(
      new DecodeError('uni', 'bad-protocol-discriminator', 0, `protocol discriminator 0x${buf[0].toString(16)} is not 0x09`),
    );
  if (buf[1] !== 3)
    return err(new DecodeError('uni', 'bad-call-reference-length', 1, `call reference length ${buf[1]} is not 3`));

  const type = buf[5];
  const ext = buf[6];
  const msg: UniMessage = {
    type,
    callRef: ((buf[2] & 0x7f) << 16) | (buf[3] << 8) | buf[4],
    callRefFlag: (buf[2] & 0x80) !== 0,
    ies: [],
  };
  if (ext & 0x10) {
    msg.msgFlag = true;
    msg.msgAction = ext & 0x03;
  }
  const ies: InfoElement[] = msg.ies;
  let bad: ErroredIe[] | undefined;
  const md = MSG_DECLS[type];
  const maxCount = md?.maxCount;

  let p = HEADER_LENGTH;
  while (p < end) {
    if (end - p < 4) {
      (bad ??= []).push(errored(buf[p], end - p > 1 ? buf[p + 1] : 0x80, IE_PROBLEM.headerTruncated, copyOut(buf, p + 1, end)));
      break;
    }
    const id = buf[p];
    const c = buf[p + 1];
    const cs = p + 4;
    const ce = cs + ((buf[p + 2] << 8) | buf[p + 3]);
    if (ce > end) {
      (bad ??= []).push(errored(id, c, IE_PROBLEM.truncated, copyOut(buf, cs, end)));
      break;
    }
    p = ce;
    const d = IE_DECLS[id];
    if (
      d === undefined ||
      (CODING_OK[id] & (1 << ((c >> 5) & 0x03))) === 0 ||
      (maxCount !== undefined && maxCount[id] === 0)
    ) {
      ies.push(withCompat<UnknownIe>({ id, unknown: true, content: copyOut(buf, cs, ce) }, c));
      continue;
    }
    if (maxCount !== undefined) {
      if (counts[id] >= maxCount[id]) {
        (bad ??= []).push(errored(id, c, IE_PROBLEM.repeated, copyOut(buf, cs, ce)));
        continue;
      }
      counts[id]++;
    }
    const len = ce - cs;
    if (len < d.minLen) {
      (bad ??= []).push(errored(id, c, IE_PROBLEM.tooShort, copyOut(buf, cs, ce)));
      continue;
    }
    if (len > d.maxLen) {
      (bad ??= []).push(errored(id, c, IE_PROBLEM.tooLong, copyOut(buf, cs, ce)));
      continue;
    }
    const r = d.codec.decode(buf, cs, ce);
    if (typeof r === 'string') {
      (bad ??= []).push(errored(id, c, r, copyOut(buf, cs, ce)));
      continue;
    }
    if (id === IeId.ENDPOINT_REFERENCE) {
      // the endpoint reference's own `flag` field is taken: its compat flag goes to ieFlag
      const coding = (c >> 5) & 0x03;
      if (coding !== 0) r.coding = coding;
      if (c & 0x10) (r as { ieFlag?: boolean }).ieFlag = true;
      if (c & 0x07) r.action = c & 0x07;
      ies.push(r);
    } else ies.push(withCompat(r, c));
  }
  if (md !== undefined) {
    const allowed = md.allowed;
    for (let k = 0; k < allowed.length; k++) counts[allowed[k]] = 0;
  }
  if (bad !== undefined) msg.errored = bad;
  return ok(msg);
}

// ---- check ------------------------------------------------------------------

/**
 * What a decoded message lacks or carries wrongly: mandatory IEs absent per
 * the declaration of its type (none for an unknown type; an IE present but
 * errored is not missing, it is errored: cause 100 rather than 96), the
 * unrecognised IEs, and the errored ones.
 */
export function checkMessage(msg: UniMessage): MessageCheck {
  const missing: number[] = [];
  const unrecognized: UnknownIe[] = [];
  const ies = msg.ies;
  for (let k = 0; k < ies.length; k++) {
    const ie = ies[k];
    if ('unknown' in ie) unrecognized.push(ie);
  }
  const errs = msg.errored ?? [];
  const md = msg.type >= 0 && msg.type < 256 ? MSG_DECLS[msg.type] : undefined;
  if (md !== undefined) {
    for (const id of md.mandatory) {
      let present = false;
      for (let k = 0; k < ies.length && !present; k++) present = ies[k].id === id && !('unknown' in ies[k]);
      for (let k = 0; k < errs.length && !present; k++) present = errs[k].id === id;
      if (!present) missing.push(id);
    }
  }
  return { missing, unrecognized, errored: errs.slice() };
}
