/**
 * Neighbour discovery announcements: the AAL5 SDU on VPI 0 / VCI 16 (ILMI's
 * channel; the content is ours, docs/wire.md "Discovery"). A host sends one at
 * start and every few seconds to the broadcast MAC; a host that hears one may
 * start SSCOP (BGN) with the sender.
 *
 * Layout, version 1 (all integers big-endian):
 *
 * | offset | size | field                                                        |
 * |--------|------|--------------------------------------------------------------|
 * | 0      | 1    | version = 1                                                  |
 * | 1      | 1    | role preference: 0 auto, 1 network, 2 user                   |
 * | 2      | 2    | hold time in seconds; 0 = the sender is leaving, forget it   |
 * | 4      | 6    | the sender's MAC (the source MAC of its frames)              |
 * | 10     | 1    | N = number of ATM addresses (0..255)                         |
 * | 11     | ...  | N times: 1 octet length (1..255), then that many octets of   |
 * |        |      | printable ASCII (0x20..0x7E): the address as text, e.g. an   |
 * |        |      | AESA in dotted hex "47.0005.80ffe1000000f21a2a7f.0020481a2a7f.00" or E.164 digits |
 *
 * Nothing follows the last address (trailing octets are an error). A change
 * of layout bumps the version; a receiver refuses versions it does not know.
 * The Lua dissector (wireshark/condis.lua) decodes the same table.
 */
import { DecodeError, err, ok, type Result } from '../common/result.js';
import { macFromBuffer, macToBuffer, type Mac } from '../common/mac.js';

export const DISCOVERY_VERSION = 1;
/** Octets before the first address. */
export const DISCOVERY_FIXED_LEN = 11;
export const DISCOVERY_MAX_ADDRESSES = 255;
export const DISCOVERY_MAX_ADDRESS_LEN = 255;

export type RolePreference = 'auto' | 'network' | 'user';

/** Role preference code points, in wire order. */
export const ROLE_CODES: Readonly<Record<RolePreference, number>> = { auto: 0, network: 1, user: 2 };
const ROLE_BY_CODE: readonly RolePreference[] = ['auto', 'network', 'user'];

export interface Announcement {
  /** always DISCOVERY_VERSION when decoded */
  version: number;
  /** the sender's MAC, lower case */
  mac: Mac;
  role: RolePreference;
  /** seconds the receiver keeps the sender as a neighbour without a fresh announcement; 0 = leaving */
  holdTimeS: number;
  /** the sender's ATM addresses as text (printable ASCII, 1..255 octets each) */
  addresses: string[];
}

export type DiscoveryErrorCode =
  /** shorter than the 11 fixed octets */
  | 'discovery-short'
  /** a version this codec does not know */
  | 'discovery-version'
  /** role preference code other than 0, 1, 2 */
  | 'discovery-role'
  /** an address truncated, empty, or not printable ASCII */
  | 'discovery-address'
  /** octets after the last address */
  | 'discovery-trailing';

export class DiscoveryDecodeError extends DecodeError {
  declare readonly code: DiscoveryErrorCode;
  constructor(code: DiscoveryErrorCode, offset: number, message: string) {
    super('discovery', code, offset, message);
  }
}

const MAC_STRICT = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const PRINTABLE = /^[\x20-\x7e]{1,255}$/;

/** Octets `emitAnnouncement(a)` produces. */
export function announcementLength(a: Pick<Announcement, 'addresses'>): number {
  let n = DISCOVERY_FIXED_LEN;
  for (const s of a.addresses) n += 1 + s.length;
  return n;
}

/**
 * Encode an announcement (the version written is always DISCOVERY_VERSION).
 * Throws RangeError for an impossible record (bad MAC, hold time outside
 * 0..65535, more than 255 addresses, an address empty, longer than 255 or not
 * printable ASCII): a caller bug, not network input. Whether it fits the
 * medium's SDU size is the caller's check.
 */
export function emitAnnouncement(a: Announcement): Buffer {
  if (typeof a.mac !== 'string' || !MAC_STRICT.test(a.mac)) throw new RangeError(`emitAnnouncement: bad MAC ${JSON.stringify(a.mac)}`);
  if (!Number.isInteger(a.holdTimeS) || a.holdTimeS < 0 || a.holdTimeS > 0xffff) throw new RangeError(`emitAnnouncement: hold time ${a.holdTimeS} is not in 0..65535`);
  const role = ROLE_CODES[a.role];
  if (role === undefined) throw new RangeError(`emitAnnouncement: unknown role preference ${String(a.role)}`);
  if (a.addresses.length > DISCOVERY_MAX_ADDRESSES) throw new RangeError(`emitAnnouncement: ${a.addresses.length} addresses, at most ${DISCOVERY_MAX_ADDRESSES}`);
  for (const s of a.addresses) {
    if (typeof s !== 'string' || !PRINTABLE.test(s)) throw new RangeError(`emitAnnouncement: address ${JSON.stringify(s)} is not 1..255 printable ASCII characters`);
  }
  const out = Buffer.alloc(announcementLength(a));
  out[0] = DISCOVERY_VERSION;
  out[1] = role;
  out.writeUInt16BE(a.holdTimeS, 2);
  macToBuffer(a.mac.toLowerCase(), out, 4);
  out[10] = a.addresses.length;
  let o = DISCOVERY_FIXED_LEN;
  for (const s of a.addresses) {
    out[o++] = s.length;
    o += out.write(s, o, 'latin1');
  }
  return out;
}

function fail(code: DiscoveryErrorCode, offset: number, message: string) {
  return err(new DiscoveryDecodeError(code, offset, message));
}

/** Decode an announcement (the SDU of a VCI 16 frame). Never throws. */
export function parseAnnouncement(buf: Buffer): Result<Announcement, DiscoveryDecodeError> {
  if (buf.length < DISCOVERY_FIXED_LEN) {
    return fail('discovery-short', buf.length, `announcement of ${buf.length} octets, the fixed part alone is ${DISCOVERY_FIXED_LEN}`);
  }
  const version = buf[0]!;
  if (version !== DISCOVERY_VERSION) return fail('discovery-version', 0, `announcement version ${version}, this host speaks ${DISCOVERY_VERSION}`);
  const role = ROLE_BY_CODE[buf[1]!];
  if (role === undefined) return fail('discovery-role', 1, `role preference ${buf[1]} is none of 0 auto, 1 network, 2 user`);
  const holdTimeS = buf.readUInt16BE(2);
  const mac = macFromBuffer(buf, 4);
  const n = buf[10]!;
  const addresses: string[] = [];
  let o = DISCOVERY_FIXED_LEN;
  for (let i = 0; i < n; i++) {
    if (o >= buf.length) return fail('discovery-address', o, `address ${i + 1} of ${n} is missing`);
    const l = buf[o]!;
    if (l === 0) return fail('discovery-address', o, `address ${i + 1} has length 0`);
    if (o + 1 + l > buf.length) return fail('discovery-address', o, `address ${i + 1} claims ${l} octets, ${buf.length - o - 1} remain`);
    for (let k = o + 1; k < o + 1 + l; k++) {
      const c = buf[k]!;
      if (c < 0x20 || c > 0x7e) return fail('discovery-address', k, `address ${i + 1} has a non-printable octet 0x${c.toString(16).padStart(2, '0')}`);
    }
    addresses.push(buf.toString('latin1', o + 1, o + 1 + l));
    o += 1 + l;
  }
  if (o !== buf.length) return fail('discovery-trailing', o, `${buf.length - o} octets after the last address`);
  return ok({ version, mac, role, holdTimeS, addresses });
}
