/**
 * Hostile input for a condis-tap host, built on the real codecs: random
 * frames, and valid frames (emitFrame / emitPdu / encodeMessage /
 * emitAnnouncement) mutated at one chosen layer: the Ethernet header, the
 * cell header, the AAL5 trailer, the SSCOP PDU, the Q.2931 message or its IEs,
 * discovery announcements, user data. Everything is drawn from a seeded
 * `Prng`, so a run is reproducible from its seed.
 *
 * Frames that must get past the AAL5 CRC to reach a higher layer are
 * re-encoded with a correct CRC around the mutated SDU; frames meant for the
 * frame decoder itself are mutated after encoding.
 *
 * Q.2931 messages only reach call control in sequence over an established
 * SSCOP association: `messages()` gives the mutated messages a fuzzing peer
 * sends through its own SSCOP link (see `FuzzPeer` in peer.ts); the frame
 * generator's 'q2931' layer wraps them in SD PDUs with guessed sequence
 * numbers, which mostly exercises SSCOP's window checks.
 */
import { emitFrame, cellHeader, emitAnnouncement, ETHERTYPE_CONDIS, VCI_DISCOVERY, VCI_SIGNALLING, type Frame } from '../wire/index.js';
import { SDU_OFFSET } from '../wire/constants.js';
import { emitPdu, type SscopPdu } from '../sscop/pdu.js';
import { encodeMessage } from '../uni/msg/index.js';
import { IeId, MsgType, type InfoElement, type UniMessage } from '../uni/msg/types.js';
import {
  calledIe,
  callingIe,
  causeIe,
  connIdIe,
  defaultAal,
  defaultBearer,
  defaultQos,
  defaultTraffic,
  eprefIe,
  uuIe,
} from '../uni/call-ies.js';
import type { Mac } from '../common/mac.js';
import { Prng } from './prng.js';

export type FuzzLayer = 'random' | 'ethernet' | 'cell' | 'aal5' | 'sscop' | 'q2931' | 'discovery' | 'data';

export const FUZZ_LAYERS: readonly FuzzLayer[] = ['random', 'ethernet', 'cell', 'aal5', 'sscop', 'q2931', 'discovery', 'data'];

export interface FrameFuzzerOptions {
  seed: number;
  /** the host under test */
  target: Mac;
  /** our own source MAC (most frames); a few use random unicast sources */
  source: Mac;
  /** probability that a frame uses a random source MAC (default 0.02): each one may look like a new peer */
  randomSourceRate?: number;
  /** ATM addresses worth naming in messages (the target's, its peers') */
  addresses?: string[];
  etherType?: number;
  /** Ethernet payload size (default 1500): frames stay within it, as a real medium's would */
  mtu?: number;
  /** relative weights of the layers (default: all equal) */
  weights?: Partial<Record<FuzzLayer, number>>;
}

export interface FuzzFrame {
  layer: FuzzLayer;
  frame: Buffer;
}

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x05, 0x10, 0x20];
const INTERESTING_16 = [0x0000, 0x0001, 0x00ff, 0x0100, 0x7fff, 0x8000, 0xffff, 0xfffe, 0x0005, 0x0010, 0x0020];

/** One mutation of a buffer (never in place): flip, set, insert, delete, truncate, extend, duplicate a slice, interesting values. */
export function mutateBytes(p: Prng, input: Buffer, maxLen = 1600): Buffer {
  let b = Buffer.from(input);
  const rounds = p.weighted([
    [1, 6],
    [2, 3],
    [4, 1],
  ] as const);
  for (let r = 0; r < rounds; r++) {
    const kind = p.int(9);
    const at = b.length ? p.int(b.length) : 0;
    switch (kind) {
      case 0: // bit flip
        if (b.length) b[at]! ^= 1 << p.int(8);
        break;
      case 1: // random byte
        if (b.length) b[at] = p.int(256);
        break;
      case 2: // interesting byte
        if (b.length) b[at] = p.pick(INTERESTING_8);
        break;
      case 3: // interesting 16-bit value (lengths!)
        if (b.length >= 2) b.writeUInt16BE(p.pick(INTERESTING_16), Math.min(at, b.length - 2));
        break;
      case 4: // insert
        b = Buffer.concat([b.subarray(0, at), p.bytes(p.range(1, 16)), b.subarray(at)]);
        break;
      case 5: // delete
        if (b.length) b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + p.range(1, 16)))]);
        break;
      case 6: // truncate
        b = b.subarray(0, p.int(b.length + 1));
        break;
      case 7: // extend
        b = Buffer.concat([b, p.bytes(p.length(64))]);
        break;
      case 8: // repeat a slice
        if (b.length) {
          const len = p.range(1, Math.min(32, b.length - at));
          b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
        }
        break;
    }
  }
  return b.length > maxLen ? b.subarray(0, maxLen) : b;
}

