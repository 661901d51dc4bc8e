/**
 * Q.2963.1 peak cell rate modification between two UniHosts, in virtual
 * time: accepted and rejected modifications, CONNECTION AVAILABLE when the
 * acknowledgement asks for it, T360 and T361, requests refused locally, and
 * the collisions (a second request, clearing crossing a request, a request
 * reaching the owner, a new request while T361 runs). Each scenario runs with
 * the caller on the network side and on the user side of the link.
 */
import test from 'ava';
import { Clock, idle, link, makeHost, MAC_A, MAC_B, type TestHost } from './helpers.js';
import { Cause, findIe, IeId, MsgType, type UniMessage } from '../../src/uni/msg/types.js';
import { peakCellRates } from '../../src/uni/msg/index.js';
import type { UniHostOptions } from '../../src/uni/api.js';
import { drive } from './probe.js';
import { newCall } from '../../src/uni/call.js';
import type { CallEffect, CallState } from '../../src/uni/call-types.js';
import { stepModify } from '../../src/uni/modify.js';

type Dir = 'caller network side' | 'caller user side';
const DIRS: Dir[] = ['caller network side', 'caller user side'];

/** an active point-to-point call from `caller` to `callee` (A is the network side: lower MAC) */
function active(dir: Dir, extra: Partial<UniHostOptions> = {}) {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B }, extra);
  const b = makeHost(clock, MAC_B, ['2002'], { '1001': MAC_A }, extra);
  const [sa, sb] = link(clock, a, b);
  const [caller, callee, sCaller, sCallee] = dir === 'caller network side' ? [a, b, sa, sb] : [b, a, sb, sa];
  callee.host.indications$.subscribe((i) => i.kind === 'setup' && callee.host.accept(i.call));
  const r = caller.host.setup({ called: caller === a ? '2002' : '1001', multipoint: false });
  if (!r.ok) throw new Error(r.error.message);
  clock.advance(10);
  const inCall = callee.of('setup')[0]!.call;
  return { clock, caller, callee, sCaller, sCallee, call: r.value.call, inCall };
}

const types = (ms: UniMessage[]) => ms.map((m) => m.type);
const stateOf = (h: TestHost) => h.host.snapshot().calls[0]?.links[0]?.state;

