/**
 * The host's peer table: the peers it knows (configured, or learned from
 * discovery announcements and from SSCOP), the SAAL link and the UNI link to
 * each, which side this host takes on it, the retries of links that fell back
 * to Idle, and neighbour discovery (our announcements, theirs, expiry).
 */
import { Subject, type SchedulerLike, type Subscription } from 'rxjs';
import { compareMac, type Mac } from '../common/mac.js';
import { AnnouncementVerifier, emitAnnouncement, emitSignedAnnouncement, parseAnnouncement } from '../wire/index.js';
import type { SaalLink, SaalMux } from '../sscop/index.js';
import type { AtmAddress, UniHost } from '../uni/api.js';
import { summarizeMessage } from './messages.js';
import { linkUpPath } from './link-pipeline.js';
import { linkDownPath, linkService } from './link-down-path.js';
import { DEFAULT_LINK_RETRY, LinkRetries } from './retry.js';
import { PeerEviction } from './peer-eviction.js';
import type { NodeCounters, NodeEvent, NodeLog, NodeOptions, PeerIndex, PeerState } from './node-types.js';

export interface PeerTableDeps {
  options: NodeOptions;
  mac: Mac;
  scheduler: SchedulerLike;
  log: NodeLog;
  uni: UniHost;
  mux: SaalMux;
  events: Subject<NodeEvent>;
  counters: NodeCounters;
  /** set with discovery.auth: signs our announcements, judges the others' */
  verifier?: AnnouncementVerifier;
  /** broadcast one discovery announcement (VCI 16) */
  announce(sdu: Buffer): void;
  drop(reason: string): void;
  /** the host is shutting down: no retries */
  stopped(): boolean;
}

export class PeerTable implements PeerIndex {
  private readonly peers = new Map<Mac, PeerState>();
  /** each link's signal subscription, by peer: dropped with the peer (forgotten peers must not pile up here) */
  private readonly linkSubs = new Map<Mac, Subscription>();
  /** each link's SSCOP PDUs as the VC demux hands them over: the start of the link's path up */
  private readonly pdus = new Map<Mac, Subject<Buffer>>();
  readonly retries: LinkRetries;
  private readonly eviction: PeerEviction;
  /** the peers that hold each address, in the order they took it: what resolve() reads instead of every peer */
  private readonly byAddress = new Map<AtmAddress, Set<PeerState>>();

  constructor(private readonly d: PeerTableDeps) {
    this.eviction = new PeerEviction({
      peers: () => this.peers.values(),
      holds: (p) => this.peers.get(p.mac) === p,
      mayForget: (p) => p.source === 'discovery' && p.addresses.length === 0 && !p.link?.established && d.uni.linkCalls(p.mac) === 0,
      now: () => d.scheduler.now(),
    });
    this.retries = new LinkRetries(d.scheduler, d.log, { ...DEFAULT_LINK_RETRY, ...d.options.linkRetry }, {
      wanted: (mac) => this.wantsLink(mac),
      attempt: (mac) => {
        const link = this.peers.get(mac)?.link;
        if (link && link.state === 'Idle') link.establish();
      },
      label: (mac) => ({ peer: mac, peerName: this.peers.get(mac)?.name }),
    });
  }

  get(mac: Mac): PeerState | undefined {
    return this.peers.get(mac);
  }

  list(): PeerState[] {
    return [...this.peers.values()];
  }

  holders(address: AtmAddress): Iterable<PeerState> {
    return this.byAddress.get(address) ?? [];
  }

  /**
   * The peer a call to `called` goes to: one whose link is up; else the configured (static) one,
   * unless it has failed to answer and discovery hears the address from another MAC: then the live
   * one (the conflict is reported by peer-conflicts.ts). Among several of a kind, the one that has held the
   * address longest. Reads the address's holders only, so its cost does not grow with the table.
   */
  resolve(called: AtmAddress): Mac | undefined {
    let configured: PeerState | undefined;
    let heard: PeerState | undefined;
    for (const p of this.byAddress.get(called) ?? []) {
      if (p.link?.established) return p.mac;
      if (p.source === 'static') configured ??= p;
      else heard ??= p;
    }
    if (configured && heard && (this.retries.info(configured.mac)?.failures ?? 0) > 0) return heard.mac;
    return (configured ?? heard)?.mac;
  }

  /** an SSCOP PDU from `src`: to the link of that peer, learning it if it is new; a drop reason when there is no room */
  signalling(src: Mac, pdu: Buffer): string | undefined {
    const peer = this.peers.get(src) ?? this.learnPeer(src);
    if (!peer) return 'peer-limit';
    this.ensureLink(peer);
    this.pdus.get(peer.mac)!.next(pdu);
    return undefined;
  }

