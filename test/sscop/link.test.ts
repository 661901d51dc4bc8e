import test from 'ava';
import { VirtualTimeScheduler } from 'rxjs';
import { createSaalLink, type SaalLink, type SaalSignal } from '../../src/sscop/index.js';

/** Two links joined by a perfect in-memory wire, in virtual time. */
function pair(params = {}) {
  const scheduler = new VirtualTimeScheduler();
  const links: { a?: SaalLink; b?: SaalLink } = {};
  const a = createSaalLink({ name: 'a', scheduler, params, send: (p) => links.b!.receive(p) });
  const b = createSaalLink({ name: 'b', scheduler, params, send: (p) => links.a!.receive(p) });
  links.a = a;
  links.b = b;
  const seen = { a: [] as SaalSignal[], b: [] as SaalSignal[] };
  a.signals$.subscribe((s) => seen.a.push(s));
  b.signals$.subscribe((s) => seen.b.push(s));
  const runUntil = (ms: number) => {
    scheduler.maxFrames = ms;
    scheduler.flush();
  };
  return { scheduler, a, b, seen, runUntil };
}

const kinds = (s: SaalSignal[]) => s.map((x) => x.kind);
const texts = (s: SaalSignal[]) => s.flatMap((x) => (x.kind === 'data-indication' ? [x.data.toString()] : []));

test('establish, data both ways, release over a perfect wire', (t) => {
  const { a, b, seen, runUntil } = pair();
  t.is(a.state, 'Idle');
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
  t.is(seen.a.at(-1)!.kind, 'release-confirm');
  t.is(seen.b.at(-1)!.kind, 'release-indication');
  t.deepEqual(a.counters().runningTimers, []);
  t.deepEqual(b.counters().runningTimers, []);
  a.dispose();
  b.dispose();
});
