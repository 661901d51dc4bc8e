import test from 'ava';
import { Clock, idle, link, makeHost, MAC_A, MAC_B, MAC_C, MAC_D, type TestHost } from './helpers.js';
import { MsgType, IeId, findIe } from '../../src/uni/msg/types.js';

function star() {
  const clock = new Clock();
  const routes = { '2002': MAC_B, '2012': MAC_B, '2099': MAC_B, '3003': MAC_C, '4004': MAC_D };
  const a = makeHost(clock, MAC_A, ['1001'], routes);
  const b = makeHost(clock, MAC_B, ['2002', '2012'], { '1001': MAC_A });
  const c = makeHost(clock, MAC_C, ['3003'], { '1001': MAC_A });
  const d = makeHost(clock, MAC_D, ['4004'], { '1001': MAC_A });
  const wires = { b: link(clock, a, b), c: link(clock, a, c), d: link(clock, a, d) };
  // leaves accept whatever arrives
  for (const h of [b, c, d]) h.host.indications$.subscribe((i) => i.kind === 'setup' && h.host.accept(i.call));
  return { clock, a, b, c, d, wires };
}

function leafCall(h: TestHost): number {
  return h.of('setup')[0]!.call;
}

test('point-to-multipoint: first party by SETUP, parties on other links by SETUP, on the same link by ADD PARTY; drops and release', (t) => {
  const { clock, a, b, c, d, wires } = star();
  const r = a.host.setup({ called: '2002', multipoint: true });
  t.true(r.ok);
  if (!r.ok) return;
  const call = r.value.call;
  const p1 = r.value.party!;
  t.truthy(p1);
  clock.advance(10);
  t.is(a.of('connected').length, 1);
  t.is(a.of('connected')[0]!.party, p1);
  const setupMsg = wires.b[0].sent[0]!;
  t.is(setupMsg.type, MsgType.SETUP);
  t.deepEqual(findIe(setupMsg, IeId.ENDPOINT_REFERENCE), { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 0 });
  t.is(findIe(setupMsg, IeId.BROADBAND_BEARER_CAPABILITY)?.userPlane, 1);

  const p2 = a.host.addParty(call, { called: '3003' });
  const p3 = a.host.addParty(call, { called: '4004' });
  const p4 = a.host.addParty(call, { called: '2012' });
  t.true(p2.ok && p3.ok && p4.ok);
  if (!p2.ok || !p3.ok || !p4.ok) return;
  clock.advance(10);
  t.deepEqual(
    a.of('party-added').map((i) => i.party).sort(),
    [p2.value, p3.value, p4.value].sort(),
  );
  t.is(wires.c[0].sent[0]!.type, MsgType.SETUP);
  t.is(wires.d[0].sent[0]!.type, MsgType.SETUP);
  t.true(wires.b[0].sent.some((m) => m.type === MsgType.ADD_PARTY));
  // endpoint reference flags both ways: 0 from the root that allocated it, 1 from the leaf
  const add = wires.b[0].sent.find((m) => m.type === MsgType.ADD_PARTY)!;
  const addEp = findIe(add, IeId.ENDPOINT_REFERENCE)!;
  t.false(addEp.flag);
  t.is(addEp.value, 1);
  const connect = wires.b[1].sent.find((m) => m.type === MsgType.CONNECT)!;
  t.deepEqual(findIe(connect, IeId.ENDPOINT_REFERENCE), { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: true, value: 0 });
  const ack = wires.b[1].sent.find((m) => m.type === MsgType.ADD_PARTY_ACKNOWLEDGE)!;
  t.deepEqual(findIe(ack, IeId.ENDPOINT_REFERENCE), { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: true, value: 1 });
  t.true(ack.callRefFlag);
  t.false(add.callRefFlag);
  t.is(a.host.paths(call).length, 3);
  t.is(a.host.counters().parties, 4);
  t.is(b.host.counters().parties, 2);

  // drop a party that shares its link with another: DROP PARTY with close data
  const cd1 = Buffer.from('leaving 2012');
  t.true(a.host.dropParty(call, p4.value, { closeData: cd1 }).ok);
  clock.advance(10);
  t.is(a.of('drop-party-confirm').length, 1);
  // at B, 2012 was an incoming call of its own: that call alone ends, with the close data
  t.deepEqual(b.of('party-dropped'), []);
  const bd = b.of('released');
  t.is(bd.length, 1);
  t.is(bd[0]!.call, b.of('setup').find((i) => i.params.called === '2012')!.call);
  t.deepEqual(bd[0]!.closeData, cd1);
  t.true(bd[0]!.remote);
  t.is(wires.b[0].sent.at(-1)!.type, MsgType.DROP_PARTY);

  // drop the only party on link C: the DROP becomes a RELEASE that carries the close data
  const cd2 = Buffer.alloc(127, 7);
  t.true(a.host.dropParty(call, p2.value, { closeData: cd2 }).ok);
  clock.advance(10);
  t.is(wires.c[0].sent.at(-1)!.type, MsgType.RELEASE);
  t.deepEqual(findIe(wires.c[0].sent.at(-1)!, IeId.USER_USER)?.data, cd2);
  const cr = c.of('released');
  t.is(cr.length, 1);
  t.deepEqual(cr[0]!.closeData, cd2);
  t.is(a.of('drop-party-confirm').length, 2);
  t.is(a.host.paths(call).length, 2);

  // close data limits
  t.is(a.host.dropParty(call, p3.value, { closeData: Buffer.alloc(128) }).ok, false);

  // a leaf leaves by itself: the root hears party-dropped with its close data
  const cd3 = Buffer.from('D says bye');
  t.true(d.host.release(leafCall(d), { closeData: cd3 }).ok);
  clock.advance(10);
  const ad = a.of('party-dropped');
  t.is(ad.length, 1);
  t.is(ad[0]!.party, p3.value);
  t.deepEqual(ad[0]!.closeData, cd3);
  t.is(d.of('release-confirm').length, 1);

  // the last party: dropping it clears the call
  const cd4 = Buffer.from('last one');
  t.true(a.host.dropParty(call, p1, { closeData: cd4 }).ok);
  clock.advance(10);
  t.is(a.of('release-confirm').length, 1);
  t.deepEqual(b.of('released')[1]!.closeData, cd4);
  t.true(idle(a, b, c, d));
  t.is(clock.pending, 0);
});

