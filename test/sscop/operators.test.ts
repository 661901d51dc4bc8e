/**
 * The SAAL as operators, sscop(link) and sscf(link) going up, sscfDown(link)
 * and sscopDown(link) going down (src/sscop/operators.ts): each usable alone,
 * all on the link's one run queue, and together the same order of PDUs and
 * signals as the link's own wiring. Virtual time, synchronous subjects;
 * nothing sleeps.
 */
import test from 'ava';
import { Subject, VirtualTimeScheduler, filter, tap } from 'rxjs';
import {
  createSaalLink,
  parsePdu,
  sscf,
  sscfDown,
  sscop,
  sscopDown,
  type SaalLink,
  type SaalRequest,
  type SaalService,
  type SaalSignal,
  type SscopRequest,
  type SscopSignal,
} from '../../src/sscop/index.js';

const text = (s: SaalSignal | SscopSignal) => ('data' in s ? `${s.kind} ${s.data.toString()}` : s.kind);
const typeOf = (pdu: Buffer) => {
  const r = parsePdu(pdu);
  return r.ok ? r.value.type : 'bad';
};

/**
 * Two links on an in-memory wire in virtual time (`delay` 0: a PDU reaches the
 * other link inside the send that carries it). With `pipeline`, each link's
 * PDUs go through `pdus$.pipe(sscop(link), sscf(link))`; without, straight to
 * receive() (the link's own wiring). `trace` gets every PDU sent and every
 * signal, in order.
 */
function pair(pipeline: boolean, delay: number) {
  const clock = new VirtualTimeScheduler();
  const trace: string[] = [];
  const pdus = { a: new Subject<Buffer>(), b: new Subject<Buffer>() };
  const links: Partial<Record<'a' | 'b', SaalLink>> = {};
  const port = (from: 'a' | 'b') => (pdu: Buffer) => {
    trace.push(`${from} sends ${typeOf(pdu)}`);
    const to = from === 'a' ? 'b' : 'a';
    const deliver = () => (pipeline ? pdus[to].next(pdu) : links[to]!.receive(pdu));
    if (delay === 0) deliver();
    else clock.schedule(deliver, delay);
  };
  const a = createSaalLink({ name: 'a', scheduler: clock, initialSequence: 1, send: port('a') });
  const b = createSaalLink({ name: 'b', scheduler: clock, initialSequence: 2, send: port('b') });
  links.a = a;
  links.b = b;
  const up = (name: 'a' | 'b', link: SaalLink) => (pipeline ? pdus[name].pipe(sscop(link), sscf(link)) : link.signals$);
  const run = (ms: number) => {
    clock.maxFrames = clock.now() + ms;
    clock.flush();
  };
  return { clock, trace, pdus, a, b, up, run };
}

type Requests = Pick<SaalService, 'data' | 'release'>;

/** what each end does with a signal, traced: it answers from inside the subscriber, as the UNI does */
function reactions(trace: string[], a: Requests, b: Requests) {
  return {
    a: (s: SaalSignal) => {
      trace.push(`a gets ${text(s)}`);
      if (s.kind === 'establish-confirm') {
        a.data(Buffer.from('SETUP'));
        a.data(Buffer.from('INFO'));
      }
      if (s.kind === 'data-indication' && s.data.toString() === 'CONNECT') a.release();
    },
    b: (s: SaalSignal) => {
      trace.push(`b gets ${text(s)}`);
      if (s.kind === 'data-indication' && s.data.toString() === 'SETUP') {
        b.data(Buffer.from('CALL PROCEEDING'));
        b.data(Buffer.from('CONNECT'));
      }
    },
  };
}

/**
 * One exchange with answers made from inside the signal subscribers (as the UNI makes them).
 * With `down` (the path up piped too), each end's requests go down sscfDown(link) and
 * sscopDown(link) (`downPath`, below), and every request SSCF hands SSCOP goes to `down.seen`.
 */
function exchange(pipeline: boolean, delay: number, down?: { seen: string[] }): string[] {
  const { trace, a, b, up, run } = pair(pipeline || down !== undefined, delay);
  const da = down ? downPath(a, down.seen) : undefined;
  const db = down ? downPath(b, down.seen) : undefined;
  const ea = da?.service ?? a;
  const eb = db?.service ?? b;
  const react = reactions(trace, ea, eb);
  const subs = [up('a', a).subscribe(react.a), up('b', b).subscribe(react.b), ...(da && db ? [da.sub, db.sub] : [])];
  // the link's own signals$ hears each signal after the pipeline
  a.signals$.subscribe((s) => trace.push(`a signals$ ${text(s)}`));
  ea.establish();
  run(3000);
  eb.establish(); // after the release: establishing again from the other side
  run(3000);
  for (const s of subs) s.unsubscribe();
  a.dispose();
  b.dispose();
  return trace;
}

