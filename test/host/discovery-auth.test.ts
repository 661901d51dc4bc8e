/**
 * Discovery authentication and the allow-list in whole hosts (memory
 * miniport): hosts sharing the lab key take only each other's signed
 * announcements; a forger without the key (unsigned, or signed with another
 * key) claiming the victim's address changes nothing: calls reach the
 * victim, the forgeries are counted. A recorded announcement sent again is
 * refused as a replay. A host with an allow-list drops signalling and
 * discovery from any other MAC, counted.
 */
import test from 'ava';
import { CondisNode, type NodeOptions } from '../../src/host/node.js';
import { openMemorySync } from '../../src/miniport/index.js';
import type { Miniport } from '../../src/miniport/types.js';
import { parseFrame, VCI_DISCOVERY } from '../../src/wire/index.js';
import { Client, nodeOptions, S, shutdownAll } from '../helpers/nodes.js';

const KEY = Buffer.from('the lab key shared by a and v :)');
const WRONG = Buffer.from('a key the forger made up itself!');
const A = '02:00:00:00:00:01';
const V = '02:00:00:00:00:02';
const F1 = '02:00:00:00:00:03';
const F2 = '02:00:00:00:00:04';
const EAR = '02:00:00:00:00:ee';
let hubs = 0;

const disc = (key?: Buffer): NodeOptions['discovery'] => ({ enabled: true, intervalMs: 100, holdTimeMs: 1000, ...(key ? { auth: { key, maxAgeMs: 5000 } } : {}) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

test('a forger without the key claims the victim address: ignored and counted, calls reach the victim; a replayed announcement is refused', async (t) => {
  const hub = `auth-${process.pid}-${hubs++}`;
  const port = (mac: string): Miniport => openMemorySync({ kind: 'memory', hub, mac });
  const nodes: CondisNode[] = [];
  t.teardown(() => shutdownAll(nodes));
  // the forgers are first on the segment: one unsigned (no key), one signing with a key of its own
  nodes.push(new CondisNode(nodeOptions('forger-v1', port(F1), '1002', { discovery: disc() })));
  nodes.push(new CondisNode(nodeOptions('forger-v2', port(F2), '1002', { discovery: disc(WRONG) })));
  await until('both forgers announce', () => nodes.every((f) => f.counters().discoveryOut >= 2));
  const a = new CondisNode(nodeOptions('a', port(A), '1001', { discovery: disc(KEY) }));
  nodes.push(a);
  await until('a hears both forgers before v starts', () => (a.counters().drops['discovery-unauthenticated'] ?? 0) >= 1 && (a.counters().drops['discovery-wrong-key'] ?? 0) >= 1);
  const v = new CondisNode(nodeOptions('v', port(V), '1002', { discovery: disc(KEY) }));
  nodes.push(v);

  // a records v's announcements off the wire (for the replay below)
  const ear = port(EAR);
  const recorded: Buffer[] = [];
  ear.frames$.subscribe((f) => {
    const r = parseFrame(f);
    if (r.ok && r.value.src === V && r.value.cell.vci === VCI_DISCOVERY) recorded.push(Buffer.from(f));
  });
  await until('a knows v by its address', () => a.peerList().some((p) => p.mac === V && p.addresses.includes('1002') && p.link?.established));
  // the forgers kept announcing while v came in: three of each kind handled at a
  await until('a handles three forgeries of each kind', () => (a.counters().drops['discovery-unauthenticated'] ?? 0) >= 3 && (a.counters().drops['discovery-wrong-key'] ?? 0) >= 3);

  // nothing of the forgers' claims got in
  for (const p of a.peerList()) if (p.mac !== V) t.deepEqual(p.addresses, [], `${p.mac} has no address at a`);
  const drops = a.counters().drops;
  t.true((drops['discovery-unauthenticated'] ?? 0) >= 3, `unsigned forgeries counted (${drops['discovery-unauthenticated']})`);
  t.true((drops['discovery-wrong-key'] ?? 0) >= 3, `wrong-key forgeries counted (${drops['discovery-wrong-key']})`);
  t.like(a.counters().discoveryAuth, { unauthenticated: drops['discovery-unauthenticated'], 'wrong-key': drops['discovery-wrong-key'] });

  // a call to the address goes to the victim
  const caller = await Client.open(a, 'caller');
  const callee = await Client.open(v, 'callee');
  await callee.listen('1002');
  const incoming = callee.next('ProtocolClIncomingCall');
  const { vc } = await caller.call('1002');
  await incoming;
  t.true(v.uni.snapshot().calls.length === 1, 'the victim holds the call');
  for (const f of nodes.slice(0, 2)) t.is(f.uni.snapshot().calls.length, 0, `${f.name} got no call`);

  // v's last announcement, sent again as it was: refused as a replay, counted
  const replays = a.counters().discoveryAuth!.replayed!;
  ear.send(recorded.at(-1)!);
  await until('the replay is counted', () => a.counters().discoveryAuth!.replayed! > replays, 5000);
  t.is(a.counters().drops['discovery-replayed'], a.counters().discoveryAuth!.replayed);
  t.true(a.peerList().find((p) => p.mac === V)!.addresses.includes('1002'), 'v keeps its address');

  const closed = caller.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc, 5000);
  // a close that finished at once has no completion to wait for
  if (caller.cl.NdisClCloseCall(vc, undefined, undefined) === S.PENDING) await closed;
  await ear.close();
});

test('allow-list: signalling and discovery from MACs not on it are dropped and counted; listed peers link', async (t) => {
  const hub = `auth-${process.pid}-${hubs++}`;
  const port = (mac: string): Miniport => openMemorySync({ kind: 'memory', hub, mac });
  const a = new CondisNode(nodeOptions('a', port(A), '1001', { discovery: disc(), allowPeers: [V] }));
  const v = new CondisNode(nodeOptions('v', port(V), '1002', { discovery: disc() }));
  const f = new CondisNode(nodeOptions('f', port(F1), '1003', { discovery: disc() }));
  t.teardown(() => shutdownAll([a, v, f]));
  await until('a links with v', () => a.peerList().some((p) => p.mac === V && p.link?.established && p.addresses.includes('1002')));
  // f hears a's announcements and tries SSCOP with it: every BGN is dropped at a
  await until('f knows a', () => f.peerList().some((p) => p.mac === A));
  await until('f has been refused', () => (a.counters().drops['not-allowed-signalling'] ?? 0) >= 2 && (a.counters().drops['not-allowed-discovery'] ?? 0) >= 2);
  t.deepEqual(
    a.peerList().map((p) => p.mac),
    [V],
    'f is not even in the peer table',
  );
  t.false(f.peerList().find((p) => p.mac === A)!.link!.established, 'f never gets a link to a');
});
