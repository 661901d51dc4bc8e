/**
 * The network factory the conformance suite runs on: N hosts, each with NDIS,
 * a call manager of the chosen shape and completion mode, and one UNI service,
 * connected by the in-memory fake network (test/helpers/fake-uni.ts).
 *
 * Tests talk to hosts through TestClient, a thin recorder around NdisClient:
 * every indication is logged in order, and helpers run the usual sequences
 * (open AF, register SAP, make a call, ...) whatever the completion mode.
 */
import test, { type ExecutionContext } from 'ava';
import type { Observable, Subscription } from 'rxjs';
import { FakeUniNetwork, type FakeDataPath, type FakeUniHost } from '../helpers/fake-uni.js';
import { Clock } from '../uni/helpers.js';
import type { CloseDataPolicy, UniIndication } from '../../src/uni/api.js';
import {
  NdisStatus,
  Q2931_AF,
  SAP_TYPE_ATM,
  attachClientPolicy,
  ClientRequests,
  createNdisStack,
  q2931CallParameters,
  statusName,
  type ClIndication,
  type ClIndicationKind,
  type ClIndicationOf,
  type ClientHandlers,
  type ClientPolicy,
  type ClientPolicyOptions,
  type CoCallParameters,
  type NdisAfHandle,
  type NdisClient,
  type NdisCounters,
  type NdisHost,
  type NdisPartyHandle,
  type NdisSapHandle,
  type NdisVcHandle,
  type NdisTraceEntry,
  type UniCallManager,
  type Waiting,
} from '../../src/ndis/index.js';

type CloseDataPolicyLike = CloseDataPolicy;

export const S = NdisStatus;
export type Shape = 'cm' | 'mcm';
export type Completion = 'sync' | 'pending';

export interface NetworkOptions {
  hosts: number;
  cm: Shape;
  completion: Completion;
  closeData?: CloseDataPolicyLike;
  qos?: boolean;
  /** QoS changes of point-to-point calls over the (fake) wire, Q.2963.1 */
  q2963?: boolean;
  /** further addresses of host i beyond its own 1001+i (extra[i]) */
  extra?: string[][];
  /**
   * Run the whole network (fake UNI, NDIS, call managers, the clients' request timeouts) on one virtual clock
   * (test/uni/helpers.ts): `settle()` runs what is due now, `advance(ms)` moves time on. For rules about timers.
   */
  virtualTime?: boolean;
  /** what each host's call manager takes (createNdisStack's `indications$`); default: the host's UNI indications as they are */
  indications?: (uni: FakeUniHost, host: number) => Observable<UniIndication>;
}

export class TestHost {
  readonly clients: TestClient[] = [];
  /** every call across the NDIS / call-manager boundary on this host */
  readonly trace: NdisTraceEntry[] = [];
  constructor(
    readonly net: TestNetwork,
    readonly index: number,
    readonly mac: string,
    readonly address: string,
    readonly uni: FakeUniHost,
    readonly ndis: NdisHost,
    readonly cm: UniCallManager,
  ) {
    ndis.trace$.subscribe((e) => this.trace.push(e));
  }

  /** trace entries for one function name (or several) */
  calls(...fns: string[]): NdisTraceEntry[] {
    return this.trace.filter((e) => fns.includes(e.fn));
  }

  /** the shape-specific name: cm('NdisCmActivateVc') -> NdisMCmActivateVc on an MCM host */
  fn(cmName: string): string {
    return this.cm.shape === 'mcm' ? cmName.replace(/^NdisCm/, 'NdisMCm').replace(/^NdisCoCreateVc$/, 'NdisMCmCreateVc').replace(/^NdisCoDeleteVc$/, 'NdisMCmDeleteVc') : cmName;
  }

  get data(): FakeDataPath {
    return this.uni.data;
  }

