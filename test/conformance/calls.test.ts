/** R23-R39: outgoing calls, incoming calls, adding parties. */
import { attachClientPolicy } from '../../src/ndis/policy.js';
import { CallFlags, MediaFlags, q2931CallParameters, type NdisVcHandle, type NetBufferList } from '../../src/ndis/types.js';
import { multipoint, p2p, rule, S } from './network.js';

const params = (called: string) => q2931CallParameters(called);

// ---------------------------------------------------------------- outgoing

rule('R23 make call only on an idle VC the client created; otherwise it fails at once without signalling', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA, vcB } = await p2p(ctx);
  const before = net.fake.log.length;
  t.is(a.ndis.NdisClMakeCall(vcA, params(net.hosts[1]!.address)).status, S.INVALID_STATE, 'VC already carries a call');
  t.is(b.ndis.NdisClMakeCall(vcB, params(net.hosts[0]!.address)).status, S.INVALID_STATE, 'VC created by the CM');
  t.is(a.ndis.NdisClMakeCall(4242 as NdisVcHandle, params(net.hosts[1]!.address)).status, S.FAILURE, 'unknown VC');
  await net.settle();
  t.is(net.fake.log.length, before);
  t.is(net.hosts[0]!.calls('ProtocolCmMakeCall').length, 1);
});

rule('R24 a party context makes the call multipoint (CM gets a party handle, returns its context); none: no parties', async (t, ctx) => {
  const { a, net } = ctx;
  const { vcA } = await p2p(ctx);
  const mk = net.hosts[0]!.calls('ProtocolCmMakeCall');
  t.is(mk[0]!.args[2], undefined);
  t.is((mk[0]!.result as { callMgrPartyContext?: unknown }).callMgrPartyContext, undefined);
  t.is(a.last('ProtocolClMakeCallComplete')!.partyHandle, undefined);
  t.false(a.ndis.vcInfo(vcA)!.multipoint);
  await a.closeCall(vcA);
  const r = await a.makeCall(vcA, net.hosts[1]!.address, 'p1');
  t.is(r.status, S.SUCCESS);
  const mk2 = net.hosts[0]!.calls('ProtocolCmMakeCall')[1]!;
  t.is(mk2.args[2], r.party);
  t.truthy((mk2.result as { callMgrPartyContext?: unknown }).callMgrPartyContext);
  t.true(a.ndis.vcInfo(vcA)!.multipoint);
  t.true(net.fake.hosts.get(net.hosts[0]!.mac)!.snapshot().calls[0]!.multipoint, 'signalled as point-to-multipoint');
});

rule('R25 make call: PENDING then exactly one completion, also on failure; immediate failures are final', async (t, ctx) => {
  const { a, b, net } = ctx;
  b.ndis.setHandlers({ ProtocolClIncomingCall: () => S.NOT_SUPPORTED });
  const vc = a.createVc(a.afs[0]!);
  const r = await a.makeCall(vc, net.hosts[1]!.address);
  t.is(r.returned, S.PENDING);
  t.not(r.status, S.SUCCESS);
  t.is(a.of('ProtocolClMakeCallComplete').length, 1);
  const none = a.ndis.NdisClMakeCall(vc, params('9999'));
  t.is(none.status, S.NO_ROUTE_TO_DESTINATION, 'no route: refused at once');
  await net.settle();
  t.is(a.of('ProtocolClMakeCallComplete').length, 1, 'no completion for a final answer');
});

rule('R26 changed parameters come back flagged CALL_PARAMETERS_CHANGED with the new values', async (t, ctx) => {
  const { a, net } = ctx;
  const vc = a.createVc(a.afs[0]!);
  const p = q2931CallParameters(net.hosts[1]!.address, { transmit: { peakBandwidth: 2000 }, media: { flags: MediaFlags.ROUND_DOWN_FLOW } });
  await a.makeCall(vc, net.hosts[1]!.address, undefined, p);
  const done = a.last('ProtocolClMakeCallComplete')!;
  t.is(done.status, S.SUCCESS);
  t.truthy(done.params.flags & CallFlags.CALL_PARAMETERS_CHANGED);
  t.is(done.params.callMgrParameters!.transmit.peakBandwidth, 1961, '37 cells of 53 octets');
});

