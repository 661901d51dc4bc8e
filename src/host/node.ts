/**
 * One condis-tap host, assembled: a miniport below, then the wire codec, one
 * SSCOP association per peer MAC (VCI 5), neighbour discovery (VCI 16), the
 * UNI signalling host, and CoNDIS (NDIS + the Q.2931 call manager) on top,
 * with user data on VCI 32 and up going straight between the miniport and
 * NDIS's data path.
 *
 * Received frames are handled strictly in order, one at a time, from the
 * miniport's Observable; every layer below NDIS is synchronous, so signalling
 * per link stays in order and a slow client (answering over the control
 * socket, later) never stalls a link.
 */
import { asyncScheduler, interval, Subject, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { BROADCAST_MAC, compareMac, macFromBuffer, macToBuffer, type Mac } from '../common/mac.js';
import type { Miniport } from '../miniport/types.js';
import {
  aal5TrailerAt,
  cellHeader,
  AnnouncementVerifier,
  emitAnnouncement,
  emitFrame,
  emitSignedAnnouncement,
  ETHERTYPE_CONDIS,
  frameHeader,
  maxSdu,
  parseAnnouncement,
  parseFrame,
  SDU_OFFSET,
  VCI_DISCOVERY,
  VCI_SIGNALLING,
  type RolePreference,
} from '../wire/index.js';
import { createSaalMux, type SaalLink, type SaalMux, type SscopParams } from '../sscop/index.js';
import { createCallControl } from '../callcontrol/index.js';
import { causeName } from '../uni/msg/names.js';
import { reportingSaal, summarizeMessage, type MessageEvent } from './messages.js';
import type { AtmAddress, CloseDataPolicy, UniHost, UniIndication, UniTimers } from '../uni/api.js';
import { createNdisStack, type NdisHost, type UniCallManager } from '../ndis/index.js';
import { WireDataPath } from './datapath.js';
import { DEFAULT_LINK_RETRY, LinkRetries, type LinkRetryOptions, type RetryInfo } from './retry.js';

export interface PeerConfig {
  mac: Mac;
  name?: string;
  /** the side this host takes on the link; absent: by role preference, then by MAC */
  role?: 'user' | 'network';
  addresses: AtmAddress[];
}

export interface NodeOptions {
  name: string;
  miniport: Miniport;
  addresses: AtmAddress[];
  role: RolePreference;
  peers: PeerConfig[];
  discovery: {
    enabled: boolean;
    intervalMs: number;
    holdTimeMs: number;
    /** sign announcements (version 2) with this lab key and take only signed, fresh, new ones (docs/security.md) */
    auth?: { key: Buffer; maxAgeMs: number };
  };
  /** only these MACs may speak signalling or discovery to this host; absent: anyone */
  allowPeers?: Mac[];
  /** re-establishing links that fell back to Idle: bounded exponential back-off (default 1 s doubling to 60 s) */
  linkRetry?: Partial<LinkRetryOptions>;
  sscop?: Partial<SscopParams>;
  uniTimers?: Partial<UniTimers>;
  closeData: CloseDataPolicy;
  callManager: { shape: 'cm' | 'mcm'; completion: 'sync' | 'pending' };
  /** caps: calls and parties per call (UNI), peers (this node), requests in progress (the daemon's backend) */
  limits?: { calls?: number; partiesPerCall?: number; peers?: number; pendingRequests?: number };
  etherType?: number;
  scheduler?: SchedulerLike;
  /** every ATM-layer SDU sent or received (for captures); `peer` is the other end's MAC (the broadcast MAC for announcements sent) */
  capture?: (dir: 'tx' | 'rx', vpi: number, vci: number, sdu: Buffer, peer: Mac) => void;
  log?: NodeLog;
}

/** The few log calls the node makes; pino's logger fits. */
export interface NodeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  /** pino's: lets the node skip formatting what the log would drop */
  isLevelEnabled?(level: string): boolean;
}

const silentLog: NodeLog = { info() {}, warn() {}, debug() {} };

