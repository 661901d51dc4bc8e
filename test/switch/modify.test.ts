/**
 * Q.2963.1 through the switch (complete hosts on two ports, memory
 * segments): MODIFY REQUEST, MODIFY ACKNOWLEDGE / MODIFY REJECT and
 * CONNECTION AVAILABLE relayed between the two legs of a point-to-point call,
 * each leg with its own call reference; a refusal by the called client ends
 * in the close; and a MODIFY REQUEST on a point-to-multipoint call is
 * refused by the switch (MODIFY REJECT 63) on either leg and goes no further.
 */
import test from 'ava';
import { attachClientPolicy, q2931CallParameters } from '../../src/ndis/index.js';
import { modifyTrafficDescriptor, MsgType, type UniMessage } from '../../src/uni/msg/index.js';
import type { CallControl } from '../../src/callcontrol/index.js';
import type { LinkCall } from '../../src/uni/uni-link.js';
import type { CondisNode } from '../../src/host/node.js';
import { Client, S } from '../helpers/nodes.js';
import { ready, switchLab, until, type SwitchLab, type WireMessage } from './helpers.js';

/** the modification messages (and what follows them) on one port's segment */
function modify(msgs: WireMessage[]): string[] {
  const i = msgs.findIndex((m) => m.name.startsWith('MODIFY'));
  return i < 0 ? [] : msgs.slice(i).map((m) => `${m.name} ${m.dir}${m.cause !== undefined ? ` ${m.cause}` : ''}`);
}

async function p2pCall(lab: SwitchLab, calleePolicy?: Parameters<typeof attachClientPolicy>[1]) {
  await ready(lab);
  const caller = await Client.open(lab.hosts[0]!, 'caller');
  const callee = await Client.open(lab.hosts[1]!, 'callee', { policy: !calleePolicy });
  if (calleePolicy) attachClientPolicy(callee.cl, calleePolicy);
  await callee.listen('1002');
  const incoming = callee.next('ProtocolClIncomingCall');
  const connected = callee.next('ProtocolClCallConnected');
  const { vc } = await caller.call('1002');
  const vcB = (await incoming).vcHandle;
  await connected;
  return { caller, callee, vc, vcB };
}

test('a modification through the switch: REQUEST relayed down, ACKNOWLEDGE up, CONNECTION AVAILABLE relayed when the called side asked for it', async (t) => {
  const lab = switchLab(2);
  t.teardown(() => lab.close());
  const { caller, callee, vc, vcB } = await p2pCall(lab);

  // a higher forward rate than the SETUP's: the called host asks for CONNECTION AVAILABLE
  const told = callee.next('ProtocolClIncomingCallQoSChange');
  const done = caller.next('ProtocolClModifyCallQoSComplete');
  t.is(caller.cl.NdisClModifyCallQoS(vc, q2931CallParameters('1002', { transmit: { peakBandwidth: 400_000 * 48 } })), S.PENDING);
  t.is((await done).status, S.SUCCESS);
  t.is((await told).params.callMgrParameters!.receive.peakBandwidth, 400_000 * 48);
  await until('CONNECTION AVAILABLE reached the called host', () => lab.wire[1]!.some((m) => m.name === 'CONNECTION AVAILABLE'));
  t.deepEqual(modify(lab.wire[0]!), ['MODIFY REQUEST up', 'MODIFY ACKNOWLEDGE down', 'CONNECTION AVAILABLE up']);
  t.deepEqual(modify(lab.wire[1]!), ['MODIFY REQUEST down', 'MODIFY ACKNOWLEDGE up', 'CONNECTION AVAILABLE down']);
  const req = (w: WireMessage[]) => w.find((m) => m.name === 'MODIFY REQUEST')!.callRef;
  t.is(req(lab.wire[0]!), lab.wire[0]![0]!.callRef, "the caller's leg: its own call reference");
  t.is(req(lab.wire[1]!), lab.wire[1]![0]!.callRef, "the called side's leg: the switch's");

  // a lower rate: no CONNECTION AVAILABLE asked for; both hosts' traffic descriptors agree
  const before = lab.wire.map((w) => w.length);
  const again = caller.next('ProtocolClModifyCallQoSComplete');
  caller.cl.NdisClModifyCallQoS(vc, q2931CallParameters('1002', { transmit: { peakBandwidth: 1000 * 48 }, receive: { peakBandwidth: 2000 * 48 } }));
  t.is((await again).status, S.SUCCESS);
  t.deepEqual(modify(lab.wire[0]!.slice(before[0])), ['MODIFY REQUEST up', 'MODIFY ACKNOWLEDGE down']);
  t.deepEqual(modify(lab.wire[1]!.slice(before[1])), ['MODIFY REQUEST down', 'MODIFY ACKNOWLEDGE up']);
  const traffic = (n: CondisNode) => n.uni.traffic(n.uni.snapshot().calls[0]!.call)!;
  t.deepEqual(traffic(lab.hosts[0]!), traffic(lab.hosts[1]!));
  t.is(callee.cl.vcInfo(vcB)!.params!.callMgrParameters!.transmit.peakBandwidth, 2000 * 48);

  const got = callee.next('ProtocolCoReceiveNetBufferLists');
  caller.send(vc, Buffer.from('after two changes'));
  t.is((await got).nbls[0]!.data.toString(), 'after two changes');
  t.is(lab.sw.counters().calls.calls, 1);
});

