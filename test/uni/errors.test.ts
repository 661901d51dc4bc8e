/**
 * Q.2931 5.6 / Q.2971 9.5 error procedures, one by one, against a host driven
 * by the probe.
 */
import test from 'ava';
import { drive, ep, cause, probe, setupIes, PROBE_MAC } from './probe.js';
import { findIe, findIes, IeId, MsgType, type InfoElement, type UniMessage, type UnknownIe } from '../../src/uni/msg/types.js';

const raw = (id: number, content: number[], flag = false, action = 0): UnknownIe => ({ id, unknown: true, content: Buffer.from(content), flag, action });
const causeOf = (m: UniMessage | undefined) => (m ? findIe(m, IeId.CAUSE)?.cause : undefined);

test('96: mandatory IE missing in STATUS -> STATUS 96 naming it, message ignored', (t) => {
  const d = drive('user', false, 'active');
  const a = d.p.send({ type: MsgType.STATUS, callRef: d.cref, callRefFlag: d.flag, ies: [cause(30)] });
  t.is(a.length, 1);
  t.is(a[0]!.type, MsgType.STATUS);
  t.is(causeOf(a[0]), 96);
  t.deepEqual(findIe(a[0]!, IeId.CAUSE)!.diagnostic, Buffer.from([IeId.CALL_STATE]));
  t.is(d.p.h.host.counters().protocolErrors[96], 1);
  t.is(d.p.h.of('released').length, 0);
});

test('96: SETUP without the called party number -> RELEASE COMPLETE 96; no call', (t) => {
  const p = probe('user');
  const ies = setupIes(false).filter((ie) => ie.id !== IeId.CALLED_PARTY_NUMBER);
  const a = p.send({ type: MsgType.SETUP, callRef: 9, callRefFlag: false, ies });
  t.is(a[0]?.type, MsgType.RELEASE_COMPLETE);
  t.is(causeOf(a[0]), 96);
  t.is(p.h.of('setup').length, 0);
  t.is(p.h.host.linkCallCount(), 0);
});

test('96: RELEASE without cause is still a RELEASE, answered by RELEASE COMPLETE 96', (t) => {
  const d = drive('network', false, 'active');
  const a = d.p.send({ type: MsgType.RELEASE, callRef: d.cref, callRefFlag: d.flag, ies: [] });
  t.is(a[0]?.type, MsgType.RELEASE_COMPLETE);
  t.is(causeOf(a[0]), 96);
  t.is(d.p.h.of('released').length, 1);
});

test('96/100 on ADD PARTY: ADD PARTY REJECT, not a call clearing', (t) => {
  const d = drive('user', true, 'active-in');
  const a = d.p.send({ type: MsgType.ADD_PARTY, callRef: d.cref, callRefFlag: d.flag, ies: [ep(9, false)] });
  t.is(a[0]?.type, MsgType.ADD_PARTY_REJECT);
  t.is(causeOf(a[0]), 96);
  t.deepEqual(findIe(a[0]!, IeId.ENDPOINT_REFERENCE), { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: true, value: 9 });
  const b = d.p.send({ type: MsgType.ADD_PARTY, callRef: d.cref, callRefFlag: d.flag, ies: [raw(IeId.CALLED_PARTY_NUMBER, []), ep(10, false)] });
  t.is(b[0]?.type, MsgType.ADD_PARTY_REJECT);
  t.is(causeOf(b[0]), 100);
  t.is(d.p.h.of('released').length, 0);
});

