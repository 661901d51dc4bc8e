/**
 * A zero-copy view of one received frame (the layout in frame.ts and
 * docs/wire.md): the fast path reads the fields it routes by straight from the
 * miniport's buffer, as numbers, without building a `Frame` record, formatting
 * MAC strings or copying the SDU. `parseFrame` (frame.ts) stays the way to a
 * full record (and to the reason a frame is refused); both accept exactly the
 * same frames, because `check()` runs the same checks (locateTrailer).
 *
 * One view is made per receiver and pointed at each frame in turn
 * (`wrap(buf)`): nothing is allocated per frame except the SDU's `subarray`
 * when a receiver asks for it. What a view reads is only valid until it is
 * wrapped around the next frame.
 *
 * MAC addresses are read as 48-bit numbers (`macNumber` gives the same number
 * for a `Mac` string), so "is this frame for us" is one comparison of numbers.
 * The VC is one number too: `vpi * 65536 + vci` (`vcKey`), a Map key per VC.
 */
import { macAt, macNumberAt, type Mac, type MacNumber } from '../common/mac.js';
import { CELL_OFFSET, ETHERTYPE_CONDIS, SDU_OFFSET } from './constants.js';
import { aal5TrailerAt, parseFrame, type FrameErrorCode } from './frame.js';

// (MacNumber and macNumber live in src/common/mac.ts beside macNumberAt: the memory hub compares MACs as numbers too)
export { macNumber, type MacNumber } from '../common/mac.js';

const EMPTY = Buffer.alloc(0);

/**
 * A view of one frame. `wrap` points it at a buffer; `hasHeader` says whether
 * the Ethernet and cell headers are there with our EtherType (the fields below
 * read garbage otherwise); `check` locates the AAL5 trailer and checks the
 * CRC-32, once per frame, and only then are `sdu`, `sduEnd` and `trailerAt`
 * meaningful.
 */
export class FrameView {
  /** the frame being viewed */
  buffer: Buffer = EMPTY;
  /** where the AAL5 trailer starts once `check()` accepted the frame; -1 before, or when it refused it */
  trailerAt = -1;
  private checked = false;

  constructor(readonly etherType: number = ETHERTYPE_CONDIS) {}

  /** point the view at `buf` (no copy, no check yet) */
  wrap(buf: Buffer): this {
    this.buffer = buf;
    this.trailerAt = -1;
    this.checked = false;
    return this;
  }

  /** Ethernet header and cell header present, and the EtherType is the one this view reads */
  get hasHeader(): boolean {
    const b = this.buffer;
    return b.length >= SDU_OFFSET && ((b[12]! << 8) | b[13]!) === this.etherType;
  }

  /** destination MAC as a 48-bit number */
  get dst(): MacNumber {
    return macNumberAt(this.buffer, 0);
  }

  /** source MAC as a 48-bit number */
  get src(): MacNumber {
    return macNumberAt(this.buffer, 6);
  }

  /** destination MAC as a string (one string per MAC, made once: `macAt`) */
  get dstMac(): Mac {
    return macAt(this.buffer, 0);
  }

  /** source MAC as a string (one string per MAC, made once: `macAt`) */
  get srcMac(): Mac {
    return macAt(this.buffer, 6);
  }

  /** `vpi * 65536 + vci`, the key `vcKey` makes */
  get vcKey(): number {
    const b = this.buffer;
    return ((b[CELL_OFFSET]! & 0x0f) << 20) | (b[CELL_OFFSET + 1]! << 12) | (b[CELL_OFFSET + 2]! << 4) | (b[CELL_OFFSET + 3]! >> 4);
  }

  get vpi(): number {
    return this.vcKey >>> 16;
  }

  get vci(): number {
    return this.vcKey & 0xffff;
  }

  /** payload type (0..7) */
  get pti(): number {
    return (this.buffer[CELL_OFFSET + 3]! >> 1) & 0x07;
  }

  /** cell loss priority (0 or 1) */
  get clp(): number {
    return this.buffer[CELL_OFFSET + 3]! & 0x01;
  }

  /**
   * The checks of `parseFrame` (EtherType, cell header, AAL5 trailer located
   * through its Length, CRC-32), done once per frame: true when the frame is
   * good. `error()` says why it is not.
   */
  check(): boolean {
    if (!this.checked) {
      this.checked = true;
      this.trailerAt = aal5TrailerAt(this.buffer, this.etherType);
    }
    return this.trailerAt >= 0;
  }

  /** first SDU octet */
  get sduStart(): number {
    return SDU_OFFSET;
  }

  /** one past the last SDU octet (the trailer's offset); after a successful `check()` */
  get sduEnd(): number {
    return this.trailerAt;
  }

  /** the SDU as a view into the frame (no copy); after a successful `check()` */
  get sdu(): Buffer {
    return this.buffer.subarray(SDU_OFFSET, this.trailerAt);
  }

  /**
   * Why `check()` refused the frame: the code of the typed error `parseFrame`
   * gives (the drop-counter key). Decodes again: only for frames being dropped.
   */
  errorCode(): FrameErrorCode {
    const r = parseFrame(this.buffer, { etherType: this.etherType });
    // (both accept the same frames; a frame parseFrame takes is never refused here)
    return r.ok ? 'aal5-length' : r.error.code;
  }
}
