import test from 'ava';
import {
  initialSscopState,
  sscopStep,
  sscopParams,
  seqRel,
  SSCOP_STATE_NUMBER,
  type SscopPdu,
  type SscopStateName,
  type StatPdu,
  type UstatPdu,
} from '../../src/sscop/index.js';
import { Pump, loseOnce, rebase } from './pump.js';

const E = Buffer.alloc(0);
const types = (pdus: SscopPdu[]) => pdus.map((p) => p.type);
const range = (n: number, f: (i: number) => string = (i) => `m${i}`) => Array.from({ length: n }, (_, i) => f(i));

// ------------------------------------------------------------ parameters and states

test('defaults are the Q.2130 UNI values', (t) => {
  const p = sscopParams();
  t.like(p, { timerCC: 1000, timerPoll: 750, timerKeepAlive: 2000, timerIdle: 15000, timerNoResponse: 7000, maxCC: 4, maxPD: 25, maxSTAT: 67, window: 128 });
});

test('invalid parameters are refused with every problem named', (t) => {
  const e = t.throws(() => sscopParams({ maxSTAT: 4, maxCC: 0, timerPoll: -1 }), { instanceOf: RangeError });
  t.regex(e!.message, /maxSTAT must be odd/);
  t.regex(e!.message, /maxCC/);
  t.regex(e!.message, /timerPoll/);
});

test('the ten states carry the Q.2110 names and numbers', (t) => {
  t.is(Object.keys(SSCOP_STATE_NUMBER).length, 10);
  t.is(SSCOP_STATE_NUMBER['Idle'], 1);
  t.is(SSCOP_STATE_NUMBER['Data Transfer Ready'], 10);
  t.is(initialSscopState().name, 'Idle');
});

test('step is pure: the input state is never modified', (t) => {
  const p = new Pump().establish();
  p.send('a', 'x', 'y');
  const before = p.a.s;
  const snapshot = JSON.stringify({ ...before, txBuf: [...before.txBuf], rxBuf: [...before.rxBuf] });
  const r = sscopStep(before, { kind: 'pdu', pdu: { type: 'STAT', nps: 0, nmr: 200, nr: 2, list: [] } });
  t.not(r.state, before);
  t.is(JSON.stringify({ ...before, txBuf: [...before.txBuf], rxBuf: [...before.rxBuf] }), snapshot);
});

// ------------------------------------------------------------ connection control

test('establishment: BGN / BGAK, timers, signals', (t) => {
  const p = new Pump();
  p.b.autoRespond = false;
  const fx = p.step('a', { kind: 'AA-ESTABLISH.request', uu: Buffer.from('hi') });
  t.is(p.a.s.name, 'Outgoing Connection Pending');
  t.deepEqual(fx, [
    { kind: 'send', pdu: { type: 'BGN', nsq: 1, nmr: 128, uu: Buffer.from('hi') }, retransmission: false },
    { kind: 'start-timer', timer: 'CC', ms: 1000 },
  ]);
  p.run();
  t.is(p.b.s.name, 'Incoming Connection Pending');
  t.deepEqual(p.b.signals, [{ kind: 'AA-ESTABLISH.indication', uu: Buffer.from('hi') }]);
  p.step('b', { kind: 'AA-ESTABLISH.response', uu: Buffer.from('ok') });
  t.is(p.b.s.name, 'Data Transfer Ready');
  t.deepEqual(types(p.b.sent), ['BGAK']);
  t.true(p.b.s.timers.POLL && p.b.s.timers.NO_RESPONSE);
  p.run();
  t.is(p.a.s.name, 'Data Transfer Ready');
  t.deepEqual(p.a.signals, [{ kind: 'AA-ESTABLISH.confirm', uu: Buffer.from('ok') }]);
  t.false(p.a.s.timers.CC);
  t.true(p.a.s.timers.POLL && p.a.s.timers.NO_RESPONSE);
  t.is(p.a.s.vtMS, 128);
});

test('collision: both ends send BGN at once, both end in Data Transfer Ready with a confirm', (t) => {
  const p = new Pump();
  p.step('a', { kind: 'AA-ESTABLISH.request' });
  p.step('b', { kind: 'AA-ESTABLISH.request' });
  p.run();
  for (const e of [p.a, p.b]) {
    t.is(e.s.name, 'Data Transfer Ready');
    t.deepEqual(
      e.signals.map((s) => s.kind),
      ['AA-ESTABLISH.confirm'],
    );
    t.false(e.s.timers.CC);
    // the crossing BGAK arrives in Data Transfer Ready: MAA-ERROR C, no harm done
    t.deepEqual(e.maa, ['C']);
  }
  p.a.clear();
  p.send('a', 'after collision');
  p.run();
  t.deepEqual(p.b.delivered(), ['after collision']);
});

test('collision on a reordering wire: the peer BGN overtaken by its BGAK is taken as the crossing BGN, no reset', (t) => {
  const p = new Pump();
  p.step('a', { kind: 'AA-ESTABLISH.request' });
  p.step('b', { kind: 'AA-ESTABLISH.request' });
  const bgnFromB = p.wire.find((x) => x.to === 'a')!;
  p.wire = p.wire.filter((x) => x !== bgnFromB);
  p.run(); // b gets a's BGN and answers BGAK; a gets the BGAK first
  t.is(p.a.s.name, 'Data Transfer Ready');
  t.true(p.a.s.crossing);
  p.wire.push(bgnFromB); // now the late BGN
  p.run();
  t.deepEqual(p.a.signals.map((s) => s.kind), ['AA-ESTABLISH.confirm']);
  t.deepEqual(p.b.signals.map((s) => s.kind), ['AA-ESTABLISH.confirm']);
  t.like(p.a.effects.find((e) => e.kind === 'discard'), { reason: 'crossing-bgn' });
  p.send('a', 'x');
  p.send('b', 'y');
  p.run();
  t.deepEqual(p.b.delivered(), ['x']);
  t.deepEqual(p.a.delivered(), ['y']);
  // once polling has started, a BGN with a new N(SQ) is the peer starting over again
  const q = new Pump().establish();
  q.fire('a', 'POLL');
  q.run();
  q.a.clear();
  q.inject('a', { type: 'BGN', nsq: 77, nmr: 128, uu: E });
  t.deepEqual(q.a.signals.map((s) => s.kind), ['AA-RELEASE.indication', 'AA-ESTABLISH.indication']);
});

