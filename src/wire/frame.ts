/**
 * One frame of the v1 wire format (docs/wire.md): an Ethernet II frame whose
 * payload is a 4-octet ATM cell header (without HEC) followed by one whole
 * AAL5 CPCS-PDU, i.e. the SDU and the 8-octet AAL5 trailer, with no cell
 * padding in between.
 *
 * ```
 * offset        size  field
 * 0             6     destination MAC
 * 6             6     source MAC
 * 12            2     EtherType (0x88B5 unless configured otherwise)
 * 14            4     cell header: GFC:4 VPI:8 | VCI:16 | PTI:3 CLP:1
 * 18            L     AAL5 SDU (an SSCOP PDU on VCI 5, an announcement on VCI 16, user data on VCI >= 32)
 * 18+L          1     CPCS-UU
 * 19+L          1     CPI
 * 20+L          2     Length = L
 * 22+L          4     CRC-32 (crc32.ts) over octets 18 .. 22+L-1 (SDU + UU + CPI + Length)
 * 26+L          P     Ethernet padding (zeros) up to 60 octets when 26+L < 60, else nothing
 * ```
 *
 * Padding: the trailer sits right after the SDU, exactly as the docs/wire.md
 * diagram draws it, and frames shorter than 60 octets get zeros appended,
 * the same bytes a miniport appends when it pads a short frame (spec R90).
 * So the receiver cannot take the trailer from the end of a 60-octet frame
 * blindly: it takes the trailer at the end when its Length accounts for every
 * octet, and otherwise (only in a frame of at least 60 octets whose CPCS-PDU
 * would have been shorter than 60) the one trailer whose Length matches its
 * own position and whose CRC-32 is right. It trusts Length, never the frame
 * size, for where the SDU ends. A frame with octets after its CPCS-PDU that
 * padding cannot explain is refused ('aal5-length').
 *
 * Decoding never throws on any input: `parseFrame` returns a typed error with
 * a code (the drop-counter key) and the offset where the problem is.
 */
import { DecodeError, err, ok, type DecodeLayer, type Result } from '../common/result.js';
import { macFromBuffer, type Mac } from '../common/mac.js';
import { clearFrom } from '../common/zero-fill.js';
import { crc32Aal5 } from './crc32.js';
import {
  AAL5_MAX_SDU,
  AAL5_TRAILER_LEN,
  CELL_OFFSET,
  ETH_HEADER_LEN,
  ETH_MIN_FRAME,
  ETHERTYPE_CONDIS,
  FRAME_OVERHEAD,
  SDU_OFFSET,
} from './constants.js';

/** The ATM UNI cell header as carried in every frame (no HEC). */
export interface CellHeader {
  /** generic flow control, 0..15 (0 on our links) */
  gfc: number;
  /** virtual path identifier, 0..255 (UNI) */
  vpi: number;
  /** virtual channel identifier, 0..65535 */
  vci: number;
  /** payload type, 0..7; user-data cells are 0..3, bit 0 set marks the end of an AAL5 frame */
  pti: number;
  /** cell loss priority, 0 or 1 */
  clp: number;
}

/** A decoded (or to-be-encoded) frame. */
export interface Frame {
  dst: Mac;
  src: Mac;
  etherType: number;
  cell: CellHeader;
  /** CPCS user-to-user indication octet (0 on our links) */
  uu: number;
  /** common part indicator octet (0 per I.363.5) */
  cpi: number;
  /**
   * The AAL5 SDU. After `parseFrame` this is a view (`subarray`) into the
   * buffer that was parsed, not a copy: copy it (`Buffer.from(sdu)`) before
   * keeping it beyond the life of that buffer or before modifying either.
   */
  sdu: Buffer;
}

/** PTI of a user-data cell that ends an AAL5 frame (no congestion): every frame is one whole CPCS-PDU. */
export const PTI_AAL5_END = 1;

/** Stable codes of frame decode errors (the drop-counter keys). */
export type FrameErrorCode =
  /** fewer than 14 octets: no Ethernet header */
  | 'ethernet-short'
  /** the EtherType is not the one this link uses */
  | 'not-our-ethertype'
  /** cell header truncated, or a cell type that cannot carry AAL5 (PTI 4..7), or VPI/VCI 0/0 (unassigned cell) */
  | 'cell-header'
  /** not enough octets after the cell header for an AAL5 trailer */
  | 'aal5-short'
  /** no trailer whose Length fits the frame (Length larger than the octets carried, or unexplained octets after the PDU) */
  | 'aal5-length'
  /** the trailer's Length fits but the CRC-32 is wrong */
  | 'aal5-crc';

