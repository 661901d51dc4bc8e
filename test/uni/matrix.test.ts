/**
 * The whole (call state x received message) matrix, both sides of the link,
 * point-to-point and point-to-multipoint: every pair is either a transition
 * the procedures define or the Q.2931 5.6 answer (STATUS 101 / 97, or silence
 * where the standard says ignore); nothing throws and nothing leaks.
 */
import test from 'ava';
import { drive, ep, cause, connId, setupIes, probe, type Driven } from './probe.js';
import { findIe, IeId, MsgType, type InfoElement, type UniMessage } from '../../src/uni/msg/types.js';
import { callStateCode, type CallPhase, type Side } from '../../src/uni/states.js';
import { callStateName } from '../../src/uni/msg/index.js';

const NONEXISTENT = 0x33;
const TYPES: number[] = [...(Object.values(MsgType).filter((v) => typeof v === 'number') as number[]), NONEXISTENT];

function build(d: Driven, type: number, multipoint: boolean, side: Side): UniMessage {
  const epIe = ep(d.ep, d.epFlag);
  const answer: InfoElement[] = [...(side === 'user' ? [connId(41)] : []), ...(multipoint ? [epIe] : [])];
  const ies: Record<number, InfoElement[]> = {
    [MsgType.SETUP]: setupIes(multipoint, '1001', side === 'user'),
    [MsgType.CALL_PROCEEDING]: answer,
    [MsgType.ALERTING]: answer,
    [MsgType.CONNECT]: answer,
    [MsgType.RELEASE]: [cause(16)],
    [MsgType.RELEASE_COMPLETE]: [cause(16)],
    [MsgType.STATUS]: [{ id: IeId.CALL_STATE, state: 10 }, cause(30)],
    [MsgType.NOTIFY]: [{ id: IeId.NOTIFICATION_INDICATOR, content: Buffer.from([1]) }],
    [MsgType.RESTART]: [{ id: IeId.RESTART_INDICATOR, restartClass: 2 }],
    [MsgType.RESTART_ACKNOWLEDGE]: [{ id: IeId.RESTART_INDICATOR, restartClass: 2 }],
    [MsgType.ADD_PARTY]: [{ id: IeId.CALLED_PARTY_NUMBER, typeOfNumber: 1, plan: 1, address: Buffer.from('1011') }, ep(77, false)],
    [MsgType.ADD_PARTY_ACKNOWLEDGE]: [epIe],
    [MsgType.PARTY_ALERTING]: [epIe],
    [MsgType.ADD_PARTY_REJECT]: [cause(31), epIe],
    [MsgType.DROP_PARTY]: [cause(31), epIe],
    [MsgType.DROP_PARTY_ACKNOWLEDGE]: [cause(31), epIe],
    [MsgType.MODIFY_REQUEST]: [{ id: IeId.ATM_TRAFFIC_DESCRIPTOR, fields: [{ id: 0x84, value: 1000 }], bestEffort: false }],
    [MsgType.MODIFY_REJECT]: [cause(47)],
  };
  return { type, callRef: d.cref, callRefFlag: d.flag, ies: ies[type] ?? [] };
}

type Want = 'defined' | '101' | '97' | 'ignore';

/** what the standards make of `type` arriving in `ph` (our phase; `kind` of call; `side` we play) */
function want(ph: CallPhase, kind: 'p2p' | 'root' | 'leaf', side: Side, type: number, called: boolean): Want {
  const out = ph === 'out-setup' || ph === 'out-proceeding' || ph === 'out-alerting';
  switch (type) {
    case NONEXISTENT:
      return '97';
    case MsgType.SETUP:
      return 'ignore'; // a repeated SETUP for a call we have
    case MsgType.RESTART:
    case MsgType.RESTART_ACKNOWLEDGE:
      return '101'; // only on the global call reference
    case MsgType.NOTIFY:
    case MsgType.STATUS_ENQUIRY:
    case MsgType.STATUS:
    case MsgType.RELEASE:
    case MsgType.RELEASE_COMPLETE:
      return 'defined';
    case MsgType.CALL_PROCEEDING:
      return ph === 'out-setup' ? 'defined' : '101';
    case MsgType.ALERTING:
      return ph === 'out-setup' || ph === 'out-proceeding' ? 'defined' : '101';
    case MsgType.CONNECT:
      return out ? 'defined' : '101';
    case MsgType.CONNECT_ACKNOWLEDGE:
      return ph === 'in-connect' || (ph === 'active' && side === 'network') ? 'defined' : ph === 'active' ? 'ignore' : '101';
    // Q.2963.1: point-to-point calls only; the called side is asked, the calling side (the owner) asks;
    // an active point-to-multipoint call answers MODIFY REJECT 63 (test/uni/modify.test.ts)
    case MsgType.MODIFY_REQUEST:
      return (kind === 'p2p' && ph === 'active' && called) || (kind !== 'p2p' && ph === 'active') ? 'defined' : '101';
    case MsgType.MODIFY_ACKNOWLEDGE:
    case MsgType.MODIFY_REJECT:
      return '101'; // nothing was asked
    case MsgType.CONNECTION_AVAILABLE:
      return kind === 'p2p' && ph === 'active' && called ? 'ignore' : '101'; // not asked for: nothing to do
  }
  // party messages
  if (kind === 'p2p') return '101';
  if (ph === 'rel-sent') return 'ignore';
  switch (type) {
    case MsgType.ADD_PARTY:
      return kind === 'leaf' && (ph === 'in-alerting' || ph === 'in-connect' || ph === 'active') ? 'defined' : '101';
    case MsgType.ADD_PARTY_ACKNOWLEDGE:
      // the first party is in P4 after ALERTING, P7 once active
      return kind === 'root' && ph === 'out-alerting' ? 'defined' : '101';
    case MsgType.PARTY_ALERTING:
      return '101'; // the first party never gets PARTY ALERTING (P1 only reached before the call may carry it)
    case MsgType.ADD_PARTY_REJECT:
      return kind === 'root' && ph === 'out-alerting' ? 'defined' : '101';
    case MsgType.DROP_PARTY:
      return ph === 'out-setup' || ph === 'out-proceeding' ? '101' : 'defined';
    case MsgType.DROP_PARTY_ACKNOWLEDGE:
      return ph === 'out-alerting' || ph === 'in-alerting' || ph === 'in-connect' || ph === 'active' ? 'defined' : '101';
  }
  return '101';
}

