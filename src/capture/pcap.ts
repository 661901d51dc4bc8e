/**
 * pcap files (the classic libpcap format, microsecond timestamps) for two link
 * types:
 *
 * - Ethernet (LINKTYPE_ETHERNET = 1): our frames exactly as on the wire;
 *   Wireshark needs wireshark/condis.lua to go past the EtherType.
 * - SunATM (LINKTYPE_SUNATM = 123): the ATM layer itself. Each record is a
 *   4-octet pseudo-header followed by the AAL5 SDU (no cell header, no AAL5
 *   trailer):
 *
 *   | octet | field                                                          |
 *   |-------|----------------------------------------------------------------|
 *   | 0     | bit 7: direction, 1 = sent (tx), 0 = received (rx);            |
 *   |       | bits 3..0: traffic type: 6 = Q.SAAL signalling, 5 = ILMI,     |
 *   |       | 2 = LLC-multiplexed, 1 = LANE, 0 = unknown / raw              |
 *   | 1     | VPI                                                            |
 *   | 2..3  | VCI, big-endian                                                |
 *
 *   Wireshark (wiretap) turns type 6 into its "signalling AAL" and hands the
 *   SDU to the sscop dissector, which hands SD payloads to q2931, so a capture
 *   of VCI 5 reads as atm / sscop / q2931 in stock Wireshark without a
 *   plug-in. The writer picks the traffic type from the VC (5 -> Q.SAAL,
 *   anything else -> 0, raw) unless the caller names one.
 *
 * The writer is synchronous and writes each record with one write(2), so a
 * process killed at any time leaves a file that readers accept (at worst with
 * one cut-off last record, which `readPcap` reports or tolerates on request).
 */
import { closeSync, fchmodSync, fchownSync, openSync, readFileSync, writeSync } from 'node:fs';
import { DecodeError, err, ok, type Result } from '../common/result.js';
import { VCI_SIGNALLING } from '../wire/constants.js';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_SUNATM = 123;
export type LinkType = typeof LINKTYPE_ETHERNET | typeof LINKTYPE_SUNATM;

/** Largest record the writer stores whole (and the snaplen it declares). */
export const PCAP_SNAPLEN = 262144;

const MAGIC_USEC = 0xa1b2c3d4;
const MAGIC_NSEC = 0xa1b23c4d;
const GLOBAL_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
export const SUNATM_HEADER_LEN = 4;

/** SunATM traffic types (octet 0, bits 3..0). */
export const SunAtmType = {
  UNKNOWN: 0,
  LANE: 1,
  LLC: 2,
  ILMI: 5,
  QSAAL: 6,
} as const;

export type Direction = 'tx' | 'rx';

export interface SunAtmRecord {
  direction: Direction;
  vpi: number;
  vci: number;
  /** the AAL5 SDU */
  sdu: Buffer;
  /** traffic type nibble; default: Q.SAAL (6) on VCI 5, else 0 */
  type?: number;
}

export interface PcapWriter {
  readonly path: string;
  readonly linkType: LinkType;
  /** records written so far */
  readonly records: number;
  /** append one whole Ethernet frame (Ethernet writers only); `tsMs` defaults to now, fractions of a ms kept to the µs */
  writeEthernet(frame: Buffer, tsMs?: number): void;
  /** append one AAL5 SDU with its SunATM pseudo-header (SunATM writers only) */
  writeSunAtm(rec: SunAtmRecord, tsMs?: number): void;
  /** write out records held by a writer opened with flushMs (recordSink) */
  flush(): void;
  /** flush, close the file; later writes are ignored */
  close(): void;
}

