/** The pure machines on their own: same input, same output, inputs untouched. */
import test from 'ava';
import { newCall, stepCall, compatible, type CallState } from '../../src/uni/call.js';
import { newParty, stepParty, PartyState } from '../../src/uni/party.js';
import { callStateCode, phaseOfCode } from '../../src/uni/states.js';
import { MsgType, IeId, type UniMessage } from '../../src/uni/msg/types.js';

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Buffer.isBuffer(o) && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

const m = (type: MsgType, ies: UniMessage['ies'] = []): UniMessage => ({ type, callRef: 0, callRefFlag: false, ies });

test('call machine: outgoing call on the user side walks U0 -> U1 -> U3 -> U4 -> U10, timers as effects', (t) => {
  let s: CallState = newCall('user', 'p2p');
  const setup = deepFreeze(m(MsgType.SETUP));
  let r = stepCall(deepFreeze(s), { k: 'setup-req', msg: setup });
  t.is(callStateCode(r.state.phase, 'user'), 1);
  t.deepEqual(r.effects.map((e) => e.t), ['send', 'start']);
  s = r.state;
  r = stepCall(deepFreeze(s), { k: 'msg', msg: deepFreeze(m(MsgType.CALL_PROCEEDING, [{ id: IeId.CONNECTION_IDENTIFIER, vpAssociated: 1, exclusive: 0, vpci: 0, vci: 77 }])) });
  t.is(callStateCode(r.state.phase, 'user'), 3);
  t.deepEqual(r.state.vc, { vpi: 0, vci: 77 });
  t.deepEqual(r.effects.filter((e) => e.t === 'start' || e.t === 'stop').map((e) => [e.t, 'timer' in e ? e.timer : '']), [['stop', 't303'], ['start', 't310']]);
  s = r.state;
  r = stepCall(deepFreeze(s), { k: 'msg', msg: deepFreeze(m(MsgType.ALERTING)) });
  t.is(callStateCode(r.state.phase, 'user'), 4);
  r = stepCall(deepFreeze(r.state), { k: 'msg', msg: deepFreeze(m(MsgType.CONNECT)) });
  t.is(callStateCode(r.state.phase, 'user'), 10);
  t.true(r.effects.some((e) => e.t === 'send' && e.msg.type === MsgType.CONNECT_ACKNOWLEDGE));
});

test('call machine: deterministic; the network side names the same phases N6/N9/N7/N10', (t) => {
  const s0 = deepFreeze(newCall('network', 'p2p', { vpi: 0, vci: 32 }));
  const a = stepCall(s0, { k: 'setup-req', msg: deepFreeze(m(MsgType.SETUP)) });
  const b = stepCall(s0, { k: 'setup-req', msg: deepFreeze(m(MsgType.SETUP)) });
  t.deepEqual(a, b);
  t.is(callStateCode(a.state.phase, 'network'), 6);
  const sent = a.effects.find((e) => e.t === 'send');
  t.truthy(sent && sent.t === 'send' && sent.msg.ies.find((ie) => ie.id === IeId.CONNECTION_IDENTIFIER), 'network side puts the VC in its SETUP');
  t.is(callStateCode('out-proceeding', 'network'), 9);
  t.is(callStateCode('out-alerting', 'network'), 7);
  t.is(callStateCode('rel-sent', 'network'), 12);
  t.is(callStateCode('rel-rcvd', 'network'), 11);
  t.is(phaseOfCode(12, 'network'), 'rel-sent');
});

test('call machine: STATUS compatibility', (t) => {
  const u1 = { ...newCall('user', 'p2p'), phase: 'out-setup' as const };
  t.false(compatible(u1, 6), 'both think they called');
  t.true(compatible(u1, 1), 'the network has our SETUP');
  t.true(compatible(u1, 10), 'may predate a change');
  const u6 = { ...newCall('user', 'p2p'), phase: 'in-setup' as const };
  t.false(compatible(u6, 1), 'both think they were called');
  t.true(compatible(u6, 6));
});

