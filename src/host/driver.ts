/**
 * A promise-based CoNDIS client on an in-process node: open the Q.2931 address
 * family, listen, call, add parties, send, and wait for indications (never by
 * polling: each wait is a subscription to the client's indications). The
 * built-in client policy answers what CoNDIS obliges a client to answer,
 * unless it is switched off. Used by tests, benchmarks and programs that run
 * the stack in their own process.
 */
import type { CondisNode } from './node.js';
import {
  NdisStatus,
  Q2931_AF,
  SAP_TYPE_ATM,
  attachClientPolicy,
  ClientRequests,
  q2931CallParameters,
  statusName,
  type ClIndication,
  type ClIndicationKind,
  type ClIndicationOf,
  type NdisAfHandle,
  type NdisClient,
  type NdisPartyHandle,
  type NdisVcHandle,
} from '../ndis/index.js';

const S = NdisStatus;

/** A CoNDIS client on a node, with the built-in policy unless told otherwise. */
export class Client {
  /** every indication so far, when constructed with `keepLog` (tests); empty otherwise */
  readonly log: ClIndication[] = [];
  af!: NdisAfHandle;
  /** the promise layer every wait goes through (src/ndis/requests.ts) */
  readonly requests: ClientRequests;

  constructor(
    readonly node: CondisNode,
    readonly cl: NdisClient,
    keepLog = true,
  ) {
    if (keepLog) cl.indications$.subscribe((i) => this.log.push(i));
    this.requests = new ClientRequests(cl, node.options.scheduler ? { scheduler: node.options.scheduler } : {});
  }

  static async open(node: CondisNode, name: string, opts: { policy?: boolean; keepLog?: boolean } = {}): Promise<Client> {
    const cl = node.ndis.registerClient({ name });
    if (opts.policy ?? true) attachClientPolicy(cl);
    const c = new Client(node, cl, opts.keepLog ?? true);
    const r = await c.requests.openAf(Q2931_AF, `${name}-af`);
    if (r.status !== S.SUCCESS || !r.afHandle) throw new Error(`open AF: ${statusName(r.status)}`);
    c.af = r.afHandle;
    return c;
  }

  /** the next indication of a kind (matching `pred`) from now on */
  next<K extends ClIndicationKind>(kind: K, pred: (i: ClIndicationOf<K>) => boolean = () => true, ms = 15_000): Promise<ClIndicationOf<K>> {
    return this.requests.next(kind, pred, ms);
  }

  async listen(address: string): Promise<void> {
    const r = await this.requests.registerSap(this.af, `sap-${address}`, { sapType: SAP_TYPE_ATM, sap: { address } });
    if (r.status !== S.SUCCESS) throw new Error(`register SAP: ${statusName(r.status)}`);
  }

  async call(called: string, multipoint = false): Promise<{ vc: NdisVcHandle; party?: NdisPartyHandle }> {
    const v = this.cl.NdisCoCreateVc(this.af, `vc-${called}`);
    if (v.status !== S.SUCCESS) throw new Error(`create VC: ${statusName(v.status)}`);
    const vc = v.vcHandle!;
    const r = await this.requests.makeCall(vc, q2931CallParameters(called), multipoint ? `party-${called}` : undefined);
    if (r.status !== S.SUCCESS) throw new Error(`make call: ${statusName(r.status)}`);
    return { vc, ...(r.partyHandle ? { party: r.partyHandle } : {}) };
  }

  async addParty(vc: NdisVcHandle, called: string): Promise<NdisPartyHandle> {
    const r = await this.requests.addParty(vc, `party-${called}`, q2931CallParameters(called));
    if (r.status !== S.SUCCESS) throw new Error(`add party: ${statusName(r.status)}`);
    return r.partyHandle!;
  }

  send(vc: NdisVcHandle, data: Buffer): void {
    this.cl.NdisCoSendNetBufferLists(vc, [{ sourceHandle: vc, data }]);
  }

  received(vc?: NdisVcHandle): Buffer[] {
    return this.log
      .filter((i): i is ClIndicationOf<'ProtocolCoReceiveNetBufferLists'> => i.kind === 'ProtocolCoReceiveNetBufferLists' && (vc === undefined || i.vcHandle === vc))
      .flatMap((i) => i.nbls.map((n) => Buffer.from(n.data)));
  }
}

