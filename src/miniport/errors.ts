/**
 * Typed errors of the miniport layer. Every failure to open a backend is a
 * `MiniportError` whose `code` is stable (for programs and tests) and whose
 * message names the backend, the device or address, and what the kernel or
 * library said.
 */
export type MiniportErrorCode =
  /** the configuration itself is wrong (bad MAC, MTU out of range, empty peer list, ...) */
  | 'BAD_CONFIG'
  /** the named device or namespace does not exist */
  | 'NO_DEVICE'
  /** the device exists but is already attached to another process or instance */
  | 'DEVICE_BUSY'
  /** the device exists but is of the wrong kind (e.g. not a TAP) */
  | 'WRONG_DEVICE'
  /** not allowed (needs root / CAP_NET_ADMIN / CAP_NET_RAW) */
  | 'PERMISSION'
  /** the native helper or a required package is missing or failed to load */
  | 'UNAVAILABLE'
  /** a system call or command failed in some other way */
  | 'SYSTEM';

export class MiniportError extends Error {
  override readonly name = 'MiniportError';
  constructor(
    readonly code: MiniportErrorCode,
    message: string,
    /** the errno name the kernel returned (EBUSY, EPERM, ...), when there was one */
    readonly errno?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Map an errno name from a failed system call to a MiniportErrorCode. */
export function codeForErrno(errno: string | undefined): MiniportErrorCode {
  switch (errno) {
    case 'EBUSY':
      return 'DEVICE_BUSY';
    case 'EPERM':
    case 'EACCES':
      return 'PERMISSION';
    case 'ENODEV':
    case 'ENOENT':
    case 'ENXIO':
      return 'NO_DEVICE';
    default:
      return 'SYSTEM';
  }
}