for (const dir of DIRS) {
  test(`${dir}: accepted: MODIFY REQUEST (U13/N13, U14/N14), MODIFY ACKNOWLEDGE asking for CONNECTION AVAILABLE, rates in force at both ends`, (t) => {
    const { clock, caller, callee, sCaller, sCallee, call, inCall } = active(dir);
    const before = caller.host.traffic(call)!;
    t.true(caller.host.modify(call, { forward: 4000, backward: 3000 }).ok);
    t.regex(stateOf(caller)!, /^[UN]13 Modify Request$/);
    clock.advance(2);
    t.deepEqual(callee.of('modify-request'), [{ kind: 'modify-request', call: inCall, pcr: { forward: 4000, backward: 3000 } }]);
    t.regex(stateOf(callee)!, /^[UN]14 Modify Received$/);
    const req = sCaller.sent.find((m) => m.type === MsgType.MODIFY_REQUEST)!;
    t.deepEqual(findIe(req, IeId.ATM_TRAFFIC_DESCRIPTOR)!.fields, [{ id: 0x84, value: 4000 }, { id: 0x85, value: 3000 }]);

    t.true(callee.host.modifyAccept(inCall).ok);
    clock.advance(2);
    // the forward rate (what the callee receives) went down from the default 353207: no confirmation asked for
    const ack = sCallee.sent.find((m) => m.type === MsgType.MODIFY_ACKNOWLEDGE)!;
    t.is(findIe(ack, IeId.BROADBAND_REPORT_TYPE), undefined);
    t.deepEqual(caller.of('modify-confirm'), [{ kind: 'modify-confirm', call, pcr: { forward: 4000, backward: 3000 }, accepted: true }]);
    t.false(types(sCaller.sent).includes(MsgType.CONNECTION_AVAILABLE));
    t.deepEqual(peakCellRates(caller.host.traffic(call)), { forward: 4000, backward: 3000 });
    t.deepEqual(peakCellRates(callee.host.traffic(inCall)), { forward: 4000, backward: 3000 });
    t.is(caller.host.traffic(call)!.bestEffort, before.bestEffort, 'only the rates change');
    t.regex(stateOf(caller)!, /^[UN]10 Active$/);
    t.regex(stateOf(callee)!, /^[UN]10 Active$/);

    // now raise the forward rate: the callee receives more, so it asks for CONNECTION AVAILABLE
    t.true(caller.host.modify(call, { forward: 9000 }).ok);
    clock.advance(2);
    t.true(callee.host.modifyAccept(inCall).ok);
    clock.advance(1);
    t.is(callee.host.counters().timers, 1, 'T361 runs');
    clock.advance(2);
    const ack2 = sCallee.sent.filter((m) => m.type === MsgType.MODIFY_ACKNOWLEDGE)[1]!;
    t.is(findIe(ack2, IeId.BROADBAND_REPORT_TYPE)?.reportType, 1);
    t.true(types(sCaller.sent).includes(MsgType.CONNECTION_AVAILABLE));
    t.deepEqual(callee.of('modify-available'), [{ kind: 'modify-available', call: inCall }]);
    t.is(callee.host.counters().timers, 0, 'CONNECTION AVAILABLE stopped T361');
    t.deepEqual(peakCellRates(callee.host.traffic(inCall)), { forward: 9000, backward: 3000 });
    t.is(caller.host.counters().timers, 0, 'T360 stopped');

    caller.host.release(call);
    clock.advance(10);
    t.true(idle(caller, callee));
  });

  test(`${dir}: rejected: MODIFY REJECT with the callee's cause, the old rates stay, the call stays active`, (t) => {
    const { clock, caller, callee, sCallee, call, inCall } = active(dir);
    const before = peakCellRates(caller.host.traffic(call));
    t.true(caller.host.modify(call, { backward: 100 }).ok);
    clock.advance(2);
    t.true(callee.host.modifyReject(inCall, Cause.USER_CELL_RATE_NOT_AVAILABLE).ok);
    clock.advance(2);
    const rej = sCallee.sent.find((m) => m.type === MsgType.MODIFY_REJECT)!;
    t.is(findIe(rej, IeId.CAUSE)?.cause, 37);
    t.deepEqual(caller.of('modify-confirm'), [{ kind: 'modify-confirm', call, pcr: { backward: 100 }, accepted: false, cause: 37 }]);
    t.deepEqual(peakCellRates(caller.host.traffic(call)), before);
    t.deepEqual(peakCellRates(callee.host.traffic(inCall)), before);
    t.regex(stateOf(caller)!, /Active$/);
    t.is(caller.host.counters().timers, 0);
    // the default cause is 47 and a second modification works after a rejection
    t.true(caller.host.modify(call, { backward: 200 }).ok);
    clock.advance(2);
    t.true(callee.host.modifyReject(inCall).ok);
    clock.advance(2);
    t.is(caller.of('modify-confirm')[1]!.cause, 47);
  });

  test(`${dir}: T360: no answer clears the call with cause 102 naming T360; nothing earlier`, (t) => {
    const { clock, caller, callee, sCaller, call } = active(dir);
    t.true(caller.host.modify(call, { forward: 10 }).ok);
    clock.advance(29_999);
    t.false(types(sCaller.sent).includes(MsgType.RELEASE));
    t.deepEqual(caller.of('released'), []);
    clock.advance(1);
    const rel = sCaller.sent.find((m) => m.type === MsgType.RELEASE)!;
    t.is(findIe(rel, IeId.CAUSE)?.cause, 102);
    t.deepEqual(findIe(rel, IeId.CAUSE)?.diagnostic, Buffer.from('360'));
    t.deepEqual(caller.of('released').map((i) => i.cause), [102]);
    t.deepEqual(caller.of('modify-confirm'), []);
    clock.advance(10);
    t.deepEqual(callee.of('released').map((i) => i.cause), [102]);
    t.true(idle(caller, callee));
  });

  test(`${dir}: T361: no CONNECTION AVAILABLE: the new rates are taken as in force after 20 s, the call goes on`, (t) => {
    const { clock, caller, callee, sCaller, call, inCall } = active(dir);
    sCaller.filter = (m) => m.type !== MsgType.CONNECTION_AVAILABLE;
    t.true(caller.host.modify(call, { forward: 400_000 }).ok);
    clock.advance(2);
    t.true(callee.host.modifyAccept(inCall).ok);
    clock.advance(19_990);
    t.deepEqual(callee.of('modify-available'), []);
    clock.advance(10);
    t.deepEqual(callee.of('modify-available'), [{ kind: 'modify-available', call: inCall }]);
    t.deepEqual(callee.of('released'), []);
    t.regex(stateOf(callee)!, /Active$/);
    t.is(callee.host.counters().timers, 0);
  });

  test(`${dir}: refused locally: before Active, by the called side, a second request, bad rates, an answer with nothing asked`, (t) => {
    const clock = new Clock();
    const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B });
    const b = makeHost(clock, MAC_B, ['2002'], { '1001': MAC_A });
    const [sa] = link(clock, a, b);
    const r = a.host.setup({ called: '2002', multipoint: false });
    t.true(r.ok);
    if (!r.ok) return;
    const early = a.host.modify(r.value.call, { forward: 10 });
    t.false(early.ok);
    if (!early.ok) t.is(early.error.code, 'wrong-state');
    t.false(types(sa.sent).includes(MsgType.MODIFY_REQUEST));
    const x = active(dir);
    const called = x.callee.host.modify(x.inCall, { forward: 10 });
    t.false(called.ok);
    if (!called.ok) t.is(called.error.code, 'not-owner');
    for (const pcr of [{}, { forward: 0 }, { backward: 0x1000000 }]) {
      const bad = x.caller.host.modify(x.call, pcr);
      t.false(bad.ok);
      if (!bad.ok) t.is(bad.error.code, 'bad-traffic');
    }
    const nothing = x.callee.host.modifyAccept(x.inCall);
    t.false(nothing.ok);
    if (!nothing.ok) t.is(nothing.error.code, 'wrong-state');
    t.true(x.caller.host.modify(x.call, { forward: 10 }).ok);
    const second = x.caller.host.modify(x.call, { forward: 20 });
    t.false(second.ok);
    if (!second.ok) t.regex(second.error.message, /already under way/);
    x.clock.advance(2);
    t.is(x.sCaller.sent.filter((m) => m.type === MsgType.MODIFY_REQUEST).length, 1);
    t.is(x.caller.host.modify(999, { forward: 1 }).ok, false);
  });

  test(`${dir}: collision: the callee clears while the request is on its way; both ends finish clean, no confirm`, (t) => {
    const { clock, caller, callee, call, inCall } = active(dir);
    t.true(caller.host.modify(call, { forward: 10 }).ok);
    t.true(callee.host.release(inCall).ok); // crosses the MODIFY REQUEST
    clock.advance(10);
    t.deepEqual(caller.of('modify-confirm'), []);
    t.deepEqual(caller.of('released').map((i) => i.cause), [16]);
    t.true(idle(caller, callee));
  });

  test(`${dir}: collision: the caller clears while the callee decides; the late answer is refused locally`, (t) => {
    const { clock, caller, callee, call, inCall } = active(dir);
    t.true(caller.host.modify(call, { forward: 10 }).ok);
    clock.advance(2);
    t.is(callee.of('modify-request').length, 1);
    t.true(caller.host.release(call).ok);
    clock.advance(10);
    t.false(callee.host.modifyAccept(inCall).ok);
    t.true(idle(caller, callee));
  });

  test(`${dir}: a new request while T361 runs counts as the confirmation of the previous one`, (t) => {
    const { clock, caller, callee, sCaller, call, inCall } = active(dir);
    sCaller.filter = (m) => m.type !== MsgType.CONNECTION_AVAILABLE;
    t.true(caller.host.modify(call, { forward: 500_000 }).ok);
    clock.advance(2);
    t.true(callee.host.modifyAccept(inCall).ok);
    clock.advance(5);
    t.true(caller.host.modify(call, { forward: 600_000 }).ok);
    clock.advance(2);
    t.deepEqual(callee.ind.filter((i) => i.kind === 'modify-available' || i.kind === 'modify-request').map((i) => i.kind), [
      'modify-request',
      'modify-available',
      'modify-request',
    ]);
  });

  test(`${dir}: STATUS ENQUIRY during a modification is answered with call state 13 / 14`, (t) => {
    const { clock, caller, callee, sCaller, sCallee, call, inCall } = active(dir);
    t.true(caller.host.modify(call, { forward: 10 }).ok);
    clock.advance(2);
    t.true(caller.host.statusEnquiry(call).ok);
    t.true(callee.host.statusEnquiry(inCall).ok);
    clock.advance(4);
    const status = (ms: UniMessage[]) => findIe(ms.find((m) => m.type === MsgType.STATUS)!, IeId.CALL_STATE)?.state;
    t.is(status(sCallee.sent), 14, "the callee's answer");
    t.is(status(sCaller.sent), 13, "the caller's answer");
    t.deepEqual(caller.of('released'), [], 'states 13/14 are compatible with Active');
    t.deepEqual(callee.of('released'), []);
  });
}