rule('R27 a failed make call leaves no party handle and no CM party state; the delete that follows reaches the CM', async (t, ctx) => {
  const { a, b, net } = ctx;
  b.ndis.setHandlers({ ProtocolClIncomingCall: () => S.NOT_SUPPORTED });
  const vc = a.createVc(a.afs[0]!);
  const before = net.hosts[0]!.ndis.counters();
  const r = await a.makeCall(vc, net.hosts[1]!.address, 'p');
  t.not(r.status, S.SUCCESS);
  t.is(a.last('ProtocolClMakeCallComplete')!.partyHandle, undefined);
  t.is(net.hosts[0]!.ndis.counters().parties, 0);
  t.is(net.hosts[0]!.ndis.counters().cmContexts, before.cmContexts, 'only the VC context, no party');
  t.is(a.ndis.NdisCoDeleteVc(vc), S.SUCCESS);
  t.is(net.hosts[0]!.calls('ProtocolCoDeleteVc').length, 1);
});

rule('R28 no data before a successful make-call completion', async (t, ctx) => {
  const { a, b, net } = ctx;
  const vc = a.createVc(a.afs[0]!);
  t.is(a.ndis.NdisClMakeCall(vc, params(net.hosts[1]!.address)).status, S.PENDING);
  const nbl: NetBufferList = { sourceHandle: vc, data: Buffer.from('early') };
  a.ndis.NdisCoSendNetBufferLists(vc, [nbl]);
  await net.settle();
  t.is(nbl.status, S.VC_NOT_ACTIVATED);
  t.is(net.hosts[0]!.data.sent.length, 0);
  t.is(b.of('ProtocolCoReceiveNetBufferLists').length, 0);
});

rule('R29 a client that cannot live with changed parameters closes from its make-call completion', async (t, ctx) => {
  const { a, net } = ctx;
  a.policy = attachClientPolicy(a.ndis, { acceptChangedParameters: () => false });
  const vc = a.createVc(a.afs[0]!);
  const p = q2931CallParameters(net.hosts[1]!.address, { transmit: { peakBandwidth: 1000 }, media: { flags: MediaFlags.ROUND_UP_FLOW } });
  a.ndis.NdisClMakeCall(vc, p);
  await net.settle();
  t.is(net.hosts[0]!.calls('ProtocolCmCloseCall').length, 1);
  t.is(a.ndis.vcInfo(vc)!.call, 'IDLE');
});

// ---------------------------------------------------------------- incoming

rule('R30 a call is offered only on a matching SAP, in the order create VC, activate, dispatch', async (t, ctx) => {
  const { a, b, net } = ctx;
  const h = net.hosts[1]!;
  const vc = a.createVc(a.afs[0]!);
  // host 1 listens on its own address only: a call to an address nobody registered is refused
  net.fake.hosts.get(h.mac)!.addresses.push('2002');
  const r = await a.makeCall(vc, '2002');
  t.not(r.status, S.SUCCESS);
  t.is(b.of('ProtocolClIncomingCall').length, 0);
  t.is(h.ndis.counters().vcs, 0);
  await p2p(ctx);
  const order = h.trace.map((e) => e.fn).filter((f) => [h.fn('NdisCoCreateVc'), h.fn('NdisCmActivateVc'), h.fn('NdisCmDispatchIncomingCall')].includes(f));
  t.deepEqual(order, [h.fn('NdisCoCreateVc'), h.fn('NdisCmActivateVc'), h.fn('NdisCmDispatchIncomingCall')]);
});