test('BGREJ: a refused connection; a retransmitted refused BGN (same N(SQ)) is refused again without asking the user', (t) => {
  const p = new Pump();
  p.b.autoRespond = false;
  p.step('a', { kind: 'AA-ESTABLISH.request', uu: Buffer.from('x') });
  const bgn = p.wire[0]!.pdu;
  p.run();
  p.step('b', { kind: 'AA-RELEASE.request', uu: Buffer.from('no') });
  t.is(p.b.s.name, 'Idle');
  t.deepEqual(p.b.sent, [{ type: 'BGREJ', uu: Buffer.from('no') }]);
  p.run();
  t.is(p.a.s.name, 'Idle');
  t.like(p.a.signals[0], { kind: 'AA-RELEASE.indication', source: 'user', uu: Buffer.from('no') });
  t.false(p.a.s.timers.CC);
  // the same BGN again (a retransmission that crossed the BGREJ)
  p.b.clear();
  p.inject('b', bgn);
  t.is(p.b.s.name, 'Idle');
  t.deepEqual(types(p.b.sent), ['BGREJ']);
  t.deepEqual(p.b.signals, []);
  // a new BGN (next N(SQ)) is a new connection attempt
  p.wire = [];
  p.a.clear();
  p.step('a', { kind: 'AA-ESTABLISH.request' });
  t.is((p.wire[0]!.pdu as { nsq: number }).nsq, 2);
  p.run();
  t.is(p.b.s.name, 'Incoming Connection Pending');
});

test('Outgoing Connection Pending ignores END (a stale one from an earlier connection) and keeps trying', (t) => {
  const p = new Pump();
  p.filter = () => false;
  p.step('a', { kind: 'AA-ESTABLISH.request' });
  p.a.clear();
  p.inject('a', { type: 'END', source: 'user', uu: E });
  t.deepEqual(p.a.sent, []);
  t.deepEqual(p.a.signals, []);
  t.is(p.a.s.name, 'Outgoing Connection Pending');
  t.true(p.a.s.timers.CC);
});

test('Timer_CC: BGN is sent MaxCC times, then MAA-ERROR O, END(S=1) and a release indication', (t) => {
  const p = new Pump({ maxCC: 4 });
  p.filter = () => false;
  p.step('a', { kind: 'AA-ESTABLISH.request' });
  for (let i = 0; i < 3; i++) p.fire('a', 'CC');
  t.is(p.a.sent.filter((x) => x.type === 'BGN').length, 4);
  t.is(p.a.s.name, 'Outgoing Connection Pending');
  p.fire('a', 'CC');
  t.is(p.a.s.name, 'Idle');
  t.deepEqual(p.a.maa, ['O']);
  t.deepEqual(p.a.sent.at(-1), { type: 'END', source: 'sscop', uu: E });
  t.like(p.a.signals.at(-1), { kind: 'AA-RELEASE.indication', source: 'sscop' });
  t.deepEqual(Object.values(p.a.s.timers), [false, false, false, false, false]);
});

test('release: END with S=0 and UU; the peer indicates a user release; ENDAK completes', (t) => {
  const p = new Pump().establish();
  p.step('a', { kind: 'AA-RELEASE.request', uu: Buffer.from('bye') });
  t.is(p.a.s.name, 'Outgoing Disconnection Pending');
  t.deepEqual(p.a.sent, [{ type: 'END', source: 'user', uu: Buffer.from('bye') }]);
  t.true(p.a.s.timers.CC);
  t.false(p.a.s.timers.POLL);
  p.run();
  t.like(p.b.signals[0], { kind: 'AA-RELEASE.indication', source: 'user', uu: Buffer.from('bye') });
  t.deepEqual(types(p.b.sent), ['ENDAK']);
  t.is(p.a.s.name, 'Idle');
  t.deepEqual(p.a.signals, [{ kind: 'AA-RELEASE.confirm' }]);
});

test('release collision: END answered by END confirms', (t) => {
  const p = new Pump().establish();
  p.step('a', { kind: 'AA-RELEASE.request' });
  p.step('b', { kind: 'AA-RELEASE.request' });
  p.run();
  t.is(p.a.s.name, 'Idle');
  t.is(p.b.s.name, 'Idle');
  t.deepEqual(p.a.signals.map((s) => s.kind), ['AA-RELEASE.confirm']);
  t.deepEqual(p.b.signals.map((s) => s.kind), ['AA-RELEASE.confirm']);
});

test('release with the peer gone: END MaxCC times, then MAA-ERROR O and a confirm', (t) => {
  const p = new Pump().establish();
  p.filter = () => false;
  p.step('a', { kind: 'AA-RELEASE.request' });
  for (let i = 0; i < 4; i++) p.fire('a', 'CC');
  t.is(p.a.sent.filter((x) => x.type === 'END').length, 4);
  t.is(p.a.s.name, 'Idle');
  t.deepEqual(p.a.maa, ['O']);
  t.deepEqual(p.a.signals.map((s) => s.kind), ['AA-RELEASE.confirm']);
});

