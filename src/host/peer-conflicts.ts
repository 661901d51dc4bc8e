/**
 * A static peer whose configured MAC is not where its address lives: discovery
 * hears the same address announced from another MAC. Most often a typo in
 * `peers:` (or a host whose NIC changed). Reported as a warning in the log
 * (once per address and pair of MACs, when discovery first shows it) and in
 * the static peer's status entry (`warning`), so `condisctl status` shows it.
 * Once the configured peer has failed to answer, calls to the address go to
 * the MAC discovery hears it from (PeerTable.resolve).
 */
import type { Subscription } from 'rxjs';
import type { Mac } from '../common/mac.js';
import type { AtmAddress } from '../uni/api.js';
import type { CondisNode } from './node.js';
import type { PeerIndex, PeerState } from './node-types.js';

export interface PeerConflict {
  address: AtmAddress;
  /** the static peer (from the configuration) */
  configured: { mac: Mac; name?: string; linked: boolean };
  /** the peer discovery heard announcing the address */
  discovered: { mac: Mac; name?: string; linked: boolean };
}

/**
 * The conflicts `peer` is part of: as the configured side when it is static, as the discovered side otherwise.
 * Reads the holders of its own addresses only, so a change to one peer costs no walk of the table.
 */
export function peerConflicts(table: PeerIndex, peer: PeerState): PeerConflict[] {
  const out: PeerConflict[] = [];
  for (const address of peer.addresses) {
    for (const other of table.holders(address)) {
      if (other.mac === peer.mac) continue;
      if (peer.source === 'static' && other.source === 'discovery') out.push(conflict(address, peer, other));
      else if (peer.source === 'discovery' && other.source === 'static') out.push(conflict(address, other, peer));
    }
  }
  return out;
}

function conflict(address: AtmAddress, s: PeerState, d: PeerState): PeerConflict {
  return {
    address,
    configured: { mac: s.mac, ...(s.name ? { name: s.name } : {}), linked: s.link?.established ?? false },
    discovered: { mac: d.mac, ...(d.name ? { name: d.name } : {}), linked: d.link?.established ?? false },
  };
}

/** "address 3002 is configured (peers:) at 02:00:00:00:03:99 (h2), but discovery hears it from 02:00:00:00:03:02; check the peer's mac" */
export function conflictText(c: PeerConflict): string {
  const who = c.configured.name ? ` (${c.configured.name})` : '';
  const state = c.configured.linked ? '' : ', which never answered';
  return `address ${c.address} is configured (peers:) at ${c.configured.mac}${who}${state}, but discovery hears it from ${c.discovered.mac}; check the peer's mac`;
}

/** the warning for a static peer's status entry (its conflicts as one line), if any */
export function peerWarning(table: PeerIndex, peer: PeerState): string | undefined {
  if (peer.source !== 'static') return undefined;
  const mine = peerConflicts(table, peer);
  return mine.length ? mine.map(conflictText).join('; ') : undefined;
}

/** log each conflict once, when the peer table changes so that it appears */
export function warnPeerConflicts(node: CondisNode, log: { warn(obj: object, msg: string): void }): Subscription {
  const told = new Set<string>();
  const table = node.peerIndex();
  const check = (peer: PeerState) => {
    for (const c of peerConflicts(table, peer)) {
      const key = `${c.address}|${c.configured.mac}|${c.discovered.mac}`;
      if (told.has(key)) continue;
      told.add(key);
      log.warn({ address: c.address, configuredMac: c.configured.mac, peerName: c.configured.name, discoveredMac: c.discovered.mac }, conflictText(c));
    }
  };
  for (const p of table.list()) if (p.source === 'static') check(p);
  return node.events$.subscribe((e) => {
    if (e.kind !== 'peer') return;
    const p = table.get(e.peer);
    if (p) check(p);
  });
}
