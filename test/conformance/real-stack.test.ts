/**
 * The seed rules once more, on the real stack: complete hosts (wire codec,
 * SSCOP, Q.2931/Q.2971 UNI, CoNDIS) joined by the in-memory wire, both call
 * manager shapes, synchronous and PENDING completion. Close data must cross
 * the real DROP PARTY / RELEASE messages unchanged, and refusals must leave
 * the real UNI state untouched.
 */
import test, { type ExecutionContext } from 'ava';
import type { CondisNode } from '../../src/host/node.js';
import type { CloseDataPolicy } from '../../src/uni/api.js';
import { filter, firstValueFrom } from 'rxjs';
import { Client, linksUp, memoryNodes, S, shutdownAll } from '../helpers/nodes.js';
import { within } from '../helpers/wait.js';

type Shape = 'cm' | 'mcm';
type Completion = 'sync' | 'pending';

async function quiet(nodes: CondisNode[], ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (nodes.every((n) => n.ndis.counters().vcs === 0 && n.ndis.counters().parties === 0 && n.uni.counters().calls === 0)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function checkZero(t: ExecutionContext, nodes: CondisNode[]): Promise<void> {
  await quiet(nodes);
  for (const n of nodes) {
    const c = n.ndis.counters();
    t.like(c, { vcs: 0, parties: 0, sendsOutstanding: 0 }, `${n.name}: NDIS empty`);
    t.is(n.uni.counters().calls, 0, `${n.name}: no UNI call left`);
    t.is(n.uni.counters().parties, 0, `${n.name}: no UNI party left`);
  }
}

/** `extra[i]`: further addresses of host i (its clients listen only on 1001+i; a test adds clients for the others) */
function realRule(title: string, hosts: number, body: (t: ExecutionContext, nodes: CondisNode[], clients: Client[]) => Promise<void>, closeData?: CloseDataPolicy, extra?: string[][]): void {
  for (const shape of ['cm', 'mcm'] as Shape[]) {
    for (const completion of ['sync', 'pending'] as Completion[]) {
      test(`${title} [real stack, memory wire, ${shape}/${completion}]`, async (t) => {
        const nodes = memoryNodes(hosts, { callManager: { shape, completion }, ...(closeData ? { closeData } : {}) }, {}, extra);
        t.teardown(() => shutdownAll(nodes));
        await linksUp(nodes);
        const clients: Client[] = [];
        for (const [i, n] of nodes.entries()) {
          const c = await Client.open(n, `cl${i + 1}`);
          await c.listen(`${1001 + i}`);
          clients.push(c);
        }
        await body(t, nodes, clients);
        await checkZero(t, nodes);
      });
    }
  }
}

/**
 * A round trip on the signalling link from `root` to the leaf `leaf`, instead of waiting a fixed time after a refused
 * request: a STATUS ENQUIRY on root's multipoint party at the leaf, answered by STATUS. The link is in order, so once
 * the answer is back the leaf has handled whatever root sent before (nothing, if the refusal sent nothing).
 */
async function barrier(root: CondisNode, leaf: CondisNode, ms = 5000): Promise<void> {
  const call = root.uni.snapshot().calls.find((c) => c.parties.some((p) => p.peer === leaf.mac));
  const party = call?.parties.find((p) => p.peer === leaf.mac);
  if (!call || !party) throw new Error(`${root.name} has no party at ${leaf.name}`);
  const answered = firstValueFrom(root.events$.pipe(filter((e) => e.kind === 'message' && e.direction === 'in' && e.type === 'STATUS' && e.peer === leaf.mac)));
  const r = root.uni.statusEnquiry(call.call, party.party);
  if (!r.ok) throw new Error(`STATUS ENQUIRY at ${leaf.name}: ${r.error.code} ${r.error.message}`);
  await within(`the STATUS answer from ${leaf.name}`, answered, ms);
}

/** drop and wait for the outcome (final status at once, or the completion) */
async function drop(c: Client, party: number, closeData?: Buffer): Promise<number> {
  const done = c.next('ProtocolClDropPartyComplete', (i) => i.partyHandle === party);
  const st = c.cl.NdisClDropParty(party as never, closeData);
  return st === S.PENDING ? (await done).status : st;
}

async function close(c: Client, vc: number, party?: number, closeData?: Buffer): Promise<number> {
  const done = c.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc);
  const st = c.cl.NdisClCloseCall(vc as never, party as never, closeData);
  return st === S.PENDING ? (await done).status : st;
}

realRule('R44 multipoint: close data of each drop and of the final close reaches the leaf it was meant for', 4, async (t, _nodes, [root, l2, l3, l4]) => {
  const { vc, party } = await root!.call('1002', true);
  const p3 = await root!.addParty(vc, '1003');
  const p4 = await root!.addParty(vc, '1004');
  const at4 = l4!.next('ProtocolClIncomingCloseCall');
  t.is(await drop(root!, p4, Buffer.from('to leaf 4')), S.SUCCESS);
  t.deepEqual((await at4).closeData, Buffer.from('to leaf 4'));
  const at3 = l3!.next('ProtocolClIncomingCloseCall');
  t.is(await drop(root!, p3), S.SUCCESS);
  t.is((await at3).closeData, undefined);
  const at2 = l2!.next('ProtocolClIncomingCloseCall');
  t.is(await close(root!, vc, party, Buffer.from([0, 1, 2, 0xff])), S.SUCCESS);
  const last = await at2;
  t.is(last.closeStatus, S.SUCCESS);
  t.deepEqual(last.closeData, Buffer.from([0, 1, 2, 0xff]));
  t.is(root!.cl.NdisCoDeleteVc(vc), S.SUCCESS);
});

realRule('R41 the policy tears a multipoint call down: drops, then close naming the remaining party', 4, async (t, nodes, [root, l2, l3, l4]) => {
  const { vc } = await root!.call('1002', true);
  await root!.addParty(vc, '1003');
  await root!.addParty(vc, '1004');
  const closes = [l2, l3, l4].map((l) => l!.next('ProtocolClIncomingCloseCall'));
  const { attachClientPolicy } = await import('../../src/ndis/policy.js');
  const policy = attachClientPolicy(root!.cl);
  const finished = new Promise<number>((resolve) => policy.events$.subscribe((e) => e.kind === 'teardown-finished' && resolve(e.status)));
  const trace: string[] = [];
  nodes[0]!.ndis.trace$.subscribe((e) => trace.push(e.fn));
  policy.closeCall(vc, Buffer.from('all done'), true);
  t.is(await finished, S.SUCCESS);
  for (const c of await Promise.all(closes)) t.deepEqual(c.closeData, Buffer.from('all done'));
  t.deepEqual(
    trace.filter((f) => f === 'ProtocolCmDropParty' || f === 'ProtocolCmCloseCall'),
    ['ProtocolCmDropParty', 'ProtocolCmDropParty', 'ProtocolCmCloseCall'],
  );
  policy.dispose();
});

realRule(
  'R45 drop party with close data on a link without close data: INVALID_DATA, nothing sent, party stays',
  3,
  async (t, nodes, [root, , l3]) => {
    const { vc, party } = await root!.call('1002', true);
    const p3 = await root!.addParty(vc, '1003');
    const before = JSON.stringify(nodes[0]!.uni.snapshot().calls);
    t.is(root!.cl.NdisClDropParty(p3, Buffer.from('nope')), S.INVALID_DATA);
    await barrier(nodes[0]!, nodes[2]!);
    t.is(JSON.stringify(nodes[0]!.uni.snapshot().calls), before, 'the UNI state did not move');
    t.is(l3!.log.filter((i) => i.kind === 'ProtocolClIncomingCloseCall').length, 0);
    t.is(await drop(root!, p3), S.SUCCESS, 'without close data it goes');
    t.is(await close(root!, vc, party), S.SUCCESS);
    root!.cl.NdisCoDeleteVc(vc);
  },
  { allowed: false, maxOctets: 127 },
);

realRule('R60 close call with close data longer than 127 octets: INVALID_DATA and the call stays up', 2, async (t, _nodes, [a, b]) => {
  const { vc } = await a!.call('1002');
  t.is(a!.cl.NdisClCloseCall(vc, undefined, Buffer.alloc(128, 1)), S.INVALID_DATA);
  t.is(a!.cl.vcInfo(vc)!.call, 'CONNECTED');
  const got = b!.next('ProtocolCoReceiveNetBufferLists');
  a!.send(vc, Buffer.from('still up'));
  t.is((await got).nbls[0]!.data.toString(), 'still up');
  const ic = b!.next('ProtocolClIncomingCloseCall');
  t.is(await close(a!, vc, undefined, Buffer.alloc(127, 2)), S.SUCCESS);
  t.deepEqual((await ic).closeData, Buffer.alloc(127, 2), 'exactly the limit is fine');
  a!.cl.NdisCoDeleteVc(vc);
});

realRule('R42 a leaf leaving with close data: incoming drop at the root (R57 SUCCESS + data), the policy drops it; the last leaf gives an incoming close (R56)', 3, async (t, _nodes, [root, l2, l3]) => {
  const { vc } = await root!.call('1002', true);
  await root!.addParty(vc, '1003');
  const leafVc = l3!.log.find((i) => i.kind === 'ProtocolClIncomingCall')!;
  const dropInd = root!.next('ProtocolClIncomingDropParty');
  t.is(await close(l3!, (leafVc as { vcHandle: number }).vcHandle, undefined, Buffer.from('leaf 3 out')), S.SUCCESS);
  const d = await dropInd;
  t.is(d.dropStatus, S.SUCCESS);
  t.deepEqual(d.closeData, Buffer.from('leaf 3 out'));
  for (let i = 0; i < 200 && root!.cl.vcInfo(vc)!.parties.length > 1; i++) await new Promise((r) => setTimeout(r, 10));
  t.is(root!.cl.vcInfo(vc)!.parties.length, 1, 'the policy dropped it');
  const leaf2Vc = (l2!.log.find((i) => i.kind === 'ProtocolClIncomingCall') as { vcHandle: number }).vcHandle;
  const closeInd = root!.next('ProtocolClIncomingCloseCall');
  t.is(await close(l2!, leaf2Vc), S.SUCCESS);
  t.is((await closeInd).vcHandle, vc);
  t.is(root!.log.filter((i) => i.kind === 'ProtocolClIncomingDropParty').length, 1, 'no incoming drop for the last party');
  for (let i = 0; i < 200 && root!.cl.vcInfo(vc)?.call !== 'IDLE'; i++) await new Promise((r) => setTimeout(r, 10));
  t.is(root!.cl.NdisCoDeleteVc(vc), S.SUCCESS);
});

realRule('R64 close call with two parties left is refused and changes nothing; R51 dropping the only party fails', 3, async (t, nodes, [root]) => {
  const { vc, party } = await root!.call('1002', true);
  t.is(root!.cl.NdisClDropParty(party!), S.FAILURE, 'R51');
  const p3 = await root!.addParty(vc, '1003');
  const before = JSON.stringify(nodes[0]!.uni.snapshot().calls);
  t.is(root!.cl.NdisClCloseCall(vc, party), S.FAILURE);
  t.is(JSON.stringify(nodes[0]!.uni.snapshot().calls), before);
  t.is(await drop(root!, p3), S.SUCCESS);
  t.is(await close(root!, vc, party), S.SUCCESS);
  root!.cl.NdisCoDeleteVc(vc);
});

realRule('R69 the callee closes with close data: incoming close SUCCESS with the data (R71); the caller keeps its VC (R75)', 2, async (t, _nodes, [a, b]) => {
  const inc = b!.next('ProtocolClIncomingCall');
  const connected = b!.next('ProtocolClCallConnected');
  const { vc } = await a!.call('1002');
  const vcB = (await inc).vcHandle;
  await connected;
  const ic = a!.next('ProtocolClIncomingCloseCall');
  t.is(await close(b!, vcB, undefined, Buffer.from('callee hangs up')), S.SUCCESS);
  const got = await ic;
  t.is(got.closeStatus, S.SUCCESS);
  t.deepEqual(got.closeData, Buffer.from('callee hangs up'));
  for (let i = 0; i < 200 && a!.cl.vcInfo(vc)?.call !== 'IDLE'; i++) await new Promise((r) => setTimeout(r, 10));
  t.is(a!.cl.vcInfo(vc)?.state, 'DEACTIVATED', 'the policy closed it and kept the VC');
  t.is(a!.cl.NdisCoDeleteVc(vc), S.SUCCESS);
});

/** the signalling messages a node sends (out) or receives (in), by name, from now on */
function wire(n: CondisNode): { type: string; direction: 'in' | 'out'; cause?: number; closeData?: Buffer }[] {
  const seen: { type: string; direction: 'in' | 'out'; cause?: number; closeData?: Buffer }[] = [];
  n.events$.subscribe((e) => {
    if (e.kind === 'message') seen.push({ type: e.type, direction: e.direction, ...(e.cause !== undefined ? { cause: e.cause } : {}), ...(e.closeData ? { closeData: e.closeData } : {}) });
  });
  return seen;
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not within 5 s: ${what}`);
}

const AT_HOST_2 = [[], ['1012']];

realRule(
  'R93 two parties of one call at one host share one Q.2931 call there, yet each is its own incoming call and VC; a drop with close data reaches only its client, the other keeps receiving',
  2,
  async (t, nodes, [root, l2]) => {
    const l12 = await Client.open(nodes[1]!, 'cl12');
    await l12.listen('1012');
    const atLeaf = wire(nodes[1]!);
    const in2 = l2!.next('ProtocolClIncomingCall');
    const { vc, party } = await root!.call('1002', true);
    const vc2 = (await in2).vcHandle;
    const in12 = l12.next('ProtocolClIncomingCall');
    const p12 = await root!.addParty(vc, '1012');
    const offered = await in12;
    t.not(offered.vcHandle, vc2, 'its own VC');
    t.is(offered.params.callMgrParameters?.callMgrSpecific?.calledParty, '1012');
    t.is(l2!.log.filter((i) => i.kind === 'ProtocolClIncomingCall').length, 1, "1002's client was offered only its own party");
    await until('ADD PARTY ACKNOWLEDGE sent', () => atLeaf.some((m) => m.type === 'ADD PARTY ACKNOWLEDGE'));
    t.deepEqual(
      atLeaf.filter((m) => m.direction === 'in').map((m) => m.type),
      ['SETUP', 'CONNECT ACKNOWLEDGE', 'ADD PARTY'],
      'one link call: the second party came as ADD PARTY',
    );

    const got2 = l2!.next('ProtocolCoReceiveNetBufferLists');
    const got12 = l12.next('ProtocolCoReceiveNetBufferLists');
    root!.send(vc, Buffer.from('to both'));
    t.is((await got2).vcHandle, vc2);
    t.deepEqual((await got2).nbls[0]!.data, Buffer.from('to both'));
    t.is((await got12).vcHandle, offered.vcHandle);
    t.deepEqual((await got12).nbls[0]!.data, Buffer.from('to both'));

    const ic12 = l12.next('ProtocolClIncomingCloseCall');
    t.is(await drop(root!, p12, Buffer.from('bye 1012')), S.SUCCESS);
    const closed = await ic12;
    t.is(closed.vcHandle, offered.vcHandle);
    t.is(closed.closeStatus, S.SUCCESS);
    t.deepEqual(closed.closeData, Buffer.from('bye 1012'));
    t.is(atLeaf.find((m) => m.type === 'DROP PARTY' && m.direction === 'in')?.closeData?.toString(), 'bye 1012');
    t.false(l2!.log.some((i) => i.kind === 'ProtocolClIncomingCloseCall'), '1002 stays');

    const again = l2!.next('ProtocolCoReceiveNetBufferLists');
    root!.send(vc, Buffer.from('only 1002'));
    t.deepEqual((await again).nbls[0]!.data, Buffer.from('only 1002'));
    t.deepEqual(l12.received(offered.vcHandle).map(String), ['to both'], 'nothing more for the dropped party');

    const ic2 = l2!.next('ProtocolClIncomingCloseCall');
    t.is(await close(root!, vc, party, Buffer.from('the end')), S.SUCCESS);
    t.deepEqual((await ic2).closeData, Buffer.from('the end'));
    root!.cl.NdisCoDeleteVc(vc);
  },
  undefined,
  AT_HOST_2,
);

realRule(
  'R93 a party for an address of that host nobody listens on: ADD PARTY REJECT cause 88, NdisClAddParty fails at the root, the first party stays',
  2,
  async (t, nodes, [root, l2]) => {
    const atLeaf = wire(nodes[1]!);
    const in2 = l2!.next('ProtocolClIncomingCall');
    const { vc, party } = await root!.call('1002', true);
    const vc2 = (await in2).vcHandle;
    const refused = await root!.addParty(vc, '1012').then(
      () => undefined,
      (e: Error) => e.message,
    );
    t.truthy(refused, 'NdisClAddParty failed');
    const reject = atLeaf.filter((m) => m.direction === 'out' && m.type === 'ADD PARTY REJECT');
    t.deepEqual(reject.map((m) => m.cause), [88]);
    t.deepEqual(root!.cl.vcInfo(vc)!.parties.map((p) => p.handle), [party]);
    const got = l2!.next('ProtocolCoReceiveNetBufferLists');
    root!.send(vc, Buffer.from('still up'));
    t.is((await got).vcHandle, vc2);
    const ic2 = l2!.next('ProtocolClIncomingCloseCall');
    t.is(await close(root!, vc, party), S.SUCCESS);
    await ic2;
    root!.cl.NdisCoDeleteVc(vc);
  },
  undefined,
  AT_HOST_2,
);

realRule(
  'R93 one of two parties at one host hangs up with close data: DROP PARTY for it alone, an incoming drop at the root, the other stays and receives',
  2,
  async (t, nodes, [root, l2]) => {
    const l12 = await Client.open(nodes[1]!, 'cl12');
    await l12.listen('1012');
    const atLeaf = wire(nodes[1]!);
    const in2 = l2!.next('ProtocolClIncomingCall');
    const { vc, party } = await root!.call('1002', true);
    const vc2 = (await in2).vcHandle;
    const in12 = l12.next('ProtocolClIncomingCall');
    const p12 = await root!.addParty(vc, '1012');
    const vc12 = (await in12).vcHandle;
    await until('1012 connected', () => l12.cl.vcInfo(vc12)?.call === 'CONNECTED');
    const idp = root!.next('ProtocolClIncomingDropParty');
    t.is(await close(l12, vc12, undefined, Buffer.from('1012 leaves')), S.SUCCESS);
    const ind = await idp;
    t.is(ind.partyHandle, p12);
    t.is(ind.dropStatus, S.SUCCESS);
    t.deepEqual(ind.closeData, Buffer.from('1012 leaves'));
    const sent = atLeaf.filter((m) => m.direction === 'out' && (m.type === 'DROP PARTY' || m.type === 'RELEASE'));
    t.deepEqual(sent.map((m) => [m.type, m.closeData?.toString()]), [['DROP PARTY', '1012 leaves']], 'DROP PARTY, not RELEASE');
    for (let i = 0; i < 200 && root!.cl.vcInfo(vc)!.parties.length > 1; i++) await new Promise((r) => setTimeout(r, 10));
    t.deepEqual(root!.cl.vcInfo(vc)!.parties.map((p) => p.handle), [party], 'the policy dropped it');
    t.false(l2!.log.some((i) => i.kind === 'ProtocolClIncomingCloseCall'), '1002 stays');
    const got = l2!.next('ProtocolCoReceiveNetBufferLists');
    root!.send(vc, Buffer.from('to 1002'));
    t.is((await got).vcHandle, vc2);
    const ic2 = l2!.next('ProtocolClIncomingCloseCall');
    t.is(await close(root!, vc, party), S.SUCCESS);
    await ic2;
    root!.cl.NdisCoDeleteVc(vc);
  },
  undefined,
  AT_HOST_2,
);
