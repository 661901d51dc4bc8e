/**
 * ITU-T Q.2110 SSCOP PDUs: typed records, an encoder and a decoder that never throws.
 *
 * SSCOP puts its header at the END of the PDU (a trailer), in 32-bit big-endian
 * words. The last word of every PDU is
 *
 *   PL:2 | reserved:1 | S:1 | type:4 | 24-bit field (N(MR), N(S), N(R) or reserved)
 *
 * where PL is the number of pad octets (0..3) that make a variable-length
 * payload a multiple of four, and S is the END source bit (1 = SSCOP, 0 = user).
 * Every PDU is a multiple of four octets; the exact length comes from the layer
 * below (the AAL5 Length field), which is why Ethernet padding does no harm.
 *
 * Pad length is not a record field: it is derived from the payload length by
 * `emitPdu` and used (and checked) by `parsePdu`; `parseTrailer` exposes the raw
 * last-word fields, PL included, for dissectors and tests.
 */
import { DecodeError, err, ok, type Result } from '../common/result.js';
import { clearFrom } from '../common/zero-fill.js';

/** PDU type codes (low nibble of the first octet of the last word). */
export const SSCOP_PDU_TYPE = {
  BGN: 0x1,
  BGAK: 0x2,
  END: 0x3,
  ENDAK: 0x4,
  RS: 0x5,
  RSAK: 0x6,
  BGREJ: 0x7,
  SD: 0x8,
  ER: 0x9,
  POLL: 0xa,
  STAT: 0xb,
  USTAT: 0xc,
  UD: 0xd,
  MD: 0xe,
  ERAK: 0xf,
} as const;

export type SscopPduType = keyof typeof SSCOP_PDU_TYPE;

const TYPE_BY_CODE: readonly (SscopPduType | undefined)[] = (() => {
  const t: (SscopPduType | undefined)[] = new Array(16).fill(undefined);
  for (const [name, code] of Object.entries(SSCOP_PDU_TYPE)) t[code] = name as SscopPduType;
  return t;
})();

const LONG_NAMES: Record<SscopPduType, string> = {
  BGN: 'BGN (begin)',
  BGAK: 'BGAK (begin acknowledge)',
  END: 'END (end)',
  ENDAK: 'ENDAK (end acknowledge)',
  RS: 'RS (resynchronization)',
  RSAK: 'RSAK (resynchronization acknowledge)',
  BGREJ: 'BGREJ (begin reject)',
  SD: 'SD (sequenced data)',
  ER: 'ER (error recovery)',
  POLL: 'POLL (poll)',
  STAT: 'STAT (solicited status)',
  USTAT: 'USTAT (unsolicited status)',
  UD: 'UD (unnumbered data)',
  MD: 'MD (management data)',
  ERAK: 'ERAK (error recovery acknowledge)',
};

/**
 * The short name of a PDU type ("BGN", "STAT", ...) from its 4-bit code or its
 * name; `long` adds the spelled-out name. Unknown codes print as "type 0x0".
 */
export function pduName(type: number | SscopPduType, long = false): string {
  const name = typeof type === 'number' ? TYPE_BY_CODE[type & 0xf] : type;
  if (name === undefined || !(name in SSCOP_PDU_TYPE)) return `type 0x${(Number(type) & 0xff).toString(16)}`;
  return long ? LONG_NAMES[name] : name;
}

/** 24-bit sequence numbers (N(S), N(R), N(MR), N(PS), list elements) */
export type Seq24 = number;

export type BgnPdu = { type: 'BGN'; nsq: number; nmr: Seq24; uu: Buffer };
export type BgakPdu = { type: 'BGAK'; nmr: Seq24; uu: Buffer };
export type BgrejPdu = { type: 'BGREJ'; uu: Buffer };
/** END: `source` is the S bit (1 = 'sscop': released by SSCOP itself, 0 = 'user': by the SSCOP user) */
export type EndPdu = { type: 'END'; source: 'user' | 'sscop'; uu: Buffer };
export type EndakPdu = { type: 'ENDAK' };
export type RsPdu = { type: 'RS'; nsq: number; nmr: Seq24; uu: Buffer };
export type RsakPdu = { type: 'RSAK'; nmr: Seq24 };
export type ErPdu = { type: 'ER'; nsq: number; nmr: Seq24 };
export type ErakPdu = { type: 'ERAK'; nmr: Seq24 };
export type SdPdu = { type: 'SD'; ns: Seq24; data: Buffer };
export type PollPdu = { type: 'POLL'; nps: Seq24; ns: Seq24 };
/** STAT: `list` alternates "first SN of a missing run", "first SN of the next received run" */
export type StatPdu = { type: 'STAT'; nps: Seq24; nmr: Seq24; nr: Seq24; list: Seq24[] };
/** USTAT: SDs [sn1, sn2) are missing */
export type UstatPdu = { type: 'USTAT'; nmr: Seq24; nr: Seq24; sn1: Seq24; sn2: Seq24 };
export type UdPdu = { type: 'UD'; data: Buffer };
export type MdPdu = { type: 'MD'; data: Buffer };