/** The 24-octet global header (host byte order, as libpcap writes it; readers handle both). */
export function pcapGlobalHeader(linkType: number, snaplen = PCAP_SNAPLEN): Buffer {
  const h = Buffer.alloc(GLOBAL_HEADER_LEN);
  h.writeUInt32LE(MAGIC_USEC, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeInt32LE(0, 8); // thiszone: timestamps are UTC
  h.writeUInt32LE(0, 12); // sigfigs
  h.writeUInt32LE(snaplen, 16);
  h.writeUInt32LE(linkType, 20);
  return h;
}

/** One record: 16-octet header + data, in one buffer (so it goes out in one write). */
export function pcapRecord(data: Buffer, tsMs: number): Buffer {
  const caplen = Math.min(data.length, PCAP_SNAPLEN);
  const rec = Buffer.allocUnsafe(RECORD_HEADER_LEN + caplen);
  const us = Math.round(tsMs * 1000);
  const sec = Math.floor(us / 1_000_000);
  rec.writeUInt32LE(sec >>> 0, 0);
  rec.writeUInt32LE(us - sec * 1_000_000, 4);
  rec.writeUInt32LE(caplen, 8);
  rec.writeUInt32LE(data.length, 12);
  data.copy(rec, RECORD_HEADER_LEN, 0, caplen);
  return rec;
}

/** The SunATM pseudo-header + SDU for one AAL5 SDU. Throws RangeError on an impossible VPI/VCI/type. */
export function encodeSunAtm(rec: SunAtmRecord): Buffer {
  const b = Buffer.allocUnsafe(SUNATM_HEADER_LEN + rec.sdu.length);
  writeSunAtmHeader(b, rec);
  rec.sdu.copy(b, SUNATM_HEADER_LEN);
  return b;
}

/** The 4-octet SunATM pseudo-header alone (the SDU follows it). Throws RangeError on an impossible VPI/VCI/type. */
export function sunAtmHeader(rec: Omit<SunAtmRecord, 'sdu'>): Buffer {
  const b = Buffer.allocUnsafe(SUNATM_HEADER_LEN);
  writeSunAtmHeader(b, rec);
  return b;
}

function writeSunAtmHeader(b: Buffer, rec: Omit<SunAtmRecord, 'sdu'>): void {
  const type = rec.type ?? (rec.vci === VCI_SIGNALLING ? SunAtmType.QSAAL : SunAtmType.UNKNOWN);
  if (!Number.isInteger(rec.vpi) || rec.vpi < 0 || rec.vpi > 0xff) throw new RangeError(`SunATM: VPI ${rec.vpi} is not in 0..255`);
  if (!Number.isInteger(rec.vci) || rec.vci < 0 || rec.vci > 0xffff) throw new RangeError(`SunATM: VCI ${rec.vci} is not in 0..65535`);
  if (!Number.isInteger(type) || type < 0 || type > 0x0f) throw new RangeError(`SunATM: traffic type ${type} is not in 0..15`);
  b[0] = (rec.direction === 'tx' ? 0x80 : 0x00) | type;
  b[1] = rec.vpi;
  b.writeUInt16BE(rec.vci, 2);
}

/** Decode a SunATM record body. `sdu` is a view into `data`. Never throws. */
export function parseSunAtm(data: Buffer): Result<Required<SunAtmRecord>> {
  if (data.length < SUNATM_HEADER_LEN) {
    return err(new DecodeError('pcap', 'sunatm-short', data.length, `SunATM record of ${data.length} octets, the pseudo-header alone is 4`));
  }
  return ok({
    direction: data[0]! & 0x80 ? 'tx' : 'rx',
    type: data[0]! & 0x0f,
    vpi: data[1]!,
    vci: data.readUInt16BE(2),
    sdu: data.subarray(SUNATM_HEADER_LEN),
  });
}

/**
 * Create (truncate) `path` and write the global header. Throws the file
 * system's error if the file cannot be created: the caller decides whether a
 * capture that cannot be written is fatal.
 */
export interface PcapFileOptions {
  /** file mode, applied whatever the umask (default 0o644: a capture is for reading, by the user who asked for it) */
  mode?: number;
  /** owner to give the file (e.g. the user behind sudo), when running as root */
  owner?: { uid: number; gid: number };
}

/** a buffered capture's batch is written once it holds this much, whatever the time */
const FLUSH_OCTETS = 256 * 1024;

/** where a writer's records go: its file, at once or in batches (see recordSink) */
export interface RecordSink {
  /** true once closed: puts are dropped */
  readonly closed: boolean;
  put(record: Buffer): void;
  /** write out what is held (nothing to do when records go out at once) */
  flush(): void;
  /** flush, then close the file; later puts are dropped */
  close(): void;
}

/**
 * Records go to `fd` whole, so a reader (or a process killed at any time) sees only whole records.
 * `flushMs` 0: each record is written when it is taken (one write(2) per record). `flushMs` > 0:
 * records are held and written together within `flushMs` (or once FLUSH_OCTETS are held), and at
 * close or process exit; a killed process loses at most the last `flushMs` of records. A capture
 * of a data stream costs one system call per frame otherwise (docs/wireshark.md has the figures).
 */
export function recordSink(fd: number, flushMs = 0): RecordSink {
  let open = true;
  let held: Buffer[] = [];
  let heldOctets = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!open || held.length === 0) return;
    writeSync(fd, held.length === 1 ? held[0]! : Buffer.concat(held, heldOctets));
    held = [];
    heldOctets = 0;
  };
  if (flushMs > 0) process.on('exit', flush);
  return {
    get closed() {
      return !open;
    },
    put(record) {
      if (!open) return;
      if (flushMs <= 0) {
        writeSync(fd, record);
        return;
      }
      held.push(record);
      heldOctets += record.length;
      if (heldOctets >= FLUSH_OCTETS) flush();
      else timer ??= setTimeout(flush, flushMs).unref();
    },
    flush,
    close() {
      if (!open) return;
      flush();
      open = false;
      process.off('exit', flush);
      closeSync(fd);
    },
  };
}