export interface PeerState {
  mac: Mac;
  name?: string;
  addresses: AtmAddress[];
  source: 'static' | 'discovery';
  /** configured: the side this host takes on the link to this peer */
  sideOverride?: 'user' | 'network';
  /** the peer's announced role preference */
  announcedRole?: RolePreference;
  /** ms timestamp (scheduler clock) of the last announcement, for discovered peers */
  lastSeen?: number;
  /** our Q.2931 side on the link, once the link exists */
  side?: 'user' | 'network';
  link?: SaalLink;
}

export type NodeEvent =
  | { kind: 'peer'; peer: Mac; change: 'discovered' | 'updated' | 'lost'; addresses: AtmAddress[] }
  | { kind: 'link-state'; peer: Mac; state: string; established: boolean; reason?: string }
  | MessageEvent;

export interface NodeCounters {
  /** frames dropped before any layer took them, by reason (decode error code, not-for-us, unknown-vc, ...) */
  drops: Record<string, number>;
  framesIn: number;
  framesOut: number;
  discoveryIn: number;
  discoveryOut: number;
  dataIn: number;
  dataOut: number;
  /** user data frames not sent because SSCOP to that peer was down (calls waiting out T309): dropped, as a lost cell */
  dataDroppedLinkDown: number;
  /**
   * With discovery.auth: announcements by verdict (ok, unauthenticated, wrong-key, stale, replayed); the
   * refused ones are also in `drops` as discovery-<verdict>
   */
  discoveryAuth?: Record<string, number>;
}

export class CondisNode {
  readonly name: string;
  readonly mac: Mac;
  readonly uni: UniHost;
  readonly ndis: NdisHost;
  readonly cm: UniCallManager;
  readonly miniport: Miniport;
  readonly addresses: AtmAddress[];
  readonly options: NodeOptions;

  private readonly etherType: number;
  private readonly scheduler: SchedulerLike;
  private readonly log: NodeLog;
  private readonly mux: SaalMux;
  private readonly peers = new Map<Mac, PeerState>();
  private readonly dataPath: WireDataPath;
  /** our MAC as two numbers (first 4 octets, last 2), for the user-data fast path */
  private readonly macHi: number;
  private readonly macLo: number;
  private readonly events = new Subject<NodeEvent>();
  private readonly subs: Subscription[] = [];
  /** each link's signal subscription, by peer: dropped with the peer (forgotten peers must not pile up here) */
  private readonly linkSubs = new Map<Mac, Subscription>();
  private readonly counters_: NodeCounters = { drops: {}, framesIn: 0, framesOut: 0, discoveryIn: 0, discoveryOut: 0, dataIn: 0, dataOut: 0, dataDroppedLinkDown: 0 };
  private readonly stack: { dispose(): void };
  private announceTimer?: Subscription;
  private readonly retries: LinkRetries;
  /** set with discovery.auth: signs our announcements, judges the others' */
  private readonly verifier?: AnnouncementVerifier;
  /** set with allowPeers: the only MACs whose signalling and discovery we take */
  private readonly allowed?: ReadonlySet<Mac>;
  private stopped = false;

