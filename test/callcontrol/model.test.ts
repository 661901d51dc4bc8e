/**
 * A host call keeps its role and yes/no fields in one number: each reads back
 * what was last written to it, whatever the others hold.
 */
import test from 'ava';
import { HostCall } from '../../src/callcontrol/model.js';

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