/** Valid Q.2931/Q.2971 messages of every type, with plausible IEs, as a fuzzer's seeds. */
export function seedMessages(p: Prng, addresses: string[]): UniMessage[] {
  const addr = () => (addresses.length && p.chance(0.8) ? p.pick(addresses) : String(p.range(1, 99999)));
  const cref = () => (p.chance(0.1) ? p.pick([0, 0x7fffff, 1]) : p.range(1, 0x7fffff));
  const flag = () => p.chance(0.5);
  const epref = () => eprefIe(p.chance(0.3) ? 0 : p.range(0, 0x7fff), flag());
  const cause = () => causeIe(p.pick([1, 3, 16, 17, 21, 27, 31, 41, 47, 81, 88, 96, 97, 99, 100, 101, 111, 127, 0]));
  const msg = (type: number, ies: InfoElement[]): UniMessage => ({ type, callRef: cref(), callRefFlag: flag(), ies });
  const setupIes = (mp: boolean): InfoElement[] => [
    defaultAal(),
    defaultTraffic(),
    defaultBearer(mp),
    calledIe(addr()),
    callingIe(addr()),
    defaultQos(),
    ...(p.chance(0.5) ? [connIdIe(0, p.range(0, 0xffff))] : []),
    ...(mp ? [epref()] : []),
    ...(p.chance(0.3) ? [uuIe(p.bytes(p.int(140)))] : []),
  ];
  return [
    msg(MsgType.SETUP, setupIes(p.chance(0.5))),
    msg(MsgType.CALL_PROCEEDING, [connIdIe(0, p.range(32, 300))]),
    msg(MsgType.ALERTING, []),
    msg(MsgType.CONNECT, [connIdIe(0, p.range(32, 300)), ...(p.chance(0.5) ? [epref()] : [])]),
    msg(MsgType.CONNECT_ACKNOWLEDGE, []),
    msg(MsgType.RELEASE, [cause(), ...(p.chance(0.5) ? [uuIe(p.bytes(p.int(130)))] : [])]),
    msg(MsgType.RELEASE_COMPLETE, p.chance(0.7) ? [cause()] : []),
    msg(MsgType.STATUS_ENQUIRY, p.chance(0.5) ? [epref()] : []),
    msg(MsgType.STATUS, [{ id: IeId.CALL_STATE, state: p.int(64) }, cause(), ...(p.chance(0.5) ? [epref(), { id: IeId.ENDPOINT_STATE, state: p.int(64) } as InfoElement] : [])]),
    { type: MsgType.RESTART, callRef: 0, callRefFlag: flag(), ies: [{ id: IeId.RESTART_INDICATOR, restartClass: p.pick([0, 2, 1, 7]) }, ...(p.chance(0.5) ? [connIdIe(0, p.range(0, 300))] : [])] },
    { type: MsgType.RESTART_ACKNOWLEDGE, callRef: 0, callRefFlag: flag(), ies: [{ id: IeId.RESTART_INDICATOR, restartClass: p.pick([0, 2]) }] },
    msg(MsgType.ADD_PARTY, [defaultAal(), calledIe(addr()), epref()]),
    msg(MsgType.ADD_PARTY_ACKNOWLEDGE, [epref()]),
    msg(MsgType.ADD_PARTY_REJECT, [cause(), epref()]),
    msg(MsgType.PARTY_ALERTING, [epref()]),
    msg(MsgType.DROP_PARTY, [cause(), epref(), ...(p.chance(0.5) ? [uuIe(p.bytes(p.int(130)))] : [])]),
    msg(MsgType.DROP_PARTY_ACKNOWLEDGE, [epref(), ...(p.chance(0.5) ? [cause()] : [])]),
    msg(MsgType.NOTIFY, [{ id: IeId.NOTIFICATION_INDICATOR, content: p.bytes(p.range(1, 8)) } as InfoElement]),
    msg(p.int(256), p.chance(0.5) ? [cause()] : []),
  ];
}

