/**
 * ATM addresses as people write them (see `AtmAddress` in src/uni/api.ts):
 * digits only, optionally with a leading '+', is an E.164 number; 40 hex digits
 * (dots allowed as separators) is an AESA/NSAP. Canonical form: E.164 digits
 * without '+', AESA lower-case hex without dots.
 */
import type { AtmAddress } from '../uni/api.js';

const E164_RE = /^\+?\d{1,15}$/;
const AESA_RE = /^[0-9a-f]{40}$/;

/** The canonical address, or an error message saying what is wrong with it. */
export function parseAtmAddress(input: string | number): { ok: true; value: AtmAddress } | { ok: false; message: string } {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) return { ok: false, message: `${input} is not an ATM address (E.164 digits or 40 hex digits)` };
    input = String(input);
  }
  const s = input.trim();
  if (E164_RE.test(s)) return { ok: true, value: s.replace(/^\+/, '') };
  const hex = s.replaceAll('.', '').toLowerCase();
  if (AESA_RE.test(hex)) return { ok: true, value: hex };
  if (/^\+?\d+$/.test(s)) return { ok: false, message: `"${input}" has ${s.replace('+', '').length} digits; an E.164 number has at most 15` };
  if (/^[0-9a-fA-F.]+$/.test(s)) return { ok: false, message: `"${input}" has ${hex.length} hex digits; an AESA has exactly 40` };
  return { ok: false, message: `"${input}" is not an ATM address (E.164 digits like 1001, or an AESA of 40 hex digits)` };
}

export function isAtmAddress(input: string): boolean {
  return parseAtmAddress(input).ok;
}
