/**
 * The daemon's CoNDIS client, acting for whoever talks to the control socket
 * (condisctl, the TypeScript client library, the demo). It is one NDIS client
 * with the built-in policy attached, so every indication CoNDIS obliges a
 * client to answer is answered at once (incoming drop party -> drop it;
 * incoming close -> drop down to one party, close; abnormal close of a VC it
 * created -> delete it), and each is reported as a control event.
 *
 * Each operation resolves when its NDIS request is over: at once when the
 * request returned a final status, at its completion indication when it
 * returned PENDING.
 */
import { filter, firstValueFrom, merge, Subject, type Observable, type Subscription } from 'rxjs';
import { ControlError, statusInfo } from '../control/errors.js';
import type {
  AddPartyArgs,
  AddPartyResult,
  AnswerCallArgs,
  CloseCallArgs,
  ControlBackend,
  ControlEvent,
  Counters,
  DaemonInfo,
  DropPartyArgs,
  IncomingPolicy,
  LinkInfo,
  MakeCallArgs,
  MakeCallResult,
  ModifyCallArgs,
  ModifyCallResult,
  PartyInfo,
  PeerInfo,
  RegisterSapArgs,
  SapInfo,
  SendArgs,
  SetIncomingPolicyArgs,
  VcInfo,
} from '../control/backend.js';
import { causeName } from '../uni/msg/names.js';
import { modifyRefusal, paramsWithRates, ratesOf, wireRates } from './qos.js';
import {
  CallFlags,
  attachClientPolicy,
  ClientRequests,
  cloneCallParameters,
  NdisStatus,
  Q2931_AF,
  q2931CallParameters,
  SAP_TYPE_ATM,
  statusName,
  uniCallOfContext,
  uniPartiesOfContext,
  type ClIndication,
  type ClIndicationOf,
  type ClientPolicy,
  type CoCallParameters,
  type NdisAfHandle,
  type NdisClient,
  type NdisPartyHandle,
  type NdisSapHandle,
  type NdisVcHandle,
} from '../ndis/index.js';
import type { AtmAddress, CallId, UniSnapshot } from '../uni/api.js';
import { peerWarning } from './peer-conflicts.js';
import type { CondisNode } from './node.js';
import { NumberMap } from '../common/number-map.js';

type UniCall = UniSnapshot['calls'][number];

const S = NdisStatus;
/** Q.2931 cause 21, call rejected: what a rejecting SAP signals when it names no cause */
const DEFAULT_REJECT_CAUSE = 21;

/** name a Q.2931 cause in call parameters a client answers with (the call manager signals it) */
function withCause(params: CoCallParameters, cause: number): void {
  const spec = params.callMgrParameters?.callMgrSpecific;
  if (spec) spec.cause = cause;
}
const REQUEST_TIMEOUT_MS = 120_000;

/** a registered SAP: what `status` shows of it (SapInfo, without its id, the map key) and NDIS's handle */
interface SapRec extends Omit<SapInfo, 'sap'> {
  handle: NdisSapHandle;
}

interface VcRec {
  direction: 'outgoing' | 'incoming';
  called?: AtmAddress;
  calling?: AtmAddress;
  sap?: number;
  /** created by the backend for a makeCall without a VC: deleted again once its call is over */
  auto: boolean;
  rx: { packets: number; bytes: number };
  tx: { packets: number; bytes: number };
  parties: Map<number, AtmAddress>;
}

export interface BackendInfo {
  version: string;
  miniport: string;
}

export class NodeControlBackend implements ControlBackend {
  readonly events$: Observable<ControlEvent>;
  private readonly events = new Subject<ControlEvent>();
  private readonly sapRecs = new Map<number, SapRec>();
  // (vcRecs, asked and closeUnreported are tables every call adds to and deletes from: NumberMap,
  // src/common/number-map.ts says why)
  private readonly vcRecs = new NumberMap<VcRec>();
  /** incoming calls held PENDING by a SAP with policy 'ask' */
  private readonly asked = new NumberMap<true>();
  /** VCs with an incoming close reported whose close-call-complete is not yet reported */
  private readonly closeUnreported = new NumberMap<true>();
  private readonly subs: Subscription[] = [];
  private readonly policy: ClientPolicy;
  /**
   * Every wait for a completion goes through the promise layer (src/ndis/requests.ts). The completion of a
   * request that may return PENDING is awaited with `requests.completionOf`, armed before the request (a
   * completion may come on the next turn) and `cancel()`ed when the request finished at once, so no waiter
   * and no timer is left behind per request.
   */
  private readonly requests: ClientRequests;

