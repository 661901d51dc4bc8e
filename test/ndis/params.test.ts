/**
 * Call parameters: NDIS and the call manager share one sealed (frozen) set per
 * VC instead of a copy per step, and a client still never sees its own buffers
 * changed by the call manager, nor the call manager's by the client.
 */
import test from 'ava';
import {
  CallFlags,
  cloneCallParameters,
  isSealedCallParameters,
  q2931CallParameters,
  sameFlows,
  sealCallParameters,
  sealedCallParameters,
  withCallFlags,
  type CoCallParameters,
} from '../../src/ndis/types.js';
import { incomingCallParameters } from '../../src/ndis/q2931/records.js';
import { Client, linksUp, memoryNodes, S, shutdownAll } from '../helpers/nodes.js';

const withPath = (p: CoCallParameters): CoCallParameters => cloneCallParameters(p, [{ peer: '02:00:00:00:00:02', vpi: 0, vci: 40 }]);

test('sealed parameters: a copy of a mutable set, frozen all the way down; a sealed set is kept as it is', (t) => {
  const mine = withPath(q2931CallParameters('1002', { transmit: { peakBandwidth: 1000 }, calling: '1001' }));
  const sealed = sealedCallParameters(mine);
  t.not(sealed, mine, 'a mutable set is copied');
  t.true(isSealedCallParameters(sealed));
  t.deepEqual(cloneCallParameters(sealed), cloneCallParameters(mine));
  // the owner changes its own set afterwards: the sealed copy does not follow
  mine.callMgrParameters!.transmit.peakBandwidth = 2000;
  mine.callMgrParameters!.callMgrSpecific!.calledParty = '9999';
  mine.mediaParameters!.mediaSpecific!.paths[0]!.vci = 99;
  t.is(sealed.callMgrParameters!.transmit.peakBandwidth, 1000);
  t.is(sealed.callMgrParameters!.callMgrSpecific!.calledParty, '1002');
  t.is(sealed.mediaParameters!.mediaSpecific!.paths[0]!.vci, 40);
  // nobody can change the sealed one
  t.throws(() => (sealed.flags = 1), { instanceOf: TypeError });
  t.throws(() => (sealed.callMgrParameters!.transmit.peakBandwidth = 5), { instanceOf: TypeError });
  t.throws(() => (sealed.callMgrParameters!.receive.peakBandwidth = 5), { instanceOf: TypeError });
  t.throws(() => (sealed.callMgrParameters!.callMgrSpecific!.calledParty = 'x'), { instanceOf: TypeError });
  t.throws(() => (sealed.mediaParameters!.mediaSpecific!.paths[0]!.vci = 1), { instanceOf: TypeError });
  t.throws(() => sealed.mediaParameters!.mediaSpecific!.paths.push({ peer: 'x', vpi: 0, vci: 1 }), { instanceOf: TypeError });
  t.is(sealedCallParameters(sealed), sealed, 'sealed: shared, not copied');
  // a copy of a sealed set is the owner's again
  const again = cloneCallParameters(sealed);
  again.callMgrParameters!.transmit.peakBandwidth = 7;
  t.is(sealed.callMgrParameters!.transmit.peakBandwidth, 1000);
});

test('sealed parameters: a set frozen only on top is copied (what it holds could still change)', (t) => {
  const inner = q2931CallParameters('1002');
  const shallow = Object.freeze({ ...inner });
  t.false(isSealedCallParameters(shallow));
  const sealed = sealedCallParameters(shallow);
  t.not(sealed, shallow);
  inner.callMgrParameters!.callMgrSpecific!.calledParty = '7777';
  t.is(sealed.callMgrParameters!.callMgrSpecific!.calledParty, '1002');
});

