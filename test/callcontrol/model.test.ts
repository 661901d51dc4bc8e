/**
 * A host call keeps its role and yes/no fields in one number, a host party its
 * phase and drop mark: each reads back what was last written to it, whatever
 * the others hold.
 */
import test from 'ava';
import { HostCall, HostParty, type Leg } from '../../src/callcontrol/model.js';

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