/** A frame decode error: `DecodeError` with the code narrowed to `FrameErrorCode`. */
export class FrameDecodeError extends DecodeError {
  declare readonly code: FrameErrorCode;
  constructor(layer: DecodeLayer, code: FrameErrorCode, offset: number, message: string) {
    super(layer, code, offset, message);
  }
}

export interface ParseFrameOptions {
  /** the EtherType this link uses (default 0x88B5) */
  etherType?: number;
}

/** Octets a frame carrying an SDU of `sduLength` occupies on the wire, padding included. */
export function frameLength(sduLength: number): number {
  return Math.max(ETH_MIN_FRAME, FRAME_OVERHEAD + sduLength);
}

/** A cell header for a VC with the defaults we send: GFC 0, PTI 1 (end of AAL5 frame), CLP 0. */
export function cellHeader(vpi: number, vci: number): CellHeader {
  return { gfc: 0, vpi, vci, pti: PTI_AAL5_END, clp: 0 };
}

/** Write the 4-octet cell header at `offset`. */
export function encodeCellHeader(c: CellHeader, out: Buffer, offset: number): void {
  out[offset] = ((c.gfc & 0x0f) << 4) | ((c.vpi >> 4) & 0x0f);
  out[offset + 1] = ((c.vpi & 0x0f) << 4) | ((c.vci >> 12) & 0x0f);
  out[offset + 2] = (c.vci >> 4) & 0xff;
  out[offset + 3] = ((c.vci & 0x0f) << 4) | ((c.pti & 0x07) << 1) | (c.clp & 0x01);
}

/** Read a 4-octet cell header at `offset` (the caller has checked the length). */
export function decodeCellHeader(buf: Buffer, offset: number): CellHeader {
  const b0 = buf[offset]!;
  const b1 = buf[offset + 1]!;
  const b2 = buf[offset + 2]!;
  const b3 = buf[offset + 3]!;
  return {
    gfc: b0 >> 4,
    vpi: ((b0 & 0x0f) << 4) | (b1 >> 4),
    vci: ((b1 & 0x0f) << 12) | (b2 << 4) | (b3 >> 4),
    pti: (b3 >> 1) & 0x07,
    clp: b3 & 0x01,
  };
}

function checkRange(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`emitFrame: ${what} ${v} is not an integer in 0..${max}`);
}

/**
 * Encode a frame: Ethernet header, cell header, SDU, AAL5 trailer with its
 * CRC-32, then zeros up to 60 octets. Returns a new buffer.
 *
 * Throws RangeError when the record itself is impossible (a field out of its
 * range, an SDU longer than 65535 octets, a malformed MAC): that is a bug in
 * the caller, not input from the network. Whether the frame fits the MTU of a
 * medium is the caller's check (`maxSdu(mtu)`).
 */
export function emitFrame(f: Frame): Buffer {
  const c = f.cell;
  checkRange('GFC', c.gfc, 0x0f);
  checkRange('VPI', c.vpi, 0xff);
  checkRange('VCI', c.vci, 0xffff);
  checkRange('PTI', c.pti, 0x07);
  checkRange('CLP', c.clp, 0x01);
  checkRange('CPCS-UU', f.uu, 0xff);
  checkRange('CPI', f.cpi, 0xff);
  checkRange('EtherType', f.etherType, 0xffff);
  checkRange('SDU length', f.sdu.length, AAL5_MAX_SDU);

  const len = f.sdu.length;
  const total = frameLength(len);
  // allocUnsafe takes small frames from Node's pool; every octet is written below, padding included
  const out = Buffer.allocUnsafe(total);
  clearFrom(out, FRAME_OVERHEAD + len);
  if (!writeMac(f.dst, out, 0)) throw new RangeError(`emitFrame: bad destination MAC ${JSON.stringify(f.dst)}`);
  if (!writeMac(f.src, out, 6)) throw new RangeError(`emitFrame: bad source MAC ${JSON.stringify(f.src)}`);
  out.writeUInt16BE(f.etherType, 12);
  encodeCellHeader(c, out, CELL_OFFSET);
  out.set(f.sdu, SDU_OFFSET); // (as emitFrameAfter: no argument checks per frame)
  const t = SDU_OFFSET + len;
  out[t] = f.uu;
  out[t + 1] = f.cpi;
  out.writeUInt16BE(len, t + 2);
  out.writeUInt32BE(crc32Aal5(out, SDU_OFFSET, t + 4), t + 4);
  return out;
}

