/**
 * SSCOP throughput: SDUs per second (wall clock) from one SSCOP end to another
 * in memory, at 0% and 10% frame loss, timers in virtual time (so the figure
 * is CPU cost, not timer waits). The baseline is the same SDUs pushed through
 * the same in-memory wire and virtual clock without SSCOP, in the same run.
 * And the SAAL's share of a call cycle: CPU per exchange of the five SDUs a
 * point-to-point call cycle sends, through two SSCOP + SSCF ends against a
 * perfect in-memory SAAL (loopback.ts) in the same run.
 * Run alone with `npx tsx bench/run.ts --only sscop [--quick]`.
 */
import { createSaalLink, type SaalLink } from '../src/sscop/index.js';
import { loopbackSaalPair, LoopbackPump } from '../src/sscop/loopback.js';
import { LossyWire, VirtualClock } from '../test/sscop/lossy-wire.js';
import type { BenchFigure } from './run.js';

const SDU_SIZE = 100;

function sdus(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => {
    const b = Buffer.alloc(SDU_SIZE, i & 0xff);
    b.writeUInt32BE(i, 0);
    return b;
  });
}

/** a -> b through SSCOP; returns wall-clock SDUs/s and SDUs per virtual second */
function throughSscop(data: Buffer[], loss: number, seed: number): { perSecond: number; perVirtualSecond: number } {
  const clock = new VirtualClock();
  const wire = new LossyWire(clock, { seed, loss, delay: 1 });
  const ends: { a?: SaalLink; b?: SaalLink } = {};
  const a = createSaalLink({ name: 'a', scheduler: clock, send: wire.port(() => ends.b!) });
  const b = createSaalLink({ name: 'b', scheduler: clock, send: wire.port(() => ends.a!) });
  ends.a = a;
  ends.b = b;
  let got = 0;
  let bad = 0;
  b.signals$.subscribe((s) => {
    if (s.kind !== 'data-indication') return;
    if (s.data.readUInt32BE(0) !== got) bad++;
    got++;
  });
  while (!a.established) {
    a.establish();
    clock.runWhileNot(() => a.established && b.established, clock.now() + 60_000);
  }
  const v0 = clock.now();
  const t0 = process.hrtime.bigint();
  for (const d of data) a.data(d);
  const done = clock.runWhileNot(() => got >= data.length, clock.now() + 24 * 3600_000);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const vsecs = (clock.now() - v0) / 1000;
  a.dispose();
  b.dispose();
  if (!done || bad) throw new Error(`sscop bench: delivered ${got}/${data.length}, ${bad} out of order`);
  return { perSecond: data.length / secs, perVirtualSecond: data.length / vsecs };
}

/** the same SDUs through the same wire and clock, no SSCOP */
function throughWire(data: Buffer[], seed: number): number {
  const clock = new VirtualClock();
  const wire = new LossyWire(clock, { seed, loss: 0, delay: 1 });
  let got = 0;
  const send = wire.port(() => ({ receive: () => void got++ }));
  const t0 = process.hrtime.bigint();
  for (const d of data) send(d);
  clock.runWhileNot(() => got >= data.length, Infinity);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return data.length / secs;
}

/** the SDUs of one p2p call cycle: SETUP, CONNECT ACK, RELEASE one way; CONNECT, RELEASE COMPLETE the other (sizes about theirs) */
const CYCLE_SDUS = [Buffer.alloc(120, 1), Buffer.alloc(40, 2), Buffer.alloc(60, 3), Buffer.alloc(40, 4), Buffer.alloc(20, 5)];

/**
 * CPU us per exchange of CYCLE_SDUS between two SSCOP + SSCF ends that are up, over a synchronous
 * in-memory wire; the virtual clock moves 1 ms per exchange, so POLL/STAT rounds come as in a run
 */
