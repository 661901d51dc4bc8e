/**
 * An in-memory stand-in for src/uni: a network of UniHost implementations
 * that follow the api.ts contract at the level ndis/ sees it (host calls,
 * parties, indications, close-data policy, paths), plus an in-memory data path
 * (NdisDataPath) per host. Every message is delivered on a later scheduler turn,
 * and everything "sent" is written to `log`, so tests can see what went on the
 * wire and in which order.
 */
import { Subject, type Observable, type SchedulerLike } from 'rxjs';
import { laterScheduler } from '../../src/common/later-scheduler.js';
import { ok, err, type Result } from '../../src/common/result.js';
import type { Mac } from '../../src/common/mac.js';
import type { SaalService } from '../../src/sscop/service.js';
import type {
  AtmAddress,
  CallId,
  ClearingOptions,
  CloseDataPolicy,
  PartyId,
  PeakCellRates,
  PeerId,
  UniCallParams,
  UniCounters,
  UniError,
  UniErrorCode,
  UniHost,
  UniIndication,
  UniPartyParams,
  UniSnapshot,
  VcPath,
} from '../../src/uni/api.js';
import { withCallContext } from '../../src/uni/api.js';
import type { DataPathReceive, MaybePending, NdisDataPath, VcId } from '../../src/ndis/datapath.js';
import { NdisStatus } from '../../src/ndis/status.js';
import { CallFlags, MediaFlags, type CoCallParameters } from '../../src/ndis/types.js';

export interface WireRecord {
  from: Mac;
  to: Mac;
  msg:
    | 'SETUP'
    | 'CONNECT'
    | 'CONNECT ACK'
    | 'RELEASE'
    | 'RELEASE COMPLETE'
    | 'ADD PARTY'
    | 'ADD PARTY ACK'
    | 'ADD PARTY REJECT'
    | 'DROP PARTY'
    | 'DROP PARTY ACK'
    | 'MODIFY REQUEST'
    | 'MODIFY ACK'
    | 'MODIFY REJECT';
  cause?: number;
  closeData?: Buffer;
}

interface RemoteRef {
  host: FakeUniHost;
  call: CallId;
}

interface FakeParty {
  id: PartyId;
  peer: Mac;
  vci: number;
  state: 'adding' | 'connected' | 'dropping';
  remote?: RemoteRef;
  called: AtmAddress;
}

interface FakeCall {
  id: CallId;
  role: 'root' | 'leaf' | 'p2p-out' | 'p2p-in';
  multipoint: boolean;
  peer: Mac;
  vci: number;
  state: 'U1' | 'U6' | 'U8' | 'U10' | 'U11' | 'U3';
  remote?: RemoteRef;
  parties: Map<PartyId, FakeParty>;
  /** parties whose drop we asked for, waiting for the acknowledgement */
  params: UniCallParams;
  /** Q.2963.1: 'req' we asked, 'rcvd' we were asked (the rates asked for in `modPcr`) */
  mod?: 'req' | 'rcvd';
  modPcr?: PeakCellRates;
}

const DEFAULT_POLICY: CloseDataPolicy = { allowed: true, maxOctets: 127 };

function uniErr(code: UniErrorCode, cause: number, message: string): Result<never, UniError> {
  return err({ code, cause, message });
}

export class FakeUniNetwork {
  readonly log: WireRecord[] = [];
  readonly hosts = new Map<Mac, FakeUniHost>();
  private readonly down = new Set<string>();
  private nextVci = 32;
  private pending = 0;

  constructor(readonly scheduler: SchedulerLike = laterScheduler) {}

  addHost(mac: Mac, addresses: AtmAddress[], opts: { closeData?: CloseDataPolicy; completion?: 'sync' | 'pending' } = {}): FakeUniHost {
    const h = new FakeUniHost(this, mac, addresses, opts.closeData ?? DEFAULT_POLICY, opts.completion ?? 'sync');
    this.hosts.set(mac, h);
    return h;
  }

  hostFor(address: AtmAddress): FakeUniHost | undefined {
    for (const h of this.hosts.values()) if (h.addresses.includes(address)) return h;
    return undefined;
  }

  allocVci(): number {
    return this.nextVci++;
  }

  linkKey(a: Mac, b: Mac): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  isDown(a: Mac, b: Mac): boolean {
    return this.down.has(this.linkKey(a, b));
  }