export type SscopPdu =
  | BgnPdu
  | BgakPdu
  | BgrejPdu
  | EndPdu
  | EndakPdu
  | RsPdu
  | RsakPdu
  | ErPdu
  | ErakPdu
  | SdPdu
  | PollPdu
  | StatPdu
  | UstatPdu
  | UdPdu
  | MdPdu;

/** Size limits the decoder enforces (Q.2110 MaxJ, MaxK, MaxSTAT). */
export interface PduLimits {
  /** max SD/UD/MD payload octets */
  maxK: number;
  /** max UU payload octets in BGN/BGAK/BGREJ/END/RS */
  maxJ: number;
  /** max list elements in one STAT */
  maxStat: number;
}

export const DEFAULT_PDU_LIMITS: PduLimits = { maxK: 4096, maxJ: 4096, maxStat: 67 };

/** The stable codes of SSCOP decode errors (the drop-counter keys). */
export type SscopDecodeCode =
  /** not a whole number of 32-bit words, or shorter than one word */
  | 'bad-length'
  /** type code 0 (no such PDU) */
  | 'unknown-type'
  /** shorter than the type's fixed trailer */
  | 'too-short'
  /** longer than the type allows (fixed-size PDU, or payload over MaxJ / MaxK / MaxSTAT) */
  | 'too-long'
  /** pad length larger than the payload */
  | 'bad-pad';

const M24 = 0xffffff;

function padOf(len: number): number {
  return (4 - (len & 3)) & 3;
}

function payloadOf(pdu: SscopPdu): Buffer | undefined {
  switch (pdu.type) {
    case 'BGN':
    case 'BGAK':
    case 'BGREJ':
    case 'END':
    case 'RS':
      return pdu.uu;
    case 'SD':
    case 'UD':
    case 'MD':
      return pdu.data;
    default:
      return undefined;
  }
}

/** Encoded size in octets of `pdu`. */
export function pduLength(pdu: SscopPdu): number {
  const p = payloadOf(pdu);
  const padded = p ? p.length + padOf(p.length) : 0;
  switch (pdu.type) {
    case 'SD':
    case 'UD':
    case 'MD':
      return padded + 4;
    case 'STAT':
      return 4 * pdu.list.length + 12;
    case 'USTAT':
      return 16;
    default:
      return padded + 8;
  }
}

/**
 * Encode one PDU. Field values are masked to their widths (24 bits, N(SQ) 8
 * bits); reserved bits are zero. Never throws.
 */
export function emitPdu(pdu: SscopPdu): Buffer {
  const len = pduLength(pdu);
  // from Node's pool (a PDU is small), so every octet is written: the payload, then zeros for the pad and
  // for whatever the trailer words leave out (reserved bits, the reserved word of END/BGREJ/...)
  const out = Buffer.allocUnsafe(len);
  const p = payloadOf(pdu);
  const pl = p ? padOf(p.length) : 0;
  if (p) out.set(p, 0); // TypedArray set: Buffer#copy's argument checks cost more than these few octets
  clearFrom(out, p ? p.length : 0);
  let s = 0;
  let field = 0;
  switch (pdu.type) {
    case 'BGN':
    case 'RS':
    case 'ER':
      out.writeUInt32BE(pdu.nsq & 0xff, len - 8);
      field = pdu.nmr;
      break;
    case 'BGAK':
    case 'RSAK':
    case 'ERAK':
      field = pdu.nmr;
      break;
    case 'END':
      s = pdu.source === 'sscop' ? 1 : 0;
      break;
    case 'SD':
      field = pdu.ns;
      break;
    case 'POLL':
      out.writeUInt32BE(pdu.nps & M24, len - 8);
      field = pdu.ns;
      break;
    case 'STAT':
      for (let i = 0; i < pdu.list.length; i++) out.writeUInt32BE(pdu.list[i]! & M24, 4 * i);
      out.writeUInt32BE(pdu.nps & M24, len - 12);
      out.writeUInt32BE(pdu.nmr & M24, len - 8);
      field = pdu.nr;
      break;
    case 'USTAT':
      out.writeUInt32BE(pdu.sn1 & M24, 0);
      out.writeUInt32BE(pdu.sn2 & M24, 4);
      out.writeUInt32BE(pdu.nmr & M24, 8);
      field = pdu.nr;
      break;
    default:
      break;
  }
  out.writeUInt32BE((((pl << 6) | (s << 4) | SSCOP_PDU_TYPE[pdu.type]) << 24 >>> 0) + (field & M24), len - 4);
  return out;
}

