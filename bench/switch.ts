/**
 * The switch section: what a signalling ATM switch in the path costs.
 *
 * Two labs in network namespaces, both over TAP devices: two hosts on one
 * bridged segment (direct), and two hosts each on a port of a switch (the
 * switch, condisd's switch core, runs in this process on TAP devices in its
 * own namespace, as `lab start` would run it). In each: point-to-point call
 * cycles (make call, connected, close, delete VC) and data frames on one VC
 * (64-octet SDUs, at most 64 outstanding). Each figure through the switch is
 * reported against the direct figure measured in the same run, alternating
 * direct and switched rounds and keeping the best of each (the machine is
 * shared). Nothing is asserted.
 */
import { performance } from 'node:perf_hooks';
import { Subscription } from 'rxjs';
import type { BenchFigure } from './run.js';
import { Client } from '../src/host/driver.js';
import { CondisNode } from '../src/host/node.js';
import { benchNodeOptions } from './node-options.js';
import { labUp, type Lab } from '../src/lab/lab.js';
import { uniqueName } from '../src/lab/netns.js';
import { canDoNetworking } from '../src/common/sh.js';
import { topologyFrom } from '../src/lab/topology.js';
import { openMiniport } from '../src/miniport/index.js';
import type { Miniport } from '../src/miniport/types.js';
import { NdisStatus, type NdisVcHandle } from '../src/ndis/index.js';
import { createSwitch, type AtmSwitch } from '../src/switch/index.js';

/** make call, wait connected, close, delete, for `seconds` */
async function callCycles(caller: Client, callee: Client, called: string, seconds: number): Promise<number> {
  const started = performance.now();
  const end = started + seconds * 1000;
  let cycles = 0;
  while (performance.now() < end) {
    const connected = callee.next('ProtocolClCallConnected');
    const { vc } = await caller.call(called);
    await connected;
    const closed = caller.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc);
    if (caller.cl.NdisClCloseCall(vc) === NdisStatus.PENDING) await closed;
    caller.cl.NdisCoDeleteVc(vc);
    cycles++;
  }
  return cycles / ((performance.now() - started) / 1000);
}

/** data frames per second delivered on a VC, at most `window` outstanding */
async function vcStream(sender: Client, vc: NdisVcHandle, receiver: Client, seconds: number, size: number, window = 64): Promise<number> {
  let got = 0;
  const subs = new Subscription();
  subs.add(
    receiver.cl.indications$.subscribe((ind) => {
      if (ind.kind === 'ProtocolCoReceiveNetBufferLists') got += ind.nbls.length;
    }),
  );
  const data = Buffer.alloc(size, 0x5a);
  let sent = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    if (sent - got < window) {
      sender.send(vc, data);
      sent++;
      if (sent % 16 === 0) await new Promise((r) => setImmediate(r));
    } else await new Promise((r) => setImmediate(r));
  }
  const drainUntil = performance.now() + 2000;
  while (got < sent - window && performance.now() < drainUntil) await new Promise((r) => setImmediate(r));
  subs.unsubscribe();
  return got / ((performance.now() - started) / 1000);
}

interface Pair {
  a: Client;
  b: Client;
  called: string;
  close(): Promise<void>;
}

