/**
 * One port of the switch: a miniport (tap, nic, etherip, memory) with the
 * hosts on its segment. Per host one SSCOP association (VCI 5); neighbour
 * discovery (VCI 16) both ways: the port learns each host's addresses (routes)
 * and announces, with role preference "network", the addresses the switch
 * reaches through its other ports, so hosts route those calls to the switch;
 * user data (VCI 32 and up) goes to the fabric without being decoded into
 * records.
 *
 * What happens on each host's UNI link is call control's (calls.ts): the port
 * hands it every SSCOP association it opens.
 */
import { interval, merge, type SchedulerLike, type Subscription } from 'rxjs';
import { settle } from '../common/settle.js';
import { BROADCAST_MAC, type Mac } from '../common/mac.js';
import type { Miniport } from '../miniport/types.js';
import { createSaalMux, type SaalLink, type SaalMux, type SscopParams } from '../sscop/index.js';
import type { AtmAddress } from '../uni/api.js';
import {
  announcementLength,
  cellHeader,
  DISCOVERY_MAX_ADDRESSES,
  emitAnnouncement,
  emitFrame,
  FrameView,
  macNumber,
  maxSdu,
  parseAnnouncement,
  VCI_DISCOVERY,
  VCI_SIGNALLING,
  type MacNumber,
} from '../wire/index.js';
import type { FabricPort } from './fabric.js';
import type { SwitchGuard } from './guard.js';
import type { SwitchLog } from './types.js';

export interface PortHost {
  mac: Mac;
  name?: string;
  addresses: AtmAddress[];
  source: 'static' | 'discovery';
  /** scheduler clock of the last announcement (discovered hosts) */
  lastSeen?: number;
  saal?: SaalLink;
}

export interface PortHooks {
  /** an SSCOP association to a host exists: call control puts a UNI link (network side) on it */
  linkCreated(port: SwitchPort, peer: Mac, saal: SaalLink): void;
  /** the host is forgotten (its association is disposed right after) */
  linkRemoved(port: SwitchPort, peer: Mac): void;
  /** what a host on this port announced (or was configured with); [] when it left or expired */
  hostAddresses(port: SwitchPort, peer: Mac, addresses: AtmAddress[]): void;
  /** what the switch announces on this port */
  announced(port: SwitchPort): AtmAddress[];
  /** a user data frame from host `src` (48-bit MAC number) on VPI/VCI key `vc`; false: no VC there */
  data(port: SwitchPort, src: number, vc: number, frame: Buffer): boolean;
}

export interface SwitchPortOptions {
  name: string;
  miniport: Miniport;
  etherType: number;
  scheduler: SchedulerLike;
  sscop?: Partial<SscopParams>;
  discovery: { enabled: boolean; intervalMs: number; holdTimeMs: number };
  /** hosts configured on this port (they need no discovery) */
  hosts?: { mac: Mac; name?: string; addresses: AtmAddress[] }[];
  /** the UNI side played towards the hosts on this port ('user': an IISP link to another switch) */
  side: 'network' | 'user';
  /** most hosts learned on this port; a newcomer past it is dropped and counted */
  maxHosts: number;
  /** every SDU sent or received on the port (for the switch's capture); frames are decoded for it only when it is set */
  capture?: (direction: 'tx' | 'rx', vpi: number, vci: number, sdu: Buffer, peer: Mac) => void;
  log: SwitchLog;
  hooks: PortHooks;
  /** lab key and allow-list (guard.ts): signs announcements, refuses what a keyed / listed switch must not take */
  guard?: SwitchGuard;
}

export interface PortCounters {
  framesIn: number;
  framesOut: number;
  discoveryIn: number;
  discoveryOut: number;
  dataIn: number;
  /** frames dropped, by reason (decode error code, not-for-us, unknown-vc, host-limit, ...) */
  drops: Record<string, number>;
}

export class SwitchPort implements FabricPort {
  readonly name: string;
  readonly mac: Mac;
  readonly etherType: number;
  readonly miniport: Miniport;
  readonly side: 'network' | 'user';
  private readonly hosts = new Map<Mac, PortHost>();
  private readonly mux: SaalMux;
  /** our MAC as a number, and one view for received frames and one for sent ones (captures): no offsets read here */
  private readonly me: MacNumber;
  private readonly rxView: FrameView;
  private readonly txView: FrameView;
  private readonly subs: Subscription[] = [];
  private readonly c: PortCounters = { framesIn: 0, framesOut: 0, discoveryIn: 0, discoveryOut: 0, dataIn: 0, drops: {} };
  private stopped = false;