  /** a peer that spoke SSCOP to us before we heard of it (discovery off on its side, or a restart) */
  private learnPeer(mac: Mac): PeerState | undefined {
    if (!this.roomForPeer()) return undefined;
    const peer = this.add({ mac, addresses: [], source: 'discovery', lastSeen: this.d.scheduler.now() });
    this.eviction.learned(peer);
    return peer;
  }

  /**
   * Whether one more peer fits under limits.peers. When the table is full, a
   * learned peer that never became one (no link up, no addresses, no calls:
   * typically a forged source MAC) is forgotten to make room, the stalest
   * first (peer-eviction.ts); without that, a burst of frames from forged
   * sources would lock every real newcomer out for good.
   */
  private roomForPeer(): boolean {
    const cap = this.d.options.limits?.peers;
    if (cap === undefined || this.peers.size < cap) return true;
    const victim = this.eviction.take();
    if (!victim) return false;
    this.forget(victim);
    return true;
  }

  private forget(p: PeerState): void {
    this.peers.delete(p.mac);
    this.setAddresses(p, []);
    this.linkSubs.get(p.mac)?.unsubscribe();
    this.linkSubs.delete(p.mac);
    this.pdus.delete(p.mac);
    this.retries.forget(p.mac);
    if (p.link) {
      this.d.uni.detachLink(p.mac);
      this.d.mux.remove(p.mac);
    }
    this.d.log.info({ peer: p.mac }, 'peer forgotten to make room (never linked, no addresses)');
  }

  add(p: PeerState): PeerState {
    const peer: PeerState = { ...p, mac: p.mac.toLowerCase(), addresses: [] };
    const replaced = this.peers.get(peer.mac);
    if (replaced) this.setAddresses(replaced, []);
    this.peers.set(peer.mac, peer);
    this.setAddresses(peer, p.addresses);
    this.d.events.next({ kind: 'peer', peer: peer.mac, change: 'discovered', addresses: peer.addresses });
    this.d.log.info({ peer: peer.mac, peerName: peer.name, addresses: peer.addresses, source: peer.source }, 'peer added');
    this.ensureLink(peer).establish();
    return peer;
  }

  /**
   * Q.2931 side on the link to `peer` (docs/wire.md, "Roles"), the same
   * rule on both ends: a per-peer configured side, else this host's own
   * preference, else the opposite of the peer's announced preference, else the
   * lower MAC takes the network side.
   */
  private sideFor(peer: PeerState): 'user' | 'network' {
    if (peer.sideOverride) return peer.sideOverride;
    if (this.d.options.role !== 'auto') return this.d.options.role;
    if (peer.announcedRole === 'network') return 'user';
    if (peer.announcedRole === 'user') return 'network';
    return compareMac(this.d.mac, peer.mac) < 0 ? 'network' : 'user';
  }

  private ensureLink(peer: PeerState): SaalLink {
    if (peer.link) return peer.link;
    const link = this.d.mux.link(peer.mac);
    peer.link = link;
    peer.side = this.sideFor(peer);
    const events = this.d.events;
    // each signalling message is reported as a `message` event (decoded only while someone listens)
    const report = (direction: 'in' | 'out', sdu: Buffer) => {
      if (!events.observed) return;
      const ev = summarizeMessage(direction, peer.mac, sdu);
      if (ev) events.next(ev);
    };
    // the link's path up (link-pipeline.ts): its SSCOP PDUs -> sscop -> sscf -> messages reported -> the UNI
    // coordinator, which adds its own step and subscribes (that runs it)
    const pdus = new Subject<Buffer>();
    this.pdus.set(peer.mac, pdus);
    // and its path down (link-down-path.ts), running before the coordinator has the service: its requests ->
    // messages reported -> sscfDown -> sscopDown -> the link's send (the router's path, there before the link);
    // it ends with the link (disposing the link completes it), so the coordinator can still send while detaching
    const down = linkDownPath(link, report);
    this.d.uni.attachLink(peer.mac, linkService(link, linkUpPath(pdus, link, report), down), peer.side);
    this.linkSubs.set(
      peer.mac,
      link.signals$.subscribe((s) => {
        if (s.kind === 'establish-confirm' || s.kind === 'establish-indication') {
          this.d.log.info({ peer: peer.mac, peerName: peer.name, side: peer.side }, 'link up (SSCOP Data Transfer Ready)');
          this.retries.up(peer.mac);
          this.reportLink(peer, link);
        } else if (s.kind === 'release-indication' || s.kind === 'release-confirm') {
          const reason = s.kind === 'release-indication' ? s.reason : 'released';
          if (!this.d.stopped()) this.retries.down(peer.mac, reason);
          this.reportLink(peer, link, reason);
        }
      }),
    );
    return link;
  }

