/** R79-R92: QoS changes, SAPs and address families, the data path. */
import { attachClientPolicy } from '../../src/ndis/policy.js';
import { NDIS_RECEIVE_FLAGS_RESOURCES, Q2931_AF, SAP_TYPE_ATM, q2931CallParameters, type NdisVcHandle, type NetBufferList } from '../../src/ndis/types.js';
import { p2p, rule, S } from './network.js';

// ---------------------------------------------------------------- QoS

rule('R79 without QoS on the medium a QoS change is NOT_SUPPORTED', async (t, ctx) => {
  const { a, net } = ctx;
  const { vcA } = await p2p(ctx);
  t.is(a.ndis.NdisClModifyCallQoS(vcA, q2931CallParameters(net.hosts[1]!.address, { transmit: { peakBandwidth: 530 } })), S.NOT_SUPPORTED);
  await net.settle();
  t.is(a.of('ProtocolClModifyCallQoSComplete').length, 0);
});

rule('R80 a granted QoS change re-activates first; a refused one keeps the old values (FAILURE); bad values INVALID_DATA', async (t, ctx) => {
  const { a, net, completion } = ctx;
  const { vcA } = await p2p(ctx);
  const called = net.hosts[1]!.address;
  const outcome = async (st: number): Promise<number> => {
    if (st !== S.PENDING) return st;
    await net.settle();
    return a.last('ProtocolClModifyCallQoSComplete')!.status;
  };
  const before = net.hosts[0]!.calls(net.hosts[0]!.fn('NdisCmActivateVc')).length;
  const ok = a.ndis.NdisClModifyCallQoS(vcA, q2931CallParameters(called, { transmit: { peakBandwidth: 5300 } }));
  t.is(ok, completion === 'sync' ? S.SUCCESS : S.PENDING);
  t.is(await outcome(ok), S.SUCCESS);
  t.is(net.hosts[0]!.calls(net.hosts[0]!.fn('NdisCmActivateVc')).length, before + 1, 're-activated');
  t.is(a.ndis.vcInfo(vcA)!.params!.callMgrParameters!.transmit.peakBandwidth, 5300);
  net.hosts[0]!.data.failNextActivate = S.RESOURCES;
  const refused = a.ndis.NdisClModifyCallQoS(vcA, q2931CallParameters(called, { transmit: { peakBandwidth: 53 } }));
  t.is(await outcome(refused), S.FAILURE);
  t.is(a.ndis.vcInfo(vcA)!.params!.callMgrParameters!.transmit.peakBandwidth, 5300, 'old values stay');
  t.is(a.ndis.vcInfo(vcA)!.state, 'ACTIVE');
  t.is(a.ndis.NdisClModifyCallQoS(vcA, q2931CallParameters(called, { transmit: { peakBandwidth: -1 } })), S.INVALID_DATA);
}, { qos: true });

rule('R81 a remote QoS change re-activates first and reaches the client only if the miniport accepted', async (t, ctx) => {
  const { a, net } = ctx;
  const { vcA } = await p2p(ctx);
  const h = net.hosts[0]!;
  h.data.failNextActivate = S.INVALID_DATA;
  let r = h.cm.remoteQoSChange(vcA, q2931CallParameters('x', { transmit: { peakBandwidth: 106 } }));
  t.is(typeof r === 'number' ? r : await r, S.INVALID_DATA);
  await net.settle();
  t.is(a.of('ProtocolClIncomingCallQoSChange').length, 0);
  r = h.cm.remoteQoSChange(vcA, q2931CallParameters('x', { transmit: { peakBandwidth: 106 } }));
  t.is(typeof r === 'number' ? r : await r, S.SUCCESS);
  await net.settle();
  const ind = a.last('ProtocolClIncomingCallQoSChange')!;
  t.is(ind.params.callMgrParameters!.transmit.peakBandwidth, 106);
  const fns = h.trace.map((e) => e.fn);
  t.true(fns.lastIndexOf(h.fn('NdisCmActivateVc')) < fns.lastIndexOf(h.fn('NdisCmDispatchIncomingCallQoSChange')));
  t.is(a.ndis.vcInfo(vcA)!.call, 'CONNECTED', 'accepted by returning');
}, { qos: true });

