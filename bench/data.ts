/**
 * User data on one VC over TAP (issue 15's data figures), alone: the same
 * figures as the `stack` section's "data on one VC over TAP" rows, without the
 * call cycles, multipoint scale and memory runs around them, so an A/B of the
 * data path takes a minute per side instead of several.
 *
 * Two hosts on one bridged segment (namespaces and TAP devices made and
 * removed here). First the minimal TAP loop on those very TAPs (64 and
 * 1024-octet SDUs, at most 64 frames not yet received), then the full stack:
 * a point-to-point call, and the client sends on its VC with the same window
 * (bench/stack.ts's vcStream). The CPU figure is send + receive per frame,
 * the whole process (both hosts).
 *
 *   npm run bench -- --only data
 *   node dist/bench/data.js [seconds] [--profile] [--send-thread]
 *     --profile: only the 64-octet VC stream, for node --cpu-prof; no minimal loop
 *     --send-thread: the TAP miniports with sendThread
 */
import { fileURLToPath } from 'node:url';
import type { BenchFigure } from './run.js';
import { CondisNode } from '../src/host/node.js';
import { benchNodeOptions } from './node-options.js';
import { Client } from '../src/host/driver.js';
import { openMiniport } from '../src/miniport/index.js';
import type { Miniport } from '../src/miniport/types.js';
import { labUp, type Lab } from '../src/lab/lab.js';
import { topologyFrom } from '../src/lab/topology.js';
import { uniqueName } from '../src/lab/netns.js';
import { canDoNetworking } from '../src/common/sh.js';
import { openMemorySync } from '../src/miniport/index.js';
import { Subscription } from 'rxjs';
import { frameStream, linksUp, vcStream } from './stack.js';
import type { NdisVcHandle } from '../src/ndis/index.js';

/**
 * vcStream with the minimal loop's sender (frameStream): each receive indication lets the client
 * send again at once, up to the window, instead of 16 sends per turn and a setImmediate between.
 * A diagnostic beside the figure: how much of the gap is how the sender takes its turns.
 */
async function vcBurst(sender: Client, vc: NdisVcHandle, receiver: Client, seconds: number, size: number, window = 64): Promise<number> {
  const data = Buffer.alloc(size, 0x5a);
  let got = 0;
  let sent = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await new Promise<void>((resolve) => {
    const subs = new Subscription();
    const pump = () => {
      while (sent - got < window && performance.now() < end) {
        sender.send(vc, data);
        sent++;
      }
      if (performance.now() >= end && got >= sent - window) {
        subs.unsubscribe();
        resolve();
      }
    };
    subs.add(
      receiver.cl.indications$.subscribe((ind) => {
        if (ind.kind !== 'ProtocolCoReceiveNetBufferLists') return;
        got += ind.nbls.length;
        pump();
      }),
    );
    const t = setInterval(() => {
      if (performance.now() > end + 2000) {
        subs.unsubscribe();
        resolve();
      } else pump();
    }, 20);
    subs.add(() => clearInterval(t));
    pump();
  });
  return got / ((performance.now() - started) / 1000);
}

interface DataRun {
  raw64?: number;
  raw64Cpu?: number;
  raw1k?: number;
  raw1kCpu?: number;
  vc64: number;
  vc64Cpu: number;
  vc1k?: number;
  vc1kCpu?: number;
  burst64?: number;
  burst64Cpu?: number;
}

/** frames per second of one stream and the process's CPU per frame over it (us, user + system) */
async function timed(stream: () => Promise<number>): Promise<[number, number]> {
  const c = process.cpuUsage();
  const t = performance.now();
  const fps = await stream();
  const cpu = process.cpuUsage(c);
  return [fps, (cpu.user + cpu.system) / ((fps * (performance.now() - t)) / 1000)];
}

