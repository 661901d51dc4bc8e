import { rule, p2p, multipoint, S } from './network.js';

rule('R58', 'close call reaches the call manager, which releases the call on the network', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA, vcB } = await p2p(ctx);
  t.is(a.ndis.vcInfo(vcA)?.call, 'CONNECTED');
  t.is(b.ndis.vcInfo(vcB)?.call, 'CONNECTED');
  const cd = Buffer.from('bye');
  const r = await a.closeCall(vcA, undefined, cd);
  t.is(r.status, S.SUCCESS);
  const rel = net.fake.log.filter((m) => m.msg === 'RELEASE');
  t.is(rel.length, 1);
  t.deepEqual(rel[0]!.closeData, cd);
  await net.settle();
  const inc = b.last('ProtocolClIncomingCloseCall');
  t.truthy(inc);
  t.is(inc!.closeStatus, S.SUCCESS);
  t.deepEqual(inc!.closeData, cd);
});

rule('R41', 'multipoint teardown', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc, parties } = await multipoint(ctx);
  t.is(parties.length, 2);
  const d = await a.dropParty(parties[1]!, Buffer.from('x'));
  t.is(d.status, S.SUCCESS);
  const c = await a.closeCall(vc, parties[0]!, Buffer.from('y'));
  t.is(c.status, S.SUCCESS);
  await net.settle();
}, { hosts: 3 });
