/** R6-R14: VC creation and deletion. */
import { p2p, rule, S } from './network.js';
import type { NdisAfHandle } from '../../src/ndis/types.js';
import { attachClientPolicy } from '../../src/ndis/policy.js';

rule('R6 create VC returns after the other side (and the miniport for a CM) set up its context; one handle for all', async (t, ctx) => {
  const { a, b, net, shape } = ctx;
  const h = net.hosts[0]!;
  const r = a.ndis.NdisCoCreateVc(a.afs[0]!, 'mine');
  t.is(r.status, S.SUCCESS);
  const created = h.calls('ProtocolCoCreateVc');
  t.is(created.length, 1, 'the CM ran before the create returned');
  t.is(created[0]!.args[1], r.vcHandle);
  t.is(h.data.vcs.has(r.vcHandle!), shape === 'cm', 'a stand-alone CM setup involves the miniport; the MCM is the miniport');
  t.is(a.ndis.NdisCoDeleteVc(r.vcHandle!), S.SUCCESS);
  // the CM-created VC of an incoming call: the client's ProtocolCoCreateVc ran with the handle the dispatch then uses
  const seen: number[] = [];
  b.ndis.setHandlers({ ProtocolCoCreateVc: (_af, vh) => (seen.push(vh), { status: S.SUCCESS, vcContext: 'in' }) });
  const { vcB } = await p2p(ctx);
  t.deepEqual(seen, [vcB as number]);
  t.is(b.last('ProtocolClIncomingCall')!.vcContext, 'in');
  b.ndis.setHandlers({ ProtocolCoCreateVc: undefined });
});

rule('R7 when the miniport or the other side refuses creation, the creator gets that status and no context remains', async (t, ctx) => {
  const { a, b, net, shape } = ctx;
  const h = net.hosts[0]!;
  const before = h.ndis.counters();
  if (shape === 'cm') {
    h.data.failNextCreate = S.RESOURCES;
    const r = a.ndis.NdisCoCreateVc(a.afs[0]!, 'x');
    t.is(r.status, S.RESOURCES);
    t.is(r.vcHandle, undefined);
    t.is(h.calls('ProtocolCoDeleteVc').length, 1, "the CM's context was deleted again");
  }
  const orig = h.cm.ProtocolCoCreateVc.bind(h.cm);
  h.cm.ProtocolCoCreateVc = () => ({ status: S.RESOURCES });
  t.is(a.ndis.NdisCoCreateVc(a.afs[0]!, 'y').status, S.RESOURCES);
  h.cm.ProtocolCoCreateVc = orig;
  t.deepEqual(h.ndis.counters(), before);
  // incoming side: the client refuses the VC, the call is rejected and nothing is left
  b.ndis.setHandlers({ ProtocolCoCreateVc: () => ({ status: S.RESOURCES }) });
  const vc = a.createVc(a.afs[0]!);
  const m = await a.makeCall(vc, net.hosts[1]!.address);
  t.is(m.status, S.RESOURCES, 'cause 47 maps back to RESOURCES');
  t.is(net.hosts[1]!.ndis.counters().vcs, 0);
  t.is(net.hosts[1]!.ndis.counters().cmContexts, 2, 'only AF and SAP contexts');
  b.ndis.setHandlers({ ProtocolCoCreateVc: undefined });
});

rule('R8 create with an unknown AF handle: FAILURE; allocation failure: RESOURCES', async (t, ctx) => {
  const { a, net } = ctx;
  t.is(a.ndis.NdisCoCreateVc(987654 as NdisAfHandle, 'x').status, S.FAILURE);
  const other = net.hosts[0]!.client('other');
  t.is(other.ndis.NdisCoCreateVc(a.afs[0]!, 'x').status, S.FAILURE, "another client's AF handle is not valid here");
  const cm = net.hosts[0]!.cm;
  const orig = cm.ProtocolCoCreateVc.bind(cm);
  cm.ProtocolCoCreateVc = () => ({ status: S.RESOURCES });
  t.is(a.ndis.NdisCoCreateVc(a.afs[0]!, 'x').status, S.RESOURCES);
  cm.ProtocolCoCreateVc = orig;
});

rule('R9 a CM signalling VC has no AF handle and no client hears of it', async (t, ctx) => {
  const { a, b, net, shape } = ctx;
  for (const h of net.hosts) {
    t.is(h.ndis.counters().signallingVcs, shape === 'cm' ? 1 : 0);
    if (shape === 'cm') {
      const sig = h.ndis.snapshot().vcs.find((v) => v.signalling)!;
      t.is(sig.client, undefined);
      t.is(sig.handle, h.cm.signallingVcHandle!);
    }
  }
  t.is(a.of('ProtocolCoCreateVc').length + b.of('ProtocolCoCreateVc').length, 0);
});