test('END S bit: an SSCOP-originated END (here Timer_NO_RESPONSE) tells the peer the source was SSCOP', (t) => {
  const p = new Pump().establish();
  p.fire('b', 'NO_RESPONSE');
  t.deepEqual(p.b.maa, ['P']);
  t.deepEqual(p.b.sent, [{ type: 'END', source: 'sscop', uu: E }]);
  p.run();
  t.like(p.a.signals[0], { kind: 'AA-RELEASE.indication', source: 'sscop' });
  t.deepEqual(types(p.a.sent), ['ENDAK']);
});

test('Data Transfer Ready: ENDAK or BGREJ is MAA-ERROR F / D and a release indication, without END', (t) => {
  for (const [pdu, code] of [
    [{ type: 'ENDAK' }, 'F'],
    [{ type: 'BGREJ', uu: E }, 'D'],
  ] as [SscopPdu, string][]) {
    const p = new Pump().establish();
    p.inject('b', pdu);
    t.deepEqual(p.b.maa, [code]);
    t.deepEqual(p.b.sent, []);
    t.like(p.b.signals[0], { kind: 'AA-RELEASE.indication', source: 'sscop' });
    t.is(p.b.s.name, 'Idle');
    t.deepEqual(Object.values(p.b.s.timers), [false, false, false, false, false]);
  }
});

test('Incoming Connection Pending follows the SDL cells: some PDUs only reported, some release, some END and release', (t) => {
  const cases: [SscopPdu, string, SscopStateName][] = [
    [{ type: 'BGAK', nmr: 1, uu: E }, 'C', 'Incoming Connection Pending'],
    [{ type: 'ER', nsq: 9, nmr: 1 }, 'L', 'Incoming Connection Pending'],
    [{ type: 'RS', nsq: 9, nmr: 1, uu: E }, 'J', 'Incoming Connection Pending'],
    [{ type: 'ENDAK' }, 'F', 'Idle'],
    [{ type: 'BGREJ', uu: E }, 'D', 'Idle'],
    [{ type: 'SD', ns: 0, data: E }, 'A', 'Idle'],
    [{ type: 'POLL', nps: 1, ns: 0 }, 'G', 'Idle'],
  ];
  for (const [pdu, code, state] of cases) {
    const p = new Pump();
    p.b.autoRespond = false;
    p.step('a', { kind: 'AA-ESTABLISH.request' });
    p.run();
    t.is(p.b.s.name, 'Incoming Connection Pending');
    p.b.clear();
    p.inject('b', pdu);
    t.deepEqual(p.b.maa, [code], pdu.type);
    t.is(p.b.s.name, state, pdu.type);
    t.is(p.b.sent.some((x) => x.type === 'END'), pdu.type === 'SD' || pdu.type === 'POLL', pdu.type);
  }
});

test('Outgoing Disconnection Pending: a retransmitted BGN is acknowledged and END is sent again', (t) => {
  const p = new Pump().establish();
  p.filter = () => false;
  p.step('a', { kind: 'AA-RELEASE.request' });
  p.a.clear();
  p.inject('a', { type: 'BGN', nsq: p.a.s.vrSQ, nmr: 128, uu: E });
  t.deepEqual(types(p.a.sent), ['BGAK', 'END']);
  t.is(p.a.s.name, 'Outgoing Disconnection Pending');
});

test('Idle answers END with ENDAK and unexpected PDUs with their MAA-ERROR code and END(S=1)', (t) => {
  const cases: [SscopPdu, string][] = [
    [{ type: 'SD', ns: 0, data: E }, 'A'],
    [{ type: 'BGAK', nmr: 1, uu: E }, 'C'],
    [{ type: 'POLL', nps: 1, ns: 0 }, 'G'],
    [{ type: 'STAT', nps: 1, nmr: 1, nr: 0, list: [] }, 'H'],
    [{ type: 'USTAT', nmr: 1, nr: 0, sn1: 0, sn2: 1 }, 'I'],
    [{ type: 'RS', nsq: 1, nmr: 1, uu: E }, 'J'],
    [{ type: 'RSAK', nmr: 1 }, 'K'],
    [{ type: 'ER', nsq: 1, nmr: 1 }, 'L'],
    [{ type: 'ERAK', nmr: 1 }, 'M'],
  ];
  for (const [pdu, code] of cases) {
    const r = sscopStep(initialSscopState(), { kind: 'pdu', pdu });
    t.is(r.state.name, 'Idle');
    t.deepEqual(
      r.effects.filter((e) => e.kind === 'maa-error'),
      [{ kind: 'maa-error', code }],
      pdu.type,
    );
    t.deepEqual(r.effects.find((e) => e.kind === 'send'), { kind: 'send', pdu: { type: 'END', source: 'sscop', uu: E }, retransmission: false });
  }
  const end = sscopStep(initialSscopState(), { kind: 'pdu', pdu: { type: 'END', source: 'user', uu: E } });
  t.deepEqual(end.effects, [{ kind: 'send', pdu: { type: 'ENDAK' }, retransmission: false }]);
  const rej = sscopStep(initialSscopState(), { kind: 'pdu', pdu: { type: 'BGREJ', uu: E } });
  t.deepEqual(rej.effects, [{ kind: 'maa-error', code: 'D' }]);
  const bad = sscopStep(initialSscopState(), { kind: 'bad-pdu', code: 'too-long' });
  t.deepEqual(bad.effects[0], { kind: 'maa-error', code: 'U' });
});