test('ADD PARTY for an address that is not ours -> ADD PARTY REJECT 1; for ours -> an incoming call of its own, ADD PARTY ACK once accepted', (t) => {
  const d = drive('user', true, 'active-in');
  const called = (a: string): InfoElement => ({ id: IeId.CALLED_PARTY_NUMBER, typeOfNumber: 1, plan: 1, address: Buffer.from(a) });
  const a = d.p.send({ type: MsgType.ADD_PARTY, callRef: d.cref, callRefFlag: d.flag, ies: [called('5555'), ep(3, false)] });
  t.is(a[0]?.type, MsgType.ADD_PARTY_REJECT);
  t.is(causeOf(a[0]), 1);
  const b = d.p.send({ type: MsgType.ADD_PARTY, callRef: d.cref, callRefFlag: d.flag, ies: [called('1011'), ep(4, false)] });
  t.deepEqual(b, [], 'nothing goes back before the user answers');
  const setups = d.p.h.of('setup');
  t.is(setups.length, 2);
  const second = setups[1]!;
  t.is(second.params.called, '1011');
  t.true(second.params.multipoint);
  t.not(second.call, d.call, 'its own host call');
  t.deepEqual(second.vc, setups[0]!.vc, 'on the VC the first endpoint already has');
  const before = d.p.sa.sent.length;
  t.true(d.p.h.host.accept(second.call).ok);
  d.p.clock.advance(2);
  const acked = d.p.sa.sent.slice(before);
  t.is(acked[0]?.type, MsgType.ADD_PARTY_ACKNOWLEDGE);
  t.deepEqual(d.p.h.of('active').map((i) => i.call).slice(-1), [second.call], 'the link call is active: the new call is at once');
  t.is(d.p.h.host.counters().parties, 2);
  t.is(d.p.h.host.counters().calls, 2);
  // a repeated ADD PARTY for a party already acknowledged is out of state
  const c = d.p.send({ type: MsgType.ADD_PARTY, callRef: d.cref, callRefFlag: d.flag, ies: [called('1011'), ep(4, false)] });
  t.is(causeOf(c[0]), 101);
});

test('SETUP for an address that is not ours -> RELEASE COMPLETE 1', (t) => {
  const p = probe('network');
  const a = p.send({ type: MsgType.SETUP, callRef: 9, callRefFlag: false, ies: setupIes(false, '4242', false) });
  t.is(a[0]?.type, MsgType.RELEASE_COMPLETE);
  t.is(causeOf(a[0]), 1);
  t.is(p.h.host.linkCallCount(), 0);
  t.is(p.h.host.counters().timers, 0);
});

test('97: message type non-existent: STATUS 97; with action "clear call": RELEASE 97; "ignore": silence', (t) => {
  const d = drive('user', false, 'active');
  const a = d.p.send({ type: 0x33, callRef: d.cref, callRefFlag: d.flag, ies: [] });
  t.deepEqual([a[0]?.type, causeOf(a[0])], [MsgType.STATUS, 97]);
  t.deepEqual([...findIe(a[0]!, IeId.CAUSE)!.diagnostic], [0x33]);
  t.deepEqual(d.p.send({ type: 0x33, callRef: d.cref, callRefFlag: d.flag, msgFlag: true, msgAction: 1, ies: [] }), []);
  const c = d.p.send({ type: 0x33, callRef: d.cref, callRefFlag: d.flag, msgFlag: true, msgAction: 0, ies: [] });
  t.deepEqual([c[0]?.type, causeOf(c[0])], [MsgType.RELEASE, 97]);
  t.deepEqual(d.p.h.of('released').map((i) => i.cause), [97]);
});

test('101 with explicit instructions: "ignore" drops silently, "clear call" clears', (t) => {
  const d = drive('user', false, 'active');
  t.deepEqual(d.p.send({ type: MsgType.CALL_PROCEEDING, callRef: d.cref, callRefFlag: d.flag, msgFlag: true, msgAction: 1, ies: [] }), []);
  const c = d.p.send({ type: MsgType.CALL_PROCEEDING, callRef: d.cref, callRefFlag: d.flag, msgFlag: true, msgAction: 0, ies: [] });
  t.deepEqual([c[0]?.type, causeOf(c[0])], [MsgType.RELEASE, 101]);
});

