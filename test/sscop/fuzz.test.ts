import test from 'ava';
import fc from 'fast-check';
import { VirtualTimeScheduler } from 'rxjs';
import {
  createSaalLink,
  emitPdu,
  seqRel,
  sscopStep,
  SSCOP_STATE_NUMBER,
  type SaalLink,
  type SaalSignal,
  type SscopEvent,
  type SscopState,
} from '../../src/sscop/index.js';
import { arbNearPdu, arbPdu } from './arbitraries.js';
import { Pump } from './pump.js';

/** Structural invariants every reachable state must keep. */
function invariantProblems(s: SscopState): string[] {
  const p: string[] = [];
  if (!(s.name in SSCOP_STATE_NUMBER)) p.push(`unknown state ${s.name}`);
  const span = seqRel(s.vtS, s.vtA);
  // (outside data transfer VT(S)/VT(A) keep stale values until the next initialisation)
  if (s.name === 'Data Transfer Ready' && s.txBuf.size !== span) p.push(`txBuf holds ${s.txBuf.size} SDs, VT(S)-VT(A) is ${span}`);
  for (const k of s.txBuf.keys()) if (seqRel(k, s.vtA) >= span) p.push(`txBuf SN ${k} outside [VT(A), VT(S))`);
  for (const k of s.rtx) if (!s.txBuf.has(k)) p.push(`retransmission of SN ${k} not buffered`);
  const h = seqRel(s.vrH, s.vrR);
  for (const k of s.rxBuf.keys()) {
    const r = seqRel(k, s.vrR);
    if (r === 0 || r >= h) p.push(`rxBuf SN ${k} outside (VR(R), VR(H))`);
  }
  if (h > seqRel(s.vrMR, s.vrR)) p.push('VR(H) beyond VR(MR)');
  const dataTimers = s.timers.POLL || s.timers.NO_RESPONSE || s.timers.KEEP_ALIVE || s.timers.IDLE;
  if (dataTimers && s.name !== 'Data Transfer Ready') p.push(`data-transfer timer running in ${s.name}`);
  const ccStates = ['Outgoing Connection Pending', 'Outgoing Disconnection Pending', 'Outgoing Resynchronization Pending', 'Outgoing Recovery Pending'];
  if (s.timers.CC !== ccStates.includes(s.name)) p.push(`Timer_CC ${s.timers.CC ? 'runs' : 'stopped'} in ${s.name}`);
  if ([s.timers.POLL, s.timers.KEEP_ALIVE, s.timers.IDLE].filter(Boolean).length > 1) p.push('more than one polling-phase timer runs');
  return p;
}

