import test from 'ava';
import { VirtualTimeScheduler } from 'rxjs';
import { createSaalLink, createSaalMux, emitPdu, parsePdu, type SaalLink, type SaalSignal, type SscopParams } from '../../src/sscop/index.js';

/**
 * Two links joined by an in-memory wire in RxJS virtual time. `delay` is the
 * one-way delay in ms (0: delivered synchronously); `drop(from, type)` loses PDUs.
 */
function pair(opts: { params?: Partial<SscopParams>; delay?: number } = {}) {
  const scheduler = new VirtualTimeScheduler();
  const delay = opts.delay ?? 0;
  const log: { t: number; from: 'a' | 'b'; type: string }[] = [];
  const ctl = { drop: (_from: 'a' | 'b', _type: string) => false };
  const links: Record<'a' | 'b', SaalLink | undefined> = { a: undefined, b: undefined };
  const port = (from: 'a' | 'b') => (pdu: Buffer) => {
    const r = parsePdu(pdu);
    const type = r.ok ? r.value.type : 'bad';
    log.push({ t: scheduler.now(), from, type });
    if (ctl.drop(from, type)) return;
    const to = () => links[from === 'a' ? 'b' : 'a']!;
    if (delay === 0) to().receive(pdu);
    else scheduler.schedule(() => to().receive(pdu), delay);
  };
  const a = createSaalLink({ name: 'a', scheduler, params: opts.params, send: port('a') });
  const b = createSaalLink({ name: 'b', scheduler, params: opts.params, send: port('b') });
  links.a = a;
  links.b = b;
  const seen = { a: [] as { t: number; s: SaalSignal }[], b: [] as { t: number; s: SaalSignal }[] };
  a.signals$.subscribe((s) => seen.a.push({ t: scheduler.now(), s }));
  b.signals$.subscribe((s) => seen.b.push({ t: scheduler.now(), s }));
  /** run virtual time up to `ms` (absolute) */
  const runUntil = (ms: number) => {
    scheduler.maxFrames = ms;
    scheduler.flush();
  };
  return { scheduler, a, b, seen, log, ctl, runUntil };
}

const kinds = (s: { s: SaalSignal }[]) => s.map((x) => x.s.kind);
const texts = (s: { s: SaalSignal }[]) => s.flatMap((x) => (x.s.kind === 'data-indication' ? [x.s.data.toString()] : []));
const sentBy = (log: { t: number; from: string; type: string }[], from: string, type: string) => log.filter((x) => x.from === from && x.type === type).map((x) => x.t);

test('establish, data both ways, release over a perfect wire', (t) => {
  const { a, b, seen, runUntil } = pair();
  t.is(a.state, 'Idle');
  t.is(a.sscfState, '1/1 Released');
  a.establish();
  a.data(Buffer.from('queued while establishing'));
  runUntil(10);
  t.true(a.established);
  t.true(b.established);
  t.is(a.state, 'Data Transfer Ready');
  t.is(b.state, 'Data Transfer Ready');
  t.deepEqual(kinds(seen.a), ['establish-confirm']);
  t.deepEqual(kinds(seen.b), ['establish-indication', 'data-indication']);
  for (let i = 0; i < 100; i++) a.data(Buffer.from(`a${i}`));
  for (let i = 0; i < 100; i++) b.data(Buffer.from(`b${i}`));
  runUntil(3000);
  t.deepEqual(texts(seen.b), ['queued while establishing', ...Array.from({ length: 100 }, (_, i) => `a${i}`)]);
  t.deepEqual(texts(seen.a), Array.from({ length: 100 }, (_, i) => `b${i}`));
  t.is(a.counters().unacknowledgedSdus, 0);
  a.release();
  runUntil(4000);
  t.is(a.state, 'Idle');
  t.is(b.state, 'Idle');
  t.false(a.established);
  t.is(seen.a.at(-1)!.s.kind, 'release-confirm');
  t.is(seen.b.at(-1)!.s.kind, 'release-indication');
  t.deepEqual(a.counters().runningTimers, []);
  t.deepEqual(b.counters().runningTimers, []);
  a.dispose();
  b.dispose();
});

