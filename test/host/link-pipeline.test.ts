import test from 'ava';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { cellHeader, emitFrame, macNumber, VCI_DISCOVERY, VCI_SIGNALLING, type FrameView } from '../../src/wire/index.js';
import { createSaalLink, type SaalSignal } from '../../src/sscop/index.js';
import { hostUpPath, linkUpPath } from '../../src/host/link-pipeline.js';

const ME = '02:00:00:00:00:0a';
const PEER = '02:00:00:00:00:0b';
const OTHER = '02:00:00:00:00:0c';
const frame = (dst: string, src: string, vpi: number, vci: number, sdu: string) =>
  emitFrame({ dst, src, etherType: 0x88b5, cell: cellHeader(vpi, vci), uu: 0, cpi: 0, sdu: Buffer.from(sdu) });

function rig(capture = false) {
  const frames = new Subject<Buffer>();
  const seen: string[] = [];
  const drops: string[] = [];
  let received = 0;
  const note = (kind: string) => (v: FrameView) => seen.push(`${kind} ${v.srcMac} ${v.vpi}/${v.vci} ${v.sdu.toString()}`);
  const captured: string[] = [];
  const sub = hostUpPath(frames, {
    me: macNumber(ME),
    etherType: 0x88b5,
    received: () => received++,
    drop: (why) => drops.push(why),
    ...(capture ? { capture: (_d: 'rx', vpi: number, vci: number, sdu: Buffer, peer: string) => captured.push(`${peer} ${vpi}/${vci} ${sdu.toString()}`) } : {}),
    routes: { signalling: note('sig'), discovery: note('disc'), data: note('data') },
  }).subscribe();
  return { frames, seen, drops, captured, received: () => received, sub };
}

test('the host path: each frame reaches the route of its VC synchronously, with its SDU; refused frames are counted by reason', (t) => {
  const r = rig();
  r.frames.next(frame(ME, PEER, 0, VCI_SIGNALLING, 'pdu'));
  t.deepEqual(r.seen, [`sig ${PEER} 0/5 pdu`], 'handled before next() returned: no scheduler between the steps');
  r.frames.next(frame('ff:ff:ff:ff:ff:ff', PEER, 0, VCI_DISCOVERY, 'hello'));
  r.frames.next(frame(ME, PEER, 1, 40, 'data'));
  r.frames.next(frame(ME, ME, 0, 40, 'echo'));
  r.frames.next(frame(OTHER, PEER, 0, 40, 'not ours'));
  const bad = frame(ME, PEER, 0, 40, 'crc');
  bad[19] ^= 0xff;
  r.frames.next(bad);
  r.frames.next(Buffer.alloc(8));
  t.deepEqual(r.seen, [`sig ${PEER} 0/5 pdu`, `disc ${PEER} 0/16 hello`, `data ${PEER} 1/40 data`]);
  t.deepEqual(r.drops, ['own-frame', 'not-for-us', 'aal5-crc', 'ethernet-short']);
  t.is(r.received(), 7);
  r.sub.unsubscribe();
});

test('the host path: the capture sees the frames that passed the address check, and only when there is one', (t) => {
  const r = rig(true);
  r.frames.next(frame(ME, PEER, 0, 40, 'a'));
  r.frames.next(frame(OTHER, PEER, 0, 40, 'b'));
  t.deepEqual(r.captured, [`${PEER} 0/40 a`]);
  r.sub.unsubscribe();
});

test('the link path: SSCOP PDUs in, the SAAL signals out (establishment and data), messages reported before the UNI sees them', (t) => {
  const clock = new VirtualTimeScheduler();
  // SSCOP keeps timers running while established: run virtual time 100 ms at a time
  const run = () => {
    clock.maxFrames = clock.now() + 100;
    clock.flush();
  };
  const toA = new Subject<Buffer>();
  const toB = new Subject<Buffer>();
  const a = createSaalLink({ send: (p) => toB.next(p), scheduler: clock, initialSequence: 1 });
  const b = createSaalLink({ send: (p) => toA.next(p), scheduler: clock, initialSequence: 2 });
  const order: string[] = [];
  const up = (name: string) => (s: SaalSignal) => order.push(`${name} ${s.kind}${s.kind === 'data-indication' ? ` ${s.data.toString()}` : ''}`);
  const report = (name: string) => (_d: 'in', sdu: Buffer) => order.push(`${name} reported ${sdu.toString()}`);
  const sa = linkUpPath(toA, a, report('a')).subscribe(up('a'));
  const sb = linkUpPath(toB, b, report('b')).subscribe(up('b'));
  a.establish();
  run();
  t.true(a.established && b.established);
  a.data(Buffer.from('SETUP'));
  run();
  t.deepEqual(order, ['b establish-indication', 'a establish-confirm', 'b reported SETUP', 'b data-indication SETUP']);
  // unsubscribing detaches the link from its PDUs
  sb.unsubscribe();
  a.data(Buffer.from('lost'));
  run();
  t.is(order.length, 4);
  sa.unsubscribe();
  a.dispose();
  b.dispose();
});
