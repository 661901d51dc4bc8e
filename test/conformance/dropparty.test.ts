/** R40-R57: multipoint teardown by the root, incoming drop party, close data on DROP PARTY. */
import { multipoint, q2931CallParameters, rule, S } from './network.js';
import { attachClientPolicy } from '../../src/ndis/policy.js';
import { NdisProtocolError } from '../../src/ndis/ndis.js';

const H3 = { hosts: 3 };
const H4 = { hosts: 4 };

rule('R40 root removes every party: drop party for all but one, close call for the last', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc, parties, leafClients } = await multipoint(ctx);
  t.is(parties.length, 3);
  for (const p of parties.slice(0, 2)) t.is((await a.dropParty(p)).status, S.SUCCESS);
  t.is((await a.closeCall(vc, parties[2])).status, S.SUCCESS);
  await net.settle();
  t.deepEqual(a.ndis.vcInfo(vc)?.parties, []);
  for (const l of leafClients) t.is(l.of('ProtocolClIncomingCloseCall').length, 1, 'every leaf saw its connection end');
}, H4);

rule('R41 closing a multipoint call: successive drops, then close call naming the remaining party', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc, parties } = await multipoint(ctx);
  const policy = attachClientPolicy(a.ndis);
  policy.closeCall(vc, undefined, true);
  await net.settle();
  const msgs = net.fake.log.filter((m) => m.from === net.hosts[0]!.mac && (m.msg === 'DROP PARTY' || m.msg === 'RELEASE')).map((m) => m.msg);
  t.deepEqual(msgs, ['DROP PARTY', 'DROP PARTY', 'RELEASE'], 'drops first, one release for the last party');
  const close = net.hosts[0]!.calls('ProtocolCmCloseCall');
  t.is(close.length, 1);
  const closedParty = (close[0]!.args[1] as { partyH: number }).partyH;
  const drops = net.hosts[0]!.calls('ProtocolCmDropParty').map((e) => (e.args[0] as { partyH: number }).partyH);
  t.deepEqual([...drops, closedParty].sort(), [...parties].sort(), 'each party left by exactly one drop or the close');
  t.is(a.ndis.vcInfo(vc), undefined, 'the VC was deleted after the close');
  policy.dispose();
}, H4);

rule('R42 incoming drop party is answered with NdisClDropParty for that party', async (t, ctx) => {
  const { a, net } = ctx;
  a.policy = attachClientPolicy(a.ndis);
  const { vc, parties, leafClients } = await multipoint(ctx);
  const leaf2 = leafClients[1]!;
  const leafVc = leaf2.of('ProtocolClIncomingCall')[0]!.vcHandle;
  t.is((await leaf2.closeCall(leafVc)).status, S.SUCCESS);
  await net.settle();
  const ind = a.last('ProtocolClIncomingDropParty');
  t.truthy(ind);
  t.is(ind!.partyHandle, parties[1]);
  const drops = net.hosts[0]!.calls('ProtocolCmDropParty');
  t.is(drops.length, 1, 'the client dropped the party it was told about');
  t.is((drops[0]!.args[0] as { partyH: number }).partyH, parties[1]);
  t.deepEqual(
    a.ndis.vcInfo(vc)!.parties.map((p) => p.handle),
    [parties[0]],
  );
}, H3);

rule('R43 NdisClDropParty reaches ProtocolCmDropParty of the CM sharing the VC with its party context', async (t, ctx) => {
  const { a, net } = ctx;
  const { parties } = await multipoint(ctx);
  const addCtx = net.hosts[0]!.calls('ProtocolCmAddParty')[0]!.result as { callMgrPartyContext: unknown };
  await a.dropParty(parties[1]!);
  const drop = net.hosts[0]!.calls('ProtocolCmDropParty');
  t.is(drop.length, 1);
  t.is(drop[0]!.args[0], addCtx.callMgrPartyContext, 'the context the CM returned from ProtocolCmAddParty');
  t.is(net.hosts[1]!.calls('ProtocolCmDropParty').length, 0, 'no other call manager is involved');
}, H3);