/** The raw fields of the last word of a PDU, for dissectors and tests. */
export interface SscopTrailer {
  /** pad length, 0..3 */
  pl: number;
  /** the reserved bit between PL and S */
  reserved: number;
  /** the S bit (meaningful in END only) */
  s: number;
  /** 4-bit type code */
  type: number;
  /** the low 24 bits: N(MR), N(S), N(R) or reserved, by type */
  field: number;
}

/** Read the last word of a PDU; undefined if `buf` is shorter than 4 octets. */
export function parseTrailer(buf: Buffer): SscopTrailer | undefined {
  if (buf.length < 4) return undefined;
  const o = buf.length - 4;
  const b = buf[o]!;
  return { pl: b >> 6, reserved: (b >> 5) & 1, s: (b >> 4) & 1, type: b & 0xf, field: buf.readUIntBE(o + 1, 3) };
}

function fail(code: SscopDecodeCode, offset: number, message: string): { ok: false; error: DecodeError } {
  return err(new DecodeError('sscop', code, offset, message));
}

function wordFromEnd(buf: Buffer, fromEnd: number): number {
  return buf.readUInt32BE(buf.length - fromEnd);
}

/** the payload (a copy, or with `copy` false a view of `buf`), or why there is none */
function sizedPayload(buf: Buffer, name: SscopPduType, pl: number, trailer: number, max: number, copy: boolean): Buffer | DecodeError {
  const len = buf.length;
  if (len < trailer) return new DecodeError('sscop', 'too-short', 0, `${name} of ${len} octets is shorter than its ${trailer}-octet trailer`);
  if (len - trailer > max + padOf(max)) return new DecodeError('sscop', 'too-long', 0, `${name} payload of ${len - trailer} octets exceeds ${max}`);
  if (pl > len - trailer) return new DecodeError('sscop', 'bad-pad', len - 4, `${name} pad length ${pl} exceeds its ${len - trailer}-octet payload`);
  const payload = buf.subarray(0, len - trailer - pl);
  return copy ? Buffer.from(payload) : payload;
}

function exactSize(len: number, name: SscopPduType, size: number): DecodeError | undefined {
  if (len === size) return undefined;
  return new DecodeError('sscop', len < size ? 'too-short' : 'too-long', 0, `${name} must be ${size} octets, got ${len}`);
}

/**
 * Decode one SSCOP PDU (the whole AAL5 SDU). Checks the size rules of Q.2110
 * per type: fixed 8 octets for ENDAK, RSAK, ER, POLL, ERAK; 16 for USTAT;
 * 8..8+MaxJ for the UU-carrying connection PDUs; 4..4+MaxK for SD, UD, MD;
 * 12..12+4*MaxSTAT for STAT. Never throws. Payloads are copies, unless `copy` is false: then
 * they are views of `buf`, for a caller that owns `buf` and never changes it (a SAAL link's
 * `receive`, whose buffers are handed over).
 */
