/**
 * The path down (src/host/link-down-path.ts): the host-wide steps (framed,
 * counted, captured, to the miniport), a link's request path (messages
 * reported, sscfDown, sscopDown), and the join that makes a link's first PDU
 * reach the wire: the path exists before the link. Synchronous subjects and
 * virtual time; nothing sleeps.
 */
import test from 'ava';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { cellHeader, emitFrame, FrameView, VCI_DISCOVERY, VCI_SIGNALLING } from '../../src/wire/index.js';
import { createSaalLink, createSaalMux, parsePdu, type SaalSignal } from '../../src/sscop/index.js';
import { hostDownPath, linkDownPath, linkService, pduPath, TxFrame } from '../../src/host/link-down-path.js';
import { linkUpPath } from '../../src/host/link-pipeline.js';
import { CondisNode } from '../../src/host/node.js';
import type { Miniport } from '../../src/miniport/types.js';
import { nodeOptions } from '../helpers/nodes.js';

const ME = '02:00:00:00:00:0a';
const PEER = '02:00:00:00:00:0b';
const PEER2 = '02:00:00:00:00:0c';
const ET = 0x88b5;

const pduType = (pdu: Buffer) => {
  const r = parsePdu(pdu);
  return r.ok ? r.value.type : 'bad';
};

/** what a sent frame carries, read back through the wire layer's view */
function describeFrame(frame: Buffer): string {
  const v = new FrameView(ET).wrap(frame);
  if (!v.check()) return `bad frame ${v.errorCode()}`;
  return `${v.dstMac} ${v.vpi}/${v.vci} ${v.vci === VCI_SIGNALLING ? pduType(Buffer.from(v.sdu)) : v.sdu.toString()}`;
}

function hostRig(capture = true, send?: (f: Buffer) => void) {
  const trace: string[] = [];
  const frames: Buffer[] = [];
  let sent = 0;
  const head = hostDownPath({
    mac: ME,
    etherType: ET,
    sent: () => {
      sent++;
      trace.push('counted');
    },
    ...(capture ? { capture: (_d: 'tx', vpi: number, vci: number, sdu: Buffer, peer: string) => trace.push(`captured ${peer} ${vpi}/${vci} ${sdu.toString()}`) } : {}),
    miniport: {
      send:
        send ??
        ((f) => {
          frames.push(f);
          trace.push('miniport');
        }),
    },
  });
  return { head, trace, frames, sent: () => sent };
}

test('the host path down: an SDU is framed (the octets emitFrame makes), counted, captured and sent, in that order, before next() returns', (t) => {
  const r = hostRig();
  const tx = new TxFrame(PEER, 0, VCI_SIGNALLING);
  const send = pduPath(tx, r.head);
  send(Buffer.from('abcd'));
  t.deepEqual(r.trace, ['counted', `captured ${PEER} 0/5 abcd`, 'miniport'], 'synchronous: no scheduler between the steps');
  t.deepEqual(r.frames[0], emitFrame({ dst: PEER, src: ME, etherType: ET, cell: cellHeader(0, VCI_SIGNALLING), uu: 0, cpi: 0, sdu: Buffer.from('abcd') }));
  const header = tx.header;
  send(Buffer.alloc(200, 7));
  t.is(tx.header, header, 'the header is encoded once per destination');
  t.deepEqual(r.frames[1], emitFrame({ dst: PEER, src: ME, etherType: ET, cell: cellHeader(0, VCI_SIGNALLING), uu: 0, cpi: 0, sdu: Buffer.alloc(200, 7) }));
  t.is(r.sent(), 2);
});

test('the host path down: a frame given framed (user data) goes as it is; without a capture there is no capture step', (t) => {
  const r = hostRig(false);
  const frame = emitFrame({ dst: PEER, src: ME, etherType: ET, cell: cellHeader(1, 40), uu: 0, cpi: 0, sdu: Buffer.from('data') });
  const tx = new TxFrame(PEER, 1, 40);
  tx.sdu = Buffer.from('data');
  tx.frame = frame;
  r.head.next(tx);
  t.is(r.frames[0], frame, 'the very buffer');
  t.deepEqual(r.trace, ['counted', 'miniport']);
});

test("the host path down: a throw in a step goes back to the sender; behind a link, SSCOP counts the PDU as lost and retransmits it", (t) => {
  let fail = true;
  const r = hostRig(true, () => {
    if (fail) throw new Error('device gone');
  });
  const scheduler = new VirtualTimeScheduler();
  const link = createSaalLink({ scheduler, send: pduPath(new TxFrame(PEER, 0, VCI_SIGNALLING), r.head), initialSequence: 1 });
  t.notThrows(() => link.establish());
  t.is(link.counters().sendErrors, 1);
  fail = false;
  scheduler.maxFrames = 2000;
  scheduler.flush();
  t.true(link.counters().ccRetransmissions > 0);
  t.is(link.counters().sendErrors, 1);
  link.dispose();
});