rule('R10 only the creator deletes a VC: anyone else gets FAILURE and nothing changes', async (t, ctx) => {
  const { a, b, net, shape } = ctx;
  const { vcA, vcB } = await p2p(ctx);
  await a.closeCall(vcA);
  await net.settle();
  // the client cannot delete the VC the call manager created for the incoming call
  t.is(b.ndis.NdisCoDeleteVc(vcB), S.FAILURE);
  t.truthy(b.ndis.vcInfo(vcB));
  // the call manager cannot delete the client's VC
  const h = net.hosts[0]!;
  const st = shape === 'cm' ? h.cm.cmApi!.NdisCoDeleteVc(vcA) : h.cm.mcmApi!.NdisMCmDeleteVc(vcA);
  t.is(st, S.FAILURE);
  t.is(a.ndis.vcInfo(vcA)?.state, 'DEACTIVATED');
  // and a client cannot delete a CM VC
  const r = await p2p(ctx);
  t.is(b.ndis.NdisCoDeleteVc(r.vcB), S.FAILURE);
  t.is(b.ndis.vcInfo(r.vcB)?.call, 'CONNECTED');
});

rule('R11 deleting an active VC: NOT_ACCEPTED; while deactivation runs: CLOSING; neither changes anything', async (t, ctx) => {
  const { a, net, shape, completion } = ctx;
  const { vcA } = await p2p(ctx);
  t.is(a.ndis.NdisCoDeleteVc(vcA), S.NOT_ACCEPTED);
  t.is(a.ndis.vcInfo(vcA)!.state, 'ACTIVE');
  // a send in flight keeps the deactivation pending
  a.ndis.NdisCoSendNetBufferLists(vcA, [{ sourceHandle: vcA, data: Buffer.from('drain me') }]);
  const close = a.ndis.NdisClCloseCall(vcA);
  t.is(close, S.PENDING);
  if (shape === 'cm' && completion === 'sync') {
    t.is(a.ndis.vcInfo(vcA)!.state, 'DEACTIVATING');
    t.is(a.ndis.NdisCoDeleteVc(vcA), S.CLOSING);
    t.is(a.ndis.vcInfo(vcA)!.state, 'DEACTIVATING');
  } else {
    t.is(a.ndis.NdisCoDeleteVc(vcA), S.NOT_ACCEPTED);
  }
  await net.settle();
  t.is(a.ndis.vcInfo(vcA)!.state, 'DEACTIVATED');
  t.is(a.ndis.NdisCoDeleteVc(vcA), S.SUCCESS);
});

rule('R12 a successful delete reaches the non-creator (and the miniport for a CM); the handle is dead afterwards', async (t, ctx) => {
  const { a, net, shape } = ctx;
  const h = net.hosts[0]!;
  const vc = a.createVc(a.afs[0]!);
  t.is(a.ndis.NdisCoDeleteVc(vc), S.SUCCESS);
  t.is(h.calls('ProtocolCoDeleteVc').length, 1);
  t.false(h.data.vcs.has(vc));
  if (shape === 'cm') t.is(h.data.vcs.size, 1, 'only the signalling VC is left at the miniport');
  t.is(a.ndis.NdisCoDeleteVc(vc), S.FAILURE);
  t.is(a.ndis.NdisClMakeCall(vc, { flags: 0 }).status, S.FAILURE);
});

rule('R13 the non-creator may refuse a delete with NOT_ACCEPTED while busy; the delete fails with that status', async (t, ctx) => {
  const { b, net, a } = ctx;
  let busy = true;
  b.ndis.setHandlers({ ProtocolCoDeleteVc: () => (busy ? S.NOT_ACCEPTED : S.SUCCESS) });
  b.policy = attachClientPolicy(b.ndis);
  const { vcA, vcB } = await p2p(ctx);
  await a.closeCall(vcA);
  await net.settle();
  const h = net.hosts[1]!;
  const first = h.calls(h.fn('NdisCoDeleteVc'))[0]!;
  t.is(first.result, S.NOT_ACCEPTED);
  t.truthy(b.ndis.vcInfo(vcB), 'still there');
  busy = false;
  // the call manager retries on a short timer: a virtual second is ample for it (and costs no real time)
  await net.advance(1000);
  t.is(b.ndis.vcInfo(vcB), undefined, 'the CM tried again once the client was done');
  b.ndis.setHandlers({ ProtocolCoDeleteVc: undefined });
}, { virtualTime: true });

rule('R14 a deactivated VC is reused only by its creator', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA, vcB } = await p2p(ctx);
  await a.closeCall(vcA);
  await net.settle();
  t.is(a.ndis.vcInfo(vcA)!.state, 'DEACTIVATED');
  t.is((await a.makeCall(vcA, net.hosts[1]!.address)).status, S.SUCCESS, 'the creator makes a new call on it');
  const second = b.last('ProtocolClIncomingCall')!.vcHandle;
  t.not(second, vcB);
  // the client may not make a call on a VC the CM created
  t.is(b.ndis.NdisClMakeCall(second, { flags: 0, callMgrParameters: { transmit: {}, receive: {}, callMgrSpecific: { calledParty: '1001' } } }).status, S.INVALID_STATE);
});
