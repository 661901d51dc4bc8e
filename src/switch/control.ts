/**
 * The control socket's backend for a switch daemon: status (ports, hosts,
 * routes, calls, parties), counters and the switch's events. A switch has no
 * CoNDIS client: SAP, VC, call and data requests are refused as unsupported.
 */
import { map, type Observable } from 'rxjs';
import type { ControlBackend, ControlEvent, Counters, DaemonInfo, LinkInfo, PeerInfo } from '../control/backend.js';
import { ControlError } from '../control/errors.js';
import type { AtmSwitch } from './switch.js';
import type { SwitchSnapshot } from './types.js';

function unsupported(what: string): Promise<never> {
  return Promise.reject(new ControlError('unsupported', `this daemon is a switch: it has no CoNDIS client to ${what}`));
}

export class SwitchControlBackend implements ControlBackend {
  readonly events$: Observable<ControlEvent>;

  constructor(
    private readonly sw: AtmSwitch,
    private readonly meta: { version: string },
  ) {
    this.events$ = sw.events$.pipe(map((event): ControlEvent => ({ kind: 'switch', event })));
  }

  async info(): Promise<DaemonInfo> {
    const ports = this.sw.portList();
    return {
      name: this.sw.name,
      version: this.meta.version,
      addresses: [],
      mac: ports[0]?.mac ?? '00:00:00:00:00:00',
      miniport: ports.map((p) => `${p.name}=${p.miniport.name}`).join(' '),
      callManager: { shape: 'cm', completion: 'pending' },
      closeData: { allowed: true, maxOctets: 127 },
    };
  }

  registerSap = () => unsupported('register a SAP');
  deregisterSap = () => unsupported('deregister a SAP');
  setIncomingPolicy = () => unsupported('set an incoming policy');
  answerCall = () => unsupported('answer a call');
  createVc = () => unsupported('create a VC');
  deleteVc = () => unsupported('delete a VC');
  makeCall = () => unsupported('make a call');
  addParty = () => unsupported('add a party');
  dropParty = () => unsupported('drop a party');
  closeCall = () => unsupported('close a call');
  send = () => unsupported('send data');

  async saps() {
    return [];
  }

  async vcs() {
    return [];
  }

  async parties() {
    return [];
  }

  /** every host on every port, as a host daemon lists its peers */
  async peers(): Promise<PeerInfo[]> {
    return this.sw.portList().flatMap((p) =>
      p.hostList().map((h) => ({ mac: h.mac, ...(h.name ? { name: h.name } : {}), addresses: [...h.addresses], source: h.source, linked: h.saal?.established ?? false })),
    );
  }

  async links(): Promise<LinkInfo[]> {
    // legs per port and host, counted in one pass (a port has up to limits.hostsPerPort hosts)
    const legs = new Map<string, number>();
    for (const c of this.sw.snapshot().calls)
      for (const l of c.legs) {
        const key = `${l.port}|${l.peer}`;
        legs.set(key, (legs.get(key) ?? 0) + 1);
      }
    return this.sw.portList().flatMap((p) =>
      p.hostList().map((h) => ({
        peer: h.mac,
        name: `${p.name}${h.name ? `/${h.name}` : ''}`,
        side: 'network' as const,
        state: h.saal?.state ?? 'Idle',
        established: h.saal?.established ?? false,
        calls: legs.get(`${p.name}|${h.mac}`) ?? 0,
      })),
    );
  }

  async counters(): Promise<Counters> {
    const c = this.sw.counters();
    const out: Counters = { switch: { ...c.calls }, fabric: { ...c.fabric } };
    for (const [name, p] of Object.entries(c.ports)) {
      const drops = Object.values(p.drops).reduce((a, b) => a + b, 0);
      const reasons = Object.fromEntries(Object.entries(p.drops).map(([k, v]) => [`drops.${k}`, v]));
      out[`port ${name}`] = { framesIn: p.framesIn, framesOut: p.framesOut, discoveryIn: p.discoveryIn, discoveryOut: p.discoveryOut, dataIn: p.dataIn, drops, ...reasons };
    }
    // with a lab key: announcements by verdict, all ports (docs/security.md)
    if (c.discoveryAuth) out['discoveryAuth'] = { ...c.discoveryAuth };
    return out;
  }

  async switch(): Promise<SwitchSnapshot> {
    return this.sw.snapshot();
  }
}