test('Data Transfer Ready: stray BGAK, RSAK, ERAK are reported (C, K, M) and ignored', (t) => {
  const p = new Pump().establish();
  p.inject('a', { type: 'BGAK', nmr: 3, uu: E });
  p.inject('a', { type: 'RSAK', nmr: 3 });
  p.inject('a', { type: 'ERAK', nmr: 3 });
  t.deepEqual(p.a.maa, ['C', 'K', 'M']);
  t.is(p.a.s.name, 'Data Transfer Ready');
  t.deepEqual(p.a.sent, []);
});

test('N(SQ): a retransmitted BGN, RS or ER in Data Transfer Ready is answered again, not treated as new', (t) => {
  const p = new Pump().establish();
  const sq = p.b.s.vrSQ;
  p.inject('b', { type: 'BGN', nsq: sq, nmr: 128, uu: E });
  t.deepEqual(types(p.b.sent), ['BGAK']);
  t.deepEqual(p.b.signals, []);
  t.is(p.b.s.name, 'Data Transfer Ready');
  // a BGN with a new N(SQ) is the peer starting over
  p.b.clear();
  p.wire = [];
  p.inject('b', { type: 'BGN', nsq: sq + 1, nmr: 128, uu: E });
  t.deepEqual(
    p.b.signals.map((s) => s.kind),
    ['AA-RELEASE.indication', 'AA-ESTABLISH.indication'],
  );
});

test('resynchronisation: RS / RSAK reset the sequence numbers and clear the buffers on both sides', (t) => {
  const p = new Pump().establish();
  p.send('a', 'one', 'two');
  p.run();
  p.poll('a');
  t.is(p.a.s.vtS, 2);
  p.filter = (from, pdu) => !(from === 'a' && pdu.type === 'SD');
  p.send('a', 'lost in resync');
  p.filter = () => true;
  p.a.clear();
  p.b.clear();
  p.step('a', { kind: 'AA-RESYNC.request', uu: Buffer.from('rs') });
  t.is(p.a.s.name, 'Outgoing Resynchronization Pending');
  t.deepEqual(types(p.a.sent), ['RS']);
  t.like(p.a.effects.find((e) => e.kind === 'discard'), { reason: 'buffers-cleared', count: 1 });
  p.run();
  t.deepEqual(p.b.signals.map((s) => s.kind), ['AA-RESYNC.indication']);
  t.deepEqual(p.a.signals.map((s) => s.kind), ['AA-RESYNC.confirm']);
  for (const e of [p.a, p.b]) {
    t.is(e.s.name, 'Data Transfer Ready');
    t.like(e.s, { vtS: 0, vtA: 0, vrR: 0, vrH: 0, vtPS: 0, vtPA: 1 });
    t.is(e.s.txBuf.size, 0);
  }
  p.send('a', 'after');
  p.run();
  t.deepEqual(p.b.delivered(), ['after']);
  // a retransmitted RS (the RSAK was lost) is answered with RSAK again
  p.b.clear();
  p.inject('b', { type: 'RS', nsq: p.b.s.vrSQ, nmr: 128, uu: E });
  t.deepEqual(types(p.b.sent), ['RSAK']);
  t.deepEqual(p.b.signals, []);
});

test('resync crossing: both ends send RS at once', (t) => {
  const p = new Pump().establish();
  p.step('a', { kind: 'AA-RESYNC.request' });
  p.step('b', { kind: 'AA-RESYNC.request' });
  p.run();
  t.is(p.a.s.name, 'Data Transfer Ready');
  t.is(p.b.s.name, 'Data Transfer Ready');
  t.deepEqual(p.a.signals.map((s) => s.kind), ['AA-RESYNC.confirm']);
  t.deepEqual(p.b.signals.map((s) => s.kind), ['AA-RESYNC.confirm']);
});

test('error recovery: an invalid STAT (N(PS) never polled) starts ER; ER/ERAK recover and unacknowledged SDUs are sent again', (t) => {
  const p = new Pump().establish();
  p.filter = (from, pdu) => !(from === 'a' && pdu.type === 'SD');
  p.send('a', 'u1', 'u2');
  p.filter = () => true;
  p.a.clear();
  p.inject('a', { type: 'STAT', nps: 50, nmr: 128, nr: 0, list: [] });
  t.deepEqual(p.a.maa, ['R']);
  t.is(p.a.s.name, 'Outgoing Recovery Pending');
  t.deepEqual(types(p.a.sent), ['ER']);
  t.true(p.a.s.timers.CC);
  t.false(p.a.s.timers.POLL);
  p.run();
  t.deepEqual(p.b.signals.map((s) => s.kind), ['AA-RECOVER.indication', 'AA-DATA.indication', 'AA-DATA.indication']);
  t.deepEqual(p.a.signals.map((s) => s.kind), ['AA-RECOVER.indication']);
  t.is(p.a.s.name, 'Data Transfer Ready');
  t.is(p.b.s.name, 'Data Transfer Ready');
  t.deepEqual(p.b.delivered(), ['u1', 'u2']);
  // a retransmitted ER is answered with ERAK again
  p.a.clear();
  p.inject('a', { type: 'ER', nsq: p.a.s.vrSQ, nmr: 128 });
  t.deepEqual(types(p.a.sent), ['ERAK']);
});

test('error recovery: Timer_CC for ER gives up after MaxCC with MAA-ERROR O', (t) => {
  const p = new Pump().establish();
  p.filter = () => false;
  p.inject('a', { type: 'STAT', nps: 50, nmr: 128, nr: 0, list: [] });
  for (let i = 0; i < 4; i++) p.fire('a', 'CC');
  t.deepEqual(p.a.maa, ['R', 'O']);
  t.is(p.a.s.name, 'Idle');
  t.is(p.a.sent.filter((x) => x.type === 'ER').length, 4);
});

