/**
 * The signalling ATM switch, assembled: ports (switch-port.ts) on miniports, the
 * routing table (routes.ts), call control over the ports' UNI links
 * (calls.ts) and the data plane (fabric.ts). No NDIS above it: a switch is
 * call control with only UNI legs.
 */
import { asyncScheduler, Subject, type Observable, type SchedulerLike } from 'rxjs';
import type { Mac } from '../common/mac.js';
import { settle } from '../common/settle.js';
import type { Miniport } from '../miniport/types.js';
import type { SscopParams } from '../sscop/index.js';
import type { AtmAddress, UniTimers } from '../uni/api.js';
import { ETHERTYPE_CONDIS, type AuthVerdict } from '../wire/index.js';
import { SwitchCalls, type SwitchCallsCounters } from './calls.js';
import { Fabric, type FabricCounters } from './fabric.js';
import { SwitchGuard } from './guard.js';
import { SwitchPort, type PortCounters } from './switch-port.js';
import { RouteTable } from './routes.js';
import type { SwitchCaptureHook } from './capture.js';
import { silentLog, type SwitchEvent, type SwitchLog, type SwitchSnapshot } from './types.js';

export interface SwitchPortConfig {
  name: string;
  miniport: Miniport;
  /** hosts configured on this port, with their addresses (they need no discovery) */
  hosts?: { mac: Mac; name?: string; addresses: AtmAddress[] }[];
  /**
   * the UNI side the switch plays on this port (default 'network'). 'user' makes the port an IISP link
   * to another switch whose port there plays the network side (docs/switch.md).
   */
  side?: 'network' | 'user';
}

export interface SwitchOptions {
  name: string;
  ports: SwitchPortConfig[];
  /** static routes: prefix ('' = default) -> port (and host on it) */
  routes?: { prefix: string; port: string; peer?: Mac }[];
  /** auth: sign announcements with this lab key and take only signed, fresh, new ones (guard.ts, docs/security.md) */
  discovery: { enabled: boolean; intervalMs: number; holdTimeMs: number; auth?: { key: Buffer; maxAgeMs: number } };
  /** only these host MACs may speak signalling or discovery to the switch, on any port; absent: anyone */
  allowPeers?: Mac[];
  sscop?: Partial<SscopParams>;
  uniTimers?: Partial<UniTimers>;
  limits?: { calls?: number; partiesPerCall?: number; hostsPerPort?: number };
  etherType?: number;
  scheduler?: SchedulerLike;
  log?: SwitchLog;
  /** every SDU sent or received on any port (the switch's capture, capture.ts) */
  capture?: SwitchCaptureHook;
}

export interface SwitchCounters {
  calls: SwitchCallsCounters;
  fabric: FabricCounters;
  ports: Record<string, PortCounters>;
  /** with a lab key: announcements by verdict (ok, unauthenticated, wrong-key, stale, replayed), all ports */
  discoveryAuth?: Record<AuthVerdict, number>;
}

export class AtmSwitch {
  readonly name: string;
  readonly routes = new RouteTable();
  private readonly fabric = new Fabric();
  private readonly cc: SwitchCalls;
  private readonly ports = new Map<string, SwitchPort>();
  private readonly events = new Subject<SwitchEvent>();
  /** the one clock of the switch and its ports */
  private readonly scheduler: SchedulerLike;
  private readonly log: SwitchLog;
  private readonly guard?: SwitchGuard;
  private stopped = false;