  constructor(private readonly o: SwitchPortOptions) {
    this.name = o.name;
    this.miniport = o.miniport;
    this.mac = o.miniport.mac.toLowerCase();
    this.etherType = o.etherType;
    this.side = o.side;
    this.me = macNumber(this.mac);
    this.rxView = new FrameView(o.etherType);
    this.txView = new FrameView(o.etherType);
    const room = maxSdu(o.miniport.mtu);
    this.mux = createSaalMux({
      send: (peer, pdu) => this.sendSdu(peer, VCI_SIGNALLING, pdu),
      scheduler: o.scheduler,
      params: { maxK: Math.floor((room - 4) / 4) * 4, maxJ: Math.floor((room - 8) / 4) * 4, ...o.sscop },
      name: `${o.name}`,
    });
  }

  /** subscribe to the miniport, add the configured hosts, announce; call once, after the hooks can take calls */
  start(): void {
    this.subs.push(
      this.miniport.frames$.subscribe({
        next: (f) => this.onFrame(f),
        error: (e: unknown) => this.o.log.warn({ port: this.name, err: String(e) }, 'port miniport failed'),
      }),
    );
    for (const h of this.o.hosts ?? []) this.addHost({ mac: h.mac.toLowerCase(), name: h.name, addresses: h.addresses, source: 'static' });
    if (this.o.discovery.enabled) this.announce();
    this.subs.push(
      interval(this.o.discovery.intervalMs, this.o.scheduler).subscribe(() => {
        if (this.o.discovery.enabled) {
          this.announce();
          this.expire();
        }
        this.retry();
      }),
    );
  }

  hostList(): PortHost[] {
    return [...this.hosts.values()];
  }

  counters(): PortCounters {
    return { ...this.c, drops: { ...this.c.drops } };
  }

  sscopState(peer: Mac): string | undefined {
    return this.hosts.get(peer)?.saal?.state;
  }

  // ---- sending ---------------------------------------------------------------

  sendFrame(frame: Buffer): void {
    if (this.stopped) return;
    this.c.framesOut++;
    if (this.o.capture) {
      const v = this.txView.wrap(frame);
      if (v.check()) this.o.capture('tx', v.vpi, v.vci, v.sdu, v.dstMac);
    }
    this.miniport.send(frame);
  }

  private sendSdu(peer: Mac, vci: number, sdu: Buffer): void {
    this.sendFrame(emitFrame({ dst: peer, src: this.mac, etherType: this.etherType, cell: cellHeader(0, vci), uu: 0, cpi: 0, sdu }));
  }

  /** the switch's announcement on this port: role network, the addresses reachable through the other ports (as many as fit) */
  announce(holdTimeMs = this.o.discovery.holdTimeMs): void {
    if (this.stopped && holdTimeMs !== 0) return;
    const room = maxSdu(this.miniport.mtu);
    const addresses: AtmAddress[] = [];
    for (const a of holdTimeMs === 0 ? [] : this.o.hooks.announced(this)) {
      if (addresses.length >= DISCOVERY_MAX_ADDRESSES || announcementLength({ addresses: [...addresses, a] }) > room) {
        this.drop('announce-full');
        break;
      }
      addresses.push(a);
    }
    this.c.discoveryOut++;
    const fields = { mac: this.mac, role: 'network' as const, holdTimeS: Math.min(0xffff, Math.round(holdTimeMs / 1000)), addresses };
    this.sendSdu(BROADCAST_MAC, VCI_DISCOVERY, this.o.guard ? this.o.guard.announcement(fields) : emitAnnouncement({ version: 1, ...fields }));
  }

  // ---- receiving ---------------------------------------------------------------

  private drop(reason: string): void {
    this.c.drops[reason] = (this.c.drops[reason] ?? 0) + 1;
  }

  private onFrame(buf: Buffer): void {
    this.c.framesIn++;
    const v = this.rxView.wrap(buf);
    const vc = v.hasHeader ? v.vcKey : -1;
    if (vc >= 0 && vc !== VCI_SIGNALLING && vc !== VCI_DISCOVERY) {
      // user data: checked (the trailer and CRC) but not decoded; the fabric takes the source MAC as a number
      if (v.dst !== this.me) return this.drop('not-for-us');
      if (!v.check()) return this.drop(v.errorCode());
      if (this.o.capture) this.o.capture('rx', v.vpi, v.vci, v.sdu, v.srcMac);
      if (!this.o.hooks.data(this, v.src, vc, buf)) return this.drop('unknown-vc');
      this.c.dataIn++;
      return;
    }
    if (!v.check()) return this.drop(v.errorCode());
    if (v.src === this.me) return this.drop('own-frame');
    const src = v.srcMac;
    const toUs = v.dst === this.me;
    if (this.o.capture && (toUs || vc === VCI_DISCOVERY)) this.o.capture('rx', v.vpi, v.vci, v.sdu, src);
    const refused = this.o.guard?.refuseFrame(src, v.vpi, v.vci);
    if (refused) return this.drop(refused);
    if (vc === VCI_DISCOVERY) return this.onAnnouncement(src, v.sdu);
    if (!toUs) return this.drop('not-for-us');
    const host = this.hosts.get(src) ?? this.learn(src);
    if (!host) return this.drop('host-limit');
    this.ensureLink(host).receive(Buffer.from(v.sdu));
  }