  constructor(opts: NodeOptions) {
    this.options = opts;
    this.name = opts.name;
    this.miniport = opts.miniport;
    this.mac = opts.miniport.mac;
    this.addresses = opts.addresses;
    this.etherType = opts.etherType ?? ETHERTYPE_CONDIS;
    this.scheduler = opts.scheduler ?? asyncScheduler;
    this.log = opts.log ?? silentLog;
    if (opts.discovery.auth) {
      this.verifier = new AnnouncementVerifier({ key: opts.discovery.auth.key, maxAgeMs: opts.discovery.auth.maxAgeMs, now: () => this.scheduler.now() });
    }
    if (opts.allowPeers) this.allowed = new Set(opts.allowPeers.map((m) => m.toLowerCase()));

    // an SSCOP PDU must fit one frame: MaxK/MaxJ follow the medium (1484 octets at MTU 1500; the SD trailer takes 4)
    // (payloads are padded to a multiple of 4)
    const room = maxSdu(opts.miniport.mtu);
    const maxK = Math.floor((room - 4) / 4) * 4;
    const maxJ = Math.floor((room - 8) / 4) * 4;
    this.mux = createSaalMux({
      send: (peer, pdu) => this.sendSdu(peer, 0, VCI_SIGNALLING, pdu),
      scheduler: this.scheduler,
      params: { maxK, maxJ, ...opts.sscop },
      name: opts.name,
    });

    this.uni = createCallControl({
      resolve: (called) => this.resolve(called),
      ownAddresses: opts.addresses,
      timers: opts.uniTimers,
      closeData: opts.closeData,
      limits: opts.limits,
      scheduler: this.scheduler,
    });
    this.subs.push(this.uni.indications$.subscribe((ind) => this.onUniIndication(ind)));

    const macBuf = macToBuffer(this.mac);
    this.macHi = macBuf.readUInt32BE(0);
    this.macLo = macBuf.readUInt16BE(4);
    this.dataPath = new WireDataPath(
      {
        header: (path) => frameHeader(path.peer, this.mac, this.etherType, cellHeader(path.vpi, path.vci)),
        sendFrame: (path, frame, sdu) => {
          if (this.stopped) return;
          // a call kept through a link outage (T309): its data is dropped and counted until SSCOP is back
          if (this.peers.get(path.peer)?.link?.established === false) {
            this.counters_.dataDroppedLinkDown++;
            return;
          }
          this.counters_.dataOut++;
          this.transmit(frame, path.vpi, path.vci, sdu);
        },
      },
      maxSdu(opts.miniport.mtu),
    );
    const stack = createNdisStack({
      uni: this.uni,
      dataPath: this.dataPath,
      shape: opts.callManager.shape,
      completion: opts.callManager.completion,
      ownAddresses: opts.addresses,
      qos: true, // QoS changes of point-to-point calls go over the wire as Q.2963.1 modifications (ndis/q2931/modify.ts)
      q2963: true,
      // NDIS delivers completions on a later turn (R5): asap by default, not on the timer scheduler,
      // whose zero-delay actions are real timers (a millisecond each); tests inject virtual time
      ...(opts.scheduler ? { scheduler: opts.scheduler } : {}),
      name: opts.name,
    });
    this.ndis = stack.ndis;
    this.cm = stack.cm;
    this.stack = stack;

    this.subs.push(
      opts.miniport.frames$.subscribe({
        next: (frame) => this.onFrame(frame),
        error: (e: unknown) => this.log.warn({ err: String(e) }, 'miniport failed'),
      }),
    );

    this.retries = new LinkRetries(this.scheduler, this.log, { ...DEFAULT_LINK_RETRY, ...opts.linkRetry }, {
      wanted: (mac) => this.wantsLink(mac),
      attempt: (mac) => {
        const link = this.peers.get(mac)?.link;
        if (link && link.state === 'Idle') link.establish();
      },
      label: (mac) => ({ peer: mac, peerName: this.peers.get(mac)?.name }),
    });

    for (const p of opts.peers) this.addPeer({ mac: p.mac, name: p.name, addresses: p.addresses, sideOverride: p.role, source: 'static' });
    if (opts.discovery.enabled) this.announce();
    if (opts.discovery.enabled) {
      // announcements and neighbour expiry share one cadence (links are retried by this.retries)
      this.announceTimer = interval(opts.discovery.intervalMs, this.scheduler).subscribe(() => {
        this.announce();
        this.expirePeers();
      });
    }
  }

  /** peer discoveries and link state changes, for the control socket */
  get events$(): Observable<NodeEvent> {
    return this.events.asObservable();
  }

  peerList(): PeerState[] {
    return [...this.peers.values()];
  }

  /** a peer whose link is down and being retried: failed attempts in a row, when the next one is due */
  linkRetry(peer: Mac): RetryInfo | undefined {
    return this.retries.info(peer);
  }

  counters(): NodeCounters {
    return { ...this.counters_, drops: { ...this.counters_.drops }, ...(this.verifier ? { discoveryAuth: this.verifier.counters() } : {}) };
  }

  /** every SSCOP link's counters, by peer MAC */
  sscopCounters() {
    return this.mux.peers().map((p) => this.mux.link(p).counters());
  }

  dataPathCounters(): { activeVcs: number; paths: number; outstandingSends: number } {
    return this.dataPath.counters();
  }

