/**
 * Q.2931 5.5.6 (T309) in virtual time: SSCOP lost under calls. Calls not yet
 * active are cleared at once (cause 27); active calls and their active parties
 * wait while the link is re-established; back within T309, a STATUS ENQUIRY
 * per call re-synchronises (answers handled per 5.6.11); at T309 expiry the
 * rest are cleared with cause 27. Both sides: a probe against the host as user
 * and as network, and two hosts against each other.
 */
import test from 'ava';
import { Clock, idle, link, makeHost, MAC_A, MAC_B } from './helpers.js';
import { cause, drive, PROBE_MAC } from './probe.js';
import { closeDataOf } from '../../src/uni/call-ies.js';
import { findIe, IeId, MsgType } from '../../src/uni/msg/types.js';

for (const side of ['user', 'network'] as const) {
  test(`${side} side: the link back within T309: the active call lives on, one STATUS ENQUIRY re-synchronises it, nothing told above`, (t) => {
    const d = drive(side, false, 'active');
    const p = d.p;
    const early = p.h.host.setup({ called: '9009', multipoint: false });
    if (!early.ok) return t.fail();
    p.clock.advance(2);
    const before = p.h.ind.length;
    p.sa.cut('no response');
    t.deepEqual(p.h.of('released').map((i) => [i.call, i.cause]), [[early.value.call, 27]], 'the call not yet active is cleared at once');
    t.like(p.h.of('link-down')[0], { peer: PROBE_MAC, kept: 1 });
    t.is(p.h.host.counters().calls, 1);
    t.is(p.h.host.counters().timers, 1, 'T309 runs');
    p.clock.advance(3000);
    p.sa.restore();
    p.clock.advance(500);
    const enq = p.sa.sent.filter((m) => m.type === MsgType.STATUS_ENQUIRY);
    t.deepEqual(enq.map((m) => m.callRef), [d.cref]);
    p.send({ type: MsgType.STATUS, callRef: d.cref, callRefFlag: d.flag, ies: [{ id: IeId.CALL_STATE, state: 10 }, cause(30)] });
    p.clock.advance(20_000);
    t.deepEqual(
      p.h.ind.slice(before).map((i) => i.kind),
      ['released', 'link-down', 'link-up'],
      'above: the early call, the loss and the return; nothing about the kept call',
    );
    t.is(p.h.host.counters().timers, 0, 'T309 and T322 stopped');
    t.true(p.h.host.release(d.call, { closeData: Buffer.from('bye') }).ok);
    p.clock.advance(2);
    const rel = p.sa.sent.at(-1)!;
    t.is(rel.type, MsgType.RELEASE);
    t.deepEqual(closeDataOf(rel), Buffer.from('bye'));
  });

  test(`${side} side: T309 expires with the link still down: the kept call is released with cause 27, nothing left`, (t) => {
    const d = drive(side, false, 'active');
    d.p.sa.cut();
    d.p.clock.advance(9_999);
    t.is(d.p.h.of('released').length, 0);
    d.p.clock.advance(1);
    t.deepEqual(d.p.h.of('released').map((i) => [i.call, i.cause, i.remote]), [[d.call, 27, false]]);
    t.is(d.p.h.of('link-down').length, 1);
    d.p.clock.advance(1000);
    t.is(d.p.sa.sent.filter((m) => m.type === MsgType.RELEASE).length, 0, 'cleared locally: no message');
    const k = d.p.h.host.counters();
    t.deepEqual([k.calls, k.parties, k.timers, d.p.h.host.linkCallCount()], [0, 0, 0, 0]);
  });
}

test('5.6.11 after the link is back: a STATUS naming Null releases the call locally (101); an impossible state clears it (RELEASE, 101)', (t) => {
  for (const [state, want] of [
    [0, 'local'],
    [5, 'clear'],
  ] as const) {
    const d = drive('user', false, 'active');
    d.p.sa.cut();
    d.p.clock.advance(1000);
    d.p.sa.restore();
    d.p.clock.advance(500);
    const sent = d.p.send({ type: MsgType.STATUS, callRef: d.cref, callRefFlag: d.flag, ies: [{ id: IeId.CALL_STATE, state }, cause(30)] });
    t.deepEqual(d.p.h.of('released').map((i) => [i.call, i.cause]), [[d.call, 101]]);
    if (want === 'local') t.deepEqual(sent, []);
    else t.like(findIe(sent[0]!, IeId.CAUSE), { cause: 101 });
  }
});

test('both sides, two hosts: p2p and p2mp calls survive an outage shorter than T309; a party still being added goes (27); close data arrives once', (t) => {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B, '2012': MAC_B, '2099': MAC_B });
  const b = makeHost(clock, MAC_B, ['2002', '2012', '2099'], { '1001': MAC_A });
  const [sa] = link(clock, a, b);
  b.host.indications$.subscribe((i) => i.kind === 'setup' && b.host.accept(i.call));
  const p2p = a.host.setup({ called: '2002', multipoint: false });
  const mp = a.host.setup({ called: '2012', multipoint: true });
  if (!p2p.ok || !mp.ok) return t.fail();
  clock.advance(10);
  t.is(a.of('connected').length, 2);
  // a party whose ADD PARTY is lost with the link
  const pending = a.host.addParty(mp.value.call, { called: '2099' });
  if (!pending.ok) return t.fail();
  sa.cut('no response');
  t.deepEqual(a.of('party-rejected').map((i) => [i.party, i.cause]), [[pending.value, 27]]);
  for (const h of [a, b]) t.like(h.of('link-down')[0], { kept: 2 });
  clock.advance(3000);
  sa.restore();
  clock.advance(1000);
  for (const h of [a, b]) {
    t.is(h.of('released').length, 0, `${h.mac}: no call lost`);
    t.is(h.of('party-dropped').length, 0);
    t.is(h.of('link-up').length, 2);
  }
  t.true(a.host.release(p2p.value.call, { closeData: Buffer.from('p2p bye') }).ok);
  t.true(a.host.release(mp.value.call, { closeData: Buffer.from('mp bye') }).ok);
  clock.advance(20_000);
  t.deepEqual(
    b.of('released').map((i) => i.closeData?.toString()),
    ['p2p bye', 'mp bye'],
  );
  t.true(idle(a, b));
});

test('both sides, two hosts: an outage longer than T309 clears every call with cause 27 on both sides, nothing left', (t) => {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B, '2012': MAC_B });
  const b = makeHost(clock, MAC_B, ['2002', '2012'], { '1001': MAC_A }, { timers: { t309: 2000 } });
  const [sa] = link(clock, a, b);
  b.host.indications$.subscribe((i) => i.kind === 'setup' && b.host.accept(i.call));
  a.host.setup({ called: '2002', multipoint: false });
  a.host.setup({ called: '2012', multipoint: true });
  clock.advance(10);
  sa.cut();
  clock.advance(2000);
  t.deepEqual(b.of('released').map((i) => i.cause), [27, 27], 'b (T309 2 s) cleared its calls');
  t.is(a.of('released').length, 0, 'a (T309 10 s) still waits');
  clock.advance(8000);
  t.deepEqual(a.of('released').map((i) => i.cause), [27, 27]);
  sa.restore();
  clock.advance(1000);
  t.true(idle(a, b));
});