rule('R44 close data of drop party reaches the CM unchanged and goes out in DROP PARTY before the drop completes', async (t, ctx) => {
  const { a, net } = ctx;
  const { parties, leafClients } = await multipoint(ctx);
  const cd = Buffer.from('goodbye leaf 2');
  const seen: number[] = [];
  a.ndis.indications$.subscribe((i) => {
    if (i.kind === 'ProtocolClDropPartyComplete') seen.push(net.fake.log.filter((m) => m.msg === 'DROP PARTY').length);
  });
  const r = a.ndis.NdisClDropParty(parties[1]!, cd);
  if (r === S.SUCCESS) t.is(net.fake.log.filter((m) => m.msg === 'DROP PARTY').length, 1, 'sent by the time SUCCESS returns');
  else t.is(r, S.PENDING);
  const call = net.hosts[0]!.calls('ProtocolCmDropParty')[0]!;
  t.is(call.args[1], cd, 'same buffer');
  t.is(call.args[2], cd.length);
  await net.settle();
  if (r === S.PENDING) t.deepEqual(seen, [1], 'DROP PARTY was out before the completion');
  const dp = net.fake.log.find((m) => m.msg === 'DROP PARTY')!;
  t.deepEqual(dp.closeData, cd);
  const leafClose = leafClients[1]!.last('ProtocolClIncomingCloseCall');
  t.deepEqual(leafClose?.closeData, cd, 'the leaf client receives it unchanged');
  t.is(leafClose?.size, cd.length);
}, H3);

for (const [name, policy, len] of [
  ['close data switched off on the link', { allowed: false, maxOctets: 127 }, 4],
  ['close data longer than the link allows (128 > 127)', { allowed: true, maxOctets: 127 }, 128],
] as const) {
  rule(`R45 drop party with ${name}: INVALID_DATA, nothing sent, party stays connected`, async (t, ctx) => {
    const { a, net } = ctx;
    const { vc, parties } = await multipoint(ctx);
    const before = net.fake.log.length;
    const cmBefore = net.hosts[0]!.ndis.counters().cmContexts;
    const r = a.ndis.NdisClDropParty(parties[1]!, Buffer.alloc(len, 7));
    t.is(r, S.INVALID_DATA);
    await net.settle();
    t.is(net.fake.log.length, before, 'nothing went on the wire');
    t.is(a.of('ProtocolClDropPartyComplete').length, 0, 'no completion for a final status');
    t.deepEqual(
      a.ndis.vcInfo(vc)!.parties.map((p) => p.state),
      ['CONNECTED', 'CONNECTED'],
    );
    t.is(net.hosts[0]!.ndis.counters().cmContexts, cmBefore);
    // A15: the party can still be dropped without close data
    t.is((await a.dropParty(parties[1]!)).status, S.SUCCESS);
  }, { ...H3, closeData: policy });
}

rule('R46 close data is passed through untouched; no data means length 0', async (t, ctx) => {
  const { a, net } = ctx;
  const { parties } = await multipoint(ctx, 3);
  await a.dropParty(parties[1]!);
  const cd = Buffer.from([0, 1, 2, 255]);
  await a.dropParty(parties[2]!, cd);
  const calls = net.hosts[0]!.calls('ProtocolCmDropParty');
  t.is(calls[0]!.args[1], undefined);
  t.is(calls[0]!.args[2], 0);
  t.is(calls[1]!.args[1], cd);
  t.is(calls[1]!.args[2], 4);
}, H4);

rule('R47 ProtocolCmDropParty SUCCESS: dropped, close data sent, party state freed; PENDING: exactly one completion', async (t, ctx) => {
  const { a, net, completion } = ctx;
  const { parties } = await multipoint(ctx);
  const cmBefore = net.hosts[0]!.ndis.counters().cmContexts;
  const r = a.ndis.NdisClDropParty(parties[1]!, Buffer.from('cd'));
  const cmResult = net.hosts[0]!.calls('ProtocolCmDropParty')[0]!.result;
  if (completion === 'sync') {
    t.is(r, S.SUCCESS);
    t.is(cmResult, S.SUCCESS);
    t.is(net.fake.log.filter((m) => m.msg === 'DROP PARTY').length, 1);
    t.is(net.hosts[0]!.ndis.counters().cmContexts, cmBefore - 1);
  } else {
    t.is(r, S.PENDING);
    await net.settle();
    t.is(a.of('ProtocolClDropPartyComplete').length, 1);
    t.is(net.hosts[0]!.calls('NdisCmDropPartyComplete', 'NdisMCmDropPartyComplete').length, 1);
  }
  await net.settle();
  t.is(a.of('ProtocolClDropPartyComplete').length, completion === 'sync' ? 0 : 1);
}, H3);

rule('R48 after a completed drop the CM holds nothing for the party', async (t, ctx) => {
  const { a, net } = ctx;
  const { parties } = await multipoint(ctx);
  const before = net.hosts[0]!.ndis.counters();
  await a.dropParty(parties[1]!);
  await net.settle();
  const after = net.hosts[0]!.ndis.counters();
  t.is(after.cmContexts, before.cmContexts - 1);
  t.is(after.parties, before.parties - 1);
  t.is(net.hosts[0]!.uni.counters().parties, 1, 'the UNI side forgot it too');
}, H3);

