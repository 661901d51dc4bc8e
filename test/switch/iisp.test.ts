/**
 * Two switches joined by an IISP link (docs/switch.md): switch 1's trunk port
 * plays the user side of the UNI, switch 2's the network side; routes are
 * learned across the trunk from each switch's announcements. A
 * point-to-multipoint call branches at both switches, DROP PARTY with close
 * data crosses the trunk, a point-to-point call carries close data end to end.
 *
 *   h1 (1001, root) --p1-- SW1 --p2-- h2 (1002)
 *                           |t (user)
 *                           |t (network)
 *   h3 (2003) ------p1-- SW2 --p2-- h4 (2004, 2014)
 */
import test from 'ava';
import { CondisNode } from '../../src/host/node.js';
import { openMemorySync } from '../../src/miniport/index.js';
import type { Miniport } from '../../src/miniport/types.js';
import { createSwitch, type AtmSwitch } from '../../src/switch/index.js';
import { Client, nodeOptions, S } from '../helpers/nodes.js';
import { recordSignalling, until, type WireMessage } from './helpers.js';

let counter = 0;
const DISCOVERY = { enabled: true, intervalMs: 200, holdTimeMs: 700 };
const SW2_TRUNK = '02:00:00:00:bb:03';

interface Net {
  sw1: AtmSwitch;
  sw2: AtmSwitch;
  hosts: CondisNode[];
  /** Q.2931 messages on the trunk; 'up' = switch 1 -> switch 2 */
  trunk: WireMessage[];
  close(): Promise<void>;
}

function twoSwitches(): Net {
  const tag = `iisp${process.pid}-${counter++}`;
  const closers: Miniport[] = [];
  const mp = (hub: string, mac: string, promiscuous = false) => {
    const m = openMemorySync({ kind: 'memory', hub: `${tag}-${hub}`, mac, promiscuous });
    closers.push(m);
    return m;
  };
  const hosts = [
    new CondisNode({ ...nodeOptions('h1', mp('a1', '02:00:00:00:01:01'), '1001') }),
    new CondisNode({ ...nodeOptions('h2', mp('a2', '02:00:00:00:01:02'), '1002') }),
    new CondisNode({ ...nodeOptions('h3', mp('b1', '02:00:00:00:02:03'), '2003') }),
    new CondisNode({ ...nodeOptions('h4', mp('b2', '02:00:00:00:02:04'), '2004'), addresses: ['2004', '2014'] }),
  ];
  const sw1 = createSwitch({
    name: 'sw1',
    ports: [
      { name: 'p1', miniport: mp('a1', '02:00:00:00:aa:01') },
      { name: 'p2', miniport: mp('a2', '02:00:00:00:aa:02') },
      { name: 't', miniport: mp('t', '02:00:00:00:aa:03'), side: 'user' },
    ],
    discovery: DISCOVERY,
  });
  const sw2 = createSwitch({
    name: 'sw2',
    ports: [
      { name: 'p1', miniport: mp('b1', '02:00:00:00:bb:01') },
      { name: 'p2', miniport: mp('b2', '02:00:00:00:bb:02') },
      { name: 't', miniport: mp('t', SW2_TRUNK) },
    ],
    discovery: DISCOVERY,
  });
  const trunk: WireMessage[] = [];
  // 'up' = switch 1 -> switch 2 (the user side), 'down' = the other way
  recordSignalling(mp('t', '02:00:00:00:ee:ee', true), SW2_TRUNK, trunk);
  return {
    sw1,
    sw2,
    hosts,
    trunk,
    async close() {
      await Promise.all(hosts.map((h) => h.shutdown(1000)));
      await Promise.all([sw1.shutdown(1000), sw2.shutdown(1000)]);
      await Promise.all(closers.map((m) => m.close()));
    },
  };
}

/** every host has its switch link up and knows every other host's addresses through it */
async function ready(net: Net): Promise<void> {
  const all = net.hosts.flatMap((h) => h.addresses);
  await until(
    'every host reaches every address through its switch',
    () =>
      net.hosts.every((h) => {
        const peer = h.peerList().find((p) => p.link?.established);
        return peer !== undefined && all.every((a) => h.addresses.includes(a) || peer.addresses.includes(a));
      }),
    15_000,
  );
}

