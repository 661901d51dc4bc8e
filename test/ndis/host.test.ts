/** NDIS host behaviour outside the rule list: counters$, wrong-state requests, policy on and off. */
import test from 'ava';
import { filter, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { FakeUniNetwork } from '../helpers/fake-uni.js';
import { createNdisStack, NdisHost, UniCallManager } from '../../src/ndis/index.js';
import { attachClientPolicy } from '../../src/ndis/policy.js';
import { Q2931_AF, q2931CallParameters, type NdisPartyHandle, type NdisVcHandle } from '../../src/ndis/types.js';
import type { NdisCounters } from '../../src/ndis/ndis.js';
import { makeNetwork, S } from '../conformance/network.js';

test('counters$ reports every change and ends at zero after a call', async (t) => {
  const net = makeNetwork({ hosts: 2, cm: 'mcm', completion: 'pending' });
  const seen: NdisCounters[] = [];
  net.hosts[0]!.ndis.counters$.subscribe((c) => seen.push(c));
  const a = net.hosts[0]!.client('a');
  const b = net.hosts[1]!.client('b', { policy: true });
  const afA = await a.openAf();
  const afB = await b.openAf();
  await b.registerSap(afB);
  const vc = a.createVc(afA);
  t.is((await a.makeCall(vc, '1002')).status, S.SUCCESS);
  t.true(seen.some((c) => c.vcs === 1 && c.cmContexts >= 2));
  await a.closeCall(vc);
  a.ndis.NdisCoDeleteVc(vc);
  t.is(a.ndis.NdisClCloseAddressFamily(afA), S.PENDING);
  a.afs = [];
  await net.cleanupAndCheck(t);
  await net.settle();
  t.like(seen.at(-1), { afs: 0, vcs: 0, parties: 0, cmContexts: 0 });
  net.dispose();
});

test('requests in the wrong state return a status and change nothing', async (t) => {
  const net = makeNetwork({ hosts: 2, cm: 'cm', completion: 'sync' });
  const a = net.hosts[0]!.client('a');
  const af = await a.openAf();
  const snap = JSON.stringify(net.hosts[0]!.ndis.snapshot());
  const vc = 777 as NdisVcHandle;
  t.is(a.ndis.NdisClCloseCall(vc), S.FAILURE);
  t.is(a.ndis.NdisClDropParty(778 as NdisPartyHandle), S.FAILURE);
  t.is(a.ndis.NdisClAddParty(vc, 'x', q2931CallParameters('1002')).status, S.FAILURE);
  t.is(a.ndis.NdisClModifyCallQoS(vc, { flags: 0 }), S.FAILURE);
  t.is(a.ndis.NdisCoDeleteVc(vc), S.FAILURE);
  t.is(JSON.stringify(net.hosts[0]!.ndis.snapshot()), snap);
  const real = a.createVc(af);
  t.is(a.ndis.NdisClCloseCall(real), S.INVALID_STATE, 'no call to close');
  t.is(a.ndis.NdisClModifyCallQoS(real, { flags: 0 }), S.INVALID_STATE);
  t.is(a.ndis.vcInfo(real)!.call, 'IDLE');
  t.is(a.ndis.NdisClOpenAddressFamilyEx({ addressFamily: 0x800, majorVersion: 1, minorVersion: 0 }, 'tapi').status, S.FAILURE, 'no call manager registered that AF');
  await net.cleanupAndCheck(t);
  net.dispose();
});

test('without the policy an incoming close waits for the program; with it the client answers by itself', async (t) => {
  const net = makeNetwork({ hosts: 2, cm: 'mcm', completion: 'pending' });
  const a = net.hosts[0]!.client('a');
  const b = net.hosts[1]!.client('b', { handlers: { ProtocolClIncomingCall: () => S.SUCCESS } });
  await a.openAf();
  await b.registerSap(await b.openAf());
  const vc = a.createVc(a.afs[0]!);
  await a.makeCall(vc, '1002');
  await net.settle();
  const vcB = b.last('ProtocolClIncomingCall')!.vcHandle;
  await a.closeCall(vc);
  await net.settle();
  t.is(b.ndis.vcInfo(vcB)!.call, 'CLOSE_INDICATED', 'nobody answered yet');
  const policy = attachClientPolicy(b.ndis);
  const events: string[] = [];
  policy.events$.subscribe((e) => events.push(e.kind));
  policy.closeCall(vcB);
  await net.settle();
  t.is(b.ndis.vcInfo(vcB), undefined, 'closed and deleted by the call manager');
  t.deepEqual(events, ['teardown-started', 'teardown-finished']);
  policy.dispose();
  await net.cleanupAndCheck(t);
  net.dispose();
});

test('a client registered after the call manager still learns of its address family', async (t) => {
  const net = makeNetwork({ hosts: 1, cm: 'cm', completion: 'sync' });
  const c = net.hosts[0]!.client('late');
  await net.settle();
  t.deepEqual(c.of('ProtocolCoAfRegisterNotify').map((i) => i.addressFamily), [Q2931_AF]);
  net.dispose();
});

test('completions run on the injected scheduler: with virtual time nothing arrives until it is flushed', (t) => {
  const scheduler = new TestScheduler((a, b) => t.deepEqual(a, b));
  const fake = new FakeUniNetwork(scheduler);
  const uni = fake.addHost('02:00:00:00:00:01', ['1001'], { completion: 'pending' });
  const { ndis, dispose } = createNdisStack({ uni, dataPath: uni.data, shape: 'cm', completion: 'pending', ownAddresses: ['1001'], scheduler });
  const cl = ndis.registerClient({ name: 'v' });
  const seen: string[] = [];
  cl.indications$.subscribe((i) => seen.push(i.kind));
  const r = cl.NdisClOpenAddressFamilyEx(Q2931_AF, 'ctx');
  t.is(r.status, S.PENDING);
  t.deepEqual(seen, []);
  scheduler.flush();
  t.deepEqual(seen, ['ProtocolCoAfRegisterNotify', 'ProtocolClOpenAfCompleteEx']);
  t.is(cl.NdisClCloseAddressFamily(r.afHandle!), S.PENDING);
  scheduler.flush();
  t.is(ndis.counters().afs, 0);
  dispose();
});

test("the call manager takes the indications its composer hands it: a step in front sees each one, and one it holds back never reaches NDIS's clients", async (t) => {
  const inFront: string[] = [];
  const net = makeNetwork({
    hosts: 3,
    cm: 'cm',
    completion: 'pending',
    // host 1 (1002) logs in front and holds back every incoming call; hosts 0 and 2 take call control's indications as they are
    indications: (uni, i) => (i === 1 ? uni.indications$.pipe(tap((x) => inFront.push(x.kind)), filter((x) => x.kind !== 'setup')) : uni.indications$),
  });
  const a = net.hosts[0]!.client('a');
  const held = net.hosts[1]!.client('held', { policy: true });
  const open = net.hosts[2]!.client('open', { policy: true });
  const afA = await a.openAf();
  await held.registerSap(await held.openAf());
  await open.registerSap(await open.openAf());
  t.is((await a.makeCall(a.createVc(afA), '1003')).status, S.SUCCESS, 'the host without a step in front takes the call');
  t.is(open.of('ProtocolClIncomingCall').length, 1);
  t.is(a.ndis.NdisClMakeCall(a.createVc(afA), q2931CallParameters('1002')).status, S.PENDING);
  await net.settle();
  t.true(inFront.includes('setup'), 'the step in front saw the incoming SETUP');
  t.deepEqual(held.of('ProtocolClIncomingCall'), [], 'held back: NDIS never dispatched it');
  net.dispose();
});

test('the calls between NDIS and its call manager are on trace$ only while someone watches it, from the first watcher to the last', (t) => {
  const uni = new FakeUniNetwork().addHost('02:00:00:00:00:01', ['1001'], { completion: 'sync' });
  const { ndis, dispose } = createNdisStack({ uni, dataPath: uni.data, shape: 'mcm', completion: 'sync', ownAddresses: ['1001'] });
  const seen: string[] = [];
  const open = (name: string) => ndis.registerClient({ name }).NdisClOpenAddressFamilyEx(Q2931_AF, name).status;
  t.is(open('unwatched'), S.SUCCESS);
  const a = ndis.trace$.subscribe((e) => seen.push(e.fn));
  const b = ndis.trace$.subscribe(() => {});
  t.is(open('watched'), S.SUCCESS);
  t.deepEqual(seen, ['ProtocolCmOpenAf'], 'NDIS calling into the call manager');
  b.unsubscribe();
  t.is(open('watched by one'), S.SUCCESS);
  t.deepEqual(seen, ['ProtocolCmOpenAf', 'ProtocolCmOpenAf']);
  a.unsubscribe();
  t.is(open('unwatched again'), S.SUCCESS, 'the call manager still gets the calls');
  t.is(seen.length, 2);
  dispose();
});

test('a watcher of trace$ from before the call manager was bound sees its calls both ways', (t) => {
  const uni = new FakeUniNetwork().addHost('02:00:00:00:00:01', ['1001'], { completion: 'sync' });
  const ndis = new NdisHost({ dataPath: uni.data });
  const seen: string[] = [];
  ndis.trace$.subscribe((e) => seen.push(e.fn));
  new UniCallManager(ndis, uni, { shape: 'mcm', completion: 'sync', ownAddresses: ['1001'] });
  t.is(ndis.registerClient({ name: 'c' }).NdisClOpenAddressFamilyEx(Q2931_AF, 'c').status, S.SUCCESS);
  t.deepEqual(seen, ['NdisMCmRegisterAddressFamilyEx', 'ProtocolCmOpenAf']);
  ndis.dispose();
});

test('hasVc: true for a VC of this client until it is deleted, false for any other', async (t) => {
  const net = makeNetwork({ hosts: 1, cm: 'cm', completion: 'sync' });
  const a = net.hosts[0]!.client('a');
  const b = net.hosts[0]!.client('b');
  const vc = a.createVc(await a.openAf());
  const other = b.createVc(await b.openAf());
  t.true(a.ndis.hasVc(vc));
  t.false(a.ndis.hasVc(other), "another client's VC");
  t.false(a.ndis.hasVc(9999 as NdisVcHandle), 'no such VC');
  t.is(a.ndis.NdisCoDeleteVc(vc), S.SUCCESS);
  t.false(a.ndis.hasVc(vc), 'deleted');
  t.true(b.ndis.hasVc(other));
  b.ndis.NdisCoDeleteVc(other);
  await net.cleanupAndCheck(t);
  net.dispose();
});