rule('R49 the CM drop completion becomes ProtocolClDropPartyComplete with the client party context', async (t, ctx) => {
  const { a, net } = ctx;
  const { parties } = await multipoint(ctx);
  t.is(a.ndis.NdisClDropParty(parties[1]!), S.PENDING);
  await net.settle();
  const c = a.of('ProtocolClDropPartyComplete');
  t.is(c.length, 1);
  t.is(c[0]!.status, S.SUCCESS);
  t.is(c[0]!.partyContext, 'party-2');
}, { ...H3, completions: ['pending'] });

rule('R49 with synchronous completion the drop status is final and no completion follows', async (t, ctx) => {
  const { a, net } = ctx;
  const { parties } = await multipoint(ctx);
  t.is(a.ndis.NdisClDropParty(parties[1]!), S.SUCCESS);
  await net.settle();
  t.is(a.of('ProtocolClDropPartyComplete').length, 0);
}, { ...H3, completions: ['sync'] });

rule('R50 the next drop is issued from the drop completion, the last party is closed with close call', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc, parties } = await multipoint(ctx);
  const remaining = [...parties];
  const next = (): void => {
    while (remaining.length > 1) {
      const p = remaining.pop()!;
      const st = a.ndis.NdisClDropParty(p);
      if (st === S.PENDING) return; // continue from the completion
      t.is(st, S.SUCCESS);
    }
    const st = a.ndis.NdisClCloseCall(vc, remaining[0]);
    t.true(st === S.SUCCESS || st === S.PENDING);
  };
  a.ndis.indications$.subscribe((i) => {
    if (i.kind === 'ProtocolClDropPartyComplete') next();
  });
  next();
  await net.settle();
  t.is(a.ndis.vcInfo(vc)!.call, 'IDLE');
  t.is(net.hosts[0]!.calls('ProtocolCmCloseCall').length, 1);
  t.is(net.hosts[0]!.calls('ProtocolCmDropParty').length, 2);
}, H4);

rule('R51 drop party on the last party: FAILURE at once, CM not called, party stays connected', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc, parties } = await multipoint(ctx, 1);
  t.is(a.ndis.NdisClDropParty(parties[0]!), S.FAILURE);
  await net.settle();
  t.is(net.hosts[0]!.calls('ProtocolCmDropParty').length, 0);
  t.deepEqual(
    a.ndis.vcInfo(vc)!.parties.map((p) => p.state),
    ['CONNECTED'],
  );
  t.is(net.fake.log.filter((m) => m.msg === 'DROP PARTY' || m.msg === 'RELEASE').length, 0);
});

rule('R52 the party handle is dead from the drop call on; the party context comes back in the completion', async (t, ctx) => {
  const { a, net, completion } = ctx;
  const { parties } = await multipoint(ctx);
  const r = a.ndis.NdisClDropParty(parties[1]!);
  t.true(r === S.PENDING || r === S.SUCCESS);
  t.not(a.ndis.NdisClDropParty(parties[1]!), S.SUCCESS, 'a second use of the handle is refused');
  t.not(a.ndis.NdisClDropParty(parties[1]!), S.PENDING);
  await net.settle();
  t.is(net.hosts[0]!.calls('ProtocolCmDropParty').length, 1, 'the CM saw one drop');
  if (completion === 'pending') t.is(a.last('ProtocolClDropPartyComplete')!.partyContext, 'party-2');
  t.is(a.ndis.NdisClDropParty(parties[1]!), S.FAILURE, 'unknown after completion');
}, H3);

rule('R53 parties are dropped in any order; the close may name a party other than the make-call one', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc, parties } = await multipoint(ctx);
  t.is((await a.dropParty(parties[0]!)).status, S.SUCCESS, 'the make-call party goes first');
  t.is((await a.dropParty(parties[2]!)).status, S.SUCCESS);
  t.is((await a.closeCall(vc, parties[1])).status, S.SUCCESS);
  await net.settle();
  t.is(a.ndis.vcInfo(vc)!.call, 'IDLE');
}, H4);

