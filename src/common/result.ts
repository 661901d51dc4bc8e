/**
 * Decoders in this project never throw on bad input: they return a Result.
 * `ok(value)` for a decoded value, `err(error)` for a typed decode error.
 */
export type Result<T, E = DecodeError> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

/** The layer whose decoder produced a DecodeError (used for drop counters by reason). */
export type DecodeLayer = 'ethernet' | 'cell' | 'aal5' | 'sscop' | 'uni' | 'discovery' | 'pcap' | 'control';

/**
 * A typed decode error: which layer, a stable machine-readable code (used as the
 * drop-counter key), the byte offset in the input where the problem was found,
 * and a human-readable message that names what was wrong.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly layer: DecodeLayer,
    readonly code: string,
    readonly offset: number,
    message: string,
  ) {
    super(`${layer}: ${message} (at offset ${offset})`);
  }
}