test('a MODIFY REQUEST whose traffic descriptor breaks the PCR rules gets MODIFY REJECT 73; the host is not asked', (t) => {
  for (const side of ['user', 'network'] as const) {
    const d = drive(side, false, 'active-in');
    const td = { id: IeId.ATM_TRAFFIC_DESCRIPTOR as const, fields: [{ id: 0x84, value: 100 }, { id: 0x90, value: 50 }], bestEffort: false };
    const out = d.p.send({ type: MsgType.MODIFY_REQUEST, callRef: d.cref, callRefFlag: d.flag, ies: [td] });
    t.deepEqual(types(out), [MsgType.MODIFY_REJECT], side);
    t.is(findIe(out[0]!, IeId.CAUSE)?.cause, 73);
    t.deepEqual(d.p.h.of('modify-request'), []);
    // a MODIFY REQUEST without a traffic descriptor is a missing mandatory IE (STATUS 96)
    const none = d.p.send({ type: MsgType.MODIFY_REQUEST, callRef: d.cref, callRefFlag: d.flag, ies: [] });
    t.deepEqual(types(none), [MsgType.STATUS]);
    t.is(findIe(none[0]!, IeId.CAUSE)?.cause, 96);
  }
});

test('point-to-multipoint calls are not modified (Q.2963.1 covers point-to-point): refused locally', (t) => {
  const d = drive('network', true, 'active');
  const r = d.p.h.host.modify(d.call, { forward: 10 });
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'not-multipoint');
});

