/** R1-R5: the completion contract and handles. */
import { NdisProtocolError } from '../../src/ndis/ndis.js';
import { Q2931_AF, SAP_TYPE_ATM, type NdisVcHandle } from '../../src/ndis/types.js';
import { multipoint, p2p, rule, S } from './network.js';

rule('R1 PENDING is followed by exactly one final completion; any other answer by none', async (t, ctx) => {
  const { net, completion } = ctx;
  const c = net.hosts[0]!.client('extra');
  const open = c.ndis.NdisClOpenAddressFamilyEx(Q2931_AF, 'ctx');
  const sap = () => c.ndis.NdisClRegisterSap(open.afHandle!, 's', { sapType: SAP_TYPE_ATM, sap: { address: '*' } });
  if (completion === 'pending') {
    t.is(open.status, S.PENDING);
    await net.settle();
    t.is(c.of('ProtocolClOpenAfCompleteEx').length, 1);
    t.is(c.of('ProtocolClOpenAfCompleteEx')[0]!.status, S.SUCCESS);
    const r = sap();
    t.is(r.status, S.PENDING);
    await net.settle();
    t.is(c.of('ProtocolClRegisterSapComplete').length, 1);
  } else {
    t.is(open.status, S.SUCCESS);
    t.is(sap().status, S.SUCCESS);
    await net.settle();
    t.is(c.of('ProtocolClOpenAfCompleteEx').length, 0);
    t.is(c.of('ProtocolClRegisterSapComplete').length, 0);
  }
  c.afs.push(open.afHandle!);
  // make call always pends (it waits for the network): one completion
  const { vcA } = await p2p(ctx);
  t.is(ctx.a.of('ProtocolClMakeCallComplete').filter((x) => x.vcHandle === vcA).length, 1);
  for (const i of [...c.log, ...ctx.a.log, ...ctx.b.log]) if ('status' in i) t.not(i.status, S.PENDING);
});

rule('R2 a completion carrying PENDING is a programming error and is refused', async (t, ctx) => {
  const { a, net, shape } = ctx;
  const vc = a.createVc(a.afs[0]!);
  t.is(a.ndis.NdisClMakeCall(vc, { flags: 0, callMgrParameters: { transmit: {}, receive: {}, callMgrSpecific: { calledParty: net.hosts[1]!.address } } }).status, S.PENDING);
  const cm = net.hosts[0]!.cm;
  t.throws(() => (shape === 'cm' ? cm.cmApi!.NdisCmMakeCallComplete(S.PENDING, vc, undefined, undefined, { flags: 0 }) : cm.mcmApi!.NdisMCmMakeCallComplete(S.PENDING, vc, undefined, undefined, { flags: 0 })), { instanceOf: NdisProtocolError });
  t.throws(() => a.ndis.NdisClIncomingCallComplete(S.PENDING, vc, { flags: 0 }), { instanceOf: NdisProtocolError });
  await net.settle();
  t.is(a.last('ProtocolClMakeCallComplete')!.status, S.SUCCESS, 'the real completion still arrives once');
  t.is(a.of('ProtocolClMakeCallComplete').length, 1);
});

rule('R3 create/delete VC entry points are synchronous: a PENDING create is a failed create and is undone', async (t, ctx) => {
  const { a, b, net } = ctx;
  // the call manager answering PENDING to a client's create
  const cm = net.hosts[0]!.cm;
  const orig = cm.ProtocolCoCreateVc.bind(cm);
  cm.ProtocolCoCreateVc = (af, h) => ({ ...orig(af, h), status: S.PENDING });
  const r = a.ndis.NdisCoCreateVc(a.afs[0]!, 'x');
  t.is(r.status, S.FAILURE);
  t.is(r.vcHandle, undefined);
  t.is(net.hosts[0]!.calls('ProtocolCoDeleteVc').length, 1, 'the context is removed again');
  cm.ProtocolCoCreateVc = orig;
  // a client answering PENDING to the call manager's create of an incoming VC
  b.ndis.setHandlers({ ProtocolCoCreateVc: () => ({ status: S.PENDING, vcContext: 'p' }) });
  const vc = a.createVc(a.afs[0]!);
  const m = await a.makeCall(vc, net.hosts[1]!.address);
  t.not(m.status, S.SUCCESS, 'the call could not be offered');
  t.is(b.of('ProtocolClIncomingCall').length, 0);
  t.is(net.hosts[1]!.ndis.counters().vcs, 0);
  b.ndis.setHandlers({ ProtocolCoCreateVc: undefined });
});

rule('R4 one opaque handle per entity for everyone; callbacks carry the receiver own context', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc, parties } = await multipoint(ctx, 1);
  const h = net.hosts[0]!;
  const made = h.calls('ProtocolCmMakeCall')[0]!;
  t.is(made.args[2], parties[0], 'the CM saw the same party handle the client got');
  const cmVcCtx = made.args[0] as { vcH: NdisVcHandle };
  t.is(cmVcCtx.vcH, vc, "the CM's context is its own record naming the same VC handle");
  const done = a.last('ProtocolClMakeCallComplete')!;
  t.is(done.vcContext, 'root-vc', "the client gets its own context back");
  t.is(done.vcHandle, vc);
  const complete = h.calls(h.fn('NdisCmMakeCallComplete'))[0]!;
  t.is(complete.args[1], vc);
});

rule('R5 completions are never delivered inside the request that caused them', async (t, ctx) => {
  const { a, net, completion } = ctx;
  const c = net.hosts[0]!.client('r5');
  const r = c.ndis.NdisClOpenAddressFamilyEx(Q2931_AF, 'ctx');
  t.is(c.log.length, 0, 'nothing delivered during the call');
  c.afs.push(r.afHandle!);
  await net.settle();
  t.is(c.of('ProtocolClOpenAfCompleteEx').length, completion === 'pending' ? 1 : 0);
  // even when a call manager completes inside its own handler, the client hears of it later
  const vc = a.createVc(a.afs[0]!);
  const mk = a.ndis.NdisClMakeCall(vc, { flags: 0, callMgrParameters: { transmit: {}, receive: {}, callMgrSpecific: { calledParty: net.hosts[1]!.address } } });
  t.is(mk.status, S.PENDING);
  t.is(a.of('ProtocolClMakeCallComplete').length, 0);
  await net.settle();
  t.is(a.of('ProtocolClMakeCallComplete').length, 1);
});
