/**
 * A pcapng writer (little-endian, one section, microsecond timestamps) with
 * interfaces added while the capture runs: a pcapng file may describe an
 * interface anywhere before its first packet, and every interface has its own
 * link type and name. That is what keeps the links of a host apart in stock
 * Wireshark (`frame.interface_name`, Statistics > Capture File Properties).
 *
 * Blocks written: section header (SHB), interface description (IDB, with
 * if_name, if_description, if_tsresol = 6), enhanced packet (EPB, with
 * epb_flags carrying the direction: 1 inbound, 2 outbound). `readPcap` in
 * pcap.ts reads them back.
 *
 * Like the classic writer it writes whole blocks only, so a process killed at
 * any time leaves a file readers accept: by default each block at once (one
 * write(2) per block), or with `flushMs` the blocks of up to that many
 * milliseconds together (pcap.ts, recordSink).
 */
import { writeSync } from 'node:fs';
import { openCaptureFile, PCAP_SNAPLEN, recordSink, type Direction, type PcapFileOptions } from './pcap.js';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BOM = 0x1a2b3c4d;

/** LINKTYPE_WIRESHARK_UPPER_PDU: a payload with tags saying which dissector reads it */
export const LINKTYPE_UPPER_PDU = 252;

export interface NgInterfaceSpec {
  linkType: number;
  /** if_name: what Wireshark shows as the interface (`frame.interface_name`) */
  name: string;
  /** if_description (`frame.interface_description`) */
  description?: string;
}

export interface PcapngWriter {
  readonly path: string;
  /** packets written so far */
  readonly records: number;
  /** interfaces described so far */
  readonly interfaces: number;
  /** describe one more interface; returns its id for `write` */
  addInterface(spec: NgInterfaceSpec): number;
  /** one packet on interface `id`; `tsMs` defaults to now (fractions of a ms kept to the µs) */
  write(id: number, data: Buffer | readonly Buffer[], opts?: { tsMs?: number; direction?: Direction }): void;
  /** write out blocks held (with flushMs) */
  flush(): void;
  /** flush, close the file; later writes are ignored */
  close(): void;
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

/** One option (code, length, value padded to 4 octets). */
function option(code: number, value: Buffer): Buffer {
  const b = Buffer.alloc(4 + value.length + pad4(value.length));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  value.copy(b, 4);
  return b;
}
const END_OF_OPTIONS = option(0, Buffer.alloc(0));

function block(type: number, body: Buffer[]): Buffer {
  const bodyLen = body.reduce((s, b) => s + b.length, 0);
  const len = 12 + bodyLen;
  const out = Buffer.alloc(len);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(len, 4);
  let o = 8;
  for (const b of body) o += b.copy(out, o);
  out.writeUInt32LE(len, len - 4);
  return out;
}

export function sectionHeaderBlock(application?: string): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(BOM, 0);
  fixed.writeUInt16LE(1, 4); // major
  fixed.writeUInt16LE(0, 6); // minor
  fixed.writeInt32LE(-1, 8); // section length unknown (64 bits of -1)
  fixed.writeInt32LE(-1, 12);
  const opts = application ? [option(4, Buffer.from(application, 'utf8')), END_OF_OPTIONS] : [];
  return block(SHB, [fixed, ...opts]);
}

export function interfaceBlock(spec: NgInterfaceSpec): Buffer {
  if (!Number.isInteger(spec.linkType) || spec.linkType < 0 || spec.linkType > 0xffff) throw new RangeError(`pcapng: link type ${spec.linkType} is not in 0..65535`);
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(spec.linkType, 0);
  fixed.writeUInt32LE(PCAP_SNAPLEN, 4);
  const opts = [option(2, Buffer.from(spec.name, 'utf8'))];
  if (spec.description) opts.push(option(3, Buffer.from(spec.description, 'utf8')));
  opts.push(option(9, Buffer.from([6]))); // if_tsresol: microseconds
  return block(IDB, [fixed, ...opts, END_OF_OPTIONS]);
}

/**
 * One packet: `data` given whole or in parts (a pseudo-header and the SDU, say), which are copied
 * once, straight into the block. One allocation per packet: a capture of a data stream builds one
 * block per SDU.
 */