test('call machine: every event in Null but SETUP does nothing; local release of an active call tells the host once', (t) => {
  const n = deepFreeze(newCall('user', 'p2p'));
  for (const e of [{ k: 'proceeding-req' }, { k: 'alerting-req' }, { k: 'connect-req' }, { k: 'release-req', cause: 16 }, { k: 'timer', timer: 't303' }] as const)
    t.deepEqual(stepCall(n, e).effects, []);
  const act = deepFreeze({ ...newCall('user', 'p2p'), phase: 'active' as const });
  const r = stepCall(act, { k: 'local-release', cause: 27 });
  t.is(r.state.phase, 'null');
  t.deepEqual(r.effects.filter((e) => e.t === 'ind').map((e) => e.t === 'ind' && e.ind), [{ k: 'released', cause: 27, remote: false }]);
  t.deepEqual(stepCall(r.state, { k: 'local-release', cause: 27 }).effects, []);
});

test('party machine: root P0 -> P1 -> P4 -> P7 -> P5 -> P0 with T399/T397/T398 as effects', (t) => {
  let p = deepFreeze(newParty('root', 'network', false));
  let r = stepParty(p, { k: 'add-req', msg: deepFreeze(m(MsgType.ADD_PARTY)) });
  t.is(r.state.st, PartyState.P1);
  t.deepEqual(r.effects.map((e) => (e.t === 'start' ? `start ${e.timer}` : e.t)), ['send', 'start t399']);
  r = stepParty(deepFreeze(r.state), { k: 'msg', msg: deepFreeze(m(MsgType.PARTY_ALERTING)) });
  t.is(r.state.st, PartyState.P4);
  t.deepEqual(r.effects.map((e) => (e.t === 'start' ? `start ${e.timer}` : e.t)), ['stop', 'start t397', 'ind']);
  r = stepParty(deepFreeze(r.state), { k: 'msg', msg: deepFreeze(m(MsgType.ADD_PARTY_ACKNOWLEDGE)) });
  t.is(r.state.st, PartyState.P7);
  r = stepParty(deepFreeze(r.state), { k: 'drop-req', cause: 31, closeData: Buffer.from('cd') });
  t.is(r.state.st, PartyState.P5);
  const dp = r.effects.find((e) => e.t === 'send');
  t.deepEqual(dp && dp.t === 'send' ? dp.msg.ies.find((ie) => ie.id === IeId.USER_USER) : undefined, { id: IeId.USER_USER, protocol: 0, data: Buffer.from('cd') });
  p = r.state;
  r = stepParty(deepFreeze(p), { k: 'msg', msg: deepFreeze(m(MsgType.DROP_PARTY_ACKNOWLEDGE)) });
  t.is(r.state.st, PartyState.P0);
  t.deepEqual(r.effects.map((e) => e.t), ['stop', 'ind', 'gone']);
});

test('party machine: leaf P0 -> P2 -> P3 -> P7; DROP PARTY in P7 answered with DROP PARTY ACK; STATUS epstate checks', (t) => {
  let r = stepParty(deepFreeze(newParty('leaf', 'user', false)), { k: 'add-ind', first: false });
  t.is(r.state.st, PartyState.P2);
  r = stepParty(deepFreeze(r.state), { k: 'alerting-req' });
  t.is(r.state.st, PartyState.P3);
  r = stepParty(deepFreeze(r.state), { k: 'ack-req' });
  t.is(r.state.st, PartyState.P7);
  const active = r.state;
  const d = stepParty(deepFreeze(active), { k: 'msg', msg: deepFreeze(m(MsgType.DROP_PARTY, [{ id: IeId.CAUSE, location: 0, cause: 16, diagnostic: Buffer.alloc(0) }])) });
  t.is(d.state.st, PartyState.P0);
  t.true(d.effects.some((e) => e.t === 'send' && e.msg.type === MsgType.DROP_PARTY_ACKNOWLEDGE));
  const st = (ep: number) => deepFreeze(m(MsgType.STATUS, [{ id: IeId.CALL_STATE, state: 10 }, { id: IeId.CAUSE, location: 0, cause: 30, diagnostic: Buffer.alloc(0) }, { id: IeId.ENDPOINT_STATE, state: ep }]));
  t.is(stepParty(active, { k: 'msg', msg: st(0) }).state.st, PartyState.P0, 'peer has no such party');
  t.is(stepParty(active, { k: 'msg', msg: st(0x0a) }).state.st, PartyState.P7, 'compatible');
  const p2 = stepParty(deepFreeze(newParty('leaf', 'user', false)), { k: 'add-ind', first: false }).state;
  t.is(stepParty(p2, { k: 'msg', msg: st(0x06) }).state.st, PartyState.P5, 'both in Add Party Received: drop with 101');
});
