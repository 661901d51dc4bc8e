import test from 'ava';
import { initialSscfState, sscfStep, type SscfEvent, type SscfEffect, type SscfState, type SscopSignal } from '../../src/sscop/index.js';

const E = Buffer.alloc(0);

function run(events: SscfEvent[], from: SscfState = initialSscfState()): { state: SscfState; effects: SscfEffect[] } {
  let state = from;
  const effects: SscfEffect[] = [];
  for (const ev of events) {
    const r = sscfStep(state, ev);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}
const sig = (signal: SscopSignal): SscfEvent => ({ kind: 'sscop', signal });
const toSscop = (fx: SscfEffect[]) => fx.flatMap((e) => (e.kind === 'sscop' ? [e.event.kind] : []));
const up = (fx: SscfEffect[]) => fx.flatMap((e) => (e.kind === 'up' ? [e.signal.kind] : []));

test('AAL-ESTABLISH: 1/1 -> 2/2 -> 4/10 on AA-ESTABLISH.confirm; data held meanwhile is sent in order', (t) => {
  const r = run([
    { kind: 'AAL-ESTABLISH.request' },
    { kind: 'AAL-DATA.request', data: Buffer.from('1') },
    { kind: 'AAL-DATA.request', data: Buffer.from('2') },
  ]);
  t.is(r.state.name, '2/2 Awaiting Establish');
  t.is(r.state.held.size, 2);
  t.deepEqual(toSscop(r.effects), ['AA-ESTABLISH.request']);
  const s = run([sig({ kind: 'AA-ESTABLISH.confirm', uu: E })], r.state);
  t.is(s.state.name, '4/10 Established');
  t.deepEqual(up(s.effects), ['establish-confirm']);
  t.deepEqual(
    s.effects.flatMap((e) => (e.kind === 'sscop' && e.event.kind === 'AA-DATA.request' ? [e.event.data.toString()] : [])),
    ['1', '2'],
  );
  t.is(s.state.held.size, 0);
});

test('incoming establishment is answered automatically and indicated', (t) => {
  const r = run([sig({ kind: 'AA-ESTABLISH.indication', uu: E })]);
  t.deepEqual(toSscop(r.effects), ['AA-ESTABLISH.response']);
  t.deepEqual(up(r.effects), ['establish-indication']);
  t.is(r.state.name, '4/10 Established');
});

test('resynchronisation and recovery indications are answered automatically and reported as establish-indication', (t) => {
  const est = run([sig({ kind: 'AA-ESTABLISH.indication', uu: E })]).state;
  const rs = run([sig({ kind: 'AA-RESYNC.indication', uu: E })], est);
  t.deepEqual(toSscop(rs.effects), ['AA-RESYNC.response']);
  t.deepEqual(up(rs.effects), ['establish-indication']);
  const er = run([sig({ kind: 'AA-RECOVER.indication' })], est);
  t.deepEqual(toSscop(er.effects), ['AA-RECOVER.response']);
  t.deepEqual(up(er.effects), ['establish-indication']);
  t.is(er.state.name, '4/10 Established');
});

test('AAL-ESTABLISH on a live link is a resync: 2/5, confirm on AA-RESYNC.confirm, data held meanwhile', (t) => {
  const est = run([sig({ kind: 'AA-ESTABLISH.indication', uu: E })]).state;
  const r = run([{ kind: 'AAL-ESTABLISH.request' }, { kind: 'AAL-DATA.request', data: Buffer.from('x') }], est);
  t.is(r.state.name, '2/5 Resynchronising');
  t.deepEqual(toSscop(r.effects), ['AA-RESYNC.request']);
  const c = run([sig({ kind: 'AA-RESYNC.confirm' })], r.state);
  t.deepEqual(up(c.effects), ['establish-confirm']);
  t.deepEqual(toSscop(c.effects), ['AA-DATA.request']);
});

test('release indication (NO-RESPONSE, MaxCC, peer END) goes up with its reason and drops held data', (t) => {
  const r = run([{ kind: 'AAL-ESTABLISH.request' }, { kind: 'AAL-DATA.request', data: Buffer.from('x') }]);
  const s = run([sig({ kind: 'AA-RELEASE.indication', source: 'sscop', reason: 'max-cc: no answer to BGN', uu: E })], r.state);
  t.is(s.state.name, '1/1 Released');
  t.deepEqual(s.effects, [
    { kind: 'discard', reason: 'held-data-released', count: 1 },
    { kind: 'up', signal: { kind: 'release-indication', reason: 'max-cc: no answer to BGN' } },
  ]);
  const est = run([sig({ kind: 'AA-ESTABLISH.indication', uu: E })]).state;
  const nr = run([sig({ kind: 'AA-RELEASE.indication', source: 'sscop', reason: 'no-response', uu: E })], est);
  t.deepEqual(nr.effects, [{ kind: 'up', signal: { kind: 'release-indication', reason: 'no-response' } }]);
});

test('AAL-RELEASE: 3/4 until AA-RELEASE.confirm; when released already, confirmed at once', (t) => {
  const est = run([sig({ kind: 'AA-ESTABLISH.indication', uu: E })]).state;
  const r = run([{ kind: 'AAL-RELEASE.request' }], est);
  t.is(r.state.name, '3/4 Awaiting Release');
  t.deepEqual(toSscop(r.effects), ['AA-RELEASE.request']);
  const c = run([sig({ kind: 'AA-RELEASE.confirm' })], r.state);
  t.deepEqual(up(c.effects), ['release-confirm']);
  t.is(c.state.name, '1/1 Released');
  t.deepEqual(up(run([{ kind: 'AAL-RELEASE.request' }]).effects), ['release-confirm']);
});

test('data and unitdata pass through; data while released is discarded', (t) => {
  const est = run([sig({ kind: 'AA-ESTABLISH.indication', uu: E })]).state;
  const r = run(
    [
      { kind: 'AAL-DATA.request', data: Buffer.from('d') },
      { kind: 'AAL-UNITDATA.request', data: Buffer.from('u') },
      sig({ kind: 'AA-DATA.indication', data: Buffer.from('in'), sn: 0 }),
      sig({ kind: 'AA-UNITDATA.indication', data: Buffer.from('uin') }),
    ],
    est,
  );
  t.deepEqual(toSscop(r.effects), ['AA-DATA.request', 'AA-UNITDATA.request']);
  t.deepEqual(up(r.effects), ['data-indication', 'unitdata-indication']);
  const rel = run([{ kind: 'AAL-DATA.request', data: Buffer.from('x') }]);
  t.deepEqual(rel.effects, [{ kind: 'discard', reason: 'data-while-released', count: 1 }]);
});
