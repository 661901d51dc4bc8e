/**
 * Every timer expiry, in virtual time. A is the network side (lower MAC), B the user side.
 */
import test from 'ava';
import { Clock, idle, link, makeHost, MAC_A, MAC_B } from './helpers.js';
import { encodeMessage } from '../../src/uni/msg/index.js';
import { MsgType, IeId, findIe, findIes, type UniMessage } from '../../src/uni/msg/types.js';
import type { UniHostOptions } from '../../src/uni/api.js';

function two(extra: Partial<UniHostOptions> = {}, autoAccept = true) {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B, '2012': MAC_B }, extra);
  const b = makeHost(clock, MAC_B, ['2002', '2012'], { '1001': MAC_A }, extra);
  const [sa, sb] = link(clock, a, b);
  if (autoAccept) b.host.indications$.subscribe((i) => i.kind === 'setup' && b.host.accept(i.call));
  return { clock, a, b, sa, sb };
}

const types = (ms: UniMessage[]) => ms.map((m) => m.type);

test('T303: SETUP resent once, then RELEASE COMPLETE (102 "303") and the host hears cause 18', (t) => {
  const { clock, a, sa } = two();
  sa.filter = () => false; // nothing A sends arrives
  const r = a.host.setup({ called: '2002', multipoint: false });
  t.true(r.ok);
  clock.advance(3_999);
  t.deepEqual(types(sa.sent), [MsgType.SETUP]);
  clock.advance(1);
  t.deepEqual(types(sa.sent), [MsgType.SETUP, MsgType.SETUP]);
  clock.advance(4_000);
  t.deepEqual(types(sa.sent), [MsgType.SETUP, MsgType.SETUP, MsgType.RELEASE_COMPLETE]);
  const rc = findIe(sa.sent[2]!, IeId.CAUSE)!;
  t.is(rc.cause, 102);
  t.deepEqual(rc.diagnostic, Buffer.from('303'));
  t.deepEqual(a.of('released').map((i) => [i.cause, i.remote]), [[18, false]]);
  t.true(idle(a));
});

test('T303 is configurable', (t) => {
  const { clock, a, sa } = two({ timers: { t303: 1_000 } });
  sa.filter = () => false;
  a.host.setup({ called: '2002', multipoint: false });
  clock.advance(1_000);
  t.is(sa.sent.length, 2);
  clock.advance(1_000);
  t.is(a.of('released').length, 1);
});

test('T308: RELEASE resent once with a second cause 102 "308", then release-confirm 102', (t) => {
  const { clock, a, b, sa, sb } = two();
  const r = a.host.setup({ called: '2002', multipoint: false });
  if (!r.ok) return t.fail();
  clock.advance(10);
  t.is(a.of('connected').length, 1);
  sb.filter = (m) => m.type !== MsgType.RELEASE_COMPLETE;
  a.host.release(r.value.call);
  clock.advance(29_999);
  t.is(types(sa.sent).filter((x) => x === MsgType.RELEASE).length, 1);
  clock.advance(1);
  const rels = sa.sent.filter((m) => m.type === MsgType.RELEASE);
  t.is(rels.length, 2);
  const causes = findIes(rels[1]!, IeId.CAUSE);
  t.deepEqual(causes.map((c) => c.cause), [16, 102]);
  t.deepEqual(causes[1]!.diagnostic, Buffer.from('308'));
  clock.advance(30_000);
  t.deepEqual(a.of('release-confirm').map((i) => i.cause), [102]);
  t.true(idle(a, b));
});

