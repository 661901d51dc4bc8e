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
import { BROADCAST_MAC, compareMac, macToBuffer, type Mac } from '../common/mac.js';
import type { Miniport } from '../miniport/types.js';
import {
  aal5TrailerAt,
  cellHeader,
  emitAnnouncement,
  emitFrame,
  emitFrameAfter,
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
import { createUniHost } from '../uni/index.js';
import { causeName } from '../uni/msg/names.js';
import type { AtmAddress, CloseDataPolicy, UniHost, UniIndication, UniTimers, VcPath } from '../uni/api.js';
import { createNdisStack, NdisStatus, type DataPathReceive, type NdisDataPath, type NdisHost, type UniCallManager } from '../ndis/index.js';

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
  discovery: { enabled: boolean; intervalMs: number; holdTimeMs: number };
  sscop?: Partial<SscopParams>;
  uniTimers?: Partial<UniTimers>;
  closeData: CloseDataPolicy;
  callManager: { shape: 'cm' | 'mcm'; completion: 'sync' | 'pending' };
  /** caps: calls and parties per call (UNI), peers (this node), requests in progress (the daemon's backend) */
  limits?: { calls?: number; partiesPerCall?: number; peers?: number; pendingRequests?: number };
  etherType?: number;
  scheduler?: SchedulerLike;
  /** every ATM-layer SDU sent or received (for SunATM captures) */
  capture?: (dir: 'tx' | 'rx', vpi: number, vci: number, sdu: Buffer) => void;
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
  | { kind: 'link-state'; peer: Mac; state: string; established: boolean; reason?: string };

export interface NodeCounters {
  /** frames dropped before any layer took them, by reason (decode error code, not-for-us, unknown-vc, ...) */
  drops: Record<string, number>;
  framesIn: number;
  framesOut: number;
  discoveryIn: number;
  discoveryOut: number;
  dataIn: number;
  dataOut: number;
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
  private readonly counters_: NodeCounters = { drops: {}, framesIn: 0, framesOut: 0, discoveryIn: 0, discoveryOut: 0, dataIn: 0, dataOut: 0 };
  private readonly stack: { dispose(): void };
  private announceTimer?: Subscription;
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

    this.uni = createUniHost({
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

    for (const p of opts.peers) this.addPeer({ mac: p.mac, name: p.name, addresses: p.addresses, sideOverride: p.role, source: 'static' });
    if (opts.discovery.enabled) this.announce();
    if (opts.discovery.enabled || opts.peers.length > 0) {
      // announcements, neighbour expiry, and retries of links that fell back to Idle share one cadence
      this.announceTimer = interval(opts.discovery.intervalMs, this.scheduler).subscribe(() => {
        if (opts.discovery.enabled) {
          this.announce();
          this.expirePeers();
        }
        this.retryLinks();
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

  counters(): NodeCounters {
    return { ...this.counters_, drops: { ...this.counters_.drops } };
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
    this.options.capture?.('tx', vpi, vci, sdu);
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
    this.options.capture?.('rx', f.cell.vpi, f.cell.vci, f.sdu);
    if (f.cell.vpi === 0 && f.cell.vci === VCI_SIGNALLING) {
      if (f.dst !== this.mac) return this.drop('signalling-broadcast');
      const peer = this.peers.get(f.src) ?? this.learnPeer(f.src);
      if (!peer) return this.drop('peer-limit');
      this.ensureLink(peer).receive(Buffer.from(f.sdu));
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
    this.log.info({ peer: peer.mac, name: peer.name, addresses: peer.addresses, source: peer.source }, 'peer added');
    this.ensureLink(peer).establish();
    return peer;
  }

  /**
   * Q.2931 side on the link to `peer` (WIRE.md "Roles on a link"), the same
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
    this.uni.attachLink(peer.mac, link, peer.side);
    this.linkSubs.set(
      peer.mac,
      link.signals$.subscribe((s) => {
        if (s.kind === 'establish-confirm' || s.kind === 'establish-indication') {
          this.log.info({ peer: peer.mac, name: peer.name, side: peer.side }, 'link up (SSCOP Data Transfer Ready)');
          this.events.next({ kind: 'link-state', peer: peer.mac, state: link.state, established: true });
        } else if (s.kind === 'release-indication' || s.kind === 'release-confirm') {
          const reason = s.kind === 'release-indication' ? s.reason : 'released';
          this.log.warn({ peer: peer.mac, name: peer.name, reason }, 'link down');
          this.events.next({ kind: 'link-state', peer: peer.mac, state: link.state, established: false, reason });
        }
      }),
    );
    return link;
  }

  private announce(holdTimeMs = this.options.discovery.holdTimeMs): void {
    const sdu = emitAnnouncement({
      version: 1,
      mac: this.mac,
      role: this.options.role,
      holdTimeS: Math.min(0xffff, Math.round(holdTimeMs / 1000)),
      addresses: this.addresses,
    });
    this.counters_.discoveryOut++;
    this.sendSdu(BROADCAST_MAC, 0, VCI_DISCOVERY, sdu);
  }

  private onAnnouncement(src: Mac, sdu: Buffer): void {
    const r = parseAnnouncement(sdu);
    if (!r.ok) return this.drop(r.error.code);
    const a = r.value;
    if (a.mac !== src) return this.drop('discovery-mac-mismatch');
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
    // a peer that came back (restart): its announcement is our cue to re-establish at once
    if (known.link && !known.link.established && known.link.state === 'Idle') known.link.establish();
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

  /** links to static peers (and peers still announcing) that fell back to Idle are tried again */
  private retryLinks(): void {
    for (const p of this.peers.values()) {
      if (!p.link || p.link.state !== 'Idle') continue;
      if (p.source === 'static' || p.addresses.length > 0) p.link.establish();
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

/** a path of an active VC, with the 18 octets every frame on it starts with */
interface WirePath {
  path: VcPath;
  /** encoded on the first send (a call that never sends data never needs it) */
  header?: Buffer;
  /** VPI/VCI key and the peer's MAC as a 48-bit number: where byPath keeps it */
  key: number;
  mac: number;
}

/**
 * NDIS's miniport half on real frames: an activated VC owns its paths (peer
 * MAC + VPI/VCI); a send fans out to every path (a multipoint root reaches
 * each leaf link); a received frame finds its VC by path.
 *
 * Per frame nothing is parsed or formatted: paths are found by VPI/VCI and the
 * peer's MAC as numbers, each path's frame header is encoded once at
 * activation, a fan-out computes the AAL5 CRC once (it covers only the SDU
 * and trailer, not the header) and copies the frame per further leaf, and the
 * sends of one turn complete together on the next. Received data is handed up
 * as a view into the miniport's buffer: NDIS copies it before indicating it.
 */
class WireDataPath implements NdisDataPath {
  private readonly byVc = new Map<number, WirePath[]>();
  /**
   * VPI/VCI key (vcKey) -> peer MAC as a 48-bit number -> the VCs on that path. Usually one; several when
   * endpoints of one multipoint call at this host (one ATM VC on the wire) are each their own NDIS VC.
   */
  private readonly byPath = new Map<number, Map<number, { vcs: number[]; path: VcPath }>>();
  private pathCount = 0;
  private readonly rx = new Subject<DataPathReceive>();
  readonly receive$ = this.rx.asObservable();
  private outstanding = 0;
  private completing: ((st: number) => void)[] = [];

  constructor(
    private readonly out: { header(path: VcPath): Buffer; sendFrame(path: VcPath, frame: Buffer, sdu: Buffer): void },
    private readonly maxSdu: number,
  ) {}

  private static vcKey(p: VcPath): number {
    return ((p.vpi & 0xff) << 16) | (p.vci & 0xffff);
  }

  private static macNum(mac: Mac): number {
    return macToBuffer(mac).readUIntBE(0, 6);
  }

  private static macAt(buf: Buffer, offset: number): number {
    return buf.readUIntBE(offset, 6);
  }

  activate(vc: number, paths: VcPath[]): number {
    const wire: WirePath[] = paths.map((p) => ({ path: p, key: WireDataPath.vcKey(p), mac: WireDataPath.macNum(p.peer) }));
    this.unbind(vc);
    this.byVc.set(vc, wire);
    for (const w of wire) {
      let peers = this.byPath.get(w.key);
      if (!peers) this.byPath.set(w.key, (peers = new Map()));
      const owner = peers.get(w.mac);
      if (!owner) {
        this.pathCount++;
        peers.set(w.mac, { vcs: [vc], path: w.path });
      } else if (!owner.vcs.includes(vc)) owner.vcs.push(vc);
    }
    return NdisStatus.SUCCESS;
  }

  deactivate(vc: number): number {
    this.unbind(vc);
    return NdisStatus.SUCCESS;
  }

  private unbind(vc: number): void {
    const old = this.byVc.get(vc);
    if (!old) return;
    for (const { key, mac } of old) {
      const peers = this.byPath.get(key);
      const owner = peers?.get(mac);
      const i = owner ? owner.vcs.indexOf(vc) : -1;
      if (!peers || !owner || i < 0) continue;
      owner.vcs.splice(i, 1);
      if (owner.vcs.length > 0) continue;
      peers.delete(mac);
      this.pathCount--;
      if (peers.size === 0) this.byPath.delete(key);
    }
    this.byVc.delete(vc);
  }

  send(vc: number, data: Buffer): Promise<number> {
    const paths = this.byVc.get(vc);
    if (!paths) return Promise.resolve(NdisStatus.VC_NOT_ACTIVATED);
    if (data.length > this.maxSdu) return Promise.resolve(NdisStatus.INVALID_LENGTH);
    this.outstanding++;
    let first: Buffer | undefined;
    for (const p of paths) {
      const header = (p.header ??= this.out.header(p.path));
      let frame: Buffer;
      if (!first) frame = first = emitFrameAfter(header, data);
      else {
        // the same octets after the header, CRC included
        frame = Buffer.allocUnsafe(first.length);
        first.copy(frame);
        header.copy(frame, 0, 0, SDU_OFFSET);
      }
      this.out.sendFrame(p.path, frame, data);
    }
    // the frame is handed to the device: the send completes on the next turn, as a miniport's would
    return new Promise((resolve) => {
      if (this.completing.length === 0) setImmediate(() => this.complete());
      this.completing.push(resolve);
    });
  }

  private complete(): void {
    const done = this.completing;
    this.completing = [];
    this.outstanding -= done.length;
    for (const resolve of done) resolve(NdisStatus.SUCCESS);
  }

  /** false: no active VC owns that path */
  receive(path: VcPath, data: Buffer): boolean {
    const owner = this.byPath.get(WireDataPath.vcKey(path))?.get(WireDataPath.macNum(path.peer));
    if (!owner) return false;
    this.deliver(owner, data);
    return true;
  }

  /** each VC on the path gets the frame (a snapshot: a receiver may deactivate its VC meanwhile) */
  private deliver(owner: { vcs: number[]; path: VcPath }, data: Buffer): void {
    if (owner.vcs.length === 1) this.rx.next({ path: owner.path, data, vc: owner.vcs[0]! });
    else for (const vc of [...owner.vcs]) this.rx.next({ path: owner.path, data, vc });
  }

  /** the fast path: `vc` is the frame's VPI/VCI key, the source MAC is read from the frame */
  receiveRaw(frame: Buffer, vc: number, data: Buffer): boolean {
    const peers = this.byPath.get(vc);
    if (!peers) return false;
    const owner = peers.get(WireDataPath.macAt(frame, 6));
    if (!owner) return false;
    this.deliver(owner, data);
    return true;
  }

  counters(): { activeVcs: number; paths: number; outstandingSends: number } {
    return { activeVcs: this.byVc.size, paths: this.pathCount, outstandingSends: this.outstanding };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