test('unrecognised IEs follow their instruction field (99): clear / discard+report / discard+ignore / report and proceed / proceed', (t) => {
  const msgWith = (d: ReturnType<typeof drive>, ie: UnknownIe): UniMessage => ({
    type: MsgType.STATUS_ENQUIRY,
    callRef: d.cref,
    callRefFlag: d.flag,
    ies: [ie],
  });
  {
    const d = drive('user', false, 'active');
    const a = d.p.send(msgWith(d, raw(0x77, [1], true, 0)));
    t.deepEqual([a[0]?.type, causeOf(a[0])], [MsgType.RELEASE, 99]);
    t.deepEqual([...findIe(a[0]!, IeId.CAUSE)!.diagnostic], [0x77]);
  }
  {
    const d = drive('user', false, 'active');
    const a = d.p.send(msgWith(d, raw(0x77, [1], true, 6)));
    t.deepEqual(a.map((m) => [m.type, causeOf(m)]), [[MsgType.STATUS, 99]]);
  }
  {
    const d = drive('user', false, 'active');
    t.deepEqual(d.p.send(msgWith(d, raw(0x77, [1], true, 5))), []);
  }
  {
    const d = drive('user', false, 'active');
    // default action: report (STATUS 99) and proceed (the enquiry is answered too: STATUS 30)
    const a = d.p.send(msgWith(d, raw(0x77, [1])));
    t.deepEqual(a.map((m) => causeOf(m)), [99, 30]);
  }
  {
    const d = drive('user', false, 'active');
    const a = d.p.send(msgWith(d, raw(0x77, [1], true, 1)));
    t.deepEqual(a.map((m) => causeOf(m)), [30]);
  }
});

test('100: content errors: mandatory IE -> STATUS 100 and ignore; optional IE -> STATUS 100 and proceed; "clear call" -> RELEASE 100', (t) => {
  {
    const d = drive('user', false, 'active');
    // STATUS with a call state IE that is too long
    const a = d.p.send({ type: MsgType.STATUS, callRef: d.cref, callRefFlag: d.flag, ies: [raw(IeId.CALL_STATE, [10, 10, 10]), cause(30)] });
    t.deepEqual(a.map((m) => [m.type, causeOf(m)]), [[MsgType.STATUS, 100]]);
    t.is(d.p.h.of('released').length, 0);
  }
  {
    const d = drive('user', false, 'active');
    // RELEASE with a bad cause: still a RELEASE
    const a = d.p.send({ type: MsgType.RELEASE, callRef: d.cref, callRefFlag: d.flag, ies: [raw(IeId.CAUSE, [0x80])] });
    t.is(a.at(-1)?.type, MsgType.RELEASE_COMPLETE);
    t.is(d.p.h.of('released').length, 1);
  }
  {
    const d = drive('user', false, 'active');
    const a = d.p.send({ type: MsgType.STATUS_ENQUIRY, callRef: d.cref, callRefFlag: d.flag, ies: [raw(IeId.ENDPOINT_REFERENCE, [0])] });
    t.deepEqual(a.map((m) => causeOf(m)), [100, 30]);
  }
  {
    const d = drive('user', false, 'active');
    const a = d.p.send({ type: MsgType.STATUS_ENQUIRY, callRef: d.cref, callRefFlag: d.flag, ies: [raw(IeId.ENDPOINT_REFERENCE, [0], true, 0)] });
    t.deepEqual(a.map((m) => [m.type, causeOf(m)]), [[MsgType.RELEASE, 100]]);
  }
});

test('Q.2971: DROP PARTY without endpoint reference clears the call (96); a bad one too (100)', (t) => {
  {
    const d = drive('network', true, 'active');
    const a = d.p.send({ type: MsgType.DROP_PARTY, callRef: d.cref, callRefFlag: d.flag, ies: [cause(31)] });
    t.deepEqual(a.map((m) => [m.type, causeOf(m)]), [[MsgType.RELEASE, 96]]);
    t.deepEqual(d.p.h.of('released').map((i) => i.cause), [96]);
  }
  {
    const d = drive('network', true, 'active');
    const a = d.p.send({ type: MsgType.DROP_PARTY, callRef: d.cref, callRefFlag: d.flag, ies: [cause(31), raw(IeId.ENDPOINT_REFERENCE, [0, 0])] });
    t.deepEqual(a.map((m) => [m.type, causeOf(m)]), [[MsgType.RELEASE, 100]]);
  }
});

