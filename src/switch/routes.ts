/**
 * The switch's routing table: ATM address prefixes -> a port (and, when the
 * port's segment has several hosts, the host on it).
 *
 * Static routes come from the configuration; learned routes are the exact
 * addresses each host announces on its port (discovery, VCI 16). A lookup
 * takes the longest prefix that matches the called address; between a static
 * and a learned route of the same length the static one wins (the operator
 * said so). Prefixes compare on the canonical form of an address: E.164
 * digits without '+', AESA lower-case hex without dots; the empty prefix is a
 * default route.
 */
import type { Mac } from '../common/mac.js';
import type { AtmAddress } from '../uni/api.js';
import { canonicalAddress } from '../uni/call-ies.js';

export interface Route {
  /** canonical prefix; '' matches every address */
  prefix: string;
  port: string;
  /** the host on the port; absent (static routes): the port's one host, or the one that announced the address */
  peer?: Mac;
  source: 'static' | 'learned';
}

/** A prefix as people write it: digits or hex digits, dots allowed, '*' or '' for the default route. */
export function canonicalPrefix(p: string): string {
  const s = p.trim();
  if (s === '' || s === '*') return '';
  return s.startsWith('+') ? s.slice(1) : s.replaceAll('.', '').toLowerCase();
}

export class RouteTable {
  private readonly statics: Route[] = [];
  /** learned routes by "port|peer": that host's announced addresses */
  private readonly learned = new Map<string, { port: string; peer: Mac; addresses: AtmAddress[] }>();
  /** exact learned addresses -> routes (a lookup of a host's own address is one Map read) */
  private readonly exact = new Map<AtmAddress, Route>();

  addStatic(prefix: string, port: string, peer?: Mac): void {
    this.statics.push({ prefix: canonicalPrefix(prefix), port, ...(peer ? { peer: peer.toLowerCase() } : {}), source: 'static' });
    // longest first: the first static match is the longest static match
    this.statics.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** a host's announced addresses replace what it announced before; true when anything changed */
  learn(port: string, peer: Mac, addresses: AtmAddress[]): boolean {
    const key = `${port}|${peer}`;
    const canon = [...new Set(addresses.map(canonicalAddress))].sort();
    const old = this.learned.get(key);
    if ((old?.addresses ?? []).join() === canon.join()) return false;
    if (old) for (const a of old.addresses) if (this.exact.get(a)?.peer === peer && this.exact.get(a)?.port === port) this.exact.delete(a);
    if (canon.length === 0) this.learned.delete(key);
    else this.learned.set(key, { port, peer, addresses: canon });
    for (const a of canon) this.exact.set(a, { prefix: a, port, peer, source: 'learned' });
    return true;
  }

  /** forget what a host announced (it left, its hold time ran out, its port closed) */
  forget(port: string, peer: Mac): boolean {
    return this.learn(port, peer, []);
  }

  /** the route for a called address: longest prefix wins, static before learned at equal length; undefined = no route */
  lookup(called: AtmAddress): Route | undefined {
    const a = canonicalAddress(called);
    const s = this.statics.find((r) => a.startsWith(r.prefix));
    const l = this.exact.get(a);
    if (s && (!l || s.prefix.length >= a.length)) return s;
    return l;
  }

  /** the host on `port` that announced `called` (for static routes that name no host) */
  announcer(port: string, called: AtmAddress): Mac | undefined {
    const l = this.exact.get(canonicalAddress(called));
    return l && l.port === port ? l.peer : undefined;
  }

  /** learned addresses reachable through ports other than `port` (what the switch announces on it) */
  reachableExcept(port: string): AtmAddress[] {
    const out: AtmAddress[] = [];
    for (const l of this.learned.values()) if (l.port !== port) out.push(...l.addresses);
    return out.sort();
  }

  list(): Route[] {
    return [...this.statics, ...[...this.exact.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0))];
  }
}
