/** R58-R68: a client closes a call; close data on RELEASE; deactivation before completion; VC reuse and deletion. */
import { attachClientPolicy } from '../../src/ndis/policy.js';
import type { NetBufferList } from '../../src/ndis/types.js';
import { multipoint, p2p, q2931CallParameters, rule, S, type NdisVcHandle, type RuleContext } from './network.js';

rule('R58 NdisClCloseCall reaches ProtocolCmCloseCall, which releases the call on the network', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA, vcB } = await p2p(ctx);
  const r = await a.closeCall(vcA);
  t.is(r.status, S.SUCCESS);
  t.is(net.hosts[0]!.calls('ProtocolCmCloseCall').length, 1);
  t.is(net.fake.log.filter((m) => m.msg === 'RELEASE' && m.from === net.hosts[0]!.mac).length, 1);
  await net.settle();
  t.is(b.last('ProtocolClIncomingCloseCall')?.vcHandle, vcB);
  t.is(net.hosts[0]!.uni.counters().calls, 0);
});

rule('R59 a close naming the CM party context ends the multipoint call and frees that last party', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc, parties } = await multipoint(ctx, 1);
  const made = net.hosts[0]!.calls('ProtocolCmMakeCall')[0]!.result as { callMgrPartyContext: unknown };
  const before = net.hosts[0]!.ndis.counters().cmContexts;
  t.is((await a.closeCall(vc, parties[0])).status, S.SUCCESS);
  const close = net.hosts[0]!.calls('ProtocolCmCloseCall')[0]!;
  t.is(close.args[1], made.callMgrPartyContext, 'the CM party context of the last party');
  t.is(net.hosts[0]!.ndis.counters().cmContexts, before - 1, 'that party state is gone');
  t.is(net.hosts[0]!.ndis.counters().parties, 0);
  await net.settle();
  t.is(ctx.b.of('ProtocolClIncomingCloseCall').length, 1);
}, { hosts: 3 });

rule('R60 close data of close call goes out in RELEASE before the close completes and reaches the remote client', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA } = await p2p(ctx);
  const cd = Buffer.from('see you');
  let releasesAtCompletion = -1;
  a.ndis.indications$.subscribe((i) => {
    if (i.kind === 'ProtocolClCloseCallComplete') releasesAtCompletion = net.fake.log.filter((m) => m.msg === 'RELEASE').length;
  });
  const r = a.ndis.NdisClCloseCall(vcA, undefined, cd);
  t.is(net.hosts[0]!.calls('ProtocolCmCloseCall')[0]!.args[2], cd);
  if (r === S.SUCCESS) t.is(net.fake.log.filter((m) => m.msg === 'RELEASE').length, 1);
  await net.settle();
  if (r === S.PENDING) t.is(releasesAtCompletion, 1);
  t.deepEqual(net.fake.log.find((m) => m.msg === 'RELEASE')!.closeData, cd);
  const inc = b.last('ProtocolClIncomingCloseCall')!;
  t.deepEqual(inc.closeData, cd);
  t.is(inc.size, cd.length);
});

for (const [name, policy, len] of [
  ['close data switched off', { allowed: false, maxOctets: 127 }, 3],
  ['close data too long (200 > 127)', { allowed: true, maxOctets: 127 }, 200],
] as const) {
  rule(`R60 close call with ${name}: INVALID_DATA, nothing sent, call unchanged`, async (t, ctx) => {
    const { a, net } = ctx;
    const { vcA } = await p2p(ctx);
    const before = net.fake.log.length;
    t.is(a.ndis.NdisClCloseCall(vcA, undefined, Buffer.alloc(len, 1)), S.INVALID_DATA);
    await net.settle();
    t.is(net.fake.log.length, before);
    t.is(a.ndis.vcInfo(vcA)!.call, 'CONNECTED');
    t.is(a.ndis.vcInfo(vcA)!.state, 'ACTIVE');
    t.is(a.of('ProtocolClCloseCallComplete').length, 0);
    t.is((await a.closeCall(vcA)).status, S.SUCCESS, 'closing without close data still works');
  }, { closeData: policy });
}

rule('R61 close completes at once or with exactly one completion carrying the last party context (multipoint) or none', async (t, ctx) => {
  const { a, net, completion } = ctx;
  const { vcA } = await p2p(ctx);
  const r1 = a.ndis.NdisClCloseCall(vcA);
  t.is(r1, completion === 'sync' ? S.SUCCESS : S.PENDING);
  await net.settle();
  const c1 = a.of('ProtocolClCloseCallComplete');
  t.is(c1.length, completion === 'sync' ? 0 : 1);
  if (c1[0]) t.is(c1[0].partyContext, undefined);
  // multipoint, to host 1 again on the same VC
  const r = await a.makeCall(vcA, net.hosts[1]!.address, 'the-party');
  t.is(r.status, S.SUCCESS);
  const r2 = a.ndis.NdisClCloseCall(vcA, r.party);
  await net.settle();
  const c2 = a.of('ProtocolClCloseCallComplete');
  if (r2 === S.PENDING) {
    t.is(c2.length, 2);
    t.is(c2[1]!.partyContext, 'the-party');
    t.is(c2[1]!.partyHandle, r.party);
  } else t.is(c2.length, c1.length);
});

