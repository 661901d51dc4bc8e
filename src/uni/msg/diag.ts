/**
 * Cause diagnostics: their form depends on the cause value (Q.2931 / Q.2610
 * cause table). Call control builds them when it reports an error (STATUS 96,
 * 99, 100 naming IEs; 97, 101 naming the message type; 102 naming the timer)
 * and logs read them back. `CauseIe.diagnostic` stays raw octets; these are
 * helpers on top, pure and never throwing.
 */
import { causeName, ieName, locationName, messageName } from './names.js';
import type { CauseIe } from './types.js';

export type DiagnosticKind = 'ie-list' | 'message-type' | 'timer' | 'vpci-vci' | 'condition' | 'raw';

/** How the diagnostic of each cause value is coded (causes not listed: raw octets). */
export function diagnosticKind(cause: number): DiagnosticKind {
  switch (cause) {
    case 43: // access information discarded
    case 96: // mandatory IE missing
    case 99: // IE non-existent or not implemented
    case 100: // invalid IE contents
      return 'ie-list';
    case 97: // message type non-existent
    case 98: // message not compatible with call state or non-existent
    case 101: // message not compatible with call state
      return 'message-type';
    case 102: // recovery on timer expiry
      return 'timer';
    case 82: // identified channel does not exist
      return 'vpci-vci';
    case 1: // unallocated number
    case 3: // no route to destination
    case 16: // normal call clearing
    case 49: // QoS unavailable
      return 'condition';
    default:
      return 'raw';
  }
}

export type Diagnostic =
  | { kind: 'ie-list'; ids: number[] }
  | { kind: 'message-type'; type: number }
  | { kind: 'timer'; timer: string }
  | { kind: 'vpci-vci'; vpci: number; vci: number }
  | { kind: 'condition'; condition: number }
  | { kind: 'raw'; octets: Buffer };

/** At most this many IE identifiers go into one diagnostic (call control has always cut the list here). */
export const MAX_DIAGNOSTIC_IES = 24;

/** Diagnostic for causes 43/96/99/100: the identifiers of the IEs concerned (the first MAX_DIAGNOSTIC_IES). */
export function ieListDiagnostic(ids: readonly number[]): Buffer {
  const n = Math.min(ids.length, MAX_DIAGNOSTIC_IES);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = ids[i] & 0xff;
  return b;
}

/** Diagnostic for causes 97/98/101: the message type received. */
export function messageTypeDiagnostic(type: number): Buffer {
  return Buffer.from([type & 0xff]);
}

/** Diagnostic for cause 102: the timer number as three IA5 characters ("308"). */
export function timerDiagnostic(timer: number | string): Buffer {
  return Buffer.from(String(timer).padStart(3, '0').slice(-3), 'latin1');
}

/** Diagnostic for cause 82: VPCI and VCI, 16 bits each. */
export function vpciVciDiagnostic(vpci: number, vci: number): Buffer {
  return Buffer.from([(vpci >> 8) & 0xff, vpci & 0xff, (vci >> 8) & 0xff, vci & 0xff]);
}

/**
 * Read a diagnostic according to its cause. A diagnostic whose length does
 * not fit its cause's form comes back raw; an empty one is raw and empty.
 */
export function parseDiagnostic(cause: number, diag: Buffer): Diagnostic {
  if (diag.length > 0) {
    switch (diagnosticKind(cause)) {
      case 'ie-list':
        return { kind: 'ie-list', ids: Array.from(diag) };
      case 'message-type':
        if (diag.length === 1) return { kind: 'message-type', type: diag[0] };
        break;
      case 'timer':
        if (diag.length === 3 && diag.every((c) => c >= 0x20 && c < 0x7f))
          return { kind: 'timer', timer: diag.toString('latin1') };
        break;
      case 'vpci-vci':
        if (diag.length === 4) return { kind: 'vpci-vci', vpci: diag.readUInt16BE(0), vci: diag.readUInt16BE(2) };
        break;
      case 'condition':
        if (diag.length === 1) return { kind: 'condition', condition: diag[0] & 0x03 };
        break;
      case 'raw':
        break;
    }
  }
  return { kind: 'raw', octets: Buffer.from(diag) };
}

/** One line for logs: "cause 102 recovery on timer expiry (timer 308), location user". */
export function describeCause(ie: Pick<CauseIe, 'cause' | 'location' | 'diagnostic'>): string {
  const d = parseDiagnostic(ie.cause, ie.diagnostic);
  let extra = '';
  switch (d.kind) {
    case 'ie-list':
      extra = ` (${d.ids.map(ieName).join(', ')})`;
      break;
    case 'message-type':
      extra = ` (${messageName(d.type)})`;
      break;
    case 'timer':
      extra = ` (timer ${d.timer})`;
      break;
    case 'vpci-vci':
      extra = ` (VPCI ${d.vpci}, VCI ${d.vci})`;
      break;
    case 'condition':
      extra = ` (condition ${d.condition})`;
      break;
    case 'raw':
      if (d.octets.length > 0) extra = ` (diagnostic ${d.octets.toString('hex')})`;
      break;
  }
  return `cause ${ie.cause} ${causeName(ie.cause)}${extra}, location ${locationName(ie.location)}`;
}