  private constructor(
    private readonly node: CondisNode,
    private readonly client: NdisClient,
    private readonly af: NdisAfHandle,
    private readonly meta: BackendInfo,
  ) {
    // Control clients see events in NDIS order: the backend reports each indication before the policy
    // acts on it (the policy's answer to a close-call-complete may delete the VC at once; its DELETED must
    // come after the close-call-complete). The policy reads a view of the client whose indications are
    // fed from here, after the backend's own handling; everything else is the client itself.
    this.requests = new ClientRequests(client, {
      timeoutMs: REQUEST_TIMEOUT_MS,
      ...(node.options.scheduler ? { scheduler: node.options.scheduler } : {}),
      timeoutError: (kind, ms) => new ControlError('internal', `no ${kind} within ${ms / 1000} s`),
    });
    const policyIndications = new Subject<ClIndication>();
    const policyView = Object.create(client, { indications$: { value: policyIndications.asObservable() } }) as NdisClient;
    this.policy = attachClientPolicy(policyView, {
      incomingCall: (sapCtx, _vcCtx, params, vc) => this.answerIncoming(sapCtx as number, params, vc),
      acceptQoSChange: (_params, vc) => this.acceptsQoS(vc),
    });
    this.events$ = merge(this.events, node.events$);
    this.subs.push(
      client.indications$.subscribe((i) => {
        this.onIndication(i);
        policyIndications.next(i);
      }),
    );
    this.subs.push(
      this.policy.events$.subscribe((e) => {
        // the policy's close finished without a completion indication (it completed at once, sync mode):
        // the client is told all the same, before the VC goes
        if (e.kind === 'teardown-finished' && this.closeUnreported.delete(e.vc)) {
          this.emit({ kind: 'close-call-complete', vc: e.vc, status: statusInfo(e.status) });
          if (e.status === S.SUCCESS) this.vcRecs.get(e.vc)?.parties.clear();
        }
        if (e.kind === 'teardown-finished' && e.deleted) {
          this.vcRecs.delete(e.vc);
          this.emit({ kind: 'vc-state', vc: e.vc, state: 'DELETED' });
        } else if (e.kind === 'teardown-finished' && e.status === S.SUCCESS && this.vcRecs.get(e.vc)?.auto) {
          // the policy closed a VC the backend made (after an incoming close), in either completion mode;
          // on a later turn, so the policy's own delete after an abnormal close (R76) is the one that happens
          setImmediate(() => this.deleteIfIdle(e.vc));
        }
      }),
    );
  }

  /** register the daemon's client with NDIS and open the Q.2931 address family */
  static async create(node: CondisNode, meta: BackendInfo): Promise<NodeControlBackend> {
    const client = node.ndis.registerClient({ name: 'condisctl' });
    const opened = firstValueFrom(client.indications$.pipe(filter((i): i is ClIndicationOf<'ProtocolClOpenAfCompleteEx'> => i.kind === 'ProtocolClOpenAfCompleteEx')));
    opened.catch(() => {});
    const r = client.NdisClOpenAddressFamilyEx(Q2931_AF, 'condisd');
    let af = r.afHandle;
    if (r.status === S.PENDING) {
      const c = await opened;
      if (c.status !== S.SUCCESS) throw new Error(`opening the Q.2931 address family failed: ${statusName(c.status)}`);
      af = c.afHandle;
    } else if (r.status !== S.SUCCESS) throw new Error(`opening the Q.2931 address family failed: ${statusName(r.status)}`);
    return new NodeControlBackend(node, client, af!, meta);
  }

  private deleteIfIdle(vc: NdisVcHandle): void {
    const info = this.client.vcInfo(vc);
    if (!info) return;
    if (info.call === 'IDLE' && this.client.NdisCoDeleteVc(vc) === S.SUCCESS) {
      this.vcRecs.delete(vc);
      this.emit({ kind: 'vc-state', vc, state: 'DELETED' });
    }
  }

  dispose(): void {
    this.policy.dispose();
    for (const s of this.subs) s.unsubscribe();
    this.events.complete();
  }

  // ------------------------------------------------------------------ helpers

  /** requests in progress, all clients together (limits.pendingRequests) */
  private inFlight = 0;