test('IISP trunk: the user-side port and the network-side port agree, routes are learned across it', async (t) => {
  const net = twoSwitches();
  t.teardown(() => net.close());
  await ready(net);
  const t1 = net.sw1.snapshot().ports.find((p) => p.name === 't')!;
  const t2 = net.sw2.snapshot().ports.find((p) => p.name === 't')!;
  t.is(t1.side, 'user');
  t.is(t2.side, 'network');
  t.is(t1.hosts[0]?.mac, '02:00:00:00:bb:03', 'switch 1 sees switch 2 on its trunk');
  t.is(t1.hosts[0]?.uni, 'CU3 Established', 'the UNI link over the trunk is up (user side)');
  t.is(t2.hosts[0]?.uni, 'CU3 Established', 'and on the network side');
  const r1 = net.sw1.snapshot().routes;
  t.deepEqual(r1.filter((r) => r.port === 't').map((r) => r.prefix).sort(), ['2003', '2004', '2014'], 'switch 1 reaches switch 2\'s hosts through the trunk');
  const r2 = net.sw2.snapshot().routes;
  t.deepEqual(r2.filter((r) => r.port === 't').map((r) => r.prefix).sort(), ['1001', '1002']);
});

test('IISP trunk: a multipoint call branches at both switches, DROP PARTY with close data crosses the trunk', async (t) => {
  const net = twoSwitches();
  t.teardown(() => net.close());
  await ready(net);
  const [h1, h2, h3, h4] = net.hosts as [CondisNode, CondisNode, CondisNode, CondisNode];
  const root = await Client.open(h1, 'root');
  const l2 = await Client.open(h2, 'l2');
  const l3 = await Client.open(h3, 'l3');
  const l4 = await Client.open(h4, 'l4');
  await l2.listen('1002');
  await l3.listen('2003');
  await l4.listen('2004');

  const in2 = l2.next('ProtocolClIncomingCall');
  const { vc, party: p1002 } = await root.call('1002', true);
  await in2;
  const in3 = l3.next('ProtocolClIncomingCall');
  const p2003 = await root.addParty(vc, '2003');
  const vc3 = (await in3).vcHandle;
  const in4 = l4.next('ProtocolClIncomingCall');
  const p2004 = await root.addParty(vc, '2004');
  const vc4 = (await in4).vcHandle;

  // switch 1 branched: 1002 on its own port, the two others over the trunk, the first as SETUP, the second as ADD PARTY
  const up = net.trunk.filter((m) => m.dir === 'up').map((m) => m.name);
  t.deepEqual(
    up.filter((n) => n === 'SETUP' || n === 'ADD PARTY'),
    ['SETUP', 'ADD PARTY'],
  );
  t.true(net.trunk.some((m) => m.dir === 'down' && m.name === 'ADD PARTY ACKNOWLEDGE'), 'switch 2 acknowledged the party over the trunk');
  // switch 2 branched again: one leaf call per port
  t.is(net.sw2.snapshot().calls.length, 1);
  t.deepEqual(net.sw2.snapshot().calls[0]!.parties.map((p) => [p.called, p.port, p.phase]).sort(), [
    ['2003', 'p1', 'active'],
    ['2004', 'p2', 'active'],
  ]);

  // data from the root reaches all three leaves once
  const got = [l2, l3, l4].map((c) => c.next('ProtocolCoReceiveNetBufferLists'));
  root.send(vc, Buffer.from('to every leaf'));
  for (const g of got) t.is((await g).nbls[0]!.data.toString(), 'to every leaf');

  // the root drops 2004 with close data: DROP PARTY on the trunk (2003 stays behind switch 2), RELEASE to h4 (its last party)
  const ic4 = l4.next('ProtocolClIncomingCloseCall', (i) => i.vcHandle === vc4);
  const dropped = root.next('ProtocolClDropPartyComplete', (i) => i.partyHandle === p2004);
  const st = root.cl.NdisClDropParty(p2004, Buffer.from('bye 2004'));
  if (st === S.PENDING) t.is((await dropped).status, S.SUCCESS);
  else t.is(st, S.SUCCESS);
  t.deepEqual((await ic4).closeData, Buffer.from('bye 2004'), 'the close data reached the dropped party\'s client');
  const dp = net.trunk.find((m) => m.name === 'DROP PARTY' && m.dir === 'up');
  t.is(dp?.closeData, 'bye 2004', 'DROP PARTY with the close data crossed the trunk');
  await until('DROP PARTY ACK on the trunk', () => net.trunk.some((m) => m.name === 'DROP PARTY ACKNOWLEDGE' && m.dir === 'down'));

  // 2003 leaves with close data: it reaches the root as DROP PARTY through both switches
  const idp = root.next('ProtocolClIncomingDropParty', (i) => i.partyHandle === p2003);
  l3.cl.NdisClCloseCall(vc3, undefined, Buffer.from('2003 leaving'));
  t.deepEqual((await idp).closeData, Buffer.from('2003 leaving'));
  // the trunk's call had no party left: switch 2 released it towards switch 1 with the close data
  await until('RELEASE on the trunk', () => net.trunk.some((m) => m.name === 'RELEASE' && m.dir === 'down'));
  t.is(net.trunk.find((m) => m.name === 'RELEASE' && m.dir === 'down')?.closeData, '2003 leaving');

  // the root closes with its last party: nothing is left in either switch
  const closed = root.next('ProtocolClCloseCallComplete');
  const cs = root.cl.NdisClCloseCall(vc, p1002, Buffer.from('the end'));
  if (cs === S.PENDING) t.is((await closed).status, S.SUCCESS);
  else t.is(cs, S.SUCCESS);
  await until('both switches empty', () => [net.sw1, net.sw2].every((s) => s.counters().calls.calls === 0));
  t.deepEqual(
    [net.sw1, net.sw2].map((s) => [s.counters().calls.calls, s.counters().calls.parties, s.counters().fabric.entries]),
    [
      [0, 0, 0],
      [0, 0, 0],
    ],
    'no call, party or fabric entry left in either switch',
  );
});

