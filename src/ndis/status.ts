/**
 * NDIS_STATUS codes used by CoNDIS, with their numeric values (WDK 7.1 ndis.h)
 * and printable names. Compare statuses with `===`; never test severity bits.
 */
export const NdisStatus = {
  SUCCESS: 0x00000000,
  PENDING: 0x00000103,
  NOT_RECOGNIZED: 0x00010001,
  NOT_COPIED: 0x00010002,
  NOT_ACCEPTED: 0x00010003,
  CALL_ACTIVE: 0x00010007,
  FAILURE: 0xc0000001,
  INVALID_PARAMETER: 0xc000000d,
  INVALID_DEVICE_REQUEST: 0xc0000010,
  RESOURCES: 0xc000009a,
  NOT_SUPPORTED: 0xc00000bb,
  INVALID_STATE: 0xc0000184,
  CLOSING: 0xc0010002,
  REQUEST_ABORTED: 0xc001000c,
  CLOSING_INDICATING: 0xc001000e,
  INVALID_LENGTH: 0xc0010014,
  INVALID_DATA: 0xc0010015,
  BUFFER_TOO_SHORT: 0xc0010016,
  INVALID_SAP: 0xc0010020,
  SAP_IN_USE: 0xc0010021,
  INVALID_ADDRESS: 0xc0010022,
  VC_NOT_ACTIVATED: 0xc0010023,
  DEST_OUT_OF_ORDER: 0xc0010024,
  VC_NOT_AVAILABLE: 0xc0010025,
  CELLRATE_NOT_AVAILABLE: 0xc0010026,
  INCOMPATABLE_QOS: 0xc0010027,
  AAL_PARAMS_UNSUPPORTED: 0xc0010028,
  NO_ROUTE_TO_DESTINATION: 0xc0010029,
} as const;

export type NdisStatusName = keyof typeof NdisStatus;
/** An NDIS_STATUS value (unsigned 32-bit). */
export type NdisStatus = number;

/** The newer spelling of INCOMPATABLE_QOS (same value). */
export const NDIS_STATUS_INCOMPATIBLE_QOS = NdisStatus.INCOMPATABLE_QOS;

const NAMES = new Map<number, NdisStatusName>(
  (Object.entries(NdisStatus) as [NdisStatusName, number][]).map(([k, v]) => [v, k]),
);

/** "NDIS_STATUS_INVALID_DATA (0xc0010015)"; unknown values print as hex. */
export function statusName(status: NdisStatus): string {
  const n = NAMES.get(status >>> 0);
  const hex = `0x${(status >>> 0).toString(16).padStart(8, '0')}`;
  return n ? `NDIS_STATUS_${n} (${hex})` : hex;
}

/** The bare name ("INVALID_DATA") or undefined. */
export function statusKey(status: NdisStatus): NdisStatusName | undefined {
  return NAMES.get(status >>> 0);
}

/**
 * Q.2931 cause -> NDIS_STATUS, per the cause comments in ndis.h. Normal clearing
 * (16, 31) maps to SUCCESS; anything unlisted to FAILURE.
 */
export function statusFromCause(cause: number): NdisStatus {
  switch (cause) {
    case 16:
    case 31:
      return NdisStatus.SUCCESS;
    case 27:
      return NdisStatus.DEST_OUT_OF_ORDER;
    case 3:
      return NdisStatus.NO_ROUTE_TO_DESTINATION;
    case 35:
    case 45:
      return NdisStatus.VC_NOT_AVAILABLE;
    case 37:
      return NdisStatus.CELLRATE_NOT_AVAILABLE;
    case 49:
      return NdisStatus.INCOMPATABLE_QOS;
    case 93:
      return NdisStatus.AAL_PARAMS_UNSUPPORTED;
    case 1:
    case 28:
      return NdisStatus.INVALID_ADDRESS;
    case 47:
      return NdisStatus.RESOURCES;
    default:
      return NdisStatus.FAILURE;
  }
}

/** A failed request must never report SUCCESS: normal causes on a failed make-call/add-party become FAILURE. */
export function failureFromCause(cause: number): NdisStatus {
  const s = statusFromCause(cause);
  return s === NdisStatus.SUCCESS ? NdisStatus.FAILURE : s;
}

/** NDIS_STATUS -> the Q.2931 cause a call manager signals when it clears for that reason. */
export function causeFromStatus(status: NdisStatus): number {
  switch (status) {
    case NdisStatus.SUCCESS:
      return 16;
    case NdisStatus.DEST_OUT_OF_ORDER:
      return 27;
    case NdisStatus.NO_ROUTE_TO_DESTINATION:
      return 3;
    case NdisStatus.VC_NOT_AVAILABLE:
      return 45;
    case NdisStatus.CELLRATE_NOT_AVAILABLE:
      return 37;
    case NdisStatus.INCOMPATABLE_QOS:
      return 49;
    case NdisStatus.AAL_PARAMS_UNSUPPORTED:
      return 93;
    case NdisStatus.RESOURCES:
      return 47;
    case NdisStatus.NOT_SUPPORTED:
      return 63;
    default:
      return 21; // call rejected
  }
}