rule('R62 the VC is deactivated before the client sees a successful close', async (t, ctx) => {
  const { a, net } = ctx;
  const { vcA } = await p2p(ctx);
  let stateAtCompletion: string | undefined;
  a.ndis.indications$.subscribe((i) => {
    if (i.kind === 'ProtocolClCloseCallComplete') stateAtCompletion = a.ndis.vcInfo(vcA)?.state;
  });
  const r = a.ndis.NdisClCloseCall(vcA);
  if (r === S.SUCCESS) stateAtCompletion = a.ndis.vcInfo(vcA)?.state;
  await net.settle();
  t.is(stateAtCompletion, 'DEACTIVATED');
  t.false(net.hosts[0]!.data.active.has(vcA), 'the miniport no longer has it programmed');
  const deact = net.hosts[0]!.trace.findIndex((e) => e.fn === net.hosts[0]!.fn('NdisCmDeactivateVc'));
  t.true(deact >= 0, 'deactivated through the call manager');
});

rule('R63 after the close the creator may delete the VC; nothing deletes it by itself', async (t, ctx) => {
  const { a, net } = ctx;
  const { vcA } = await p2p(ctx);
  await a.closeCall(vcA);
  await net.settle();
  t.is(a.ndis.vcInfo(vcA)?.state, 'DEACTIVATED', 'still there');
  t.is(net.hosts[0]!.calls('ProtocolCoDeleteVc').length, 0);
  t.is(a.ndis.NdisCoDeleteVc(vcA), S.SUCCESS);
  t.is(a.ndis.vcInfo(vcA), undefined);
  t.is(net.hosts[0]!.calls('ProtocolCoDeleteVc').length, 1);
});

rule('R64 close call on a multipoint VC with more than one party is refused; nothing signalled, parties stay', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc, parties } = await multipoint(ctx);
  const before = net.fake.log.length;
  const r = a.ndis.NdisClCloseCall(vc, parties[0]);
  t.is(r, S.FAILURE);
  t.is(net.hosts[0]!.calls('ProtocolCmCloseCall')[0]?.result, S.FAILURE, 'the CM refused it');
  await net.settle();
  t.is(net.fake.log.length, before);
  t.is(a.ndis.vcInfo(vc)!.call, 'CONNECTED');
  t.deepEqual(
    a.ndis.vcInfo(vc)!.parties.map((p) => p.state),
    ['CONNECTED', 'CONNECTED'],
  );
  t.is(a.of('ProtocolClCloseCallComplete').length, 0);
}, { hosts: 3 });

rule('R65 no sends after asking to close: a send while the close is under way completes with CLOSING', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA } = await p2p(ctx);
  t.is(a.ndis.NdisClCloseCall(vcA), S.PENDING);
  const nbl: NetBufferList = { sourceHandle: vcA, data: Buffer.from('late') };
  a.ndis.NdisCoSendNetBufferLists(vcA, [nbl]);
  await net.settle();
  t.is(nbl.status, S.CLOSING);
  t.is(a.last('ProtocolCoSendNetBufferListsComplete')!.nbls[0], nbl);
  t.is(b.of('ProtocolCoReceiveNetBufferLists').length, 0);
  t.is(net.hosts[0]!.data.sent.length, 0);
}, { completions: ['pending'] });

rule('R65 with a synchronous close a later send is refused and nothing reaches the wire', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA } = await p2p(ctx);
  t.is(a.ndis.NdisClCloseCall(vcA), S.SUCCESS);
  const nbl: NetBufferList = { sourceHandle: vcA, data: Buffer.from('late') };
  a.ndis.NdisCoSendNetBufferLists(vcA, [nbl]);
  await net.settle();
  t.not(nbl.status, S.SUCCESS);
  t.is(b.of('ProtocolCoReceiveNetBufferLists').length, 0);
  t.is(net.hosts[0]!.data.sent.length, 0);
}, { completions: ['sync'] });

