/**
 * QoS changes over the wire (Q.2963.1, issue 12 item 4; seed 001's two QoS
 * paths): NdisClModifyCallQoS on the calling side -> ProtocolCmModifyCallQoS
 * -> MODIFY REQUEST -> the remote call manager -> its client's
 * ProtocolClIncomingCallQoSChange; accepted by returning (MODIFY ACKNOWLEDGE)
 * or refused by closing (MODIFY REJECT, then RELEASE), and the calling
 * client's ProtocolClModifyCallQoSComplete carries the outcome. Every rule
 * runs for the cm and mcm shapes and both completion modes.
 */
import { attachClientPolicy } from '../../src/ndis/policy.js';
import { q2931CallParameters } from '../../src/ndis/types.js';
import { multipoint, p2p, rule, S } from './network.js';

const wire = { qos: true, q2963: true } as const;

rule('R80 over the wire: MODIFY REQUEST after re-activation; MODIFY ACKNOWLEDGE completes SUCCESS with the new values at both ends', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA, vcB } = await p2p(ctx);
  const ha = net.hosts[0]!;
  const before = ha.calls(ha.fn('NdisCmActivateVc')).length;
  const st = a.ndis.NdisClModifyCallQoS(vcA, q2931CallParameters(b.host.address, { transmit: { peakBandwidth: 4800 }, receive: { peakBandwidth: 9600 } }));
  t.is(st, S.PENDING, 'the network is asked: always pending');
  await net.settle();
  t.is(ha.calls(ha.fn('NdisCmActivateVc')).length, before + 1, 're-activated once, before asking');
  t.deepEqual(net.fake.log.filter((r) => r.msg.startsWith('MODIFY')).map((r) => r.msg), ['MODIFY REQUEST', 'MODIFY ACK']);
  // the remote client saw the change with the directions turned round
  const inc = b.last('ProtocolClIncomingCallQoSChange')!;
  t.is(inc.vcHandle, vcB);
  t.is(inc.params.callMgrParameters!.receive.peakBandwidth, 4800);
  t.is(inc.params.callMgrParameters!.transmit.peakBandwidth, 9600);
  const done = a.last('ProtocolClModifyCallQoSComplete')!;
  t.is(done.status, S.SUCCESS);
  t.is(done.params.callMgrParameters!.transmit.peakBandwidth, 4800);
  t.is(a.ndis.vcInfo(vcA)!.params!.callMgrParameters!.transmit.peakBandwidth, 4800);
  t.is(b.ndis.vcInfo(vcB)!.params!.callMgrParameters!.receive.peakBandwidth, 4800);
  t.is(a.ndis.vcInfo(vcA)!.call, 'CONNECTED');
  t.is(b.ndis.vcInfo(vcB)!.call, 'CONNECTED', 'accepted by returning');
}, wire);

rule('R80 over the wire: a refusal restores the old values (re-activated) and completes FAILURE; the call stays up', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA } = await p2p(ctx);
  // the remote miniport refuses the new rates: MODIFY REJECT, and the remote client is never asked (R81)
  const first = a.ndis.NdisClModifyCallQoS(vcA, q2931CallParameters(b.host.address, { transmit: { peakBandwidth: 4800 } }));
  t.is(first, S.PENDING);
  await net.settle();
  t.is(a.last('ProtocolClModifyCallQoSComplete')!.status, S.SUCCESS);
  net.hosts[1]!.data.failNextActivate = S.RESOURCES;
  a.clear();
  b.clear();
  const ha = net.hosts[0]!;
  const before = ha.calls(ha.fn('NdisCmActivateVc')).length;
  t.is(a.ndis.NdisClModifyCallQoS(vcA, q2931CallParameters(b.host.address, { transmit: { peakBandwidth: 96 } })), S.PENDING);
  await net.settle();
  t.deepEqual(net.fake.log.filter((r) => r.msg === 'MODIFY REJECT').map((r) => r.cause), [37]);
  t.is(b.of('ProtocolClIncomingCallQoSChange').length, 0);
  const done = a.last('ProtocolClModifyCallQoSComplete')!;
  t.is(done.status, S.FAILURE);
  t.is(done.params.callMgrParameters!.transmit.peakBandwidth, 4800, 'the old values come back');
  t.is(a.ndis.vcInfo(vcA)!.params!.callMgrParameters!.transmit.peakBandwidth, 4800);
  t.is(ha.calls(ha.fn('NdisCmActivateVc')).length, before + 2, 'activated with the new values, then back with the old');
  t.is(a.ndis.vcInfo(vcA)!.state, 'ACTIVE');
  t.is(a.ndis.vcInfo(vcA)!.call, 'CONNECTED');
  // a FLOWSPEC with no peak bandwidth has nothing to change
  t.is(a.ndis.NdisClModifyCallQoS(vcA, q2931CallParameters(b.host.address, { transmit: { tokenRate: 10 } })), S.INVALID_DATA);
}, wire);