/** A Q.2931 message for a fuzzing peer to send: valid, valid with shuffled/dropped/duplicated IEs, or byte-mutated. */
export function fuzzMessage(p: Prng, addresses: string[]): Buffer {
  const seeds = seedMessages(p, addresses);
  const m = p.pick(seeds);
  const mode = p.int(4);
  if (mode === 1 && m.ies.length) {
    // IE-level: drop, duplicate, reorder, or an unknown IE with instruction flags
    const ies = [...m.ies];
    const k = p.int(4);
    if (k === 0) ies.splice(p.int(ies.length), 1);
    else if (k === 1) ies.push(ies[p.int(ies.length)]!);
    else if (k === 2) ies.reverse();
    else ies.push({ id: p.int(256), unknown: true, coding: p.int(4), flag: p.chance(0.5), action: p.int(8), content: p.bytes(p.int(40)) } as unknown as InfoElement);
    m.ies = ies;
    if (p.chance(0.3)) {
      m.msgFlag = true;
      m.msgAction = p.int(4);
    }
  }
  let buf: Buffer;
  try {
    buf = encodeMessage(m);
  } catch {
    buf = encodeMessage({ ...m, ies: [] });
  }
  if (mode >= 2) buf = mutateBytes(p, buf, 1400);
  return buf;
}

/** A random SSCOP PDU of any type with random fields (valid encoding). */
export function randomPdu(p: Prng, payload?: Buffer): SscopPdu {
  const seq = () => (p.chance(0.5) ? p.int(300) : p.int(0x1000000));
  const uu = () => (p.chance(0.7) ? Buffer.alloc(0) : p.bytes(p.length(64)));
  const data = payload ?? p.bytes(p.length(200));
  switch (p.int(15)) {
    case 0:
      return { type: 'BGN', nsq: p.int(256), nmr: seq(), uu: uu() };
    case 1:
      return { type: 'BGAK', nmr: seq(), uu: uu() };
    case 2:
      return { type: 'BGREJ', uu: uu() };
    case 3:
      return { type: 'END', source: p.chance(0.5) ? 'user' : 'sscop', uu: uu() };
    case 4:
      return { type: 'ENDAK' };
    case 5:
      return { type: 'RS', nsq: p.int(256), nmr: seq(), uu: uu() };
    case 6:
      return { type: 'RSAK', nmr: seq() };
    case 7:
      return { type: 'ER', nsq: p.int(256), nmr: seq() };
    case 8:
      return { type: 'ERAK', nmr: seq() };
    case 9:
      return { type: 'SD', ns: seq(), data };
    case 10:
      return { type: 'POLL', nps: seq(), ns: seq() };
    case 11: {
      const n = p.chance(0.9) ? p.int(8) : p.int(80);
      return { type: 'STAT', nps: seq(), nmr: seq(), nr: seq(), list: Array.from({ length: n }, seq) };
    }
    case 12:
      return { type: 'USTAT', nmr: seq(), nr: seq(), sn1: seq(), sn2: seq() };
    case 13:
      return { type: 'UD', data };
    default:
      return { type: 'MD', data };
  }
}

