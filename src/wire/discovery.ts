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
 *
 * Version 2 (authenticated, docs/security.md) is version 1's layout with 2 in
 * the first octet, followed by an authentication trailer:
 *
 * | size | field                                                                   |
 * |------|-------------------------------------------------------------------------|
 * | 1    | algorithm: 1 = HMAC-SHA256 with the lab key (no other value is defined) |
 * | 8    | timestamp: the sender's clock, milliseconds since 1970-01-01 UTC        |
 * | 32   | tag: HMAC-SHA256(key, every octet before the tag, from the version on)  |
 *
 * The codec only frames the trailer; whether the tag is right, and whether
 * the timestamp is fresh and new, is the verifier's call (discovery-auth.ts).
 * The Lua dissector (wireshark/condis.lua) decodes the same tables.
 */
import { DecodeError, err, ok, type Result } from '../common/result.js';
import { macFromBuffer, macToBuffer, type Mac } from '../common/mac.js';

export const DISCOVERY_VERSION = 1;
/** the authenticated layout: version 1's fields, then algorithm, timestamp and tag */
export const DISCOVERY_VERSION_AUTH = 2;
/** algorithm id of HMAC-SHA256 over the announcement with the lab key */
export const AUTH_HMAC_SHA256 = 1;
export const AUTH_TAG_LEN = 32;
/** algorithm (1) + timestamp (8) + tag (32) */
export const AUTH_TRAILER_LEN = 1 + 8 + AUTH_TAG_LEN;
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
  /** version 2 only: the authentication trailer as received (not verified by the codec) */
  auth?: AnnouncementAuth;
}

export interface AnnouncementAuth {
  /** AUTH_HMAC_SHA256 */
  algorithm: number;
  /** the sender's clock when it sent this, ms since the epoch */
  timestampMs: number;
  /** the HMAC as received (AUTH_TAG_LEN octets) */
  tag: Buffer;
  /** the octets the tag covers: the whole announcement up to the tag */
  signed: Buffer;
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
  | 'discovery-trailing'
  /** version 2: the authentication trailer is missing, cut short or too long */
  | 'discovery-auth-length'
  /** version 2: an algorithm id other than HMAC-SHA256 (1) */
  | 'discovery-algorithm'
  /** version 2: a timestamp beyond 2^53 ms */
  | 'discovery-timestamp';

export class DiscoveryDecodeError extends DecodeError {
  declare readonly code: DiscoveryErrorCode;
  constructor(code: DiscoveryErrorCode, offset: number, message: string) {
    super('discovery', code, offset, message);
  }
}

const MAC_STRICT = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const PRINTABLE = /^[\x20-\x7e]{1,255}$/;

/** Octets `emitAnnouncement(a)` produces (version 1; version 2 adds AUTH_TRAILER_LEN). */
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
  return writeBody(a, DISCOVERY_VERSION, 0);
}

/**
 * Encode an authenticated announcement (version 2): the fields as
 * emitAnnouncement, then algorithm HMAC-SHA256, `timestampMs` and the tag
 * `sign` computes over every octet before it (discovery-auth.ts's
 * `announcementTag` with the lab key). Throws RangeError as emitAnnouncement,
 * and for a timestamp that is not a whole number of ms in 0..2^53.
 */
export function emitSignedAnnouncement(a: Omit<Announcement, 'version' | 'auth'>, timestampMs: number, sign: (signed: Buffer) => Buffer): Buffer {
  if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) throw new RangeError(`emitSignedAnnouncement: timestamp ${timestampMs} is not a whole number of ms in 0..2^53`);
  const out = writeBody({ ...a, version: DISCOVERY_VERSION_AUTH }, DISCOVERY_VERSION_AUTH, AUTH_TRAILER_LEN);
  let o = out.length - AUTH_TRAILER_LEN;
  out[o++] = AUTH_HMAC_SHA256;
  out.writeBigUInt64BE(BigInt(timestampMs), o);
  o += 8;
  const tag = sign(out.subarray(0, o));
  if (tag.length !== AUTH_TAG_LEN) throw new RangeError(`emitSignedAnnouncement: a tag of ${tag.length} octets, HMAC-SHA256 gives ${AUTH_TAG_LEN}`);
  tag.copy(out, o);
  return out;
}

function writeBody(a: Announcement, version: number, extra: number): Buffer {
  if (typeof a.mac !== 'string' || !MAC_STRICT.test(a.mac)) throw new RangeError(`emitAnnouncement: bad MAC ${JSON.stringify(a.mac)}`);
  if (!Number.isInteger(a.holdTimeS) || a.holdTimeS < 0 || a.holdTimeS > 0xffff) throw new RangeError(`emitAnnouncement: hold time ${a.holdTimeS} is not in 0..65535`);
  const role = ROLE_CODES[a.role];
  if (role === undefined) throw new RangeError(`emitAnnouncement: unknown role preference ${String(a.role)}`);
  if (a.addresses.length > DISCOVERY_MAX_ADDRESSES) throw new RangeError(`emitAnnouncement: ${a.addresses.length} addresses, at most ${DISCOVERY_MAX_ADDRESSES}`);
  for (const s of a.addresses) {
    if (typeof s !== 'string' || !PRINTABLE.test(s)) throw new RangeError(`emitAnnouncement: address ${JSON.stringify(s)} is not 1..255 printable ASCII characters`);
  }
  const out = Buffer.alloc(announcementLength(a) + extra);
  out[0] = version;
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
  if (version !== DISCOVERY_VERSION && version !== DISCOVERY_VERSION_AUTH) {
    return fail('discovery-version', 0, `announcement version ${version}, this host speaks ${DISCOVERY_VERSION} and ${DISCOVERY_VERSION_AUTH}`);
  }
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
  if (version === DISCOVERY_VERSION) {
    if (o !== buf.length) return fail('discovery-trailing', o, `${buf.length - o} octets after the last address`);
    return ok({ version, mac, role, holdTimeS, addresses });
  }
  if (buf.length - o !== AUTH_TRAILER_LEN) {
    return fail('discovery-auth-length', o, `${buf.length - o} octets after the last address, the authentication trailer is ${AUTH_TRAILER_LEN}`);
  }
  const algorithm = buf[o]!;
  if (algorithm !== AUTH_HMAC_SHA256) return fail('discovery-algorithm', o, `authentication algorithm ${algorithm}, this host knows ${AUTH_HMAC_SHA256} (HMAC-SHA256)`);
  const ts = buf.readBigUInt64BE(o + 1);
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) return fail('discovery-timestamp', o + 1, `timestamp ${ts} is beyond 2^53 ms`);
  const tagAt = o + 9;
  return ok({
    version,
    mac,
    role,
    holdTimeS,
    addresses,
    auth: { algorithm, timestampMs: Number(ts), tag: Buffer.from(buf.subarray(tagAt)), signed: Buffer.from(buf.subarray(0, tagAt)) },
  });
}