test('collision: both ends establish at once over a wire with delay; both confirm and data flows', (t) => {
  const { a, b, seen, log, runUntil } = pair({ delay: 5 });
  a.establish();
  b.establish();
  runUntil(20);
  t.deepEqual(sentBy(log, 'a', 'BGN'), [0]);
  t.deepEqual(sentBy(log, 'b', 'BGN'), [0]);
  t.true(a.established && b.established);
  t.deepEqual(kinds(seen.a), ['establish-confirm']);
  t.deepEqual(kinds(seen.b), ['establish-confirm']);
  t.is(a.counters().maaErrors.C, 1, 'the crossing BGAK is reported and ignored');
  a.data(Buffer.from('x'));
  b.data(Buffer.from('y'));
  runUntil(100);
  t.deepEqual(texts(seen.b), ['x']);
  t.deepEqual(texts(seen.a), ['y']);
});

test('release when already released confirms at once; data while released is discarded and counted', (t) => {
  const { a, seen } = pair();
  a.release();
  t.deepEqual(kinds(seen.a), ['release-confirm']);
  a.data(Buffer.from('nowhere'));
  t.is(a.counters().discards['data-while-released'], 1);
});

test('establish on a live link resynchronises: confirm here, indication there, data flows afterwards', (t) => {
  const { a, b, seen, log, runUntil } = pair({ delay: 1 });
  a.establish();
  runUntil(10);
  a.establish();
  a.data(Buffer.from('held during resync'));
  t.is(a.state, 'Outgoing Resynchronization Pending');
  t.is(a.sscfState, '2/5 Resynchronising');
  runUntil(20);
  t.deepEqual(sentBy(log, 'a', 'RS').length, 1);
  t.deepEqual(sentBy(log, 'b', 'RSAK').length, 1);
  t.deepEqual(kinds(seen.a), ['establish-confirm', 'establish-confirm']);
  t.deepEqual(kinds(seen.b), ['establish-indication', 'establish-indication', 'data-indication']);
  t.deepEqual(texts(seen.b), ['held during resync']);
  t.true(a.established && b.established);
});

test('error recovery (ER/ERAK) after a protocol error is reported up as establish-indication on both ends', (t) => {
  const { a, b, seen, log, runUntil } = pair({ delay: 1 });
  a.establish();
  runUntil(10);
  // a STAT answering a POLL that was never sent: MAA-ERROR R, error recovery
  a.receive(emitPdu({ type: 'STAT', nps: 77, nmr: 128, nr: 0, list: [] }));
  t.is(a.state, 'Outgoing Recovery Pending');
  runUntil(20);
  t.is(sentBy(log, 'a', 'ER').length, 1);
  t.is(sentBy(log, 'b', 'ERAK').length, 1);
  t.is(a.counters().maaErrors.R, 1);
  t.deepEqual(kinds(seen.a), ['establish-confirm', 'establish-indication']);
  t.deepEqual(kinds(seen.b), ['establish-indication', 'establish-indication']);
  t.true(a.established && b.established);
  a.data(Buffer.from('after recovery'));
  runUntil(30);
  t.deepEqual(texts(seen.b), ['after recovery']);
});

test('Timer_CC: BGN at 0, 1, 2, 3 s, then MAA-ERROR O and a release indication at 4 s; nothing left running', (t) => {
  const { a, seen, log, ctl, runUntil } = pair();
  ctl.drop = () => true;
  a.establish();
  runUntil(60_000);
  t.deepEqual(sentBy(log, 'a', 'BGN'), [0, 1000, 2000, 3000]);
  t.deepEqual(sentBy(log, 'a', 'END'), [4000]);
  t.deepEqual(seen.a.map((x) => [x.t, x.s.kind]), [[4000, 'release-indication']]);
  t.regex((seen.a[0]!.s as { reason: string }).reason, /max-cc/);
  t.is(a.counters().maaErrors.O, 1);
  t.is(a.counters().ccRetransmissions, 3);
  t.deepEqual(a.counters().runningTimers, []);
  t.is(a.state, 'Idle');
});

test('Timer_CC with MaxCC and Timer_CC configured', (t) => {
  const { a, log, ctl, runUntil } = pair({ params: { timerCC: 300, maxCC: 2 } });
  ctl.drop = () => true;
  a.establish();
  runUntil(10_000);
  t.deepEqual(sentBy(log, 'a', 'BGN'), [0, 300]);
  t.deepEqual(sentBy(log, 'a', 'END'), [600]);
});

