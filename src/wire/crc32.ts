/**
 * The AAL5 CRC-32 (ITU-T I.363.5): generator 0x04C11DB7, processed most
 * significant bit first (not reflected), register preset to all ones, result
 * complemented. The same parameters are known elsewhere as CRC-32/BZIP2; the
 * check value of the ASCII string "123456789" is 0xFC891918.
 *
 * Table-driven, eight octets per step; spans of at least NATIVE_CRC_FROM
 * octets go to the native helper when it is built (crc32-native.ts).
 */
import { NATIVE_CRC_FROM, nativeCrc } from './crc32-native.js';

const POLY = 0x04c11db7;

/**
 * T[0][i]: the register contribution of a top octet i shifted through 8
 * steps; T[k][i]: the same followed by k zero octets. Eight tables let the
 * loop consume eight octets per step ("slicing by 8", about twice the speed
 * of four per step); the result is the same as the one-octet loop, which
 * handles the tail. Int32Array: the XORs stay small integers, no boxing.
 */
const T: Int32Array[] = (() => {
  const t = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ POLY : c << 1;
    t[0]![i] = c;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const p = t[k - 1]![i]!;
      t[k]![i] = (p << 8) ^ t[0]![p >>> 24]!;
    }
  }
  return t;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = T as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];

/**
 * Continue a CRC register over buf[start, end). `reg` is the raw register
 * (not complemented); start from 0xffffffff. Exposed so a caller can run the
 * CRC over discontiguous pieces without copying them together.
 */
export function crc32Aal5Update(reg: number, buf: Uint8Array, start: number, end: number): number {
  if (end - start >= NATIVE_CRC_FROM) {
    const native = nativeCrc();
    if (native) return native(reg >>> 0, buf, Math.max(0, start), Math.max(0, end));
  }
  return crc32Aal5UpdateJs(reg, buf, start, end);
}

/** crc32Aal5Update in JavaScript only, whatever the span (the reference the native one is tested against) */
export function crc32Aal5UpdateJs(reg: number, buf: Uint8Array, start: number, end: number): number {
  let c = reg | 0;
  let i = start;
  for (const stop = end - 7; i < stop; i += 8) {
    c ^= (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
    c =
      T7[c >>> 24]! ^
      T6[(c >>> 16) & 0xff]! ^
      T5[(c >>> 8) & 0xff]! ^
      T4[c & 0xff]! ^
      T3[buf[i + 4]!]! ^
      T2[buf[i + 5]!]! ^
      T1[buf[i + 6]!]! ^
      T0[buf[i + 7]!]!;
  }
  for (; i < end; i++) c = (c << 8) ^ T0[((c >>> 24) ^ buf[i]!) & 0xff]!;
  return c >>> 0;
}

/**
 * The AAL5 CRC-32 of buf[start, end) as an unsigned 32-bit number (the value
 * that goes big-endian into the last four octets of the CPCS-PDU trailer).
 * Out-of-range bounds are clamped to the buffer.
 */
export function crc32Aal5(buf: Uint8Array, start = 0, end = buf.length): number {
  const s = Math.max(0, Math.min(start, buf.length));
  const e = Math.max(s, Math.min(end, buf.length));
  return (crc32Aal5Update(0xffffffff, buf, s, e) ^ 0xffffffff) >>> 0;
}