test('a MODIFY REQUEST on an active point-to-multipoint call, at the root or a leaf, either side of the link: MODIFY REJECT 63; the host is not asked, the call goes on', (t) => {
  const td = { id: IeId.ATM_TRAFFIC_DESCRIPTOR as const, fields: [{ id: 0x84, value: 100 }], bestEffort: false };
  for (const side of ['user', 'network'] as const) {
    for (const phase of ['active', 'active-in'] as const) {
      const what = `${phase === 'active' ? 'root' : 'leaf'}, ${side} side`;
      const d = drive(side, true, phase);
      const out = d.p.send({ type: MsgType.MODIFY_REQUEST, callRef: d.cref, callRefFlag: d.flag, ies: [td] });
      t.deepEqual(types(out), [MsgType.MODIFY_REJECT], what);
      t.is(findIe(out[0]!, IeId.CAUSE)?.cause, Cause.SERVICE_OR_OPTION_NOT_AVAILABLE, what);
      t.deepEqual(d.p.h.of('modify-request'), [], what);
      t.deepEqual(d.p.h.of('released'), [], what);
    }
  }
});

test('an owner that relays (a switch: modify-req with deferAvail) holds CONNECTION AVAILABLE back until avail-req, once', (t) => {
  const active: CallState = { ...newCall('network', 'p2p'), phase: 'active', owner: true };
  const sent = (fx: CallEffect[]) => fx.filter((f): f is Extract<CallEffect, { t: 'send' }> => f.t === 'send').map((f) => f.msg.type);
  const ack: UniMessage = { type: MsgType.MODIFY_ACKNOWLEDGE, callRef: 1, callRefFlag: true, ies: [{ id: IeId.BROADBAND_REPORT_TYPE, reportType: 1 }] };
  for (const defer of [false, true]) {
    const asked = stepModify(active, { k: 'modify-req', pcr: { forward: 500 }, ...(defer ? { deferAvail: true } : {}) });
    t.deepEqual(sent(asked.effects), [MsgType.MODIFY_REQUEST]);
    const acked = stepModify(asked.state, { k: 'msg', msg: ack });
    const confirm = acked.effects.find((f): f is Extract<CallEffect, { t: 'ind' }> => f.t === 'ind')?.ind;
    if (!defer) {
      t.deepEqual(sent(acked.effects), [MsgType.CONNECTION_AVAILABLE], 'a host answers at once');
      t.deepEqual(confirm, { k: 'modify-confirm', pcr: { forward: 500 } });
      t.deepEqual(stepModify(acked.state, { k: 'avail-req' }).effects, [], 'nothing owed');
      continue;
    }
    t.deepEqual(sent(acked.effects), [], 'held back');
    t.deepEqual(confirm, { k: 'modify-confirm', pcr: { forward: 500 }, confirm: true });
    const avail = stepModify(acked.state, { k: 'avail-req' });
    t.deepEqual(sent(avail.effects), [MsgType.CONNECTION_AVAILABLE]);
    t.deepEqual(stepModify(avail.state, { k: 'avail-req' }).effects, [], 'sent once');
    // an acknowledgement without the report type owes nothing
    const plain = stepModify(asked.state, { k: 'msg', msg: { ...ack, ies: [] } });
    t.deepEqual(sent(plain.effects), []);
    t.deepEqual(stepModify(plain.state, { k: 'avail-req' }).effects, []);
  }
});

test('T360 and T361 are configurable', (t) => {
  const { clock, caller, sCaller, call } = active('caller network side', { timers: { t360: 1_000 } });
  t.true(caller.host.modify(call, { forward: 10 }).ok);
  clock.advance(999);
  t.false(types(sCaller.sent).includes(MsgType.RELEASE));
  clock.advance(1);
  t.true(types(sCaller.sent).includes(MsgType.RELEASE));
});
