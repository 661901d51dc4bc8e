/**
 * NDIS's VC record keeps its yes/no fields in one number: each reads back
 * what was last written to it, whatever the others hold.
 */
import test from 'ava';
import { VcRec, type AfRec } from '../../src/ndis/records.js';
import type { NdisVcHandle } from '../../src/ndis/types.js';

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