test('STAT with N(R) beyond VT(S) is error S; USTAT with a bad range is error T', (t) => {
  const p = new Pump().establish();
  p.send('a', 'x');
  p.run();
  p.fire('a', 'POLL');
  const nps = p.a.s.vtPS;
  p.wire = [];
  p.a.clear();
  p.inject('a', { type: 'STAT', nps, nmr: 128, nr: 5, list: [] });
  t.deepEqual(p.a.maa, ['S']);
  const q = new Pump().establish();
  q.send('a', 'x', 'y');
  q.wire = [];
  q.a.clear();
  q.inject('a', { type: 'USTAT', nmr: 128, nr: 0, sn1: 1, sn2: 1 });
  t.deepEqual(q.a.maa, ['T']);
  const r = new Pump().establish();
  r.send('a', 'x', 'y');
  r.fire('a', 'POLL');
  r.wire = [];
  r.a.clear();
  r.inject('a', { type: 'STAT', nps: r.a.s.vtPS, nmr: 128, nr: 0, list: [1, 0] });
  t.deepEqual(r.a.maa, ['S'], 'list elements must increase');
});

// ------------------------------------------------------------ assured data

test('in-order data; a STAT acknowledges and frees the transmit buffer', (t) => {
  const p = new Pump().establish();
  p.send('a', ...range(10));
  p.run();
  t.deepEqual(p.b.delivered(), range(10));
  t.is(p.a.s.txBuf.size, 10);
  p.poll('a');
  t.is(p.a.s.txBuf.size, 0);
  t.is(p.a.s.vtA, 10);
});

test('MaxPD: a POLL follows every MaxPD SDs', (t) => {
  const p = new Pump({ maxPD: 5 }).establish();
  p.send('a', ...range(12));
  t.deepEqual(
    p.a.sent.map((x) => x.type).join(' '),
    'SD SD SD SD SD POLL SD SD SD SD SD POLL SD SD',
  );
});

test('a gap makes the receiver send USTAT at once; the transmitter retransmits just the gap (MAA-ERROR V)', (t) => {
  const p = new Pump().establish();
  p.filter = loseOnce('a', 2, 3);
  p.send('a', ...range(6));
  p.run();
  const ustat = p.b.sent.filter((x): x is UstatPdu => x.type === 'USTAT');
  t.deepEqual(ustat, [{ type: 'USTAT', nmr: 2 + 128, nr: 2, sn1: 2, sn2: 4 }]);
  t.deepEqual(p.a.maa, ['V2']);
  t.deepEqual(
    p.a.sent.filter((x) => x.type === 'SD').map((x) => (x as { ns: number }).ns),
    [0, 1, 2, 3, 4, 5, 2, 3],
  );
  t.deepEqual(p.b.delivered(), range(6));
});

test('an SD beyond VR(MR) is discarded and answered with USTAT(VR(H), VR(MR))', (t) => {
  const p = new Pump({ window: 4 }).establish();
  p.b.clear();
  p.inject('b', { type: 'SD', ns: 6, data: Buffer.from('far') });
  t.deepEqual(p.b.sent, [{ type: 'USTAT', nmr: 4, nr: 0, sn1: 0, sn2: 4 }]);
  t.is(p.b.s.vrH, 4);
  t.deepEqual(p.b.delivered(), []);
});

test('POLL: STAT lists the missing and received runs up to VR(H)', (t) => {
  const p = new Pump().establish();
  p.filter = (from, pdu) => !(from === 'a' && pdu.type === 'SD' && [1, 4, 5, 9].includes(pdu.ns));
  p.send('a', ...range(10));
  p.filter = (from, pdu) => !(from === 'b' && pdu.type === 'USTAT');
  p.run();
  p.b.clear();
  p.fire('a', 'POLL');
  p.filter = (from) => from === 'a';
  p.run();
  const stats = p.b.sent.filter((x): x is StatPdu => x.type === 'STAT');
  t.deepEqual(stats, [{ type: 'STAT', nps: 1, nmr: 1 + 128, nr: 1, list: [1, 2, 4, 6, 9, 10] }]);
});

test('STAT splitting at MaxSTAT: long lists continue in further STATs from the last element', (t) => {
  const p = new Pump({ maxSTAT: 7, maxPD: 1000 }).establish();
  // every even SD is lost: 20 missing runs, 40 list elements
  p.filter = (from, pdu) => !(from === 'a' && pdu.type === 'SD' && pdu.ns % 2 === 0);
  p.send('a', ...range(40));
  p.filter = (from, pdu) => !(from === 'b' && pdu.type === 'USTAT');
  p.run();
  p.b.clear();
  p.filter = (from) => from === 'a';
  p.fire('a', 'POLL');
  p.run();
  const stats = p.b.sent.filter((x): x is StatPdu => x.type === 'STAT');
  t.true(stats.length > 1);
  for (const s of stats.slice(0, -1)) t.is(s.list.length, 7);
  t.true(stats.at(-1)!.list.length <= 7);
  t.true(stats.every((s) => s.nps === stats[0]!.nps && s.nr === 0));
  const joined = stats[0]!.list.concat(...stats.slice(1).map((s, i) => {
    t.is(s.list[0], stats[i]!.list.at(-1)!, 'each STAT continues with the last element of the previous one');
    return s.list.slice(1);
  }));
  t.deepEqual(joined, Array.from({ length: 40 }, (_, i) => i));
  // and the transmitter, fed all parts, retransmits exactly the 20 missing SDs
  p.filter = () => true;
  p.a.clear();
  for (const s of stats) p.inject('a', s);
  t.is(p.a.sent.filter((x) => x.type === 'SD').length, 20);
  p.run();
  t.deepEqual(p.b.delivered(), range(40));
});

