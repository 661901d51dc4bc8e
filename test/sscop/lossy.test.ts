import test from 'ava';
import { createSaalLink, type SaalLink, type SscopParams } from '../../src/sscop/index.js';
import { LossyWire, VirtualClock, type WireOptions } from './lossy-wire.js';

/**
 * Two SSCOP ends over a deterministic lossy wire in virtual time. Every SDU
 * carries its index (and a check word); the receiver must see 0, 1, 2, ...
 * exactly, so a lost, doubled or reordered SDU fails the test.
 */
function transfer(n: number, wireOpts: WireOptions, params: Partial<SscopParams> = {}) {
  const clock = new VirtualClock();
  const wire = new LossyWire(clock, wireOpts);
  const ends: Record<'a' | 'b', SaalLink | undefined> = { a: undefined, b: undefined };
  const a = createSaalLink({ name: 'a', scheduler: clock, params, send: wire.port(() => ends.b!) });
  const b = createSaalLink({ name: 'b', scheduler: clock, params, send: wire.port(() => ends.a!) });
  ends.a = a;
  ends.b = b;
  const got = { a: [] as number[], b: [] as number[] };
  const other: { a: string[]; b: string[] } = { a: [], b: [] };
  const problems: string[] = [];
  for (const [side, link] of [['a', a], ['b', b]] as const) {
    link.signals$.subscribe((s) => {
      if (s.kind === 'data-indication') {
        const i = s.data.readUInt32BE(0);
        if (s.data.length !== 12 || s.data.readUInt32BE(4) !== (i ^ 0x5a5a5a5a) >>> 0 || s.data.readUInt32BE(8) !== (side === 'a' ? 0xbbbb : 0xaaaa))
          problems.push(`${side}: corrupt SDU ${i}`);
        const want = got[side].length;
        if (i !== want) problems.push(`${side}: got SDU ${i} where ${want} was due`);
        got[side].push(i);
      } else other[side].push(s.kind);
    });
  }
  // establishment itself may fail under heavy loss (MaxCC exhausted): the user simply asks again
  let attempts = 0;
  while (!(a.established && b.established)) {
    if (++attempts > 20) throw new Error('could not establish');
    if (a.state === 'Idle') a.establish();
    clock.runWhileNot(() => (a.established && b.established) || a.state === 'Idle', clock.now() + 60_000);
  }
  const startedAt = clock.now();
  other.a.length = 0;
  other.b.length = 0;
  const sdu = (i: number, from: number) => {
    const x = Buffer.alloc(12);
    x.writeUInt32BE(i, 0);
    x.writeUInt32BE((i ^ 0x5a5a5a5a) >>> 0, 4);
    x.writeUInt32BE(from, 8);
    return x;
  };
  for (let i = 0; i < n; i++) {
    a.data(sdu(i, 0xaaaa));
    b.data(sdu(i, 0xbbbb));
  }
  const done = clock.runWhileNot(() => got.a.length >= n && got.b.length >= n, startedAt + 3_600_000);
  // let the last acknowledgements arrive, then check nothing more turns up
  clock.advance(30_000);
  return { a, b, got, other, problems, done, wire, virtualMs: clock.now() - startedAt, attempts };
}

test('10,000 SDUs each way over a wire losing 30%, duplicating and reordering: exactly once, in order', (t) => {
  // With 30% loss each way a POLL/STAT round trip succeeds about half the time, so the UNI
  // Timer_NO_RESPONSE of 7 s (about nine polls) would now and then - correctly - declare the link
  // dead during a long transfer. This test is about delivery, so it allows 30 s without a STAT.
  const r = transfer(10_000, { seed: 20261120, loss: 0.3, duplicate: 0.1, delay: 1, jitter: 3 }, { timerNoResponse: 30_000 });
  t.true(r.done, `not finished: a got ${r.got.a.length}, b got ${r.got.b.length}`);
  t.deepEqual(r.problems, []);
  t.is(r.got.a.length, 10_000);
  t.is(r.got.b.length, 10_000);
  // the link stayed up throughout: no release, no resynchronisation, no recovery
  t.deepEqual(r.other.a, []);
  t.deepEqual(r.other.b, []);
  t.true(r.a.established && r.b.established);
  // and the wire really was hostile
  t.true(r.wire.stats.lost / r.wire.stats.sent > 0.25);
  t.true(r.wire.stats.duplicated > 1000);
  t.true(r.wire.stats.reordered > 1000);
  for (const l of [r.a, r.b]) {
    const c = l.counters();
    t.is(c.queuedSdus, 0);
    t.is(c.unacknowledgedSdus, 0);
    t.true(c.sdRetransmissions > 0);
    t.is(c.maaErrors.R ?? 0, 0);
    t.is(c.maaErrors.S ?? 0, 0);
    t.is(c.maaErrors.T ?? 0, 0);
    t.is(c.maaErrors.Q ?? 0, 0);
    t.log(`${l.name}: ${JSON.stringify({ retrans: c.sdRetransmissions, maa: c.maaErrors, discards: c.discards })}`);
  }
  t.log(`virtual time ${(r.virtualMs / 1000).toFixed(1)} s, wire ${JSON.stringify(r.wire.stats)}`);
  r.a.dispose();
  r.b.dispose();
});

test('strict Q.2110 (robust off) over a wire that loses 30% but keeps order: exactly once, in order', (t) => {
  const r = transfer(2000, { seed: 7, loss: 0.3, delay: 1 }, { robust: false, timerNoResponse: 30_000 });
  t.true(r.done);
  t.deepEqual(r.problems, []);
  t.deepEqual(r.other.a, []);
  t.deepEqual(r.other.b, []);
  t.is(r.wire.stats.reordered, 0);
  r.a.dispose();
  r.b.dispose();
});

test('several seeds at 10% loss with duplication and reordering', (t) => {
  for (const seed of [1, 2, 3]) {
    const r = transfer(1000, { seed, loss: 0.1, duplicate: 0.05, delay: 1, jitter: 2 });
    t.true(r.done, `seed ${seed}`);
    t.deepEqual(r.problems, [], `seed ${seed}`);
    t.deepEqual(r.other.a, [], `seed ${seed}`);
    r.a.dispose();
    r.b.dispose();
  }
});

test('both ends establishing at once over a lossy, duplicating, reordering wire come up exactly once', (t) => {
  for (let seed = 1; seed <= 60; seed++) {
    const clock = new VirtualClock();
    const wire = new LossyWire(clock, { seed, loss: 0.1, duplicate: 0.1, delay: 1, jitter: 3 });
    const ends: Record<'a' | 'b', SaalLink | undefined> = { a: undefined, b: undefined };
    const a = createSaalLink({ name: 'a', scheduler: clock, send: wire.port(() => ends.b!) });
    const b = createSaalLink({ name: 'b', scheduler: clock, send: wire.port(() => ends.a!) });
    ends.a = a;
    ends.b = b;
    const seen: string[] = [];
    a.signals$.subscribe((s) => seen.push(`a:${s.kind}`));
    b.signals$.subscribe((s) => seen.push(`b:${s.kind}`));
    a.establish();
    b.establish();
    clock.runUntil(20_000);
    if (a.state === 'Idle' || b.state === 'Idle') continue; // MaxCC ran out under loss: a legitimate failure
    t.true(a.established && b.established, `seed ${seed}`);
    t.deepEqual(seen.sort(), ['a:establish-confirm', 'b:establish-confirm'], `seed ${seed}`);
    a.dispose();
    b.dispose();
  }
});