const cases: { side: Side; mp: boolean; phase: CallPhase | 'active-in' }[] = [];
for (const side of ['user', 'network'] as Side[])
  for (const mp of [false, true])
    for (const phase of ['out-setup', 'out-proceeding', 'out-alerting', 'active', 'rel-sent', 'in-setup', 'in-proceeding', 'in-alerting', 'in-connect', 'active-in'] as const) {
      if (phase === 'in-connect' && side === 'network') continue; // the network side is Active as soon as it sends CONNECT
      cases.push({ side, mp, phase });
    }

for (const { side, mp, phase } of cases) {
  const ph: CallPhase = phase === 'active-in' ? 'active' : phase;
  const kind = !mp ? 'p2p' : phase.startsWith('in-') || phase === 'active-in' ? 'leaf' : 'root';
  const code = callStateCode(ph, side);
  test(`matrix ${side} side, ${kind}, ${callStateName(code, side)}${phase === 'active-in' ? ' (called)' : ''}`, (t) => {
    for (const type of TYPES) {
      const d = drive(side, mp, phase);
      const snap = d.p.h.host.snapshot();
      t.is(snap.calls[0]?.links[0]?.state, callStateName(code, side), `driven into ${phase}`);
      const w = want(ph, kind, side, type, phase === 'active-in');
      const label = `${callStateName(code, side)} <- 0x${type.toString(16)}: want ${w}`;
      let answer: UniMessage[] = [];
      t.notThrows(() => {
        answer = d.p.send(build(d, type, mp, side));
      }, label);
      const statuses = answer.filter((m) => m.type === MsgType.STATUS);
      const causes = statuses.map((m) => findIe(m, IeId.CAUSE)?.cause);
      if (w === '101' || w === '97') {
        t.deepEqual(causes, [w === '101' ? 101 : 97], label);
        t.is(findIe(statuses[0]!, IeId.CALL_STATE)?.state, code, label);
        t.is(answer.length, 1, label);
      } else if (w === 'ignore') {
        t.deepEqual(answer, [], label);
      } else {
        t.false(causes.some((c) => c === 101 || c === 97), `${label}: ${JSON.stringify(causes)}`);
      }
      // whatever happened, disposing leaves nothing: no timer, party or subscription
      d.p.h.host.dispose();
      t.is(d.p.h.host.counters().timers, 0, label);
      t.is(d.p.h.host.counters().parties, 0, label);
      t.false(d.p.sa.signals.observed, label);
    }
  });
}

test('matrix: unknown call reference (Null): SETUP creates, RELEASE COMPLETE ignored, STATUS ENQUIRY -> STATUS U0/N0 30, STATUS non-null -> RELEASE COMPLETE 101, else RELEASE COMPLETE 81', (t) => {
  for (const side of ['user', 'network'] as Side[])
    for (const type of TYPES) {
      const p = probe(side);
      const m: UniMessage = { type, callRef: 777, callRefFlag: false, ies: [] };
      if (type === MsgType.SETUP) m.ies = setupIes(false, '1001', side === 'user');
      if (type === MsgType.STATUS) m.ies = [{ id: IeId.CALL_STATE, state: 10 }, cause(30)];
      if (type === MsgType.STATUS_ENQUIRY) m.ies = [ep(5, false)];
      let answer: UniMessage[] = [];
      t.notThrows(() => {
        answer = p.send(m);
      });
      const label = `${side} Null <- 0x${type.toString(16)}`;
      if (type === MsgType.SETUP) {
        t.is(p.h.of('setup').length, 1, label);
        t.deepEqual(answer, [], label);
      } else if (type === MsgType.RELEASE_COMPLETE) t.deepEqual(answer, [], label);
      else if (type === MsgType.STATUS_ENQUIRY) {
        t.is(answer.length, 1);
        t.is(answer[0]!.type, MsgType.STATUS, label);
        t.is(findIe(answer[0]!, IeId.CALL_STATE)?.state, 0);
        t.is(findIe(answer[0]!, IeId.CAUSE)?.cause, 30);
        t.deepEqual(findIe(answer[0]!, IeId.ENDPOINT_REFERENCE), { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: true, value: 5 });
        t.is(findIe(answer[0]!, IeId.ENDPOINT_STATE)?.state, 0);
        t.true(answer[0]!.callRefFlag);
      } else {
        t.is(answer.length, 1, label);
        t.is(answer[0]!.type, MsgType.RELEASE_COMPLETE, label);
        t.is(findIe(answer[0]!, IeId.CAUSE)?.cause, type === MsgType.STATUS ? 101 : 81, label);
        t.is(answer[0]!.callRef, 777);
        t.true(answer[0]!.callRefFlag, 'flag inverted');
      }
      p.h.host.dispose();
    }
});