test('point-to-multipoint: remote DROP PARTY of the last party on a link becomes a RELEASE to the leaf, close data kept', (t) => {
  const { clock, a, b } = star();
  const r = a.host.setup({ called: '2002', multipoint: true });
  if (!r.ok) return t.fail();
  clock.advance(10);
  const p2 = a.host.addParty(r.value.call, { called: '3003' });
  t.true(p2.ok);
  clock.advance(10);
  // the leaf B releases: A has another party (on C), so only a party-dropped
  t.true(b.host.release(leafCall(b), { closeData: Buffer.from('b out') }).ok);
  clock.advance(10);
  t.deepEqual(a.of('party-dropped')[0]!.closeData, Buffer.from('b out'));
  t.is(a.of('released').length, 0);
  t.true(a.host.release(r.value.call).ok);
  clock.advance(10);
  t.is(a.of('release-confirm').length, 1);
  t.true(idle(a, b));
});

test('parties for a link whose SETUP is still on its way wait for it, then go as ADD PARTY; dropping a waiting one sends nothing', (t) => {
  const clock = new Clock();
  const routes = { '2002': MAC_B, '3003': MAC_C, '3013': MAC_C, '3023': MAC_C };
  const a = makeHost(clock, MAC_A, ['1001'], routes);
  const b = makeHost(clock, MAC_B, ['2002'], { '1001': MAC_A });
  const c = makeHost(clock, MAC_C, ['3003', '3013', '3023'], { '1001': MAC_A });
  link(clock, a, b);
  const [sac] = link(clock, a, c);
  for (const h of [b, c]) h.host.indications$.subscribe((i) => i.kind === 'setup' && h.host.accept(i.call));
  const r = a.host.setup({ called: '2002', multipoint: true });
  if (!r.ok) return t.fail();
  clock.advance(10);
  const p1 = a.host.addParty(r.value.call, { called: '3003' }); // SETUP to C
  const p2 = a.host.addParty(r.value.call, { called: '3013' }); // waits for it
  const p3 = a.host.addParty(r.value.call, { called: '3023' }); // waits too, then is dropped
  if (!p1.ok || !p2.ok || !p3.ok) return t.fail();
  t.true(a.host.dropParty(r.value.call, p3.value).ok);
  t.deepEqual(a.of('drop-party-confirm').map((i) => i.party), [p3.value]);
  t.deepEqual(sac.sent.map((m) => m.type), [MsgType.SETUP]);
  clock.advance(10);
  t.deepEqual(a.of('party-added').map((i) => i.party), [p1.value, p2.value]);
  t.deepEqual(sac.sent.map((m) => m.type), [MsgType.SETUP, MsgType.CONNECT_ACKNOWLEDGE, MsgType.ADD_PARTY]);
  t.is(c.host.counters().parties, 2);
  a.host.release(r.value.call);
  clock.advance(10);
  t.true(idle(a, b, c));
});