export function enhancedPacketBlock(id: number, data: Buffer | readonly Buffer[], tsMs: number, direction?: Direction): Buffer {
  const parts = Buffer.isBuffer(data) ? [data] : data;
  let length = 0;
  for (const p of parts) length += p.length;
  const caplen = Math.min(length, PCAP_SNAPLEN);
  const pad = pad4(caplen);
  // type, length, the 20 fixed octets, the data, padding, epb_flags (4 + 4) and the end of options, length
  const len = 8 + 20 + caplen + pad + (direction ? 12 : 0) + 4;
  const out = Buffer.allocUnsafe(len);
  const us = Math.round(tsMs * 1000);
  out.writeUInt32LE(EPB, 0);
  out.writeUInt32LE(len, 4);
  out.writeUInt32LE(id, 8);
  out.writeUInt32LE(Math.floor(us / 4294967296) >>> 0, 12);
  out.writeUInt32LE(us % 4294967296 >>> 0, 16);
  out.writeUInt32LE(caplen, 20);
  out.writeUInt32LE(length, 24);
  let o = 28;
  for (const p of parts) {
    if (o >= 28 + caplen) break;
    o += p.copy(out, o, 0, Math.min(p.length, 28 + caplen - o));
  }
  out.fill(0, o, o + pad);
  o += pad;
  if (direction) {
    out.writeUInt16LE(2, o); // epb_flags
    out.writeUInt16LE(4, o + 2);
    out.writeUInt32LE(direction === 'rx' ? 1 : 2, o + 4);
    out.writeUInt32LE(0, o + 8); // opt_endofopt
    o += 12;
  }
  out.writeUInt32LE(len, o);
  return out;
}

/** Create (truncate) `path` and write the section header. Throws the file system's error. */
export function openPcapngWriter(path: string, opts: { application?: string; file?: PcapFileOptions; flushMs?: number } = {}): PcapngWriter {
  const fd = openCaptureFile(path, opts.file);
  writeSync(fd, sectionHeaderBlock(opts.application));
  const sink = recordSink(fd, opts.flushMs);
  let records = 0;
  let interfaces = 0;
  return {
    path,
    get records() {
      return records;
    },
    get interfaces() {
      return interfaces;
    },
    addInterface(spec) {
      const b = interfaceBlock(spec);
      sink.put(b);
      return interfaces++;
    },
    write(id, data, o = {}) {
      if (sink.closed) return;
      if (!Number.isInteger(id) || id < 0 || id >= interfaces) throw new RangeError(`pcapng: interface ${id} is not described (${interfaces} so far)`);
      sink.put(enhancedPacketBlock(id, data, o.tsMs ?? Date.now(), o.direction));
      records++;
    },
    flush: () => sink.flush(),
    close: () => sink.close(),
  };
}

/** Exported-PDU tags (LINKTYPE_UPPER_PDU): dissector name and protocol column text. */
const EXP_PDU_TAG_END = 0;
const EXP_PDU_TAG_PROTO_NAME = 12;
const EXP_PDU_TAG_COL_PROT_TEXT = 33;

function tag(type: number, value: Buffer): Buffer {
  const b = Buffer.alloc(4 + value.length);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(value.length, 2);
  value.copy(b, 4);
  return b;
}

/** The tags of an upper-PDU record, which go before its payload (see upperPdu). */
export function upperPduHeader(dissector: string, protocol?: string): Buffer {
  return Buffer.concat([
    tag(EXP_PDU_TAG_PROTO_NAME, Buffer.from(dissector, 'ascii')),
    ...(protocol ? [tag(EXP_PDU_TAG_COL_PROT_TEXT, Buffer.from(protocol, 'utf8'))] : []),
    tag(EXP_PDU_TAG_END, Buffer.alloc(0)),
  ]);
}

/** the tags before each user-data SDU in our captures: Wireshark's `data` dissector, Protocol column AAL5 */
export const DATA_HEADER = upperPduHeader('data', 'AAL5');

/**
 * An upper-PDU record: tags that make Wireshark hand `payload` to the
 * dissector named `dissector` ("data": shown as bytes, never guessed at) and
 * put `protocol` in the Protocol column.
 */
export function upperPdu(payload: Buffer, dissector: string, protocol?: string): Buffer {
  return Buffer.concat([upperPduHeader(dissector, protocol), payload]);
}
