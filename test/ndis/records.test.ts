/**
 * NDIS's VC record and the call manager's VC context keep their yes/no fields
 * in one number: each reads back what was last written to it, whatever the
 * others hold. A VC's parties are a list through the party records.
 */
import test from 'ava';
import { Subject, type SchedulerLike } from 'rxjs';
import { NdisCore, VcRec, type AfRec, type ClientRec } from '../../src/ndis/records.js';
import type { ClIndication } from '../../src/ndis/indications.js';
import type { NdisDataPath } from '../../src/ndis/datapath.js';
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

test("a VC's parties: listed in the order they came, unlinked when they go, wherever they stand; the last one gone leaves the shared empty list", (t) => {
  const core = new NdisCore({ dataPath: {} as NdisDataPath });
  const v = core.newVc({} as AfRec, 'cl');
  const empty = v.parties;
  const [a, b, c, d] = [1, 2, 3, 4].map((i) => core.newParty(v, `p${i}`));
  for (const p of [a, b, c, d]) core.addParty(p!);
  const names = (): unknown[] => [...v.parties.values()].map((p) => p.clCtx);
  t.deepEqual(names(), ['p1', 'p2', 'p3', 'p4']);
  t.is(core.partyOf(v, b!.h), b);
  t.is(core.partyOf(core.newVc({} as AfRec, 'cl'), b!.h), undefined, "another VC's handle is not this VC's party");
  core.removeParty(b!); // in the middle
  t.deepEqual(names(), ['p1', 'p3', 'p4']);
  t.deepEqual([b!.prev, b!.next], [undefined, undefined]);
  v.parties.remove(b!); // not on the list any more: nothing happens
  t.is(v.parties.size, 3);
  core.removeParty(a!); // the first
  core.removeParty(d!); // the last
  t.deepEqual(names(), ['p3']);
  core.addParty(a!);
  t.deepEqual(names(), ['p3', 'p1']);
  core.removeParty(c!);
  core.removeParty(a!);
  t.is(v.parties.size, 0);
  t.is(v.parties, empty);
  t.is(core.parties.size, 0);
});

test("a VC's close party and close status: each reads back what was last written, independently, and unset reads undefined", (t) => {
  const core = new NdisCore({ dataPath: {} as NdisDataPath });
  const v = core.newVc({} as AfRec, 'cl');
  t.deepEqual([v.closeParty, v.closeStatus], [undefined, undefined]);
  v.closeParty = undefined;
  v.closeStatus = undefined;
  t.deepEqual([v.closeParty, v.closeStatus], [undefined, undefined]);
  const p = core.newParty(v, 'p');
  v.closeStatus = 0xc0000001;
  t.deepEqual([v.closeParty, v.closeStatus], [undefined, 0xc0000001]);
  v.closeParty = p;
  t.deepEqual([v.closeParty, v.closeStatus], [p, 0xc0000001]);
  v.closeStatus = undefined;
  t.deepEqual([v.closeParty, v.closeStatus], [p, undefined]);
  v.closeParty = undefined;
  t.deepEqual([v.closeParty, v.closeStatus], [undefined, undefined]);
});

test('data indications chain while queued, and every NBL reaches the client once, whatever the scheduler', (t) => {
  const dataPath = { receive$: { subscribe: () => ({ unsubscribe() {} }) } } as unknown as NdisDataPath;
  // a scheduler that runs a turn at once (a library user may pass one) and one that waits to be told
  const waiting: (() => void)[] = [];
  const later = { schedule: (work: () => void) => (waiting.push(work), { unsubscribe() {} }) } as unknown as SchedulerLike;
  const atOnce = { schedule: (work: () => void) => (work(), { unsubscribe() {} }) } as unknown as SchedulerLike;
  for (const [name, scheduler] of [['a later turn', later], ['at once', atOnce]] as const) {
    const core = new NdisCore({ dataPath, scheduler });
    const client = { ind$: new Subject<ClIndication>() } as unknown as ClientRec;
    const receive = (vc: number, text: string) =>
      core.indicateNbl(client, 'ProtocolCoReceiveNetBufferLists', { clCtx: undefined, h: vc as NdisVcHandle }, { data: Buffer.from(text) });
    const got: string[][] = [];
    client.ind$.subscribe((i) => got.push('nbls' in i ? i.nbls.map((n) => n.data.toString()) : [i.kind]));
    receive(1, 'a');
    receive(1, 'b');
    receive(2, 'c');
    core.indicate(client, { kind: 'ProtocolCoDeleteVc', vcContext: undefined, vcHandle: 3 as NdisVcHandle } as ClIndication);
    receive(2, 'd');
    receive(2, 'e');
    while (waiting.length) waiting.shift()!();
    t.deepEqual(got.flat(), ['a', 'b', 'c', 'ProtocolCoDeleteVc', 'd', 'e'], `${name}: each once, in order`);
    if (scheduler === later) t.deepEqual(got, [['a', 'b'], ['c'], ['ProtocolCoDeleteVc'], ['d', 'e']], 'queued ones chain, never across another indication');
    else t.is(got.length, 6, 'delivered at once: nothing to chain onto');
  }
});
