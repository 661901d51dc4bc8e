/**
 * NDIS's miniport half on frames (src/host/wire-datapath.ts), one layer alone: a
 * frame on a wire path reaches every VC that has the path (the endpoints of
 * one multipoint call at a leaf host are such VCs), VCs come and go in any
 * order, and a VC with several paths (a multipoint root) sends one frame per
 * path with one CRC.
 */
import test from 'ava';
import { TestScheduler } from 'rxjs/testing';
import { WireDataPath } from '../../src/host/wire-datapath.js';
import { cellHeader, ETHERTYPE_CONDIS, frameHeader, macNumber, parseFrame, vcKey } from '../../src/wire/index.js';
import { NdisStatus } from '../../src/ndis/index.js';
import type { VcPath } from '../../src/uni/api.js';

const ME = '02:00:00:00:19:01';
const LEAF = '02:00:00:00:19:02';
const OTHER = '02:00:00:00:19:03';

/** `reuseFrames`: sendFrame keeps a copy of each frame's octets (`copy`) besides the frame itself, as a miniport that writes it at once would have sent them */
function dataPath(reuseFrames = false) {
  const sent: { path: VcPath; frame: Buffer; copy: Buffer }[] = [];
  const scheduler = new TestScheduler(() => {});
  const dp = new WireDataPath(
    {
      header: (p) => frameHeader(p.peer, ME, ETHERTYPE_CONDIS, cellHeader(p.vpi, p.vci)),
      sendFrame: (path, frame) => sent.push({ path, frame, copy: Buffer.from(frame) }),
    },
    1488,
    scheduler,
    false,
    reuseFrames,
  );
  const got: { vc: number; data: string }[] = [];
  dp.receive$.subscribe((r) => got.push({ vc: r.vc!, data: r.data.toString() }));
  const from = (peer: string, vpi: number, vci: number, data: string) => dp.receiveFrom(macNumber(peer), vcKey(vpi, vci), Buffer.from(data));
  return { dp, sent, got, from, scheduler };
}

test('every VC on a path gets its frames; they leave in any order, and the path goes with the last', (t) => {
  const { dp, got, from } = dataPath();
  const path: VcPath = { peer: LEAF, vpi: 0, vci: 40 };
  for (const vc of [1, 2, 3]) t.is(dp.activate(vc, [path]), NdisStatus.SUCCESS);
  t.deepEqual(dp.counters(), { activeVcs: 3, paths: 1, outstandingSends: 0 });
  t.true(from(LEAF, 0, 40, 'a'));
  t.deepEqual(got.splice(0), [{ vc: 1, data: 'a' }, { vc: 2, data: 'a' }, { vc: 3, data: 'a' }]);

  dp.deactivate(2);
  t.true(from(LEAF, 0, 40, 'b'));
  t.deepEqual(got.splice(0), [{ vc: 1, data: 'b' }, { vc: 3, data: 'b' }]);
  dp.deactivate(1);
  t.true(from(LEAF, 0, 40, 'c'));
  t.deepEqual(got.splice(0), [{ vc: 3, data: 'c' }]);
  // the same path from another peer, or another VC from this peer, is not ours
  t.false(from(OTHER, 0, 40, 'x'));
  t.false(from(LEAF, 0, 41, 'x'));
  dp.deactivate(3);
  t.false(from(LEAF, 0, 40, 'd'));
  t.deepEqual(got, []);
  t.deepEqual(dp.counters(), { activeVcs: 0, paths: 0, outstandingSends: 0 });
});

test('a VC activated again takes its new paths only; another VC on the old path keeps it', (t) => {
  const { dp, got, from } = dataPath();
  dp.activate(1, [{ peer: LEAF, vpi: 0, vci: 40 }]);
  dp.activate(2, [{ peer: LEAF, vpi: 0, vci: 40 }]);
  dp.activate(1, [{ peer: LEAF, vpi: 0, vci: 41 }]);
  t.true(from(LEAF, 0, 40, 'old'));
  t.true(from(LEAF, 0, 41, 'new'));
  t.deepEqual(got, [{ vc: 2, data: 'old' }, { vc: 1, data: 'new' }]);
  t.is(dp.counters().paths, 2);
});

