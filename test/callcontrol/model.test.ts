/**
 * A host call keeps its role and yes/no fields in one number, a host party its
 * phase and drop mark: each reads back what was last written to it, whatever
 * the others hold.
 */
import test from 'ava';
import { HostCall, HostParty, Leg, paramsFromMessage, type LegSink } from '../../src/callcontrol/model.js';
import { calledIe, callingIe, defaultAal, defaultBearer, defaultQos, defaultTraffic, eprefIe, msg, uuIe } from '../../src/uni/call-ies.js';
import { IeId, MsgType, type UnknownIe } from '../../src/uni/msg/types.js';
import type { LinkCall, UniPort } from '../../src/uni/port.js';

const FLAGS = ['connected', 'releasing', 'done', 'awaitActive'] as const;

test("a host call's role, multipoint and yes/no fields are independent of one another", (t) => {
  for (const role of ['root', 'leaf', 'p2p-out', 'p2p-in'] as const)
    for (const multipoint of [false, true]) {
      const c = new HostCall(1, role, multipoint, { called: '1002', multipoint });
      for (const f of FLAGS) t.false(c[f], f);
      for (const f of FLAGS) c[f] = true;
      t.true(FLAGS.every((f) => c[f]));
      c.releasing = false;
      t.deepEqual(
        FLAGS.filter((f) => c[f]),
        FLAGS.filter((f) => f !== 'releasing'),
      );
      t.is(c.role, role);
      t.is(c.multipoint, multipoint);
    }
});

test("a host party: its phase and drop-asked mark are independent; its address is its call's unless it was called at another", (t) => {
  const call = new HostCall(1, 'root', true, { called: '1002', multipoint: true });
  const leg = {} as Leg;
  const p = new HostParty(7, call, leg, 3, '1002', 'adding');
  t.is(p.called, '1002');
  t.is(new HostParty(8, call, leg, 4, '1012', 'adding').called, '1012');
  for (const phase of ['adding', 'alerting', 'connected', 'dropping'] as const)
    for (const asked of [false, true]) {
      p.phase = phase;
      p.dropAsked = asked;
      t.deepEqual([p.phase, p.dropAsked], [phase, asked]);
      p.dropAsked = !asked;
      t.is(p.phase, phase);
    }
  t.deepEqual([p.id, p.ep, p.call, p.leg], [7, 3, call, leg]);
});

test("incoming calls on one leg share one read-only map of it; a call that loses its leg has none, the others keep theirs", (t) => {
  const calls = [1, 2].map((id) => new HostCall(id, 'leaf', true, { called: '1002', multipoint: true }));
  const [a, b] = calls as [HostCall, HostCall];
  const leg = new Leg({} as LegSink, a, { peer: 'm1' } as UniPort, {} as LinkCall);
  t.is(a.legs.size, 0);
  for (const c of calls) c.adoptLeg(leg);
  t.is(a.legs, b.legs);
  t.deepEqual([...a.legs], [['m1', leg]]);
  t.is(a.firstLeg, leg);
  t.throws(() => a.legs.set('m2', leg), { instanceOf: TypeError }, 'read-only');
  a.dropLeg(leg);
  t.is(a.legs.size, 0);
  t.deepEqual([...b.legs], [['m1', leg]]);
  b.dropLegs();
  t.is(b.legs.size, 0);
  const root = new HostCall(3, 'root', true, { called: '1002', multipoint: true });
  t.throws(() => root.adoptLeg(leg), undefined, 'an outgoing call opens its own legs');
  root.legs.set('m1', leg).set('m2', leg);
  root.dropLeg(leg);
  t.deepEqual([...root.legs.keys()], ['m2']);
});

test("a host party's leg is its call's first unless it was placed on another; the first leg does not change under it", (t) => {
  const call = new HostCall(1, 'root', true, { called: '1002', multipoint: true });
  const first = new Leg({} as LegSink, call, { peer: 'm1' } as UniPort, {} as LinkCall);
  const other = new Leg({} as LegSink, call, { peer: 'm2' } as UniPort, {} as LinkCall);
  const early = new HostParty(1, call, first, 0, '1002', 'adding'); // made before the call knew its first leg
  call.firstLeg = first;
  const onFirst = new HostParty(2, call, first, 1, '1002', 'adding');
  const onOther = new HostParty(3, call, other, 0, '1002', 'adding');
  t.deepEqual([early.leg, onFirst.leg, onOther.leg], [first, first, other]);
});

test('paramsFromMessage: the first known IE of each kind, every unlisted IE as extra, optional fields only when present; an ADD PARTY that says what its SETUP said shares its parameters', (t) => {
  const traffic = defaultTraffic();
  const bearer = defaultBearer(true);
  const aal = defaultAal();
  const qos = defaultQos();
  const hli: UnknownIe = { id: IeId.BROADBAND_HIGH_LAYER_INFORMATION, unknown: true, content: Buffer.from([0x81]) };
  const badCalled: UnknownIe = { id: IeId.CALLED_PARTY_NUMBER, unknown: true, content: Buffer.from([0xff]) };
  const setup = msg(MsgType.SETUP, [badCalled, calledIe('1002'), calledIe('9999'), callingIe('1001'), traffic, bearer, aal, qos, hli, uuIe(Buffer.from('hello')), eprefIe(0, false)]);
  const p = paramsFromMessage(setup, true);
  t.deepEqual(p, { called: '1002', multipoint: true, calling: '1001', traffic, bearer, qos, aal, uu: Buffer.from('hello'), extra: [hli] });
  t.deepEqual(Object.keys(p), ['called', 'multipoint', 'calling', 'traffic', 'bearer', 'qos', 'aal', 'uu', 'extra'], 'in this order');

  const bare = paramsFromMessage(msg(MsgType.SETUP, [calledIe('1002')]), false);
  t.deepEqual(Object.keys(bare), ['called', 'multipoint'], 'no key for what the message does not carry');

  // an ADD PARTY repeating its SETUP's AAL parameters and nothing else: the SETUP's parameters, the same object
  const base = paramsFromMessage(msg(MsgType.SETUP, [calledIe('1002'), callingIe('1001'), traffic, bearer, aal]), true);
  const same = paramsFromMessage(msg(MsgType.ADD_PARTY, [calledIe('1002'), callingIe('1001'), defaultAal(), eprefIe(1, false)]), true, base);
  t.is(same, base);
  // one that says something else gets its own, the rest still its call's
  const other = paramsFromMessage(msg(MsgType.ADD_PARTY, [calledIe('1003'), callingIe('1001'), eprefIe(2, false)]), true, base);
  t.not(other, base);
  t.like(other, { called: '1003', calling: '1001', traffic, bearer, aal });
  const withUu = paramsFromMessage(msg(MsgType.ADD_PARTY, [calledIe('1002'), callingIe('1001'), uuIe(Buffer.from('x'))]), true, base);
  t.not(withUu, base);
  t.deepEqual(withUu.uu, Buffer.from('x'));
});