  client(name = `cl${this.index}`, opts: { handlers?: ClientHandlers; policy?: boolean | ClientPolicyOptions; receiveMode?: 'resources' | 'return' } = {}): TestClient {
    const c = this.ndis.registerClient({ name, ...(opts.handlers ? { handlers: opts.handlers } : {}), ...(opts.receiveMode ? { receiveMode: opts.receiveMode } : {}) });
    const tc = new TestClient(this, c);
    if (opts.policy) tc.policy = attachClientPolicy(c, opts.policy === true ? {} : opts.policy);
    this.clients.push(tc);
    return tc;
  }
}

export class TestNetwork {
  /** the virtual clock everything runs on (NetworkOptions.virtualTime), else undefined (asap, real turns) */
  readonly clock: Clock | undefined;
  readonly fake: FakeUniNetwork;
  readonly hosts: TestHost[] = [];
  constructor(readonly opts: NetworkOptions) {
    this.clock = opts.virtualTime ? new Clock() : undefined;
    this.fake = new FakeUniNetwork(this.clock?.scheduler);
    for (let i = 0; i < opts.hosts; i++) {
      const mac = `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`;
      const address = `${1001 + i}`;
      const addresses = [address, ...(opts.extra?.[i] ?? [])];
      const uni = this.fake.addHost(mac, addresses, { completion: opts.completion, ...(opts.closeData ? { closeData: opts.closeData } : {}) });
      const stack = createNdisStack({ uni, dataPath: uni.data, shape: opts.cm, completion: opts.completion, ownAddresses: addresses, name: `h${i}`, ...(this.clock ? { scheduler: this.clock.scheduler } : {}), ...(opts.qos ? { qos: true } : {}), ...(opts.q2963 ? { q2963: true } : {}), ...(opts.indications ? { indications$: opts.indications(uni, i) } : {}) });
      this.hosts.push(new TestHost(this, i, mac, address, uni, stack.ndis, stack.cm));
    }
  }

  async settle(): Promise<void> {
    const clock = this.clock;
    if (!clock) return this.fake.settle();
    // virtual time: run what is due now, let promise continuations run, until three quiet turns in a row
    for (let quiet = 0; quiet < 3; ) {
      clock.advance(0);
      await new Promise<void>((r) => setImmediate(r));
      let busy = this.fake.busy || (clock.nextDue !== undefined && clock.nextDue <= clock.now);
      for (const h of this.fake.hosts.values()) busy ||= h.data.busy;
      quiet = busy ? 0 : quiet + 1;
    }
  }

  /** virtual time only: move the clock on by `ms`, running each action when it is due and settling after it */
  async advance(ms: number): Promise<void> {
    const clock = this.clock;
    if (!clock) throw new Error('advance() needs a network made with virtualTime');
    const target = clock.now + ms;
    await this.settle();
    for (let next = clock.nextDue; next !== undefined && next <= target; next = clock.nextDue) {
      clock.advance(next - clock.now);
      await this.settle();
    }
    clock.advance(target - clock.now);
    await this.settle();
  }

  counters(): NdisCounters[] {
    return this.hosts.map((h) => h.ndis.counters());
  }

  /** use every client's legitimate calls to take down what is left, then check nothing is left anywhere */
  async cleanupAndCheck(t: ExecutionContext): Promise<void> {
    await this.settle();
    for (let round = 0; round < 4; round++) {
      for (const h of this.hosts) for (const c of h.clients) c.cleanupStep();
      await this.settle();
    }
    for (const h of this.hosts) {
      const c = h.ndis.counters();
      t.deepEqual(
        { afs: c.afs, saps: c.saps, vcs: c.vcs, parties: c.parties, cmContexts: c.cmContexts, sends: c.sendsOutstanding, receives: c.receivesOutstanding, uniCalls: h.uni.counters().calls },
        { afs: 0, saps: 0, vcs: 0, parties: 0, cmContexts: 0, sends: 0, receives: 0, uniCalls: 0 },
        `host ${h.index}: everything torn down`,
      );
    }
  }

  dispose(): void {
    for (const h of this.hosts) h.ndis.dispose();
  }
}

