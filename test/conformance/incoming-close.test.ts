/** R69-R78: the remote (or the network) closes; what the client is told and what it does about it. */
import { attachClientPolicy } from '../../src/ndis/policy.js';
import type { NetBufferList } from '../../src/ndis/types.js';
import { CallFlags } from '../../src/ndis/types.js';
import { multipoint, p2p, rule, S } from './network.js';

rule('R69 a remote close becomes an incoming close with SUCCESS (MCM: through NdisMCmDispatchIncomingCloseCall)', async (t, ctx) => {
  const { a, b, net, shape } = ctx;
  const { vcA, vcB } = await p2p(ctx);
  await b.closeCall(vcB);
  await net.settle();
  const inc = a.last('ProtocolClIncomingCloseCall')!;
  t.is(inc.closeStatus, S.SUCCESS);
  t.is(inc.vcHandle, vcA);
  const dispatch = net.hosts[0]!.calls(shape === 'mcm' ? 'NdisMCmDispatchIncomingCloseCall' : 'NdisCmDispatchIncomingCloseCall');
  t.is(dispatch.length, 1);
  t.is(dispatch[0]!.args[0], S.SUCCESS);
});

rule('R70 incoming close on parameters the CM cannot support (from its incoming-call completion)', async (t, ctx) => {
  const { a, b, net } = ctx;
  b.ndis.setHandlers({ ProtocolClIncomingCall: () => S.PENDING });
  const vcA = a.createVc(a.afs[0]!, 'vcA');
  t.is(a.ndis.NdisClMakeCall(vcA, { flags: 0, callMgrParameters: { transmit: {}, receive: {}, callMgrSpecific: { calledParty: net.hosts[1]!.address } } }).status, S.PENDING);
  await net.settle();
  const inc = b.last('ProtocolClIncomingCall')!;
  b.ndis.NdisClIncomingCallComplete(S.SUCCESS, inc.vcHandle, { ...inc.params, flags: inc.params.flags | CallFlags.CALL_PARAMETERS_CHANGED });
  await net.settle();
  t.is(net.hosts[1]!.calls('ProtocolCmIncomingCallComplete').length, 1);
  const close = b.last('ProtocolClIncomingCloseCall')!;
  t.truthy(close);
  t.not(close.closeStatus, S.SUCCESS);
  t.is(b.of('ProtocolClCallConnected').length, 0);
  t.not(a.last('ProtocolClMakeCallComplete')!.status, S.SUCCESS);
});

rule('R70 incoming close on a network failure carries a non-SUCCESS status', async (t, ctx) => {
  const { a, b, net } = ctx;
  await p2p(ctx);
  net.fake.failLink(net.hosts[0]!.mac, net.hosts[1]!.mac);
  await net.settle();
  t.is(a.last('ProtocolClIncomingCloseCall')!.closeStatus, S.DEST_OUT_OF_ORDER);
  t.is(b.last('ProtocolClIncomingCloseCall')!.closeStatus, S.DEST_OUT_OF_ORDER);
  net.fake.restoreLink(net.hosts[0]!.mac, net.hosts[1]!.mac);
});

rule('R71 the incoming close carries the status and the remote close data, or none', async (t, ctx) => {
  const { a, b, net } = ctx;
  let { vcB } = await p2p(ctx);
  const cd = Buffer.from([1, 2, 3, 4, 5]);
  await b.closeCall(vcB, undefined, cd);
  await net.settle();
  let inc = a.last('ProtocolClIncomingCloseCall')!;
  t.deepEqual(inc.closeData, cd);
  t.is(inc.size, 5);
  await a.closeCall(inc.vcHandle);
  t.is(a.ndis.NdisCoDeleteVc(inc.vcHandle), S.SUCCESS);
  ({ vcB } = await p2p(ctx));
  await b.closeCall(vcB);
  await net.settle();
  inc = a.last('ProtocolClIncomingCloseCall')!;
  t.is(inc.closeData, undefined);
  t.is(inc.size, 0);
});

rule('R72 incoming close of a multipoint VC: the root drops parties until one is left, then closes naming it', async (t, ctx) => {
  const { a, net } = ctx;
  a.policy = attachClientPolicy(a.ndis);
  const { vc, parties } = await multipoint(ctx);
  const call = [...net.hosts[0]!.uni.calls.keys()][0]!;
  net.hosts[0]!.uni.networkClear(call, 41);
  await net.settle();
  const inc = a.last('ProtocolClIncomingCloseCall')!;
  t.is(inc.vcHandle, vc);
  t.not(inc.closeStatus, S.SUCCESS);
  const ops = net.hosts[0]!.trace.filter((e) => e.fn === 'ProtocolCmDropParty' || e.fn === 'ProtocolCmCloseCall');
  t.deepEqual(
    ops.map((e) => e.fn),
    ['ProtocolCmDropParty', 'ProtocolCmDropParty', 'ProtocolCmCloseCall'],
  );
  const named = (ops[2]!.args[1] as { partyH: number }).partyH;
  t.true(parties.includes(named as never));
  t.is(net.hosts[0]!.ndis.counters().parties, 0);
}, { hosts: 4 });