  constructor(opts: SwitchOptions) {
    this.name = opts.name;
    this.log = opts.log ?? silentLog;
    const scheduler = opts.scheduler ?? asyncScheduler;
    this.scheduler = scheduler;
    const names = new Set<string>();
    for (const p of opts.ports) {
      if (names.has(p.name)) throw new Error(`switch ${opts.name}: port name ${p.name} is used twice`);
      names.add(p.name);
    }
    for (const r of opts.routes ?? []) {
      if (!names.has(r.port)) throw new Error(`switch ${opts.name}: route ${r.prefix || '(default)'} names port ${r.port}, which does not exist`);
      this.routes.addStatic(r.prefix, r.port, r.peer);
    }
    this.cc = new SwitchCalls({
      routes: this.routes,
      fabric: this.fabric,
      scheduler,
      timers: opts.uniTimers,
      limits: { calls: opts.limits?.calls ?? 1024, partiesPerCall: opts.limits?.partiesPerCall ?? 64 },
      log: this.log,
      emit: (e) => this.events.next(e),
      hostsOn: (port) => (this.ports.get(port)?.hostList() ?? []).filter((h) => h.saal?.established).map((h) => h.mac),
    });
    if (opts.discovery.auth || opts.allowPeers) {
      this.guard = new SwitchGuard({
        ...(opts.discovery.auth ? { auth: opts.discovery.auth } : {}),
        ...(opts.allowPeers ? { allowPeers: opts.allowPeers } : {}),
        now: () => scheduler.now(),
      });
    }
    for (const p of opts.ports) {
      const port = new SwitchPort({
        name: p.name,
        miniport: p.miniport,
        etherType: opts.etherType ?? ETHERTYPE_CONDIS,
        scheduler,
        sscop: opts.sscop,
        discovery: opts.discovery,
        hosts: p.hosts,
        side: p.side ?? 'network',
        maxHosts: opts.limits?.hostsPerPort ?? 64,
        ...(opts.capture ? { capture: (dir: 'tx' | 'rx', vpi: number, vci: number, sdu: Buffer, peer: Mac) => opts.capture!(p.name, dir, vpi, vci, sdu, peer) } : {}),
        log: this.log,
        ...(this.guard ? { guard: this.guard } : {}),
        hooks: {
          linkCreated: (port, peer, saal) => this.cc.attach(port.name, peer, saal, port.side),
          linkRemoved: (port, peer) => this.cc.detach(port.name, peer),
          hostAddresses: (port, peer, addresses) => this.learned(port.name, peer, addresses),
          announced: (port) => this.routes.reachableExcept(port.name),
          data: (port, src, vc, frame) => this.fabric.forward(port.name, src, vc, frame),
        },
      });
      this.ports.set(p.name, port);
      this.fabric.addPort(port);
    }
    for (const port of this.ports.values()) port.start();
  }

  get events$(): Observable<SwitchEvent> {
    return this.events.asObservable();
  }

  private learned(port: string, peer: Mac, addresses: AtmAddress[]): void {
    if (!this.routes.learn(port, peer, addresses)) return;
    this.log.info({ port, host: peer, addresses }, 'switch: routes learned from the host');
    this.events.next({ kind: 'switch-route', port, peer, addresses });
    // the other ports tell their hosts what they reach now
    for (const p of this.ports.values()) if (p.name !== port) p.announce();
  }

  portList(): SwitchPort[] {
    return [...this.ports.values()];
  }

  snapshot(): SwitchSnapshot {
    return {
      name: this.name,
      ports: [...this.ports.values()].map((p) => ({
        name: p.name,
        miniport: p.miniport.name,
        mac: p.mac,
        side: p.side,
        hosts: p.hostList().map((h) => ({
          mac: h.mac,
          ...(h.name ? { name: h.name } : {}),
          addresses: [...h.addresses],
          source: h.source,
          ...(h.saal ? { sscop: h.saal.state } : {}),
          ...(this.cc.linkState(p.name, h.mac) ? { uni: this.cc.linkState(p.name, h.mac)! } : {}),
        })),
      })),
      routes: this.routes.list().map((r) => ({ prefix: r.prefix, port: r.port, ...(r.peer ? { peer: r.peer } : {}), source: r.source })),
      calls: this.cc.snapshot(),
    };
  }

  /** the data plane's connections: (port, host, VPI/VCI) in -> out */
  connections() {
    return this.fabric.list();
  }

  counters(): SwitchCounters {
    const ports: Record<string, PortCounters> = {};
    for (const p of this.ports.values()) ports[p.name] = p.counters();
    const auth = this.guard?.counters();
    return { calls: this.cc.counters(), fabric: this.fabric.counters(), ports, ...(auth ? { discoveryAuth: auth } : {}) };
  }

  /**
   * Orderly stop: every call released (cause 41, temporary failure), then
   * every SSCOP association ended and a farewell announcement on each port.
   * Waits at most `graceMs` for the hosts to answer.
   */
  async shutdown(graceMs = 2000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const deadline = this.scheduler.now() + graceMs;
    this.cc.releaseAll(41);
    // each call that clears is a switch-call event: re-check then, never by polling
    await settle(() => this.cc.counters().calls === 0, this.events, graceMs, this.scheduler);
    await Promise.all([...this.ports.values()].map((p) => p.stop(deadline)));
    this.cc.dispose();
    this.events.complete();
  }
}

export function createSwitch(opts: SwitchOptions): AtmSwitch {
  return new AtmSwitch(opts);
}