  /**
   * A link-state event with the state the link is in. SSCF signals an
   * establishment while SSCOP is still inside the step that caused it (an
   * incoming BGN: SSCOP is in Incoming Connection Pending until SSCF's answer,
   * already queued, takes it to Data Transfer Ready), so an establishment is
   * read once that step is over; a release is read at once (SSCOP is Idle
   * by then). Both go out in the order they happened.
   */
  private reportLink(peer: PeerState, link: SaalLink, reason?: string): void {
    const now = reason === undefined ? undefined : { state: link.state, established: link.established };
    queueMicrotask(() => {
      if (peer.link !== link) return;
      const { state, established } = now ?? { state: link.state, established: link.established };
      this.d.events.next({ kind: 'link-state', peer: peer.mac, state, established, ...(reason ? { reason } : {}) });
    });
  }

  /** a discovered peer is tried while its announcement is valid; a static peer always */
  private wantsLink(mac: Mac): boolean {
    const p = this.peers.get(mac);
    if (this.d.stopped() || !p?.link) return false;
    if (p.source === 'static') return true;
    return p.addresses.length > 0 && p.lastSeen !== undefined && this.d.scheduler.now() - p.lastSeen <= this.d.options.discovery.holdTimeMs;
  }

  // ---- discovery ----------------------------------------------------------------

  announce(holdTimeMs = this.d.options.discovery.holdTimeMs): void {
    const fields = { mac: this.d.mac, role: this.d.options.role, holdTimeS: Math.min(0xffff, Math.round(holdTimeMs / 1000)), addresses: this.d.options.addresses };
    const v = this.d.verifier;
    const sdu = v ? emitSignedAnnouncement(fields, Math.floor(this.d.scheduler.now()), (signed) => v.sign(signed)) : emitAnnouncement({ version: 1, ...fields });
    this.d.counters.discoveryOut++;
    this.d.announce(sdu);
  }

  onAnnouncement(src: Mac, sdu: Buffer): void {
    const r = parseAnnouncement(sdu);
    if (!r.ok) return this.d.drop(r.error.code);
    const a = r.value;
    if (a.mac !== src) return this.d.drop('discovery-mac-mismatch');
    // with a lab key only signed, fresh, new announcements count; without one, both versions are taken as they are
    if (this.d.verifier) {
      const verdict = this.d.verifier.verify(a);
      if (verdict !== 'ok') return this.d.drop(`discovery-${verdict}`);
    }
    this.d.counters.discoveryIn++;
    const now = this.d.scheduler.now();
    const known = this.peers.get(src);
    if (a.holdTimeS === 0) {
      // the peer is leaving: forget its addresses; SSCOP tells us about the link itself
      if (known && known.source === 'discovery') {
        this.setAddresses(known, []);
        this.d.events.next({ kind: 'peer', peer: src, change: 'lost', addresses: [] });
      }
      return;
    }
    if (!known) {
      if (!this.roomForPeer()) return this.d.drop('peer-limit');
      this.add({ mac: src, addresses: a.addresses, source: 'discovery', announcedRole: a.role, lastSeen: now });
      return;
    }
    known.lastSeen = now;
    const merged = known.source === 'static' ? [...new Set([...known.addresses, ...a.addresses])] : a.addresses;
    if (merged.join() !== known.addresses.join()) {
      this.setAddresses(known, merged);
      this.d.events.next({ kind: 'peer', peer: src, change: 'updated', addresses: merged });
    }
    // a peer that came back (restart): its announcement is our cue to re-establish at once (not while backing off)
    if (known.link && !known.link.established && known.link.state === 'Idle' && this.retries.announced(src)) known.link.establish();
  }

  expire(): void {
    const now = this.d.scheduler.now();
    for (const p of this.peers.values()) {
      if (p.source !== 'discovery' || p.lastSeen === undefined || p.addresses.length === 0) continue;
      if (now - p.lastSeen > this.d.options.discovery.holdTimeMs) {
        this.setAddresses(p, []);
        this.d.events.next({ kind: 'peer', peer: p.mac, change: 'lost', addresses: [] });
      }
    }
  }

  /**
   * A peer's addresses change: every change goes through here, which keeps `byAddress` in step. Only the
   * addresses it gives up or takes are touched, so it keeps its place among the holders of those it keeps.
   */
  private setAddresses(p: PeerState, addresses: readonly AtmAddress[]): void {
    for (const a of p.addresses) {
      if (addresses.includes(a)) continue;
      const set = this.byAddress.get(a);
      set?.delete(p);
      if (set?.size === 0) this.byAddress.delete(a);
    }
    for (const a of addresses) {
      let set = this.byAddress.get(a);
      if (!set) this.byAddress.set(a, (set = new Set()));
      set.add(p); // (a Set keeps the place of a value added again)
    }
    p.addresses = addresses;
  }

  /** the SAAL links of every peer that has one */
  links(): SaalLink[] {
    const out: SaalLink[] = [];
    for (const p of this.peers.values()) if (p.link) out.push(p.link);
    return out;
  }

  dispose(): void {
    this.retries.dispose();
    for (const s of this.linkSubs.values()) s.unsubscribe();
    this.linkSubs.clear();
  }
}
