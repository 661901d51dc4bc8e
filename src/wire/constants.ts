/**
 * Numbers of the v1 wire format (docs/wire.md). Everything that puts a frame on
 * the wire or reads one back takes its sizes and channel numbers from here.
 */

/** IEEE 802 Local Experimental EtherType 1: our default (configurable per link). */
export const ETHERTYPE_CONDIS = 0x88b5;

/** VPI 0 / VCI 5: Q.2931 signalling carried in SSCOP (Q.2110) PDUs. */
export const VCI_SIGNALLING = 5;
/** VPI 0 / VCI 16: neighbour discovery (ILMI's channel, our content: see discovery.ts). */
export const VCI_DISCOVERY = 16;
/** First VCI the network side may assign to a user VC. */
export const VCI_FIRST_USER = 32;

/** Ethernet II header: destination MAC, source MAC, EtherType. */
export const ETH_HEADER_LEN = 14;
/** Smallest Ethernet frame without FCS; shorter frames are padded by the sender. */
export const ETH_MIN_FRAME = 60;
/** The usual Ethernet payload size (MTU). */
export const ETH_DEFAULT_MTU = 1500;

/** The ATM UNI cell header without HEC: GFC:4 VPI:8 | VCI:16 | PTI:3 CLP:1. */
export const CELL_HEADER_LEN = 4;
/** The AAL5 CPCS trailer: CPCS-UU:8 CPI:8 Length:16 CRC-32:32. */
export const AAL5_TRAILER_LEN = 8;

/** Offset of the cell header in a frame. */
export const CELL_OFFSET = ETH_HEADER_LEN;
/** Offset of the first SDU octet in a frame. */
export const SDU_OFFSET = ETH_HEADER_LEN + CELL_HEADER_LEN;
/** Octets a frame adds around its SDU: Ethernet header + cell header + AAL5 trailer (26). */
export const FRAME_OVERHEAD = ETH_HEADER_LEN + CELL_HEADER_LEN + AAL5_TRAILER_LEN;
/** The AAL5 Length field is 16 bits: no SDU can be longer, whatever the MTU. */
export const AAL5_MAX_SDU = 0xffff;

/**
 * Largest AAL5 SDU one frame carries on a medium with this Ethernet MTU
 * (payload size): the MTU less the cell header and the AAL5 trailer.
 * 1488 at the standard 1500; never more than the 16-bit Length allows,
 * never negative.
 */
export function maxSdu(mtu: number = ETH_DEFAULT_MTU): number {
  return Math.max(0, Math.min(AAL5_MAX_SDU, Math.floor(mtu) - CELL_HEADER_LEN - AAL5_TRAILER_LEN));
}

/** Largest SDU at the default MTU (1488). */
export const MAX_SDU_DEFAULT = maxSdu(ETH_DEFAULT_MTU);
