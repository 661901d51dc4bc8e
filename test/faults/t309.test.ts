/**
 * Q.2931 5.5.6 (T309) over real TAP devices in namespaces: a leaf host's uplink
 * goes down (`ip link set eth1 down` inside its namespace) under a
 * point-to-point call and a point-to-multipoint call. SSCOP timers are short,
 * so both ends notice the loss within about a second and T309 runs.
 * - Down until both ends have noticed the loss, then up again, with T309 set
 *   far longer than the test can take (60 s): no call is lost on either side,
 *   data flows again, close data on the later closes arrives exactly once.
 * - Down longer than T309 (2 s here): every call on that link is cleared with
 *   cause 27 on both sides (DEST_OUT_OF_ORDER above NDIS) and nothing is left.
 * The daemons are separate processes on the wall clock, so these tests wait on
 * their events (each wait bounded, failing with what it waited for), never a
 * fixed time; T309's own timing is tested in virtual time in test/uni/t309.test.ts.
 */
import { rootTest } from '../helpers/root.js';
import { startLab, type TestLab } from '../helpers/lab.js';
import { waitForLinks, type RunningDaemon } from '../../src/demo/daemons.js';
import { assertDrained, drained } from './helpers.js';
import { waitUntil } from '../helpers/wait.js';

/** SSCOP that notices a silent peer within ~1.1 s (Timer_IDLE 300 ms + Timer_NO_RESPONSE 800 ms) */
const QUICK_SSCOP = { cc: '200ms', poll: '200ms', keepAlive: '200ms', idle: '300ms', noResponse: '800ms' };

/** until `d` has received `n` STATUS messages from `peer` since event index `from` (the answers to its STATUS ENQUIRYs) */
async function statusAnswers(d: RunningDaemon, peer: string, from: number, n: number, ms = 15_000): Promise<void> {
  const count = () => d.events.slice(from).filter((e) => e.kind === 'message' && e.direction === 'in' && e.peer === peer && e.type === 'STATUS').length;
  await waitUntil(`${d.host}: ${n} STATUS answers from ${peer}`, () => count() >= n, { ms, every: 50 });
}

/** h1 holds a p2p call to h2 and a multipoint call with parties h2 (by make call) and h3 (by add party) */
async function calls(lab: TestLab) {
  const root = lab.d('h1');
  const h2 = lab.d('h2');
  const h3 = lab.d('h3');
  for (const [h, a] of [['h2', '3002'], ['h3', '3003']] as const) await lab.d(h).control.registerSap({ address: a, policy: 'accept' });
  let inc = h2.next('incoming-call');
  const p2p = (await root.control.makeCall({ called: '3002' })) as { vc: number };
  const p2pLeaf = (await inc).vc;
  await h2.seen('call-connected', (e) => e.vc === p2pLeaf);
  inc = h2.next('incoming-call');
  const mp = (await root.control.makeCall({ called: '3002', multipoint: true })) as { vc: number; party: number };
  const mpLeaf2 = (await inc).vc;
  await h2.seen('call-connected', (e) => e.vc === mpLeaf2);
  const inc3 = h3.next('incoming-call');
  const party3 = (await root.control.addParty({ vc: mp.vc, address: '3003' })) as { party: number };
  const mpLeaf3 = (await inc3).vc;
  await h3.seen('call-connected', (e) => e.vc === mpLeaf3);
  return { p2p: p2p.vc, p2pLeaf, mp: mp.vc, mpParty2: mp.party, mpParty3: party3.party, mpLeaf2, mpLeaf3 };
}

const lost = (d: RunningDaemon, from: number) =>
  d.events.slice(from).filter((e) => e.kind === 'incoming-close-call' || e.kind === 'incoming-drop-party' || (e.kind === 'vc-state' && e.state === 'DELETED'));

