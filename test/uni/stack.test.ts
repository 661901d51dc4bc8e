/**
 * Two (here: four) full stacks: UniHosts over real SSCOP links on a wire that
 * loses 20% of the PDUs. A roots a point-to-multipoint call with leaves on
 * three links, adds and drops parties with close data, clears the call, and
 * nothing is left anywhere afterwards.
 */
import test from 'ava';
import { Clock, makeHost, MAC_A, MAC_B, MAC_C, MAC_D, type TestHost } from './helpers.js';
import { lossyWire, type LossyWire } from './lossy.js';
import type { UniIndication } from '../../src/uni/api.js';

function connect(clock: Clock, a: TestHost, b: TestHost, seed: number): LossyWire {
  const w = lossyWire(clock, 0.2, seed, 2, `${a.mac}-${b.mac}`);
  a.host.attachLink(b.mac, w.ua, 'network');
  b.host.attachLink(a.mac, w.ub, 'user');
  w.a.establish();
  return w;
}

function until(clock: Clock, cond: () => boolean, limitMs = 60_000): boolean {
  for (let t = 0; t < limitMs; t += 10) {
    if (cond()) return true;
    clock.advance(10);
  }
  return cond();
}

const kinds = (h: TestHost) => h.ind.map((i) => i.kind);

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) test(`full stacks over a 20% lossy wire (seed ${seed}): p2mp call with 3 leaves on 3 links, adds, drops with close data, release; nothing left`, (t) => {
  const clock = new Clock();
  const routes = { '2002': MAC_B, '2012': MAC_B, '3003': MAC_C, '4004': MAC_D };
  const a = makeHost(clock, MAC_A, ['1001'], routes);
  const leaves = [makeHost(clock, MAC_B, ['2002', '2012'], { '1001': MAC_A }), makeHost(clock, MAC_C, ['3003'], { '1001': MAC_A }), makeHost(clock, MAC_D, ['4004'], { '1001': MAC_A })];
  const [b, c, d] = leaves as [TestHost, TestHost, TestHost];
  for (const h of leaves) h.host.indications$.subscribe((i) => i.kind === 'setup' && h.host.accept(i.call));
  const wires = [connect(clock, a, b, seed * 11), connect(clock, a, c, seed * 22 + 1), connect(clock, a, d, seed * 33 + 2)];
  t.true(until(clock, () => a.of('link-up').length === 3), 'links up');

  const r = a.host.setup({ called: '2002', multipoint: true });
  if (!r.ok) return t.fail(r.error.message);
  const call = r.value.call;
  t.true(until(clock, () => a.of('connected').length === 1), `connected (${kinds(a).join(',')})`);
  const pc = a.host.addParty(call, { called: '3003' });
  const pd = a.host.addParty(call, { called: '4004' });
  const pb2 = a.host.addParty(call, { called: '2012' });
  if (!pc.ok || !pd.ok || !pb2.ok) return t.fail('addParty');
  t.true(until(clock, () => a.of('party-added').length === 3), `parties added (${kinds(a).join(',')})`);
  t.is(a.host.counters().parties, 4);

  // B took 2012 as an incoming call of its own (a second setup on the same link call)
  t.deepEqual(b.of('setup').map((i) => i.params.called), ['2002', '2012']);
  // drop the second party on B's link: DROP PARTY carries the close data; at B that call alone ends
  const cd1 = Buffer.from('close data for 2012: ' + 'x'.repeat(100));
  t.true(a.host.dropParty(call, pb2.value, { closeData: cd1 }).ok);
  t.true(until(clock, () => a.of('drop-party-confirm').length === 1 && b.of('released').length === 1));
  t.deepEqual(b.of('released')[0]!.call, b.of('setup')[1]!.call);
  t.deepEqual(b.of('released')[0]!.closeData, cd1);
  t.deepEqual(b.of('party-dropped'), []);

  // drop C's only party: RELEASE carries the close data
  const cd2 = Buffer.alloc(127, 0xa5);
  t.true(a.host.dropParty(call, pc.value, { closeData: cd2 }).ok);
  t.true(until(clock, () => a.of('drop-party-confirm').length === 2 && c.of('released').length === 1));
  t.deepEqual(c.of('released')[0]!.closeData, cd2);

  // add another party on C again, then clear the whole call with close data
  const pc2 = a.host.addParty(call, { called: '3003' });
  if (!pc2.ok) return t.fail();
  t.true(until(clock, () => a.of('party-added').length === 4));
  const cd3 = Buffer.from('the end');
  t.true(a.host.release(call, { closeData: cd3 }).ok);
  t.true(until(clock, () => a.of('release-confirm').length === 1 && leaves.every((h) => h.of('released').length >= 1) && c.of('released').length === 2 && b.of('released').length === 2));
  t.deepEqual(d.of('released')[0]!.closeData, cd3);
  t.deepEqual(b.of('released')[1]!.closeData, cd3);
  t.deepEqual(c.of('released')[1]!.closeData, cd3);

  // nothing left on any side
  until(clock, () => false, 100);
  for (const h of [a, ...leaves]) {
    const k = h.host.counters();
    t.deepEqual([k.calls, k.parties, k.timers, h.host.linkCallCount()], [0, 0, 0, 0], h.mac);
    t.deepEqual(h.host.snapshot().calls, []);
  }
  t.true(wires.every((w) => w.stats.lost > 0));
  const errors: UniIndication[] = [a, ...leaves].flatMap((h) => h.of('protocol-error'));
  t.deepEqual(errors, []);
  t.deepEqual([a, ...leaves].flatMap((h) => h.of('link-down')), []);

  // tear down: every timer and subscription goes
  t.deepEqual(wires.map((w) => w.listeners()), [2, 2, 2], 'one listener per end while attached');
  for (const h of [a, ...leaves]) {
    h.host.dispose();
    h.sub.unsubscribe();
  }
  t.deepEqual(wires.map((w) => w.listeners()), [0, 0, 0], 'call control listens to no SAAL any more');
  for (const w of wires) w.dispose();
  clock.advance(1_000);
  t.is(clock.pending, 0);
});

