/**
 * A subset of the seed rules on real TAP devices: condisd in network
 * namespaces, bridged on one segment, driven through the control socket (the
 * daemon answers indications with the built-in client policy); R93 with two
 * in-process hosts on TAP devices in one namespace (the leaf host has two
 * addresses, each with its own client). Needs root (rootTest: skipped with a
 * reason outside CI, never in CI).
 */
import type { ExecutionContext } from 'ava';
import type { ControlError } from '../../src/control/errors.js';
import type { RunningDaemon } from '../../src/demo/daemons.js';
import { CondisNode } from '../../src/host/node.js';
import { createBridge, Netns, uniqueName } from '../../src/lab/netns.js';
import { openMiniport } from '../../src/miniport/index.js';
import type { Miniport } from '../../src/miniport/types.js';
import { startLab } from '../helpers/lab.js';
import { Client, linksUp, nodeOptions, S } from '../helpers/nodes.js';
import { rootTest } from '../helpers/root.js';

async function nothingLeft(t: ExecutionContext, ds: RunningDaemon[]): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const vcs = await Promise.all(ds.map((d) => d.control.vcs()));
    if (vcs.every((v) => v.length === 0)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const d of ds) {
    t.deepEqual(await d.control.vcs(), [], `${d.host}: no VC left`);
    const c = (await d.control.counters()) as Record<string, Record<string, number>>;
    t.is(c.uni!.calls, 0, `${d.host}: no UNI call left`);
    t.is(c.ndis!.parties, 0, `${d.host}: no party left`);
  }
}

async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as ControlError).ndisStatus?.name ?? String(e);
  }
}

rootTest('R44 R41 R64 over TAP: multipoint drops carry close data to their leaf, close with two parties is refused, the last party closes (mcm/pending)', async (t) => {
  const { d } = await startLab(t, 4, { callManager: { shape: 'mcm', completion: 'pending' } });
  const [root, l2, l3, l4] = ['h1', 'h2', 'h3', 'h4'].map(d) as [RunningDaemon, RunningDaemon, RunningDaemon, RunningDaemon];
  for (const [l, a] of [[l2, '3002'], [l3, '3003'], [l4, '3004']] as const) await l.control.registerSap({ address: a });
  const call = await root.control.makeCall({ called: '3002', multipoint: true });
  await root.control.addParty({ vc: call.vc, address: '3003' });
  const p4 = await root.control.addParty({ vc: call.vc, address: '3004' });

  const at4 = l4.next('incoming-close-call');
  await root.control.dropParty({ vc: call.vc, party: p4.party, closeData: Buffer.from('leaf 4, you are dropped') });
  t.deepEqual((await at4).closeData, Buffer.from('leaf 4, you are dropped'));

  t.is(await refusal(root.control.closeCall({ vc: call.vc, party: call.parties[0]!.party! })), 'FAILURE', 'R64: two parties left');
  t.is((await root.control.parties()).length, 2, 'both parties still there');

  const parties = await root.control.parties();
  const p3 = parties.find((p) => p.address === '3003')!;
  await root.control.dropParty({ vc: call.vc, party: p3.party });
  const at2 = l2.next('incoming-close-call');
  await root.control.closeCall({ vc: call.vc, party: call.parties[0]!.party!, closeData: Buffer.from([0, 0xff, 7]) });
  const last = await at2;
  t.is(last.status.name, 'SUCCESS');
  t.deepEqual(last.closeData, Buffer.from([0, 0xff, 7]));
  await root.control.deleteVc({ vc: call.vc }).catch(() => undefined);
  await nothingLeft(t, [root, l2, l3, l4]);
});

rootTest('R45 R60 over TAP: close data on links that cannot carry it is refused with INVALID_DATA and nothing changes (cm/sync)', async (t) => {
  const { d } = await startLab(t, 3, { callManager: { shape: 'cm', completion: 'sync' }, closeData: { allowed: false, maxOctets: 127 } });
  const [root, l2, l3] = ['h1', 'h2', 'h3'].map(d) as [RunningDaemon, RunningDaemon, RunningDaemon];
  await l2.control.registerSap({ address: '3002' });
  await l3.control.registerSap({ address: '3003' });
  const call = await root.control.makeCall({ called: '3002', multipoint: true });
  const p3 = await root.control.addParty({ vc: call.vc, address: '3003' });
  t.is(await refusal(root.control.dropParty({ vc: call.vc, party: p3.party, closeData: Buffer.from('x') })), 'INVALID_DATA');
  t.deepEqual(
    (await root.control.parties()).map((p) => p.state).sort(),
    ['CONNECTED', 'CONNECTED'],
  );
  t.is(l3.events.filter((e) => e.kind === 'incoming-close-call').length, 0, 'nothing reached the leaf');
  await root.control.dropParty({ vc: call.vc, party: p3.party });
  t.is(await refusal(root.control.closeCall({ vc: call.vc, party: call.parties[0]!.party!, closeData: Buffer.from('y') })), 'INVALID_DATA');
  await root.control.closeCall({ vc: call.vc, party: call.parties[0]!.party! });
  await root.control.deleteVc({ vc: call.vc }).catch(() => undefined);
  await nothingLeft(t, [root, l2, l3]);
});

