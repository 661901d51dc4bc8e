/** Pieces every backend shares: config checks, counters, the EtherType test. */
import { isMac, macNumberAt, type MacNumber } from '../common/mac.js';
import { MiniportError } from './errors.js';
import type { MiniportCounters } from './types.js';

/** IEEE 802 Local Experimental EtherType 1, our default (docs/wire.md) */
export const DEFAULT_ETHERTYPE = 0x88b5;
export const ETH_HEADER = 14;

export function newCounters(): MiniportCounters {
  return { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, txErrors: 0, rxDropped: 0 };
}

/**
 * Admit a frame for sending: a whole Ethernet header and no more payload than
 * the MTU, on an open port. Counts it as sent when admitted, as an error
 * otherwise.
 */
export function admitFrame(frame: Buffer, mtu: number, closed: boolean, counters: MiniportCounters): boolean {
  if (closed || frame.length < ETH_HEADER || frame.length > mtu + ETH_HEADER) {
    counters.txErrors++;
    return false;
  }
  counters.txFrames++;
  counters.txBytes += frame.length;
  return true;
}

/** True when `frame` is a whole Ethernet II header with this EtherType. */
export function hasEtherType(frame: Buffer, etherType: number): boolean {
  return frame.length >= ETH_HEADER && frame[12] === etherType >> 8 && frame[13] === (etherType & 0xff);
}

/**
 * Whether a frame whose header `hasEtherType` has checked is for this host (`mac`, as `macNumber`
 * gives it) or for a group (broadcast, multicast). Six octets read as one number: Buffer#compare's
 * argument checks and its call into C++ cost more than the rest of the test, on every frame.
 */
export function forUs(frame: Buffer, mac: MacNumber): boolean {
  return (frame[0]! & 1) === 1 || macNumberAt(frame, 0) === mac;
}

export function checkMac(mac: string | undefined, where: string): string | undefined {
  if (mac === undefined) return undefined;
  if (typeof mac !== 'string' || !isMac(mac)) {
    throw new MiniportError('BAD_CONFIG', `${where}: MAC '${String(mac)}' is not six colon-separated hex octets (like 02:00:5e:00:00:01)`);
  }
  const m = mac.toLowerCase();
  if (parseInt(m.slice(0, 2), 16) & 1) throw new MiniportError('BAD_CONFIG', `${where}: MAC '${mac}' is a multicast address; a host needs a unicast one`);
  if (m === '00:00:00:00:00:00') throw new MiniportError('BAD_CONFIG', `${where}: MAC '${mac}' is all zeros`);
  return m;
}

export function checkEtherType(et: number | undefined, where: string): number {
  if (et === undefined) return DEFAULT_ETHERTYPE;
  if (!Number.isInteger(et) || et < 0x0600 || et > 0xffff) {
    throw new MiniportError('BAD_CONFIG', `${where}: EtherType ${String(et)} is not in 0x0600..0xffff`);
  }
  return et;
}

export function checkMtu(mtu: number | undefined, where: string, dflt: number): number {
  if (mtu === undefined) return dflt;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65521) throw new MiniportError('BAD_CONFIG', `${where}: MTU ${String(mtu)} is not an integer in 68..65521`);
  return mtu;
}

const IFNAME_RE = /^[A-Za-z0-9_.:@-]{1,15}$/;

export function checkIfName(name: string | undefined, where: string, what = 'device'): string {
  if (typeof name !== 'string' || !IFNAME_RE.test(name) || name === '.' || name === '..') {
    throw new MiniportError('BAD_CONFIG', `${where}: ${what} name '${String(name)}' is not a Linux interface name (1-15 characters, no '/' or spaces)`);
  }
  return name;
}