  /**
   * Orderly shutdown: every call released with a normal cause, every SSCOP
   * association ended (END / ENDAK), a farewell announcement (hold time 0),
   * then timers stopped. Waits at most `graceMs` for the peers to answer.
   */
  async shutdown(graceMs = 2000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.announceTimer?.unsubscribe();
    this.retries.dispose();
    for (const c of this.uni.snapshot().calls) this.uni.release(c.call, { cause: 16 });
    const deadline = Date.now() + graceMs;
    while (this.uni.counters().calls > 0 && Date.now() < deadline) await sleep(20);
    for (const p of this.peers.values()) if (p.link?.established) p.link.release();
    while ([...this.peers.values()].some((p) => p.link && p.link.state !== 'Idle') && Date.now() < deadline) await sleep(20);
    if (this.options.discovery.enabled) this.announce(0);
    this.stack.dispose();
    this.uni.dispose();
    this.mux.dispose();
    for (const s of this.subs) s.unsubscribe();
    for (const s of this.linkSubs.values()) s.unsubscribe();
    this.linkSubs.clear();
    this.events.complete();
  }

  // ------------------------------------------------------------------ frames

  /** signalling and discovery SDUs (user data goes through the data path's prepared headers) */
  private sendSdu(peer: Mac, vpi: number, vci: number, sdu: Buffer): void {
    this.transmit(emitFrame({ dst: peer, src: this.mac, etherType: this.etherType, cell: cellHeader(vpi, vci), uu: 0, cpi: 0, sdu }), vpi, vci, sdu);
  }

  private transmit(frame: Buffer, vpi: number, vci: number, sdu: Buffer): void {
    this.counters_.framesOut++;
    if (this.options.capture) this.options.capture('tx', vpi, vci, sdu, macFromBuffer(frame, 0));
    this.miniport.send(frame);
  }

  private drop(reason: string): void {
    this.counters_.drops[reason] = (this.counters_.drops[reason] ?? 0) + 1;
  }

  private onFrame(buf: Buffer): void {
    this.counters_.framesIn++;
    // user data (neither signalling nor discovery), to us, from someone else, no capture: straight
    // to its VC without decoding a record (MAC strings, cell header object) or copying the SDU;
    // everything else, and every frame this path would drop, takes the full path below
    if (buf.length >= SDU_OFFSET && !this.options.capture) {
      const vc = (buf.readUInt32BE(14) >>> 4) & 0xffffff;
      const toUs = buf.readUInt32BE(0) === this.macHi && buf.readUInt16BE(4) === this.macLo;
      const fromUs = buf.readUInt32BE(6) === this.macHi && buf.readUInt16BE(10) === this.macLo;
      if (vc !== VCI_SIGNALLING && vc !== VCI_DISCOVERY && toUs && !fromUs) {
        const t = aal5TrailerAt(buf, this.etherType);
        if (t >= 0) {
          if (!this.dataPath.receiveRaw(buf, vc, buf.subarray(SDU_OFFSET, t))) return this.drop('unknown-vc');
          this.counters_.dataIn++;
          return;
        }
      }
    }
    const r = parseFrame(buf, { etherType: this.etherType });
    if (!r.ok) return this.drop(r.error.code);
    const f = r.value;
    if (f.src === this.mac) return this.drop('own-frame');
    if (f.dst !== this.mac && f.dst !== BROADCAST_MAC) return this.drop('not-for-us');
    this.options.capture?.('rx', f.cell.vpi, f.cell.vci, f.sdu, f.src);
    if (this.allowed && f.cell.vpi === 0 && !this.allowed.has(f.src)) {
      if (f.cell.vci === VCI_SIGNALLING) return this.drop('not-allowed-signalling');
      if (f.cell.vci === VCI_DISCOVERY) return this.drop('not-allowed-discovery');
    }
    if (f.cell.vpi === 0 && f.cell.vci === VCI_SIGNALLING) {
      if (f.dst !== this.mac) return this.drop('signalling-broadcast');
      const peer = this.peers.get(f.src) ?? this.learnPeer(f.src);
      if (!peer) return this.drop('peer-limit');
      // SSCOP may keep the SDU (receive window): a view will do when the miniport handed the frame over
      this.ensureLink(peer).receive(this.miniport.ownedFrames ? f.sdu : Buffer.from(f.sdu));
      return;
    }
    if (f.cell.vpi === 0 && f.cell.vci === VCI_DISCOVERY) return this.onAnnouncement(f.src, f.sdu);
    if (f.dst !== this.mac) return this.drop('data-broadcast');
    if (!this.dataPath.receive({ peer: f.src, vpi: f.cell.vpi, vci: f.cell.vci }, f.sdu)) return this.drop('unknown-vc');
    this.counters_.dataIn++;
  }