// ---------------------------------------------------------------- SAPs and AFs

rule('R82 a SAP another client holds, or one the CM cannot parse, is refused with INVALID_DATA', async (t, ctx) => {
  const { net } = ctx;
  const c = net.hosts[0]!.client('second');
  const af = await c.openAf();
  t.is(c.ndis.NdisClRegisterSap(af, 's', { sapType: SAP_TYPE_ATM, sap: { address: net.hosts[0]!.address } }).status, S.INVALID_DATA, 'held by client a');
  t.is(c.ndis.NdisClRegisterSap(af, 's', { sapType: 0x77, sap: { address: '1' } }).status, S.INVALID_DATA, 'unknown SAP type');
  t.is(c.ndis.NdisClRegisterSap(af, 's', { sapType: SAP_TYPE_ATM, sap: { address: '5555' } }).status, S.INVALID_DATA, 'not an address of this host');
  t.is(net.hosts[0]!.ndis.counters().saps, 1);
});

rule('R83 deregister SAP answers PENDING (FAILURE when already under way); calls that came in on it continue', async (t, ctx) => {
  const { b, net } = ctx;
  const { vcB } = await p2p(ctx);
  const sap = b.saps[0]!;
  t.is(b.ndis.NdisClDeregisterSap(sap), S.PENDING);
  t.is(b.ndis.NdisClDeregisterSap(sap), S.FAILURE);
  t.deepEqual(b.ndis.saps(b.afs[0]!), [], 'the handle is dead at once');
  await net.settle();
  t.is(b.of('ProtocolClDeregisterSapComplete').length, 1);
  t.is(b.last('ProtocolClDeregisterSapComplete')!.status, S.SUCCESS);
  t.is(b.ndis.vcInfo(vcB)!.call, 'CONNECTED', 'the call stays');
  const vc = ctx.a.createVc(ctx.a.afs[0]!);
  t.not((await ctx.a.makeCall(vc, net.hosts[1]!.address)).status, S.SUCCESS, 'no new calls without a SAP');
});

rule('R84 only one CM per AF per adapter: a second registration fails with FAILURE', async (t, ctx) => {
  const { net, shape } = ctx;
  const cm = net.hosts[0]!.cm;
  t.is(cm.registration, S.SUCCESS);
  t.is(shape === 'cm' ? cm.cmApi!.NdisCmRegisterAddressFamilyEx(Q2931_AF) : cm.mcmApi!.NdisMCmRegisterAddressFamilyEx(Q2931_AF), S.FAILURE);
});

rule('R85 AF registration reaches every bound client; opening it runs ProtocolCmOpenAf with a fresh AF handle', async (t, ctx) => {
  const { net } = ctx;
  const c = net.hosts[0]!.client('late');
  await net.settle();
  t.deepEqual(c.last('ProtocolCoAfRegisterNotify')!.addressFamily, Q2931_AF);
  const af1 = await c.openAf('one');
  const af2 = await c.openAf('two');
  t.not(af1, af2);
  const opens = net.hosts[0]!.calls('ProtocolCmOpenAf');
  t.deepEqual(
    opens.slice(-2).map((e) => e.args[1]),
    [af1, af2],
  );
});

rule('R86 closing an AF with SAPs or calls left fails with FAILURE; after teardown it closes', async (t, ctx) => {
  const { a, net, completion } = ctx;
  const { vcA } = await p2p(ctx);
  const af = a.afs[0]!;
  t.is(a.ndis.NdisClCloseAddressFamily(af), S.FAILURE, 'SAP and VC still there');
  await a.closeCall(vcA);
  t.is(a.ndis.NdisCoDeleteVc(vcA), S.SUCCESS);
  t.is(a.ndis.NdisClCloseAddressFamily(af), S.FAILURE, 'SAP still there');
  t.is(a.ndis.NdisClDeregisterSap(a.saps[0]!), S.PENDING);
  await net.settle();
  const st = a.ndis.NdisClCloseAddressFamily(af);
  t.is(st, completion === 'sync' ? S.SUCCESS : S.PENDING);
  await net.settle();
  if (st === S.PENDING) t.is(a.last('ProtocolClCloseAfComplete')!.status, S.SUCCESS);
  a.afs = [];
});

