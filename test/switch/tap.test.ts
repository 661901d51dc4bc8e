/**
 * The switch on real interfaces: three network namespaces, one per switch
 * port, each a segment (a Linux bridge) with a host's TAP device and the
 * switch port's TAP device on it. Root (port 1) -- switch -- two leaves
 * (ports 2 and 3): a point-to-multipoint call, data, the root dropping a
 * party with close data, the root closing the call with close data. tshark
 * captures each segment; the Q.2931 messages on each link (decoded with our
 * Lua dissector) must be exactly the expected ones, close data included.
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
import { createSwitch } from '../../src/switch/index.js';
import { Client, nodeOptions } from '../helpers/nodes.js';
import { rootTest } from '../helpers/root.js';
import { capture, captureCaughtUp, stopCapture, until } from './helpers.js';

rootTest('root -- switch -- two leaves over TAP devices: DROP PARTY with close data crosses the switch, checked in tshark captures', async (t) => {
  const nss: Netns[] = [];
  const mps: Miniport[] = [];
  const caps: ChildProcess[] = [];
  const hosts: CondisNode[] = [];
  let sw: ReturnType<typeof createSwitch> | undefined;
  t.teardown(async () => {
    for (const c of caps) await stopCapture(c);
    await Promise.all(hosts.map((h) => h.shutdown(500).catch(() => {})));
    await sw?.shutdown(500).catch(() => {});
    for (const m of mps) await m.close().catch(() => {});
    for (const ns of nss) await ns.destroy();
  });
  const dir = mkdtempSync(join(tmpdir(), 'condis-switch-'));
  const names = ['root', 'leafa', 'leafb'];
  const hostMac = (i: number) => `02:00:00:00:05:0${i + 1}`;
  const portMac = (i: number) => `02:00:00:00:0a:0${i + 1}`;
  const ports: { name: string; miniport: Miniport }[] = [];
  for (let i = 0; i < 3; i++) {
    const ns = await Netns.create(uniqueName('swl'));
    nss.push(ns);
    await createBridge(ns, 'br0');
    caps.push(await capture(ns, join(dir, `p${i + 1}.pcap`)));
    const hmp = await openMiniport({ kind: 'tap', device: 'htap', mac: hostMac(i), bridge: 'br0', netns: ns.name });
    const smp = await openMiniport({ kind: 'tap', device: 'stap', mac: portMac(i), bridge: 'br0', netns: ns.name });
    mps.push(hmp, smp);
    ports.push({ name: `p${i + 1}`, miniport: smp });
    hosts.push(new CondisNode({ ...nodeOptions(names[i]!, hmp, `${4001 + i}`), discovery: { enabled: true, intervalMs: 300, holdTimeMs: 1500 } }));
  }
  sw = createSwitch({ name: 'sw', ports, discovery: { enabled: true, intervalMs: 300, holdTimeMs: 1500 } });
  await until('every host knows the others through the switch', () =>
    hosts.every((h, i) => {
      const p = h.peerList().find((x) => x.link?.established);
      return !!p && [4001, 4002, 4003].every((a, j) => j === i || p.addresses.includes(`${a}`));
    }),
  );

  const root = await Client.open(hosts[0]!, 'root');
  const leafA = await Client.open(hosts[1]!, 'leafa');
  const leafB = await Client.open(hosts[2]!, 'leafb');
  await leafA.listen('4002');
  await leafB.listen('4003');
  const inB = leafB.next('ProtocolClIncomingCall');
  const { vc, party: first } = await root.call('4002', true);
  const pB = await root.addParty(vc, '4003');
  await inB;
  const gotA = leafA.next('ProtocolCoReceiveNetBufferLists');
  const gotB = leafB.next('ProtocolCoReceiveNetBufferLists');
  root.send(vc, Buffer.from('over real TAP devices'));
  t.is((await gotA).nbls[0]!.data.toString(), 'over real TAP devices');
  t.is((await gotB).nbls[0]!.data.toString(), 'over real TAP devices');

  const icB = leafB.next('ProtocolClIncomingCloseCall');
  const dropped = root.next('ProtocolClDropPartyComplete');
  root.cl.NdisClDropParty(pB, Buffer.from('bye leaf b'));
  await dropped;
  t.deepEqual((await icB).closeData, Buffer.from('bye leaf b'));
  const icA = leafA.next('ProtocolClIncomingCloseCall');
  root.cl.NdisClCloseCall(vc, first, Buffer.from('the end'));
  t.deepEqual((await icA).closeData, Buffer.from('the end'));
  await until('the switch is empty', () => sw!.counters().calls.calls === 0 && sw!.counters().fabric.entries === 0);
  const done = Date.now();
  for (let i = 0; i < 3; i++) await captureCaughtUp(join(dir, `p${i + 1}.pcap`), done);
  for (const c of caps) await stopCapture(c);

  const expect: Record<string, string[]> = {
    p1: [
      'SETUP root>sw',
      'CALL PROCEEDING sw>root',
      'CONNECT sw>root',
      'CONNECT ACKNOWLEDGE root>sw',
      'ADD PARTY root>sw',
      'ADD PARTY ACKNOWLEDGE sw>root',
      "DROP PARTY root>sw uu='bye leaf b'",
      'DROP PARTY ACKNOWLEDGE sw>root',
      "RELEASE root>sw uu='the end'",
      'RELEASE COMPLETE sw>root',
    ],
    p2: ['SETUP sw>leafa', 'CONNECT leafa>sw', 'CONNECT ACKNOWLEDGE sw>leafa', "RELEASE sw>leafa uu='the end'", 'RELEASE COMPLETE leafa>sw'],
    p3: ['SETUP sw>leafb', 'CONNECT leafb>sw', 'CONNECT ACKNOWLEDGE sw>leafb', "RELEASE sw>leafb uu='bye leaf b'", 'RELEASE COMPLETE leafb>sw'],
  };
  for (let i = 0; i < 3; i++) {
    const pdir = mkdtempSync(join(dir, `p${i + 1}-`));
    await new Promise<void>((r, j) => spawn('cp', [join(dir, `p${i + 1}.pcap`), join(pdir, 'segment-ethernet.pcap')]).on('exit', (c) => (c === 0 ? r() : j(new Error('cp failed')))));
    const report = await checkCaptures(pdir, [{ name: names[i]!, mac: hostMac(i) }, { name: 'sw', mac: portMac(i) }], { links: { [`${names[i]}-sw`]: expect[`p${i + 1}`]! }, sunatm: {} });
    // this test writes no SunATM files (the hosts run in-process without --pcap): only the segment's capture is checked
    t.deepEqual(report.problems.filter((p) => !p.endsWith('no SunATM capture')), [], `port p${i + 1}`);
    t.true(report.summary.some((l) => l.includes('as expected')), `port p${i + 1}: ${report.summary.join('; ')}`);
  }
});