  /** run one request under the pending-requests cap: past it, the request fails at once with RESOURCES */
  private async guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const cap = this.node.options.limits?.pendingRequests;
    if (cap !== undefined && this.inFlight >= cap)
      throw new ControlError('failed', `${what}: ${cap} requests already in progress (limits.pendingRequests): ${statusName(S.RESOURCES)}`, S.RESOURCES);
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }

  /** requests in progress now (for counters and tests) */
  pendingRequests(): number {
    return this.inFlight;
  }

  private failed(what: string, status: number): ControlError {
    if (status === S.INVALID_STATE || status === S.NOT_ACCEPTED || status === S.CLOSING)
      return ControlError.wrongState(`${what}: ${statusName(status)}`, status);
    return new ControlError('failed', `${what}: ${statusName(status)}`, status);
  }

  /** the peer that has an address, by name (else MAC), for messages */
  private whoHas(address: AtmAddress): string {
    const p = this.node.peerList().find((x) => x.addresses.includes(address));
    return p ? (p.name ?? p.mac) : `the network (no known peer has ${address})`;
  }

  /** "no route to 1009: known peers: host-b 02:..:0b (1002), 02:..:0c (no addresses)" */
  private noRouteText(address: AtmAddress): string {
    const peers = this.node.peerList();
    if (!peers.length) return `no route to ${address}: no peers known (none configured under peers:, none heard by discovery)`;
    const list = peers.map((p) => `${p.name ? `${p.name} ` : ''}${p.mac} (${p.addresses.length ? p.addresses.join(', ') : 'no addresses'}${p.link?.established ? '' : ', link down'})`);
    return `no route to ${address}; known peers: ${list.join('; ')}`;
  }

  /** a close data refusal (INVALID_DATA) in words: which limit of the configuration it broke */
  private closeDataText(what: string, vc: number, closeData: Buffer | undefined, status: number): ControlError | undefined {
    if (status !== S.INVALID_DATA || !closeData) return undefined;
    const peer = this.client.vcInfo(vc as NdisVcHandle)?.params?.mediaParameters?.mediaSpecific?.paths[0]?.peer;
    const pol = peer !== undefined ? this.node.uni.closeDataPolicy(peer) : this.node.options.closeData;
    if (!pol.allowed) return new ControlError('failed', `${what}: close data is not allowed on this link (closeData.allowed: false)`, status);
    if (closeData.length > pol.maxOctets) return new ControlError('failed', `${what}: close data too long: ${closeData.length} > ${pol.maxOctets} (closeData.maxOctets)`, status);
    return undefined;
  }

  private vc(id: number): VcRec {
    const rec = this.vcRecs.get(id);
    // (asked before every add party, drop party and send: a VcInfo would copy the parameters and list every party)
    if (!rec || !this.client.hasVc(id as NdisVcHandle)) throw new ControlError('not-found', `no VC ${id}`);
    return rec;
  }

  private emit(e: ControlEvent): void {
    this.events.next(e);
  }

  private answerIncoming(sapId: number, params: ReturnType<typeof q2931CallParameters>, vc: NdisVcHandle): number {
    const sap = this.sapRecs.get(sapId);
    const spec = params.callMgrParameters?.callMgrSpecific;
    this.vcRecs.set(vc, {
      direction: 'incoming',
      called: spec?.calledParty,
      calling: spec?.callingParty,
      sap: sapId,
      auto: false,
      rx: { packets: 0, bytes: 0 },
      tx: { packets: 0, bytes: 0 },
      parties: new Map(),
    });
    const policy = sap?.policy ?? 'reject';
    this.emit({
      kind: 'incoming-call',
      sap: sapId,
      vc,
      called: spec?.calledParty ?? '',
      ...(spec?.callingParty ? { calling: spec.callingParty } : {}),
      multipoint: (params.flags & 0x10) !== 0,
      awaitingAnswer: policy === 'ask',
      ...(spec?.uu ? { uu: spec.uu } : {}),
    });
    if (policy === 'accept') return S.SUCCESS;
    if (policy === 'ask') {
      this.asked.set(vc, true);
      return S.PENDING;
    }
    this.vcRecs.delete(vc);
    // the SAP's cause goes on the wire: the call manager signals a cause the client names in the parameters
    withCause(params, sap?.rejectCause ?? DEFAULT_REJECT_CAUSE);
    return S.NOT_SUPPORTED;
  }

  /** a remote QoS change on this VC is accepted unless its SAP says refuse (the policy then closes the call: MODIFY REJECT, RELEASE) */
  private acceptsQoS(vc: NdisVcHandle): boolean {
    const sap = this.vcRecs.get(vc)?.sap;
    return sap === undefined || this.sapRecs.get(sap)?.qos !== 'refuse';
  }

  private onIndication(i: ClIndication): void {
    switch (i.kind) {
      case 'ProtocolClModifyCallQoSComplete': {
        // reported here, in NDIS order (a refusal's incoming close follows at once)
        const cause = i.status !== S.SUCCESS ? i.params.callMgrParameters?.callMgrSpecific?.cause : undefined;
        return this.emit({ kind: 'modify-call-complete', vc: i.vcHandle, status: statusInfo(i.status), pcr: ratesOf(i.params), ...(cause !== undefined ? { cause, causeName: causeName(cause) } : {}) });
      }
      case 'ProtocolClIncomingCallQoSChange': {
        const accepted = this.acceptsQoS(i.vcHandle);
        // refused: the policy closes the call; its close-call-complete is reported even when the close completes at once
        if (!accepted) this.closeUnreported.set(i.vcHandle, true);
        return this.emit({ kind: 'incoming-qos-change', vc: i.vcHandle, pcr: ratesOf(i.params), accepted });
      }
      case 'ProtocolClCallConnected':
        return this.emit({ kind: 'call-connected', vc: i.vcHandle });
      case 'ProtocolClIncomingDropParty': {
        const rec = this.vcRecs.get(i.vcHandle);
        rec?.parties.delete(i.partyHandle);
        return this.emit({
          kind: 'incoming-drop-party',
          vc: i.vcHandle,
          party: i.partyHandle,
          status: statusInfo(i.dropStatus),
          ...(i.closeData ? { closeData: i.closeData } : {}),
        });
      }
      case 'ProtocolClIncomingCloseCall':
        this.closeUnreported.set(i.vcHandle, true);
        return this.emit({ kind: 'incoming-close-call', vc: i.vcHandle, status: statusInfo(i.closeStatus), ...(i.closeData ? { closeData: i.closeData } : {}) });
      case 'ProtocolClDropPartyComplete':
        this.vcRecs.get(i.vcHandle)?.parties.delete(i.partyHandle);
        return this.emit({ kind: 'drop-party-complete', vc: i.vcHandle, party: i.partyHandle, status: statusInfo(i.status) });
      case 'ProtocolClCloseCallComplete': {
        this.closeUnreported.delete(i.vcHandle);
        this.emit({ kind: 'close-call-complete', vc: i.vcHandle, ...(i.partyHandle ? { party: i.partyHandle } : {}), status: statusInfo(i.status) });
        // (a VC the backend made goes away when its call is over: closeCallNow() for the closes a control client
        // asks for, the policy's teardown-finished for the ones it answers)
        if (i.status === S.SUCCESS) this.vcRecs.get(i.vcHandle)?.parties.clear();
        return;
      }
      case 'ProtocolCoDeleteVc':
        this.vcRecs.delete(i.vcHandle);
        this.asked.delete(i.vcHandle);
        this.closeUnreported.delete(i.vcHandle);
        return this.emit({ kind: 'vc-state', vc: i.vcHandle, state: 'DELETED' });
      case 'ProtocolCoReceiveNetBufferLists': {
        const rec = this.vcRecs.get(i.vcHandle);
        for (const n of i.nbls) {
          if (rec) {
            rec.rx.packets++;
            rec.rx.bytes += n.data.length;
          }
          this.emit({ kind: 'receive', vc: i.vcHandle, data: Buffer.from(n.data) });
        }
        return;
      }
      default:
        return;
    }
  }

  // ------------------------------------------------------------------ ControlBackend

  async info(): Promise<DaemonInfo> {
    const o = this.node.options;
    return {
      name: this.node.name,
      version: this.meta.version,
      addresses: this.node.addresses,
      mac: this.node.mac,
      miniport: this.meta.miniport,
      callManager: { ...o.callManager },
      closeData: { ...o.closeData },
    };
  }

  registerSap(args: RegisterSapArgs): Promise<SapInfo> {
    return this.guarded('register SAP', () => this.registerSapNow(args));
  }

  private async registerSapNow(args: RegisterSapArgs): Promise<SapInfo> {
    const address = args.address ?? '*';
    for (const [id, other] of this.sapRecs) {
      if (other.address === address)
        throw new ControlError(
          'failed',
          `SAP ${address === '*' ? '* (any own address)' : address} is already registered (SAP ${id}${other.owner ? `, by ${other.owner}` : ''}); deregister it first`,
          S.SAP_IN_USE,
        );
    }
    // the SAP's context is the id the backend gives it: the incoming-call handler looks the policy up by it
    const id = this.nextSapId++;
    const done = this.requests.completionOf('ProtocolClRegisterSapComplete', id);
    const r = this.client.NdisClRegisterSap(this.af, id, { sapType: SAP_TYPE_ATM, sap: { address } });
    if (r.status !== S.PENDING) done.cancel();
    let handle = r.sapHandle;
    if (r.status === S.PENDING) {
      const c = await done;
      if (c.status !== S.SUCCESS) throw this.failed(`register SAP ${address}`, c.status);
      handle = c.sapHandle;
    } else if (r.status !== S.SUCCESS) throw this.failed(`register SAP ${address}`, r.status);
    const rec: SapRec = {
      handle: handle!,
      address,
      policy: args.policy ?? 'accept',
      ...(args.rejectCause ? { rejectCause: args.rejectCause } : {}),
      ...(args.qos === 'refuse' ? { qos: 'refuse' as const } : {}),
      state: 'registered',
      ...(args.owner ? { owner: args.owner } : {}),
    };
    this.sapRecs.set(id, rec);
    this.emit({ kind: 'sap', sap: id, change: 'registered', address });
    return this.sapInfo(id, rec);
  }
  private nextSapId = 1;

  private sapInfo(id: number, s: SapRec): SapInfo {
    const { handle: _handle, ...info } = s;
    return { sap: id, ...info };
  }

  deregisterSap(args: { sap: number }): Promise<void> {
    return this.guarded('deregister SAP', () => this.deregisterSapNow(args));
  }

  private async deregisterSapNow(args: { sap: number }): Promise<void> {
    const s = this.sapRecs.get(args.sap);
    if (!s) throw new ControlError('not-found', `no SAP ${args.sap}`);
    const done = this.requests.completionOf('ProtocolClDeregisterSapComplete', args.sap);
    const st = this.client.NdisClDeregisterSap(s.handle);
    if (st !== S.PENDING) done.cancel();
    this.sapRecs.delete(args.sap);
    if (st === S.PENDING) {
      const c = await done;
      if (c.status !== S.SUCCESS) throw this.failed('deregister SAP', c.status);
    } else if (st !== S.SUCCESS) throw this.failed('deregister SAP', st);
    this.emit({ kind: 'sap', sap: args.sap, change: 'deregistered', address: s.address });
  }

  async setIncomingPolicy(args: SetIncomingPolicyArgs): Promise<SapInfo> {
    const s = this.sapRecs.get(args.sap);
    if (!s) throw new ControlError('not-found', `no SAP ${args.sap}`);
    s.policy = args.policy;
    if (args.rejectCause !== undefined) s.rejectCause = args.rejectCause;
    return this.sapInfo(args.sap, s);
  }

  async answerCall(args: AnswerCallArgs): Promise<void> {
    if (!this.asked.has(args.vc)) throw new ControlError('not-found', `no incoming call waiting for an answer on VC ${args.vc}`);
    this.asked.delete(args.vc);
    const info = this.client.vcInfo(args.vc as NdisVcHandle);
    const params = info?.params ? cloneCallParameters(info.params) : q2931CallParameters('');
    if (!args.accept) withCause(params, args.cause ?? DEFAULT_REJECT_CAUSE);
    this.client.NdisClIncomingCallComplete(args.accept ? S.SUCCESS : S.NOT_SUPPORTED, args.vc as NdisVcHandle, params);
  }

  async createVc(): Promise<VcInfo> {
    const r = this.client.NdisCoCreateVc(this.af, 'vc');
    if (r.status !== S.SUCCESS) throw this.failed('create VC', r.status);
    this.vcRecs.set(r.vcHandle!, { direction: 'outgoing', auto: false, rx: { packets: 0, bytes: 0 }, tx: { packets: 0, bytes: 0 }, parties: new Map() });
    return this.vcInfo(r.vcHandle!)!;
  }

  async deleteVc(args: { vc: number }): Promise<void> {
    this.vc(args.vc);
    const st = this.client.NdisCoDeleteVc(args.vc as NdisVcHandle);
    if (st !== S.SUCCESS) throw this.failed(`delete VC ${args.vc}`, st);
    this.vcRecs.delete(args.vc);
  }

  makeCall(args: MakeCallArgs): Promise<MakeCallResult> {
    return this.guarded('make call', () => this.makeCallNow(args));
  }

  private async makeCallNow(args: MakeCallArgs): Promise<MakeCallResult> {
    let vc: NdisVcHandle;
    let rec: VcRec;
    if (args.vc !== undefined) {
      rec = this.vc(args.vc);
      vc = args.vc as NdisVcHandle;
    } else {
      const r = this.client.NdisCoCreateVc(this.af, 'vc');
      if (r.status !== S.SUCCESS) throw this.failed('create VC', r.status);
      vc = r.vcHandle!;
      rec = { direction: 'outgoing', auto: true, rx: { packets: 0, bytes: 0 }, tx: { packets: 0, bytes: 0 }, parties: new Map() };
      this.vcRecs.set(vc, rec);
    }
    rec.direction = 'outgoing';
    rec.called = args.called;
    // the SETUP carries the host's first address as the calling party
    if (this.node.addresses[0]) rec.calling = this.node.addresses[0];
    const done = this.requests.completionOf('ProtocolClMakeCallComplete', vc);
    const r = this.client.NdisClMakeCall(vc, q2931CallParameters(args.called, args.uu ? { uu: args.uu } : {}), args.multipoint ? args.called : undefined);
    if (r.status !== S.PENDING) done.cancel();
    let status = r.status;
    let party = r.partyHandle;
    let cause: number | undefined;
    if (status === S.PENDING) {
      const c = await done;
      status = c.status;
      party = c.partyHandle;
      cause = c.params?.callMgrParameters?.callMgrSpecific?.cause;
    }
    this.emit({ kind: 'make-call-complete', vc, ...(party ? { party } : {}), status: statusInfo(status) });
    if (status !== S.SUCCESS) {
      if (rec.auto) {
        this.client.NdisCoDeleteVc(vc);
        this.vcRecs.delete(vc);
      }
      if (cause !== undefined) throw new ControlError('failed', `call to ${args.called} rejected by ${this.whoHas(args.called)}: cause ${cause} ${causeName(cause)}`, status);
      if (status === S.NO_ROUTE_TO_DESTINATION) throw new ControlError('failed', `call to ${args.called}: ${this.noRouteText(args.called)}`, status);
      throw this.failed(`call to ${args.called}`, status);
    }
    if (party) rec.parties.set(party, args.called);
    const path = this.client.vcInfo(vc)?.params?.mediaParameters?.mediaSpecific?.paths[0];
    return { vc, ...(party ? { party } : {}), status: statusInfo(status), ...(path ? { path } : {}) };
  }

  addParty(args: AddPartyArgs): Promise<AddPartyResult> {
    return this.guarded('add party', () => this.addPartyNow(args));
  }

  private async addPartyNow(args: AddPartyArgs): Promise<AddPartyResult> {
    const rec = this.vc(args.vc);
    const r = this.client.NdisClAddParty(args.vc as NdisVcHandle, args.address, q2931CallParameters(args.address, args.uu ? { uu: args.uu } : {}));
    let status = r.status;
    let party = r.partyHandle;
    if (status === S.PENDING) {
      const c = await this.requests.completionOf('ProtocolClAddPartyComplete', r.partyHandle);
      status = c.status;
      party = c.partyHandle;
    }
    this.emit({ kind: 'add-party-complete', vc: args.vc, party: party ?? 0, address: args.address, status: statusInfo(status) });
    if (status === S.NO_ROUTE_TO_DESTINATION) throw new ControlError('failed', `add party ${args.address}: ${this.noRouteText(args.address)}`, status);
    if (status !== S.SUCCESS) throw this.failed(`add party ${args.address}`, status);
    rec.parties.set(party!, args.address);
    return { vc: args.vc, party: party!, status: statusInfo(status) };
  }

  dropParty(args: DropPartyArgs): Promise<void> {
    return this.guarded('drop party', () => this.dropPartyNow(args));
  }

  private async dropPartyNow(args: DropPartyArgs): Promise<void> {
    const rec = this.vc(args.vc);
    if (!rec.parties.has(args.party)) throw new ControlError('not-found', `no party ${args.party} on VC ${args.vc}`);
    const done = this.requests.completionOf('ProtocolClDropPartyComplete', args.party);
    const st = this.client.NdisClDropParty(args.party as NdisPartyHandle, args.closeData);
    if (st !== S.PENDING) done.cancel();
    if (st === S.PENDING) {
      const c = await done;
      if (c.status !== S.SUCCESS) throw this.failed(`drop party ${args.party}`, c.status);
    } else if (st !== S.SUCCESS)
      throw st === S.FAILURE
        ? ControlError.wrongState(`drop party ${args.party}: it is the last party; close the call instead`, st)
        : (this.closeDataText(`drop party ${args.party}`, args.vc, args.closeData, st) ?? this.failed(`drop party ${args.party}`, st));
    rec.parties.delete(args.party);
  }

  closeCall(args: CloseCallArgs): Promise<void> {
    return this.guarded('close call', () => this.closeCallNow(args));
  }

  private async closeCallNow(args: CloseCallArgs): Promise<void> {
    const rec = this.vc(args.vc);
    let party = args.party as NdisPartyHandle | undefined;
    const info = this.client.vcInfo(args.vc as NdisVcHandle)!;
    if (info.multipoint && party === undefined) {
      const live = info.parties.filter((p) => p.state === 'CONNECTED');
      if (live.length === 1) party = live[0]!.handle;
    }
    const done = this.requests.completionOf('ProtocolClCloseCallComplete', args.vc);
    const st = this.client.NdisClCloseCall(args.vc as NdisVcHandle, party, args.closeData);
    if (st !== S.PENDING) done.cancel();
    let final = st;
    if (st === S.PENDING) final = (await done).status;
    if (final !== S.SUCCESS) throw this.closeDataText(`close call on VC ${args.vc}`, args.vc, args.closeData, final) ?? this.failed(`close call on VC ${args.vc}`, final);
    // a VC the backend made for this call is not kept once the call is over
    if (rec.auto) this.deleteIfIdle(args.vc as NdisVcHandle);
  }

  modifyCall(args: ModifyCallArgs): Promise<ModifyCallResult> {
    return this.guarded('modify call', () => this.modifyCallNow(args));
  }

  /** NdisClModifyCallQoS with the new peak bandwidths; the call manager sends MODIFY REQUEST (ndis/q2931/modify.ts) */
  private async modifyCallNow(args: ModifyCallArgs): Promise<ModifyCallResult> {
    const rec = this.vc(args.vc);
    const vc = args.vc as NdisVcHandle;
    const info = this.client.vcInfo(vc)!;
    const what = `modify call on VC ${args.vc}`;
    const refused = modifyRefusal(what, info, rec.direction);
    if (refused) throw refused;
    const params = paramsWithRates(info.params!, args);
    const done = this.requests.completionOf('ProtocolClModifyCallQoSComplete', vc);
    const st = this.client.NdisClModifyCallQoS(vc, params);
    if (st !== S.PENDING) done.cancel();
    let status = st;
    let now = st === S.SUCCESS ? params : info.params;
    let cause: number | undefined;
    if (st === S.PENDING) {
      const c = await done;
      status = c.status;
      now = c.params;
      cause = c.status !== S.SUCCESS ? c.params.callMgrParameters?.callMgrSpecific?.cause : undefined;
    }
    const pcr = ratesOf(now);
    if (st !== S.PENDING) this.emit({ kind: 'modify-call-complete', vc, status: statusInfo(status), pcr });
    if (status === S.NOT_SUPPORTED) throw new ControlError('unsupported', `${what}: this host's call manager cannot change QoS`, status);
    if (status !== S.SUCCESS) {
      const by = rec.called ? this.whoHas(rec.called) : 'the remote';
      if (cause !== undefined) throw new ControlError('failed', `${what}: refused by ${by} with MODIFY REJECT cause ${cause} ${causeName(cause)}; the old rates stay`, status);
      throw this.failed(what, status);
    }
    return { vc, status: statusInfo(status), pcr };
  }

  send(args: SendArgs): Promise<{ bytes: number }> {
    return this.guarded('send', () => this.sendNow(args));
  }

  private async sendNow(args: SendArgs): Promise<{ bytes: number }> {
    const rec = this.vc(args.vc);
    const nbl = { sourceHandle: args.vc as NdisVcHandle, data: args.data };
    const done = this.requests.completionOf('ProtocolCoSendNetBufferListsComplete', nbl);
    this.client.NdisCoSendNetBufferLists(args.vc as NdisVcHandle, [nbl]);
    const c = await done;
    const st = c.nbls.find((n) => n === nbl)?.status ?? S.SUCCESS;
    this.emit({ kind: 'send-complete', vc: args.vc, bytes: args.data.length, status: statusInfo(st) });
    if (st !== S.SUCCESS) throw this.failed(`send on VC ${args.vc}`, st);
    rec.tx.packets++;
    rec.tx.bytes += args.data.length;
    return { bytes: args.data.length };
  }

  async saps(): Promise<SapInfo[]> {
    return [...this.sapRecs.entries()].map(([id, s]) => this.sapInfo(id, s));
  }

  async peers(): Promise<PeerInfo[]> {
    const table = this.node.peerIndex();
    return table.list().map((p) => {
      const warning = peerWarning(table, p);
      return {
        mac: p.mac,
        ...(p.name ? { name: p.name } : {}),
        addresses: [...p.addresses],
        source: p.source,
        ...(p.lastSeen !== undefined ? { lastSeen: new Date(p.lastSeen).toISOString() } : {}),
        linked: p.link?.established ?? false,
        ...(warning ? { warning } : {}),
      };
    });
  }

  async links(): Promise<LinkInfo[]> {
    const calls = new Map(this.node.uni.links().map((l) => [l.peer, l.calls]));
    return this.node
      .peerList()
      .filter((p) => p.link)
      .map((p) => ({
        peer: p.mac,
        ...(p.name ? { name: p.name } : {}),
        side: p.side!,
        state: p.link!.state,
        established: p.link!.established,
        calls: calls.get(p.mac) ?? 0,
      }));
  }

  /** the UNI's calls by id, from one snapshot: a table of n VCs takes one snapshot and n lookups */
  private uniCalls(): Map<CallId, UniCall> {
    return new Map(this.node.uni.snapshot().calls.map((c) => [c.call, c]));
  }

  /** the UNI view of one of our VCs: the call the call manager holds the VC for */
  private uniCallOf(vc: NdisVcHandle, calls: Map<CallId, UniCall>): UniCall | undefined {
    const call = uniCallOfContext(this.node.ndis.callMgrVcContext(vc));
    return call === undefined ? undefined : calls.get(call);
  }

  /** `calls`: the UNI's calls by id (uniCalls), when a table asks for many VCs */
  private vcInfo(vc: NdisVcHandle, calls?: Map<CallId, UniCall>): VcInfo | undefined {
    const info = this.client.vcInfo(vc);
    const rec = this.vcRecs.get(vc);
    if (!info) return undefined;
    const snap = this.uniCallOf(vc, calls ?? this.uniCalls());
    const path = info.params?.mediaParameters?.mediaSpecific?.paths[0];
    return {
      vc,
      creator: info.creator,
      state: info.state,
      ...(info.call !== 'IDLE'
        ? {
            call: {
              direction: rec?.direction ?? (info.creator === 'client' ? 'outgoing' : 'incoming'),
              // a leaf's VC: the call manager offered it with MULTIPOINT_VC (a SETUP with the point-to-multipoint bearer)
              multipoint: info.multipoint || ((info.params?.flags ?? 0) & CallFlags.MULTIPOINT_VC) !== 0,
              ...(rec?.called ? { called: rec.called } : {}),
              ...(rec?.calling ? { calling: rec.calling } : {}),
              state: info.call,
              ...(snap?.links[0] ? { uniState: snap.links[0].state } : {}),
              ...(snap && !snap.multipoint ? { pcr: wireRates(this.node.uni.traffic(snap.call), rec?.direction ?? 'incoming') } : {}),
            },
          }
        : {}),
      ...(path ? { path } : {}),
      ...(rec?.sap !== undefined ? { sap: rec.sap } : {}),
      ...(rec ? { rx: { ...rec.rx }, tx: { ...rec.tx } } : {}),
    };
  }

  async vcs(): Promise<VcInfo[]> {
    const calls = this.uniCalls();
    return this.client
      .vcs()
      .map((v) => this.vcInfo(v.handle, calls))
      .filter((v): v is VcInfo => v !== undefined);
  }

  async parties(): Promise<PartyInfo[]> {
    const out: PartyInfo[] = [];
    const calls = this.uniCalls();
    for (const v of this.client.vcs()) {
      if (!v.multipoint) continue;
      const rec = this.vcRecs.get(v.handle);
      // the Q.2971 party state: the UNI party the call manager holds this party for
      const uniParties = new Map((this.uniCallOf(v.handle, calls)?.parties ?? []).map((u) => [u.party, u]));
      const uniIds = uniPartiesOfContext(this.node.ndis.callMgrVcContext(v.handle));
      for (const p of v.parties) {
        const address = rec?.parties.get(p.handle) ?? String(p.context ?? '');
        const id = uniIds.get(p.handle);
        const uni = id === undefined ? undefined : uniParties.get(id);
        out.push({ vc: v.handle, party: p.handle, address, state: p.state, ...(uni ? { uniState: uni.state } : {}) });
      }
    }
    return out;
  }

  async counters(): Promise<Counters> {
    const flat = (o: object): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(o)) {
        if (typeof v === 'number') out[k] = v;
        else if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k2, v2] of Object.entries(v)) if (typeof v2 === 'number') out[`${k}.${k2}`] = v2;
      }
      return out;
    };
    const sscop: Record<string, number> = {};
    for (const c of this.node.sscopCounters()) {
      for (const [k, v] of Object.entries(flat(c))) sscop[k] = (sscop[k] ?? 0) + v;
    }
    return {
      miniport: flat(this.node.miniport.counters()),
      frames: flat(this.node.counters()),
      sscop,
      uni: flat(this.node.uni.counters()),
      ndis: flat(this.node.ndis.counters()),
      datapath: this.node.dataPathCounters(),
    };
  }
}