test('IISP trunk: a point-to-point call through both switches carries data and close data end to end', async (t) => {
  const net = twoSwitches();
  t.teardown(() => net.close());
  await ready(net);
  const [, h2, h3] = net.hosts as [CondisNode, CondisNode, CondisNode, CondisNode];
  const caller = await Client.open(h3, 'caller');
  const callee = await Client.open(h2, 'callee');
  await callee.listen('1002');
  const incoming = callee.next('ProtocolClIncomingCall');
  const { vc } = await caller.call('1002');
  const cvc = (await incoming).vcHandle;
  // switch 2 sent the SETUP towards switch 1 as the network side, switch 1 answered as the user side
  t.deepEqual(
    net.trunk.filter((m) => m.name === 'SETUP').map((m) => m.dir),
    ['down'],
  );
  t.true(net.trunk.some((m) => m.dir === 'up' && m.name === 'CONNECT'));
  const got = callee.next('ProtocolCoReceiveNetBufferLists');
  caller.send(vc, Buffer.from('across two switches'));
  t.is((await got).nbls[0]!.data.toString(), 'across two switches');
  const back = caller.next('ProtocolCoReceiveNetBufferLists');
  callee.send(cvc, Buffer.from('and back'));
  t.is((await back).nbls[0]!.data.toString(), 'and back');
  const ic = caller.next('ProtocolClIncomingCloseCall', (i) => i.vcHandle === vc);
  callee.cl.NdisClCloseCall(cvc, undefined, Buffer.from('hanging up'));
  t.deepEqual((await ic).closeData, Buffer.from('hanging up'), 'the callee\'s close data crossed both switches');
  t.is(net.trunk.find((m) => m.name === 'RELEASE')?.closeData, 'hanging up');
});