test('full stacks over a 20% lossy wire: 20 point-to-point calls at once, cleared from both ends with close data', (t) => {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B });
  const b = makeHost(clock, MAC_B, ['2002'], { '1001': MAC_A });
  b.host.indications$.subscribe((i) => {
    if (i.kind === 'setup') {
      b.host.proceeding(i.call);
      b.host.alerting(i.call);
      b.host.accept(i.call);
    }
  });
  const w = connect(clock, a, b, 99);
  t.true(until(clock, () => a.of('link-up').length === 1));
  const calls = Array.from({ length: 20 }, () => a.host.setup({ called: '2002', calling: '1001', multipoint: false }));
  t.true(calls.every((c) => c.ok));
  t.true(until(clock, () => a.of('connected').length === 20 && b.of('active').length === 20));
  const vcis = new Set(a.of('connected').map((c) => c.vc.vci));
  t.is(vcis.size, 20, 'one VC each');
  const inCalls = b.of('setup').map((s) => s.call);
  for (let i = 0; i < 10; i++) {
    const c = calls[i]!;
    if (c.ok) t.true(a.host.release(c.value.call, { closeData: Buffer.from(`a${i}`) }).ok);
    t.true(b.host.release(inCalls[10 + i]!, { closeData: Buffer.from(`b${i}`) }).ok);
  }
  t.true(until(clock, () => a.of('release-confirm').length === 10 && b.of('release-confirm').length === 10 && a.of('released').length === 10 && b.of('released').length === 10));
  t.deepEqual(b.of('released').map((r) => r.closeData?.toString()).sort(), Array.from({ length: 10 }, (_, i) => `a${i}`).sort());
  t.deepEqual(a.of('released').map((r) => r.closeData?.toString()).sort(), Array.from({ length: 10 }, (_, i) => `b${i}`).sort());
  for (const h of [a, b]) t.deepEqual([h.host.counters().calls, h.host.counters().timers, h.host.linkCallCount()], [0, 0, 0]);
  t.true(w.stats.lost > 0);
  a.host.dispose();
  b.host.dispose();
  t.is(w.listeners(), 0);
  w.dispose();
  clock.advance(1_000);
  t.is(clock.pending, 0);
});
