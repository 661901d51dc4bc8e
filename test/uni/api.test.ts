/** The UniHost contract: request errors, close-data policy, views, dispose. */
import test from 'ava';
import { Clock, idle, link, makeHost, MAC_A, MAC_B, saalPair } from './helpers.js';
import { findIe, IeId, MsgType } from '../../src/uni/msg/types.js';
import { CALL_CONTEXT } from '../../src/uni/api.js';

function two(policyB?: { allowed?: boolean; maxOctets?: number }) {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B, '2012': MAC_B });
  const b = makeHost(clock, MAC_B, ['2002', '2012'], { '1001': MAC_A });
  const [sa, sb] = saalPair(clock, 1);
  a.host.attachLink(MAC_B, sa, 'network', policyB);
  b.host.attachLink(MAC_A, sb, 'user');
  b.host.indications$.subscribe((i) => i.kind === 'setup' && b.host.accept(i.call));
  return { clock, a, b, sa, sb };
}

test('close data: 127 octets go, 128 are refused (close-data-too-long) and nothing is sent', (t) => {
  const { clock, a, b, sa } = two();
  const r = a.host.setup({ called: '2002', multipoint: false });
  if (!r.ok) return t.fail();
  clock.advance(5);
  const n = sa.sent.length;
  const bad = a.host.release(r.value.call, { closeData: Buffer.alloc(128, 1) });
  t.false(bad.ok);
  if (!bad.ok) t.is(bad.error.code, 'close-data-too-long');
  t.is(sa.sent.length, n);
  const good = Buffer.alloc(127, 2);
  t.true(a.host.release(r.value.call, { closeData: good }).ok);
  clock.advance(5);
  const uu = findIe(sa.sent.at(-1)!, IeId.USER_USER)!;
  t.is(uu.protocol, 0);
  t.deepEqual(uu.data, good);
  t.deepEqual(b.of('released')[0]!.closeData, good);
  t.true(idle(a, b));
});

test('close data: a link configured without it refuses (close-data-not-allowed); without close data the request goes', (t) => {
  const { clock, a } = two({ allowed: false });
  t.deepEqual(a.host.closeDataPolicy(MAC_B), { allowed: false, maxOctets: 127 });
  const r = a.host.setup({ called: '2002', multipoint: false });
  if (!r.ok) return t.fail();
  clock.advance(5);
  const bad = a.host.release(r.value.call, { closeData: Buffer.from('x') });
  t.false(bad.ok);
  if (!bad.ok) t.is(bad.error.code, 'close-data-not-allowed');
  t.true(a.host.release(r.value.call).ok);
});

test('close data: the host-wide policy and a smaller per-link limit', (t) => {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B }, { closeData: { allowed: true, maxOctets: 500 } });
  const [sa] = saalPair(clock);
  a.host.attachLink(MAC_B, sa, 'network', { maxOctets: 10 });
  t.deepEqual(a.host.closeDataPolicy(MAC_B), { allowed: true, maxOctets: 10 });
  t.deepEqual(a.host.closeDataPolicy('02:00:00:00:00:77'), { allowed: true, maxOctets: 127 }, 'never above the wire limit');
});

test('request errors: no-route, unknown-call, unknown-party, not-multipoint, wrong-state', (t) => {
  const { clock, a, b } = two();
  const nr = a.host.setup({ called: '7777', multipoint: false });
  t.deepEqual(nr.ok ? null : [nr.error.code, nr.error.cause], ['no-route', 3]);
  t.is((a.host.release(99) as { error: { code: string } }).error.code, 'unknown-call');
  const p2p = a.host.setup({ called: '2002', multipoint: false });
  if (!p2p.ok) return t.fail();
  t.is((a.host.addParty(p2p.value.call, { called: '2012' }) as { error: { code: string } }).error.code, 'not-multipoint');
  t.is((a.host.accept(p2p.value.call) as { error: { code: string } }).error.code, 'wrong-state', 'accept is for incoming calls');
  const mp = a.host.setup({ called: '2002', multipoint: true });
  if (!mp.ok) return t.fail();
  t.is((a.host.addParty(mp.value.call, { called: '2012' }) as { error: { code: string } }).error.code, 'wrong-state', 'not yet connected');
  t.is((a.host.dropParty(mp.value.call, 12345) as { error: { code: string } }).error.code, 'unknown-party');
  clock.advance(5);
  const s = b.of('setup');
  t.is((b.host.accept(s[0]!.call) as { error: { code: string } }).error.code, 'wrong-state', 'already accepted');
  t.true(a.host.release(p2p.value.call).ok);
  t.is((a.host.release(p2p.value.call) as { error: { code: string } }).error.code, 'wrong-state');
});

