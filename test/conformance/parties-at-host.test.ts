/**
 * R93: several parties of one multipoint call at one host. Host 1 answers to
 * 1002 (client b) and 1012 (client c, or nobody); the root on host 0 makes a
 * multipoint call to 1002 and adds 1012. Each party must be an incoming call
 * of its own at host 1, to the client whose SAP names its address, with its
 * own VC, close and close data; an address nobody listens on is refused.
 * The same scenarios run on the real stack (one Q.2931 call with two
 * endpoints on the link) in real-stack.test.ts and over TAP in tap.test.ts.
 */
import { q2931CallParameters, rule, S, type RuleContext, type TestClient, type NdisPartyHandle, type NdisVcHandle } from './network.js';

const TWO_AT_HOST_1 = { hosts: 2, extra: [[], ['1012']] };

interface TwoParties {
  c: TestClient;
  vc: NdisVcHandle;
  p1002: NdisPartyHandle;
  /** the add-party outcome for 1012 */
  second: { status: number; party?: NdisPartyHandle; returned: number };
}

/** client c on host 1 (listening on 1012 unless told not to); root call to 1002, then add party 1012 */
async function twoAtOneHost(ctx: RuleContext, listen1012 = true): Promise<TwoParties> {
  const { a, net } = ctx;
  const c = net.hosts[1]!.client('c');
  const af = await c.openAf();
  if (listen1012) await c.registerSap(af, '1012');
  c.ndis.setHandlers({ ProtocolClIncomingCall: () => S.SUCCESS });
  c.clear();
  const vc = a.createVc(a.afs[0]!, 'root-vc');
  const first = await a.makeCall(vc, '1002', 'party-1002', q2931CallParameters('1002'));
  if (first.status !== S.SUCCESS || !first.party) throw new Error('the multipoint call to 1002 failed');
  const second = await a.addParty(vc, '1012', 'party-1012');
  await net.settle();
  return { c, vc, p1002: first.party, second };
}

async function sendFromRoot(ctx: RuleContext, vc: NdisVcHandle, text: string): Promise<void> {
  ctx.a.ndis.NdisCoSendNetBufferLists(vc, [{ sourceHandle: vc, data: Buffer.from(text) }]);
  await ctx.net.settle();
}

function received(c: TestClient, vc: NdisVcHandle): string[] {
  return c.of('ProtocolCoReceiveNetBufferLists').filter((i) => i.vcHandle === vc).flatMap((i) => i.nbls.map((n) => n.data.toString()));
}

rule('R93 two parties of one call at one host: each is an incoming call of its own, with its own VC, for the client whose SAP names its address', async (t, ctx) => {
  const { a, b } = ctx;
  const { c, vc, p1002, second } = await twoAtOneHost(ctx);
  t.is(second.status, S.SUCCESS);
  const inB = b.of('ProtocolClIncomingCall');
  const inC = c.of('ProtocolClIncomingCall');
  t.is(inB.length, 1, "1002's client is offered one call");
  t.is(inC.length, 1, "1012's client is offered one call");
  t.is(inB[0]!.params.callMgrParameters?.callMgrSpecific?.calledParty, '1002');
  t.is(inC[0]!.params.callMgrParameters?.callMgrSpecific?.calledParty, '1012');
  t.not(inB[0]!.vcHandle, inC[0]!.vcHandle, 'two VCs');
  t.is(b.ndis.vcInfo(inB[0]!.vcHandle)?.call, 'CONNECTED');
  t.is(c.ndis.vcInfo(inC[0]!.vcHandle)?.call, 'CONNECTED');
  t.is(b.ndis.vcInfo(inC[0]!.vcHandle), undefined, "b cannot see c's VC");
  t.is(c.of('ProtocolClCallConnected').length, 1);
  t.deepEqual(a.ndis.vcInfo(vc)!.parties.map((p) => [p.handle, p.state]), [[p1002, 'CONNECTED'], [second.party, 'CONNECTED']]);
  await sendFromRoot(ctx, vc, 'to both');
  t.deepEqual(received(b, inB[0]!.vcHandle), ['to both']);
  t.deepEqual(received(c, inC[0]!.vcHandle), ['to both']);
}, TWO_AT_HOST_1);