  private onAnnouncement(src: Mac, sdu: Buffer): void {
    const r = parseAnnouncement(sdu);
    if (!r.ok) return this.drop(r.error.code);
    const a = r.value;
    if (a.mac !== src) return this.drop('discovery-mac-mismatch');
    const refused = this.o.guard?.refuseAnnouncement(a);
    if (refused) return this.drop(refused);
    this.c.discoveryIn++;
    const known = this.hosts.get(src);
    if (a.holdTimeS === 0) {
      if (known && known.source === 'discovery' && known.addresses.length > 0) this.setAddresses(known, []);
      return;
    }
    if (!known) {
      if (this.hosts.size >= this.o.maxHosts) return this.drop('host-limit');
      this.addHost({ mac: src, addresses: a.addresses, source: 'discovery', lastSeen: this.o.scheduler.now() });
      return;
    }
    known.lastSeen = this.o.scheduler.now();
    const addresses = known.source === 'static' ? [...new Set([...known.addresses, ...a.addresses])] : a.addresses;
    if (addresses.join() !== known.addresses.join()) this.setAddresses(known, addresses);
    // a host that came back (restart): its announcement is our cue to re-establish at once
    if (known.saal && !known.saal.established && known.saal.state === 'Idle') known.saal.establish();
  }

  /** a host that spoke SSCOP before we heard it announce */
  private learn(mac: Mac): PortHost | undefined {
    if (this.hosts.size >= this.o.maxHosts) return undefined;
    return this.addHost({ mac, addresses: [], source: 'discovery', lastSeen: this.o.scheduler.now() });
  }

  private addHost(h: PortHost): PortHost {
    this.hosts.set(h.mac, h);
    this.o.log.info({ port: this.name, host: h.mac, name: h.name, addresses: h.addresses, source: h.source }, 'switch port: host added');
    if (h.addresses.length) this.o.hooks.hostAddresses(this, h.mac, h.addresses);
    this.ensureLink(h).establish();
    return h;
  }

  private setAddresses(h: PortHost, addresses: AtmAddress[]): void {
    h.addresses = addresses;
    this.o.log.info({ port: this.name, host: h.mac, addresses }, 'switch port: host addresses');
    this.o.hooks.hostAddresses(this, h.mac, addresses);
  }

  private ensureLink(h: PortHost): SaalLink {
    if (h.saal) return h.saal;
    const saal = this.mux.link(h.mac);
    h.saal = saal;
    this.o.hooks.linkCreated(this, h.mac, saal);
    return saal;
  }

  private expire(): void {
    const now = this.o.scheduler.now();
    for (const h of this.hosts.values()) {
      if (h.source !== 'discovery' || h.lastSeen === undefined || h.addresses.length === 0) continue;
      if (now - h.lastSeen > this.o.discovery.holdTimeMs) this.setAddresses(h, []);
    }
  }

  /** associations with configured hosts (and hosts still announcing) that fell back to Idle are tried again */
  private retry(): void {
    for (const h of this.hosts.values()) {
      if (!h.saal || h.saal.state !== 'Idle') continue;
      if (h.source === 'static' || h.addresses.length > 0) h.saal.establish();
    }
  }

  /** forget a host: its UNI link goes first (its calls are cleared), then its association */
  removeHost(mac: Mac): void {
    const h = this.hosts.get(mac);
    if (!h) return;
    if (h.addresses.length) this.o.hooks.hostAddresses(this, mac, []);
    this.o.hooks.linkRemoved(this, mac);
    this.hosts.delete(mac);
    this.mux.remove(mac);
  }

  /**
   * End every association (END), say goodbye (hold time 0); waits at most until `deadline` (the
   * port scheduler's clock: epoch ms with the default one) for the ENDAKs, on the links' state changes.
   */
  async stop(deadline: number): Promise<void> {
    if (this.stopped) return;
    for (const h of this.hosts.values()) if (h.saal?.established) h.saal.release();
    const busy = (): SaalLink[] => [...this.hosts.values()].flatMap((h) => (h.saal && h.saal.state !== 'Idle' ? [h.saal] : []));
    const idle = settle(() => busy().length === 0, merge(...busy().map((l) => l.state$)), deadline - this.o.scheduler.now(), this.o.scheduler);
    if (idle) await idle;
    if (this.o.discovery.enabled) this.announce(0);
    this.stopped = true;
    for (const s of this.subs) s.unsubscribe();
    for (const mac of [...this.hosts.keys()]) this.o.hooks.linkRemoved(this, mac);
    this.hosts.clear();
    this.mux.dispose();
  }
}