  /** later turn, in FIFO order */
  post(fn: () => void): void {
    this.pending++;
    this.scheduler.schedule(() => {
      this.pending--;
      fn();
    });
  }

  record(r: WireRecord): void {
    this.log.push(r.closeData ? { ...r, closeData: Buffer.from(r.closeData) } : r);
  }

  /** the link between a and b fails: every call on it is cleared locally at both ends with `cause` (not remote) */
  failLink(a: Mac, b: Mac, cause = 27): void {
    this.down.add(this.linkKey(a, b));
    this.post(() => {
      this.hosts.get(a)?.linkLost(b, cause);
      this.hosts.get(b)?.linkLost(a, cause);
    });
  }

  restoreLink(a: Mac, b: Mac): void {
    this.down.delete(this.linkKey(a, b));
  }

  get busy(): boolean {
    return this.pending > 0;
  }

  /** wait until no message or completion is in flight */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise<void>((r) => setImmediate(r));
      let busy = this.busy;
      for (const h of this.hosts.values()) busy ||= h.data.busy;
      quiet = busy ? 0 : quiet + 1;
    }
  }
}

export class FakeUniHost implements UniHost {
  private readonly ind$ = new Subject<UniIndication>();
  readonly indications$: Observable<UniIndication> = this.ind$.asObservable();
  readonly calls = new Map<CallId, FakeCall>();
  private nextCall = 1;
  private nextParty = 1;
  readonly data: FakeDataPath;
  private readonly policies = new Map<Mac, CloseDataPolicy>();

  constructor(
    readonly net: FakeUniNetwork,
    readonly mac: Mac,
    readonly addresses: AtmAddress[],
    private policy: CloseDataPolicy,
    completion: 'sync' | 'pending',
  ) {
    this.data = new FakeDataPath(net, mac, completion);
  }

  /** change the close-data policy (for every link, or one peer's) */
  setCloseDataPolicy(p: CloseDataPolicy, peer?: Mac): void {
    if (peer) this.policies.set(peer, p);
    else this.policy = p;
  }

  /** the contexts the user gave calls (kept: indications about a call come after it is gone) */
  private readonly contexts = new Map<CallId, unknown>();
  setCallContext(call: CallId, ctx: unknown): void {
    this.contexts.set(call, ctx);
  }

  private emit(i: UniIndication): void {
    this.ind$.next('call' in i ? withCallContext(i, this.contexts.get(i.call)) : i);
  }

  attachLink(_peer: PeerId, _saal: SaalService, _side: 'user' | 'network'): void {}
  detachLink(peer: PeerId): void {
    this.linkLost(peer, 27);
  }
  closeDataPolicy(peer: PeerId): CloseDataPolicy {
    return this.policies.get(peer) ?? this.policy;
  }

  private checkCloseData(peer: Mac, opts?: ClearingOptions): Result<void, UniError> {
    if (!opts?.closeData) return ok(undefined);
    const p = this.closeDataPolicy(peer);
    if (!p.allowed) return uniErr('close-data-not-allowed', 0, 'link does not carry close data');
    if (opts.closeData.length > p.maxOctets) return uniErr('close-data-too-long', 0, `close data longer than ${p.maxOctets}`);
    return ok(undefined);
  }

  setup(params: UniCallParams): Result<{ call: CallId; party?: PartyId }, UniError> {
    const dest = this.net.hostFor(params.called);
    if (!dest || dest === this) return uniErr('no-route', 3, `no route to ${params.called}`);
    if (this.net.isDown(this.mac, dest.mac)) return uniErr('link-down', 27, 'link down');
    const call: FakeCall = {
      id: this.nextCall++,
      role: params.multipoint ? 'root' : 'p2p-out',
      multipoint: params.multipoint,
      peer: dest.mac,
      vci: this.net.allocVci(),
      state: 'U1',
      parties: new Map(),
      params,
    };
    this.calls.set(call.id, call);
    let party: FakeParty | undefined;
    if (params.multipoint) {
      party = { id: this.nextParty++, peer: dest.mac, vci: call.vci, state: 'adding', called: params.called };
      call.parties.set(party.id, party);
    }
    this.net.record({ from: this.mac, to: dest.mac, msg: 'SETUP' });
    const vci = call.vci;
    const partyId = party?.id;
    this.net.post(() => dest.incomingSetup(this, call.id, partyId, params, vci));
    return ok({ call: call.id, ...(party ? { party: party.id } : {}) });
  }

