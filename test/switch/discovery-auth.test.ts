/**
 * The switch and the lab key (docs/security.md, src/switch/guard.ts), over the
 * memory miniport: a switch holding the hosts' key signs its announcements, so
 * keyed hosts learn the addresses behind it and call through it; a switch
 * without the key is ignored by keyed hosts (its announcements counted as
 * unauthenticated, no address learned, calls find no route); a keyed switch
 * ignores hosts without the key (counted) and so routes a forged address to
 * nobody; a switch with an allow-list drops signalling and discovery from
 * other MACs.
 */
import test from 'ava';
import { CondisNode, type NodeOptions } from '../../src/host/node.js';
import { openMemorySync } from '../../src/miniport/index.js';
import type { Miniport } from '../../src/miniport/types.js';
import { SwitchControlBackend } from '../../src/switch/control.js';
import { createSwitch, type AtmSwitch, type SwitchOptions } from '../../src/switch/index.js';
import { Client, nodeOptions } from '../helpers/nodes.js';
import { until } from './helpers.js';

const KEY = Buffer.from('the lab key of hosts and switch!');
const WRONG = Buffer.from('a key the forger made up itself!');
let labs = 0;

const disc = (key?: Buffer): NodeOptions['discovery'] => ({ enabled: true, intervalMs: 100, holdTimeMs: 700, ...(key ? { auth: { key, maxAgeMs: 5000 } } : {}) });

interface HostSpec {
  address: string;
  key?: Buffer;
}

/** a switch with one port per host (its own segment), host i at MAC 02:00:00:00:00:0(i+1) */
function lab(t: import('ava').ExecutionContext, hosts: HostSpec[], sw: { key?: Buffer; allowPeers?: string[] }) {
  const tag = `swauth${process.pid}-${labs++}`;
  const ports: SwitchOptions['ports'] = [];
  const nodes: CondisNode[] = [];
  const mps: Miniport[] = [];
  hosts.forEach((h, i) => {
    const hub = `${tag}-p${i + 1}`;
    const swMp = openMemorySync({ kind: 'memory', hub, mac: `02:00:00:00:aa:0${i + 1}` });
    ports.push({ name: `p${i + 1}`, miniport: swMp });
    const mp = openMemorySync({ kind: 'memory', hub, mac: `02:00:00:00:00:0${i + 1}` });
    mps.push(swMp, mp);
    nodes.push(new CondisNode(nodeOptions(`h${i + 1}`, mp, h.address, { discovery: disc(h.key) })));
  });
  const s: AtmSwitch = createSwitch({
    name: 'sw',
    ports,
    discovery: { enabled: true, intervalMs: 100, holdTimeMs: 700, ...(sw.key ? { auth: { key: sw.key, maxAgeMs: 5000 } } : {}) },
    ...(sw.allowPeers ? { allowPeers: sw.allowPeers } : {}),
  });
  t.teardown(async () => {
    await Promise.all(nodes.map((n) => n.shutdown(500)));
    await s.shutdown(500);
    await Promise.all(mps.map((m) => m.close()));
  });
  return { sw: s, nodes };
}

/** the addresses host `n` has learned through the switch port on its segment */
function viaSwitch(n: CondisNode): readonly string[] {
  return n.peerList().find((p) => p.mac.startsWith('02:00:00:00:aa'))?.addresses ?? [];
}

test('a keyed switch signs its announcements: keyed hosts learn the addresses behind it and call through it', async (t) => {
  const { sw, nodes } = lab(t, [{ address: '1001', key: KEY }, { address: '1002', key: KEY }], { key: KEY });
  const [a, b] = nodes as [CondisNode, CondisNode];
  await until('each host reaches the other through the switch', () => viaSwitch(a).includes('1002') && viaSwitch(b).includes('1001'));
  await until('the links are up', () => a.peerList().some((p) => p.link?.established) && b.peerList().some((p) => p.link?.established));

  const caller = await Client.open(a, 'caller');
  const callee = await Client.open(b, 'callee');
  await callee.listen('1002');
  const connected = callee.next('ProtocolClCallConnected');
  const { vc } = await caller.call('1002');
  await connected;
  t.is(sw.counters().calls.calls, 1, 'the call goes through the switch');
  const got = callee.next('ProtocolCoReceiveNetBufferLists');
  caller.send(vc, Buffer.from('signed all the way'));
  t.is((await got).nbls[0]!.data.toString(), 'signed all the way');

  // everything was signed with the one key: no refusals on either side
  const auth = sw.counters().discoveryAuth!;
  t.true(auth.ok >= 2, `the switch took the hosts' signed announcements (${JSON.stringify(auth)})`);
  t.deepEqual([auth.unauthenticated, auth['wrong-key'], auth.stale, auth.replayed], [0, 0, 0, 0]);
  for (const n of [a, b]) {
    t.true(n.counters().discoveryAuth!.ok >= 1, `${n.name} took the switch's announcements`);
    t.is(n.counters().discoveryAuth!.unauthenticated, 0, n.name);
  }
});