export function makeNetwork(opts: NetworkOptions): TestNetwork {
  return new TestNetwork(opts);
}

export class TestClient {
  readonly log: ClIndication[] = [];
  /** the promise layer the daemon and the driver use too */
  readonly requests: ClientRequests;
  policy?: ClientPolicy;
  private readonly sub: Subscription;
  afs: NdisAfHandle[] = [];
  saps: NdisSapHandle[] = [];

  constructor(
    readonly host: TestHost,
    readonly ndis: NdisClient,
  ) {
    this.sub = ndis.indications$.subscribe((i) => this.log.push(i));
    this.requests = new ClientRequests(ndis, { scheduler: host.net.fake.scheduler });
  }

  get net(): TestNetwork {
    return this.host.net;
  }

  of<K extends ClIndicationKind>(kind: K): ClIndicationOf<K>[] {
    return this.log.filter((i): i is ClIndicationOf<K> => i.kind === kind);
  }

  last<K extends ClIndicationKind>(kind: K): ClIndicationOf<K> | undefined {
    const l = this.of(kind);
    return l[l.length - 1];
  }

  clear(): void {
    this.log.length = 0;
  }

  async openAf(ctx: unknown = `af-${this.ndis.name}`): Promise<NdisAfHandle> {
    const r = this.ndis.NdisClOpenAddressFamilyEx(Q2931_AF, ctx);
    if (r.status === S.PENDING) await this.net.settle();
    else if (r.status !== S.SUCCESS) throw new Error(`open AF: ${statusName(r.status)}`);
    this.afs.push(r.afHandle!);
    return r.afHandle!;
  }

  async registerSap(af: NdisAfHandle, address = this.host.address, ctx: unknown = `sap-${address}`): Promise<NdisSapHandle> {
    const r = this.ndis.NdisClRegisterSap(af, ctx, { sapType: SAP_TYPE_ATM, sap: { address } });
    if (r.status === S.PENDING) await this.net.settle();
    else if (r.status !== S.SUCCESS) throw new Error(`register SAP: ${statusName(r.status)}`);
    this.saps.push(r.sapHandle!);
    return r.sapHandle!;
  }

  createVc(af: NdisAfHandle, ctx: unknown = 'vc'): NdisVcHandle {
    const r = this.ndis.NdisCoCreateVc(af, ctx);
    if (r.status !== S.SUCCESS) throw new Error(`create VC: ${statusName(r.status)}`);
    return r.vcHandle!;
  }

  /**
   * The final status of a request through the promise layer (src/ndis/requests.ts), with the network
   * settled after it: `done` was armed for its completion, `what` names it when it never comes.
   */
  private async finish<C extends { status: NdisStatus }>(returned: NdisStatus, done: Waiting<C>, what: string): Promise<{ status: NdisStatus; returned: NdisStatus; completion?: C }> {
    if (returned !== S.PENDING) {
      done.cancel();
      return { status: returned, returned };
    }
    await this.net.settle();
    const c = done.value;
    if (!c) {
      done.cancel();
      throw new Error(`no ${what} completion`);
    }
    return this.requests.settle(returned, done);
  }

  /** make a call and wait for it to finish; returns the make-call status and first party */
  async makeCall(vc: NdisVcHandle, called: string, partyCtx?: unknown, params?: CoCallParameters): Promise<{ status: NdisStatus; party?: NdisPartyHandle; returned: NdisStatus }> {
    const done = this.requests.next('ProtocolClMakeCallComplete', (x) => x.vcHandle === vc);
    const r = this.ndis.NdisClMakeCall(vc, params ?? q2931CallParameters(called), partyCtx);
    const f = await this.finish(r.status, done, 'make-call');
    const party = f.completion ? f.completion.partyHandle : r.partyHandle;
    return { status: f.status, returned: r.status, ...(party ? { party } : {}) };
  }