test('a modification the called client refuses by closing: MODIFY REJECT 37 relayed to the caller, then the RELEASE; the caller completes FAILURE before its incoming close', async (t) => {
  const lab = switchLab(2);
  t.teardown(() => lab.close());
  const { caller, vc } = await p2pCall(lab, { acceptQoSChange: () => false });
  const done = caller.next('ProtocolClModifyCallQoSComplete');
  const closed = caller.next('ProtocolClIncomingCloseCall');
  t.is(caller.cl.NdisClModifyCallQoS(vc, q2931CallParameters('1002', { transmit: { peakBandwidth: 4800 } })), S.PENDING);
  const c = await done;
  t.is(c.status, S.FAILURE);
  t.is(c.params.callMgrParameters!.callMgrSpecific!.cause, 37);
  await closed;
  const kinds = caller.log.map((i) => i.kind).filter((k) => k === 'ProtocolClModifyCallQoSComplete' || k === 'ProtocolClIncomingCloseCall');
  t.deepEqual(kinds, ['ProtocolClModifyCallQoSComplete', 'ProtocolClIncomingCloseCall']);
  await until('the switch forgets the call', () => lab.sw.counters().calls.calls === 0);
  t.deepEqual(modify(lab.wire[0]!), ['MODIFY REQUEST up', 'MODIFY REJECT down 37', 'RELEASE down 16', 'RELEASE COMPLETE up']);
  t.deepEqual(modify(lab.wire[1]!), ['MODIFY REQUEST down', 'MODIFY REJECT up 37', 'RELEASE up 16', 'RELEASE COMPLETE down']);
});

test('a MODIFY REQUEST on a point-to-multipoint call: the switch answers MODIFY REJECT 63 on the root\'s leg and on a leaf\'s, and relays nothing', async (t) => {
  const lab = switchLab(2);
  t.teardown(() => lab.close());
  await ready(lab);
  const root = await Client.open(lab.hosts[0]!, 'root');
  const leaf = await Client.open(lab.hosts[1]!, 'leaf');
  await leaf.listen('1002');
  const connected = leaf.next('ProtocolClCallConnected');
  const { vc } = await root.call('1002', true);
  await connected;
  // the hosts' own APIs refuse (NOT_SUPPORTED / not-multipoint): put the message on the wire below them
  const inject = (n: CondisNode) => {
    const sw = n.peerList().find((p) => p.link?.established)!.mac;
    const link = (n.uni as CallControl).linkOf(sw)! as unknown as { calls: Map<number, LinkCall>; sendOn(lc: LinkCall, m: UniMessage): void };
    link.sendOn([...link.calls.values()][0]!, { type: MsgType.MODIFY_REQUEST, callRef: 0, callRefFlag: false, ies: [modifyTrafficDescriptor({ forward: 100 })] });
  };
  t.is(root.cl.NdisClModifyCallQoS(vc, q2931CallParameters('1002', { transmit: { peakBandwidth: 4800 } })), S.NOT_SUPPORTED);
  (lab.hosts[0]!.uni as CallControl).batch(() => inject(lab.hosts[0]!));
  await until("the switch's answer to the root", () => lab.wire[0]!.some((m) => m.name === 'MODIFY REJECT'));
  (lab.hosts[1]!.uni as CallControl).batch(() => inject(lab.hosts[1]!));
  await until("the switch's answer to the leaf", () => lab.wire[1]!.some((m) => m.name === 'MODIFY REJECT'));
  // (the hosts never asked: to them the answer is a message not compatible with the call state, STATUS 101)
  await until('the hosts answered', () => lab.wire.every((w) => w.some((m) => m.name === 'STATUS')));
  t.deepEqual(modify(lab.wire[0]!), ['MODIFY REQUEST up', 'MODIFY REJECT down 63', 'STATUS up 101']);
  t.deepEqual(modify(lab.wire[1]!), ['MODIFY REQUEST up', 'MODIFY REJECT down 63', 'STATUS up 101']);
  // the call goes on: data reaches the leaf
  const got = leaf.next('ProtocolCoReceiveNetBufferLists');
  root.send(vc, Buffer.from('still multipoint'));
  t.is((await got).nbls[0]!.data.toString(), 'still multipoint');
  t.is(lab.sw.counters().calls.calls, 1);
});
