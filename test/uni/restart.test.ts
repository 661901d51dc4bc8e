/**
 * The RESTART procedures (Q.2931 5.5) as a pure step: state and event in, state and effects out.
 * The end-to-end behaviour over two hosts is in timers.test.ts and errors.test.ts.
 */
import test from 'ava';
import { msg } from '../../src/uni/call-ies.js';
import { Cause, IeId, MsgType, type UniMessage } from '../../src/uni/msg/types.js';
import { RESTART_IDLE, restartStep, type RestartProcs, type RestartEffect } from '../../src/uni/restart.js';
import { RestartState } from '../../src/uni/states.js';

const name = (t: number): string => MsgType[t] ?? String(t);
const kinds = (fx: readonly RestartEffect[]): string[] => fx.map((f) => (f.k === 'start' || f.k === 'stop' ? `${f.k} ${f.t}` : f.k));
const global = (type: number, flag: boolean, ies: UniMessage['ies'] = []): UniMessage => ({ ...msg(type, ies), callRef: 0, callRefFlag: flag });
const indicator = (restartClass: number) => ({ id: IeId.RESTART_INDICATOR, restartClass }) as UniMessage['ies'][number];
const connId = (vpci: number, vci: number) => ({ id: IeId.CONNECTION_IDENTIFIER, vpci, vci, assoc: 1, excl: 0 }) as unknown as UniMessage['ies'][number];

test('restart of the whole link: calls released with cause 41 first, then RESTART (class 2), then T316; REST1', (t) => {
  const r = restartStep(RESTART_IDLE, { k: 'request', scope: { all: true } });
  t.true(r.ok);
  t.is(r.state.restart, RestartState.REST1);
  t.deepEqual(kinds(r.effects), ['release', 'send', 'start t316']);
  t.deepEqual(r.effects[0], { k: 'release', what: 'all', cause: Cause.TEMPORARY_FAILURE });
  const sent = (r.effects[1] as { m: UniMessage }).m;
  t.is(sent.type, MsgType.RESTART);
  t.false(sent.callRefFlag);
  t.like(sent.ies.find((i) => i.id === IeId.RESTART_INDICATOR), { restartClass: 2 });
});

test('one restart at a time: a second request is refused and changes nothing', (t) => {
  const s = restartStep(RESTART_IDLE, { k: 'request', scope: { vpi: 0, vci: 40 } }).state;
  const r = restartStep(s, { k: 'request', scope: { all: true } });
  t.false(r.ok);
  t.is(r.state, s);
  t.deepEqual(r.effects, []);
});

test('T316: RESTART goes out a second time; when T316 expires again the restart is given up and counted (cause 102)', (t) => {
  let s: RestartProcs = restartStep(RESTART_IDLE, { k: 'request', scope: { all: true } }).state;
  const first = restartStep(s, { k: 't316' });
  t.deepEqual(kinds(first.effects), ['send', 'start t316']);
  s = first.state;
  const second = restartStep(s, { k: 't316' });
  t.is(second.state.restart, RestartState.REST0);
  t.deepEqual(second.effects, [{ k: 'count', cause: Cause.RECOVERY_ON_TIMER_EXPIRY, text: 'RESTART not acknowledged (T316 expired twice)' }]);
});

test('RESTART ACKNOWLEDGE with our class ends the restart and stops T316; with another class it is not our answer', (t) => {
  const s = restartStep(RESTART_IDLE, { k: 'request', scope: { all: true } }).state;
  const other = restartStep(s, { k: 'message', m: global(MsgType.RESTART_ACKNOWLEDGE, true, [indicator(0)]), name });
  t.is(other.state, s);
  const ours = restartStep(s, { k: 'message', m: global(MsgType.RESTART_ACKNOWLEDGE, true, [indicator(2)]), name });
  t.is(ours.state.restart, RestartState.REST0);
  t.deepEqual(kinds(ours.effects), ['stop t316']);
});

test('a RESTART ACKNOWLEDGE with no restart of ours is answered with STATUS 101 carrying REST0', (t) => {
  const r = restartStep(RESTART_IDLE, { k: 'message', m: global(MsgType.RESTART_ACKNOWLEDGE, true, [indicator(2)]), name });
  t.deepEqual(kinds(r.effects), ['reply']);
  const st = (r.effects[0] as { m: UniMessage }).m;
  t.is(st.type, MsgType.STATUS);
  t.like(st.ies.find((i) => i.id === IeId.CALL_STATE), { state: RestartState.REST0 });
  t.like(st.ies.find((i) => i.id === IeId.CAUSE), { cause: Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE });
});