  // ------------------------------------------------------------------ peers, links, discovery

  private resolve(called: AtmAddress): Mac | undefined {
    for (const p of this.peers.values()) if (p.addresses.includes(called)) return p.mac;
    return undefined;
  }

  /** a peer that spoke SSCOP to us before we heard of it (discovery off on its side, or a restart) */
  private learnPeer(mac: Mac): PeerState | undefined {
    if (!this.roomForPeer()) return undefined;
    return this.addPeer({ mac, addresses: [], source: 'discovery', lastSeen: this.scheduler.now() });
  }

  /**
   * Whether one more peer fits under limits.peers. When the table is full, a
   * learned peer that never became one (no link up, no addresses, no calls:
   * typically a forged source MAC) is forgotten to make room, the stalest
   * first; without that, a burst of frames from forged sources would lock
   * every real newcomer out for good.
   */
  private roomForPeer(): boolean {
    const cap = this.options.limits?.peers;
    if (cap === undefined || this.peers.size < cap) return true;
    const calls = new Map(this.uni.snapshot().links.map((l) => [l.peer, l.calls]));
    let victim: PeerState | undefined;
    for (const p of this.peers.values()) {
      if (p.source !== 'discovery' || p.addresses.length > 0 || p.link?.established || (calls.get(p.mac) ?? 0) > 0) continue;
      if (!victim || (p.lastSeen ?? 0) < (victim.lastSeen ?? 0)) victim = p;
    }
    if (!victim) return false;
    this.forgetPeer(victim);
    return true;
  }

  private forgetPeer(p: PeerState): void {
    this.peers.delete(p.mac);
    this.linkSubs.get(p.mac)?.unsubscribe();
    this.linkSubs.delete(p.mac);
    this.retries.forget(p.mac);
    if (p.link) {
      this.uni.detachLink(p.mac);
      this.mux.remove(p.mac);
    }
    this.log.info({ peer: p.mac }, 'peer forgotten to make room (never linked, no addresses)');
  }

  private addPeer(p: PeerState): PeerState {
    const peer: PeerState = { ...p, mac: p.mac.toLowerCase() };
    this.peers.set(peer.mac, peer);
    this.events.next({ kind: 'peer', peer: peer.mac, change: 'discovered', addresses: peer.addresses });
    this.log.info({ peer: peer.mac, peerName: peer.name, addresses: peer.addresses, source: peer.source }, 'peer added');
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
    if (this.options.role !== 'auto') return this.options.role;
    if (peer.announcedRole === 'network') return 'user';
    if (peer.announcedRole === 'user') return 'network';
    return compareMac(this.mac, peer.mac) < 0 ? 'network' : 'user';
  }