async function linkUp(nodes: CondisNode[], macs: string[][]): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!nodes.every((n, i) => macs[i]!.every((m) => n.peerList().some((p) => p.mac === m && p.link?.established)))) {
    if (Date.now() > deadline) throw new Error('bench switch: signalling links did not come up');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** two hosts on one segment: condisd's stack in this process on each host's TAP device */
async function directPair(): Promise<Pair> {
  const name = uniqueName('bswd');
  const lab: Lab = await labUp(
    topologyFrom({ name, segment: { kind: 'bridged' }, hosts: [1, 2].map((i) => ({ name: `h${i}`, mac: `02:00:00:00:07:0${i}`, address: `${7000 + i}` })) }, name),
  );
  const mps: Miniport[] = [];
  const nodes: CondisNode[] = [];
  const close = async () => {
    await Promise.all(nodes.map((n) => n.shutdown(300).catch(() => {})));
    await Promise.all(mps.map((m) => m.close().catch(() => {})));
    await lab.down();
  };
  try {
    for (const h of lab.hosts) mps.push(await openMiniport({ kind: 'tap', device: 'tap0', netns: h.nsName, mac: h.mac, bridge: 'br0' }));
    const [h1, h2] = lab.hosts as [Lab['hosts'][number], Lab['hosts'][number]];
    nodes.push(new CondisNode(benchNodeOptions('h1', mps[0]!, h1.address, [{ mac: h2.mac, addresses: [h2.address] }])));
    nodes.push(new CondisNode(benchNodeOptions('h2', mps[1]!, h2.address, [{ mac: h1.mac, addresses: [h1.address] }])));
    await linkUp(nodes, [[h2.mac], [h1.mac]]);
    const [a, b] = await Promise.all(nodes.map((n, i) => Client.open(n, `d${i}`, { keepLog: false })));
    await b!.listen(h2.address);
    return { a: a!, b: b!, called: h2.address, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** two hosts each on a port of a switch (the switch core on TAP devices in the switch's namespace) */
async function switchedPair(): Promise<Pair & { sw: AtmSwitch }> {
  const name = uniqueName('bsws');
  const lab: Lab = await labUp(
    topologyFrom(
      {
        name,
        segment: { kind: 'bridged' },
        switches: [{ name: 'sw1' }],
        hosts: [1, 2].map((i) => ({ name: `h${i}`, mac: `02:00:00:00:08:0${i}`, address: `${8000 + i}`, switch: 'sw1' })),
      },
      name,
    ),
  );
  const mps: Miniport[] = [];
  const nodes: CondisNode[] = [];
  let sw: AtmSwitch | undefined;
  const close = async () => {
    await Promise.all(nodes.map((n) => n.shutdown(300).catch(() => {})));
    await sw?.shutdown(300).catch(() => {});
    await Promise.all(mps.map((m) => m.close().catch(() => {})));
    await lab.down();
  };
  try {
    const s = lab.atmSwitch('sw1');
    const ports: { name: string; miniport: Miniport; hosts: { mac: string; name: string; addresses: string[] }[] }[] = [];
    for (const p of s.ports) {
      const m = await openMiniport({ kind: 'tap', device: p.tap, netns: s.nsName, mac: p.mac, bridge: p.bridge });
      mps.push(m);
      const h = lab.host(p.host!);
      ports.push({ name: p.name, miniport: m, hosts: [{ mac: h.mac, name: h.name, addresses: [h.address] }] });
    }
    sw = createSwitch({ name: 'sw1', ports, discovery: { enabled: false, intervalMs: 500, holdTimeMs: 2000 } });
    const [h1, h2] = lab.hosts as [Lab['hosts'][number], Lab['hosts'][number]];
    const portMac = (h: string) => s.ports.find((p) => p.host === h)!.mac;
    for (const h of [h1, h2]) mps.push(await openMiniport({ kind: 'tap', device: 'tap0', netns: h.nsName, mac: h.mac, bridge: 'br0' }));
    nodes.push(new CondisNode(benchNodeOptions('h1', mps[2]!, h1.address, [{ mac: portMac('h1'), role: 'user', addresses: [h2.address] }])));
    nodes.push(new CondisNode(benchNodeOptions('h2', mps[3]!, h2.address, [{ mac: portMac('h2'), role: 'user', addresses: [h1.address] }])));
    await linkUp(nodes, [[portMac('h1')], [portMac('h2')]]);
    const [a, b] = await Promise.all(nodes.map((n, i) => Client.open(n, `s${i}`, { keepLog: false })));
    await b!.listen(h2.address);
    return { a: a!, b: b!, called: h2.address, close, sw };
  } catch (e) {
    await close();
    throw e;
  }
}

export async function benchSwitch(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const net = canDoNetworking();
  if (!net.ok) {
    console.log(`  (switch figures skipped: ${net.reason})`);
    return [];
  }
  const direct = await directPair();
  let switched: Awaited<ReturnType<typeof switchedPair>> | undefined;
  try {
    switched = await switchedPair();
    await new Promise((r) => setTimeout(r, 300)); // bridge ports forwarding
    const secs = opts.quick ? 1 : 3;
    const rounds = opts.quick ? 1 : 3;
    const best = { dCalls: 0, sCalls: 0, dData: 0, sData: 0 };
    // warm-up (JIT) on both
    for (const p of [direct, switched]) await callCycles(p.a, p.b, p.called, 0.3);
    for (let r = 0; r < rounds; r++) {
      best.dCalls = Math.max(best.dCalls, await callCycles(direct.a, direct.b, direct.called, secs));
      best.sCalls = Math.max(best.sCalls, await callCycles(switched.a, switched.b, switched.called, secs));
    }
    for (const [p, key] of [
      [direct, 'dData'],
      [switched, 'sData'],
    ] as const) {
      const { vc } = await p.a.call(p.called);
      await new Promise((r) => setTimeout(r, 50));
      for (let r = 0; r < rounds; r++) best[key] = Math.max(best[key], await vcStream(p.a, vc, p.b, secs, 64));
      p.a.cl.NdisClCloseCall(vc);
      await new Promise((r) => setTimeout(r, 100));
    }
    const fabric = switched.sw.counters().fabric;
    console.log(`  switch fabric: ${fabric.framesIn} frames in, ${fabric.framesOut} out, ${fabric.unknownVc} on no VC`);
    return [
      { name: 'p2p call cycles through one switch over TAP', value: best.sCalls, unit: 'cycles/s', baseline: best.dCalls, baselineName: 'direct (no switch), cycles/s' },
      { name: 'data on one VC through one switch over TAP, 64-octet SDUs', value: best.sData, unit: 'frames/s', baseline: best.dData, baselineName: 'direct (no switch), frames/s' },
    ];
  } finally {
    await switched?.close();
    await direct.close();
  }
}