test("the peer's RESTART of one VC: T317, that VC's calls released, the layer above told, REST2 with the acknowledgement ready", (t) => {
  const r = restartStep(RESTART_IDLE, { k: 'message', m: global(MsgType.RESTART, false, [connId(0, 40), indicator(0)]), name });
  t.deepEqual(kinds(r.effects), ['start t317', 'release', 'restarted']);
  t.deepEqual(r.effects[1], { k: 'release', what: { vpi: 0, vci: 40 }, cause: Cause.TEMPORARY_FAILURE });
  t.deepEqual(r.effects[2], { k: 'restarted', restartClass: 0, vc: { vpi: 0, vci: 40 } });
  t.is(r.state.respond, RestartState.REST2);
  const a = restartStep(r.state, { k: 'answer' });
  t.true(a.ok);
  t.deepEqual(kinds(a.effects), ['stop t317', 'send']);
  const ack = (a.effects[1] as { m: UniMessage }).m;
  t.is(ack.type, MsgType.RESTART_ACKNOWLEDGE);
  t.true(ack.callRefFlag);
  t.is(a.state.respond, RestartState.REST0);
  // nothing is waiting any more
  t.false(restartStep(a.state, { k: 'answer' }).ok);
});

test('a virtual path restart (class 1) releases the calls of that VPI', (t) => {
  const r = restartStep(RESTART_IDLE, { k: 'message', m: global(MsgType.RESTART, false, [connId(3, 0), indicator(1)]), name });
  t.deepEqual(r.effects[1], { k: 'release', what: { vpi: 3 }, cause: Cause.TEMPORARY_FAILURE });
});

test("T317 expiry: the peer's restart is given up without an acknowledgement (counted)", (t) => {
  const s = restartStep(RESTART_IDLE, { k: 'message', m: global(MsgType.RESTART, false, [indicator(2)]), name }).state;
  const r = restartStep(s, { k: 't317' });
  t.is(r.state.respond, RestartState.REST0);
  t.deepEqual(kinds(r.effects), ['count']);
});

test('bad RESTARTs are answered with STATUS: wrong flag (81), no indicator (96), class 0 without a VC (96), unknown class (100), one already answering (101)', (t) => {
  const cause = (s: RestartProcs, m: UniMessage): number | undefined => {
    const r = restartStep(s, { k: 'message', m, name });
    const st = r.effects.find((f) => f.k === 'reply') as { m: UniMessage } | undefined;
    return (st?.m.ies.find((i) => i.id === IeId.CAUSE) as { cause: number } | undefined)?.cause;
  };
  t.is(cause(RESTART_IDLE, global(MsgType.RESTART, true, [indicator(2)])), Cause.INVALID_CALL_REFERENCE_VALUE);
  t.is(cause(RESTART_IDLE, global(MsgType.RESTART, false)), Cause.MANDATORY_INFORMATION_ELEMENT_MISSING);
  t.is(cause(RESTART_IDLE, global(MsgType.RESTART, false, [indicator(0)])), Cause.MANDATORY_INFORMATION_ELEMENT_MISSING);
  t.is(cause(RESTART_IDLE, global(MsgType.RESTART, false, [indicator(5)])), Cause.INVALID_INFORMATION_ELEMENT_CONTENTS);
  const answering = restartStep(RESTART_IDLE, { k: 'message', m: global(MsgType.RESTART, false, [indicator(2)]), name }).state;
  t.is(cause(answering, global(MsgType.RESTART, false, [indicator(2)])), Cause.MESSAGE_NOT_COMPATIBLE_WITH_CALL_STATE);
});

test('any other message on the global call reference is counted and answered with STATUS 81; STATUS itself is ignored', (t) => {
  const r = restartStep(RESTART_IDLE, { k: 'message', m: global(MsgType.CONNECT, false), name });
  t.deepEqual(kinds(r.effects), ['count', 'reply']);
  t.like(r.effects[0], { cause: Cause.INVALID_CALL_REFERENCE_VALUE, text: 'CONNECT on the global call reference' });
  t.deepEqual(restartStep(RESTART_IDLE, { k: 'message', m: global(MsgType.STATUS, false), name }).effects, []);
});

test('link loss ends both processes and stops both timers', (t) => {
  let s = restartStep(RESTART_IDLE, { k: 'request', scope: { all: true } }).state;
  s = restartStep(s, { k: 'message', m: global(MsgType.RESTART, false, [indicator(2)]), name }).state;
  const r = restartStep(s, { k: 'link-lost' });
  t.is(r.state, RESTART_IDLE);
  t.deepEqual(kinds(r.effects), ['stop t316', 'stop t317']);
});