rule('R81 over the wire: only the calling side asks (Q.2963.1); the called side gets FAILURE and nothing is sent', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcB } = await p2p(ctx);
  t.is(b.ndis.NdisClModifyCallQoS(vcB, q2931CallParameters(a.host.address, { transmit: { peakBandwidth: 4800 } })), S.FAILURE);
  await net.settle();
  t.deepEqual(net.fake.log.filter((r) => r.msg.startsWith('MODIFY')), []);
}, wire);

rule('R66 over the wire: the called client refuses a QoS change by closing: MODIFY REJECT, then RELEASE; the caller completes FAILURE, then its incoming close', async (t, ctx) => {
  const { a, b, net } = ctx;
  b.policy = attachClientPolicy(b.ndis, { acceptQoSChange: () => false });
  const { vcA } = await p2p(ctx);
  t.is(a.ndis.NdisClModifyCallQoS(vcA, q2931CallParameters(b.host.address, { transmit: { peakBandwidth: 4800 } })), S.PENDING);
  await net.settle();
  t.is(b.of('ProtocolClIncomingCallQoSChange').length, 1);
  t.is(net.hosts[1]!.calls('ProtocolCmCloseCall').length, 1, "the refusal reached the remote CM's close");
  const wireLog = net.fake.log.filter((r) => r.msg.startsWith('MODIFY') || r.msg === 'RELEASE').map((r) => r.msg);
  t.deepEqual(wireLog, ['MODIFY REQUEST', 'MODIFY REJECT', 'RELEASE']);
  const kinds = a.log.map((i) => i.kind).filter((k) => k === 'ProtocolClModifyCallQoSComplete' || k === 'ProtocolClIncomingCloseCall');
  t.deepEqual(kinds, ['ProtocolClModifyCallQoSComplete', 'ProtocolClIncomingCloseCall'], 'the completion first');
  t.is(a.last('ProtocolClModifyCallQoSComplete')!.status, S.FAILURE);
}, wire);

rule('R66 over the wire: the calling client closes from ProtocolClModifyCallQoSComplete when its change was refused', async (t, ctx) => {
  const { a, b, net } = ctx;
  a.policy = attachClientPolicy(a.ndis, { closeOnQoSRefused: true });
  const { vcA } = await p2p(ctx);
  net.hosts[1]!.data.failNextActivate = S.RESOURCES;
  t.is(a.ndis.NdisClModifyCallQoS(vcA, q2931CallParameters(b.host.address, { transmit: { peakBandwidth: 480 } })), S.PENDING);
  await net.settle();
  t.is(a.last('ProtocolClModifyCallQoSComplete')!.status, S.FAILURE);
  t.is(net.hosts[0]!.calls('ProtocolCmCloseCall').length, 1, 'after the refused QoS change');
  t.deepEqual(net.fake.log.filter((r) => r.msg.startsWith('MODIFY') || r.msg === 'RELEASE').map((r) => r.msg), ['MODIFY REQUEST', 'MODIFY REJECT', 'RELEASE']);
  t.true(b.of('ProtocolClIncomingCloseCall').length >= 1);
}, wire);

rule('R79 a host without wire modification refuses a remote QoS change (MODIFY REJECT 63) and its client hears nothing', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA } = await p2p(ctx);
  // host 0 asks straight through its UNI (its own CM would say NOT_SUPPORTED: no QoS on its medium)
  const call = net.hosts[0]!.uni.snapshot().calls[0]!.call;
  t.true(net.hosts[0]!.uni.modify(call, { forward: 100 }).ok);
  await net.settle();
  t.deepEqual(net.fake.log.filter((r) => r.msg === 'MODIFY REJECT').map((r) => r.cause), [63]);
  t.is(b.of('ProtocolClIncomingCallQoSChange').length, 0);
  t.is(a.ndis.vcInfo(vcA)!.call, 'CONNECTED');
});

rule('R79 over the wire: Q.2963.1 modifies point-to-point calls only: on a multipoint call NdisClModifyCallQoS is NOT_SUPPORTED and nothing is sent', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc } = await multipoint(ctx);
  const before = net.fake.log.length;
  t.is(a.ndis.NdisClModifyCallQoS(vc, q2931CallParameters(net.hosts[1]!.address, { transmit: { peakBandwidth: 4800 } })), S.NOT_SUPPORTED);
  await net.settle();
  t.deepEqual(net.fake.log.slice(before).filter((r) => r.msg.startsWith('MODIFY')), []);
  t.is(a.of('ProtocolClModifyCallQoSComplete').length, 0);
  t.is(a.ndis.vcInfo(vc)!.call, 'CONNECTED');
}, wire);

rule('R80 over the wire: a refused change completes FAILURE with the MODIFY REJECT cause in the parameters (callMgrSpecific.cause)', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { vcA } = await p2p(ctx);
  net.hosts[1]!.data.failNextActivate = S.RESOURCES;
  t.is(a.ndis.NdisClModifyCallQoS(vcA, q2931CallParameters(b.host.address, { transmit: { peakBandwidth: 960 } })), S.PENDING);
  await net.settle();
  const done = a.last('ProtocolClModifyCallQoSComplete')!;
  t.is(done.status, S.FAILURE);
  t.is(done.params.callMgrParameters!.callMgrSpecific!.cause, 37, 'user cell rate not available');
}, wire);
