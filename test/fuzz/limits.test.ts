/**
 * Resource limits (config `limits`) on real stacks over the memory miniport:
 * calls (the local request fails with RESOURCES; an incoming SETUP past the
 * cap is refused with cause 47 on the wire and the caller sees the failure),
 * parties per call, and the bound on received signalling and data. There is
 * no cell reassembly (one frame is one AAL5 PDU, docs/wire.md), so what one input
 * can make a host hold is one frame: SDUs are at most maxSdu(MTU) = 1488
 * octets on a 1500-octet medium; an SSCOP PDU longer than MaxK is dropped and
 * counted ('too-long'); SSCOP's receive buffer is bounded by its window (128
 * SDs of at most MaxK). Peers and pending requests: fuzz/peers.test.ts and
 * fuzz/control.test.ts.
 */
import test from 'ava';
import { openMemorySync } from '../../src/miniport/index.js';
import { cellHeader, emitFrame, parseFrame, VCI_SIGNALLING } from '../../src/wire/index.js';
import { emitPdu, parsePdu } from '../../src/sscop/pdu.js';
import { decodeMessage, MsgType, findIe, IeId } from '../../src/uni/msg/index.js';
import { Client, linksUp, memoryNodes, S, shutdownAll } from '../helpers/nodes.js';
import { NdisStatus, q2931CallParameters } from '../../src/ndis/index.js';

test('the call limit: past it a local make call fails with RESOURCES and an incoming SETUP is refused with cause 47', async (t) => {
  const sent: Buffer[] = [];
  const nodes = memoryNodes(3, {
    limits: { calls: 2 },
    capture: (dir, _vpi, vci, sdu) => {
      if (dir === 'tx' && vci === VCI_SIGNALLING) sent.push(Buffer.from(sdu));
    },
  });
  t.teardown(() => shutdownAll(nodes));
  await linksUp(nodes);
  const [a, b, c] = await Promise.all(nodes.map((n, i) => Client.open(n, `c${i}`)));
  await b!.listen('1002');
  await c!.listen('1003');
  // h2 gets one call from h1 and one from h3: full; h1's next call to h2 is refused by h2 (cause 47)
  await a!.call('1002');
  await c!.call('1002');
  await t.throwsAsync(a!.call('1002'), { message: /make call: / });
  // h1 now holds one call; with a second (to h3) it is full itself: its third fails at once with RESOURCES
  await a!.call('1003');
  const v = a!.cl.NdisCoCreateVc(a!.af, 'third');
  const r = a!.cl.NdisClMakeCall(v.vcHandle!, q2931CallParameters('1002'));
  const st = r.status === S.PENDING ? (await a!.next('ProtocolClMakeCallComplete', (i) => i.vcHandle === v.vcHandle)).status : r.status;
  t.is(st, NdisStatus.RESOURCES);
  const refusals = sent
    .map((pdu) => parsePdu(pdu))
    .filter((p) => p.ok && p.value.type === 'SD')
    .map((p) => decodeMessage((p.ok && p.value.type === 'SD' ? p.value.data : Buffer.alloc(0))))
    .filter((m) => m.ok && m.value.type === MsgType.RELEASE_COMPLETE && findIe(m.value, IeId.CAUSE)?.cause === 47);
  t.true(refusals.length >= 1, 'RELEASE COMPLETE with cause 47 (resource unavailable) on the wire');
});

test('the party limit: an add party past partiesPerCall fails with RESOURCES', async (t) => {
  const nodes = memoryNodes(4, { limits: { partiesPerCall: 2 } });
  t.teardown(() => shutdownAll(nodes));
  await linksUp(nodes);
  const cls = await Promise.all(nodes.map((n, i) => Client.open(n, `p${i}`)));
  for (let i = 1; i < 4; i++) await cls[i]!.listen(`${1001 + i}`);
  const { vc } = await cls[0]!.call('1002', true);
  await cls[0]!.addParty(vc, '1003');
  await t.throwsAsync(cls[0]!.addParty(vc, '1004'), { message: /RESOURCES/ });
});

test('what one input can make a host hold is bounded: oversized SDUs are refused on send and dropped, counted, on receipt', async (t) => {
  const nodes = memoryNodes(2);
  t.teardown(() => shutdownAll(nodes));
  await linksUp(nodes);
  const [a, b] = await Promise.all(nodes.map((n, i) => Client.open(n, `s${i}`)));
  await b!.listen('1002');
  const { vc } = await a!.call('1002');
  // sending: an SDU longer than the medium's maxSdu (1488 on 1500) is refused with INVALID_LENGTH
  const done = a!.next('ProtocolCoSendNetBufferListsComplete');
  a!.send(vc, Buffer.alloc(1489));
  t.is((await done).nbls[0]!.status, NdisStatus.INVALID_LENGTH);
  // receiving: a jumbo frame (as a misconfigured medium might carry) with an SSCOP PDU over MaxK is dropped as too-long
  const hub = nodes[0]!.miniport.name.replace(/^memory:/, '');
  const jumbo = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:f1', mtu: 9000 });
  t.teardown(() => jumbo.close());
  const big = emitFrame({ dst: nodes[1]!.mac, src: jumbo.mac, etherType: 0x88b5, cell: cellHeader(0, VCI_SIGNALLING), uu: 0, cpi: 0, sdu: emitPdu({ type: 'SD', ns: 0, data: Buffer.alloc(5000) }) });
  t.true(parseFrame(big).ok);
  jumbo.send(big);
  for (let i = 0; i < 100 && !nodes[1]!.sscopCounters().some((l) => (l.drops['too-long'] ?? 0) > 0); i++) await new Promise((r) => setTimeout(r, 10));
  t.true(nodes[1]!.sscopCounters().some((l) => (l.drops['too-long'] ?? 0) > 0), 'counted as too-long');
  t.true(nodes[1]!.sscopCounters().every((l) => l.outOfOrderSdus === 0 && l.queuedSdus === 0), 'nothing held');
});
