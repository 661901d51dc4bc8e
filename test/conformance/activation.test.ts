/** R15-R22: activation and deactivation of VCs by the call manager and the miniport. */
import { CallFlags, MediaFlags, q2931CallParameters, type NetBufferList } from '../../src/ndis/types.js';
import { multipoint, p2p, rule, S } from './network.js';

rule('R15 the CM activates the VC before a successful make-call completion and before offering an incoming call', async (t, ctx) => {
  const { net } = ctx;
  await p2p(ctx);
  const a = net.hosts[0]!;
  const b = net.hosts[1]!;
  const fa = a.trace.map((e) => e.fn);
  t.true(fa.indexOf(a.fn('NdisCmActivateVc')) >= 0);
  t.true(fa.indexOf(a.fn('NdisCmActivateVc')) < fa.indexOf(a.fn('NdisCmMakeCallComplete')));
  const fb = b.trace.map((e) => e.fn);
  t.true(fb.indexOf(b.fn('NdisCmActivateVc')) >= 0);
  t.true(fb.indexOf(b.fn('NdisCmActivateVc')) < fb.indexOf(b.fn('NdisCmDispatchIncomingCall')));
});

for (const status of ['INVALID_DATA', 'RESOURCES'] as const) {
  rule(`R16 the miniport refuses activation with ${status}; the make call fails with it`, async (t, ctx) => {
    const { a, net, completion, shape } = ctx;
    net.hosts[0]!.data.failNextActivate = S[status];
    const vc = a.createVc(a.afs[0]!);
    const r = await a.makeCall(vc, net.hosts[1]!.address);
    t.is(r.status, S[status]);
    t.is(a.ndis.vcInfo(vc)!.state, 'CREATED', 'back where it was');
    if (shape === 'cm' && completion === 'pending') t.is(net.hosts[0]!.calls('ProtocolCmActivateVcComplete').length, 1, 'a pending activation completes through ProtocolCmActivateVcComplete');
    await net.settle();
    t.is(ctx.b.of('ProtocolClIncomingCloseCall').length, 1, 'the callee sees the call go away');
    await ctx.b.closeCall(ctx.b.last('ProtocolClIncomingCloseCall')!.vcHandle);
  });
}

rule('R17 a failed re-activation keeps the VC active with its old parameters and data still flows', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc, parties, leafClients } = await multipoint(ctx, 1);
  const paths = a.ndis.vcInfo(vc)!.params!.mediaParameters!.mediaSpecific!.paths;
  net.hosts[0]!.data.failNextActivate = S.RESOURCES;
  const add = await a.addParty(vc, net.hosts[2]!.address);
  t.is(add.status, S.RESOURCES, 'the add that needed the re-activation failed');
  t.is(a.ndis.vcInfo(vc)!.state, 'ACTIVE');
  t.deepEqual(a.ndis.vcInfo(vc)!.params!.mediaParameters!.mediaSpecific!.paths, paths);
  a.ndis.NdisCoSendNetBufferLists(vc, [{ sourceHandle: vc, data: Buffer.from('still here') }]);
  await net.settle();
  t.deepEqual(leafClients[0]!.last('ProtocolCoReceiveNetBufferLists')?.nbls[0]!.data, Buffer.from('still here'));
  t.is(parties.length, 1);
}, { hosts: 3 });

rule('R18 with ROUND_UP_FLOW the miniport may adjust the flow; the CM reads back what was programmed', async (t, ctx) => {
  const { a, net } = ctx;
  const vc = a.createVc(a.afs[0]!);
  const params = q2931CallParameters(net.hosts[1]!.address, { transmit: { peakBandwidth: 1000 }, media: { flags: MediaFlags.ROUND_UP_FLOW } });
  const r = await a.makeCall(vc, net.hosts[1]!.address, undefined, params);
  t.is(r.status, S.SUCCESS);
  const done = a.last('ProtocolClMakeCallComplete')!;
  t.is(done.params.callMgrParameters!.transmit.peakBandwidth, 1007, 'rounded up to whole cells (19 x 53)');
  t.is(a.ndis.vcInfo(vc)!.params!.callMgrParameters!.transmit.peakBandwidth, 1007);
});

rule('R19 after a failed activation the CM sends nothing on that VC and clears the call', async (t, ctx) => {
  const { a, net } = ctx;
  net.hosts[0]!.data.failNextActivate = S.INVALID_DATA;
  const vc = a.createVc(a.afs[0]!);
  await a.makeCall(vc, net.hosts[1]!.address);
  await net.settle();
  t.is(net.hosts[0]!.data.sent.length, 0);
  t.is(net.fake.log.filter((m) => m.msg === 'RELEASE' && m.from === net.hosts[0]!.mac).length, 1, 'the call is cleared instead');
  t.is(net.hosts[0]!.uni.counters().calls, 0);
});