  /** SETUP arriving from `from` (for call `fromCall`, party `fromParty` when multipoint) */
  incomingSetup(from: FakeUniHost, fromCall: CallId, fromParty: PartyId | undefined, params: UniCallParams, vci: number): void {
    if (!this.addresses.includes(params.called)) {
      this.net.record({ from: this.mac, to: from.mac, msg: 'RELEASE COMPLETE', cause: 1 });
      this.net.post(() => from.remoteRejected(fromCall, fromParty, 1));
      return;
    }
    const call: FakeCall = {
      id: this.nextCall++,
      role: params.multipoint ? 'leaf' : 'p2p-in',
      multipoint: params.multipoint,
      peer: from.mac,
      vci,
      state: 'U6',
      parties: new Map(),
      params,
      remote: { host: from, call: fromCall },
    };
    this.calls.set(call.id, call);
    (call as FakeCall & { fromParty?: PartyId }).fromParty = fromParty;
    this.emit({ kind: 'setup', call: call.id, peer: from.mac, params, vc: { peer: from.mac, vpi: 0, vci } });
  }

  private fromParty(c: FakeCall): PartyId | undefined {
    return (c as FakeCall & { fromParty?: PartyId }).fromParty;
  }

  /** the called side refused our SETUP / the leaf refused the party */
  remoteRejected(call: CallId, party: PartyId | undefined, cause: number): void {
    const c = this.calls.get(call);
    if (!c) return;
    if (party !== undefined && c.multipoint) {
      const p = c.parties.get(party);
      if (!p) return;
      c.parties.delete(party);
      if (c.parties.size === 0) {
        this.calls.delete(call);
        this.emit({ kind: 'released', call, cause, remote: true });
      } else {
        this.emit({ kind: 'party-rejected', call, party, cause });
      }
      return;
    }
    this.calls.delete(call);
    this.emit({ kind: 'released', call, cause, remote: true });
  }

  addParty(call: CallId, params: UniPartyParams): Result<PartyId, UniError> {
    const c = this.calls.get(call);
    if (!c) return uniErr('unknown-call', 81, 'unknown call');
    if (!c.multipoint || c.role !== 'root') return uniErr('not-multipoint', 0, 'not a multipoint root');
    if (c.state !== 'U10') return uniErr('wrong-state', 101, `call in ${c.state}`);
    const dest = this.net.hostFor(params.called);
    if (!dest || dest === this) return uniErr('no-route', 3, `no route to ${params.called}`);
    if (this.net.isDown(this.mac, dest.mac)) return uniErr('link-down', 27, 'link down');
    const p: FakeParty = { id: this.nextParty++, peer: dest.mac, vci: this.net.allocVci(), state: 'adding', called: params.called };
    c.parties.set(p.id, p);
    this.net.record({ from: this.mac, to: dest.mac, msg: 'ADD PARTY' });
    const leafParams: UniCallParams = { ...c.params, called: params.called, multipoint: true };
    this.net.post(() => dest.incomingSetup(this, call, p.id, leafParams, p.vci));
    return ok(p.id);
  }

  dropParty(call: CallId, party: PartyId, opts?: ClearingOptions): Result<void, UniError> {
    const c = this.calls.get(call);
    if (!c) return uniErr('unknown-call', 81, 'unknown call');
    const p = c.parties.get(party);
    if (!p) return uniErr('unknown-party', 89, 'unknown party');
    if (p.state !== 'connected') return uniErr('wrong-state', 101, `party ${p.state}`);
    const cd = this.checkCloseData(p.peer, opts);
    if (!cd.ok) return cd;
    const others = [...c.parties.values()].filter((x) => x !== p);
    if (others.length === 0) return this.release(call, opts);
    p.state = 'dropping';
    const cause = opts?.cause ?? 31;
    this.net.record({ from: this.mac, to: p.peer, msg: 'DROP PARTY', cause, ...(opts?.closeData ? { closeData: opts.closeData } : {}) });
    const remote = p.remote;
    const closeData = opts?.closeData ? Buffer.from(opts.closeData) : undefined;
    this.net.post(() => {
      remote?.host.remoteReleased(remote.call, cause, closeData, true, this.mac);
      this.net.record({ from: p.peer, to: this.mac, msg: 'DROP PARTY ACK' });
      this.net.post(() => {
        if (c.parties.get(party) === p) {
          c.parties.delete(party);
          if (c.parties.size === 0 && c.state !== 'U11') this.calls.delete(call); // nothing left of the call
          this.emit({ kind: 'drop-party-confirm', call, party, cause });
        }
      });
    });
    return ok(undefined);
  }