rule('R87 notify-close-AF makes the client tear down and finish with NdisClNotifyCloseAddressFamilyComplete', async (t, ctx) => {
  const { a, b, net } = ctx;
  a.policy = attachClientPolicy(a.ndis);
  const { vcB } = await p2p(ctx);
  const st = net.hosts[0]!.cm.notifyCloseAf(a.afs[0]!);
  t.is(st, S.PENDING);
  await net.settle();
  t.is(net.hosts[0]!.calls('ProtocolCmNotifyCloseAfComplete').length, 1);
  t.is(net.hosts[0]!.ndis.counters().afs, 0);
  t.is(b.last('ProtocolClIncomingCloseCall')!.vcHandle, vcB, 'the call was closed on the way');
  a.afs = [];
  a.saps = [];
});

// ---------------------------------------------------------------- data

rule('R88 a sent NBL names its VC as source handle and comes back in its send completion', async (t, ctx) => {
  const { a, net } = ctx;
  const { vcA } = await p2p(ctx);
  const good: NetBufferList = { sourceHandle: vcA, data: Buffer.from('ok') };
  const bad: NetBufferList = { data: Buffer.from('no source') };
  a.ndis.NdisCoSendNetBufferLists(vcA, [good, bad]);
  await net.settle();
  const back = a.of('ProtocolCoSendNetBufferListsComplete').flatMap((c) => c.nbls);
  t.true(back.includes(good) && back.includes(bad));
  t.is(good.status, S.SUCCESS);
  t.is(bad.status, S.INVALID_PARAMETER);
  t.is(net.hosts[0]!.data.sent.length, 1);
});

rule('R89 sends go out in order; each completes exactly once', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA } = await p2p(ctx);
  const nbls: NetBufferList[] = Array.from({ length: 20 }, (_, i) => ({ sourceHandle: vcA, data: Buffer.from([i]) }));
  a.ndis.NdisCoSendNetBufferLists(vcA, nbls.slice(0, 10));
  a.ndis.NdisCoSendNetBufferLists(vcA, nbls.slice(10));
  await net.settle();
  t.deepEqual(
    b.of('ProtocolCoReceiveNetBufferLists').flatMap((r) => r.nbls.map((n) => n.data[0])),
    nbls.map((_, i) => i),
  );
  const done = a.of('ProtocolCoSendNetBufferListsComplete').flatMap((c) => c.nbls);
  t.is(done.length, 20);
  t.is(new Set(done).size, 20);
});

rule('R89 every send completes exactly once, also on a VC that is gone (deleted) or was never there', async (t, ctx) => {
  const { a, net } = ctx;
  const { vcA } = await p2p(ctx);
  t.is((await a.closeCall(vcA)).status, S.SUCCESS);
  await net.settle();
  t.is(a.ndis.NdisCoDeleteVc(vcA), S.SUCCESS);
  const onDeleted: NetBufferList[] = [{ sourceHandle: vcA, data: Buffer.from('late') }, { sourceHandle: vcA, data: Buffer.from('later') }];
  a.ndis.NdisCoSendNetBufferLists(vcA, onDeleted);
  const unknown = 9999 as NdisVcHandle;
  const neverThere: NetBufferList = { sourceHandle: unknown, data: Buffer.from('no such VC') };
  a.ndis.NdisCoSendNetBufferLists(unknown, [neverThere]);
  await net.settle();
  const done = a.of('ProtocolCoSendNetBufferListsComplete').flatMap((c) => c.nbls);
  t.deepEqual(done, [...onDeleted, neverThere], 'each NBL handed back once');
  t.true([...onDeleted, neverThere].every((n) => n.status === S.FAILURE));
  t.deepEqual(a.of('ProtocolCoSendNetBufferListsComplete').map((c) => c.vcHandle), [vcA, vcA, unknown]);
  t.is(net.hosts[0]!.data.sent.length, 0, 'nothing reached the miniport');
});