for (const delay of [0, 2]) {
  test(`sscop(link) then sscf(link): every PDU sent and every signal in the order of the link's own wiring (${delay ? 'delayed' : 'synchronous'} wire)`, (t) => {
    const own = exchange(false, delay);
    const piped = exchange(true, delay);
    t.true(own.includes('b gets data-indication CONNECT') === false && own.includes('a gets data-indication CONNECT'), 'the exchange ran to its end');
    t.true(own.includes('b gets establish-confirm'));
    t.deepEqual(piped, own);
  });
}

test('sscop(link) alone: the SSCOP signals a PDU causes come out, and while it is subscribed they reach SSCF only through its subscriber', (t) => {
  const { pdus, a, b, run } = pair(true, 0);
  const got: string[] = [];
  let saal = 0;
  b.signals$.subscribe(() => saal++);
  // a's PDUs are not listened to: a stays Outgoing Connection Pending
  const sub = pdus.b.pipe(sscop(b)).subscribe((s) => got.push(`${text(s)} (SSCOP ${b.state}, SSCF ${b.sscfState})`));
  a.establish();
  t.deepEqual(got, ['AA-ESTABLISH.indication (SSCOP Incoming Connection Pending, SSCF 1/1 Released)'], 'handed up before a.establish() returned');
  t.is(b.state, 'Incoming Connection Pending', 'nothing answered: SSCF never saw the indication');
  t.is(b.sscfState, '1/1 Released');
  t.is(saal, 0);
  // unsubscribed: the PDUs no longer reach b through it
  sub.unsubscribe();
  pdus.b.next(Buffer.alloc(8));
  t.deepEqual(b.counters().drops, {});
  // and SSCOP's signals go to b's own SSCF again: released and established anew, b answers by itself
  a.attach(pdus.a);
  b.attach(pdus.b);
  a.release();
  t.is(b.state, 'Idle');
  a.establish();
  run(10);
  t.true(a.established && b.established);
  t.is(saal, 1, "b's establish-indication, on signals$");
  t.deepEqual(got.length, 1);
  a.dispose();
  b.dispose();
});

test('sscf(link) alone: SSCOP signals from any source are stepped through SSCF; the SaalSignals come out before signals$ has them, those of requests from above too', (t) => {
  const clock = new VirtualTimeScheduler();
  const sent: string[] = [];
  const link = createSaalLink({ scheduler: clock, initialSequence: 1, send: (p) => sent.push(typeOf(p)) });
  const order: string[] = [];
  const fromSscop = new Subject<SscopSignal>();
  const sub = fromSscop.pipe(sscf(link)).subscribe((s) => order.push(`sscf ${text(s)}`));
  link.signals$.subscribe((s) => order.push(`signals$ ${text(s)}`));
  // a release requested while released is confirmed by SSCF alone
  link.release();
  t.deepEqual(order, ['sscf release-confirm', 'signals$ release-confirm']);
  fromSscop.next({ kind: 'AA-ESTABLISH.indication', uu: Buffer.alloc(0) });
  t.is(link.sscfState, '4/10 Established');
  fromSscop.next({ kind: 'AA-DATA.indication', data: Buffer.from('x'), sn: 0 });
  t.deepEqual(order.slice(2), ['sscf establish-indication', 'signals$ establish-indication', 'sscf data-indication x', 'signals$ data-indication x']);
  t.is(link.counters().sdusDelivered, 1);
  sub.unsubscribe();
  fromSscop.next({ kind: 'AA-DATA.indication', data: Buffer.from('y'), sn: 1 });
  t.is(order.length, 6, 'unsubscribed: detached from its source');
  link.dispose();
});

test('a data() request made by a subscriber while it handles a signal is queued behind that signal, not run inside it', (t) => {
  const { trace, pdus, a, b, run } = pair(true, 0);
  const sa = pdus.a.pipe(sscop(a), sscf(a)).subscribe((s) => trace.push(`a gets ${text(s)}`));
  const sb = pdus.b.pipe(sscop(b), sscf(b)).subscribe((s) => {
    trace.push(`b gets ${text(s)}`);
    if (s.kind === 'data-indication') {
      const sent = trace.length;
      b.data(Buffer.from('answer'));
      trace.push(sent === trace.length ? 'b: data() returned, nothing sent yet' : 'b: data() ran nested');
      trace.push(`b: SSCOP holds ${b.counters().queuedSdus} SDU(s) of ours`);
    }
  });
  a.establish();
  run(10);
  trace.length = 0;
  a.data(Buffer.from('question'));
  t.deepEqual(trace.slice(0, 6), [
    'a sends SD',
    'b gets data-indication question',
    'b: data() returned, nothing sent yet',
    'b: SSCOP holds 0 SDU(s) of ours',
    'b sends SD',
    'a gets data-indication answer',
  ]);
  sa.unsubscribe();
  sb.unsubscribe();
  a.dispose();
  b.dispose();
});