rule('R93 a party for an address of that host nobody listens on is refused with cause 88; NdisClAddParty fails at the root and the first party stays', async (t, ctx) => {
  const { a, b, net } = ctx;
  const { c, vc, p1002, second } = await twoAtOneHost(ctx, false);
  t.not(second.status, S.SUCCESS, 'the add party failed');
  t.is(second.party, undefined);
  t.is(c.of('ProtocolClIncomingCall').length, 0);
  t.is(b.of('ProtocolClIncomingCall').length, 1, 'only 1002 was offered');
  const refusal = net.fake.log.filter((m) => m.from === net.hosts[1]!.mac && m.cause !== undefined);
  t.deepEqual(refusal.map((m) => m.cause), [88], 'refused with incompatible destination');
  t.deepEqual(a.ndis.vcInfo(vc)!.parties.map((p) => p.handle), [p1002]);
  t.is(b.of('ProtocolClIncomingCloseCall').length, 0);
  await sendFromRoot(ctx, vc, 'still there');
  t.deepEqual(received(b, b.of('ProtocolClIncomingCall')[0]!.vcHandle), ['still there']);
}, TWO_AT_HOST_1);

rule('R93 the root drops one of the two with close data: only that party\'s client hears the close, with the data; the other keeps receiving', async (t, ctx) => {
  const { a, b } = ctx;
  const { c, vc, p1002, second } = await twoAtOneHost(ctx);
  const vcB = b.of('ProtocolClIncomingCall')[0]!.vcHandle;
  const vcC = c.of('ProtocolClIncomingCall')[0]!.vcHandle;
  t.is((await a.dropParty(second.party!, Buffer.from('bye 1012'))).status, S.SUCCESS);
  await ctx.net.settle();
  const closeC = c.of('ProtocolClIncomingCloseCall');
  t.is(closeC.length, 1);
  t.is(closeC[0]!.vcHandle, vcC);
  t.is(closeC[0]!.closeStatus, S.SUCCESS);
  t.deepEqual(closeC[0]!.closeData, Buffer.from('bye 1012'));
  t.is(b.of('ProtocolClIncomingCloseCall').length, 0, '1002 is not closed');
  t.is((await c.closeCall(vcC)).status, S.SUCCESS);
  await sendFromRoot(ctx, vc, 'only to 1002');
  t.deepEqual(received(b, vcB), ['only to 1002']);
  t.deepEqual(received(c, vcC), [], 'nothing for the dropped party');
  t.deepEqual(a.ndis.vcInfo(vc)!.parties.map((p) => p.handle), [p1002]);
  t.is((await a.closeCall(vc, p1002, Buffer.from('the end'))).status, S.SUCCESS);
  t.deepEqual(b.last('ProtocolClIncomingCloseCall')?.closeData, Buffer.from('the end'));
  t.is(c.of('ProtocolClIncomingCloseCall').length, 1, 'no second close for 1012');
}, TWO_AT_HOST_1);

rule('R93 one of the two hangs up with close data: the root gets an incoming drop for that party alone; the other stays connected and receiving', async (t, ctx) => {
  const { a, b } = ctx;
  const { c, vc, p1002, second } = await twoAtOneHost(ctx);
  const vcB = b.of('ProtocolClIncomingCall')[0]!.vcHandle;
  const vcC = c.of('ProtocolClIncomingCall')[0]!.vcHandle;
  t.is((await c.closeCall(vcC, undefined, Buffer.from('1012 leaves'))).status, S.SUCCESS);
  const drop = a.of('ProtocolClIncomingDropParty');
  t.is(drop.length, 1);
  t.is(drop[0]!.partyHandle, second.party!);
  t.is(drop[0]!.dropStatus, S.SUCCESS);
  t.deepEqual(drop[0]!.closeData, Buffer.from('1012 leaves'));
  t.is(a.of('ProtocolClIncomingCloseCall').length, 0, 'the call stays');
  t.is(b.of('ProtocolClIncomingCloseCall').length, 0, '1002 is not closed');
  t.is((await a.dropParty(second.party!)).status, S.SUCCESS);
  t.is(b.ndis.vcInfo(vcB)?.call, 'CONNECTED');
  await sendFromRoot(ctx, vc, 'to 1002');
  t.deepEqual(received(b, vcB), ['to 1002']);
  t.deepEqual(a.ndis.vcInfo(vc)!.parties.map((p) => p.handle), [p1002]);
}, TWO_AT_HOST_1);
