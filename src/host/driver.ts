/**
 * A promise-based CoNDIS client on an in-process node: open the Q.2931 address
 * family, listen, call, add parties, send, and wait for indications (never by
 * polling: each wait is a subscription to the client's indications). The
 * built-in client policy answers what CoNDIS obliges a client to answer,
 * unless it is switched off. Used by tests, benchmarks and programs that run
 * the stack in their own process.
 */
import type { Subscription } from 'rxjs';
import type { CondisNode } from './node.js';
import {
  NdisStatus,
  Q2931_AF,
  SAP_TYPE_ATM,
  attachClientPolicy,
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

interface Waiter {
  kind: ClIndicationKind;
  pred: (i: ClIndication) => boolean;
  resolve: (i: ClIndication) => void;
  reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A CoNDIS client on a node, with the built-in policy unless told otherwise. */
export class Client {
  /** every indication so far, when constructed with `keepLog` (tests); empty otherwise */
  readonly log: ClIndication[] = [];
  af!: NdisAfHandle;
  /** what next() waits for: one subscription serves them all (a subscription per wait cost more than the wait) */
  private waiters: Waiter[] = [];
  private waiting?: Subscription;

  constructor(
    readonly node: CondisNode,
    readonly cl: NdisClient,
    keepLog = true,
  ) {
    if (keepLog) cl.indications$.subscribe((i) => this.log.push(i));
  }

  private dispatch(i: ClIndication): void {
    const ws = this.waiters;
    for (let k = 0; k < ws.length; k++) {
      const w = ws[k]!;
      if (w.kind !== i.kind) continue;
      let hit: boolean;
      try {
        hit = w.pred(i);
      } catch (e) {
        ws.splice(k--, 1);
        clearTimeout(w.timer);
        w.reject(e);
        continue;
      }
      if (!hit) continue;
      ws.splice(k--, 1);
      clearTimeout(w.timer);
      w.resolve(i);
    }
    if (ws.length === 0) {
      this.waiting?.unsubscribe();
      this.waiting = undefined;
    }
  }

  static async open(node: CondisNode, name: string, opts: { policy?: boolean; keepLog?: boolean } = {}): Promise<Client> {
    const cl = node.ndis.registerClient({ name });
    if (opts.policy ?? true) attachClientPolicy(cl);
    const c = new Client(node, cl, opts.keepLog ?? true);
    const r = cl.NdisClOpenAddressFamilyEx(Q2931_AF, `${name}-af`);
    if (r.status === S.PENDING) {
      const done = await c.next('ProtocolClOpenAfCompleteEx');
      if (done.status !== S.SUCCESS) throw new Error(`open AF: ${statusName(done.status)}`);
      c.af = done.afHandle!;
    } else if (r.status === S.SUCCESS) c.af = r.afHandle!;
    else throw new Error(`open AF: ${statusName(r.status)}`);
    return c;
  }

  /** the next indication of a kind (matching `pred`) from now on */
  next<K extends ClIndicationKind>(kind: K, pred: (i: ClIndicationOf<K>) => boolean = () => true, ms = 15_000): Promise<ClIndicationOf<K>> {
    const p = new Promise<ClIndicationOf<K>>((resolve, reject) => {
      const w: Waiter = {
        kind,
        pred: pred as (i: ClIndication) => boolean,
        resolve: resolve as (i: ClIndication) => void,
        reject,
        timer: setTimeout(() => {
          const k = this.waiters.indexOf(w);
          if (k >= 0) this.waiters.splice(k, 1);
          if (this.waiters.length === 0) {
            this.waiting?.unsubscribe();
            this.waiting = undefined;
          }
          reject(new Error(`${this.cl.name}: no ${kind} within ${ms} ms`));
        }, ms),
      };
      this.waiters.push(w);
      this.waiting ??= this.cl.indications$.subscribe((i) => this.dispatch(i));
    });
    // a waiter nobody ends up awaiting (the request completed synchronously) must not become an unhandled rejection
    p.catch(() => {});
    return p;
  }

  async listen(address: string): Promise<void> {
    const r = this.cl.NdisClRegisterSap(this.af, `sap-${address}`, { sapType: SAP_TYPE_ATM, sap: { address } });
    if (r.status === S.PENDING) {
      const c = await this.next('ProtocolClRegisterSapComplete');
      if (c.status !== S.SUCCESS) throw new Error(`register SAP: ${statusName(c.status)}`);
    } else if (r.status !== S.SUCCESS) throw new Error(`register SAP: ${statusName(r.status)}`);
  }

  async call(called: string, multipoint = false): Promise<{ vc: NdisVcHandle; party?: NdisPartyHandle }> {
    const v = this.cl.NdisCoCreateVc(this.af, `vc-${called}`);
    if (v.status !== S.SUCCESS) throw new Error(`create VC: ${statusName(v.status)}`);
    const vc = v.vcHandle!;
    const done = this.next('ProtocolClMakeCallComplete', (i) => i.vcHandle === vc);
    const r = this.cl.NdisClMakeCall(vc, q2931CallParameters(called), multipoint ? `party-${called}` : undefined);
    if (r.status === S.PENDING) {
      const c = await done;
      if (c.status !== S.SUCCESS) throw new Error(`make call: ${statusName(c.status)}`);
      return { vc, ...(c.partyHandle ? { party: c.partyHandle } : {}) };
    }
    if (r.status !== S.SUCCESS) throw new Error(`make call: ${statusName(r.status)}`);
    return { vc, ...(r.partyHandle ? { party: r.partyHandle } : {}) };
  }

  async addParty(vc: NdisVcHandle, called: string): Promise<NdisPartyHandle> {
    const r = this.cl.NdisClAddParty(vc, `party-${called}`, q2931CallParameters(called));
    if (r.status === S.PENDING) {
      const c = await this.next('ProtocolClAddPartyComplete', (i) => i.partyHandle === r.partyHandle);
      if (c.status !== S.SUCCESS) throw new Error(`add party: ${statusName(c.status)}`);
      return c.partyHandle;
    }
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