  release(call: CallId, opts?: ClearingOptions): Result<void, UniError> {
    const c = this.calls.get(call);
    if (!c) return uniErr('unknown-call', 81, 'unknown call');
    if (c.state === 'U11') return uniErr('wrong-state', 101, 'already releasing');
    const live = [...c.parties.values()].filter((p) => p.state !== 'dropping');
    const peers = c.role === 'root' ? live.map((p) => p.peer) : [c.peer];
    for (const peer of peers) {
      const cd = this.checkCloseData(peer, opts);
      if (!cd.ok) return cd;
    }
    c.state = 'U11';
    const cause = opts?.cause ?? 16;
    const closeData = opts?.closeData ? Buffer.from(opts.closeData) : undefined;
    const targets: RemoteRef[] = [];
    if (c.role === 'root') {
      for (const p of live) {
        this.net.record({ from: this.mac, to: p.peer, msg: 'RELEASE', cause, ...(closeData ? { closeData } : {}) });
        if (p.remote) targets.push(p.remote);
      }
    } else {
      this.net.record({ from: this.mac, to: c.peer, msg: 'RELEASE', cause, ...(closeData ? { closeData } : {}) });
      if (c.remote) targets.push(c.remote);
    }
    this.net.post(() => {
      for (const t of targets) {
        if (c.role === 'leaf') t.host.leafReleased(t.call, this.fromParty(c), cause, closeData, true);
        else t.host.remoteReleased(t.call, cause, closeData, true, this.mac);
        this.net.record({ from: t.host.mac, to: this.mac, msg: 'RELEASE COMPLETE' });
      }
      this.net.post(() => {
        if (this.calls.get(call) === c) {
          this.calls.delete(call);
          this.emit({ kind: 'release-confirm', call, cause });
        }
      });
    });
    return ok(undefined);
  }

  /** our peer released the (whole) call it has with us (for a p2p or leaf call, or our call as the called side) */
  remoteReleased(call: CallId, cause: number, closeData: Buffer | undefined, remote: boolean, _from: Mac): void {
    const c = this.calls.get(call);
    if (!c) return;
    this.calls.delete(call);
    this.emit({ kind: 'released', call, cause, ...(closeData ? { closeData } : {}), remote });
  }

  /** a leaf of our multipoint call released its connection */
  leafReleased(call: CallId, party: PartyId | undefined, cause: number, closeData: Buffer | undefined, remote: boolean): void {
    const c = this.calls.get(call);
    if (!c || party === undefined) return;
    const p = c.parties.get(party);
    if (!p) return;
    c.parties.delete(party);
    if (p.state === 'adding') {
      if (c.parties.size === 0) {
        this.calls.delete(call);
        this.emit({ kind: 'released', call, cause, ...(closeData ? { closeData } : {}), remote });
      } else this.emit({ kind: 'party-rejected', call, party, cause, ...(closeData ? { closeData } : {}) });
      return;
    }
    if (p.state === 'dropping') {
      this.emit({ kind: 'drop-party-confirm', call, party, cause });
      return;
    }
    if (c.parties.size === 0) {
      this.calls.delete(call);
      this.emit({ kind: 'released', call, cause, ...(closeData ? { closeData } : {}), remote });
    } else {
      this.emit({ kind: 'party-dropped', call, party, cause, ...(closeData ? { closeData } : {}), remote });
    }
  }

  /** the network clears a whole call of ours (e.g. after a RESTART): every far end is released, we get 'released' (not remote) */
  networkClear(call: CallId, cause = 41): void {
    const c = this.calls.get(call);
    if (!c) return;
    this.net.post(() => {
      if (this.calls.get(call) !== c) return;
      this.calls.delete(call);
      const far = c.role === 'root' ? [...c.parties.values()].map((p) => p.remote) : [c.remote];
      for (const r of far) if (r) r.host.remoteReleased(r.call, cause, undefined, false, this.mac);
      this.emit({ kind: 'released', call, cause, remote: false });
    });
  }