/**
 * The 18 octets before the SDU (destination and source MAC, EtherType, cell
 * header) of every frame on one path, encoded once: `emitFrameAfter` then
 * builds frames for that path without parsing MAC strings or checking ranges
 * per frame (the user-data fast path). Throws RangeError like `emitFrame`.
 */
export function frameHeader(dst: Mac, src: Mac, etherType: number, cell: CellHeader): Buffer {
  checkRange('GFC', cell.gfc, 0x0f);
  checkRange('VPI', cell.vpi, 0xff);
  checkRange('VCI', cell.vci, 0xffff);
  checkRange('PTI', cell.pti, 0x07);
  checkRange('CLP', cell.clp, 0x01);
  checkRange('EtherType', etherType, 0xffff);
  const h = Buffer.alloc(SDU_OFFSET);
  if (!writeMac(dst, h, 0)) throw new RangeError(`frameHeader: bad destination MAC ${JSON.stringify(dst)}`);
  if (!writeMac(src, h, 6)) throw new RangeError(`frameHeader: bad source MAC ${JSON.stringify(src)}`);
  h.writeUInt16BE(etherType, 12);
  encodeCellHeader(cell, h, CELL_OFFSET);
  return h;
}

/**
 * The frame `emitFrame` would build for the header `frameHeader` encoded, this
 * SDU, CPCS-UU 0 and CPI 0: the same octets, with a single copy of the SDU.
 */
export function emitFrameAfter(header: Buffer, sdu: Buffer): Buffer {
  return frameInto(Buffer.allocUnsafe(frameLength(aal5SduLength(sdu))), header, sdu);
}

/**
 * `emitFrameAfter`'s frame built in the first octets of `buf` (a buffer the
 * caller reuses for frame after frame, when whoever takes each frame is done
 * with it before the next is built): a view of those octets, no allocation
 * for the frame itself. Throws RangeError when the SDU is too long for AAL5
 * or the frame for `buf`.
 */
export function emitFrameInto(buf: Buffer, header: Buffer, sdu: Buffer): Buffer {
  const total = frameLength(aal5SduLength(sdu));
  if (total > buf.length) throw new RangeError(`emitFrameInto: a frame of ${total} octets does not fit a buffer of ${buf.length}`);
  return frameInto(total === buf.length ? buf : buf.subarray(0, total), header, sdu);
}

/** the SDU's length; a RangeError when AAL5 cannot carry it */
function aal5SduLength(sdu: Buffer): number {
  const len = sdu.length;
  if (len > AAL5_MAX_SDU) throw new RangeError(`emitFrame: SDU length ${len} is not an integer in 0..${AAL5_MAX_SDU}`);
  return len;
}

/** the frame for header and SDU written over the whole of `out` (exactly its length) */
function frameInto(out: Buffer, header: Buffer, sdu: Buffer): Buffer {
  const len = sdu.length;
  clearFrom(out, FRAME_OVERHEAD + len);
  reheader(out, header);
  out.set(sdu, SDU_OFFSET);
  const t = SDU_OFFSET + len;
  out[t] = 0;
  out[t + 1] = 0;
  out[t + 2] = len >>> 8;
  out[t + 3] = len & 0xff;
  out.writeUInt32BE(crc32Aal5(out, SDU_OFFSET, t + 4), t + 4);
  return out;
}

/**
 * A copy of `frame` that starts with `header` (the 18 octets `frameHeader`
 * encodes: other addresses, another VC) and carries the same CPCS-PDU and
 * padding: the AAL5 CRC-32 covers only the SDU and the trailer, so it stays
 * right. How a multipoint fan-out and a switch send one frame on to another
 * path without encoding it again.
 */
