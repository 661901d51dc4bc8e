/**
 * A point-to-point call with data both ways and close data, over each real
 * miniport, between two full hosts whose devices live in network namespaces
 * the test makes: `nic` (libpcap on a veth pair) and `etherip` (raw IPv4
 * sockets, EtherIP across a router namespace between two subnets). The `tap`
 * case runs through condisd itself in test/host/p2p-tap.test.ts.
 */
import type { ExecutionContext } from 'ava';
import { rootTest } from '../helpers/root.js';
import { createRoutedPair, createVeth, Netns, uniqueName } from '../../src/lab/netns.js';
import { openMiniport } from '../../src/miniport/index.js';
import type { Miniport, MiniportConfig } from '../../src/miniport/types.js';
import { CondisNode } from '../../src/host/node.js';
import { Client } from '../../src/host/driver.js';
import { nodeOptions, S } from '../helpers/nodes.js';

const MAC_A = '02:00:00:00:07:01';
const MAC_B = '02:00:00:00:07:02';

async function callOver(t: ExecutionContext, cfgA: MiniportConfig, cfgB: MiniportConfig): Promise<void> {
  const miniports: Miniport[] = [];
  const nodes: CondisNode[] = [];
  t.teardown(async () => {
    await Promise.all(nodes.map((n) => n.shutdown(300)));
    await Promise.all(miniports.map((m) => m.close()));
  });
  const ma = await openMiniport(cfgA);
  miniports.push(ma);
  const mb = await openMiniport(cfgB);
  miniports.push(mb);
  t.is(ma.mac, MAC_A);
  t.is(mb.mac, MAC_B);
  const a = new CondisNode(nodeOptions('a', ma, '7001', { peers: [{ mac: MAC_B, addresses: ['7002'] }], discovery: { enabled: false, intervalMs: 300, holdTimeMs: 1000 } }));
  const b = new CondisNode(nodeOptions('b', mb, '7002', { peers: [{ mac: MAC_A, addresses: ['7001'] }], discovery: { enabled: false, intervalMs: 300, holdTimeMs: 1000 } }));
  nodes.push(a, b);
  for (let i = 0; i < 400 && !(a.peerList()[0]?.link?.established && b.peerList()[0]?.link?.established); i++) await new Promise((r) => setTimeout(r, 25));
  t.true(a.peerList()[0]?.link?.established, 'SSCOP link established');

  const caller = await Client.open(a, 'caller');
  const callee = await Client.open(b, 'callee');
  await callee.listen('7002');
  const incoming = callee.next('ProtocolClIncomingCall');
  const { vc } = await caller.call('7002');
  const offered = await incoming;

  const atB = callee.next('ProtocolCoReceiveNetBufferLists');
  caller.send(vc, Buffer.from('a to b'));
  t.is((await atB).nbls[0]!.data.toString(), 'a to b');
  const atA = caller.next('ProtocolCoReceiveNetBufferLists');
  callee.send(offered.vcHandle, Buffer.from('b to a'));
  t.is((await atA).nbls[0]!.data.toString(), 'b to a');

  const closeData = Buffer.from('close data over ' + ma.name.split(':')[0]);
  const ic = callee.next('ProtocolClIncomingCloseCall');
  const done = caller.next('ProtocolClCloseCallComplete');
  const st = caller.cl.NdisClCloseCall(vc, undefined, closeData);
  if (st === S.PENDING) t.is((await done).status, S.SUCCESS);
  else t.is(st, S.SUCCESS);
  const got = await ic;
  t.is(got.closeStatus, S.SUCCESS);
  t.deepEqual(got.closeData, closeData);
  t.is(caller.cl.NdisCoDeleteVc(vc), S.SUCCESS);
}

rootTest('nic miniport: a point-to-point call with data and close data between two namespaces joined by a veth pair', async (t) => {
  const nsA = await Netns.create(uniqueName('cna'));
  const nsB = await Netns.create(uniqueName('cnb'));
  t.teardown(async () => {
    await nsA.destroy();
    await nsB.destroy();
  });
  const va = uniqueName('cva');
  const vb = uniqueName('cvb');
  await createVeth({ ns: nsA, name: va }, { ns: nsB, name: vb });
  await nsA.ip(['link', 'set', va, 'address', MAC_A]);
  await nsB.ip(['link', 'set', vb, 'address', MAC_B]);
  await callOver(t, { kind: 'nic', device: va, netns: nsA.name }, { kind: 'nic', device: vb, netns: nsB.name });
});

rootTest('etherip miniport: a point-to-point call with data and close data between two subnets behind a router namespace', async (t) => {
  const lab = await createRoutedPair('ce');
  t.teardown(() => lab.destroy());
  await callOver(
    t,
    { kind: 'etherip', local: lab.a.addr, peers: [lab.b.addr], mac: MAC_A, netns: lab.a.ns.name },
    { kind: 'etherip', local: lab.b.addr, peers: [lab.a.addr], mac: MAC_B, netns: lab.b.ns.name },
  );
});