rule('R20 deactivation completes only after outstanding sends; afterwards nothing moves on the VC', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA } = await p2p(ctx);
  const nbl: NetBufferList = { sourceHandle: vcA, data: Buffer.from('last words') };
  a.ndis.NdisCoSendNetBufferLists(vcA, [nbl]);
  const st = a.ndis.NdisClCloseCall(vcA);
  t.is(st, S.PENDING, 'the close waits for the send');
  await net.settle();
  const kinds = a.log.map((i) => i.kind).filter((k) => k === 'ProtocolCoSendNetBufferListsComplete' || k === 'ProtocolClCloseCallComplete');
  t.deepEqual(kinds, ['ProtocolCoSendNetBufferListsComplete', 'ProtocolClCloseCallComplete']);
  t.is(nbl.status, S.SUCCESS);
  t.deepEqual(b.last('ProtocolCoReceiveNetBufferLists')!.nbls[0]!.data, Buffer.from('last words'));
  t.false(net.hosts[0]!.data.active.has(vcA));
});

rule('R21 one deactivation per activation: deactivating an inactive VC gives NOT_ACCEPTED', async (t, ctx) => {
  const { a, net, shape } = ctx;
  const { vcA } = await p2p(ctx);
  await a.closeCall(vcA);
  await net.settle();
  const cm = net.hosts[0]!.cm;
  t.is(shape === 'mcm' ? cm.mcmApi!.NdisMCmDeactivateVc(vcA) : cm.cmApi!.NdisCmDeactivateVc(vcA), S.NOT_ACCEPTED);
  t.is(a.ndis.vcInfo(vcA)!.state, 'DEACTIVATED');
});

rule('R22 after deactivation the call parameters are void; only a new call by the creator or delete is possible', async (t, ctx) => {
  const { a, net } = ctx;
  const { vcA } = await p2p(ctx);
  t.truthy(a.ndis.vcInfo(vcA)!.params);
  await a.closeCall(vcA);
  await net.settle();
  const info = a.ndis.vcInfo(vcA)!;
  t.is(info.params, undefined);
  t.is(a.ndis.NdisClCloseCall(vcA), S.INVALID_STATE, 'no call left to close');
  const nbl: NetBufferList = { sourceHandle: vcA, data: Buffer.from('x') };
  a.ndis.NdisCoSendNetBufferLists(vcA, [nbl]);
  await net.settle();
  t.is(nbl.status, S.VC_NOT_ACTIVATED);
  t.is((await a.makeCall(vcA, net.hosts[1]!.address)).status, S.SUCCESS);
  t.is(a.last('ProtocolClMakeCallComplete')!.params.flags & CallFlags.CALL_PARAMETERS_CHANGED, 0);
});

rule('R20 deactivation also waits until every indicated receive came back from the client', async (t, ctx) => {
  const { b, net } = ctx;
  const a2 = net.hosts[0]!.client('keeper', { receiveMode: 'return' });
  const af = await a2.openAf();
  const vc = a2.createVc(af, 'keeper-vc');
  t.is((await a2.makeCall(vc, net.hosts[1]!.address)).status, S.SUCCESS);
  await net.settle();
  const vcB = b.last('ProtocolClIncomingCall')!.vcHandle;
  b.ndis.NdisCoSendNetBufferLists(vcB, [{ sourceHandle: vcB, data: Buffer.from('keep me') }]);
  await net.settle();
  const rx = a2.last('ProtocolCoReceiveNetBufferLists')!;
  t.is(rx.flags, 0, 'not RESOURCES: the client owns it until it returns it');
  const st = a2.ndis.NdisClCloseCall(vc);
  t.is(st, S.PENDING);
  await net.settle();
  t.is(a2.of('ProtocolClCloseCallComplete').length, 0, 'still waiting for the receive');
  t.is(a2.ndis.vcInfo(vc)!.state, ctx.shape === 'cm' ? 'DEACTIVATING' : 'CLOSING');
  a2.ndis.NdisReturnNetBufferLists(rx.nbls);
  await net.settle();
  t.is(a2.last('ProtocolClCloseCallComplete')!.status, S.SUCCESS);
  t.is(a2.ndis.vcInfo(vc)!.state, 'DEACTIVATED');
});