test('a refused SETUP on a further link rejects the parties waiting behind it; the call goes on', (t) => {
  const clock = new Clock();
  const routes = { '2002': MAC_B, '3003': MAC_C, '3013': MAC_C };
  const a = makeHost(clock, MAC_A, ['1001'], routes);
  const b = makeHost(clock, MAC_B, ['2002'], { '1001': MAC_A });
  const c = makeHost(clock, MAC_C, ['3003', '3013'], { '1001': MAC_A });
  link(clock, a, b);
  link(clock, a, c);
  b.host.indications$.subscribe((i) => i.kind === 'setup' && b.host.accept(i.call));
  c.host.indications$.subscribe((i) => i.kind === 'setup' && c.host.reject(i.call, 21));
  const r = a.host.setup({ called: '2002', multipoint: true });
  if (!r.ok) return t.fail();
  clock.advance(10);
  const p1 = a.host.addParty(r.value.call, { called: '3003' });
  const p2 = a.host.addParty(r.value.call, { called: '3013' });
  clock.advance(10);
  t.deepEqual(a.of('party-rejected').map((i) => [i.party, i.cause]), [[p1.ok && p1.value, 21], [p2.ok && p2.value, 21]]);
  t.is(a.of('released').length, 0);
  t.is(a.host.counters().parties, 1);
  a.host.release(r.value.call);
  clock.advance(10);
  t.true(idle(a, b, c));
});

test('ADD PARTY for an address the leaf host does not have: party-rejected with cause 1, the call goes on', (t) => {
  const { clock, a, b, wires } = star();
  const r = a.host.setup({ called: '2002', multipoint: true });
  if (!r.ok) return t.fail();
  clock.advance(10);
  const p = a.host.addParty(r.value.call, { called: '2099' }); // routed to B, which does not own it
  if (!p.ok) return t.fail();
  clock.advance(10);
  t.deepEqual(a.of('party-rejected').map((i) => [i.party, i.cause]), [[p.value, 1]]);
  t.is(wires.b[1].sent.at(-1)!.type, MsgType.ADD_PARTY_REJECT);
  t.is(a.of('released').length, 0);
  t.is(b.host.counters().parties, 1);
  t.is(a.host.counters().parties, 1);
  t.is(a.host.counters().timers, 0);
});

test('a link lost under a multipoint call and not back within T309: its parties are dropped (27), the parties on other links stay', (t) => {
  const { clock, a, c, wires } = star();
  const r = a.host.setup({ called: '2002', multipoint: true });
  if (!r.ok) return t.fail();
  clock.advance(10);
  const pc = a.host.addParty(r.value.call, { called: '3003' });
  const pd = a.host.addParty(r.value.call, { called: '4004' });
  clock.advance(10);
  t.is(a.of('party-added').length, 2);
  wires.c[0].cut('no response');
  t.is(a.of('party-dropped').length, 0, 'the active party waits out T309');
  clock.advance(10_000);
  t.deepEqual(a.of('party-dropped').map((i) => [i.party, i.cause, i.remote]), [[pc.ok && pc.value, 27, false]]);
  t.deepEqual(c.of('released').map((i) => i.cause), [27]);
  t.is(a.of('released').length, 0);
  t.deepEqual(a.host.paths(r.value.call).map((p) => p.peer).sort(), [MAC_B, MAC_D]);
  t.true(a.host.dropParty(r.value.call, pd.ok ? pd.value : -1).ok);
  clock.advance(10);
  t.true(a.host.release(r.value.call).ok);
  clock.advance(10);
  t.is(a.of('release-confirm').length, 1);
});