test('sealed parameters: other flags share the rest; flow specs compare field by field', (t) => {
  const sealed = sealCallParameters(withPath(q2931CallParameters('1002')));
  const mp = withCallFlags(sealed, sealed.flags | CallFlags.MULTIPOINT_VC);
  t.is(mp.flags, CallFlags.MULTIPOINT_VC);
  t.is(sealed.flags, 0);
  t.is(mp.callMgrParameters, sealed.callMgrParameters);
  t.is(mp.mediaParameters, sealed.mediaParameters);
  t.true(isSealedCallParameters(mp));
  t.is(withCallFlags(sealed, 0), sealed);
  t.true(sameFlows({ transmit: { peakBandwidth: 1 }, receive: {} }, { transmit: { peakBandwidth: 1, tokenRate: undefined }, receive: {} }));
  t.false(sameFlows({ transmit: { peakBandwidth: 1 }, receive: {} }, { transmit: { peakBandwidth: 2 }, receive: {} }));
  t.false(sameFlows({ transmit: {}, receive: { latency: 3 } }, { transmit: {}, receive: {} }));
  t.false(sameFlows({ transmit: {}, receive: {} }, undefined));
});

test('incoming calls from the same caller on the same VC share the sealed parts of the last one; anything else gets its own', (t) => {
  const vc = { peer: '02:00:00:00:00:01', vpi: 0, vci: 33 };
  const call = { called: '1002', calling: '1001', multipoint: true };
  const first = incomingCallParameters(call, vc);
  t.is(first.flags, CallFlags.MULTIPOINT_VC);
  t.deepEqual(first.callMgrParameters!.callMgrSpecific, { calledParty: '1002', callingParty: '1001' });
  t.deepEqual(first.mediaParameters!.mediaSpecific!.paths, [vc]);
  t.not(first.mediaParameters!.mediaSpecific!.paths[0], vc, 'the path is a copy');
  t.not(incomingCallParameters(call, vc, first).callMgrParameters, first.callMgrParameters, 'not sealed yet (not activated): nothing shared');
  sealCallParameters(first);
  t.is(incomingCallParameters(call, vc, first), first, 'sealed and the same throughout: the whole set is shared');
  const partly = { ...first };
  const second = incomingCallParameters(call, vc, partly);
  t.not(second, partly);
  t.false(Object.isFrozen(second), 'a top level that is not sealed is not shared');
  t.is(second.callMgrParameters, first.callMgrParameters);
  t.is(second.mediaParameters, first.mediaParameters);
  t.not(incomingCallParameters({ ...call, called: '1012' }, vc, first).callMgrParameters, first.callMgrParameters);
  t.not(incomingCallParameters({ ...call, calling: '1003' }, vc, first).callMgrParameters, first.callMgrParameters);
  t.not(incomingCallParameters({ ...call, uu: Buffer.from('hi') }, vc, first).callMgrParameters, first.callMgrParameters);
  t.not(incomingCallParameters(call, { ...vc, vci: 34 }, first).mediaParameters, first.mediaParameters);
  t.is(incomingCallParameters({ ...call, multipoint: false }, vc, first).flags, 0);
});