test('Q.2971: DROP PARTY / ADD PARTY ACK for an unknown endpoint reference -> DROP PARTY ACK 89; unknown DROP PARTY ACK ignored', (t) => {
  const d = drive('user', true, 'active');
  for (const type of [MsgType.DROP_PARTY, MsgType.ADD_PARTY_ACKNOWLEDGE, MsgType.PARTY_ALERTING]) {
    const a = d.p.send({ type, callRef: d.cref, callRefFlag: d.flag, ies: [...(type === MsgType.DROP_PARTY ? [cause(31)] : []), ep(1234, true)] });
    t.deepEqual(a.map((m) => [m.type, causeOf(m)]), [[MsgType.DROP_PARTY_ACKNOWLEDGE, 89]]);
    t.deepEqual(findIe(a[0]!, IeId.ENDPOINT_REFERENCE), { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 1234 });
  }
  t.deepEqual(d.p.send({ type: MsgType.DROP_PARTY_ACKNOWLEDGE, callRef: d.cref, callRefFlag: d.flag, ies: [ep(1234, true)] }), []);
  t.deepEqual(d.p.send({ type: MsgType.ADD_PARTY_REJECT, callRef: d.cref, callRefFlag: d.flag, ies: [cause(31), ep(1234, true)] }), []);
});

test('Q.2971 9.5.7.1: DROP PARTY of the last party without cause -> RELEASE 96 to the peer, close data handed up', (t) => {
  const d = drive('user', true, 'active-in');
  const a = d.p.send({
    type: MsgType.DROP_PARTY,
    callRef: d.cref,
    callRefFlag: d.flag,
    ies: [ep(0, false), { id: IeId.USER_USER, protocol: 0, data: Buffer.from('bye') }],
  });
  t.deepEqual(a.map((m) => [m.type, causeOf(m)]), [[MsgType.RELEASE, 96]]);
  const r = d.p.h.of('released');
  t.is(r.length, 1);
  t.deepEqual(r[0]!.closeData, Buffer.from('bye'));
  t.true(r[0]!.remote);
});

test('STATUS: call state Null releases locally (101); incompatible state clears (101); compatible does nothing', (t) => {
  {
    const d = drive('user', false, 'active');
    const a = d.p.send({ type: MsgType.STATUS, callRef: d.cref, callRefFlag: d.flag, ies: [{ id: IeId.CALL_STATE, state: 0 }, cause(30)] });
    t.deepEqual(a, []);
    t.deepEqual(d.p.h.of('released').map((i) => i.cause), [101]);
    t.is(d.p.h.host.linkCallCount(), 0);
  }
  {
    // we called (U1); the network says it is in N6 (it called too)
    const d = drive('user', false, 'out-setup');
    const a = d.p.send({ type: MsgType.STATUS, callRef: d.cref, callRefFlag: d.flag, ies: [{ id: IeId.CALL_STATE, state: 6 }, cause(30)] });
    t.deepEqual(a.map((m) => [m.type, causeOf(m)]), [[MsgType.RELEASE, 101]]);
  }
  {
    const d = drive('user', false, 'out-setup');
    t.deepEqual(d.p.send({ type: MsgType.STATUS, callRef: d.cref, callRefFlag: d.flag, ies: [{ id: IeId.CALL_STATE, state: 3 }, cause(30)] }), []);
  }
});

test('STATUS ENQUIRY naming a party: STATUS with the endpoint reference (flag inverted) and its state', (t) => {
  const d = drive('network', true, 'active');
  const a = d.p.send({ type: MsgType.STATUS_ENQUIRY, callRef: d.cref, callRefFlag: d.flag, ies: [ep(0, true)] });
  t.is(a[0]?.type, MsgType.STATUS);
  t.is(findIe(a[0]!, IeId.CALL_STATE)?.state, 10);
  t.deepEqual(findIe(a[0]!, IeId.ENDPOINT_REFERENCE), { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 0 });
  t.is(findIe(a[0]!, IeId.ENDPOINT_STATE)?.state, 0x0a);
});