test('selective retransmission is gated by the poll sequence: SDs sent after the POLL a STAT answers are not resent', (t) => {
  const p = new Pump().establish();
  p.filter = () => false;
  p.send('a', 's0', 's1', 's2');
  p.fire('a', 'POLL'); // POLL N(PS)=1 covers s0..s2
  p.send('a', 's3', 's4');
  p.a.clear();
  // the STAT answering POLL 1 says everything from 0 up to 5 is missing (the receiver saw s3, s4 as unknown yet)
  p.inject('a', { type: 'STAT', nps: 1, nmr: 128, nr: 0, list: [0, 5] });
  const resent = p.a.sent.filter((x) => x.type === 'SD').map((x) => (x as { ns: number }).ns);
  t.deepEqual(resent, [0, 1, 2]);
  t.deepEqual(p.a.maa, ['V3']);
});

test('credit: the window closes (MAA-ERROR W, POLL at once) and reopens with the next STAT (X)', (t) => {
  const p = new Pump({ window: 4 }).establish();
  p.b.autoRespond = true;
  p.filter = (from) => from === 'a';
  p.send('a', ...range(6));
  t.deepEqual(types(p.a.sent), ['SD', 'SD', 'SD', 'SD', 'POLL']);
  t.deepEqual(p.a.maa, ['W']);
  t.is(p.a.s.txQueue.size, 2);
  p.filter = () => true;
  p.run();
  t.deepEqual(p.a.maa, ['W', 'X']);
  t.deepEqual(p.b.delivered(), range(6));
});

test('credit: a window that closes while a POLL covering unacknowledged SDs is out sends no POLL of its own; that STAT reopens it', (t) => {
  const p = new Pump({ window: 8, maxPD: 3 }).establish();
  p.send('a', ...range(12));
  // (nothing delivered yet) MaxPD forces a POLL after every third SD; the eighth SD fills the window while the
  // POLL after SD 5 is unanswered and covers SDs 3-5: the STAT answering it will bring credit, no POLL is added
  t.deepEqual(types(p.a.sent), ['SD', 'SD', 'SD', 'POLL', 'SD', 'SD', 'SD', 'POLL', 'SD', 'SD']);
  t.deepEqual(p.a.maa, ['W']);
  t.is(p.a.s.txQueue.size, 4);
  p.run();
  t.deepEqual(p.b.delivered(), range(12));
  t.deepEqual(p.a.maa, ['W', 'X', 'W', 'X'], 'the window closed twice and each STAT reopened it');
  t.is(types(p.a.sent).filter((x) => x === 'POLL').length, 4, 'only the POLLs MaxPD forces (after SDs 2, 5, 8, 11)');
  t.is(p.a.s.txQueue.size, 0);
});

test('credit: with the STAT on its way lost, Timer_POLL asks again and the rest goes out', (t) => {
  const p = new Pump({ window: 8, maxPD: 3 }).establish();
  p.filter = (from, pdu) => from === 'a' || pdu.type !== 'STAT';
  p.send('a', ...range(12));
  p.run();
  t.deepEqual(p.b.delivered(), range(8), 'the window let 8 through');
  t.is(p.a.s.txQueue.size, 4, 'every STAT was lost: no credit came back');
  t.true(p.a.s.timers.POLL, 'Timer_POLL runs while SDs are outstanding');
  p.filter = () => true;
  p.poll('a');
  t.deepEqual(p.a.maa, ['W', 'X']);
  t.deepEqual(p.b.delivered(), range(12));
});

test('sequence numbers wrap at 2^24: delivery, USTAT and STAT work across the wrap', (t) => {
  const p = new Pump().establish();
  rebase(p, 0xffffff - 5, 0xffffff - 1);
  p.filter = loseOnce('a', 0xfffffe, 1);
  p.send('a', ...range(12));
  p.run();
  p.filter = () => true;
  p.poll('a');
  p.poll('a');
  t.deepEqual(p.b.delivered(), range(12));
  t.is(p.a.s.vtA, 6);
  t.is(p.a.s.txBuf.size, 0);
  t.is(p.b.s.vrR, 6);
  t.deepEqual(p.a.maaCodes().filter((c) => c !== 'V'), []);
  t.is(seqRel(2, 0xfffffe), 4);
});

test('STAT / USTAT validity is judged across the wrap too', (t) => {
  const p = new Pump().establish();
  rebase(p, 0xfffff0);
  p.filter = () => false;
  p.send('a', ...range(32));
  p.fire('a', 'POLL');
  t.is(p.a.s.vtS, 0x10);
  p.a.clear();
  p.inject('a', { type: 'USTAT', nmr: 0x80, nr: 0xfffffa, sn1: 0xfffffc, sn2: 0x2 });
  t.deepEqual(p.a.maa, ['V6']);
  p.a.clear();
  p.inject('a', { type: 'STAT', nps: p.a.s.vtPS, nmr: 0x90, nr: 0x4, list: [0x4, 0x8] });
  t.deepEqual(p.a.maa, ['V4']);
  t.is(p.a.s.vtA, 4);
});

// ------------------------------------------------------------ strict versus robust

test('strict Q.2110: a duplicated SD is error Q and starts recovery; robust mode discards it', (t) => {
  for (const robust of [false, true]) {
    const p = new Pump({ robust }).establish();
    const lose = loseOnce('a', 0);
    p.filter = (from, pdu) => pdu.type !== 'USTAT' && lose(from, pdu);
    p.send('a', 'a', 'b');
    p.run();
    p.b.clear();
    p.inject('b', { type: 'SD', ns: 1, data: Buffer.from('b') });
    if (robust) {
      t.deepEqual(p.b.maa, []);
      t.like(p.b.effects.find((e) => e.kind === 'discard'), { reason: 'duplicate-sd' });
      t.is(p.b.s.name, 'Data Transfer Ready');
    } else {
      t.deepEqual(p.b.maa, ['Q']);
      t.is(p.b.s.name, 'Outgoing Recovery Pending');
    }
  }
});