rule('R66 a client closes from an incoming close, an unacceptable remote QoS change, or a refused QoS change of its own', async (t, ctx) => {
  const { a, b, net } = ctx;
  // from ProtocolClIncomingCloseCall
  a.policy = attachClientPolicy(a.ndis, { acceptQoSChange: () => false, closeOnQoSRefused: true });
  let { vcA, vcB } = await p2p(ctx);
  await b.closeCall(vcB);
  await net.settle();
  t.is(net.hosts[0]!.calls('ProtocolCmCloseCall').length, 1, 'after the incoming close');
  // from ProtocolClIncomingCallQoSChange
  ({ vcA } = await p2p(ctx));
  const r = net.hosts[0]!.cm.remoteQoSChange(vcA, q2931CallParameters('1002', { transmit: { peakBandwidth: 5300 } }));
  if (typeof r !== 'number') await r;
  await net.settle();
  t.is(a.of('ProtocolClIncomingCallQoSChange').length, 1);
  t.is(net.hosts[0]!.calls('ProtocolCmCloseCall').length, 2, 'after the unacceptable QoS change');
  // from ProtocolClModifyCallQoSComplete with a failure
  ({ vcA } = await p2p(ctx));
  net.hosts[0]!.data.failNextActivate = S.RESOURCES;
  const m = a.ndis.NdisClModifyCallQoS(vcA, q2931CallParameters('1002', { transmit: { peakBandwidth: 530 } }));
  t.true(m === S.PENDING || m === S.FAILURE);
  if (m === S.FAILURE) a.policy.closeCall(vcA);
  await net.settle();
  t.is(net.hosts[0]!.calls('ProtocolCmCloseCall').length, 3, 'after the refused QoS change');
}, { qos: true });

rule('R67 on a CM-created VC the client is done after its close completion; the CM then deletes the VC', async (t, ctx) => {
  const { b, net } = ctx;
  const { vcB } = await p2p(ctx);
  const r = b.ndis.NdisClCloseCall(vcB);
  await net.settle();
  const kinds = b.log.map((i) => i.kind).filter((k) => k === 'ProtocolClCloseCallComplete' || k === 'ProtocolCoDeleteVc');
  t.deepEqual(kinds, r === S.PENDING ? ['ProtocolClCloseCallComplete', 'ProtocolCoDeleteVc'] : ['ProtocolCoDeleteVc']);
  t.is(b.ndis.vcInfo(vcB), undefined);
  t.is(net.hosts[1]!.calls(net.hosts[1]!.fn('NdisCoDeleteVc')).at(-1)?.result, S.SUCCESS);
});

/** what a client that frees its VC context in ProtocolCoDeleteVc sees, in order: its close completion must come first */
function closeThenDelete(ctx: RuleContext, vc: NdisVcHandle): string[] {
  const { b } = ctx;
  const order: string[] = [];
  b.ndis.setHandlers({
    ProtocolCoDeleteVc: (_ctx, h) => {
      if (h === vc) order.push('ProtocolCoDeleteVc handler');
      return S.SUCCESS;
    },
  });
  b.ndis.indications$.subscribe((i) => {
    if ((i.kind === 'ProtocolClCloseCallComplete' || i.kind === 'ProtocolCoDeleteVc') && i.vcHandle === vc) order.push(i.kind);
  });
  return order;
}

for (const who of ['the client', 'the remote'] as const)
  rule(`R67 on a CM-created VC closed by ${who}, ProtocolClCloseCallComplete reaches the client before ProtocolCoDeleteVc (handler and indication)`, async (t, ctx) => {
    const { a, b, net } = ctx;
    const { vcA, vcB } = await p2p(ctx);
    const order = closeThenDelete(ctx, vcB);
    if (who === 'the remote') {
      t.is((await a.closeCall(vcA)).status, S.SUCCESS);
      t.is(b.of('ProtocolClIncomingCloseCall').length, 1);
    }
    const r = b.ndis.NdisClCloseCall(vcB);
    if (r === S.SUCCESS) order.push('NdisClCloseCall returned SUCCESS');
    await net.settle();
    t.deepEqual(order, [r === S.PENDING ? 'ProtocolClCloseCallComplete' : 'NdisClCloseCall returned SUCCESS', 'ProtocolCoDeleteVc handler', 'ProtocolCoDeleteVc']);
    t.is(b.ndis.vcInfo(vcB), undefined, 'deleted');
  });

rule('R68 on a client-created VC a successful close allows a new call on the same VC; the VC context stays until delete', async (t, ctx) => {
  const { a, net } = ctx;
  const { vcA } = await p2p(ctx);
  await a.closeCall(vcA);
  await net.settle();
  const again = await a.makeCall(vcA, net.hosts[1]!.address);
  t.is(again.status, S.SUCCESS);
  t.is(a.last('ProtocolClMakeCallComplete')!.vcContext, 'vcA', 'same VC context');
  await a.closeCall(vcA);
  t.is(a.ndis.NdisCoDeleteVc(vcA), S.SUCCESS);
});
