/**
 * Two switches joined by an IISP trunk on real interfaces: four network
 * namespaces, each a segment (a Linux bridge) with TAP devices on it.
 *
 *   root (5001) --a-- sw1 --t (user | network)-- sw2 --b-- leafb (5002)
 *                                                  \--c-- leafc (5003)
 *
 * A point-to-multipoint call from the root branches at switch 2; the root
 * drops one leaf with close data (DROP PARTY on the trunk, RELEASE to that
 * leaf) and closes with close data. tshark captures the trunk segment; the
 * Q.2931 messages on it (decoded with our Lua dissector) must be exactly the
 * expected ones, close data included.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCaptures } from '../../src/demo/captures.js';
import { CondisNode } from '../../src/host/node.js';
import { createBridge, Netns, uniqueName } from '../../src/lab/netns.js';
import { openMiniport } from '../../src/miniport/index.js';
import type { Miniport } from '../../src/miniport/types.js';
import { createSwitch, type AtmSwitch } from '../../src/switch/index.js';
import { Client, nodeOptions } from '../helpers/nodes.js';
import { rootTest } from '../helpers/root.js';
import { capture, captureCaughtUp, stopCapture, until } from './helpers.js';

const DISCOVERY = { enabled: true, intervalMs: 300, holdTimeMs: 1500 };
const SW1_TRUNK = '02:00:00:00:0b:01';
const SW2_TRUNK = '02:00:00:00:0b:02';

rootTest('two switches over an IISP trunk on TAP devices: DROP PARTY and RELEASE with close data cross the trunk, checked in a tshark capture', async (t) => {
  const nss: Netns[] = [];
  const mps: Miniport[] = [];
  const caps: ChildProcess[] = [];
  const hosts: CondisNode[] = [];
  const switches: AtmSwitch[] = [];
  t.teardown(async () => {
    for (const c of caps) await stopCapture(c);
    await Promise.all(hosts.map((h) => h.shutdown(500).catch(() => {})));
    for (const s of switches) await s.shutdown(500).catch(() => {});
    for (const m of mps) await m.close().catch(() => {});
    for (const ns of nss) await ns.destroy();
  });
  const dir = mkdtempSync(join(tmpdir(), 'condis-iisp-'));
  const segment = async (label: string) => {
    const ns = await Netns.create(uniqueName(`iisp${label}`));
    nss.push(ns);
    await createBridge(ns, 'br0');
    return ns;
  };
  const tap = async (ns: Netns, device: string, mac: string) => {
    const mp = await openMiniport({ kind: 'tap', device, mac, bridge: 'br0', netns: ns.name });
    mps.push(mp);
    return mp;
  };
  const host = async (ns: Netns, name: string, mac: string, address: string) => {
    const h = new CondisNode({ ...nodeOptions(name, await tap(ns, 'htap', mac), address), discovery: DISCOVERY });
    hosts.push(h);
    return h;
  };

  const [a, trunk, b, c] = [await segment('a'), await segment('t'), await segment('b'), await segment('c')];
  caps.push(await capture(trunk, join(dir, 'trunk.pcap')));
  const root = await host(a, 'root', '02:00:00:00:06:01', '5001');
  const leafb = await host(b, 'leafb', '02:00:00:00:06:02', '5002');
  const leafc = await host(c, 'leafc', '02:00:00:00:06:03', '5003');
  switches.push(
    createSwitch({
      name: 'sw1',
      ports: [
        { name: 'a', miniport: await tap(a, 'stap', '02:00:00:00:0a:01') },
        { name: 't', miniport: await tap(trunk, 'stap1', SW1_TRUNK), side: 'user' },
      ],
      discovery: DISCOVERY,
    }),
    createSwitch({
      name: 'sw2',
      ports: [
        { name: 't', miniport: await tap(trunk, 'stap2', SW2_TRUNK) },
        { name: 'b', miniport: await tap(b, 'stap', '02:00:00:00:0c:02') },
        { name: 'c', miniport: await tap(c, 'stap', '02:00:00:00:0c:03') },
      ],
      discovery: DISCOVERY,
    }),
  );
  await until(
    'every host knows the others through the switches',
    () =>
      hosts.every((h, i) => {
        const p = h.peerList().find((x) => x.link?.established);
        return !!p && ['5001', '5002', '5003'].every((addr, j) => j === i || p.addresses.includes(addr));
      }),
    20_000,
  );

  const r = await Client.open(root, 'root');
  const lb = await Client.open(leafb, 'leafb');
  const lc = await Client.open(leafc, 'leafc');
  await lb.listen('5002');
  await lc.listen('5003');
  const inC = lc.next('ProtocolClIncomingCall');
  const { vc, party: first } = await r.call('5002', true);
  const pC = await r.addParty(vc, '5003');
  await inC;
  const gotB = lb.next('ProtocolCoReceiveNetBufferLists');
  const gotC = lc.next('ProtocolCoReceiveNetBufferLists');
  r.send(vc, Buffer.from('across the trunk'));
  t.is((await gotB).nbls[0]!.data.toString(), 'across the trunk');
  t.is((await gotC).nbls[0]!.data.toString(), 'across the trunk');

  const icC = lc.next('ProtocolClIncomingCloseCall');
  const dropped = r.next('ProtocolClDropPartyComplete');
  r.cl.NdisClDropParty(pC, Buffer.from('bye leaf c'));
  await dropped;
  t.deepEqual((await icC).closeData, Buffer.from('bye leaf c'));
  const icB = lb.next('ProtocolClIncomingCloseCall');
  r.cl.NdisClCloseCall(vc, first, Buffer.from('the end'));
  t.deepEqual((await icB).closeData, Buffer.from('the end'));
  await until('both switches are empty', () => switches.every((s) => s.counters().calls.calls === 0 && s.counters().fabric.entries === 0));
  await captureCaughtUp(join(dir, 'trunk.pcap'), Date.now());
  for (const cp of caps) await stopCapture(cp);

  const pdir = mkdtempSync(join(dir, 'trunk-'));
  await new Promise<void>((res, rej) => spawn('cp', [join(dir, 'trunk.pcap'), join(pdir, 'segment-ethernet.pcap')]).on('exit', (code) => (code === 0 ? res() : rej(new Error('cp failed')))));
  const expected = [
    'SETUP sw1>sw2',
    'CALL PROCEEDING sw2>sw1',
    'CONNECT sw2>sw1',
    'CONNECT ACKNOWLEDGE sw1>sw2',
    'ADD PARTY sw1>sw2',
    'ADD PARTY ACKNOWLEDGE sw2>sw1',
    "DROP PARTY sw1>sw2 uu='bye leaf c'",
    'DROP PARTY ACKNOWLEDGE sw2>sw1',
    "RELEASE sw1>sw2 uu='the end'",
    'RELEASE COMPLETE sw2>sw1',
  ];
  const report = await checkCaptures(
    pdir,
    [
      { name: 'sw1', mac: SW1_TRUNK },
      { name: 'sw2', mac: SW2_TRUNK },
    ],
    { links: { 'sw1-sw2': expected }, sunatm: {} },
  );
  // only the trunk segment's Ethernet capture is checked here (the switches write no SunATM files)
  t.deepEqual(
    report.problems.filter((p) => !p.endsWith('no SunATM capture')),
    [],
    report.summary.join('; '),
  );
  t.true(report.summary.some((l) => l.includes('as expected')), report.summary.join('; '));
});