rule('R31 incoming call: SUCCESS accepts, another final status rejects, PENDING decides later', async (t, ctx) => {
  const { a, b, net } = ctx;
  let answer: number = S.NOT_SUPPORTED;
  b.ndis.setHandlers({ ProtocolClIncomingCall: () => answer });
  const vc = a.createVc(a.afs[0]!);
  t.not((await a.makeCall(vc, net.hosts[1]!.address)).status, S.SUCCESS, 'rejected');
  answer = S.PENDING;
  a.ndis.NdisClMakeCall(vc, params(net.hosts[1]!.address));
  await net.settle();
  const inc = b.last('ProtocolClIncomingCall')!;
  t.is(inc.result, S.PENDING);
  t.is(a.of('ProtocolClMakeCallComplete').length, 1, 'still waiting for the answer');
  b.ndis.NdisClIncomingCallComplete(S.SUCCESS, inc.vcHandle, inc.params);
  await net.settle();
  t.is(a.last('ProtocolClMakeCallComplete')!.status, S.SUCCESS);
  t.is(b.of('ProtocolClCallConnected').length, 1);
  answer = S.SUCCESS;
});

rule('R32 a final answer from the dispatch is not completed again; a PENDING one exactly once', async (t, ctx) => {
  const { b, net } = ctx;
  await p2p(ctx);
  t.is(net.hosts[1]!.calls('ProtocolCmIncomingCallComplete').length, 0);
  b.ndis.setHandlers({ ProtocolClIncomingCall: () => S.PENDING });
  const a = ctx.a;
  const vc = a.createVc(a.afs[0]!);
  a.ndis.NdisClMakeCall(vc, params(net.hosts[1]!.address));
  await net.settle();
  const inc = b.last('ProtocolClIncomingCall')!;
  b.ndis.NdisClIncomingCallComplete(S.SUCCESS, inc.vcHandle, inc.params);
  await net.settle();
  t.is(net.hosts[1]!.calls('ProtocolCmIncomingCallComplete').length, 1);
});

rule('R33 after acceptance the CM signals it, then reports call-connected; data only after that', async (t, ctx) => {
  const { b, net } = ctx;
  let early: NetBufferList | undefined;
  b.ndis.setHandlers({
    ProtocolClIncomingCall: (_s, _v, _p, vh) => {
      early = { sourceHandle: vh, data: Buffer.from('too early') };
      b.ndis.NdisCoSendNetBufferLists(vh, [early]);
      return S.SUCCESS;
    },
  });
  const { vcB } = await p2p(ctx);
  t.is(early!.status, S.VC_NOT_ACTIVATED);
  const h = net.hosts[1]!;
  t.true(net.fake.log.some((m) => m.msg === 'CONNECT' && m.from === h.mac));
  t.is(h.calls(h.fn('NdisCmDispatchCallConnected')).length, 1);
  t.is(b.of('ProtocolClCallConnected').length, 1);
  const late: NetBufferList = { sourceHandle: vcB, data: Buffer.from('now') };
  b.ndis.NdisCoSendNetBufferLists(vcB, [late]);
  await net.settle();
  t.is(late.status, S.SUCCESS);
  t.deepEqual(ctx.a.last('ProtocolCoReceiveNetBufferLists')!.nbls[0]!.data, Buffer.from('now'));
});

rule('R34 after a rejection the CM signals it, deactivates the VC and deletes it', async (t, ctx) => {
  const { a, b, net } = ctx;
  b.ndis.setHandlers({ ProtocolClIncomingCall: () => S.NOT_SUPPORTED });
  const vc = a.createVc(a.afs[0]!);
  await a.makeCall(vc, net.hosts[1]!.address);
  await net.settle();
  const h = net.hosts[1]!;
  t.true(net.fake.log.some((m) => m.msg === 'RELEASE COMPLETE' && m.from === h.mac));
  const fns = h.trace.map((e) => e.fn);
  t.true(fns.indexOf(h.fn('NdisCoDeleteVc')) > fns.indexOf(h.fn('NdisCmDispatchIncomingCall')));
  t.is(b.of('ProtocolCoDeleteVc').length, 1);
  t.is(h.ndis.counters().vcs, 0);
});