export function parsePdu(buf: Buffer, limits: PduLimits = DEFAULT_PDU_LIMITS, copy = true): Result<SscopPdu, DecodeError> {
  const len = buf.length;
  if (len < 4 || (len & 3) !== 0) return fail('bad-length', 0, `PDU length ${len} is not a positive multiple of 4`);
  // the trailer's last word (parseTrailer, without the record)
  const w = buf.readUInt32BE(len - 4);
  const pl = w >>> 30;
  const field = w & M24;
  const type = (w >>> 24) & 0xf;
  const name = TYPE_BY_CODE[type];
  if (name === undefined) return fail('unknown-type', len - 4, `unknown PDU type 0x${type.toString(16)}`);
  switch (name) {
    case 'BGN':
    case 'RS': {
      const uu = sizedPayload(buf, name, pl, 8, limits.maxJ, copy);
      if (uu instanceof DecodeError) return err(uu);
      return ok({ type: name, nsq: wordFromEnd(buf, 8) & 0xff, nmr: field, uu });
    }
    case 'BGAK': {
      const uu = sizedPayload(buf, name, pl, 8, limits.maxJ, copy);
      if (uu instanceof DecodeError) return err(uu);
      return ok({ type: name, nmr: field, uu });
    }
    case 'BGREJ': {
      const uu = sizedPayload(buf, name, pl, 8, limits.maxJ, copy);
      if (uu instanceof DecodeError) return err(uu);
      return ok({ type: name, uu });
    }
    case 'END': {
      const uu = sizedPayload(buf, name, pl, 8, limits.maxJ, copy);
      if (uu instanceof DecodeError) return err(uu);
      return ok({ type: name, source: (w >>> 28) & 1 ? 'sscop' : 'user', uu });
    }
    case 'ENDAK': {
      const e = exactSize(len, name, 8);
      return e ? err(e) : ok({ type: name });
    }
    case 'RSAK':
    case 'ERAK': {
      const e = exactSize(len, name, 8);
      return e ? err(e) : ok({ type: name, nmr: field });
    }
    case 'ER': {
      const e = exactSize(len, name, 8);
      return e ? err(e) : ok({ type: name, nsq: wordFromEnd(buf, 8) & 0xff, nmr: field });
    }
    case 'POLL': {
      const e = exactSize(len, name, 8);
      return e ? err(e) : ok({ type: name, nps: wordFromEnd(buf, 8) & M24, ns: field });
    }
    case 'SD': {
      const data = sizedPayload(buf, name, pl, 4, limits.maxK, copy);
      return data instanceof DecodeError ? err(data) : ok({ type: name, ns: field, data });
    }
    case 'UD':
    case 'MD': {
      const data = sizedPayload(buf, name, pl, 4, limits.maxK, copy);
      return data instanceof DecodeError ? err(data) : ok({ type: name, data });
    }
    case 'STAT': {
      if (len < 12) return fail('too-short', 0, `STAT of ${len} octets is shorter than its 12-octet trailer`);
      const n = (len - 12) / 4;
      if (n > limits.maxStat) return fail('too-long', 0, `STAT list of ${n} elements exceeds MaxSTAT ${limits.maxStat}`);
      const list: number[] = new Array(n);
      for (let i = 0; i < n; i++) list[i] = buf.readUInt32BE(4 * i) & M24;
      return ok({ type: name, nps: wordFromEnd(buf, 12) & M24, nmr: wordFromEnd(buf, 8) & M24, nr: field, list });
    }
    case 'USTAT': {
      const e = exactSize(len, name, 16);
      if (e) return err(e);
      return ok({ type: name, nmr: wordFromEnd(buf, 8) & M24, nr: field, sn1: buf.readUInt32BE(0) & M24, sn2: buf.readUInt32BE(4) & M24 });
    }
  }
}

/** A one-line human-readable rendering of a PDU, for logs and ladder diagrams. */
export function describePdu(pdu: SscopPdu): string {
  switch (pdu.type) {
    case 'BGN':
    case 'RS':
      return `${pdu.type} N(SQ)=${pdu.nsq} N(MR)=${pdu.nmr}${pdu.uu.length ? ` UU=${pdu.uu.length}B` : ''}`;
    case 'BGAK':
      return `BGAK N(MR)=${pdu.nmr}${pdu.uu.length ? ` UU=${pdu.uu.length}B` : ''}`;
    case 'BGREJ':
      return `BGREJ${pdu.uu.length ? ` UU=${pdu.uu.length}B` : ''}`;
    case 'END':
      return `END S=${pdu.source === 'sscop' ? 1 : 0}${pdu.uu.length ? ` UU=${pdu.uu.length}B` : ''}`;
    case 'ENDAK':
      return 'ENDAK';
    case 'RSAK':
    case 'ERAK':
      return `${pdu.type} N(MR)=${pdu.nmr}`;
    case 'ER':
      return `ER N(SQ)=${pdu.nsq} N(MR)=${pdu.nmr}`;
    case 'SD':
      return `SD N(S)=${pdu.ns} ${pdu.data.length}B`;
    case 'POLL':
      return `POLL N(PS)=${pdu.nps} N(S)=${pdu.ns}`;
    case 'STAT':
      return `STAT N(PS)=${pdu.nps} N(MR)=${pdu.nmr} N(R)=${pdu.nr} [${pdu.list.join(',')}]`;
    case 'USTAT':
      return `USTAT N(MR)=${pdu.nmr} N(R)=${pdu.nr} [${pdu.sn1},${pdu.sn2})`;
    case 'UD':
    case 'MD':
      return `${pdu.type} ${pdu.data.length}B`;
  }
}