test('a party added on a link whose leg is still clearing starts a fresh leg (new SETUP); both finish cleanly', (t) => {
  const { clock, a, c, wires } = star();
  const r = a.host.setup({ called: '2002', multipoint: true });
  if (!r.ok) return t.fail();
  clock.advance(10);
  const p1 = a.host.addParty(r.value.call, { called: '3003' });
  clock.advance(10);
  if (!p1.ok) return t.fail();
  t.true(a.host.dropParty(r.value.call, p1.value, { closeData: Buffer.from('old') }).ok); // RELEASE on C
  const p2 = a.host.addParty(r.value.call, { called: '3003' }); // while that RELEASE is out
  if (!p2.ok) return t.fail(p2.error.message);
  clock.advance(10);
  t.deepEqual(a.of('drop-party-confirm').map((i) => i.party), [p1.value]);
  t.deepEqual(a.of('party-added').map((i) => i.party), [p1.value, p2.value]);
  t.deepEqual(
    wires.c[0].sent.map((m) => m.type),
    [MsgType.SETUP, MsgType.CONNECT_ACKNOWLEDGE, MsgType.RELEASE, MsgType.SETUP, MsgType.CONNECT_ACKNOWLEDGE],
  );
  t.deepEqual(c.of('released')[0]!.closeData, Buffer.from('old'));
  t.is(c.of('setup').length, 2);
  t.is(a.host.paths(r.value.call).length, 2);
  a.host.release(r.value.call);
  clock.advance(10);
  t.true(idle(a, c));
});

test('drops still in flight when the call is released get their drop-party-confirm before release-confirm', (t) => {
  const { clock, a } = star();
  const r = a.host.setup({ called: '2002', multipoint: true });
  if (!r.ok) return t.fail();
  clock.advance(10);
  const p2 = a.host.addParty(r.value.call, { called: '2012' });
  const p3 = a.host.addParty(r.value.call, { called: '3003' });
  clock.advance(10);
  if (!p2.ok || !p3.ok) return t.fail();
  t.true(a.host.dropParty(r.value.call, p2.value).ok);
  t.true(a.host.dropParty(r.value.call, p3.value).ok);
  t.true(a.host.dropParty(r.value.call, r.value.party!).ok); // the last one: the call is released
  clock.advance(10);
  const tail = a.ind.filter((i) => i.kind === 'drop-party-confirm' || i.kind === 'release-confirm').map((i) => [i.kind, 'party' in i ? i.party : undefined]);
  t.deepEqual(tail.slice(-1), [['release-confirm', undefined]]);
  t.deepEqual(tail.slice(0, -1).map((x) => x[1]).sort(), [p2.value, p3.value].sort());
  t.is(a.host.counters().parties, 0);
});

// the same, in every order of drops over three legs (B twice, C, D last), with and without a turn between:
// each asked drop is confirmed once, whichever leg clears first, and the call ends with one release-confirm
for (const order of [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]) {
  for (const gap of [0, 1]) {
    test(`drops over three legs in order ${order.join(',')}${gap ? ', a tick apart' : ''}: each confirmed once, then one release-confirm`, (t) => {
      const { clock, a } = star();
      const r = a.host.setup({ called: '2002', multipoint: true });
      if (!r.ok) return t.fail();
      clock.advance(10);
      const added = ['2012', '3003', '4004'].map((called) => a.host.addParty(r.value.call, { called }));
      clock.advance(10);
      const [p2, p3, p4] = added.map((p) => (p.ok ? p.value : t.fail()));
      const early = [r.value.party!, p2!, p3!];
      for (const i of order) {
        t.true(a.host.dropParty(r.value.call, early[i]!).ok);
        if (gap) clock.advance(gap);
      }
      t.true(a.host.dropParty(r.value.call, p4!).ok); // the last party: the call is released
      clock.advance(50);
      const tail = a.ind.filter((i) => i.kind === 'drop-party-confirm' || i.kind === 'release-confirm' || i.kind === 'released');
      t.deepEqual(tail.slice(-1).map((i) => i.kind), ['release-confirm'], 'one final indication, last');
      t.deepEqual(
        tail.slice(0, -1).map((i) => (i.kind === 'drop-party-confirm' ? i.party : i.kind)).sort(),
        [...early].sort(),
      );
      t.is(a.host.counters().parties, 0);
    });
  }
}