test('Timer_POLL and Timer_IDLE: a quiet link polls at 750 ms, then idles 15 s between probes', (t) => {
  const { a, log, runUntil } = pair();
  a.establish();
  runUntil(40_000);
  // 750: POLL expiry (nothing outstanding -> transient), its STAT -> idle;
  // 750 + 15000: IDLE expiry polls (-> transient again), its STAT -> idle; and so on
  t.deepEqual(sentBy(log, 'a', 'POLL'), [750, 15_750, 30_750]);
  t.true(a.established);
});

test('Timer_KEEP_ALIVE and Timer_NO_RESPONSE: with every STAT lost, polls at 750/2750/4750/6750 and release at 7 s', (t) => {
  const { a, b, seen, log, ctl, runUntil } = pair();
  a.establish();
  runUntil(0);
  ctl.drop = (from, type) => from === 'b' && type === 'STAT';
  runUntil(60_000);
  t.deepEqual(sentBy(log, 'a', 'POLL'), [750, 2750, 4750, 6750]);
  t.deepEqual(seen.a.map((x) => [x.t, x.s.kind]), [
    [0, 'establish-confirm'],
    [7000, 'release-indication'],
  ]);
  t.is((seen.a[1]!.s as { reason: string }).reason, 'no-response');
  t.is(a.counters().maaErrors.P, 1);
  t.deepEqual(a.counters().runningTimers, []);
  // the END(S=1) reached b, which released too
  t.is(b.state, 'Idle');
  t.deepEqual(b.counters().runningTimers, []);
});

test('a peer that goes silent during transfer is detected within Timer_NO_RESPONSE; no timer is left running', (t) => {
  for (const noResponse of [7000, 3000]) {
    const { a, b, seen, ctl, runUntil, scheduler } = pair({ params: { timerNoResponse: noResponse }, delay: 2 });
    a.establish();
    runUntil(10);
    let n = 0;
    const pump = () => {
      a.data(Buffer.from(`m${n++}`));
      scheduler.schedule(pump, 20);
    };
    pump();
    runUntil(5000);
    t.true(texts(seen.b).length > 100);
    const silentFrom = scheduler.now();
    ctl.drop = () => true;
    b.dispose(); // the peer is gone for good
    runUntil(100_000);
    const rel = seen.a.find((x) => x.s.kind === 'release-indication');
    t.truthy(rel);
    t.true(rel!.t <= silentFrom + noResponse, `detected at ${rel!.t - silentFrom} ms after silence (limit ${noResponse})`);
    t.true(rel!.t > silentFrom);
    t.is((rel!.s as { reason: string }).reason, 'no-response');
    t.false(a.established);
    t.deepEqual(a.counters().runningTimers, []);
    a.dispose();
  }
});

test('a peer that goes silent while the link idles is detected within Timer_IDLE + Timer_NO_RESPONSE', (t) => {
  const { a, seen, ctl, runUntil, scheduler } = pair();
  a.establish();
  runUntil(1000); // now in the idle phase
  const silentFrom = scheduler.now();
  ctl.drop = () => true;
  runUntil(100_000);
  const rel = seen.a.find((x) => x.s.kind === 'release-indication')!;
  t.true(rel.t - silentFrom <= 15_000 + 7000);
  t.deepEqual(a.counters().runningTimers, []);
});

test('unitdata passes both ways, established or not', (t) => {
  const { a, b, seen } = pair();
  a.unitdata(Buffer.from('u1'));
  t.deepEqual(seen.b.map((x) => x.s), [{ kind: 'unitdata-indication', data: Buffer.from('u1') }]);
  b.unitdata(Buffer.from('u2'));
  t.deepEqual(seen.a.map((x) => x.s), [{ kind: 'unitdata-indication', data: Buffer.from('u2') }]);
});

test('counters: PDUs by type, MAA-ERRORs by letter, decode drops by code', (t) => {
  const { a, runUntil } = pair();
  a.establish();
  runUntil(10);
  a.receive(Buffer.from([1, 2, 3]));
  a.receive(Buffer.alloc(8));
  a.receive(emitPdu({ type: 'BGAK', nmr: 1, uu: Buffer.alloc(0) }));
  const c = a.counters();
  t.like(c.drops, { 'bad-length': 1, 'unknown-type': 1 });
  t.like(c.maaErrors, { U: 2, C: 1 });
  t.like(c.pdusOut, { BGN: 1 });
  t.like(c.pdusIn, { BGAK: 2 });
  t.is(c.state, 'Data Transfer Ready');
  t.deepEqual(c.runningTimers, ['POLL', 'NO_RESPONSE']);
});