  linkLost(peer: Mac, cause: number): void {
    for (const c of [...this.calls.values()]) {
      if (c.role === 'root') {
        for (const p of [...c.parties.values()]) if (p.peer === peer) this.leafReleased(c.id, p.id, cause, undefined, false);
      } else if (c.peer === peer) {
        this.remoteReleased(c.id, cause, undefined, false, peer);
      }
    }
  }

  proceeding(call: CallId): Result<void, UniError> {
    return this.calls.has(call) ? ok(undefined) : uniErr('unknown-call', 81, 'unknown call');
  }
  alerting(call: CallId): Result<void, UniError> {
    return this.calls.has(call) ? ok(undefined) : uniErr('unknown-call', 81, 'unknown call');
  }

  accept(call: CallId): Result<void, UniError> {
    const c = this.calls.get(call);
    if (!c) return uniErr('unknown-call', 81, 'unknown call');
    if (c.state !== 'U6') return uniErr('wrong-state', 101, `call in ${c.state}`);
    c.state = 'U8';
    const r = c.remote!;
    const fromParty = this.fromParty(c);
    this.net.record({ from: this.mac, to: c.peer, msg: fromParty !== undefined && r.host.calls.get(r.call)?.state === 'U10' ? 'ADD PARTY ACK' : 'CONNECT' });
    this.net.post(() => r.host.remoteConnected(r.call, fromParty, this, call));
    return ok(undefined);
  }

  remoteConnected(call: CallId, party: PartyId | undefined, leaf: FakeUniHost, leafCall: CallId): void {
    const c = this.calls.get(call);
    if (!c || c.state === 'U11') {
      // we gave up meanwhile: clear the far end
      this.net.post(() => leaf.remoteReleased(leafCall, 31, undefined, true, this.mac));
      return;
    }
    const ref = { host: leaf, call: leafCall };
    if (c.multipoint && party !== undefined) {
      const p = c.parties.get(party);
      if (!p) return;
      p.state = 'connected';
      p.remote = ref;
      if (c.state === 'U1') {
        c.state = 'U10';
        this.emit({ kind: 'connected', call, party, vc: { peer: p.peer, vpi: 0, vci: p.vci } });
      } else {
        this.emit({ kind: 'party-added', call, party, vc: { peer: p.peer, vpi: 0, vci: p.vci } });
      }
    } else {
      c.state = 'U10';
      c.remote = ref;
      this.emit({ kind: 'connected', call, vc: { peer: c.peer, vpi: 0, vci: c.vci } });
    }
    this.net.record({ from: this.mac, to: leaf.mac, msg: 'CONNECT ACK' });
    this.net.post(() => leaf.connectAcked(leafCall));
  }

  connectAcked(call: CallId): void {
    const c = this.calls.get(call);
    if (!c || c.state !== 'U8') return;
    c.state = 'U10';
    this.emit({ kind: 'active', call });
  }

  reject(call: CallId, cause: number): Result<void, UniError> {
    const c = this.calls.get(call);
    if (!c) return uniErr('unknown-call', 81, 'unknown call');
    if (c.state !== 'U6') return uniErr('wrong-state', 101, `call in ${c.state}`);
    this.calls.delete(call);
    const r = c.remote!;
    const fromParty = this.fromParty(c);
    this.net.record({ from: this.mac, to: c.peer, msg: 'RELEASE COMPLETE', cause });
    this.net.post(() => r.host.remoteRejected(r.call, fromParty, cause));
    return ok(undefined);
  }

  statusEnquiry(call: CallId): Result<void, UniError> {
    return this.calls.has(call) ? ok(undefined) : uniErr('unknown-call', 81, 'unknown call');
  }

  // Q.2963.1 at the level api.ts promises: the calling side of an active point-to-point call asks, the other answers
  modify(call: CallId, pcr: PeakCellRates): Result<void, UniError> {
    const c = this.calls.get(call);
    if (!c) return uniErr('unknown-call', 81, 'unknown call');
    if (c.multipoint) return uniErr('not-multipoint', 101, 'point-to-point calls only');
    if (c.role !== 'p2p-out') return uniErr('not-owner', 101, 'only the calling side asks');
    if (c.state !== 'U10' || c.mod) return uniErr('wrong-state', 101, `call in ${c.state}${c.mod ? ' (modifying)' : ''}`);
    c.mod = 'req';
    c.modPcr = pcr;
    const r = c.remote!;
    this.net.record({ from: this.mac, to: c.peer, msg: 'MODIFY REQUEST' });
    this.net.post(() => r.host.remoteModify(r.call, pcr));
    return ok(undefined);
  }