rule('R35 the remote giving up before connection gives an incoming close instead of call-connected', async (t, ctx) => {
  const { a, b, net } = ctx;
  b.ndis.setHandlers({ ProtocolClIncomingCall: () => S.PENDING });
  const vc = a.createVc(a.afs[0]!);
  a.ndis.NdisClMakeCall(vc, params(net.hosts[1]!.address));
  await net.settle();
  const inc = b.last('ProtocolClIncomingCall')!;
  net.fake.failLink(net.hosts[0]!.mac, net.hosts[1]!.mac);
  await net.settle();
  t.not(b.last('ProtocolClIncomingCloseCall')?.closeStatus, undefined);
  t.is(b.of('ProtocolClCallConnected').length, 0);
  b.ndis.NdisClIncomingCallComplete(S.SUCCESS, inc.vcHandle, inc.params); // too late: ignored
  await b.closeCall(inc.vcHandle);
  t.not(a.last('ProtocolClMakeCallComplete')!.status, S.SUCCESS);
  net.fake.restoreLink(net.hosts[0]!.mac, net.hosts[1]!.mac);
});

// ---------------------------------------------------------------- add party

rule('R36 add party needs an established multipoint call: FAILURE for a bad VC, point-to-point or unconnected call', async (t, ctx) => {
  const { a, net } = ctx;
  const { vcA } = await p2p(ctx);
  t.is(a.ndis.NdisClAddParty(vcA, 'x', params(net.hosts[2]!.address)).status, S.FAILURE, 'point-to-point');
  t.is(a.ndis.NdisClAddParty(5555 as NdisVcHandle, 'x', params(net.hosts[2]!.address)).status, S.FAILURE, 'bad handle');
  const vc = a.createVc(a.afs[0]!);
  t.is(a.ndis.NdisClMakeCall(vc, params(net.hosts[1]!.address), 'p1').status, S.PENDING);
  t.is(a.ndis.NdisClAddParty(vc, 'x', params(net.hosts[2]!.address)).status, S.FAILURE, 'not connected yet');
  t.is(net.hosts[0]!.calls('ProtocolCmAddParty').length, 0);
  await net.settle();
}, { hosts: 3 });

rule('R37 ProtocolCmAddParty keeps the party handle and answers PENDING (or a failure at once)', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc } = await multipoint(ctx, 1);
  const r = a.ndis.NdisClAddParty(vc, 'p2', params(net.hosts[2]!.address));
  t.is(r.status, S.PENDING);
  const call = net.hosts[0]!.calls('ProtocolCmAddParty')[0]!;
  t.is(call.args[2], r.partyHandle);
  t.is((call.result as { callMgrPartyContext: { partyH: number } }).callMgrPartyContext.partyH, r.partyHandle as number);
  await net.settle();
  t.is(a.ndis.NdisClAddParty(vc, 'p3', params('7777')).status, S.NO_ROUTE_TO_DESTINATION, 'refused at once');
}, { hosts: 3 });

rule('R38 a successful add gives a valid party handle; a failed one none', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc } = await multipoint(ctx, 1);
  const ok = await a.addParty(vc, net.hosts[2]!.address);
  t.is(ok.status, S.SUCCESS);
  t.is(a.ndis.vcInfo(vc)!.parties.find((p) => p.handle === ok.party)?.state, 'CONNECTED');
  net.hosts[3]!.clients[0]!.ndis.setHandlers({ ProtocolClIncomingCall: () => S.NOT_SUPPORTED });
  const bad = await a.addParty(vc, net.hosts[3]!.address);
  t.not(bad.status, S.SUCCESS);
  const failed = a.last('ProtocolClAddPartyComplete')!;
  t.is(failed.partyContext, `party-${net.hosts[3]!.address}`, 'the client gets its context back to free it');
  t.is(a.ndis.NdisClDropParty(failed.partyHandle), S.FAILURE, 'the handle is not valid');
}, { hosts: 4 });

rule('R39 a party asking for other traffic parameters gets the VC ones, flagged CALL_PARAMETERS_CHANGED', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc } = await multipoint(ctx, 1);
  const p = q2931CallParameters(net.hosts[2]!.address, { transmit: { peakBandwidth: 53000 } });
  a.ndis.NdisClAddParty(vc, 'fast', p);
  await net.settle();
  const done = a.last('ProtocolClAddPartyComplete')!;
  t.is(done.status, S.SUCCESS);
  t.truthy(done.params.flags & CallFlags.CALL_PARAMETERS_CHANGED);
  t.is(done.params.callMgrParameters!.transmit.peakBandwidth, undefined, "the VC's (best effort) values");
}, { hosts: 3 });