function randomUnicast(p: Prng): Mac {
  const b = p.bytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export class FrameFuzzer {
  readonly prng: Prng;
  private readonly etherType: number;
  private readonly maxSdu: number;
  private readonly addresses: string[];
  private readonly weights: [FuzzLayer, number][];

  constructor(readonly opts: FrameFuzzerOptions) {
    this.prng = new Prng(opts.seed);
    this.etherType = opts.etherType ?? ETHERTYPE_CONDIS;
    this.maxSdu = (opts.mtu ?? 1500) - 4 - 8;
    this.addresses = opts.addresses ?? [];
    this.weights = FUZZ_LAYERS.map((l) => [l, opts.weights?.[l] ?? 1]);
  }

  private src(): Mac {
    return this.prng.chance(this.opts.randomSourceRate ?? 0.02) ? randomUnicast(this.prng) : this.opts.source;
  }

  private frame(vpi: number, vci: number, sdu: Buffer, cell?: Partial<Frame['cell']>): Buffer {
    return emitFrame({
      dst: this.opts.target,
      src: this.src(),
      etherType: this.etherType,
      cell: { ...cellHeader(vpi, vci), ...cell },
      uu: 0,
      cpi: 0,
      sdu: sdu.length > this.maxSdu ? sdu.subarray(0, this.maxSdu) : sdu,
    });
  }

  /** a valid frame of some kind (signalling, discovery or data), the base that layers mutate */
  private validFrame(): Buffer {
    const p = this.prng;
    const k = p.int(3);
    if (k === 0) return this.frame(0, VCI_SIGNALLING, emitPdu(randomPdu(p, p.chance(0.5) ? fuzzMessage(p, this.addresses) : undefined)));
    if (k === 1) return this.frame(0, VCI_DISCOVERY, this.announcement());
    return this.frame(0, p.range(32, 300), p.bytes(p.length(this.maxSdu)));
  }

  private announcement(): Buffer {
    const p = this.prng;
    const addresses = Array.from({ length: p.int(4) }, () => (this.addresses.length && p.chance(0.5) ? p.pick(this.addresses) : String(p.range(1, 99999))));
    return emitAnnouncement({ version: 1, mac: this.opts.source, role: p.pick(['auto', 'user', 'network'] as const), holdTimeS: p.int(20), addresses });
  }

  /** one hostile frame */
  next(): FuzzFrame {
    const p = this.prng;
    const layer = p.weighted(this.weights);
    return { layer, frame: this.make(layer) };
  }

  make(layer: FuzzLayer): Buffer {
    const p = this.prng;
    const mtuFrame = this.maxSdu + 4 + 8 + 14;
    switch (layer) {
      case 'random': {
        const b = p.bytes(p.length(mtuFrame));
        if (p.chance(0.7) && b.length >= 14) {
          // past the Ethernet checks, so the cell/AAL5 decoder sees it
          Buffer.from(this.opts.target.split(':').map((x) => parseInt(x, 16))).copy(b, 0);
          Buffer.from(this.opts.source.split(':').map((x) => parseInt(x, 16))).copy(b, 6);
          b.writeUInt16BE(this.etherType, 12);
        }
        return b;
      }
      case 'ethernet': {
        const f = this.validFrame();
        // header octets only: destination (broadcast, multicast, ours, another), source (ours, broadcast, zero), EtherType
        const k = p.int(4);
        if (k === 0) f.fill(p.pick([0xff, 0x00, 0x01]), 0, 6);
        else if (k === 1) f.fill(p.pick([0xff, 0x00]), 6, 12);
        else if (k === 2) f.writeUInt16BE(p.pick([0x0800, 0x86dd, this.etherType ^ 1, 0x8100]), 12);
        else return f.subarray(0, p.int(20));
        return f;
      }
      case 'cell': {
        const sdu = p.chance(0.5) ? emitPdu(randomPdu(p)) : p.bytes(p.length(200));
        const vci = p.pick([0, 1, 3, 4, 5, 5, 16, 31, 32, 33, 0xffff, p.int(0x10000)]);
        return this.frame(p.chance(0.8) ? 0 : p.int(256), vci, sdu, { gfc: p.int(16), pti: p.int(8), clp: p.int(2) });
      }
      case 'aal5': {
        const f = this.validFrame();
        const sduLen = f.length >= 26 ? f.length : 26;
        const k = p.int(4);
        if (k === 0) {
          // trailer fields: Length (find the trailer through emitFrame's layout: it follows the SDU)
          const lenAt = this.findTrailer(f);
          if (lenAt >= 0) f.writeUInt16BE(p.pick([0, 1, 0xffff, f.readUInt16BE(lenAt) + p.range(-8, 8) & 0xffff, p.int(0x10000)]), lenAt);
          return f;
        }
        if (k === 1) return mutateBytes(p, f, mtuFrame); // anywhere, CRC left as it was
        if (k === 2) return f.subarray(0, p.int(Math.min(f.length, sduLen) + 1));
        return Buffer.concat([f, p.bytes(p.length(64))]); // octets after the PDU that are not padding
      }
      case 'sscop': {
        const base = emitPdu(randomPdu(p, p.chance(0.3) ? fuzzMessage(p, this.addresses) : undefined));
        return this.frame(0, VCI_SIGNALLING, p.chance(0.6) ? mutateBytes(p, base, this.maxSdu) : base);
      }
      case 'q2931': {
        const ns = p.chance(0.5) ? p.int(8) : p.int(0x1000000);
        return this.frame(0, VCI_SIGNALLING, emitPdu({ type: 'SD', ns, data: fuzzMessage(p, this.addresses) }));
      }
      case 'discovery': {
        const a = this.announcement();
        return this.frame(0, VCI_DISCOVERY, p.chance(0.7) ? mutateBytes(p, a, 600) : a);
      }
      case 'data':
        return this.frame(p.chance(0.9) ? 0 : p.int(256), p.range(32, 400), p.bytes(p.length(this.maxSdu)));
    }
  }

  /** offset of the AAL5 Length field in a frame emitFrame built (the SDU length is not kept: search from the end) */
  private findTrailer(f: Buffer): number {
    for (let t = f.length - 8; t >= SDU_OFFSET; t--) if (f.readUInt16BE(t + 2) === t - SDU_OFFSET) return t + 2;
    return -1;
  }
}