test('clear collision: both sides release at once; each gets its release-confirm, nothing is left', async (t) => {
  const d = drive('user', false, 'active');
  t.true(d.p.h.host.release(d.call).ok);
  t.is(d.p.sa.sent.at(-1)!.type, MsgType.RELEASE);
  const a = d.p.send({ type: MsgType.RELEASE, callRef: d.cref, callRefFlag: d.flag, ies: [cause(16)] });
  t.deepEqual(a, []); // no RELEASE COMPLETE: the two RELEASEs answer each other
  t.is(d.p.h.of('release-confirm').length, 1);
  t.is(d.p.h.of('released').length, 0);
  t.is(d.p.h.host.linkCallCount(), 0);
  t.is(d.p.h.host.counters().timers, 0);
});

test('drop collision: DROP PARTY arrives while ours is out: no acknowledgement, the drop completes', (t) => {
  const d = drive('network', true, 'active');
  // a second party on the link first, so the drop is not the last one
  const p2 = d.p.h.host.addParty(d.call, { called: '9019' });
  if (!p2.ok) return t.fail();
  d.p.clock.advance(2);
  const add = d.p.sa.sent.at(-1)!;
  const ep2 = findIe(add, IeId.ENDPOINT_REFERENCE)!.value;
  d.p.send({ type: MsgType.ADD_PARTY_ACKNOWLEDGE, callRef: d.cref, callRefFlag: d.flag, ies: [ep(ep2, true)] });
  t.is(d.p.h.of('party-added').length, 1);
  t.true(d.p.h.host.dropParty(d.call, p2.value).ok);
  d.p.clock.advance(2);
  const a = d.p.send({ type: MsgType.DROP_PARTY, callRef: d.cref, callRefFlag: d.flag, ies: [cause(31), ep(ep2, true)] });
  t.deepEqual(a, []);
  t.is(d.p.h.of('drop-party-confirm').length, 1);
  t.is(d.p.h.host.counters().parties, 1);
  t.is(d.p.h.host.counters().timers, 0);
});

test('global call reference: RESTART with flag 1 or other messages -> STATUS 81; RESTART ACK out of the blue -> STATUS 101', (t) => {
  const p = probe('user');
  const a = p.send({ type: MsgType.RESTART, callRef: 0, callRefFlag: true, ies: [{ id: IeId.RESTART_INDICATOR, restartClass: 2 }] });
  t.deepEqual(a.map((m) => [m.type, causeOf(m)]), [[MsgType.STATUS, 81]]);
  const b = p.send({ type: MsgType.CONNECT, callRef: 0, callRefFlag: false, ies: [] });
  t.deepEqual(b.map((m) => [m.type, causeOf(m)]), [[MsgType.STATUS, 81]]);
  const c = p.send({ type: MsgType.RESTART_ACKNOWLEDGE, callRef: 0, callRefFlag: true, ies: [{ id: IeId.RESTART_INDICATOR, restartClass: 2 }] });
  t.deepEqual(c.map((m) => [m.type, causeOf(m)]), [[MsgType.STATUS, 101]]);
  const e = p.send({ type: MsgType.RESTART, callRef: 0, callRefFlag: false, ies: [{ id: IeId.RESTART_INDICATOR, restartClass: 0 }] });
  t.deepEqual(e.map((m) => [m.type, causeOf(m)]), [[MsgType.STATUS, 96]]);
});

test('RESTART received for all VCs: every call released (indicated first), then RESTART ACKNOWLEDGE', (t) => {
  const d = drive('user', false, 'active');
  const a = d.p.send({ type: MsgType.RESTART, callRef: 0, callRefFlag: false, ies: [{ id: IeId.RESTART_INDICATOR, restartClass: 2 }] });
  t.deepEqual(a.map((m) => m.type), [MsgType.RESTART_ACKNOWLEDGE]);
  t.is(findIe(a[0]!, IeId.RESTART_INDICATOR)?.restartClass, 2);
  t.true(a[0]!.callRefFlag);
  const kinds = d.p.h.ind.map((i) => i.kind);
  t.true(kinds.indexOf('released') < kinds.indexOf('restart'));
  t.deepEqual(d.p.h.of('restart')[0], { kind: 'restart', peer: PROBE_MAC, restartClass: 2 });
  t.is(d.p.h.host.linkCallCount(), 0);
  t.is(d.p.h.host.counters().timers, 0);
});