/** Create (truncate) a capture file with `file`'s mode and owner; returns the descriptor. */
export function openCaptureFile(path: string, file: PcapFileOptions = {}): number {
  const fd = openSync(path, 'w', file.mode ?? 0o644);
  try {
    fchmodSync(fd, file.mode ?? 0o644);
    if (file.owner) fchownSync(fd, file.owner.uid, file.owner.gid);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

export function openPcapWriter(path: string, linkType: LinkType, file: PcapFileOptions = {}, flushMs = 0): PcapWriter {
  if (linkType !== LINKTYPE_ETHERNET && linkType !== LINKTYPE_SUNATM) {
    throw new RangeError(`openPcapWriter: link type ${String(linkType)} is neither Ethernet (1) nor SunATM (123)`);
  }
  const fd = openCaptureFile(path, file);
  writeSync(fd, pcapGlobalHeader(linkType));
  const sink = recordSink(fd, flushMs);
  let records = 0;
  const put = (data: Buffer, tsMs: number | undefined) => {
    if (sink.closed) return;
    sink.put(pcapRecord(data, tsMs ?? Date.now()));
    records++;
  };
  return {
    path,
    linkType,
    get records() {
      return records;
    },
    writeEthernet(frame, tsMs) {
      if (linkType !== LINKTYPE_ETHERNET) throw new TypeError(`writeEthernet on a SunATM capture (${path}); use writeSunAtm`);
      put(frame, tsMs);
    },
    writeSunAtm(rec, tsMs) {
      if (linkType !== LINKTYPE_SUNATM) throw new TypeError(`writeSunAtm on an Ethernet capture (${path}); use writeEthernet`);
      put(encodeSunAtm(rec), tsMs);
    },
    flush: () => sink.flush(),
    close: () => sink.close(),
  };
}

export interface PcapRecord {
  /** capture time in ms since the epoch (fractional, to the file's resolution) */
  tsMs: number;
  /** the captured octets (a view into the file buffer) */
  data: Buffer;
  /** the octets the packet had on the wire (>= data.length) */
  origLen: number;
  /** link type of this record (pcapng files may mix interfaces; classic files have one) */
  linkType: number;
}

export interface PcapFile {
  /** classic libpcap, or pcapng (what dumpcap and Wireshark write by default) */
  format: 'pcap' | 'pcapng';
  /** link type of the file (classic) or of the first interface (pcapng) */
  linkType: number;
  snaplen: number;
  /** timestamp resolution: 'usec' or 'nsec'; 'other' for a pcapng interface with another if_tsresol */
  resolution: 'usec' | 'nsec' | 'other';
  records: PcapRecord[];
  /** true when the last record was cut off (only with `allowTruncated`) */
  truncated: boolean;
}

export type PcapErrorCode =
  | 'pcap-io'
  | 'pcap-short'
  | 'pcap-magic'
  | 'pcap-version'
  | 'pcap-record-length'
  | 'pcap-truncated'
  | 'pcapng-block'
  | 'pcapng-interface';

export interface ReadPcapOptions {
  /** accept a file whose last record is cut off (a capture of a killed process); default false */
  allowTruncated?: boolean;
}

function pfail(code: PcapErrorCode, offset: number, message: string) {
  return err(new DecodeError('pcap', code, offset, message));
}

const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

/**
 * Read a capture file from a path or a buffer: classic pcap (either byte
 * order, µs or ns timestamps) or pcapng (section header, interface
 * description, enhanced and simple packet blocks; other blocks are skipped).
 * Never throws: I/O and format problems come back as DecodeErrors of layer
 * 'pcap'.
 */
export function readPcap(source: string | Buffer, opts?: ReadPcapOptions): Result<PcapFile> {
  let buf: Buffer;
  if (typeof source === 'string') {
    try {
      buf = readFileSync(source);
    } catch (e) {
      return pfail('pcap-io', 0, `cannot read ${source}: ${(e as Error).message}`);
    }
  } else buf = source;
  if (buf.length >= 4 && buf.readUInt32LE(0) === PCAPNG_SHB) return readPcapng(buf, opts);
  if (buf.length < GLOBAL_HEADER_LEN) return pfail('pcap-short', buf.length, `${buf.length} octets, a pcap global header is ${GLOBAL_HEADER_LEN}`);
  let le: boolean;
  let resolution: 'usec' | 'nsec';
  const mLe = buf.readUInt32LE(0);
  const mBe = buf.readUInt32BE(0);
  if (mLe === MAGIC_USEC || mLe === MAGIC_NSEC) {
    le = true;
    resolution = mLe === MAGIC_USEC ? 'usec' : 'nsec';
  } else if (mBe === MAGIC_USEC || mBe === MAGIC_NSEC) {
    le = false;
    resolution = mBe === MAGIC_USEC ? 'usec' : 'nsec';
  } else {
    return pfail('pcap-magic', 0, `magic 0x${mBe.toString(16).padStart(8, '0')} is neither pcap nor pcapng`);
  }
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  if (u16(4) !== 2) return pfail('pcap-version', 4, `pcap major version ${u16(4)}, expected 2`);
  const snaplen = u32(16);
  const linkType = u32(20) & 0x0fffffff; // upper bits carry FCS information
  const records: PcapRecord[] = [];
  const div = resolution === 'usec' ? 1000 : 1_000_000;
  let o = GLOBAL_HEADER_LEN;
  let truncated = false;
  while (o < buf.length) {
    if (o + RECORD_HEADER_LEN > buf.length) {
      truncated = true;
      break;
    }
    const caplen = u32(o + 8);
    const origLen = u32(o + 12);
    if (caplen > Math.max(snaplen, PCAP_SNAPLEN) || origLen < caplen) {
      return pfail('pcap-record-length', o + 8, `record ${records.length + 1}: captured length ${caplen}, original length ${origLen}, snaplen ${snaplen}`);
    }
    if (o + RECORD_HEADER_LEN + caplen > buf.length) {
      truncated = true;
      break;
    }
    records.push({
      tsMs: u32(o) * 1000 + u32(o + 4) / div,
      data: buf.subarray(o + RECORD_HEADER_LEN, o + RECORD_HEADER_LEN + caplen),
      origLen,
      linkType,
    });
    o += RECORD_HEADER_LEN + caplen;
  }
  if (truncated && !opts?.allowTruncated) {
    return pfail('pcap-truncated', o, `record ${records.length + 1} is cut off at the end of the file`);
  }
  return ok({ format: 'pcap', linkType, snaplen, resolution, records, truncated });
}

interface NgInterface {
  linkType: number;
  snaplen: number;
  /** timestamp units per millisecond */
  perMs: number;
  resolution: 'usec' | 'nsec' | 'other';
}

function readPcapng(buf: Buffer, opts?: ReadPcapOptions): Result<PcapFile> {
  let le = true;
  let ifaces: NgInterface[] = [];
  let first: NgInterface | undefined;
  const records: PcapRecord[] = [];
  let truncated = false;
  let o = 0;
  const u16 = (p: number) => (le ? buf.readUInt16LE(p) : buf.readUInt16BE(p));
  const u32 = (p: number) => (le ? buf.readUInt32LE(p) : buf.readUInt32BE(p));
  while (o < buf.length) {
    if (o + 12 > buf.length) {
      truncated = true;
      break;
    }
    // The byte order of a section is known only from its header block.
    if (buf.readUInt32LE(o) === PCAPNG_SHB) {
      const bom = buf.readUInt32LE(o + 8);
      if (bom === PCAPNG_BOM) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else return pfail('pcap-magic', o + 8, `pcapng byte-order magic 0x${bom.toString(16)} is wrong`);
      ifaces = [];
    }
    const type = u32(o);
    const len = u32(o + 4);
    if (len < 12 || len % 4 !== 0) return pfail('pcapng-block', o + 4, `block of type 0x${type.toString(16)} has length ${len}`);
    if (o + len > buf.length) {
      truncated = true;
      break;
    }
    const body = o + 8;
    const end = o + len - 4;
    if (type === PCAPNG_SHB) {
      if (len < 28 || u16(body + 4) !== 1) return pfail('pcap-version', body + 4, `pcapng section version ${len < 28 ? '?' : u16(body + 4)}, expected 1`);
    } else if (type === 1) {
      if (body + 8 > end) return pfail('pcapng-block', o, 'interface description block too short');
      let perMs = 1000;
      let resolution: NgInterface['resolution'] = 'usec';
      // options: code u16, length u16, value padded to 4; if_tsresol is code 9
      for (let p = body + 8; p + 4 <= end; ) {
        const code = u16(p);
        const olen = u16(p + 2);
        if (code === 0) break;
        if (code === 9 && olen >= 1 && p + 5 <= end) {
          const r = buf[p + 4]!;
          const exp = r & 0x7f;
          const perSec = r & 0x80 ? 2 ** exp : 10 ** exp;
          perMs = perSec / 1000;
          resolution = exp === 6 && !(r & 0x80) ? 'usec' : exp === 9 && !(r & 0x80) ? 'nsec' : 'other';
        }
        p += 4 + olen + ((4 - (olen % 4)) % 4);
      }
      const iface = { linkType: u16(body), snaplen: u32(body + 4), perMs, resolution };
      ifaces.push(iface);
      first ??= iface;
    } else if (type === 6 || type === 3) {
      const isEpb = type === 6;
      const hdr = isEpb ? 20 : 4;
      if (body + hdr > end) return pfail('pcapng-block', o, `${isEpb ? 'enhanced' : 'simple'} packet block too short`);
      const iface = ifaces[isEpb ? u32(body) : 0];
      if (iface === undefined) return pfail('pcapng-interface', body, `packet block names interface ${isEpb ? u32(body) : 0}, which is not described`);
      const origLen = isEpb ? u32(body + 16) : u32(body);
      let caplen = isEpb ? u32(body + 12) : Math.min(origLen, iface.snaplen || origLen, end - body - 4);
      if (caplen > end - body - hdr || caplen > origLen) return pfail('pcap-record-length', body, `record ${records.length + 1}: captured length ${caplen} does not fit its block`);
      caplen = Math.max(0, caplen);
      const ticks = isEpb ? u32(body + 4) * 4294967296 + u32(body + 8) : 0;
      records.push({ tsMs: ticks / iface.perMs, data: buf.subarray(body + hdr, body + hdr + caplen), origLen, linkType: iface.linkType });
    }
    o += len;
  }
  if (truncated && !opts?.allowTruncated) {
    return pfail('pcap-truncated', o, `block at offset ${o} is cut off at the end of the file`);
  }
  return ok({
    format: 'pcapng',
    linkType: first?.linkType ?? 0,
    snaplen: first?.snaplen ?? 0,
    resolution: first?.resolution ?? 'usec',
    records,
    truncated,
  });
}