rule('R54 a party being added is dropped only after its add completes; adding parties count as not last', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc, parties } = await multipoint(ctx, 1);
  const add = a.ndis.NdisClAddParty(vc, 'party-late', q2931CallParameters(net.hosts[2]!.address));
  t.is(add.status, S.PENDING);
  t.is(a.ndis.NdisClDropParty(add.partyHandle!), S.INVALID_STATE, 'not while ADDING');
  // the connected first party is not the last while another is being added
  const first = a.ndis.NdisClDropParty(parties[0]!);
  t.true(first === S.SUCCESS || first === S.PENDING);
  await net.settle();
  t.is(a.last('ProtocolClAddPartyComplete')!.status, S.SUCCESS);
  t.is((await a.closeCall(vc, add.partyHandle)).status, S.SUCCESS);
}, H3);

rule('R55 the final close waits until no add or drop is outstanding', async (t, ctx) => {
  const { a, net } = ctx;
  const { vc, parties } = await multipoint(ctx, 1);
  const add = a.ndis.NdisClAddParty(vc, 'party-late', q2931CallParameters(net.hosts[2]!.address));
  t.is(add.status, S.PENDING);
  t.is(a.ndis.NdisClCloseCall(vc, parties[0]), S.INVALID_STATE, 'refused while an add is outstanding');
  t.is(net.hosts[0]!.calls('ProtocolCmCloseCall').length, 0);
  // the policy waits for the add, then drops and closes
  const policy = attachClientPolicy(a.ndis);
  policy.closeCall(vc);
  t.is(net.hosts[0]!.calls('ProtocolCmCloseCall').length, 0, 'still waiting');
  await net.settle();
  const fns = net.hosts[0]!.trace.map((e) => e.fn).filter((f) => /AddPartyComplete|ProtocolCmDropParty|ProtocolCmCloseCall/.test(f));
  t.deepEqual(fns, [fns[0]!, 'ProtocolCmDropParty', 'ProtocolCmCloseCall']);
  t.is(a.ndis.vcInfo(vc)!.call, 'IDLE');
  policy.dispose();
}, H3);

rule('R56 an incoming drop for a leaving party that is not the last; an incoming close for the last one', async (t, ctx) => {
  const { a, net, shape } = ctx;
  const { vc, parties, leafClients } = await multipoint(ctx);
  const leafVc = (i: number): number => leafClients[i]!.of('ProtocolClIncomingCall')[0]!.vcHandle;
  await leafClients[1]!.closeCall(leafVc(1) as never);
  await net.settle();
  t.is(a.of('ProtocolClIncomingDropParty').length, 1);
  t.is(a.of('ProtocolClIncomingCloseCall').length, 0);
  await a.dropParty(a.last('ProtocolClIncomingDropParty')!.partyHandle);
  // a call manager that dispatches an incoming drop for the last party instead is refused
  const cm = net.hosts[0]!.cm;
  const dispatchLast = () =>
    shape === 'cm' ? cm.cmApi!.NdisCmDispatchIncomingDropParty(S.SUCCESS, parties[0]!, undefined, 0) : cm.mcmApi!.NdisMCmDispatchIncomingDropParty(S.SUCCESS, parties[0]!, undefined, 0);
  t.throws(dispatchLast, { instanceOf: NdisProtocolError, message: /last party/ });
  await leafClients[0]!.closeCall(leafVc(0) as never);
  await net.settle();
  t.is(a.of('ProtocolClIncomingDropParty').length, 1, 'no incoming drop for the last party');
  t.is(a.of('ProtocolClIncomingCloseCall').length, 1);
  t.is(a.last('ProtocolClIncomingCloseCall')!.vcHandle, vc);
}, H3);

rule('R57 incoming drop: SUCCESS with the remote close data when asked, a failure status on a network fault', async (t, ctx) => {
  const { a, net } = ctx;
  const { leafClients } = await multipoint(ctx);
  const cd = Buffer.from('leaf 3 leaves');
  const leaf3 = leafClients[2]!;
  await leaf3.closeCall(leaf3.of('ProtocolClIncomingCall')[0]!.vcHandle, undefined, cd);
  await net.settle();
  const asked = a.last('ProtocolClIncomingDropParty')!;
  t.is(asked.dropStatus, S.SUCCESS);
  t.deepEqual(asked.closeData, cd);
  t.is(asked.size, cd.length);
  await a.dropParty(asked.partyHandle);
  net.fake.failLink(net.hosts[0]!.mac, net.hosts[2]!.mac);
  await net.settle();
  const fault = a.last('ProtocolClIncomingDropParty')!;
  t.not(fault, asked);
  t.is(fault.dropStatus, S.DEST_OUT_OF_ORDER);
  t.is(fault.closeData, undefined);
  t.is(fault.size, 0);
  await a.dropParty(fault.partyHandle);
  net.fake.restoreLink(net.hosts[0]!.mac, net.hosts[2]!.mac);
}, H4);
