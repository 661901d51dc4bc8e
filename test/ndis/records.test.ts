/**
 * NDIS's VC record and the call manager's VC context keep their yes/no fields
 * in one number: each reads back what was last written to it, whatever the
 * others hold.
 */
import test from 'ava';
import { VcRec, type AfRec } from '../../src/ndis/records.js';
import type { NdisVcHandle } from '../../src/ndis/types.js';
import { CmVc } from '../../src/ndis/q2931/records.js';

const FLAGS = ['multipoint', 'incomingPending', 'qosPending', 'closeAfterIndication', 'closeAwaitsDeactivation'] as const;

test("a VC's yes/no fields are independent of one another and of who created it", (t) => {
  for (const creator of ['cl', 'cm'] as const) {
    const v = new VcRec(7 as NdisVcHandle, {} as AfRec, creator);
    for (const f of FLAGS) t.false(v[f], f);
    for (const f of FLAGS) {
      v[f] = true;
      t.deepEqual(
        FLAGS.filter((g) => v[g]),
        FLAGS.slice(0, FLAGS.indexOf(f) + 1),
        `${f} set`,
      );
    }
    v.qosPending = false;
    t.deepEqual(
      FLAGS.filter((g) => v[g]),
      FLAGS.filter((g) => g !== 'qosPending'),
    );
    t.is(v.creator, creator);
    t.false(v.signalling);
  }
  t.true(new VcRec(8 as NdisVcHandle, undefined, 'cm').signalling, 'the call manager’s own VC has no AF');
});

const CM_FLAGS = ['multipoint', 'active', 'closePending', 'activating', 'signalling', 'retireAfterActivation'] as const;

test("the call manager's VC context: its yes/no fields are independent of one another and of the direction", (t) => {
  for (const dir of ['out', 'in'] as const) {
    const v = new CmVc(dir);
    for (const f of CM_FLAGS) t.false(v[f], f);
    for (const f of CM_FLAGS) v[f] = true;
    t.true(CM_FLAGS.every((f) => v[f]));
    v.active = false;
    t.deepEqual(
      CM_FLAGS.filter((f) => v[f]),
      CM_FLAGS.filter((f) => f !== 'active'),
    );
    t.is(v.dir, dir);
  }
});
