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
import type { CondisNode, PeerState } from './node.js';

export interface PeerConflict {
  address: AtmAddress;
  /** the static peer (from the configuration) */
  configured: { mac: Mac; name?: string; linked: boolean };
  /** the peer discovery heard announcing the address */
  discovered: { mac: Mac; name?: string; linked: boolean };
}

export function peerConflicts(peers: readonly PeerState[]): PeerConflict[] {
  const out: PeerConflict[] = [];
  for (const s of peers) {
    if (s.source !== 'static') continue;
    for (const d of peers) {
      if (d.source !== 'discovery' || d.mac === s.mac) continue;
      for (const address of d.addresses) {
        if (!s.addresses.includes(address)) continue;
        out.push({
          address,
          configured: { mac: s.mac, ...(s.name ? { name: s.name } : {}), linked: s.link?.established ?? false },
          discovered: { mac: d.mac, ...(d.name ? { name: d.name } : {}), linked: d.link?.established ?? false },
        });
      }
    }
  }
  return out;
}

/** "address 3002 is configured (peers:) at 02:00:00:00:03:99 (h2), but discovery hears it from 02:00:00:00:03:02; check the peer's mac" */
export function conflictText(c: PeerConflict): string {
  const who = c.configured.name ? ` (${c.configured.name})` : '';
  const state = c.configured.linked ? '' : ', which never answered';
  return `address ${c.address} is configured (peers:) at ${c.configured.mac}${who}${state}, but discovery hears it from ${c.discovered.mac}; check the peer's mac`;
}

/** the warning for one peer's status entry (its conflicts as one line), if any */
export function peerWarning(peers: readonly PeerState[], mac: Mac): string | undefined {
  const mine = peerConflicts(peers).filter((c) => c.configured.mac === mac);
  return mine.length ? mine.map(conflictText).join('; ') : undefined;
}

/** log each conflict once, when the peer table changes so that it appears */
export function warnPeerConflicts(node: CondisNode, log: { warn(obj: object, msg: string): void }): Subscription {
  const told = new Set<string>();
  const check = () => {
    for (const c of peerConflicts(node.peerList())) {
      const key = `${c.address}|${c.configured.mac}|${c.discovered.mac}`;
      if (told.has(key)) continue;
      told.add(key);
      log.warn({ address: c.address, configuredMac: c.configured.mac, peerName: c.configured.name, discoveredMac: c.discovered.mac }, conflictText(c));
    }
  };
  check();
  return node.events$.subscribe((e) => {
    if (e.kind === 'peer') check();
  });
}