test("the link path down: a sent message is reported before SSCF has it; SSCF's requests reach SSCOP through sscfDown and sscopDown; unsubscribing the head stops the requests", (t) => {
  const clock = new VirtualTimeScheduler();
  const run = () => {
    clock.maxFrames = clock.now() + 100;
    clock.flush();
  };
  const order: string[] = [];
  const toA = new Subject<Buffer>();
  const toB = new Subject<Buffer>();
  const a = createSaalLink({ send: (p) => (order.push(`a sends ${pduType(p)}`), toB.next(p)), scheduler: clock, initialSequence: 1 });
  const b = createSaalLink({ send: (p) => toA.next(p), scheduler: clock, initialSequence: 2 });
  b.attach(toB);
  const report = (d: 'in' | 'out', sdu: Buffer) => order.push(`reported ${d} ${sdu.toString()} (SSCF has ${a.counters().sdusAccepted})`);
  const down = linkDownPath(a, report);
  const saal = linkService(a, linkUpPath(toA, a, report), down);
  const up = saal.signals$.subscribe((s: SaalSignal) => order.push(`a gets ${s.kind}`));
  saal.establish();
  run();
  t.true(saal.established && b.established);
  saal.data(Buffer.from('SETUP'));
  t.deepEqual(order, ['a sends BGN', 'a gets establish-confirm', 'reported out SETUP (SSCF has 0)', 'a sends SD']);
  down.unsubscribe();
  saal.data(Buffer.from('after'));
  t.is(a.counters().sdusAccepted, 1, 'the path is down: the request went nowhere');
  up.unsubscribe();
  a.dispose();
  b.dispose();
});

/** a miniport that keeps what is sent and delivers what a test pushes; nothing else */
function recordingMiniport(mac: string) {
  const frames$ = new Subject<Buffer>();
  const sent: Buffer[] = [];
  const mp: Miniport = {
    name: `memory:${mac}`,
    mac,
    mtu: 1500,
    frames$,
    send: (f) => void sent.push(f),
    counters: () => ({ rxFrames: 0, rxBytes: 0, txFrames: sent.length, txBytes: 0, txErrors: 0, rxDropped: 0 }),
    close: async () => frames$.complete(),
  };
  return { mp, frames$, sent };
}

test("a link's first PDU reaches the wire: the BGN of a configured peer's link, sent while the host is being built, and of a peer learned from its BGN", (t) => {
  const scheduler = new VirtualTimeScheduler();
  const { mp, frames$, sent } = recordingMiniport(ME);
  const captured: string[] = [];
  const node = new CondisNode(
    nodeOptions('h', mp, '1001', {
      scheduler,
      etherType: ET,
      peers: [{ mac: PEER, addresses: ['1002'] }],
      discovery: { enabled: false, intervalMs: 200, holdTimeMs: 700 },
      capture: (dir, vpi, vci, _sdu, peer) => captured.push(`${dir} ${peer} ${vpi}/${vci}`),
    }),
  );
  // nothing has run yet but the constructor: the BGN went out from inside it
  t.deepEqual(sent.map(describeFrame), [`${PEER} 0/5 BGN`]);
  t.deepEqual(captured, [`tx ${PEER} 0/5`]);
  t.is(node.counters().framesOut, 1);
  t.deepEqual(node.sscopCounters().map((c) => c.sendErrors), [0]);

  // a BGN from a host we never heard of: learned, its link made, our own BGN and the answer to its BGN sent
  const theirs = createSaalLink({ scheduler, initialSequence: 5, send: (pdu) => frames$.next(emitFrame({ dst: ME, src: PEER2, etherType: ET, cell: cellHeader(0, VCI_SIGNALLING), uu: 0, cpi: 0, sdu: pdu })) });
  theirs.establish();
  const toPeer2 = sent.slice(1).map(describeFrame);
  t.is(toPeer2[0], `${PEER2} 0/5 BGN`, 'the first PDU of the link made for the new peer');
  t.true(toPeer2.includes(`${PEER2} 0/5 BGAK`), toPeer2.join(', '));
  t.is(node.counters().framesOut, sent.length);
  t.is(captured.filter((c) => c.startsWith('tx')).length, sent.length);
  theirs.dispose();
  void node.shutdown(0);
});

test('discovery announcements go down the same host path: framed to the broadcast MAC on VCI 16, counted and captured', (t) => {
  const scheduler = new VirtualTimeScheduler();
  const { mp, sent } = recordingMiniport(ME);
  const captured: string[] = [];
  const node = new CondisNode(
    nodeOptions('h', mp, '1001', { scheduler, etherType: ET, capture: (dir, vpi, vci, _sdu, peer) => captured.push(`${dir} ${peer} ${vpi}/${vci}`) }),
  );
  t.is(sent.length, 1);
  const v = new FrameView(ET).wrap(sent[0]!);
  t.true(v.check());
  t.is(v.dstMac, 'ff:ff:ff:ff:ff:ff');
  t.is(v.vci, VCI_DISCOVERY);
  t.deepEqual(captured, ['tx ff:ff:ff:ff:ff:ff 0/16']);
  t.is(node.counters().framesOut, 1);
  t.is(node.counters().discoveryOut, 1);
  void node.shutdown(0);
});

test('a mux asks the host path for each link before it makes the link (no subscription to wait for)', (t) => {
  const r = hostRig(false);
  const scheduler = new VirtualTimeScheduler();
  const mux = createSaalMux({ scheduler, pathTo: (peer) => pduPath(new TxFrame(peer, 0, VCI_SIGNALLING), r.head) });
  mux.link(PEER).establish();
  t.deepEqual(r.frames.map(describeFrame), [`${PEER} 0/5 BGN`]);
  mux.dispose();
});
