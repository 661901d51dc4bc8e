/**
 * Typed control errors: what a backend throws, what the server answers, what
 * the client library rejects with. `code` is stable and machine-readable;
 * `ndisStatus` is present when an NDIS request failed with that status.
 */
import { NdisStatus, statusKey, type NdisStatusName } from '../ndis/status.js';

export type ControlErrorCode =
  /** the request line is not JSON */
  | 'bad-json'
  /** JSON, but not a request envelope ({ id, op, args }) */
  | 'bad-request'
  | 'unknown-op'
  /** the arguments are missing, of the wrong type or out of range */
  | 'bad-args'
  /** the request is not legal in the current state of the VC / party / SAP (ndisStatus says which status NDIS gave) */
  | 'wrong-state'
  /** no such VC / party / SAP / peer */
  | 'not-found'
  /** the NDIS request (or its completion) failed with ndisStatus */
  | 'failed'
  /** the request needs something the daemon does not offer (e.g. multipoint on this medium) */
  | 'unsupported'
  /** the client speaks a protocol version the server does not */
  | 'version'
  /** a request line longer than the limit; the server closes the connection */
  | 'line-too-long'
  /** the client could not keep up with its events; the server closes the connection */
  | 'overrun'
  /** a bug in the daemon; the request had no effect that the daemon knows of */
  | 'internal'
  /** client side: condisd is not running / the socket is missing or refuses connections */
  | 'not-running'
  /** client side: no permission to open the socket */
  | 'permission'
  /** client side: the connection closed before the response came */
  | 'closed'
  /** client side: no response within the timeout */
  | 'timeout';

/** An NDIS_STATUS as the protocol carries it: bare name ("INVALID_STATE") and unsigned value. */
export interface StatusInfo {
  name: NdisStatusName | 'UNKNOWN';
  value: number;
}

export function statusInfo(status: number | NdisStatusName): StatusInfo {
  if (typeof status === 'string') return { name: status, value: NdisStatus[status] };
  return { name: statusKey(status) ?? 'UNKNOWN', value: status >>> 0 };
}

/** "NDIS_STATUS_INVALID_STATE (0xc0000184)" */
export function formatStatus(s: StatusInfo): string {
  const hex = `0x${(s.value >>> 0).toString(16).padStart(8, '0')}`;
  return s.name === 'UNKNOWN' ? hex : `NDIS_STATUS_${s.name} (${hex})`;
}

export interface ControlErrorJson {
  code: ControlErrorCode;
  message: string;
  ndisStatus?: StatusInfo;
}

export class ControlError extends Error {
  override readonly name = 'ControlError';
  readonly ndisStatus: StatusInfo | undefined;

  constructor(
    readonly code: ControlErrorCode,
    message: string,
    ndisStatus?: StatusInfo | number | NdisStatusName,
  ) {
    super(message);
    this.ndisStatus = ndisStatus === undefined ? undefined : typeof ndisStatus === 'object' ? ndisStatus : statusInfo(ndisStatus);
  }

  /** A request refused in the current state: INVALID_STATE unless NDIS names another status (e.g. FAILURE for the last party). */
  static wrongState(message: string, status: number | NdisStatusName = 'INVALID_STATE'): ControlError {
    return new ControlError('wrong-state', message, status);
  }

  static notFound(message: string): ControlError {
    return new ControlError('not-found', message);
  }

  /** An NDIS request (or its completion) that ended with a non-SUCCESS status. */
  static failed(message: string, status: number | NdisStatusName): ControlError {
    return new ControlError('failed', message, status);
  }

  toJSON(): ControlErrorJson {
    return { code: this.code, message: this.message, ...(this.ndisStatus ? { ndisStatus: this.ndisStatus } : {}) };
  }

  static fromJSON(j: ControlErrorJson): ControlError {
    return new ControlError(j.code, j.message, j.ndisStatus);
  }

  /**
   * The message for people, with the status appended once when the message
   * does not already say what went wrong in NDIS or Q.2931 terms:
   * "drop-party: last party [NDIS_STATUS_FAILURE (0xc0000001)]", but
   * "call to 1002: NDIS_STATUS_NO_ROUTE_TO_DESTINATION" and
   * "call to 1002 rejected by host-b: cause 17 user busy" as they are.
   */
  describe(): string {
    if (!this.ndisStatus || /\bNDIS_STATUS_[A-Z_]+|\bcause \d+\b/.test(this.message)) return this.message;
    return `${this.message} [${formatStatus(this.ndisStatus)}]`;
  }
}
