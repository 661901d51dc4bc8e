/**
 * Real hosts for tests: the whole stack (wire, SSCOP, UNI, CoNDIS) on a
 * miniport, plus a small client driver that waits for indications instead of
 * polling. Used over the memory miniport here and over TAP devices in the
 * namespace tests.
 */
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import { CondisNode, type NodeOptions } from '../../src/host/node.js';
import { openMemorySync, type MemoryWireOptions } from '../../src/miniport/index.js';
import type { Miniport } from '../../src/miniport/types.js';
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
} from '../../src/ndis/index.js';

export const S = NdisStatus;

let hubCounter = 0;

export function nodeOptions(name: string, miniport: Miniport, address: string, overrides: Partial<NodeOptions> = {}): NodeOptions {
  return {
    name,
    miniport,
    addresses: [address],
    role: 'auto',
    peers: [],
    discovery: { enabled: true, intervalMs: 200, holdTimeMs: 700 },
    closeData: { allowed: true, maxOctets: 127 },
    callManager: { shape: 'mcm', completion: 'pending' },
    ...overrides,
  };
}

/** N hosts on one in-memory segment, addresses 1001.., MACs 02:00:00:00:00:0N, discovery on. */
export function memoryNodes(n: number, overrides: Partial<NodeOptions> = {}, wire: MemoryWireOptions = {}): CondisNode[] {
  const hub = `hub${process.pid}-${hubCounter++}`;
  const nodes: CondisNode[] = [];
  for (let i = 0; i < n; i++) {
    const mac = `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`;
    const mp = openMemorySync({ kind: 'memory', hub, mac, ...wire });
    nodes.push(new CondisNode(nodeOptions(`h${i + 1}`, mp, `${1001 + i}`, overrides)));
  }
  return nodes;
}

/** Wait until every pair of nodes has an established signalling link. */
export async function linksUp(nodes: CondisNode[], ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = nodes.every((a) => nodes.every((b) => a === b || a.peerList().some((p) => p.mac === b.mac && p.link?.established && p.addresses.length > 0)));
    if (ok) return;
    if (Date.now() > deadline) throw new Error('links did not come up');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A CoNDIS client on a node, with the built-in policy unless told otherwise. */
export class Client {
  readonly log: ClIndication[] = [];
  af!: NdisAfHandle;

  constructor(
    readonly node: CondisNode,
    readonly cl: NdisClient,
  ) {
    cl.indications$.subscribe((i) => this.log.push(i));
  }

  static async open(node: CondisNode, name: string, policy = true): Promise<Client> {
    const cl = node.ndis.registerClient({ name });
    if (policy) attachClientPolicy(cl);
    const c = new Client(node, cl);
    const r = cl.NdisClOpenAddressFamilyEx(Q2931_AF, `${name}-af`);
    if (r.status === S.PENDING) {
      const done = await c.next('ProtocolClOpenAfCompleteEx');
      if (done.status !== S.SUCCESS) throw new Error(`open AF: ${statusName(done.status)}`);
      c.af = done.afHandle!;
    } else if (r.status === S.SUCCESS) c.af = r.afHandle!;
    else throw new Error(`open AF: ${statusName(r.status)}`);
    return c;
  }

  /** the next indication of a kind (matching `pred`), arriving after this call or already logged since `since` */
  next<K extends ClIndicationKind>(kind: K, pred: (i: ClIndicationOf<K>) => boolean = () => true, ms = 15_000): Promise<ClIndicationOf<K>> {
    const p = firstValueFrom(
      (this.cl.indications$ as Observable<ClIndication>).pipe(
        filter((i): i is ClIndicationOf<K> => i.kind === kind && pred(i as ClIndicationOf<K>)),
        timeout({ first: ms, with: () => { throw new Error(`${this.cl.name}: no ${kind} within ${ms} ms`); } }),
      ),
    );
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

export async function shutdownAll(nodes: CondisNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.shutdown(1000)));
  await Promise.all(nodes.map((n) => n.miniport.close()));
}