test('T310: CALL PROCEEDING and then nothing: the call is cleared with cause 18 (network side default 10 s)', (t) => {
  const { clock, a, b, sa, sb } = two({}, false);
  b.host.indications$.subscribe((i) => i.kind === 'setup' && b.host.proceeding(i.call));
  a.host.setup({ called: '2002', multipoint: false });
  clock.advance(10);
  t.is(a.of('proceeding').length, 1);
  clock.advance(9_991); // T310 started when CALL PROCEEDING arrived, at 2 ms
  t.is(a.of('released').length, 0);
  clock.advance(1);
  t.is(a.of('released').length, 1);
  t.is(a.of('released')[0]!.cause, 18);
  t.is(sa.sent.at(-1)!.type, MsgType.RELEASE);
  clock.advance(10);
  t.is(b.of('released')[0]!.cause, 18);
  t.is(sb.sent.at(-1)!.type, MsgType.RELEASE_COMPLETE);
  t.true(idle(a, b));
});

test('T313: CONNECT ACKNOWLEDGE lost: the user side clears with 102 "313"', (t) => {
  const { clock, a, b, sa, sb } = two();
  sa.filter = (m) => m.type !== MsgType.CONNECT_ACKNOWLEDGE;
  a.host.setup({ called: '2002', multipoint: false });
  clock.advance(10);
  t.is(a.of('connected').length, 1);
  t.is(b.of('active').length, 0);
  clock.advance(4_000);
  t.deepEqual(b.of('released').map((i) => i.cause), [102]);
  const rel = sb.sent.at(-1)!;
  t.is(rel.type, MsgType.RELEASE);
  t.deepEqual(findIe(rel, IeId.CAUSE)!.diagnostic, Buffer.from('313'));
  clock.advance(10);
  t.is(a.of('released')[0]!.cause, 102);
  t.true(idle(a, b));
});

test('T322: STATUS ENQUIRY unanswered: resent once, then the call is cleared (102 "322"); answered: nothing happens', (t) => {
  const { clock, a, b, sa, sb } = two();
  const r = a.host.setup({ called: '2002', multipoint: false });
  if (!r.ok) return t.fail();
  clock.advance(10);
  t.true(a.host.statusEnquiry(r.value.call).ok);
  t.false(a.host.statusEnquiry(r.value.call).ok); // one outstanding per call
  clock.advance(10);
  const st = sb.sent.at(-1)!;
  t.is(st.type, MsgType.STATUS);
  t.is(findIe(st, IeId.CAUSE)!.cause, 30);
  t.is(findIe(st, IeId.CALL_STATE)!.state, 10);
  clock.advance(10_000);
  t.is(a.of('released').length, 0);
  // now the answers are lost
  sb.filter = (m) => m.type !== MsgType.STATUS;
  t.true(a.host.statusEnquiry(r.value.call).ok);
  clock.advance(4_000);
  t.is(sa.sent.filter((m) => m.type === MsgType.STATUS_ENQUIRY).length, 3);
  clock.advance(4_000);
  t.deepEqual(a.of('released').map((i) => i.cause), [102]);
  t.deepEqual(findIe(sa.sent.at(-1)!, IeId.CAUSE)!.diagnostic, Buffer.from('322'));
  clock.advance(10);
  t.true(idle(a, b));
});

function mp() {
  const env = two();
  const r = env.a.host.setup({ called: '2002', multipoint: true });
  if (!r.ok) throw new Error('setup');
  env.clock.advance(10);
  return { ...env, call: r.value.call, p1: r.value.party! };
}

test('T399: ADD PARTY unanswered: the party is rejected (network side: cause 18, 14 s) and DROP PARTY goes out', (t) => {
  const { clock, a, b, sa, call } = mp();
  sa.filter = (m) => m.type !== MsgType.ADD_PARTY;
  const p = a.host.addParty(call, { called: '2012' });
  if (!p.ok) return t.fail();
  clock.advance(13_999);
  t.is(a.of('party-rejected').length, 0);
  clock.advance(1);
  t.deepEqual(a.of('party-rejected').map((i) => [i.party, i.cause]), [[p.value, 18]]);
  t.is(sa.sent.at(-1)!.type, MsgType.DROP_PARTY);
  clock.advance(10); // B answers the DROP PARTY for an endpoint it does not know with DROP PARTY ACK 89
  t.is(a.of('drop-party-confirm').length, 0);
  t.is(a.host.counters().parties, 1);
  t.true(a.host.release(call).ok);
  clock.advance(10);
  t.true(idle(a, b));
});