  /** MODIFY REQUEST arriving */
  remoteModify(call: CallId, pcr: PeakCellRates): void {
    const c = this.calls.get(call);
    if (!c || c.state !== 'U10') return;
    c.mod = 'rcvd';
    c.modPcr = pcr;
    this.emit({ kind: 'modify-request', call, pcr });
  }

  private answerModify(call: CallId, accepted: boolean, cause: number): Result<void, UniError> {
    const c = this.calls.get(call);
    if (!c) return uniErr('unknown-call', 81, 'unknown call');
    if (c.mod !== 'rcvd') return uniErr('wrong-state', 101, 'no modification to answer');
    const pcr = c.modPcr ?? {};
    c.mod = undefined;
    if (accepted) c.params = { ...c.params, traffic: { id: 0x59, fields: [...(pcr.forward ? [{ id: 0x84, value: pcr.forward }] : []), ...(pcr.backward ? [{ id: 0x85, value: pcr.backward }] : [])], bestEffort: false } };
    const r = c.remote!;
    this.net.record({ from: this.mac, to: c.peer, msg: accepted ? 'MODIFY ACK' : 'MODIFY REJECT', ...(accepted ? {} : { cause }) });
    this.net.post(() => r.host.modifyAnswered(r.call, accepted, cause));
    return ok(undefined);
  }

  modifyAccept(call: CallId): Result<void, UniError> {
    return this.answerModify(call, true, 0);
  }

  modifyReject(call: CallId, cause = 47): Result<void, UniError> {
    return this.answerModify(call, false, cause);
  }

  /** MODIFY ACKNOWLEDGE / REJECT arriving */
  modifyAnswered(call: CallId, accepted: boolean, cause: number): void {
    const c = this.calls.get(call);
    if (!c || c.mod !== 'req') return;
    const pcr = c.modPcr ?? {};
    c.mod = undefined;
    this.emit(accepted ? { kind: 'modify-confirm', call, pcr, accepted } : { kind: 'modify-confirm', call, pcr, accepted, cause });
  }

  traffic(call: CallId): UniCallParams['traffic'] {
    return this.calls.get(call)?.params.traffic;
  }
  restart(peer: PeerId): Result<void, UniError> {
    this.net.post(() => this.linkLost(peer, 41));
    return ok(undefined);
  }

  paths(call: CallId): VcPath[] {
    const c = this.calls.get(call);
    if (!c) return [];
    if (c.role === 'root') return [...c.parties.values()].filter((p) => p.state !== 'adding').map((p) => ({ peer: p.peer, vpi: 0, vci: p.vci }));
    return [{ peer: c.peer, vpi: 0, vci: c.vci }];
  }

  links(): UniSnapshot['links'] {
    return [];
  }

  linkCalls(peer: PeerId): number {
    let n = 0;
    for (const c of this.calls.values()) if (c.peer === peer) n++;
    return n;
  }

  snapshot(): UniSnapshot {
    return {
      links: this.links(),
      calls: [...this.calls.values()].map((c) => ({
        call: c.id,
        multipoint: c.multipoint,
        role: c.role,
        links: [{ peer: c.peer, callRef: c.id, state: c.state }],
        parties: [...c.parties.values()].map((p) => ({ party: p.id, peer: p.peer, epref: p.id, state: p.state, called: p.called })),
      })),
    };
  }

  counters(): UniCounters {
    let parties = 0;
    for (const c of this.calls.values()) parties += c.parties.size;
    return { links: 0, calls: this.calls.size, parties, timers: 0, protocolErrors: {} };
  }

  dispose(): void {
    this.ind$.complete();
  }
}