rootTest('T309: a leaf link down under a p2p and a p2mp call until both ends lose SSCOP: no call lost, data flows again, close data arrives once', async (t) => {
  // T309 far longer than the outage can take: the calls are kept by T309 running, not by winning a race with it
  const lab = await startLab(t, 3, { timers: { sscop: QUICK_SSCOP, uni: { t309: '60s' } }, discoveryIntervalMs: 500 });
  const root = lab.d('h1');
  const h2 = lab.d('h2');
  const h3 = lab.d('h3');
  const host2 = lab.lab.host('h2');
  const c = await calls(lab);
  const mark = { root: root.events.length, h2: h2.events.length, h3: h3.events.length };
  const rootDown = root.next('link-state', (e) => e.peer === host2.mac && !e.established, 10_000);
  const h2Down = h2.next('link-state', (e) => e.peer === lab.lab.host('h1').mac && !e.established, 10_000);
  await host2.ns.ip(['link', 'set', host2.uplink, 'down']);
  // up again once both ends did lose SSCOP (so T309, not luck, kept the calls)
  await Promise.all([rootDown, h2Down]);
  const back = { root: root.events.length, h2: h2.events.length };
  await host2.ns.ip(['link', 'set', host2.uplink, 'up']);
  await waitForLinks(root, [host2.mac], 15_000);
  await waitForLinks(h2, [lab.lab.host('h1').mac], 15_000);
  // the STATUS ENQUIRY exchange is over: each end asked about its two calls on that link and got both answers
  await statusAnswers(root, host2.mac, back.root, 2);
  await statusAnswers(h2, lab.lab.host('h1').mac, back.h2, 2);
  t.deepEqual(lost(root, mark.root), [], 'root: no call or party lost');
  t.deepEqual(lost(h2, mark.h2), [], 'h2: no call lost');
  t.deepEqual(lost(h3, mark.h3), [], 'h3: no call lost');

  // data flows on both calls afterwards
  const rx2 = h2.next('receive', (e) => e.vc === c.p2pLeaf);
  await root.control.send({ vc: c.p2p, data: 'p2p after' });
  t.is((await rx2).data.toString(), 'p2p after');
  const rxm2 = h2.next('receive', (e) => e.vc === c.mpLeaf2);
  const rxm3 = h3.next('receive', (e) => e.vc === c.mpLeaf3);
  await root.control.send({ vc: c.mp, data: 'mp after' });
  t.is((await rxm2).data.toString(), 'mp after');
  t.is((await rxm3).data.toString(), 'mp after');

  // close data on the later closes: exactly once
  const ic = h2.next('incoming-close-call', (e) => e.vc === c.p2pLeaf);
  await root.control.closeCall({ vc: c.p2p, closeData: 'p2p bye' });
  t.is((await ic).closeData?.toString(), 'p2p bye');
  const ic3 = h3.next('incoming-close-call', (e) => e.vc === c.mpLeaf3);
  await root.control.dropParty({ vc: c.mp, party: c.mpParty3, closeData: 'bye h3' });
  t.is((await ic3).closeData?.toString(), 'bye h3');
  const icm = h2.next('incoming-close-call', (e) => e.vc === c.mpLeaf2);
  await root.control.closeCall({ vc: c.mp, closeData: 'mp bye' });
  t.is((await icm).closeData?.toString(), 'mp bye');
  for (const h of ['h1', 'h2', 'h3']) assertDrained(t, await drained(lab.d(h)), h);
  const closes = (d: RunningDaemon) => d.events.filter((e) => e.kind === 'incoming-close-call').map((e) => (e as { closeData?: Buffer }).closeData?.toString());
  t.deepEqual(closes(h2).sort(), ['mp bye', 'p2p bye'], 'h2: each close data once');
  t.deepEqual(closes(h3), ['bye h3'], 'h3: its close data once');
});

rootTest('T309: a leaf link down longer than T309 (2 s): its calls are cleared with cause 27 on both sides, nothing is left', async (t) => {
  const lab = await startLab(t, 3, { timers: { sscop: QUICK_SSCOP, uni: { t309: '2s' } }, discoveryIntervalMs: 500 });
  const root = lab.d('h1');
  const h2 = lab.d('h2');
  const host2 = lab.lab.host('h2');
  const c = await calls(lab);
  const ic = root.next('incoming-close-call', (e) => e.vc === c.p2p, 15_000);
  const idp = root.next('incoming-drop-party', (e) => e.vc === c.mp && e.party === c.mpParty2, 15_000);
  const leafP2p = h2.next('incoming-close-call', (e) => e.vc === c.p2pLeaf, 15_000);
  const leafMp = h2.next('incoming-close-call', (e) => e.vc === c.mpLeaf2, 15_000);
  await host2.ns.ip(['link', 'set', host2.uplink, 'down']);
  const [close, drop, l1, l2] = await Promise.all([ic, idp, leafP2p, leafMp]);
  await host2.ns.ip(['link', 'set', host2.uplink, 'up']);
  for (const s of [close.status, drop.status, l1.status, l2.status]) t.is(s.name, 'DEST_OUT_OF_ORDER', 'cause 27 above NDIS');
  await root.control.closeCall({ vc: c.mp });
  for (const h of ['h1', 'h2', 'h3']) assertDrained(t, await drained(lab.d(h)), h);
});