test('a signal re-emitted through a Subject between the two operators still steps SSCF in its place in the queue', (t) => {
  const direct = exchange(false, 0);
  // the same exchange, with a's SSCOP signals relayed by a Subject on their way to SSCF
  const { trace, pdus, a, b, run } = pair(true, 0);
  const relay = new Subject<SscopSignal>();
  const react = reactions(trace, a, b);
  const subs = [
    relay.pipe(sscf(a)).subscribe(react.a),
    pdus.a.pipe(sscop(a)).subscribe((s) => relay.next(s)),
    pdus.b.pipe(sscop(b), sscf(b)).subscribe(react.b),
  ];
  a.signals$.subscribe((s) => trace.push(`a signals$ ${text(s)}`));
  a.establish();
  run(3000);
  b.establish();
  run(3000);
  for (const s of subs) s.unsubscribe();
  a.dispose();
  b.dispose();
  t.deepEqual(trace, direct);
});

test("SSCF steps inside the 'up' item that hands SSCOP's signal down the chain: done when the signal's trip returns, before what was queued meanwhile", (t) => {
  const { pdus, a, b, run } = pair(true, 0);
  const seen: string[] = [];
  const relay = new Subject<SscopSignal>();
  a.attach(pdus.a);
  const subs = [
    relay.pipe(sscf(b)).subscribe((s) => seen.push(`b gets ${text(s)}`)),
    pdus.b.pipe(sscop(b)).subscribe((s) => {
      if (s.kind === 'AA-ESTABLISH.indication') {
        // a request made while the signal is between the two layers: queued behind this item
        b.data(Buffer.from('early'));
        seen.push(`SSCF ${b.sscfState} before`);
      }
      relay.next(s);
      seen.push(`SSCF ${b.sscfState} after ${s.kind}`);
    }),
  ];
  let got = '';
  a.signals$.subscribe((s) => s.kind === 'data-indication' && (got = s.data.toString()));
  a.establish();
  run(10);
  t.deepEqual(seen, ['SSCF 1/1 Released before', 'b gets establish-indication', 'SSCF 4/10 Established after AA-ESTABLISH.indication']);
  t.is(got, 'early', "SSCF was established when the request's turn came: the SDU was sent, not discarded");
  t.deepEqual(b.counters().discards, {});
  for (const s of subs) s.unsubscribe();
  a.dispose();
  b.dispose();
});