test('dispose stops every timer, completes signals$ and ignores later input', (t) => {
  const { a, runUntil, scheduler } = pair();
  let completed = false;
  a.signals$.subscribe({ complete: () => (completed = true) });
  a.establish();
  runUntil(10);
  t.true(a.counters().runningTimers.length > 0);
  a.dispose();
  t.true(completed);
  t.deepEqual(a.counters().runningTimers, []);
  a.receive(emitPdu({ type: 'END', source: 'user', uu: Buffer.alloc(0) }));
  a.data(Buffer.from('x'));
  runUntil(100_000);
  t.is(a.state, 'Data Transfer Ready');
  t.is(scheduler.actions.filter((x) => !x.closed).length, 0);
});

test('mux: one association per peer MAC, created on first PDU', (t) => {
  const scheduler = new VirtualTimeScheduler();
  const out: [string, Buffer][] = [];
  const mux = createSaalMux({ scheduler, send: (peer, pdu) => out.push([peer, pdu]) });
  const other = createSaalLink({ scheduler, send: (pdu) => mux.receive('02:00:00:00:00:0B', pdu) });
  other.establish();
  t.deepEqual(mux.peers(), ['02:00:00:00:00:0b']);
  t.is(mux.link('02:00:00:00:00:0b').state, 'Data Transfer Ready');
  t.is(out[0]![0], '02:00:00:00:00:0b');
  t.is(mux.link('02:00:00:00:00:0c').state, 'Idle');
  t.is(mux.peers().length, 2);
  mux.remove('02:00:00:00:00:0c');
  t.is(mux.peers().length, 1);
  mux.dispose();
  t.deepEqual(mux.peers(), []);
});

const typeOf = (pdu: Buffer) => {
  const r = parsePdu(pdu);
  return r.ok ? r.value.type : 'bad';
};

test("mux with pathTo: each link's path down is asked for once, before the link is made; the BGN a PDU from a new peer causes goes there", (t) => {
  const scheduler = new VirtualTimeScheduler();
  const out: string[] = [];
  const asked: string[] = [];
  const mux = createSaalMux({
    scheduler,
    pathTo: (peer) => {
      asked.push(`${peer} (links: ${mux.peers().length})`);
      return (pdu) => out.push(`${peer} ${typeOf(pdu)}`);
    },
  });
  const other = createSaalLink({ scheduler, send: (pdu) => mux.receive('02:00:00:00:00:0B', pdu) });
  other.establish();
  t.deepEqual(asked, ['02:00:00:00:00:0b (links: 0)']);
  t.deepEqual(out, ['02:00:00:00:00:0b BGAK']);
  mux.link('02:00:00:00:00:0c').establish();
  t.deepEqual(out.slice(1), ['02:00:00:00:00:0c BGN'], 'the first PDU of a new link is sent at once');
  mux.link('02:00:00:00:00:0c');
  t.is(asked.length, 2, 'once per link');
  mux.dispose();
});

test('configure: parameters change only while Idle', (t) => {
  const { a, log, ctl, runUntil } = pair();
  t.true(a.configure({ timerCC: 250, maxCC: 2 }));
  t.is(a.params.timerCC, 250);
  t.throws(() => a.configure({ maxSTAT: 10 }), { instanceOf: RangeError });
  ctl.drop = () => true;
  a.establish();
  t.false(a.configure({ timerCC: 500 }));
  runUntil(10_000);
  t.deepEqual(sentBy(log, 'a', 'BGN'), [0, 250]);
  t.is(a.state, 'Idle');
  t.true(a.configure({ timerCC: 500 }));
});

test('attach: PDUs arriving on an Observable are received in order', async (t) => {
  const { Subject } = await import('rxjs');
  const scheduler = new VirtualTimeScheduler();
  const toB = new Subject<Buffer>();
  const toA = new Subject<Buffer>();
  const a = createSaalLink({ scheduler, send: (p) => toB.next(p) });
  const b = createSaalLink({ scheduler, send: (p) => toA.next(p) });
  const subA = a.attach(toA);
  b.attach(toB);
  const got: string[] = [];
  b.signals$.subscribe((s) => s.kind === 'data-indication' && got.push(s.data.toString()));
  a.establish();
  a.data(Buffer.from('via observable'));
  t.deepEqual(got, ['via observable']);
  subA.unsubscribe();
});