test('a VC with paths to two leaves sends one frame on each, the same SDU and CRC behind each header; sends complete on a later turn', async (t) => {
  const { dp, sent, scheduler } = dataPath();
  dp.activate(7, [
    { peer: LEAF, vpi: 0, vci: 40 },
    { peer: OTHER, vpi: 0, vci: 52 },
  ]);
  // a leaf endpoint VC on one of those paths at the same time (as in a loop-back lab) changes nothing for the root's VC
  dp.activate(8, [{ peer: LEAF, vpi: 0, vci: 40 }]);
  let status: number | undefined;
  void dp.send(7, Buffer.from('to both leaves')).then((s) => (status = s));
  t.is(sent.length, 2);
  const [a, b] = sent.map((s) => parseFrame(s.frame));
  t.true(a!.ok && b!.ok, 'both frames parse, CRC included');
  if (!a!.ok || !b!.ok) return;
  t.deepEqual([a.value.dst, a.value.cell.vci, a.value.sdu.toString()], [LEAF, 40, 'to both leaves']);
  t.deepEqual([b.value.dst, b.value.cell.vci, b.value.sdu.toString()], [OTHER, 52, 'to both leaves']);
  t.is(dp.counters().outstandingSends, 1);
  scheduler.flush();
  await Promise.resolve();
  t.is(status, NdisStatus.SUCCESS);
  t.is(dp.counters().outstandingSends, 0);
  t.is(await dp.send(99, Buffer.from('x')), NdisStatus.VC_NOT_ACTIVATED);
});

test('sendWith: the same frames as send; each send of a turn completes through its callback on a later turn, in order, a refused one too but never inside the call', async (t) => {
  const { dp, sent, scheduler } = dataPath();
  dp.activate(7, [{ peer: LEAF, vpi: 0, vci: 40 }]);
  const done: string[] = [];
  dp.sendWith(7, Buffer.from('one'), (s) => done.push(`one ${s}`));
  dp.sendWith(7, Buffer.from('two'), (s) => done.push(`two ${s}`));
  dp.sendWith(99, Buffer.from('nowhere'), (s) => done.push(`nowhere ${s}`));
  dp.sendWith(7, Buffer.alloc(1489), (s) => done.push(`long ${s}`));
  t.deepEqual(done, [], 'nothing completes inside the call');
  t.deepEqual(
    sent.map((s) => parseFrame(s.frame)).map((r) => (r.ok ? r.value.sdu.toString() : 'bad')),
    ['one', 'two'],
  );
  t.is(dp.counters().outstandingSends, 2);
  await Promise.resolve();
  t.deepEqual(done, [`nowhere ${NdisStatus.VC_NOT_ACTIVATED}`, `long ${NdisStatus.INVALID_LENGTH}`], 'refused sends complete without waiting for a turn');
  scheduler.flush();
  t.deepEqual(done.slice(2), [`one ${NdisStatus.SUCCESS}`, `two ${NdisStatus.SUCCESS}`]);
  t.is(dp.counters().outstandingSends, 0);
});

test('reuseFrames: every frame is built in one buffer, and each is the frame a fresh one would be when it is sent, on one path or several', (t) => {
  const fresh = dataPath(false);
  const reused = dataPath(true);
  const twoLeaves: VcPath[] = [
    { peer: LEAF, vpi: 0, vci: 40 },
    { peer: OTHER, vpi: 0, vci: 52 },
  ];
  for (const { dp } of [fresh, reused]) {
    dp.activate(7, [{ peer: LEAF, vpi: 0, vci: 41 }]);
    dp.activate(8, twoLeaves);
  }
  const sends: [number, Buffer][] = [
    [7, Buffer.alloc(1488, 0x31)],
    [7, Buffer.from('short after long: no octet of the last frame may show through')],
    [8, Buffer.alloc(700, 0x32)],
    [7, Buffer.alloc(0)],
    [8, Buffer.from('to both leaves again')],
  ];
  for (const { dp } of [fresh, reused]) for (const [vc, data] of sends) dp.sendWith(vc, data, () => {});
  t.is(reused.sent.length, 7);
  t.deepEqual(
    reused.sent.map((s) => s.copy),
    fresh.sent.map((s) => s.frame),
  );
  // one buffer under all of them (a fresh frame each: as many buffers as frames, sharing only Node's pool)
  t.is(new Set(reused.sent.map((s) => s.frame.buffer)).size, 1);
  for (const s of reused.sent.map((x) => parseFrame(x.copy))) t.true(s.ok, 'each frame as sent parses, CRC included');
  // without reuseFrames a frame kept by whoever took it stays as it was sent
  t.deepEqual(
    fresh.sent.map((s) => s.frame),
    fresh.sent.map((s) => s.copy),
  );
});