test('one subscriber per layer: a second sscop(link) or sscf(link) errors; unsubscribing frees the place; dispose completes both outputs', (t) => {
  const clock = new VirtualTimeScheduler();
  const link = createSaalLink({ scheduler: clock, initialSequence: 1, send: () => undefined });
  const pdus = new Subject<Buffer>();
  let completed = 0;
  const first = pdus.pipe(sscop(link)).subscribe({ complete: () => completed++ });
  const errors: string[] = [];
  pdus.pipe(sscop(link)).subscribe({ error: (e: Error) => errors.push(e.message) });
  const sig = new Subject<SscopSignal>();
  const firstSscf = sig.pipe(sscf(link)).subscribe({ complete: () => completed++ });
  sig.pipe(sscf(link)).subscribe({ error: (e: Error) => errors.push(e.message) });
  t.is(errors.length, 2);
  t.regex(errors[0]!, /SSCOP's signals already go to another subscriber/);
  t.regex(errors[1]!, /SSCF's signals already go to another subscriber/);
  first.unsubscribe();
  firstSscf.unsubscribe();
  // the places are free again; the PDUs ending does not end SSCOP's signals (timers and requests still make them)
  pdus.pipe(sscop(link)).subscribe({ complete: () => completed++ });
  sig.pipe(sscf(link)).subscribe({ complete: () => completed++ });
  pdus.complete();
  t.is(completed, 0);
  link.dispose();
  t.is(completed, 2);
});

/**
 * The requests of one link as values into `requests.pipe(sscfDown(link), sscopDown(link))`,
 * with `between` (default: nothing) between the two operators; `seen` gets every request
 * SSCF hands SSCOP on the way.
 */
function downPath(link: SaalLink, seen: string[], between: (r: SscopRequest) => boolean = () => true) {
  const requests = new Subject<SaalRequest>();
  const sub = requests
    .pipe(
      sscfDown(link),
      tap((r) => seen.push(`${link.name} ${r.kind}`)),
      filter(between),
      sscopDown(link),
    )
    .subscribe();
  const service: Requests & { establish(): void } = {
    data: (sdu) => requests.next({ kind: 'AAL-DATA.request', data: sdu }),
    release: () => requests.next({ kind: 'AAL-RELEASE.request' }),
    establish: () => requests.next({ kind: 'AAL-ESTABLISH.request' }),
  };
  return { service, sub };
}

for (const delay of [0, 2]) {
  test(`sscfDown(link) then sscopDown(link): every PDU sent and every signal in the order of the link's own wiring, each of SSCF's requests through the chain (${delay ? 'delayed' : 'synchronous'} wire)`, (t) => {
    const own = exchange(false, delay);
    const seen: string[] = [];
    t.deepEqual(exchange(true, delay, { seen }), own);
    // the requests made above, and the answers SSCF makes to SSCOP's indications by itself, all went down the chain
    for (const r of ['a AA-ESTABLISH.request', 'a AA-DATA.request', 'b AA-ESTABLISH.response', 'b AA-DATA.request', 'a AA-RELEASE.request', 'b AA-ESTABLISH.request', 'a AA-ESTABLISH.response']) {
      t.true(seen.includes(r), r);
    }
    t.is(seen.filter((r) => r === 'a AA-DATA.request').length, 2, 'SETUP and INFO');
  });
}

test('sscopDown(link) steps SSCOP only on what reaches it: a request held back between the operators is never sent', (t) => {
  const { trace, pdus, a, b, run } = pair(true, 0);
  a.attach(pdus.a);
  b.attach(pdus.b);
  const seen: string[] = [];
  const da = downPath(a, seen, (r) => r.kind !== 'AA-DATA.request');
  da.service.establish();
  run(10);
  t.true(a.established && b.established);
  trace.length = 0;
  da.service.data(Buffer.from('held back'));
  run(10);
  t.deepEqual(seen.slice(-1), ['a AA-DATA.request'], 'SSCF made the request');
  t.false(trace.includes('a sends SD'), 'SSCOP never had it');
  t.is(a.counters().sdusAccepted, 1);
  // unsubscribed: SSCF's requests go straight to SSCOP again
  da.sub.unsubscribe();
  a.data(Buffer.from('sent'));
  t.true(trace.includes('a sends SD'));
  a.dispose();
  b.dispose();
});

test("SSCOP steps inside the 'down' item that hands SSCF's request along the chain: a Subject between the operators changes no order", (t) => {
  const own = exchange(false, 0);
  const { trace, a, b, up, run } = pair(true, 0);
  const relay = new Subject<SscopRequest>();
  const requests = new Subject<SaalRequest>();
  const subs = [relay.pipe(sscopDown(a)).subscribe(), requests.pipe(sscfDown(a)).subscribe((r) => relay.next(r))];
  const db = downPath(b, []);
  const react = reactions(
    trace,
    { data: (sdu) => requests.next({ kind: 'AAL-DATA.request', data: sdu }), release: () => requests.next({ kind: 'AAL-RELEASE.request' }) },
    db.service,
  );
  subs.push(up('a', a).subscribe(react.a), up('b', b).subscribe(react.b), db.sub);
  a.signals$.subscribe((s) => trace.push(`a signals$ ${text(s)}`));
  requests.next({ kind: 'AAL-ESTABLISH.request' });
  run(3000);
  db.service.establish();
  run(3000);
  for (const s of subs) s.unsubscribe();
  a.dispose();
  b.dispose();
  t.deepEqual(trace, own);
});

test('going down, one subscriber at a time: a second sscfDown(link) errors; dispose completes the chain; a data request after dispose is not counted', (t) => {
  const clock = new VirtualTimeScheduler();
  const link = createSaalLink({ scheduler: clock, initialSequence: 1, send: () => undefined });
  const requests = new Subject<SaalRequest>();
  let completed = 0;
  requests.pipe(sscfDown(link), sscopDown(link)).subscribe({ complete: () => completed++ });
  const errors: string[] = [];
  requests.pipe(sscfDown(link)).subscribe({ error: (e: Error) => errors.push(e.message) });
  t.is(errors.length, 1);
  t.regex(errors[0]!, /SSCF's requests already go to another subscriber/);
  link.dispose();
  t.is(completed, 1);
  requests.next({ kind: 'AAL-DATA.request', data: Buffer.from('late') });
  t.is(link.counters().sdusAccepted, 0);
});
