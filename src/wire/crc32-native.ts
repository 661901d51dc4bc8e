/**
 * The AAL5 CRC-32 from the N-API helper (native/condis_tap.cc, built by
 * `npm ci`), for long spans: with carry-less multiplication (PCLMULQDQ, on
 * x86-64 CPUs that have it) 1032 octets take ~0.2 us instead of ~1 us in the
 * table loop of crc32.ts (slicing by 16 octets where the CPU lacks it), but
 * each call into the helper costs ~0.1 us, so crc32.ts hands it only spans of
 * at least `NATIVE_CRC_FROM` octets (bench: data, 1024-octet SDUs: two CRC
 * passes per frame, one each way).
 *
 * Loaded once, on the first long span; when the helper is not built, fails to
 * load or predates the function (or CONDIS_NATIVE_CRC=0), crc32.ts keeps its
 * own loop: the result is the same octets either way (test/wire/crc32.test.ts
 * compares them).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { packagePath } from '../common/package-root.js';

/** the register (not complemented) continued over buf[start, end); bounds clamped to the array */
export type CrcUpdate = (reg: number, buf: Uint8Array, start: number, end: number) => number;

/** spans shorter than this stay in JavaScript (about where the two cost the same: 128 to 256 octets) */
export const NATIVE_CRC_FROM = 192;

let loaded: CrcUpdate | null | undefined;
let tables: CrcUpdate | null = null;

/** the helper's CRC function, or null when there is none */
export function nativeCrc(): CrcUpdate | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env.CONDIS_NATIVE_CRC === '0') return loaded;
  try {
    const path = packagePath('native', 'build', 'Release', 'condis_tap.node');
    if (!existsSync(path)) return loaded;
    const addon = createRequire(import.meta.url)(path) as { crc32Aal5Update?: unknown; crc32Aal5UpdateTables?: unknown };
    if (typeof addon.crc32Aal5Update === 'function') loaded = addon.crc32Aal5Update as CrcUpdate;
    if (typeof addon.crc32Aal5UpdateTables === 'function') tables = addon.crc32Aal5UpdateTables as CrcUpdate;
  } catch {
    // not built for this platform or this Node: the JavaScript loop does it
  }
  return loaded;
}

/** the helper's table loop alone (no PCLMULQDQ), for the tests; null when there is no helper */
export function nativeCrcTables(): CrcUpdate | null {
  nativeCrc();
  return tables;
}
