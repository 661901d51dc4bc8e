import test from 'ava';
import { Clock, FrozenScheduler, idle, link, makeHost, MAC_A, MAC_B } from './helpers.js';
import { createCallControl } from '../../src/callcontrol/index.js';
import { MAX_CALL_REF, MAX_EPREF, type UniLink } from '../../src/uni/uni-link.js';
import { findIe, IeId, MsgType } from '../../src/uni/msg/types.js';
import type { SaalService } from '../../src/sscop/service.js';
import { LoopbackPump, loopbackSaalPair } from '../../src/sscop/loopback.js';

function two() {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B, '2012': MAC_B });
  const b = makeHost(clock, MAC_B, ['2002', '2012'], { '1001': MAC_A });
  const [sa, sb] = link(clock, a, b);
  b.host.indications$.subscribe((i) => i.kind === 'setup' && b.host.accept(i.call));
  return { clock, a, b, sa, sb };
}

test('call references: 1..2^23-2, never 0 or 0x7FFFFF, wrapping and skipping live ones; flags both ways', (t) => {
  const { clock, a, b, sa, sb } = two();
  const la = a.host.linkOf(MAC_B) as UniLink;
  const r1 = a.host.setup({ called: '2002', multipoint: false });
  clock.advance(5);
  t.is(sa.sent[0]!.callRef, 1);
  t.false(sa.sent[0]!.callRefFlag, 'the allocating side sends flag 0');
  t.true(sb.sent.every((m) => m.callRef === 1 && m.callRefFlag), 'the other side answers with flag 1');
  la.nextCref = MAX_CALL_REF;
  t.is(MAX_CALL_REF, 0x7ffffe);
  const r2 = a.host.setup({ called: '2002', multipoint: false });
  const r3 = a.host.setup({ called: '2002', multipoint: false });
  clock.advance(5);
  const setups = sa.sent.filter((m) => m.type === MsgType.SETUP).map((m) => m.callRef);
  t.deepEqual(setups, [1, 0x7ffffe, 2], 'wraps to 1, skips 1 (live), never 0x7FFFFF or 0');
  t.true(r1.ok && r2.ok && r3.ok);
  t.is(a.host.linkCallCount(), 3);
  t.is(b.host.linkCallCount(), 3);
});

test('the same call reference value in both directions names two calls', (t) => {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B });
  const b = makeHost(clock, MAC_B, ['2002'], { '1001': MAC_A });
  const [sa, sb] = link(clock, a, b);
  for (const h of [a, b]) h.host.indications$.subscribe((i) => i.kind === 'setup' && h.host.accept(i.call));
  const x = a.host.setup({ called: '2002', multipoint: false });
  const y = b.host.setup({ called: '1001', multipoint: false });
  clock.advance(10);
  t.true(x.ok && y.ok);
  t.is(sa.sent[0]!.callRef, 1);
  t.is(sb.sent[0]!.callRef, 1);
  t.is(a.of('connected').length, 1);
  t.is(b.of('connected').length, 1);
  t.is(a.host.linkCallCount(), 2);
  if (x.ok) a.host.release(x.value.call);
  clock.advance(10);
  t.is(a.host.linkCallCount(), 1);
  t.is(b.of('released').length, 1);
  t.is(a.of('active').length, 1, 'the call B made is untouched');
});

test('VCIs: the network side assigns 32 upward, unique per link, freed with the call', (t) => {
  const { clock, a, b } = two();
  const calls = [0, 1, 2].map(() => a.host.setup({ called: '2002', multipoint: false }));
  clock.advance(10);
  t.deepEqual(a.of('connected').map((c) => c.vc.vci), [32, 33, 34]);
  t.deepEqual(b.of('setup').map((c) => c.vc.vci), [32, 33, 34]);
  const c0 = calls[0]!;
  if (c0.ok) t.deepEqual(a.host.paths(c0.value.call), [{ peer: MAC_B, vpi: 0, vci: 32 }]);
  for (const c of calls) if (c.ok) a.host.release(c.value.call);
  clock.advance(10);
  t.true(idle(a, b));
});

test('the user side calling: the network side assigns the VC in its first answer', (t) => {
  const { clock, b, sb, a } = two();
  a.host.indications$.subscribe((i) => i.kind === 'setup' && a.host.accept(i.call));
  const r = b.host.setup({ called: '1001', multipoint: false });
  clock.advance(10);
  t.true(r.ok);
  t.is(findIe(sb.sent[0]!, IeId.CONNECTION_IDENTIFIER), undefined, 'no VC in the user side SETUP');
  t.deepEqual(b.of('connected')[0]!.vc, { peer: MAC_A, vpi: 0, vci: 32 });
});