rootTest('R42 R56 R57 over TAP: a leaf leaving with close data is an incoming drop the daemon answers; the last leaf an incoming close (cm/pending)', async (t) => {
  const { d } = await startLab(t, 3, { callManager: { shape: 'cm', completion: 'pending' } });
  const [root, l2, l3] = ['h1', 'h2', 'h3'].map(d) as [RunningDaemon, RunningDaemon, RunningDaemon];
  await l2.control.registerSap({ address: '3002' });
  await l3.control.registerSap({ address: '3003' });
  const in3 = l3.next('incoming-call');
  const call = await root.control.makeCall({ called: '3002', multipoint: true });
  await root.control.addParty({ vc: call.vc, address: '3003' });
  const leaf3 = await in3;
  const drop = root.next('incoming-drop-party');
  await l3.control.closeCall({ vc: leaf3.vc, closeData: Buffer.from('leaf 3 leaves') });
  const ind = await drop;
  t.is(ind.status.name, 'SUCCESS');
  t.deepEqual(ind.closeData, Buffer.from('leaf 3 leaves'));
  await root.seen('drop-party-complete', (e) => e.party === ind.party);
  const in2 = (await l2.seen('incoming-call')).vc;
  const close = root.next('incoming-close-call');
  await l2.control.closeCall({ vc: in2 });
  t.is((await close).vc, call.vc);
  t.is(root.events.filter((e) => e.kind === 'incoming-drop-party').length, 1);
  await nothingLeft(t, [l2, l3]);
  for (let i = 0; i < 100 && (await root.control.parties()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  await root.control.deleteVc({ vc: call.vc }).catch(() => undefined);
  await nothingLeft(t, [root]);
});

rootTest('R93 over TAP: two parties of one call at one host are two incoming calls; a drop with close data reaches only its client, the other keeps receiving (mcm/pending)', async (t) => {
  const ns = await Netns.create(uniqueName('r93'));
  const mps: Miniport[] = [];
  const nodes: CondisNode[] = [];
  t.teardown(async () => {
    await Promise.all(nodes.map((n) => n.shutdown(500).catch(() => {})));
    for (const m of mps) await m.close().catch(() => {});
    await ns.destroy();
  });
  await createBridge(ns, 'br0');
  for (const [i, addresses] of [['5001'], ['5002', '5012']].entries()) {
    const mp = await openMiniport({ kind: 'tap', device: `r93t${i}`, mac: `02:00:00:00:09:0${i + 1}`, bridge: 'br0', netns: ns.name });
    mps.push(mp);
    nodes.push(new CondisNode({ ...nodeOptions(`h${i + 1}`, mp, addresses[0]!), addresses, discovery: { enabled: true, intervalMs: 300, holdTimeMs: 1500 } }));
  }
  await linksUp(nodes, 15_000);
  for (let i = 0; i < 100 && !nodes[0]!.peerList().some((p) => p.addresses.includes('5012')); i++) await new Promise((r) => setTimeout(r, 50));
  const root = await Client.open(nodes[0]!, 'root');
  const l2 = await Client.open(nodes[1]!, 'cl5002');
  const l12 = await Client.open(nodes[1]!, 'cl5012');
  await l2.listen('5002');
  await l12.listen('5012');

  const in2 = l2.next('ProtocolClIncomingCall');
  const { vc, party } = await root.call('5002', true);
  const vc2 = (await in2).vcHandle;
  const in12 = l12.next('ProtocolClIncomingCall');
  const p12 = await root.addParty(vc, '5012');
  const vc12 = (await in12).vcHandle;
  t.is(nodes[1]!.uni.snapshot().calls.length, 2, 'two calls at the leaf host');
  t.is(l2.log.filter((i) => i.kind === 'ProtocolClIncomingCall').length, 1);

  const got2 = l2.next('ProtocolCoReceiveNetBufferLists');
  const got12 = l12.next('ProtocolCoReceiveNetBufferLists');
  root.send(vc, Buffer.from('over TAP to both'));
  t.is((await got2).vcHandle, vc2);
  t.deepEqual((await got2).nbls[0]!.data, Buffer.from('over TAP to both'));
  t.is((await got12).vcHandle, vc12);
  t.deepEqual((await got12).nbls[0]!.data, Buffer.from('over TAP to both'));

  const ic12 = l12.next('ProtocolClIncomingCloseCall');
  const dropped = root.next('ProtocolClDropPartyComplete', (i) => i.partyHandle === p12);
  const st = root.cl.NdisClDropParty(p12, Buffer.from('bye 5012'));
  t.true(st === S.PENDING);
  t.is((await dropped).status, S.SUCCESS);
  t.deepEqual((await ic12).closeData, Buffer.from('bye 5012'));
  t.false(l2.log.some((i) => i.kind === 'ProtocolClIncomingCloseCall'), '5002 stays');
  const again = l2.next('ProtocolCoReceiveNetBufferLists');
  root.send(vc, Buffer.from('only 5002'));
  t.deepEqual((await again).nbls[0]!.data, Buffer.from('only 5002'));

  const ic2 = l2.next('ProtocolClIncomingCloseCall');
  const closed = root.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc);
  t.is(root.cl.NdisClCloseCall(vc, party, Buffer.from('the end')), S.PENDING);
  t.is((await closed).status, S.SUCCESS);
  t.deepEqual((await ic2).closeData, Buffer.from('the end'));
  t.deepEqual(l12.received(vc12).map(String), ['over TAP to both'], 'the dropped party got nothing after its drop');
  t.is(root.cl.NdisCoDeleteVc(vc), S.SUCCESS);
  for (let i = 0; i < 100 && nodes.some((n) => n.uni.counters().calls > 0 || n.ndis.counters().vcs > 0); i++) await new Promise((r) => setTimeout(r, 50));
  for (const n of nodes) t.like({ ...n.ndis.counters(), calls: n.uni.counters().calls }, { vcs: 0, parties: 0, calls: 0 }, `${n.name}: nothing left`);
});
