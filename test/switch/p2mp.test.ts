/**
 * Point-to-multipoint through the switch (Q.2971 network side): the root's
 * SETUP and ADD PARTYs branched to leaf ports (first party on a port as
 * SETUP, a further one on that port as ADD PARTY), endpoint references mapped
 * per link, data replicated, DROP PARTY with close data crossing the switch
 * both ways, and the last party's RELEASE with close data.
 */
import test from 'ava';
import { Client, S } from '../helpers/nodes.js';
import { names, ready, switchLab, until } from './helpers.js';

test('a multipoint call branched over two leaf ports, two parties on one of them, drops with close data both ways', async (t) => {
  const lab = switchLab(3, { extra: [[], ['1012'], []] });
  t.teardown(() => lab.close());
  await ready(lab);
  const [h1, h2, h3] = [lab.hosts[0]!, lab.hosts[1]!, lab.hosts[2]!];
  const root = await Client.open(h1, 'root');
  const leaf2 = await Client.open(h2, 'leaf2');
  const leaf3 = await Client.open(h3, 'leaf3');
  // 1012 is another address of host 2 with its own client: its party is an incoming call of its own there
  const leaf12 = await Client.open(h2, 'leaf12');
  await leaf2.listen('1002');
  await leaf3.listen('1003');
  await leaf12.listen('1012');

  const in2 = leaf2.next('ProtocolClIncomingCall');
  const { vc, party: p1002 } = await root.call('1002', true);
  const vc2 = (await in2).vcHandle;
  const in3 = leaf3.next('ProtocolClIncomingCall');
  const p1003 = await root.addParty(vc, '1003');
  const vc3 = (await in3).vcHandle;
  const in12 = leaf12.next('ProtocolClIncomingCall');
  const p1012 = await root.addParty(vc, '1012');
  const vc12 = (await in12).vcHandle;
  t.not(vc12, vc2, 'its own VC at host 2');

  // the root's link carries every party: SETUP, then ADD PARTY for each further one
  const rootUp = lab.wire[0]!.filter((m) => m.dir === 'up');
  t.deepEqual(names(rootUp), ['SETUP', 'CONNECT ACKNOWLEDGE', 'ADD PARTY', 'ADD PARTY']);
  t.deepEqual(
    names(lab.wire[0]!.filter((m) => m.dir === 'down')).filter((n) => n !== 'PARTY ALERTING' && n !== 'ALERTING'),
    ['CALL PROCEEDING', 'CONNECT', 'ADD PARTY ACKNOWLEDGE', 'ADD PARTY ACKNOWLEDGE'],
  );
  const rootEps = rootUp.filter((m) => m.epref !== undefined).map((m) => m.epref!);
  t.is(new Set(rootEps).size, 3, 'the root names three endpoint references');
  // port 2: the first party there as SETUP, the second (another address of the same host) as ADD PARTY
  t.deepEqual(names(lab.wire[1]!.filter((m) => m.dir === 'down')), ['SETUP', 'CONNECT ACKNOWLEDGE', 'ADD PARTY']);
  t.deepEqual(names(lab.wire[2]!.filter((m) => m.dir === 'down')), ['SETUP', 'CONNECT ACKNOWLEDGE']);
  const snap = lab.sw.snapshot().calls[0]!;
  t.is(snap.parties.length, 3);
  t.deepEqual(snap.parties.map((p) => [p.called, p.port, p.phase]).sort(), [
    ['1002', 'p2', 'active'],
    ['1003', 'p3', 'active'],
    ['1012', 'p2', 'active'],
  ]);
  t.deepEqual(new Set(snap.parties.map((p) => p.rootEpref)), new Set(rootEps), 'each party is kept under the root\'s endpoint reference');

  // data from the root reaches both leaf hosts once (two parties on port 2 share its one VC on the wire; each client gets it)
  const got2 = leaf2.next('ProtocolCoReceiveNetBufferLists');
  const got3 = leaf3.next('ProtocolCoReceiveNetBufferLists');
  const got12 = leaf12.next('ProtocolCoReceiveNetBufferLists');
  root.send(vc, Buffer.from('to every leaf'));
  t.is((await got2).nbls[0]!.data.toString(), 'to every leaf');
  t.is((await got3).nbls[0]!.data.toString(), 'to every leaf');
  t.is((await got12).nbls[0]!.data.toString(), 'to every leaf');
  t.is(lab.sw.counters().fabric.framesOut, 2, 'replicated once per leaf port');

  // the root drops 1012 with close data: DROP PARTY on the root's link and on port 2 (1002 stays there)
  const dropped = root.next('ProtocolClDropPartyComplete', (i) => i.partyHandle === p1012);
  const ic12 = leaf12.next('ProtocolClIncomingCloseCall', (i) => i.vcHandle === vc12);
  const st = root.cl.NdisClDropParty(p1012, Buffer.from('bye 1012'));
  t.true(st === S.PENDING || st === S.SUCCESS);
  if (st === S.PENDING) t.is((await dropped).status, S.SUCCESS);
  await until('DROP PARTY ACK on port 2', () => lab.wire[1]!.some((m) => m.name === 'DROP PARTY ACKNOWLEDGE'));
  const dpUp = lab.wire[0]!.find((m) => m.name === 'DROP PARTY' && m.dir === 'up');
  const dpDown = lab.wire[1]!.find((m) => m.name === 'DROP PARTY' && m.dir === 'down');
  t.is(dpUp?.closeData, 'bye 1012');
  t.is(dpDown?.closeData, 'bye 1012', 'the close data crossed the switch in DROP PARTY');
  t.is(dpDown?.cause, dpUp?.cause, 'with the root\'s cause');
  t.deepEqual((await ic12).closeData, Buffer.from('bye 1012'), "1012's client alone hears the close, with the close data");
  t.false(leaf2.log.some((i) => i.kind === 'ProtocolClIncomingCloseCall' || i.kind === 'ProtocolClIncomingDropParty'), '1002 stays');

  // leaf 3 leaves with close data: its RELEASE reaches the root as DROP PARTY (1002 remains)
  const idp = root.next('ProtocolClIncomingDropParty', (i) => i.partyHandle === p1003);
  leaf3.cl.NdisClCloseCall(vc3, undefined, Buffer.from('leaf 3 leaving'));
  const ind = await idp;
  t.deepEqual(ind.closeData, Buffer.from('leaf 3 leaving'));
  const dpRoot = lab.wire[0]!.filter((m) => m.name === 'DROP PARTY' && m.dir === 'down');
  t.is(dpRoot.length, 1);
  t.is(dpRoot[0]!.closeData, 'leaf 3 leaving', 'DROP PARTY towards the root with the leaf\'s close data');
  t.deepEqual(names(lab.wire[2]!.filter((m) => m.dir === 'up')).slice(-1), ['RELEASE']);

  // the root closes the call naming its last party: RELEASE with close data on both remaining links
  const ic2 = leaf2.next('ProtocolClIncomingCloseCall', (i) => i.vcHandle === vc2);
  root.cl.NdisClCloseCall(vc, p1002, Buffer.from('the end'));
  t.deepEqual((await ic2).closeData, Buffer.from('the end'));
  await until('the switch forgets the call', () => lab.sw.counters().calls.calls === 0 && lab.sw.counters().fabric.entries === 0);
  t.is(lab.wire[1]!.find((m) => m.name === 'RELEASE' && m.dir === 'down')?.closeData, 'the end');
  t.is(lab.sw.counters().calls.parties, 0);
});