rule('R73 every incoming close is answered with a close call (no party on point-to-point); nothing more for a CM VC', async (t, ctx) => {
  const { a, b, net } = ctx;
  b.policy = attachClientPolicy(b.ndis);
  const { vcA, vcB } = await p2p(ctx);
  await a.closeCall(vcA);
  await net.settle();
  const close = net.hosts[1]!.calls('ProtocolCmCloseCall');
  t.is(close.length, 1);
  t.is(close[0]!.args[1], undefined, 'no party');
  t.is(b.ndis.vcInfo(vcB), undefined, 'the CM deleted its VC');
  t.is(net.hosts[1]!.calls('ProtocolCoDeleteVc').length, 0, 'the client did not try to delete it');
});

rule('R74 after an incoming close the CM deactivates the VC', async (t, ctx) => {
  const { a, b, net } = ctx;
  a.policy = attachClientPolicy(a.ndis);
  const { vcA, vcB } = await p2p(ctx);
  await b.closeCall(vcB);
  await net.settle();
  t.is(a.ndis.vcInfo(vcA)!.state, 'DEACTIVATED');
  t.is(net.hosts[0]!.calls(net.hosts[0]!.fn('NdisCmDeactivateVc')).length, 1);
  t.false(net.hosts[0]!.data.active.has(vcA));
});

rule('R75 client VC closed with SUCCESS: the client may keep it for another call', async (t, ctx) => {
  const { a, b, net } = ctx;
  a.policy = attachClientPolicy(a.ndis);
  const { vcA, vcB } = await p2p(ctx);
  await b.closeCall(vcB);
  await net.settle();
  t.is(a.ndis.vcInfo(vcA)?.state, 'DEACTIVATED', 'kept, not deleted');
  const again = await a.makeCall(vcA, net.hosts[1]!.address);
  t.is(again.status, S.SUCCESS);
});

rule('R76 client VC closed with a failure status: the client deletes it after its close completed', async (t, ctx) => {
  const { a, net } = ctx;
  a.policy = attachClientPolicy(a.ndis);
  const { vcA } = await p2p(ctx);
  net.fake.failLink(net.hosts[0]!.mac, net.hosts[1]!.mac);
  await net.settle();
  t.is(a.last('ProtocolClIncomingCloseCall')!.closeStatus, S.DEST_OUT_OF_ORDER);
  t.is(a.ndis.vcInfo(vcA), undefined, 'deleted');
  const fns = net.hosts[0]!.trace.map((e) => e.fn).filter((f) => f === 'ProtocolCmCloseCall' || f === 'ProtocolCoDeleteVc');
  t.deepEqual(fns, ['ProtocolCmCloseCall', 'ProtocolCoDeleteVc']);
  net.fake.restoreLink(net.hosts[0]!.mac, net.hosts[1]!.mac);
});

rule('R77 a VC the CM created is deleted by the CM after deactivation', async (t, ctx) => {
  const { a, b, net } = ctx;
  b.policy = attachClientPolicy(b.ndis);
  const { vcA, vcB } = await p2p(ctx);
  await a.closeCall(vcA);
  await net.settle();
  const h = net.hosts[1]!;
  const deact = h.trace.findIndex((e) => e.fn === h.fn('NdisCmDeactivateVc'));
  const del = h.trace.findIndex((e) => e.fn === h.fn('NdisCoDeleteVc') && e.args[0] === vcB);
  t.true(deact >= 0 && del > deact);
  t.is(b.last('ProtocolCoDeleteVc')!.vcHandle, vcB);
});

rule('R78 from the incoming close on, no data is delivered to or accepted from the client on that VC', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA, vcB } = await p2p(ctx);
  await b.closeCall(vcB);
  await net.settle();
  t.truthy(a.last('ProtocolClIncomingCloseCall'));
  const nbl: NetBufferList = { sourceHandle: vcA, data: Buffer.from('x') };
  a.ndis.NdisCoSendNetBufferLists(vcA, [nbl]);
  // data that still arrives on the old path is not delivered
  const path = { peer: net.hosts[1]!.mac, vpi: 0, vci: net.fake.log.length };
  const info = a.ndis.vcInfo(vcA)!;
  net.hosts[0]!.data.deliver({ path: info.params?.mediaParameters?.mediaSpecific?.paths[0] ?? path, data: Buffer.from('late') });
  await net.settle();
  t.is(nbl.status, S.CLOSING);
  t.is(a.of('ProtocolCoReceiveNetBufferLists').length, 0);
});