rule('R90 every send is taken; short frames arrive intact', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA } = await p2p(ctx);
  const nbls: NetBufferList[] = Array.from({ length: 200 }, () => ({ sourceHandle: vcA, data: Buffer.from([0x42]) }));
  a.ndis.NdisCoSendNetBufferLists(vcA, nbls);
  await net.settle();
  t.true(nbls.every((n) => n.status === S.SUCCESS));
  const got = b.of('ProtocolCoReceiveNetBufferLists').flatMap((r) => r.nbls);
  t.is(got.length, 200);
  t.true(got.every((n) => n.data.equals(Buffer.from([0x42]))));
});

rule('R91 received data goes only to the VC owner; RESOURCES: copy now, otherwise return later', async (t, ctx) => {
  const { a, net } = ctx;
  const other = net.hosts[1]!.client('bystander');
  const b2 = net.hosts[1]!.client('returner', { receiveMode: 'return' });
  const af = await b2.openAf();
  await b2.registerSap(af, '*');
  b2.ndis.setHandlers({ ProtocolClIncomingCall: () => S.SUCCESS });
  // b (the RESOURCES receiver) deregisters so the wildcard SAP of b2 takes the next call
  const { vcA } = await p2p(ctx);
  a.ndis.NdisCoSendNetBufferLists(vcA, [{ sourceHandle: vcA, data: Buffer.from('one') }]);
  await net.settle();
  const r1 = ctx.b.last('ProtocolCoReceiveNetBufferLists')!;
  t.is(r1.flags & NDIS_RECEIVE_FLAGS_RESOURCES, NDIS_RECEIVE_FLAGS_RESOURCES);
  t.is(other.of('ProtocolCoReceiveNetBufferLists').length, 0);
  t.is(b2.of('ProtocolCoReceiveNetBufferLists').length, 0);
  ctx.b.ndis.NdisClDeregisterSap(ctx.b.saps[0]!);
  await net.settle();
  const vc2 = a.createVc(a.afs[0]!);
  t.is((await a.makeCall(vc2, net.hosts[1]!.address)).status, S.SUCCESS);
  await net.settle();
  a.ndis.NdisCoSendNetBufferLists(vc2, [{ sourceHandle: vc2, data: Buffer.from('two') }]);
  await net.settle();
  const r2 = b2.last('ProtocolCoReceiveNetBufferLists')!;
  t.is(r2.flags & NDIS_RECEIVE_FLAGS_RESOURCES, 0);
  t.is(net.hosts[1]!.ndis.counters().receivesOutstanding, 1);
  b2.ndis.NdisReturnNetBufferLists(r2.nbls);
  t.is(net.hosts[1]!.ndis.counters().receivesOutstanding, 0);
  t.is(other.of('ProtocolCoReceiveNetBufferLists').length, 0);
});

rule('R92 a CM owns a signalling VC for its signalling; an MCM has none visible to NDIS and never sends through it', async (t, ctx) => {
  const { net, shape } = ctx;
  await p2p(ctx);
  for (const h of net.hosts) {
    if (shape === 'cm') {
      const sig = h.cm.signallingVcHandle!;
      t.truthy(sig);
      t.true(h.data.vcs.has(sig), 'the miniport knows the signalling VC');
      t.is(h.ndis.snapshot().vcs.filter((v) => v.signalling).length, 1);
    } else {
      t.is(h.cm.signallingVcHandle, undefined);
      t.is(h.ndis.counters().signallingVcs, 0);
      t.is(h.calls('NdisCoSendNetBufferLists').length, 0);
      t.is(h.ndis.cmSignallingSends, 0);
    }
  }
});