test('RESTART for one VC releases only the call on it', (t) => {
  const d = drive('user', false, 'active'); // our VC: 0/41 (the probe, network side, assigned it)
  const s2 = d.p.send({ type: MsgType.SETUP, callRef: 600, callRefFlag: false, ies: setupIes(false) }); // VC 0/40
  t.deepEqual(s2, []);
  const a = d.p.send({
    type: MsgType.RESTART,
    callRef: 0,
    callRefFlag: false,
    ies: [{ id: IeId.CONNECTION_IDENTIFIER, vpAssociated: 1, exclusive: 0, vpci: 0, vci: 41 }, { id: IeId.RESTART_INDICATOR, restartClass: 0 }],
  });
  t.deepEqual(a.map((m) => m.type), [MsgType.RESTART_ACKNOWLEDGE]);
  t.is(d.p.h.of('released').length, 1);
  t.is(d.p.h.host.linkCallCount(), 1);
  t.deepEqual(d.p.h.of('restart')[0]!.vc, { vpi: 0, vci: 41 });
});

test('our RESTART: calls released locally, RESTART ACK stops T316', (t) => {
  const d = drive('network', false, 'active');
  t.true(d.p.h.host.restart(PROBE_MAC, { all: true }).ok);
  t.deepEqual(d.p.h.of('released').map((i) => i.cause), [41]);
  const rs = d.p.sa.sent.at(-1)!;
  t.is(rs.type, MsgType.RESTART);
  t.is(rs.callRef, 0);
  t.false(rs.callRefFlag);
  t.is(d.p.h.host.counters().timers, 1);
  t.deepEqual(d.p.send({ type: MsgType.RESTART_ACKNOWLEDGE, callRef: 0, callRefFlag: true, ies: [{ id: IeId.RESTART_INDICATOR, restartClass: 2 }] }), []);
  t.is(d.p.h.host.counters().timers, 0);
  t.true(d.p.h.host.restart(PROBE_MAC, { vpi: 0, vci: 99 }).ok);
  const r1 = d.p.sa.sent.at(-1)!;
  t.is(findIe(r1, IeId.CONNECTION_IDENTIFIER)?.vci, 99);
});

test('SSCOP lost: a call not yet active is cleared locally with cause 27 at once, the active one waits (T309), then link-down', (t) => {
  const d = drive('user', true, 'active');
  const d2 = d.p.h.host.setup({ called: '9009', multipoint: false });
  t.true(d2.ok);
  d.p.clock.advance(2);
  d.p.sa.cut('no response');
  const kinds = d.p.h.ind.map((i) => i.kind);
  t.deepEqual(d.p.h.of('released').map((i) => [i.call, i.cause, i.remote]), [[d2.ok && d2.value.call, 27, false]]);
  t.is(kinds.at(-1), 'link-down');
  t.deepEqual(d.p.h.of('link-down')[0], { kind: 'link-down', peer: PROBE_MAC, reason: 'no response', kept: 1 });
  // T309 (10 s) expires with the link still down: the kept call goes too
  d.p.clock.advance(10_000);
  t.deepEqual(d.p.h.of('released').map((i) => [i.call, i.cause]), [[d2.ok && d2.value.call, 27], [d.call, 27]]);
  t.is(d.p.h.of('link-down').length, 1, 'failed attempts to re-establish are not reported again');
  const k = d.p.h.host.counters();
  t.deepEqual([k.calls, k.parties, k.timers, d.p.h.host.linkCallCount()], [0, 0, 0, 0]);
});

