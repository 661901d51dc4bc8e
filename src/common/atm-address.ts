/**
 * ATM addresses as people write them, in one place: digits only, optionally with a
 * leading '+', is an E.164 number (at most 15 digits); 40 hex digits (dots allowed
 * as separators) is an AESA/NSAP. Canonical form: E.164 digits without '+', AESA
 * lower-case hex without dots. The configuration, the control protocol, call
 * control and the switch all compare addresses in this form.
 */

const E164_RE = /^\+?[0-9]{1,15}$/;
const AESA_RE = /^[0-9a-f]{40}$/;

/** Which form an address has, with its canonical value; undefined when it is neither. */
export type AtmAddressForm = { plan: 'e164'; value: string } | { plan: 'aesa'; value: string };

export function atmAddressForm(a: string): AtmAddressForm | undefined {
  if (E164_RE.test(a)) return { plan: 'e164', value: a.replace('+', '') };
  const hex = a.replaceAll('.', '').toLowerCase();
  return AESA_RE.test(hex) ? { plan: 'aesa', value: hex } : undefined;
}

/** The canonical form of a well-formed address; anything else comes back unchanged (the peer refuses it). */
export function canonicalAddress(a: string): string {
  return atmAddressForm(a)?.value ?? a;
}

/** The canonical address, or an error message saying what is wrong with it (for configuration and CLI input). */
export function parseAtmAddress(input: string | number): { ok: true; value: string } | { ok: false; message: string } {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) return { ok: false, message: `${input} is not an ATM address (E.164 digits or 40 hex digits)` };
    input = String(input);
  }
  const s = input.trim();
  const form = atmAddressForm(s);
  if (form) return { ok: true, value: form.value };
  const hex = s.replaceAll('.', '').toLowerCase();
  if (/^\+?\d+$/.test(s)) return { ok: false, message: `"${input}" has ${s.replace('+', '').length} digits; an E.164 number has at most 15` };
  if (/^[0-9a-fA-F.]+$/.test(s)) return { ok: false, message: `"${input}" has ${hex.length} hex digits; an AESA has exactly 40` };
  return { ok: false, message: `"${input}" is not an ATM address (E.164 digits like 1001, or an AESA of 40 hex digits)` };
}

export function isAtmAddress(input: string): boolean {
  return parseAtmAddress(input).ok;
}