test('strict Q.2110: a POLL behind VR(H) is error Q; robust mode answers it without lowering VR(H)', (t) => {
  for (const robust of [false, true]) {
    const p = new Pump({ robust }).establish();
    const lose = loseOnce('a', 0);
    p.filter = (from, pdu) => pdu.type !== 'USTAT' && lose(from, pdu);
    p.send('a', 'a', 'b', 'c');
    p.run();
    p.b.clear();
    p.inject('b', { type: 'POLL', nps: 1, ns: 1 });
    if (robust) {
      t.is(p.b.s.vrH, 3);
      t.deepEqual(types(p.b.sent), ['STAT']);
    } else t.deepEqual(p.b.maa, ['Q']);
  }
});

test('robust mode: a stale STAT (older N(PS)) or stale USTAT (N(R) behind VT(A)) is discarded, not an error', (t) => {
  const p = new Pump().establish();
  p.send('a', ...range(4));
  p.run();
  p.poll('a');
  p.send('a', ...range(4, (i) => `n${i}`));
  p.run();
  p.poll('a');
  t.is(p.a.s.vtA, 8);
  p.a.clear();
  p.inject('a', { type: 'STAT', nps: 1, nmr: 132, nr: 4, list: [] });
  p.inject('a', { type: 'USTAT', nmr: 132, nr: 4, sn1: 5, sn2: 6 });
  t.deepEqual(p.a.maa, []);
  t.deepEqual(
    p.a.effects.filter((e) => e.kind === 'discard').map((e) => (e as { reason: string }).reason),
    ['stale-stat', 'stale-ustat'],
  );
  t.is(p.a.s.vtA, 8);
});

test('robust mode: a STAT answering the newest POLL with N(R) behind VT(A) is error S and starts recovery, as Q.2110 says', (t) => {
  // the peer lost its state (a restart whose BGN was taken for a retransmission): its STAT cannot be a reordered one
  const p = new Pump().establish();
  p.send('a', ...range(4));
  p.run();
  p.poll('a');
  t.is(p.a.s.vtA, 4);
  // our newest POLL goes out; the peer that answers it has lost its state
  const timer = p.a.s.timers.POLL ? 'POLL' : p.a.s.timers.KEEP_ALIVE ? 'KEEP_ALIVE' : 'IDLE';
  p.fire('a', timer);
  p.wire = [];
  const nps = p.a.s.vtPS;
  p.a.clear();
  p.inject('a', { type: 'STAT', nps, nmr: 128, nr: 0, list: [] });
  t.deepEqual(p.a.maa, ['S']);
  t.is(p.a.s.name, 'Outgoing Recovery Pending');
  t.like(p.a.sent[0], { type: 'ER' });
  // the same STAT once more (a duplicated POLL answered twice) after a good answer is only stale
  const q = new Pump().establish();
  q.send('a', ...range(4));
  q.run();
  q.poll('a');
  const last = q.a.s.vtPS;
  q.a.clear();
  q.inject('a', { type: 'STAT', nps: last, nmr: 132, nr: 2, list: [] });
  t.deepEqual(q.a.maa, []);
  t.like(q.a.effects.find((e) => e.kind === 'discard'), { reason: 'stale-stat' });
});

// ------------------------------------------------------------ polling phases

test('polling phases: active (POLL) -> transient (KEEP_ALIVE) -> idle (IDLE) -> active', (t) => {
  const p = new Pump().establish();
  t.like(p.a.s.timers, { POLL: true, NO_RESPONSE: true });
  // nothing outstanding: POLL expiry sends a POLL and moves to KEEP_ALIVE
  p.fire('a', 'POLL');
  t.like(p.a.s.timers, { POLL: false, KEEP_ALIVE: true, NO_RESPONSE: true });
  p.run(); // STAT comes back: idle phase
  t.like(p.a.s.timers, { POLL: false, KEEP_ALIVE: false, NO_RESPONSE: false, IDLE: true });
  // new data leaves the idle phase
  p.send('a', 'x');
  t.like(p.a.s.timers, { POLL: true, NO_RESPONSE: true, IDLE: false });
  // IDLE expiry polls and restarts NO_RESPONSE; with nothing outstanding the next phase is transient
  const q = new Pump().establish();
  q.fire('a', 'POLL');
  q.run();
  q.a.clear();
  q.fire('a', 'IDLE');
  t.deepEqual(types(q.a.sent), ['POLL']);
  t.like(q.a.s.timers, { POLL: false, KEEP_ALIVE: true, NO_RESPONSE: true, IDLE: false });
  // KEEP_ALIVE expiry (its STAT was lost) polls again and stays transient
  const r = new Pump().establish();
  r.fire('a', 'POLL');
  r.wire = [];
  r.a.clear();
  r.fire('a', 'KEEP_ALIVE');
  t.deepEqual(types(r.a.sent), ['POLL']);
  t.like(r.a.s.timers, { POLL: false, KEEP_ALIVE: true, NO_RESPONSE: true });
  // with SDs outstanding a timer-driven POLL keeps the active phase
  const u = new Pump().establish();
  u.filter = () => false;
  u.send('a', 'x');
  u.fire('a', 'POLL');
  t.like(u.a.s.timers, { POLL: true, KEEP_ALIVE: false });
});

