/**
 * Forged source MACs against the peer limit: a burst of SSCOP frames from
 * made-up senders fills a host's peer table, yet a real newcomer still gets
 * in (learned peers that never linked, never announced addresses and carry
 * no calls make room), and the peers that matter are never evicted.
 */
import test from 'ava';
import { CondisNode } from '../../src/host/node.js';
import { openMemorySync } from '../../src/miniport/index.js';
import { cellHeader, emitFrame, VCI_SIGNALLING } from '../../src/wire/index.js';
import { emitPdu } from '../../src/sscop/pdu.js';
import { Client, linksUp, memoryNodes, nodeOptions, shutdownAll } from '../helpers/nodes.js';
import { waitUntil } from '../helpers/wait.js';

test('frames from forged sources cannot lock real peers out of a full peer table', async (t) => {
  const nodes = memoryNodes(2, { limits: { peers: 3 } });
  const hub = nodes[0]!.miniport.name.replace(/^memory:/, '');
  const port = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:f0', promiscuous: true });
  t.teardown(async () => {
    await shutdownAll(nodes);
    await port.close();
  });
  await linksUp(nodes);
  const [h1] = nodes as [CondisNode, CondisNode];
  const unknownVc = () => h1.counters().drops['unknown-vc'] ?? 0;
  const markersBefore = unknownVc();
  const forged = (i: number) => `02:00:00:00:ee:${i.toString(16).padStart(2, '0')}`;
  for (let i = 0; i < 20; i++) {
    port.send(emitFrame({ dst: h1.mac, src: forged(i), etherType: 0x88b5, cell: cellHeader(0, VCI_SIGNALLING), uu: 0, cpi: 0, sdu: emitPdu({ type: 'BGN', nsq: 1, nmr: 128, uu: Buffer.alloc(0) }) }));
  }
  // a marker behind the burst (data on a VC nobody has: dropped and counted); once h1 counted it, the burst is handled
  port.send(emitFrame({ dst: h1.mac, src: '02:00:00:00:00:f0', etherType: 0x88b5, cell: cellHeader(0, 999), uu: 0, cpi: 0, sdu: Buffer.from('marker') }));
  await waitUntil('h1 handles the frame behind the forged burst', () => unknownVc() > markersBefore);
  t.is(h1.peerList().length, 3, 'the table is full (h2 and forged ones)');
  // nothing of the forgotten ones stays behind: one SSCOP link, one link subscription and one PDU feed per peer in the table
  t.is(h1.sscopCounters().length, 3);
  const table = (h1 as unknown as { peers: { linkSubs: Map<string, unknown>; pdus: Map<string, unknown> } }).peers;
  t.is(table.linkSubs.size, 3);
  t.is(table.pdus.size, 3);
  t.true(h1.peerList().some((p) => p.mac === nodes[1]!.mac), 'the real peer stays');

  // a real host joins: it announces itself and links up with h1
  const mp = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:03' });
  const h3 = new CondisNode(nodeOptions('h3', mp, '1003', { limits: { peers: 3 } }));
  nodes.push(h3);
  await linksUp(nodes);
  t.true(h1.peerList().some((p) => p.mac === h3.mac && p.link?.established), 'the newcomer got in');
  t.true(h1.peerList().length <= 3);

  const callee = await Client.open(h1, 'callee');
  await callee.listen('1001');
  const caller = await Client.open(h3, 'caller');
  const inc = callee.next('ProtocolClIncomingCall');
  await caller.call('1001');
  t.truthy(await inc);
});