function exchangesThroughSscop(n: number): number {
  const clock = new VirtualClock();
  const ends: { a?: SaalLink; b?: SaalLink } = {};
  const a = createSaalLink({ name: 'a', scheduler: clock, initialSequence: 1, send: (pdu) => ends.b!.receive(pdu) });
  const b = createSaalLink({ name: 'b', scheduler: clock, initialSequence: 2, send: (pdu) => ends.a!.receive(pdu) });
  ends.a = a;
  ends.b = b;
  let got = 0;
  const count = (s: { kind: string }) => void (s.kind === 'data-indication' && got++);
  a.signals$.subscribe(count);
  b.signals$.subscribe(count);
  a.establish();
  clock.runWhileNot(() => a.established && b.established, clock.now() + 60_000);
  const [s1, s2, s3, s4, s5] = CYCLE_SDUS as [Buffer, Buffer, Buffer, Buffer, Buffer];
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    a.data(s1);
    b.data(s2);
    a.data(s3);
    b.data(s4);
    a.data(s5);
    clock.runWhileNot(() => false, clock.now() + 1);
  }
  const cpu = process.cpuUsage(c0);
  a.dispose();
  b.dispose();
  if (got !== 5 * n) throw new Error(`sscop bench: ${got} of ${5 * n} SDUs of the exchanges delivered`);
  return (cpu.user + cpu.system) / n;
}

/** the same exchanges through a perfect SAAL pair in memory (no SSCOP, no SSCF) */
function exchangesThroughLoopback(n: number): number {
  const pump = new LoopbackPump();
  const [a, b] = loopbackSaalPair(pump);
  let got = 0;
  const count = (s: { kind: string }) => void (s.kind === 'data-indication' && got++);
  a.signals$.subscribe(count);
  b.signals$.subscribe(count);
  const [s1, s2, s3, s4, s5] = CYCLE_SDUS as [Buffer, Buffer, Buffer, Buffer, Buffer];
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    a.data(s1);
    b.data(s2);
    a.data(s3);
    b.data(s4);
    a.data(s5);
    pump.run();
  }
  const cpu = process.cpuUsage(c0);
  if (got !== 5 * n) throw new Error(`sscop bench: ${got} of ${5 * n} SDUs of the loopback exchanges delivered`);
  return (cpu.user + cpu.system) / n;
}

export async function benchSscop(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const n = opts.quick ? 5_000 : 50_000;
  const data = sdus(n);
  // warm up the JIT on both paths
  throughSscop(sdus(2000), 0, 1);
  throughSscop(sdus(2000), 0.1, 1);
  throughWire(sdus(2000), 1);
  // best of a few runs: the machine is shared, the best run is the least disturbed one
  const runs = opts.quick ? 1 : 3;
  const best = <T>(f: () => T, key: (x: T) => number): T => {
    let b = f();
    for (let i = 1; i < runs; i++) {
      const x = f();
      if (key(x) > key(b)) b = x;
    }
    return b;
  };
  const baseline = best(() => throughWire(data, 2), (x) => x);
  const clean = best(() => throughSscop(data, 0, 2), (x) => x.perSecond);
  const lossy = best(() => throughSscop(data, 0.1, 2), (x) => x.perSecond);
  const baselineName = `${SDU_SIZE}-octet SDUs through the same in-memory wire without SSCOP`;
  const exchanges = opts.quick ? 20_000 : 100_000;
  exchangesThroughSscop(5_000);
  exchangesThroughLoopback(5_000);
  const cheapest = (f: () => number) => {
    let b = f();
    for (let i = 1; i < runs; i++) b = Math.min(b, f());
    return b;
  };
  const loopbackCpu = cheapest(() => exchangesThroughLoopback(exchanges));
  const sscopCpu = cheapest(() => exchangesThroughSscop(exchanges));
  return [
    {
      name: `CPU per exchange of a p2p call cycle's 5 SDUs through two SSCOP + SSCF ends (${exchanges})`,
      value: sscopCpu,
      unit: 'us CPU',
      baseline: loopbackCpu,
      baselineName: 'the same SDUs through a perfect in-memory SAAL pair (loopback, no SSCOP)',
    },
    { name: `SDUs/s through two SSCOP ends, 0% loss (${n} x ${SDU_SIZE} octets)`, value: clean.perSecond, unit: 'SDU/s', baseline, baselineName },
    { name: `SDUs/s through two SSCOP ends, 10% loss (${n} x ${SDU_SIZE} octets)`, value: lossy.perSecond, unit: 'SDU/s', baseline, baselineName },
    { name: 'SDUs per virtual second, 0% loss, 1 ms one-way delay (protocol efficiency)', value: clean.perVirtualSecond, unit: 'SDU/vs' },
    { name: 'SDUs per virtual second, 10% loss, 1 ms one-way delay (protocol efficiency)', value: lossy.perVirtualSecond, unit: 'SDU/vs' },
  ];
}