  async addParty(vc: NdisVcHandle, called: string, ctx: unknown = `party-${called}`): Promise<{ status: NdisStatus; party?: NdisPartyHandle; returned: NdisStatus }> {
    const r = this.ndis.NdisClAddParty(vc, ctx, q2931CallParameters(called));
    const f = await this.finish(r.status, this.requests.next('ProtocolClAddPartyComplete', (x) => x.partyHandle === r.partyHandle), 'add-party');
    if (!f.completion) return { status: r.status, returned: r.status, ...(r.partyHandle ? { party: r.partyHandle } : {}) };
    return { status: f.status, returned: r.status, ...(f.status === S.SUCCESS ? { party: f.completion.partyHandle } : {}) };
  }

  /** drop a party; the final status whether it completed at once or later */
  async dropParty(party: NdisPartyHandle, closeData?: Buffer): Promise<{ status: NdisStatus; returned: NdisStatus }> {
    const done = this.requests.next('ProtocolClDropPartyComplete', (x) => x.partyHandle === party);
    const f = await this.finish(this.ndis.NdisClDropParty(party, closeData), done, 'drop-party');
    return { status: f.status, returned: f.returned };
  }

  async closeCall(vc: NdisVcHandle, party?: NdisPartyHandle, closeData?: Buffer): Promise<{ status: NdisStatus; returned: NdisStatus }> {
    const done = this.requests.next('ProtocolClCloseCallComplete', (x) => x.vcHandle === vc);
    const f = await this.finish(this.ndis.NdisClCloseCall(vc, party, closeData), done, 'close-call');
    // a close that finished at once still has its teardown on later turns
    if (f.returned !== S.PENDING) await this.net.settle();
    return { status: f.status, returned: f.returned };
  }

  /** one round of legitimate teardown of whatever this client still holds */
  cleanupStep(): void {
    for (const v of this.ndis.vcs()) {
      if (v.call === 'CONNECTED' || v.call === 'CLOSE_INDICATED') {
        if (!this.policy) this.policy = attachClientPolicy(this.ndis);
        this.policy.closeCall(v.handle, undefined, v.creator === 'client');
      } else if (v.call === 'IDLE' && v.creator === 'client') this.ndis.NdisCoDeleteVc(v.handle);
      else if (v.call === 'OFFERED') this.ndis.NdisClIncomingCallComplete(S.FAILURE, v.handle, { flags: 0 });
    }
    if (this.ndis.vcs().length === 0) {
      for (const af of this.afs) for (const s of this.ndis.saps(af)) this.ndis.NdisClDeregisterSap(s);
      if (this.afs.every((af) => this.ndis.saps(af).length === 0))
        for (const af of [...this.afs]) {
          const st = this.ndis.NdisClCloseAddressFamily(af);
          if (st === S.SUCCESS || st === S.PENDING) this.afs = this.afs.filter((x) => x !== af);
        }
    }
  }

  dispose(): void {
    this.sub.unsubscribe();
    this.requests.dispose();
  }
}

export interface RuleOptions {
  shapes?: Shape[];
  completions?: Completion[];
  hosts?: number;
  closeData?: CloseDataPolicyLike;
  qos?: boolean;
  q2963?: boolean;
  /** further addresses per host (see NetworkOptions.extra) */
  extra?: string[][];
  /** skip the end-of-scenario teardown check (only for tests that leave a host deliberately broken) */
  noCleanupCheck?: boolean;
  /** run the network in virtual time (NetworkOptions.virtualTime) */
  virtualTime?: boolean;
}

export interface RuleContext {
  net: TestNetwork;
  shape: Shape;
  completion: Completion;
  /** host 0 and its client, host 1 and its client (with an AF open and a SAP registered on its own address) */
  a: TestClient;
  b: TestClient;
}

/**
 * Register one test per (call manager shape, completion mode) for a rule.
 * `title` starts with the rule number; the test title adds " [cm/sync]" etc. After the body, every client tears down what
 * it still holds and every counter must be back to zero.
 */