test("each party's T399 is its own: the answered party's stops, the other's runs out, and none is left behind", (t) => {
  const { clock, a, sa, call } = mp();
  const before = a.host.counters().timers;
  let adds = 0;
  sa.filter = (m) => m.type !== MsgType.ADD_PARTY || adds++ === 0; // the second ADD PARTY is lost
  const p2 = a.host.addParty(call, { called: '2012' });
  const p3 = a.host.addParty(call, { called: '2012' });
  if (!p2.ok || !p3.ok) return t.fail();
  t.is(a.host.counters().timers, before + 2);
  clock.advance(10);
  t.deepEqual(a.of('party-added').map((i) => i.party), [p2.value]);
  t.is(a.host.counters().timers, before + 1, "the answered party's T399 stopped");
  clock.advance(14_000);
  t.deepEqual(a.of('party-rejected').map((i) => [i.party, i.cause]), [[p3.value, 18]]);
  clock.advance(10);
  t.is(a.host.counters().timers, before);
});

test('T399 on the user side is 34 s with 102 "399"', (t) => {
  const clock = new Clock();
  // B (higher MAC) is the user side and roots the call here
  const a = makeHost(clock, MAC_A, ['1001', '1011'], {});
  const b = makeHost(clock, MAC_B, ['2002'], { '1001': MAC_A, '1011': MAC_A });
  const [sa, sb] = link(clock, a, b);
  a.host.indications$.subscribe((i) => i.kind === 'setup' && a.host.accept(i.call));
  const r = b.host.setup({ called: '1001', multipoint: true });
  if (!r.ok) return t.fail();
  clock.advance(10);
  sb.filter = (m) => m.type !== MsgType.ADD_PARTY;
  const p = b.host.addParty(r.value.call, { called: '1011' });
  t.true(p.ok);
  clock.advance(33_999);
  t.is(b.of('party-rejected').length, 0);
  clock.advance(1);
  t.deepEqual(b.of('party-rejected').map((i) => i.cause), [102]);
  t.deepEqual(findIe(sb.sent.at(-1)!, IeId.CAUSE)!.diagnostic, Buffer.from('399'));
  void sa;
});

test('T398: DROP PARTY ACKNOWLEDGE lost: after 4 s the drop completes with 102 and we acknowledge ourselves', (t) => {
  const { clock, a, b, sa, sb, call } = mp();
  const p = a.host.addParty(call, { called: '2012' });
  if (!p.ok) return t.fail();
  clock.advance(10);
  t.is(a.of('party-added').length, 1);
  sb.filter = (m) => m.type !== MsgType.DROP_PARTY_ACKNOWLEDGE;
  t.true(a.host.dropParty(call, p.value).ok);
  clock.advance(3_999);
  t.is(a.of('drop-party-confirm').length, 0);
  clock.advance(1);
  t.deepEqual(a.of('drop-party-confirm').map((i) => i.cause), [102]);
  const ack = sa.sent.at(-1)!;
  t.is(ack.type, MsgType.DROP_PARTY_ACKNOWLEDGE);
  t.deepEqual(findIe(ack, IeId.CAUSE)!.diagnostic, Buffer.from('398'));
  t.is(b.of('released').length, 1, "the leaf's call for 2012 ended");
  clock.advance(10);
  t.is(a.host.counters().parties, 1);
  t.is(b.host.counters().parties, 1);
});