test('a send callback that throws counts as a lost PDU and does not break the link', (t) => {
  const scheduler = new VirtualTimeScheduler();
  let fail = true;
  const ends: { a?: SaalLink; b?: SaalLink } = {};
  const a = createSaalLink({
    scheduler,
    send: (p) => {
      if (fail) throw new Error('device gone');
      ends.b!.receive(p);
    },
  });
  const b = createSaalLink({ scheduler, send: (p) => ends.a!.receive(p) });
  ends.a = a;
  ends.b = b;
  t.notThrows(() => a.establish());
  t.is(a.counters().sendErrors, 1);
  fail = false;
  scheduler.maxFrames = 5000;
  scheduler.flush();
  t.true(a.established && b.established, 'the Timer_CC retransmission got through');
});

test('disposing a link from inside a signal handler leaves no timer behind', (t) => {
  const { a, b, runUntil } = pair({ delay: 1 });
  b.signals$.subscribe((s) => {
    if (s.kind === 'establish-indication') b.dispose();
  });
  a.establish();
  runUntil(100);
  t.deepEqual(b.counters().runningTimers, []);
});

test('SDUs over MaxK are refused (counted), never sent', (t) => {
  const { a, b, seen, runUntil } = pair({ params: { maxK: 16 } });
  a.establish();
  runUntil(10);
  a.data(Buffer.alloc(17));
  a.data(Buffer.alloc(16, 1));
  a.unitdata(Buffer.alloc(17));
  runUntil(2000);
  t.is(a.counters().discards['sdu-too-long'], 2);
  t.deepEqual(
    seen.b.filter((x) => x.s.kind === 'data-indication').map((x) => (x.s as { data: Buffer }).data.length),
    [16],
  );
  t.is(b.counters().drops['too-long'] ?? 0, 0);
});

test('marbles (TestScheduler): MaxCC exhaustion and NO_RESPONSE as signal timelines', async (t) => {
  const { TestScheduler } = await import('rxjs/testing');
  const { map } = await import('rxjs');
  const scheduler = () => new TestScheduler((actual, expected) => t.deepEqual(actual, expected));
  const lonelyTs = scheduler();
  lonelyTs.run(({ expectObservable }) => {
    // nobody answers: BGN at 0, 1, 2, 3 s, release indication at 4 s
    const lonely = createSaalLink({ scheduler: lonelyTs, send: () => {} });
    expectObservable(lonely.signals$.pipe(map((s) => s.kind))).toBe('4000ms r', { r: 'release-indication' });
    lonelyTs.schedule(() => lonely.establish(), 0);
  });
  const silentTs = scheduler();
  silentTs.run(({ expectObservable }) => {
    // the peer answers the BGN and then falls silent: NO_RESPONSE (7 s) ends it
    let answered = false;
    const peer = createSaalLink({ scheduler: silentTs, send: (pdu) => void (answered || ((answered = true), a.receive(pdu))) });
    const a: SaalLink = createSaalLink({ scheduler: silentTs, send: (pdu) => peer.receive(pdu) });
    expectObservable(a.signals$.pipe(map((s) => s.kind))).toBe('c 6999ms r', { c: 'establish-confirm', r: 'release-indication' });
    silentTs.schedule(() => a.establish(), 0);
  });
});

test('a host that restarts while the peer still has the link up gets a fresh link only if its N(SQ) differs', (t) => {
  for (const restartSequence of [77, 0]) {
    const scheduler = new VirtualTimeScheduler();
    const ends: { a?: SaalLink; b?: SaalLink } = {};
    const b = createSaalLink({ scheduler, initialSequence: 0, send: (p) => ends.a!.receive(p) });
    ends.b = b;
    // first life: VT(SQ) 0, so its BGN carries N(SQ) = 1
    ends.a = createSaalLink({ scheduler, initialSequence: 0, send: (p) => b.receive(p) });
    ends.a.establish();
    for (let i = 0; i < 10; i++) ends.a.data(Buffer.from(`old ${i}`));
    t.true(b.established);
    ends.a.dispose();
    const seen: string[] = [];
    b.signals$.subscribe((s) => seen.push(s.kind));
    // second life, while b still has the old association up
    const a2 = createSaalLink({ scheduler, initialSequence: restartSequence, send: (p) => b.receive(p) });
    ends.a = a2;
    a2.establish();
    if (restartSequence === 77) t.deepEqual(seen, ['release-indication', 'establish-indication'], 'b starts over');
    // a restart that happened to reuse N(SQ) 1 looks like a retransmitted BGN to b: b keeps its stale state until the
    // first STAT shows it (error recovery, next test)
    else t.deepEqual(seen, [], 'the hazard a random initial VT(SQ) avoids');
  }
});