test('limits: calls past the cap fail with limit (cause 47); an incoming SETUP past it is refused with 47', (t) => {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B }, { limits: { calls: 1 } });
  const b = makeHost(clock, MAC_B, ['2002'], { '1001': MAC_A }, { limits: { calls: 1 } });
  const [, sb] = link(clock, a, b);
  t.true(a.host.setup({ called: '2002', multipoint: false }).ok);
  const x = a.host.setup({ called: '2002', multipoint: false });
  t.deepEqual(x.ok ? null : [x.error.code, x.error.cause], ['limit', 47]);
  t.true(b.host.setup({ called: '1001', multipoint: false }).ok);
  clock.advance(5);
  // B's SETUP reaches A, which already holds its one call: RELEASE COMPLETE 47
  t.is(b.of('released')[0]?.cause, 47);
  void sb;
});

test('reject: RELEASE COMPLETE with the cause; the caller hears released with it', (t) => {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B });
  const b = makeHost(clock, MAC_B, ['2002'], { '1001': MAC_A });
  const [, sb] = link(clock, a, b);
  b.host.indications$.subscribe((i) => i.kind === 'setup' && b.host.reject(i.call, 17));
  a.host.setup({ called: '2002', multipoint: false });
  clock.advance(5);
  t.is(sb.sent[0]!.type, MsgType.RELEASE_COMPLETE);
  t.deepEqual(a.of('released').map((i) => [i.cause, i.remote]), [[17, true]]);
  t.is(b.of('release-confirm').length, 1);
  t.true(idle(a, b));
});

test('snapshot names states as the standards do; counters count; dispose leaves no timer or subscription', (t) => {
  const { clock, a, b, sa, sb } = two();
  const r = a.host.setup({ called: '2002', multipoint: true });
  if (!r.ok) return t.fail();
  t.deepEqual(a.host.snapshot().calls[0]!.links.map((l) => l.state), ['N6 Call Present']);
  t.deepEqual(a.host.snapshot().calls[0]!.parties.map((p) => p.state), ['P1 Add Party Initiated']);
  clock.advance(5);
  const sn = a.host.snapshot();
  t.deepEqual(sn.links, [{ peer: MAC_B, side: 'network', established: true, calls: 1 }]);
  t.deepEqual(sn.calls[0]!.links.map((l) => [l.state, l.callRef, l.vc]), [['N10 Active', 1, { peer: MAC_B, vpi: 0, vci: 32 }]]);
  t.deepEqual(sn.calls[0]!.parties.map((p) => [p.state, p.epref, p.called]), [['P7 Active', 0, '2002']]);
  t.is(sn.calls[0]!.role, 'root');
  t.deepEqual(b.host.snapshot().calls[0]!.links.map((l) => l.state), ['U10 Active']);
  t.is(b.host.snapshot().calls[0]!.role, 'leaf');
  const p = a.host.addParty(r.value.call, { called: '2012' });
  t.true(p.ok);
  t.is(a.host.counters().timers, 1, 'T399');
  t.deepEqual(a.host.snapshot().calls[0]!.parties.map((x) => x.state), ['P7 Active', 'P1 Add Party Initiated']);
  a.host.dispose();
  b.host.dispose();
  t.false(sa.signals.observed);
  t.false(sb.signals.observed);
  t.is(a.host.counters().timers, 0);
  clock.advance(100_000);
  t.is(clock.pending, 0);
});

test('detachLink clears the link\'s calls locally (cause 27)', (t) => {
  const { clock, a, b } = two();
  a.host.setup({ called: '2002', multipoint: false });
  clock.advance(5);
  a.host.detachLink(MAC_B);
  t.deepEqual(a.of('released').map((i) => i.cause), [27]);
  t.is(a.host.counters().links, 0);
  t.true(idle(a));
  void b;
});

test("call contexts: every indication about a call carries the context its user gave it, up to the last; not enumerable; other calls' carry none", (t) => {
  const { clock, a, b } = two();
  const mine = { mine: true };
  const r = a.host.setup({ called: '2002', multipoint: true });
  if (!r.ok) return t.fail();
  a.host.setCallContext(r.value.call, mine);
  const other = a.host.setup({ called: '2002', multipoint: false });
  if (!other.ok) return t.fail();
  clock.advance(5);
  const p = a.host.addParty(r.value.call, { called: '2012' });
  t.true(p.ok);
  clock.advance(5);
  t.true(a.host.release(r.value.call).ok);
  t.true(a.host.release(other.value.call).ok);
  clock.advance(5);
  const ofCall = (call: number) => a.ind.filter((i) => 'call' in i && i.call === call);
  t.deepEqual(
    ofCall(r.value.call).map((i) => i.kind),
    ['connected', 'party-added', 'release-confirm'],
  );
  t.true(ofCall(r.value.call).every((i) => i[CALL_CONTEXT] === mine));
  t.false(JSON.stringify(ofCall(r.value.call)[0]).includes('mine'), 'logs leave it out');
  t.true(ofCall(other.value.call).length > 0);
  t.true(ofCall(other.value.call).every((i) => i[CALL_CONTEXT] === undefined));
  a.host.setCallContext(r.value.call, { late: true }); // a call that is gone: nothing happens
  t.true(idle(a, b));
});