  private ensureLink(peer: PeerState): SaalLink {
    if (peer.link) return peer.link;
    const link = this.mux.link(peer.mac);
    peer.link = link;
    peer.side = this.sideFor(peer);
    // each signalling message is reported as a `message` event (decoded only while someone listens)
    const report = (direction: 'in' | 'out', sdu: Buffer) => {
      if (!this.events.observed) return;
      const ev = summarizeMessage(direction, peer.mac, sdu);
      if (ev) this.events.next(ev);
    };
    this.uni.attachLink(peer.mac, reportingSaal(link, report), peer.side);
    this.linkSubs.set(
      peer.mac,
      link.signals$.subscribe((s) => {
        if (s.kind === 'establish-confirm' || s.kind === 'establish-indication') {
          this.log.info({ peer: peer.mac, peerName: peer.name, side: peer.side }, 'link up (SSCOP Data Transfer Ready)');
          this.retries.up(peer.mac);
          this.reportLink(peer, link);
        } else if (s.kind === 'release-indication' || s.kind === 'release-confirm') {
          const reason = s.kind === 'release-indication' ? s.reason : 'released';
          if (!this.stopped) this.retries.down(peer.mac, reason);
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
      this.events.next({ kind: 'link-state', peer: peer.mac, state, established, ...(reason ? { reason } : {}) });
    });
  }

  /** a discovered peer is tried while its announcement is valid; a static peer always */
  private wantsLink(mac: Mac): boolean {
    const p = this.peers.get(mac);
    if (this.stopped || !p?.link) return false;
    if (p.source === 'static') return true;
    return p.addresses.length > 0 && p.lastSeen !== undefined && this.scheduler.now() - p.lastSeen <= this.options.discovery.holdTimeMs;
  }

  private announce(holdTimeMs = this.options.discovery.holdTimeMs): void {
    const fields = { mac: this.mac, role: this.options.role, holdTimeS: Math.min(0xffff, Math.round(holdTimeMs / 1000)), addresses: this.addresses };
    const v = this.verifier;
    const sdu = v ? emitSignedAnnouncement(fields, Math.floor(this.scheduler.now()), (signed) => v.sign(signed)) : emitAnnouncement({ version: 1, ...fields });
    this.counters_.discoveryOut++;
    this.sendSdu(BROADCAST_MAC, 0, VCI_DISCOVERY, sdu);
  }

  private onAnnouncement(src: Mac, sdu: Buffer): void {
    const r = parseAnnouncement(sdu);
    if (!r.ok) return this.drop(r.error.code);
    const a = r.value;
    if (a.mac !== src) return this.drop('discovery-mac-mismatch');
    // with a lab key only signed, fresh, new announcements count; without one, both versions are taken as they are
    if (this.verifier) {
      const verdict = this.verifier.verify(a);
      if (verdict !== 'ok') return this.drop(`discovery-${verdict}`);
    }
    this.counters_.discoveryIn++;
    const now = this.scheduler.now();
    const known = this.peers.get(src);
    if (a.holdTimeS === 0) {
      // the peer is leaving: forget its addresses; SSCOP tells us about the link itself
      if (known && known.source === 'discovery') {
        known.addresses = [];
        this.events.next({ kind: 'peer', peer: src, change: 'lost', addresses: [] });
      }
      return;
    }
    if (!known) {
      if (!this.roomForPeer()) return this.drop('peer-limit');
      this.addPeer({ mac: src, addresses: a.addresses, source: 'discovery', announcedRole: a.role, lastSeen: now });
      return;
    }
    known.lastSeen = now;
    const merged = known.source === 'static' ? [...new Set([...known.addresses, ...a.addresses])] : a.addresses;
    if (merged.join() !== known.addresses.join()) {
      known.addresses = merged;
      this.events.next({ kind: 'peer', peer: src, change: 'updated', addresses: merged });
    }
    // a peer that came back (restart): its announcement is our cue to re-establish at once (not while backing off)
    if (known.link && !known.link.established && known.link.state === 'Idle' && this.retries.announced(src)) known.link.establish();
  }

  private expirePeers(): void {
    const now = this.scheduler.now();
    for (const p of this.peers.values()) {
      if (p.source !== 'discovery' || p.lastSeen === undefined || p.addresses.length === 0) continue;
      if (now - p.lastSeen > this.options.discovery.holdTimeMs) {
        p.addresses = [];
        this.events.next({ kind: 'peer', peer: p.mac, change: 'lost', addresses: [] });
      }
    }
  }

  /** UNI indications in the log with names (cause names, peer names), close data as its length */
  private onUniIndication(ind: UniIndication): void {
    const level = ind.kind === 'protocol-error' ? 'warn' : ind.kind === 'link-down' || ind.kind === 'restart' || ind.kind === 'released' || ind.kind === 'party-dropped' ? 'info' : 'debug';
    // every call makes several indications: no fields formatted for a log that drops them
    if (this.log === silentLog || this.log.isLevelEnabled?.(level) === false) return;
    const fields: Record<string, unknown> = { ...ind };
    if ('cause' in ind && typeof ind.cause === 'number') fields.cause = `${causeName(ind.cause)} (${ind.cause})`;
    if ('closeData' in ind) fields.closeData = ind.closeData ? `${ind.closeData.length} octets` : undefined;
    if ('peer' in ind) fields.peerName = this.peers.get(ind.peer)?.name;
    if (ind.kind === 'protocol-error') this.log.warn(fields, `Q.2931 protocol error: ${ind.message}`);
    else if (level === 'info') this.log.info(fields, `uni ${ind.kind}`);
    else this.log.debug(fields, `uni ${ind.kind}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