export function reframe(frame: Buffer, header: Buffer): Buffer {
  const out = reheader(Buffer.allocUnsafe(frame.length), header);
  out.set(frame.subarray(SDU_OFFSET), SDU_OFFSET);
  return out;
}

/**
 * `reframe` in place: `frame` itself now starts with `header` (for a frame in
 * a reused buffer, whose last taker is done with it); returns `frame`.
 */
export function reheader(frame: Buffer, header: Buffer): Buffer {
  // TypedArray set, not Buffer#copy: no argument checks and views per frame
  frame.set(header.length === SDU_OFFSET ? header : header.subarray(0, SDU_OFFSET), 0);
  return frame;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/** Write "aa:bb:cc:dd:ee:ff" (either case) as 6 octets at `off`; false when it is not such a string. */
function writeMac(mac: unknown, out: Buffer, off: number): boolean {
  if (typeof mac !== 'string' || mac.length !== 17) return false;
  for (let i = 0; i < 6; i++) {
    const hi = hexDigit(mac.charCodeAt(i * 3));
    const lo = hexDigit(mac.charCodeAt(i * 3 + 1));
    if (hi < 0 || lo < 0 || (i < 5 && mac.charCodeAt(i * 3 + 2) !== 0x3a)) return false;
    out[off + i] = (hi << 4) | lo;
  }
  return true;
}

function fail(layer: DecodeLayer, code: FrameErrorCode, offset: number, message: string) {
  return err(new FrameDecodeError(layer, code, offset, message));
}

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

/** Is buf[from..] all zeros? */
function zeroFrom(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Does a trailer at `t` carry a correct CRC-32 over SDU + UU + CPI + Length? */
function crcOk(buf: Buffer, t: number): boolean {
  return crc32Aal5(buf, SDU_OFFSET, t + 4) === buf.readUInt32BE(t + 4);
}

/**
 * Decode and check a whole frame. Never throws. On success `sdu` is a view
 * into `buf` (see `Frame.sdu`). Checks, in order: Ethernet header present,
 * EtherType, cell header (present, PTI 0..3, not VPI/VCI 0/0), AAL5 trailer
 * located through its Length (see the file comment on padding), CRC-32.
 */
export function parseFrame(buf: Buffer, opts?: ParseFrameOptions): Result<Frame, FrameDecodeError> {
  const trailer = locateTrailer(buf, opts?.etherType ?? ETHERTYPE_CONDIS);
  if (typeof trailer !== 'number') return trailer;
  return ok({
    dst: macFromBuffer(buf, 0),
    src: macFromBuffer(buf, 6),
    etherType: buf.readUInt16BE(12),
    cell: decodeCellHeader(buf, CELL_OFFSET),
    uu: buf[trailer]!,
    cpi: buf[trailer + 1]!,
    sdu: buf.subarray(SDU_OFFSET, trailer),
  });
}

/**
 * Where the AAL5 trailer of a frame `parseFrame` accepts begins (the SDU is
 * buf[18, result)), or -1 when `parseFrame` refuses the frame (call it for the
 * reason). The same checks, without building a record: the fast path for
 * user data, which then reads MACs and VPI/VCI from the buffer itself.
 */
export function aal5TrailerAt(buf: Buffer, etherType: number = ETHERTYPE_CONDIS): number {
  const t = locateTrailer(buf, etherType);
  return typeof t === 'number' ? t : -1;
}

/** the checks of parseFrame: the trailer's offset, or the decode error */
function locateTrailer(buf: Buffer, want: number): number | Result<never, FrameDecodeError> {
  const len = buf.length;
  if (len < ETH_HEADER_LEN) {
    return fail('ethernet', 'ethernet-short', len, `frame of ${len} octets is shorter than an Ethernet header (${ETH_HEADER_LEN})`);
  }
  const etherType = buf.readUInt16BE(12);
  if (etherType !== want) {
    return fail('ethernet', 'not-our-ethertype', 12, `EtherType ${hex4(etherType)} is not ours (${hex4(want)})`);
  }
  if (len < SDU_OFFSET) {
    return fail('cell', 'cell-header', len, `frame ends after ${len - CELL_OFFSET} octets of the 4-octet cell header`);
  }
  const pti = (buf[CELL_OFFSET + 3]! >> 1) & 0x07;
  if (pti >= 4) {
    return fail('cell', 'cell-header', CELL_OFFSET + 3, `PTI ${pti} is an OAM/resource-management cell type, not user data`);
  }
  if (((buf.readUInt32BE(CELL_OFFSET) >>> 4) & 0xffffff) === 0) {
    return fail('cell', 'cell-header', CELL_OFFSET, 'VPI/VCI 0/0 is the unassigned cell, it carries no user data');
  }
  if (len < SDU_OFFSET + AAL5_TRAILER_LEN) {
    return fail('aal5', 'aal5-short', len, `only ${len - SDU_OFFSET} octets after the cell header, an AAL5 trailer needs ${AAL5_TRAILER_LEN}`);
  }

  // The trailer at the very end: the frame was not padded.
  let trailer = -1;
  let badCrcAt = -1;
  const last = len - AAL5_TRAILER_LEN;
  if (buf.readUInt16BE(last + 2) === last - SDU_OFFSET) {
    if (crcOk(buf, last)) trailer = last;
    else badCrcAt = last;
  }
  // A padded frame: the CPCS-PDU was shorter than the Ethernet minimum, the
  // trailer is the one whose Length names its own position (and whose CRC holds).
  if (trailer < 0 && len >= ETH_MIN_FRAME) {
    for (let t = SDU_OFFSET; t + AAL5_TRAILER_LEN < ETH_MIN_FRAME && t < last; t++) {
      if (buf.readUInt16BE(t + 2) !== t - SDU_OFFSET) continue;
      if (crcOk(buf, t)) {
        trailer = t;
        break;
      }
      // Report the candidate the sender most likely wrote: the one followed only by zero padding.
      if (badCrcAt < 0 || (!zeroFrom(buf, badCrcAt + AAL5_TRAILER_LEN) && zeroFrom(buf, t + AAL5_TRAILER_LEN))) badCrcAt = t;
    }
  }
  if (trailer < 0) {
    if (badCrcAt >= 0) {
      const want = crc32Aal5(buf, SDU_OFFSET, badCrcAt + 4);
      const got = buf.readUInt32BE(badCrcAt + 4);
      return fail('aal5', 'aal5-crc', badCrcAt + 4, `AAL5 CRC-32 is 0x${got.toString(16).padStart(8, '0')}, the PDU computes to 0x${want.toString(16).padStart(8, '0')}`);
    }
    const l = buf.readUInt16BE(last + 2);
    return fail('aal5', 'aal5-length', last + 2, `AAL5 Length ${l} does not fit a frame carrying ${last - SDU_OFFSET} SDU octets, and no padded trailer matches`);
  }
  return trailer;
}

/** VPI/VCI of a frame. */
export interface VcId {
  vpi: number;
  vci: number;
}

/**
 * Allocation-free variant of `peekVc`: `vpi * 65536 + vci` (a Map key per VC),
 * or -1 when the frame is too short or not of that EtherType. Never throws.
 */
export function peekVcKey(buf: Buffer, etherType: number = ETHERTYPE_CONDIS): number {
  if (buf.length < SDU_OFFSET || buf.readUInt16BE(12) !== etherType) return -1;
  return (buf.readUInt32BE(CELL_OFFSET) >>> 4) & 0xffffff;
}

/** The VC key `peekVcKey` returns for a VPI/VCI. */
export function vcKey(vpi: number, vci: number): number {
  return ((vpi & 0xff) << 16) | (vci & 0xffff);
}

/**
 * Fast path for routing: VPI/VCI of a frame of our EtherType, without checking
 * the trailer or the CRC (parseFrame still has to). `undefined` when the frame
 * is too short or not of that EtherType. Never throws.
 */
export function peekVc(buf: Buffer, etherType: number = ETHERTYPE_CONDIS): VcId | undefined {
  if (buf.length < SDU_OFFSET || buf.readUInt16BE(12) !== etherType) return undefined;
  const b0 = buf[CELL_OFFSET]!;
  const b1 = buf[CELL_OFFSET + 1]!;
  return {
    vpi: ((b0 & 0x0f) << 4) | (b1 >> 4),
    vci: ((b1 & 0x0f) << 12) | (buf[CELL_OFFSET + 2]! << 4) | (buf[CELL_OFFSET + 3]! >> 4),
  };
}
