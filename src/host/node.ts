/**
 * One condis-tap host, assembled: a miniport below, then the wire codec, one
 * SSCOP association per peer MAC (VCI 5), neighbour discovery (VCI 16), the
 * UNI signalling host, and CoNDIS (NDIS + the Q.2931 call manager) on top,
 * with user data on VCI 32 and up going straight between the miniport and
 * NDIS's data path.
 *
 * The jobs live in their own files: frame routing (router.ts), NDIS's
 * miniport data path (wire-datapath.ts), the peer table with discovery and link
 * retries (peers.ts), the orderly shutdown (shutdown.ts); this file builds
 * them and wires them together.
 *
 * Received frames are handled strictly in order, one at a time, from the
 * miniport's Observable; every layer below NDIS is synchronous, so signalling
 * per link stays in order and a slow client (answering over the control
 * socket, later) never stalls a link.
 */
import { asyncScheduler, interval, Subject, tap, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { Mac } from '../common/mac.js';
import type { Miniport } from '../miniport/types.js';
import { AnnouncementVerifier, cellHeader, ETHERTYPE_CONDIS, frameHeader, maxSdu } from '../wire/index.js';
import { createSaalMux, type SaalMux } from '../sscop/index.js';
import { createCallControl } from '../callcontrol/index.js';
import { causeName } from '../uni/msg/names.js';
import type { AtmAddress, UniHost, UniIndication } from '../uni/api.js';
import { createNdisStack, type NdisHost, type UniCallManager } from '../ndis/index.js';
import { WireDataPath } from './wire-datapath.js';
import type { RetryInfo } from './retry.js';
import { FrameRouter } from './router.js';
import { PeerTable } from './peers.js';
import { shutdownHost } from './shutdown.js';
import { silentLog, type NodeCounters, type NodeEvent, type NodeLog, type NodeOptions, type PeerIndex, type PeerState } from './node-types.js';

export type { NodeCounters, NodeEvent, NodeLog, NodeOptions, PeerConfig, PeerIndex, PeerState } from './node-types.js';

export class CondisNode {
  readonly name: string;
  readonly mac: Mac;
  readonly uni: UniHost;
  readonly ndis: NdisHost;
  readonly cm: UniCallManager;
  readonly miniport: Miniport;
  readonly addresses: AtmAddress[];
  readonly options: NodeOptions;

  private readonly scheduler: SchedulerLike;
  private readonly log: NodeLog;
  private readonly mux: SaalMux;
  private readonly router: FrameRouter;
  private readonly peers: PeerTable;
  private readonly dataPath: WireDataPath;
  private readonly events = new Subject<NodeEvent>();
  private readonly subs: Subscription[] = [];
  private readonly counters_: NodeCounters = { drops: {}, framesIn: 0, framesOut: 0, discoveryIn: 0, discoveryOut: 0, dataIn: 0, dataOut: 0, dataDroppedLinkDown: 0 };
  private readonly stack: { dispose(): void };
  private announceTimer?: Subscription;
  /** set with discovery.auth: signs our announcements, judges the others' */
  private readonly verifier?: AnnouncementVerifier;
  private stopped = false;

  constructor(opts: NodeOptions) {
    this.options = opts;
    this.name = opts.name;
    this.miniport = opts.miniport;
    this.mac = opts.miniport.mac;
    this.addresses = opts.addresses;
    const etherType = opts.etherType ?? ETHERTYPE_CONDIS;
    this.scheduler = opts.scheduler ?? asyncScheduler;
    this.log = opts.log ?? silentLog;
    if (opts.discovery.auth) {
      this.verifier = new AnnouncementVerifier({ key: opts.discovery.auth.key, maxAgeMs: opts.discovery.auth.maxAgeMs, now: () => this.scheduler.now() });
    }
    const allowed = opts.allowPeers ? new Set(opts.allowPeers.map((m) => m.toLowerCase())) : undefined;

    // an SSCOP PDU must fit one frame: MaxK/MaxJ follow the medium (1484 octets at MTU 1500; the SD trailer takes 4)
    // (payloads are padded to a multiple of 4)
    const room = maxSdu(opts.miniport.mtu);
    const maxK = Math.floor((room - 4) / 4) * 4;
    const maxJ = Math.floor((room - 8) / 4) * 4;
    this.uni = createCallControl({
      resolve: (called) => this.peers.resolve(called),
      ownAddresses: opts.addresses,
      timers: opts.uniTimers,
      closeData: opts.closeData,
      limits: opts.limits,
      scheduler: this.scheduler,
    });

    this.dataPath = new WireDataPath(
      {
        header: (path) => frameHeader(path.peer, this.mac, etherType, cellHeader(path.vpi, path.vci)),
        sendFrame: (path, frame, sdu) => {
          if (this.stopped) return;
          // a call kept through a link outage (T309): its data is dropped and counted until SSCOP is back
          if (this.peers.get(path.peer)?.link?.established === false) {
            this.counters_.dataDroppedLinkDown++;
            return;
          }
          this.counters_.dataOut++;
          this.router.transmit(frame, path.vpi, path.vci, sdu, path.peer);
        },
      },
      room,
      // the sends of one turn complete on a later one: on the injected scheduler when there is one
      opts.scheduler,
      opts.miniport.ownedFrames === true,
      // every frame goes to the miniport before sendFrame returns (router.transmit: the path down is
      // synchronous, and the capture takes the SDU, not the frame): the miniport alone may keep it
      opts.miniport.sendCopies === true,
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
      // the top of the path up: call control's indications, logged, to NDIS's call manager (its operator)
      indications$: this.uni.indications$.pipe(tap((ind) => this.onUniIndication(ind))),
    });
    this.ndis = stack.ndis;
    this.cm = stack.cm;
    this.stack = stack;

    this.router = new FrameRouter({
      mac: this.mac,
      etherType,
      miniport: opts.miniport,
      counters: this.counters_,
      dataPath: this.dataPath,
      allowed,
      capture: opts.capture,
      hooks: {
        signalling: (src, pdu) => this.peers.signalling(src, pdu),
        discovery: (src, sdu) => this.peers.onAnnouncement(src, sdu),
      },
    });
    // made after the router, whose path down (link-down-path.ts) each link's PDUs go into from its first one
    const router = this.router;
    this.mux = createSaalMux({
      pathTo: (peer) => router.signallingTo(peer),
      scheduler: this.scheduler,
      params: { maxK, maxJ, ...opts.sscop },
      name: opts.name,
    });
    this.peers = new PeerTable({
      options: opts,
      mac: this.mac,
      scheduler: this.scheduler,
      log: this.log,
      uni: this.uni,
      mux: this.mux,
      events: this.events,
      counters: this.counters_,
      verifier: this.verifier,
      announce: (sdu) => router.announce(sdu),
      drop: (reason) => this.router.drop(reason),
      stopped: () => this.stopped,
    });

    this.subs.push(
      // the path up (link-pipeline.ts): frames -> frame view -> VC demux -> SAAL link / discovery / data path
      this.router.upPath(opts.miniport.frames$).subscribe({
        error: (e: unknown) => this.log.warn({ err: String(e) }, 'miniport failed'),
      }),
    );

    for (const p of opts.peers) this.peers.add({ mac: p.mac, name: p.name, addresses: p.addresses, sideOverride: p.role, source: 'static' });
    if (opts.discovery.enabled) this.peers.announce();
    if (opts.discovery.enabled) {
      // announcements and neighbour expiry share one cadence (links are retried by the peer table's retries)
      this.announceTimer = interval(opts.discovery.intervalMs, this.scheduler).subscribe(() => {
        this.peers.announce();
        this.peers.expire();
      });
    }
  }

  /** peer discoveries and link state changes, for the control socket */
  get events$(): Observable<NodeEvent> {
    return this.events.asObservable();
  }

  peerList(): PeerState[] {
    return this.peers.list();
  }

  /** the peer table to read: by MAC, all, and by address (its holders) */
  peerIndex(): PeerIndex {
    return this.peers;
  }

  /** a peer whose link is down and being retried: failed attempts in a row, when the next one is due */
  linkRetry(peer: Mac): RetryInfo | undefined {
    return this.peers.retries.info(peer);
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
   * then timers stopped. Waits at most `graceMs` for the peers to answer
   * (shutdown.ts; with nothing to wait for, or no grace, it is all done
   * before this returns its promise).
   */
  async shutdown(graceMs = 2000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.announceTimer?.unsubscribe();
    this.peers.retries.dispose();
    await shutdownHost(
      {
        uni: this.uni,
        links: () => this.peers.links(),
        scheduler: this.scheduler,
        finish: () => {
          if (this.options.discovery.enabled) this.peers.announce(0);
          this.stack.dispose();
          // the stack's path (with the indication log in front) is gone: what disposing call control
          // still reports (calls cleared locally when the grace ran out) goes to the log alone
          const last = this.uni.indications$.subscribe((ind) => this.onUniIndication(ind));
          this.uni.dispose();
          last.unsubscribe();
          this.mux.dispose();
          for (const s of this.subs) s.unsubscribe();
          this.peers.dispose();
          this.events.complete();
        },
      },
      graceMs,
    );
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