test('T397: PARTY ALERTING and then nothing: the party is dropped with 102 "397"', (t) => {
  const { clock, a, sa, sb, call } = mp();
  // B's own answer is lost; a PARTY ALERTING arrives instead
  sb.filter = (m) => m.type !== MsgType.ADD_PARTY_ACKNOWLEDGE;
  const p = a.host.addParty(call, { called: '2012' });
  if (!p.ok) return t.fail();
  clock.advance(10);
  const add = sa.sent.at(-1)!;
  const ep = findIe(add, IeId.ENDPOINT_REFERENCE)!;
  t.is(a.of('party-alerting').length, 0);
  sa.inject(
    encodeMessage({
      type: MsgType.PARTY_ALERTING,
      callRef: add.callRef,
      callRefFlag: true,
      ies: [{ id: IeId.ENDPOINT_REFERENCE, type: 0, flag: true, value: ep.value }],
    }),
  );
  t.deepEqual(a.of('party-alerting').map((i) => i.party), [p.value]);
  clock.advance(180_000);
  t.deepEqual(a.of('party-rejected').map((i) => i.cause), [102]);
  const drop = sa.sent.at(-1)!;
  t.is(drop.type, MsgType.DROP_PARTY);
  t.deepEqual(findIe(drop, IeId.CAUSE)!.diagnostic, Buffer.from('397'));
});

test('T316: RESTART resent once, then given up with a protocol error; T317 guard stops on our own answer', (t) => {
  const { clock, a, b, sa, sb } = two();
  sb.filter = (m) => m.type !== MsgType.RESTART_ACKNOWLEDGE;
  t.true(a.host.restart(MAC_B, { all: true }).ok);
  t.false(a.host.restart(MAC_B, { all: true }).ok);
  clock.advance(120_000);
  t.is(sa.sent.filter((m) => m.type === MsgType.RESTART).length, 2);
  clock.advance(120_000);
  t.true(a.of('protocol-error').some((i) => i.cause === 102));
  t.is(b.of('restart').length, 2);
  t.true(idle(a, b));
  t.is(clock.pending, 0);
});

test('T317: with the answer left to the layer above, RESTART ACKNOWLEDGE goes out on restartAcknowledge(); unanswered for 90 s it is given up', (t) => {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B });
  const b = makeHost(clock, MAC_B, ['2002'], { '1001': MAC_A }, { manualRestartAck: true });
  const [sa, sb] = link(clock, a, b);
  t.true(a.host.restart(MAC_B, { all: true }).ok);
  clock.advance(5);
  t.is(b.of('restart').length, 1);
  t.deepEqual(types(sb.sent), []);
  t.is(b.host.counters().timers, 1, 'T317');
  t.true(b.host.restartAcknowledge(MAC_A).ok);
  t.false(b.host.restartAcknowledge(MAC_A).ok);
  clock.advance(5);
  t.deepEqual(types(sb.sent), [MsgType.RESTART_ACKNOWLEDGE]);
  t.true(idle(a, b));
  // second round: nobody answers
  t.true(a.host.restart(MAC_B, { all: true }).ok);
  clock.advance(89_990);
  t.is(b.of('protocol-error').length, 0);
  clock.advance(20);
  t.deepEqual(b.of('protocol-error').map((i) => i.cause), [102]);
  t.deepEqual(types(sb.sent), [MsgType.RESTART_ACKNOWLEDGE]);
  t.is(b.host.counters().timers, 0);
  // A's T316 resends; B answers... only when told
  clock.advance(30_000);
  t.is(sa.sent.filter((m) => m.type === MsgType.RESTART).length, 3);
  t.true(b.host.restartAcknowledge(MAC_A).ok);
  clock.advance(5);
  t.is(a.host.counters().timers, 0, 'T316 stopped by the answer');
});

test('restart both ways at once: our REST1 and the peer\'s REST2 are separate processes', (t) => {
  const { clock, a, b, sa, sb } = two();
  t.true(a.host.restart(MAC_B, { all: true }).ok);
  t.true(b.host.restart(MAC_A, { all: true }).ok);
  clock.advance(5);
  t.deepEqual(types(sa.sent), [MsgType.RESTART, MsgType.RESTART_ACKNOWLEDGE]);
  t.deepEqual(types(sb.sent), [MsgType.RESTART, MsgType.RESTART_ACKNOWLEDGE]);
  t.is(a.host.counters().timers + b.host.counters().timers, 0);
  t.is(a.of('protocol-error').length + b.of('protocol-error').length, 0);
});