test('a switch without the key is ignored by keyed hosts: its announcements counted as unauthenticated, no route through it', async (t) => {
  const { sw, nodes } = lab(t, [{ address: '1001', key: KEY }, { address: '1002', key: KEY }], {});
  const [a] = nodes as [CondisNode, CondisNode];
  await until('the host has refused the switch several times', () => (a.counters().discoveryAuth?.unauthenticated ?? 0) >= 3);
  t.is(a.counters().drops['discovery-unauthenticated'], a.counters().discoveryAuth!.unauthenticated);
  t.deepEqual(viaSwitch(a), [], 'the host learned no address from the unkeyed switch');
  t.is(a.counters().discoveryAuth!.ok, 0);
  t.is(sw.counters().discoveryAuth, undefined, 'the switch has no key, so no verdicts');
  const caller = await Client.open(a, 'caller');
  await t.throwsAsync(caller.call('1002'), undefined, 'no route to 1002: the switch is not believed');
  t.is(sw.counters().calls.calls, 0);
});

test('a keyed switch ignores hosts without the key (counted): a forger\'s claim on a victim\'s address routes nowhere near it', async (t) => {
  const { sw, nodes } = lab(t, [{ address: '1001', key: KEY }, { address: '1002', key: KEY }, { address: '1002' }, { address: '1002', key: WRONG }], { key: KEY });
  const [a, b] = nodes as [CondisNode, CondisNode];
  await until('the switch refused both forgers', () => (sw.counters().discoveryAuth?.unauthenticated ?? 0) >= 3 && (sw.counters().discoveryAuth?.['wrong-key'] ?? 0) >= 3);
  await until('a reaches 1002 through the switch', () => viaSwitch(a).includes('1002'));
  t.deepEqual(
    sw.routes.list().filter((r) => r.source === 'learned').map((r) => [r.prefix, r.port]).sort(),
    [
      ['1001', 'p1'],
      ['1002', 'p2'],
    ],
    'only the keyed hosts\' addresses are routes',
  );
  t.is(sw.counters().ports['p3']!.drops['discovery-unauthenticated'], sw.counters().discoveryAuth!.unauthenticated);
  t.is(sw.counters().ports['p4']!.drops['discovery-wrong-key'], sw.counters().discoveryAuth!['wrong-key']);
  // what `condisctl status --json` shows of it
  const counters = await new SwitchControlBackend(sw, { version: 'test' }).counters();
  t.is(counters['discoveryAuth']!['unauthenticated'], sw.counters().discoveryAuth!.unauthenticated);
  t.true(counters['port p3']!['drops.discovery-unauthenticated']! >= 3);

  const caller = await Client.open(a, 'caller');
  const callee = await Client.open(b, 'callee');
  await callee.listen('1002');
  const connected = callee.next('ProtocolClCallConnected');
  await caller.call('1002');
  await connected;
  t.is(b.uni.snapshot().calls.length, 1, 'the victim holds the call');
  for (const f of nodes.slice(2)) t.is(f.uni.snapshot().calls.length, 0, `${f.name} got no call`);
});

test('a switch with an allow-list drops signalling and discovery from other MACs, counted; listed hosts link', async (t) => {
  const { sw, nodes } = lab(t, [{ address: '1001' }, { address: '1002' }], { allowPeers: ['02:00:00:00:00:01'] });
  const [a, b] = nodes as [CondisNode, CondisNode];
  await until('a links with the switch', () => a.peerList().some((p) => p.link?.established));
  await until('b was refused', () => (sw.counters().ports['p2']!.drops['not-allowed-discovery'] ?? 0) >= 2 && (sw.counters().ports['p2']!.drops['not-allowed-signalling'] ?? 0) >= 2);
  // one more of b's announcements reaches the switch and is refused: whatever b sends has had its chance to get in
  const refused = sw.counters().ports['p2']!.drops['not-allowed-discovery'] ?? 0;
  await until("b's next announcement refused", () => (sw.counters().ports['p2']!.drops['not-allowed-discovery'] ?? 0) > refused);
  t.deepEqual(
    sw.snapshot().ports.map((p) => [p.name, p.hosts.map((h) => h.mac)]),
    [
      ['p1', ['02:00:00:00:00:01']],
      ['p2', []],
    ],
    'b is not even in the port\'s host table',
  );
  t.false(b.peerList().some((p) => p.link?.established), 'b never gets a link to the switch');
  t.false(sw.routes.list().some((r) => r.prefix === '1002'));
});
