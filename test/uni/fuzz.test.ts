/**
 * Whatever arrives, in whatever state: nothing throws, the books balance and
 * disposing leaves nothing (property test over random message sequences).
 */
import test from 'ava';
import fc from 'fast-check';
import { drive } from './probe.js';
import { encodeMessage } from '../../src/uni/msg/index.js';
import { IeId, MsgType, type InfoElement, type UniMessage } from '../../src/uni/msg/types.js';
import type { CallPhase, Side } from '../../src/uni/states.js';

const TYPES = [...(Object.values(MsgType).filter((v) => typeof v === 'number') as number[]), 0x33, 0x90];

const ieArb: fc.Arbitrary<InfoElement> = fc.oneof(
  fc.record({ id: fc.constant(IeId.CAUSE as const), location: fc.constant(0), cause: fc.integer({ min: 0, max: 127 }), diagnostic: fc.constant(Buffer.alloc(0)) }),
  fc.record({ id: fc.constant(IeId.CALL_STATE as const), state: fc.constantFrom(0, 1, 3, 4, 6, 7, 8, 9, 10, 11, 12, 0x3d, 0x21) }),
  fc.record({ id: fc.constant(IeId.ENDPOINT_REFERENCE as const), type: fc.constant(0), flag: fc.boolean(), value: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ id: fc.constant(IeId.ENDPOINT_STATE as const), state: fc.constantFrom(0, 1, 4, 6, 7, 10, 11, 12) }),
  fc.record({ id: fc.constant(IeId.CONNECTION_IDENTIFIER as const), vpAssociated: fc.constant(1), exclusive: fc.constant(0), vpci: fc.constant(0), vci: fc.integer({ min: 32, max: 40 }) }),
  fc.record({ id: fc.constant(IeId.RESTART_INDICATOR as const), restartClass: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ id: fc.constant(IeId.USER_USER as const), protocol: fc.constant(0), data: fc.uint8Array({ maxLength: 130 }).map((a) => Buffer.from(a)) }),
  fc.record({ id: fc.constant(IeId.CALLED_PARTY_NUMBER as const), typeOfNumber: fc.constant(1), plan: fc.constant(1), address: fc.constantFrom(Buffer.from('1001'), Buffer.from('1011'), Buffer.from('5')) }),
  fc.record({
    id: fc.integer({ min: 0, max: 255 }),
    unknown: fc.constant(true as const),
    content: fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a)),
    flag: fc.boolean(),
    action: fc.integer({ min: 0, max: 7 }),
  }),
);

const msgArb = (cref: number) =>
  fc.record({
    type: fc.constantFrom(...TYPES),
    callRef: fc.constantFrom(cref, cref, cref, 0, 4242),
    callRefFlag: fc.boolean(),
    msgFlag: fc.boolean(),
    msgAction: fc.integer({ min: 0, max: 3 }),
    ies: fc.array(ieArb, { maxLength: 5 }),
  });

const start = fc.record({
  side: fc.constantFrom<Side>('user', 'network'),
  mp: fc.boolean(),
  phase: fc.constantFrom<CallPhase | 'active-in'>('out-setup', 'out-proceeding', 'out-alerting', 'active', 'rel-sent', 'in-setup', 'in-proceeding', 'active-in'),
});

test('random messages in random states: no throw, consistent counters, nothing left after dispose', (t) => {
  fc.assert(
    fc.property(
      start.chain((s) => fc.tuple(fc.constant(s), fc.array(fc.oneof(msgArb(500), msgArb(1), fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a))), { maxLength: 12 }))),
      ([s, msgs]) => {
        const d = drive(s.side, s.mp, s.phase);
        for (const m of msgs) {
          const buf = Buffer.isBuffer(m) ? m : encodeMessage(m as UniMessage);
          d.p.sp.data(buf);
          d.p.clock.advance(2);
        }
        // time passes with nobody answering: every timer runs out and nothing stays scheduled
        d.p.clock.advance(300_000);
        const k = d.p.h.host.counters();
        if (k.timers !== 0 || d.p.clock.pending !== 0) return false;
        const snap = d.p.h.host.snapshot();
        if (k.parties !== snap.calls.reduce((n, c) => n + c.parties.length, 0)) return false;
        if (k.calls !== snap.calls.length) return false;
        d.p.h.host.dispose();
        const after = d.p.h.host.counters();
        return after.timers === 0 && after.parties === 0 && !d.p.sa.signals.observed;
      },
    ),
    { numRuns: 300, seed: 2026 },
  );
  t.pass();
});