test('requests on a released link establish it first and queue the SETUP', (t) => {
  const p = probe('user');
  t.is(p.h.of('link-up').length, 1);
  p.sa.lose();
  t.is(p.h.of('link-down').length, 1);
  const r = p.h.host.setup({ called: '9009', multipoint: false });
  t.true(r.ok);
  p.clock.advance(5);
  t.is(p.h.of('link-up').length, 2);
  t.is(p.sa.sent.at(-1)?.type, MsgType.SETUP);
});

test('second cause and diagnostics survive: RELEASE with two causes is handed up with the first', (t) => {
  const d = drive('user', false, 'active');
  d.p.send({ type: MsgType.RELEASE, callRef: d.cref, callRefFlag: d.flag, ies: [cause(17), cause(102)] });
  t.deepEqual(d.p.h.of('released').map((i) => i.cause), [17]);
  void findIes;
});

test('Q.2971: the last party gone without a message of ours (STATUS naming it Null, ADD PARTY REJECT) clears the call', (t) => {
  {
    const d = drive('network', true, 'active');
    const a = d.p.send({
      type: MsgType.STATUS,
      callRef: d.cref,
      callRefFlag: d.flag,
      ies: [{ id: IeId.CALL_STATE, state: 10 }, cause(30), ep(0, true), { id: IeId.ENDPOINT_STATE, state: 0 }],
    });
    t.deepEqual(a.map((m) => [m.type, causeOf(m)]), [[MsgType.RELEASE, 101]]);
    t.deepEqual(d.p.h.of('released').map((i) => i.cause), [101]);
    t.is(d.p.h.of('party-dropped').length, 0);
  }
  {
    const d = drive('network', true, 'out-alerting');
    const a = d.p.send({ type: MsgType.ADD_PARTY_REJECT, callRef: d.cref, callRefFlag: d.flag, ies: [cause(21), ep(0, true)] });
    t.deepEqual(a.map((m) => [m.type, causeOf(m)]), [[MsgType.RELEASE, 21]]);
    t.deepEqual(d.p.h.of('released').map((i) => [i.cause, i.remote]), [[21, true]]);
  }
});

test('STATUS ENQUIRY for a party names it, also when resent on T322', (t) => {
  const d = drive('network', true, 'active');
  t.true(d.p.h.host.statusEnquiry(d.call, d.p.h.host.snapshot().calls[0]!.parties[0]!.party).ok);
  d.p.clock.advance(4_000);
  const enq = d.p.sa.sent.filter((m) => m.type === MsgType.STATUS_ENQUIRY);
  t.is(enq.length, 2);
  for (const m of enq) t.deepEqual(findIe(m, IeId.ENDPOINT_REFERENCE), { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 0 });
});

test('SSCOP resynchronised under live calls: a STATUS ENQUIRY per call; a compatible answer leaves the call alone', (t) => {
  const d = drive('user', false, 'active');
  d.p.sa.signals.next({ kind: 'establish-indication' });
  const enq = d.p.sa.sent.at(-1)!;
  t.is(enq.type, MsgType.STATUS_ENQUIRY);
  t.is(enq.callRef, d.cref);
  d.p.send({ type: MsgType.STATUS, callRef: d.cref, callRefFlag: d.flag, ies: [{ id: IeId.CALL_STATE, state: 10 }, cause(30)] });
  d.p.clock.advance(10_000);
  t.is(d.p.h.of('released').length, 0);
  t.is(d.p.h.host.counters().timers, 0);
});

test('protocol errors are counted by cause and reported with the standard names', (t) => {
  const d = drive('user', false, 'active');
  d.p.send({ type: MsgType.CALL_PROCEEDING, callRef: d.cref, callRefFlag: d.flag, ies: [] });
  const e = d.p.h.of('protocol-error');
  t.is(e.length, 1);
  t.is(e[0]!.cause, 101);
  t.regex(e[0]!.message, /CALL PROCEEDING/);
  t.regex(e[0]!.message, /U10 Active/);
  t.is(d.p.h.host.counters().protocolErrors[101], 1);
});