test('add party refused: no route gives ADD PARTY REJECT cause 3, a leaf that refuses gives its own cause to the root', async (t) => {
  // 5555: an address nobody announces, which host 1 sends to the switch all the same (a static peer entry)
  const lab = switchLab(3, { viaSwitch: [['5555']] });
  t.teardown(() => lab.close());
  await ready(lab);
  const [h1, h2] = [lab.hosts[0]!, lab.hosts[1]!];
  const root = await Client.open(h1, 'root');
  const leaf2 = await Client.open(h2, 'leaf2');
  await leaf2.listen('1002');
  const { vc } = await root.call('1002', true);

  // 1003's host has no SAP: it refuses the SETUP the switch sends it; the root hears that cause
  const e1 = await root.addParty(vc, '1003').catch((e: Error) => e);
  t.true(e1 instanceof Error, 'the add party failed');
  const toLeaf = lab.wire[2]!.find((m) => m.name === 'RELEASE COMPLETE' && m.dir === 'up');
  t.truthy(toLeaf, 'host 3 refused the SETUP with RELEASE COMPLETE');
  await until('ADD PARTY REJECT to the root', () => lab.wire[0]!.some((m) => m.name === 'ADD PARTY REJECT'));
  t.is(lab.wire[0]!.find((m) => m.name === 'ADD PARTY REJECT')!.cause, toLeaf!.cause, 'with the leaf\'s cause');

  // an address nobody announced: no route
  const e2 = await root.addParty(vc, '5555').catch((e: Error) => e);
  t.true(e2 instanceof Error);
  await until('a second ADD PARTY REJECT', () => lab.wire[0]!.filter((m) => m.name === 'ADD PARTY REJECT').length === 2);
  t.is(lab.wire[0]!.filter((m) => m.name === 'ADD PARTY REJECT')[1]!.cause, 3);
  t.is(lab.sw.counters().calls.noRoute, 1);
  t.deepEqual(names(lab.wire[1]!.filter((m) => m.dir === 'down')), ['SETUP', 'CONNECT ACKNOWLEDGE'], 'the call on port 2 was not touched');
  t.is(lab.sw.snapshot().calls[0]!.parties.length, 1, 'only the first party is left');
});