async function dataRun(secs: number, profile: boolean, sendThread = false): Promise<DataRun> {
  const name = uniqueName('bdata');
  const lab: Lab = await labUp(
    topologyFrom(
      { name, segment: { kind: 'bridged' }, hosts: [1, 2].map((i) => ({ name: `h${i}`, mac: `02:00:00:00:06:0${i}`, address: `${6000 + i}` })) },
      name,
    ),
  );
  const nodes: CondisNode[] = [];
  const miniports: Miniport[] = [];
  try {
    for (const h of lab.hosts) miniports.push(await openMiniport({ kind: 'tap', device: 'tap0', netns: h.nsName, mac: h.mac, bridge: 'br0', sendThread }));
    const [m1, m2] = miniports as [Miniport, Miniport];
    await new Promise((r) => setTimeout(r, 300)); // bridge ports forwarding
    const raw: Partial<DataRun> = {};
    if (!profile) {
      await frameStream(m1, [m2], 0.3, 64); // warm-up
      [raw.raw64, raw.raw64Cpu] = await timed(() => frameStream(m1, [m2], secs, 64));
      [raw.raw1k, raw.raw1kCpu] = await timed(() => frameStream(m1, [m2], secs, 1024));
    }
    const peersOf = (i: number) => lab.hosts.filter((_, j) => j !== i).map((o) => ({ mac: o.mac, addresses: [o.address] }));
    lab.hosts.forEach((h, i) => nodes.push(new CondisNode(benchNodeOptions(h.name, miniports[i]!, h.address, peersOf(i)))));
    await linksUp(nodes);
    const [root, leaf] = await Promise.all(nodes.map((n, i) => Client.open(n, `c${i}`, { keepLog: false })));
    await leaf!.listen('6002');
    const { vc } = await root!.call('6002');
    await new Promise((r) => setTimeout(r, 50));
    await vcStream(root!, vc, [leaf!], 0.3, 64); // warm-up
    const [vc64, vc64Cpu] = await timed(() => vcStream(root!, vc, [leaf!], secs, 64));
    if (profile) return { vc64, vc64Cpu };
    const [vc1k, vc1kCpu] = await timed(() => vcStream(root!, vc, [leaf!], secs, 1024));
    const [burst64, burst64Cpu] = await timed(() => vcBurst(root!, vc, leaf!, secs, 64));
    return { ...raw, vc64, vc64Cpu, vc1k, vc1kCpu, burst64, burst64Cpu };
  } finally {
    await Promise.all(nodes.map((n) => n.shutdown(300).catch(() => {})));
    await Promise.all(miniports.map((m) => m.close().catch(() => {})));
    await lab.down();
  }
}

/**
 * The same stream between two hosts on the memory miniport: no system calls, so the CPU per frame
 * is the stack's own (and the memory wire's copy per frame); steadier than the TAP figures on a
 * busy machine, for an A/B of a change to the JavaScript of the data path. Best of `rounds`.
 */
async function inMemory(secs: number, rounds: number): Promise<{ cpu64: number; cpu1k: number }> {
  const hub = `bench-data-${process.pid}`;
  const ma = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:06:11' });
  const mb = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:06:12' });
  const a = new CondisNode(benchNodeOptions('a', ma, '6011', [{ mac: mb.mac, addresses: ['6012'] }]));
  const b = new CondisNode(benchNodeOptions('b', mb, '6012', [{ mac: ma.mac, addresses: ['6011'] }]));
  try {
    await linksUp([a, b]);
    const root = await Client.open(a, 'root', { keepLog: false });
    const leaf = await Client.open(b, 'leaf', { keepLog: false });
    await leaf.listen('6012');
    const { vc } = await root.call('6012');
    await vcStream(root, vc, [leaf], 0.3, 64); // warm-up
    let cpu64 = Infinity;
    let cpu1k = Infinity;
    for (let i = 0; i < rounds; i++) {
      cpu64 = Math.min(cpu64, (await timed(() => vcStream(root, vc, [leaf], secs, 64)))[1]);
      cpu1k = Math.min(cpu1k, (await timed(() => vcStream(root, vc, [leaf], secs, 1024)))[1]);
    }
    return { cpu64, cpu1k };
  } finally {
    await Promise.all([a.shutdown(300), b.shutdown(300)]);
    await Promise.all([ma.close(), mb.close()]);
  }
}