const arbEvent = (base: () => number): fc.Arbitrary<SscopEvent> =>
  fc.oneof(
    { weight: 6, arbitrary: arbNearPdu(base).map((pdu) => ({ kind: 'pdu' as const, pdu })) },
    { weight: 2, arbitrary: fc.constantFrom('CC', 'POLL', 'NO_RESPONSE', 'KEEP_ALIVE', 'IDLE').map((timer) => ({ kind: 'timer' as const, timer })) },
    { weight: 2, arbitrary: fc.string({ maxLength: 5 }).map((s) => ({ kind: 'AA-DATA.request' as const, data: Buffer.from(s) })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<SscopEvent>(
        { kind: 'AA-ESTABLISH.request' },
        { kind: 'AA-ESTABLISH.response' },
        { kind: 'AA-RELEASE.request' },
        { kind: 'AA-RESYNC.request' },
        { kind: 'AA-RESYNC.response' },
        { kind: 'AA-RECOVER.response' },
        { kind: 'bad-pdu', code: 'too-long' },
      ),
    },
  );

test('property: any event sequence from Data Transfer Ready never throws and keeps the invariants', (t) => {
  for (const robust of [true, false]) {
    const start = new Pump({ robust }).establish();
    start.send('a', 'x', 'y', 'z');
    start.wire = [];
    let s0 = start.a.s;
    fc.assert(
      fc.property(fc.array(arbEvent(() => s0.vrR), { maxLength: 60 }), (events) => {
        let s = start.a.s;
        s0 = s;
        for (const ev of events) {
          s = sscopStep(s, ev).state;
          s0 = s;
          const p = invariantProblems(s);
          if (p.length) throw new Error(`${JSON.stringify(ev)} -> ${p.join('; ')}`);
        }
      }),
      { numRuns: 400, includeErrorInReport: true },
    );
  }
  t.pass();
});

test('property: any event sequence from Idle never throws and keeps the invariants', (t) => {
  const idle = new Pump().a.s;
  fc.assert(
    fc.property(fc.array(arbEvent(() => 0), { maxLength: 60 }), (events) => {
      let s = idle;
      for (const ev of events) {
        s = sscopStep(s, ev).state;
        const p = invariantProblems(s);
        if (p.length) throw new Error(`${JSON.stringify(ev)} -> ${p.join('; ')}`);
      }
    }),
    { numRuns: 400, includeErrorInReport: true },
  );
  t.pass();
});

function established() {
  const scheduler = new VirtualTimeScheduler();
  const ends: { a?: SaalLink; b?: SaalLink } = {};
  const a = createSaalLink({ name: 'a', scheduler, send: (p) => scheduler.schedule(() => ends.b!.receive(p), 1) });
  const b = createSaalLink({ name: 'b', scheduler, send: (p) => scheduler.schedule(() => ends.a!.receive(p), 1) });
  ends.a = a;
  ends.b = b;
  const seen: SaalSignal[] = [];
  b.signals$.subscribe((s) => seen.push(s));
  let now = 0;
  const run = (ms: number) => {
    now += ms;
    scheduler.maxFrames = now;
    scheduler.flush();
  };
  a.establish();
  run(10);
  return { a, b, seen, run };
}

test('random, plausible and mutated PDUs fed to an established link never crash it; errors are counted by MAA-ERROR code', (t) => {
  const { a, b, seen, run } = established();
  t.true(a.established);
  const inputs = fc.sample(
    fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((x) => Buffer.from(x)),
      arbPdu.map(emitPdu),
      arbNearPdu(() => 0).map(emitPdu),
      fc.tuple(arbPdu, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([p, i, v]) => {
        const buf = Buffer.from(emitPdu(p));
        buf[i % buf.length] = v;
        return buf;
      }),
    ),
    { numRuns: 4000, seed: 424242 },
  );
  for (const [i, input] of inputs.entries()) {
    t.notThrows(() => a.receive(input));
    if (i % 50 === 0) run(200);
    t.true(a.state in SSCOP_STATE_NUMBER);
  }
  run(1000);
  const c = a.counters();
  const drops = Object.values(c.drops).reduce((x, y) => x + y, 0);
  t.true(drops > 0);
  t.is(c.maaErrors.U, drops, 'every decode failure is one MAA-ERROR U');
  const letters = Object.keys(c.maaErrors).sort();
  t.log(`MAA-ERRORs: ${JSON.stringify(c.maaErrors)}; drops ${JSON.stringify(c.drops)}`);
  t.true(letters.length >= 8, `several error kinds seen: ${letters.join('')}`);
  for (const l of letters) t.regex(l, /^[A-MO-X]$/);

  // afterwards the pair can still be brought back to a working link
  a.release();
  run(10_000);
  a.establish();
  run(10_000);
  t.true(a.established && b.established);
  seen.length = 0;
  a.data(Buffer.from('still works'));
  run(1000);
  t.deepEqual(
    seen.filter((s) => s.kind === 'data-indication').map((s) => (s as { data: Buffer }).data.toString()),
    ['still works'],
  );
});

test('property: stepping never modifies the state it was given, and is deterministic', (t) => {
  const start = new Pump().establish();
  start.send('a', 'x', 'y', 'z');
  start.wire = [];
  const snap = (s: SscopState) => JSON.stringify({ ...s, txBuf: [...s.txBuf], rxBuf: [...s.rxBuf], txQueue: s.txQueue.size });
  fc.assert(
    fc.property(fc.array(arbEvent(() => 0), { maxLength: 30 }), (events) => {
      let s = start.a.s;
      for (const ev of events) {
        const before = snap(s);
        const r1 = sscopStep(s, ev);
        const r2 = sscopStep(s, ev);
        if (snap(s) !== before) throw new Error(`input state modified by ${JSON.stringify(ev)}`);
        if (snap(r1.state) !== snap(r2.state) || JSON.stringify(r1.effects) !== JSON.stringify(r2.effects)) throw new Error('not deterministic');
        s = r1.state;
      }
    }),
    { numRuns: 200, includeErrorInReport: true },
  );
  t.pass();
});