/** a perfect SAAL pair delivering through one queue drained by pump() (no timers involved) */
function syncPair(): { a: SaalService; b: SaalService; pump(): void } {
  const q = new LoopbackPump();
  const [a, b] = loopbackSaalPair(q, { delay: 0, copy: false });
  return { a, b, pump: () => q.run() };
}

test('scale: one call holds the whole endpoint reference range (32,768 parties), the next add fails with limit, freed ones are reused', (t) => {
  const sched = new FrozenScheduler();
  const w = syncPair();
  const a = createCallControl({ resolve: () => MAC_B, ownAddresses: ['1001'], scheduler: sched as never });
  const b = createCallControl({ resolve: () => MAC_A, ownAddresses: ['2002'], scheduler: sched as never });
  a.attachLink(MAC_B, w.a, 'network');
  b.attachLink(MAC_A, w.b, 'user');
  b.indications$.subscribe((i) => i.kind === 'setup' && b.accept(i.call));
  let added = 0;
  a.indications$.subscribe((i) => i.kind === 'party-added' && added++);
  const r = a.setup({ called: '2002', multipoint: true });
  if (!r.ok) return t.fail();
  w.pump();
  const ids: number[] = [r.value.party!];
  for (let i = 0; i < MAX_EPREF; i++) {
    const p = a.addParty(r.value.call, { called: '2002' });
    if (!p.ok) return t.fail(p.error.message);
    ids.push(p.value);
    if ((i & 255) === 255) w.pump();
  }
  w.pump();
  t.is(added, MAX_EPREF);
  t.is(a.counters().parties, 32_768);
  t.is(b.counters().parties, 32_768);
  const over = a.addParty(r.value.call, { called: '2002' });
  t.false(over.ok);
  if (!over.ok) t.is(over.error.code, 'limit');
  // free endpoint reference 5 (the sixth party) and add again: 5 is the only free value
  const snap = a.snapshot().calls[0]!.parties;
  const five = snap.find((p) => p.epref === 5)!;
  t.true(a.dropParty(r.value.call, five.party).ok);
  w.pump();
  const again = a.addParty(r.value.call, { called: '2002' });
  t.true(again.ok);
  w.pump();
  t.true(a.snapshot().calls[0]!.parties.some((p) => p.epref === 5 && p.party === (again.ok ? again.value : -1)));
  t.is(sched.live.size, 0, 'no timer outlives its answer');
  a.release(r.value.call);
  w.pump();
  for (const h of [a, b]) t.deepEqual([h.counters().calls, h.counters().parties, h.counters().timers], [0, 0, 0]);
  t.is(sched.live.size, 0);
});

test('scale: 5,000 calls up at once on one link, each with its own call reference and VCI, all cleared', (t) => {
  const sched = new FrozenScheduler();
  const w = syncPair();
  const a = createCallControl({ resolve: () => MAC_B, ownAddresses: ['1001'], scheduler: sched as never });
  const b = createCallControl({ resolve: () => MAC_A, ownAddresses: ['2002'], scheduler: sched as never });
  a.attachLink(MAC_B, w.a, 'network');
  b.attachLink(MAC_A, w.b, 'user');
  b.indications$.subscribe((i) => i.kind === 'setup' && b.accept(i.call));
  const vcis = new Set<number>();
  a.indications$.subscribe((i) => i.kind === 'connected' && vcis.add(i.vc.vci));
  const ids: number[] = [];
  for (let i = 0; i < 5_000; i++) {
    const r = a.setup({ called: '2002', multipoint: false });
    if (!r.ok) return t.fail(r.error.message);
    ids.push(r.value.call);
    if ((i & 127) === 127) w.pump();
  }
  w.pump();
  t.is(vcis.size, 5_000);
  t.is(a.counters().calls, 5_000);
  t.is(b.counters().calls, 5_000);
  t.is(sched.live.size, 0);
  for (const id of ids) a.release(id);
  w.pump();
  for (const h of [a, b]) t.deepEqual([h.counters().calls, h.counters().linkCalls, h.counters().timers], [0, 0, 0]);
  t.is(sched.live.size, 0);
});
