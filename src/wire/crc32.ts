/**
 * The AAL5 CRC-32 (ITU-T I.363.5): generator 0x04C11DB7, processed most
 * significant bit first (not reflected), register preset to all ones, result
 * complemented. The same parameters are known elsewhere as CRC-32/BZIP2; the
 * check value of the ASCII string "123456789" is 0xFC891918.
 *
 * Table-driven, one table lookup per octet.
 */

const POLY = 0x04c11db7;

/** CRC_TABLE[i] = the register contribution of the top octet i, shifted through 8 steps. */
const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ POLY : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/**
 * Continue a CRC register over buf[start, end). `reg` is the raw register
 * (not complemented); start from 0xffffffff. Exposed so a caller can run the
 * CRC over discontiguous pieces without copying them together.
 */
export function crc32Aal5Update(reg: number, buf: Uint8Array, start: number, end: number): number {
  let c = reg >>> 0;
  for (let i = start; i < end; i++) c = ((c << 8) ^ CRC_TABLE[((c >>> 24) ^ buf[i]!) & 0xff]!) >>> 0;
  return c;
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