export function rule(title: string, body: (t: ExecutionContext, ctx: RuleContext) => Promise<void>, o: RuleOptions = {}): void {
  if (!/^R\d+ /.test(title)) throw new Error(`rule title must start with its rule number: ${title}`);
  for (const shape of o.shapes ?? ['cm', 'mcm']) {
    for (const completion of o.completions ?? ['sync', 'pending']) {
      test(`${title} [${shape}/${completion}]`, async (t) => {
        const net = makeNetwork({ hosts: o.hosts ?? 2, cm: shape, completion, ...(o.closeData ? { closeData: o.closeData } : {}), ...(o.qos ? { qos: true } : {}), ...(o.q2963 ? { q2963: true } : {}), ...(o.extra ? { extra: o.extra } : {}), ...(o.virtualTime ? { virtualTime: true } : {}) });
        try {
          const a = net.hosts[0]!.client('a');
          const b = net.hosts[1]!.client('b');
          const afA = await a.openAf();
          const afB = await b.openAf();
          await a.registerSap(afA);
          await b.registerSap(afB);
          // by default both accept incoming calls; tests that want otherwise replace the handler
          for (const c of [a, b]) c.ndis.setHandlers({ ProtocolClIncomingCall: () => S.SUCCESS });
          a.clear();
          b.clear();
          await body(t, { net, shape, completion, a, b });
          if (!o.noCleanupCheck) await net.cleanupAndCheck(t);
        } finally {
          net.dispose();
        }
      });
    }
  }
}

/** a point-to-point call from a to b, accepted; returns both VC handles */
export async function p2p(ctx: RuleContext, opts: { params?: CoCallParameters } = {}): Promise<{ vcA: NdisVcHandle; vcB: NdisVcHandle }> {
  const { a, b } = ctx;
  const vcA = a.createVc(a.afs[0]!, 'vcA');
  const r = await a.makeCall(vcA, b.host.address, undefined, opts.params);
  if (r.status !== S.SUCCESS) throw new Error(`make call: ${statusName(r.status)}`);
  await ctx.net.settle();
  const inc = b.of('ProtocolClIncomingCall').pop();
  if (!inc) throw new Error('no incoming call');
  return { vcA, vcB: inc.vcHandle };
}

/** a multipoint call from host 0 to every other host (one party each); returns the VC and party handles in host order */
export async function multipoint(ctx: RuleContext, leaves = ctx.net.hosts.length - 1): Promise<{ vc: NdisVcHandle; parties: NdisPartyHandle[]; leafClients: TestClient[] }> {
  const { a, net } = ctx;
  const leafClients: TestClient[] = [ctx.b];
  // every other host gets a listening client, so later add-party requests find one too
  for (let i = 2; i < net.hosts.length; i++) {
    const h = net.hosts[i]!;
    const c = h.clients[0] ?? h.client(`leaf${i}`);
    if (c.afs.length === 0) {
      const af = await c.openAf();
      await c.registerSap(af);
      c.clear();
    }
    c.ndis.setHandlers({ ProtocolClIncomingCall: () => S.SUCCESS });
    if (i <= leaves) leafClients.push(c);
  }
  for (const c of leafClients) c.ndis.setHandlers({ ProtocolClIncomingCall: () => S.SUCCESS });
  const vc = a.createVc(a.afs[0]!, 'root-vc');
  const first = await a.makeCall(vc, net.hosts[1]!.address, 'party-1', q2931CallParameters(net.hosts[1]!.address));
  if (first.status !== S.SUCCESS || !first.party) throw new Error(`multipoint make call: ${statusName(first.status)}`);
  const parties = [first.party];
  for (let i = 2; i <= leaves; i++) {
    const r = await a.addParty(vc, net.hosts[i]!.address, `party-${i}`);
    if (r.status !== S.SUCCESS || !r.party) throw new Error(`add party: ${statusName(r.status)}`);
    parties.push(r.party);
  }
  await net.settle();
  return { vc, parties, leafClients };
}

export { q2931CallParameters, statusName };
export type { ClIndication, NdisVcHandle, NdisPartyHandle };
