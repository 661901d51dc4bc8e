/** MAC addresses are carried as lower-case colon-separated strings ("02:00:5e:00:00:01") above the wire codec. */
import { NumberMap } from './number-map.js';

export type Mac = string;

export const BROADCAST_MAC: Mac = 'ff:ff:ff:ff:ff:ff';

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function isMac(s: string): boolean {
  return MAC_RE.test(s.toLowerCase());
}

export function macToBuffer(mac: Mac, out: Buffer = Buffer.allocUnsafe(6), offset = 0): Buffer {
  for (let i = 0; i < 6; i++) out[offset + i] = parseInt(mac.substr(i * 3, 2), 16);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function macFromBuffer(buf: Buffer, offset = 0): Mac {
  return `${HEX[buf[offset]!]}:${HEX[buf[offset + 1]!]}:${HEX[buf[offset + 2]!]}:${HEX[buf[offset + 3]!]}:${HEX[buf[offset + 4]!]}:${HEX[buf[offset + 5]!]}`;
}

/** A MAC address as one 48-bit number (exact in a double): the form the fast path compares and keys maps by. */
export type MacNumber = number;

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/** "aa:bb:cc:dd:ee:ff" (either case) as a 48-bit number; RangeError when it is not such a string. */
export function macNumber(mac: Mac): MacNumber {
  if (typeof mac !== 'string' || mac.length !== 17) throw new RangeError(`not a MAC address: ${JSON.stringify(mac)}`);
  let n = 0;
  for (let i = 0; i < 6; i++) {
    const hi = hexDigit(mac.charCodeAt(i * 3));
    const lo = hexDigit(mac.charCodeAt(i * 3 + 1));
    if (hi < 0 || lo < 0 || (i < 5 && mac.charCodeAt(i * 3 + 2) !== 0x3a)) throw new RangeError(`not a MAC address: ${JSON.stringify(mac)}`);
    n = n * 256 + ((hi << 4) | lo);
  }
  return n;
}

/** the strings `macAt` has made, by MAC number; emptied when it reaches NAMES_AT_MOST (forged sources cannot grow it) */
const names = new NumberMap<Mac>();
const NAMES_AT_MOST = 4096;

/**
 * The MAC at `offset` as a string, the same string object each time for the same MAC: a frame's
 * source looked up per frame (the peer table, the allow-list) then neither builds a string nor
 * hashes a new one (V8 keeps a string's hash in the string).
 */
export function macAt(buf: Buffer, offset: number): Mac {
  const n = macNumberAt(buf, offset);
  let s = names.get(n);
  if (s === undefined) {
    if (names.size >= NAMES_AT_MOST) names.clear();
    s = macFromBuffer(buf, offset);
    names.set(n, s);
  }
  return s;
}

/** The six octets at `offset` as one 48-bit number (the caller has checked the length): a MAC compared per frame. */
export function macNumberAt(buf: Buffer, offset: number): MacNumber {
  return (buf[offset]! * 0x1000000 + ((buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!)) * 0x10000 + ((buf[offset + 4]! << 8) | buf[offset + 5]!);
}

/** Numeric comparison of two MACs: the lower MAC takes the network side of a link by default (docs/wire.md). */
export function compareMac(a: Mac, b: Mac): number {
  const x = a.replaceAll(':', '');
  const y = b.replaceAll(':', '');
  return x < y ? -1 : x > y ? 1 : 0;
}