test('Timer_NO_RESPONSE expiry: MAA-ERROR P, END(S=1), release indication, no timer left', (t) => {
  const p = new Pump().establish();
  p.fire('a', 'NO_RESPONSE');
  t.is(p.a.s.name, 'Idle');
  t.deepEqual(p.a.maa, ['P']);
  t.deepEqual(p.a.sent, [{ type: 'END', source: 'sscop', uu: E }]);
  t.like(p.a.signals[0], { kind: 'AA-RELEASE.indication', source: 'sscop', reason: 'no-response' });
  t.deepEqual(Object.values(p.a.s.timers), [false, false, false, false, false]);
});

test('a stale timer expiry (timer no longer running) does nothing', (t) => {
  const p = new Pump().establish();
  const r = sscopStep(p.a.s, { kind: 'timer', timer: 'CC' });
  t.deepEqual(r.effects, []);
  t.is(r.state.name, 'Data Transfer Ready');
});

test('unassured and management data pass in any state', (t) => {
  const p = new Pump();
  p.step('a', { kind: 'AA-UNITDATA.request', data: Buffer.from('ud') });
  p.step('a', { kind: 'MAA-UNITDATA.request', data: Buffer.from('md') });
  p.run();
  t.deepEqual(p.b.signals, [
    { kind: 'AA-UNITDATA.indication', data: Buffer.from('ud') },
    { kind: 'MAA-UNITDATA.indication', data: Buffer.from('md') },
  ]);
  t.is(p.b.s.name, 'Idle');
});

test('across the 2^24 wrap with 20% random loss in both directions, 600 SDUs each way arrive once and in order', async (t) => {
  const { prng } = await import('./lossy-wire.js');
  const rnd = prng(2024);
  const p = new Pump().establish();
  rebase(p, 0x1000000 - 300, 0x1000000 - 40);
  p.filter = () => rnd() >= 0.2;
  const n = 600;
  for (let i = 0; i < n; i += 20) {
    p.send('a', ...range(20, (j) => `a${i + j}`));
    p.send('b', ...range(20, (j) => `b${i + j}`));
    p.run();
  }
  for (let round = 0; round < 400 && (p.b.delivered().length < n || p.a.delivered().length < n); round++) {
    for (const side of ['a', 'b'] as const) {
      const s = p.end(side).s;
      p.fire(side, s.timers.POLL ? 'POLL' : s.timers.KEEP_ALIVE ? 'KEEP_ALIVE' : 'IDLE');
    }
    p.run();
  }
  t.deepEqual(p.b.delivered(), range(n, (i) => `a${i}`));
  t.deepEqual(p.a.delivered(), range(n, (i) => `b${i}`));
  t.true(p.a.s.vtS < 400 && p.b.s.vrR < 400, 'the sequence numbers did wrap');
  t.deepEqual(p.a.maaCodes().filter((c) => !'VWX'.includes(c)), []);
  t.deepEqual(p.b.maaCodes().filter((c) => !'VWX'.includes(c)), []);
});

test('Outgoing Resynchronization Pending and Outgoing Recovery Pending cells', (t) => {
  // reach state 5 (RS sent, nothing answered) or 7 (ER sent) on end a
  const reach = (to: 5 | 7) => {
    const p = new Pump().establish();
    p.filter = () => false;
    if (to === 5) p.step('a', { kind: 'AA-RESYNC.request' });
    else p.inject('a', { type: 'STAT', nps: 50, nmr: 128, nr: 0, list: [] });
    p.a.clear();
    return p;
  };
  const sq = (p: Pump) => p.a.s.vrSQ;
  // state 5
  let p = reach(5);
  p.inject('a', { type: 'BGN', nsq: sq(p), nmr: 128, uu: E });
  t.deepEqual(types(p.a.sent), ['BGAK', 'RS'], '5: retransmitted BGN -> BGAK and RS again');
  for (const [pdu, code] of [
    [{ type: 'ENDAK' }, 'F'],
    [{ type: 'BGREJ', uu: E }, 'D'],
  ] as [SscopPdu, string][]) {
    p = reach(5);
    p.inject('a', pdu);
    t.deepEqual(p.a.maa, [code]);
    t.deepEqual(p.a.sent, [], 'no END');
    t.is(p.a.s.name, 'Idle');
    t.false(p.a.s.timers.CC);
  }
  p = reach(5);
  p.inject('a', { type: 'SD', ns: 0, data: E });
  p.inject('a', { type: 'POLL', nps: 1, ns: 0 });
  t.is(p.a.s.name, 'Outgoing Resynchronization Pending');
  t.deepEqual(p.a.maa, []);
  // state 7
  p = reach(7);
  t.is(p.a.s.name, 'Outgoing Recovery Pending');
  p.inject('a', { type: 'ER', nsq: sq(p), nmr: 128 });
  p.inject('a', { type: 'BGN', nsq: sq(p), nmr: 128, uu: E });
  p.inject('a', { type: 'BGAK', nmr: 1, uu: E });
  p.inject('a', { type: 'RSAK', nmr: 1 });
  p.inject('a', { type: 'SD', ns: 3, data: E });
  t.deepEqual(p.a.maa, ['L', 'B', 'C', 'K']);
  t.is(p.a.s.name, 'Outgoing Recovery Pending');
  p.inject('a', { type: 'RS', nsq: sq(p) + 1, nmr: 128, uu: E });
  t.deepEqual(p.a.signals.map((x) => x.kind), ['AA-RESYNC.indication'], '7: a new RS -> resync indication');
  t.is(p.a.s.name, 'Data Transfer Ready', '(answered at once, as SSCF-UNI does)');
  t.deepEqual(types(p.a.sent), ['RSAK']);
});