export async function benchData(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const mem = await inMemory(opts.quick ? 0.3 : 1, 3);
  const memFigures: BenchFigure[] = [
    { name: 'CPU per data frame on one VC in memory, 64 octets (send+receive, best of 3)', value: mem.cpu64, unit: 'us' },
    { name: 'CPU per data frame on one VC in memory, 1024 octets (send+receive, best of 3)', value: mem.cpu1k, unit: 'us' },
  ];
  const net = canDoNetworking();
  if (!net.ok) {
    console.log(`  (TAP data figures skipped: ${net.reason})`);
    return memFigures;
  }
  const r = await dataRun(opts.quick ? 0.6 : 3, false);
  // the same streams with the TAP miniports' sendThread (docs/miniports.md), on a lab of their own
  const th = await dataRun(opts.quick ? 0.6 : 3, false, true);
  return [
    ...memFigures,
    { name: 'data on one VC over TAP, 64-octet SDUs', value: r.vc64, unit: 'frames/s', baseline: r.raw64!, baselineName: 'minimal TAP loop, frames/s', goal: '>= 80%' },
    { name: 'data on one VC over TAP, 1024-octet SDUs', value: r.vc1k!, unit: 'frames/s', baseline: r.raw1k!, baselineName: 'minimal TAP loop, frames/s', goal: '>= 70%' },
    { name: 'CPU per data frame on one VC over TAP, 64 octets (send+receive)', value: r.vc64Cpu, unit: 'us', baseline: r.raw64Cpu!, baselineName: 'minimal TAP loop, us per frame' },
    { name: 'CPU per data frame on one VC over TAP, 1024 octets (send+receive)', value: r.vc1kCpu!, unit: 'us', baseline: r.raw1kCpu!, baselineName: 'minimal TAP loop, us per frame' },
    // the ratios of this run, as figures of their own (an A/B compares values): on a busy machine
    // the minimal loop measured beside the stack takes some of the load's noise out
    { name: 'data on one VC over TAP vs minimal loop, 64 octets, frames/s', value: (100 * r.vc64) / r.raw64!, unit: '%', goal: '>= 80%' },
    { name: 'data on one VC over TAP vs minimal loop, 1024 octets, frames/s', value: (100 * r.vc1k!) / r.raw1k!, unit: '%', goal: '>= 70%' },
    { name: 'minimal loop vs data on one VC, CPU per frame, 64 octets', value: (100 * r.raw64Cpu!) / r.vc64Cpu, unit: '%' },
    { name: 'minimal loop vs data on one VC, CPU per frame, 1024 octets', value: (100 * r.raw1kCpu!) / r.vc1kCpu!, unit: '%' },
    // diagnostic: the client sending as the minimal loop does (on each receive, up to the window)
    { name: 'data on one VC over TAP, 64 octets, sender as the minimal loop', value: r.burst64!, unit: 'frames/s', baseline: r.raw64!, baselineName: 'minimal TAP loop, frames/s' },
    { name: 'data on one VC over TAP vs minimal loop, 64 octets, sender as the minimal loop, frames/s', value: (100 * r.burst64!) / r.raw64!, unit: '%' },
    { name: 'CPU per data frame on one VC over TAP, 64 octets, sender as the minimal loop', value: r.burst64Cpu!, unit: 'us', baseline: r.raw64Cpu!, baselineName: 'minimal TAP loop, us per frame' },
    // sendThread: more frames per second for more CPU per frame; the baselines are the rows above
    { name: 'data on one VC over TAP with sendThread, 64-octet SDUs', value: th.vc64, unit: 'frames/s', baseline: r.vc64, baselineName: 'without, frames/s' },
    { name: 'data on one VC over TAP with sendThread, 1024-octet SDUs', value: th.vc1k!, unit: 'frames/s', baseline: r.vc1k!, baselineName: 'without, frames/s' },
    { name: 'CPU per data frame on one VC over TAP with sendThread, 64 octets', value: th.vc64Cpu, unit: 'us', baseline: r.vc64Cpu, baselineName: 'without, us per frame' },
    { name: 'CPU per data frame on one VC over TAP with sendThread, 1024 octets', value: th.vc1kCpu!, unit: 'us', baseline: r.vc1kCpu!, baselineName: 'without, us per frame' },
    { name: 'minimal TAP loop with sendThread, 64 octets', value: th.raw64!, unit: 'frames/s', baseline: r.raw64!, baselineName: 'without, frames/s' },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const profile = args.includes('--profile');
  const secs = Number(args.find((a) => /^[\d.]+$/.test(a)) ?? 5);
  const r = await dataRun(secs, profile, args.includes('--send-thread'));
  console.log(JSON.stringify(r));
}