test('a restart that reused N(SQ) meets the old association: Q.2110 error recovery (ER/ERAK) within one polling interval, then data flows both ways', (t) => {
  // the case that stalled until NO_RESPONSE: b had sent SDs (VT(A) > 0) and received none, so the restarted end's
  // STATs (N(R) 0) were behind b's VT(A) and were discarded as stale, while b's STATs looked fine to the restarted end
  const scheduler = new VirtualTimeScheduler();
  // run virtual time up to `until` (flush() alone would never end: SSCOP always has a timer running)
  const runUntil = (until: number) => {
    scheduler.maxFrames = until;
    scheduler.flush();
  };
  const ends: { a?: SaalLink } = {};
  const b = createSaalLink({ scheduler, initialSequence: 0, send: (p) => ends.a?.receive(p) });
  const a1 = createSaalLink({ scheduler, initialSequence: 0, send: (p) => b.receive(p) });
  ends.a = a1;
  a1.establish();
  for (let i = 0; i < 10; i++) b.data(Buffer.from(`old ${i}`));
  runUntil(1000);
  t.is(b.counters().unacknowledgedSdus, 0);
  a1.dispose();
  const start = scheduler.now();
  const a2 = createSaalLink({ scheduler, initialSequence: 0, send: (p) => b.receive(p) });
  ends.a = a2;
  const seenB: string[] = [];
  const gotA: string[] = [];
  const gotB: string[] = [];
  b.signals$.subscribe((s) => (s.kind === 'data-indication' ? gotB.push(s.data.toString()) : seenB.push(s.kind)));
  a2.signals$.subscribe((s) => s.kind === 'data-indication' && gotA.push(s.data.toString()));
  a2.establish();
  t.true(a2.established, 'b answered the BGN as a retransmission (BGAK)');
  t.deepEqual(seenB, [], 'b did not notice the restart from the BGN');
  b.data(Buffer.from('new from b'));
  // one polling interval (750 ms) later b's POLL is answered with N(R) behind its VT(A)
  runUntil(start + 1000);
  t.is(b.counters().maaErrors.S, 1, 'b took the STAT as error S');
  t.is(b.counters().pdusOut.ER, 1, 'b started error recovery');
  t.is(b.counters().pdusIn.ERAK, 1);
  t.deepEqual(seenB, ['establish-indication'], 'Q.2931 above b is told (and enquires about its calls)');
  t.is(b.state, 'Data Transfer Ready');
  t.is(a2.state, 'Data Transfer Ready');
  t.true(gotA.includes('new from b'));
  a2.data(Buffer.from('new from a'));
  runUntil(start + 2000);
  t.deepEqual(gotB, ['new from a']);
  t.is(b.counters().maaErrors.P, undefined, 'no NO_RESPONSE expiry');
});

test('by default every link starts from a random VT(SQ)', (t) => {
  const first = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const sent: Buffer[] = [];
    createSaalLink({ send: (p) => sent.push(p), scheduler: new VirtualTimeScheduler() }).establish();
    const r = parsePdu(sent[0]!);
    if (r.ok && r.value.type === 'BGN') first.add(r.value.nsq);
  }
  t.true(first.size > 10);
  t.false(first.has(0), 'never N(SQ) 0, which a fresh peer would refuse as a retransmission');
});

test('initialSequence fixes the first N(SQ)', (t) => {
  const sent: Buffer[] = [];
  const a = createSaalLink({ initialSequence: 41, send: (p) => sent.push(p), scheduler: new VirtualTimeScheduler() });
  a.establish();
  const r = parsePdu(sent[0]!);
  t.true(r.ok && r.value.type === 'BGN' && r.value.nsq === 42);
});