/** In-memory data path: a send on a VC reaches the host at the other end of each of its paths. */
export class FakeDataPath implements NdisDataPath {
  private readonly rx$ = new Subject<DataPathReceive>();
  readonly receive$ = this.rx$.asObservable();
  readonly active = new Map<VcId, VcPath[]>();
  private readonly inFlight = new Map<VcId, number>();
  private readonly drains = new Map<VcId, (() => void)[]>();
  private outstanding = 0;
  /** what the next activate answers (once), e.g. INVALID_DATA */
  failNextActivate?: number;
  /** what the next MiniportCoCreateVc answers (once) */
  failNextCreate?: number;
  /** every send that reached the miniport, in order */
  readonly sent: { vc: VcId; data: Buffer }[] = [];
  /** created miniport VC contexts */
  readonly vcs = new Set<VcId>();

  constructor(
    private readonly net: FakeUniNetwork,
    readonly mac: Mac,
    public completion: 'sync' | 'pending',
  ) {}

  get busy(): boolean {
    return this.outstanding > 0;
  }

  private later<T>(value: () => T): Promise<T> {
    this.outstanding++;
    return new Promise<T>((resolve) =>
      this.net.scheduler.schedule(() => {
        this.outstanding--;
        resolve(value());
      }),
    );
  }

  createVc(vc: VcId): number {
    if (this.failNextCreate !== undefined) {
      const s = this.failNextCreate;
      this.failNextCreate = undefined;
      return s;
    }
    this.vcs.add(vc);
    return NdisStatus.SUCCESS;
  }

  deleteVc(vc: VcId): number {
    this.vcs.delete(vc);
    return NdisStatus.SUCCESS;
  }

  activate(vc: VcId, paths: VcPath[], params: CoCallParameters): MaybePending {
    const run = (): number => {
      if (this.failNextActivate !== undefined) {
        const s = this.failNextActivate;
        this.failNextActivate = undefined;
        return s;
      }
      const mf = params.mediaParameters?.flags ?? 0;
      const tx = params.callMgrParameters?.transmit;
      if (tx?.peakBandwidth !== undefined && (mf & (MediaFlags.ROUND_UP_FLOW | MediaFlags.ROUND_DOWN_FLOW))) {
        // the adapter only programs whole cells per second (53 octets)
        const cells = tx.peakBandwidth / 53;
        const rounded = (mf & MediaFlags.ROUND_UP_FLOW ? Math.ceil(cells) : Math.floor(cells)) * 53;
        if (rounded !== tx.peakBandwidth) {
          tx.peakBandwidth = rounded;
          params.flags |= CallFlags.CALL_PARAMETERS_CHANGED;
        }
      }
      this.active.set(vc, paths.map((p) => ({ ...p })));
      return NdisStatus.SUCCESS;
    };
    return this.completion === 'sync' ? run() : this.later(run);
  }

  deactivate(vc: VcId): MaybePending {
    const finish = (): number => {
      this.active.delete(vc);
      return NdisStatus.SUCCESS;
    };
    if ((this.inFlight.get(vc) ?? 0) > 0) {
      this.outstanding++;
      return new Promise<number>((resolve) => {
        const list = this.drains.get(vc) ?? [];
        list.push(() => {
          this.outstanding--;
          resolve(finish());
        });
        this.drains.set(vc, list);
      });
    }
    return this.completion === 'sync' ? finish() : this.later(finish);
  }

  send(vc: VcId, data: Buffer): Promise<number> {
    const paths = this.active.get(vc);
    if (!paths) return Promise.resolve(NdisStatus.VC_NOT_ACTIVATED);
    this.sent.push({ vc, data: Buffer.from(data) });
    this.inFlight.set(vc, (this.inFlight.get(vc) ?? 0) + 1);
    const copy = Buffer.from(data);
    return this.later(() => {
      for (const p of paths) {
        const dest = this.net.hosts.get(p.peer);
        if (dest && !this.net.isDown(this.mac, p.peer)) dest.data.deliver({ path: { peer: this.mac, vpi: p.vpi, vci: p.vci }, data: copy });
      }
      const n = (this.inFlight.get(vc) ?? 1) - 1;
      this.inFlight.set(vc, n);
      if (n === 0) {
        this.inFlight.delete(vc);
        const d = this.drains.get(vc);
        this.drains.delete(vc);
        // complete this send first, then the deactivation that waited for it
        if (d) queueMicrotask(() => d.forEach((f) => f()));
      }
      return NdisStatus.SUCCESS;
    });
  }

  deliver(r: DataPathReceive): void {
    this.rx$.next(r);
  }
}