for (const [shape, completion] of [
  ['mcm', 'pending'],
  ['cm', 'sync'],
] as const) {
  test(`a client's parameters and the copies it is given stay its own, also for endpoints of one call at one host (real stack, ${shape}/${completion})`, async (t) => {
    const nodes = memoryNodes(2, { callManager: { shape, completion } });
    t.teardown(() => shutdownAll(nodes));
    await linksUp(nodes);
    const root = await Client.open(nodes[0]!, 'root');
    const leaf = await Client.open(nodes[1]!, 'leaf');
    await leaf.listen('1002');
    const vc = root.cl.NdisCoCreateVc(root.af, 'root-vc').vcHandle!;
    const mine = q2931CallParameters('1002', { transmit: { peakBandwidth: 5300 } });
    const made = root.next('ProtocolClMakeCallComplete');
    root.cl.NdisClMakeCall(vc, mine, 'party-1');
    // the client reuses its buffer at once: nothing of the call may change with it
    mine.callMgrParameters!.callMgrSpecific!.calledParty = '4444';
    mine.callMgrParameters!.transmit.peakBandwidth = 1;
    mine.flags = CallFlags.BROADCAST_VC;
    const done = await made;
    t.is(done.status, S.SUCCESS);
    t.is(done.params.callMgrParameters!.callMgrSpecific!.calledParty, '1002');
    t.is(done.params.callMgrParameters!.transmit.peakBandwidth, 5300);
    t.is(done.params.flags & CallFlags.BROADCAST_VC, 0);
    // two more endpoints of the call at the leaf host, each an incoming call of its own
    const asked = q2931CallParameters('1002');
    const added = root.next('ProtocolClAddPartyComplete');
    root.cl.NdisClAddParty(vc, 'party-2', asked);
    asked.callMgrParameters!.callMgrSpecific!.calledParty = '5555';
    t.is((await added).status, S.SUCCESS);
    t.is((await added).params.callMgrParameters!.callMgrSpecific!.calledParty, '1002');
    await root.addParty(vc, '1002');
    const deadline = Date.now() + 5000;
    while (leaf.log.filter((i) => i.kind === 'ProtocolClCallConnected').length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const offered = leaf.log.filter((i) => i.kind === 'ProtocolClIncomingCall');
    t.is(offered.length, 3);
    // the leaf's client scribbles over what it was given: its copy and its VC info
    const info0 = leaf.cl.vcInfo(offered[0]!.vcHandle)!;
    for (const p of [offered[0]!.params, info0.params!]) {
      p.callMgrParameters!.callMgrSpecific!.calledParty = 'scribbled';
      p.callMgrParameters!.transmit.peakBandwidth = 9;
      p.mediaParameters!.mediaSpecific!.paths[0]!.vci = 4095;
      p.flags = 0;
    }
    for (const o of offered) {
      const info = leaf.cl.vcInfo(o.vcHandle)!;
      t.is(info.call, 'CONNECTED');
      t.is(info.params!.callMgrParameters!.callMgrSpecific!.calledParty, '1002');
      t.is(info.params!.callMgrParameters!.transmit.peakBandwidth, undefined);
      t.is(info.params!.flags & CallFlags.MULTIPOINT_VC, CallFlags.MULTIPOINT_VC);
      t.not(info.params!.mediaParameters!.mediaSpecific!.paths[0]!.vci, 4095);
    }
    for (const o of offered.slice(1)) t.is(o.params.callMgrParameters!.callMgrSpecific!.calledParty, '1002', "the other endpoints' copies are their own");
    // asked about states only, NDIS leaves the parameters out and tells the same states
    const bare = leaf.cl.vcInfo(offered[1]!.vcHandle, { params: false })!;
    const full = leaf.cl.vcInfo(offered[1]!.vcHandle)!;
    t.is(bare.params, undefined);
    t.deepEqual({ ...bare, params: full.params }, full);
    // data still flows on every endpoint's VC: the paths NDIS keeps are intact
    root.send(vc, Buffer.from('to all'));
    const until = Date.now() + 5000;
    while (leaf.received().length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    t.deepEqual(
      leaf.received().map((b) => b.toString()),
      ['to all', 'to all', 'to all'],
    );
    const closed = root.next('ProtocolClCloseCallComplete');
    for (const p of root.cl.vcInfo(vc)!.parties.slice(1)) {
      const dropped = root.next('ProtocolClDropPartyComplete', (i) => i.partyHandle === p.handle);
      if (root.cl.NdisClDropParty(p.handle) === S.PENDING) await dropped;
    }
    if (root.cl.NdisClCloseCall(vc, root.cl.vcInfo(vc)!.parties[0]!.handle) === S.PENDING) await closed;
    t.is(root.cl.NdisCoDeleteVc(vc), S.SUCCESS);
  });
}
