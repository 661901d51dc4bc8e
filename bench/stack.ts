/**
 * Whole-stack benchmarks: CoNDIS + UNI + SSCOP + wire, in one process.
 *
 * - in memory: point-to-point call cycles per second (make call, connected,
 *   close, delete VC) over the memory miniport, against frame round trips per
 *   second on the same memory wire;
 * - over TAP devices between network namespaces (made and removed here): the
 *   same call cycles, call-setup latency (median, 99th percentile), data frames
 *   per second on one VC and fanned out to three leaves, each against a
 *   minimal read/write loop on the same TAP devices;
 * - memory: heap per idle VC, and RSS after many call cycles against RSS after
 *   the first thousand.
 *
 * Each figure comes with its baseline from the same run; nothing is asserted.
 */
import { performance } from 'node:perf_hooks';
import { filter, firstValueFrom, Subscription } from 'rxjs';
import type { BenchFigure } from './run.js';
import { CondisNode, type NodeOptions } from '../src/host/node.js';
import { Client } from '../src/host/driver.js';
import { openMemorySync, openMiniport } from '../src/miniport/index.js';
import type { Miniport } from '../src/miniport/types.js';
import { NdisStatus, type NdisVcHandle } from '../src/ndis/index.js';
import { cellHeader, emitFrame, ETHERTYPE_CONDIS } from '../src/wire/index.js';
import { labUp, type Lab } from '../src/lab/lab.js';
import { topologyFrom } from '../src/lab/topology.js';
import { uniqueName } from '../src/lab/netns.js';
import { canDoNetworking } from '../src/lab/sh.js';

const S = NdisStatus;

function options(name: string, miniport: Miniport, address: string, peers: NodeOptions['peers']): NodeOptions {
  return {
    name,
    miniport,
    addresses: [address],
    role: 'auto',
    peers,
    discovery: { enabled: false, intervalMs: 500, holdTimeMs: 2000 },
    closeData: { allowed: true, maxOctets: 127 },
    callManager: { shape: 'mcm', completion: 'pending' },
  };
}

async function linksUp(nodes: CondisNode[], ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!nodes.every((a) => nodes.every((b) => a === b || a.peerList().some((p) => p.mac === b.mac && p.link?.established)))) {
    if (Date.now() > deadline) throw new Error('bench: signalling links did not come up');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** minimal loop: A sends a frame to B, B sends it straight back, A sends the next */
async function frameRoundTrips(a: Miniport, b: Miniport, seconds: number): Promise<number> {
  const frame = emitFrame({ dst: b.mac, src: a.mac, etherType: ETHERTYPE_CONDIS, cell: cellHeader(0, 99), uu: 0, cpi: 0, sdu: Buffer.alloc(16) });
  const back = emitFrame({ dst: a.mac, src: b.mac, etherType: ETHERTYPE_CONDIS, cell: cellHeader(0, 99), uu: 0, cpi: 0, sdu: Buffer.alloc(16) });
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const subs = new Subscription();
    subs.add(b.frames$.subscribe(() => b.send(back)));
    subs.add(
      a.frames$.subscribe(() => {
        n++;
        if (performance.now() < end) a.send(frame);
        else {
          subs.unsubscribe();
          resolve();
        }
      }),
    );
    a.send(frame);
  });
  return n / ((performance.now() - started) / 1000);
}

/** minimal loop, one way: A sends frames to B with at most `window` not yet received */
async function frameStream(a: Miniport, receivers: Miniport[], seconds: number, size: number, window = 64): Promise<number> {
  const frames = receivers.map((r) => emitFrame({ dst: r.mac, src: a.mac, etherType: ETHERTYPE_CONDIS, cell: cellHeader(0, 98), uu: 0, cpi: 0, sdu: Buffer.alloc(size) }));
  const got = receivers.map(() => 0);
  let sent = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await new Promise<void>((resolve) => {
    const subs = new Subscription();
    const pump = () => {
      while (sent - Math.min(...got) < window && performance.now() < end) {
        for (const f of frames) a.send(f);
        sent++;
      }
      if (performance.now() >= end && got.every((g) => g >= sent - window)) {
        subs.unsubscribe();
        resolve();
      }
    };
    receivers.forEach((r, i) =>
      subs.add(
        r.frames$.subscribe(() => {
          got[i]!++;
          pump();
        }),
      ),
    );
    // frames lost on the way would stall the window: a timer keeps the pump going
    const t = setInterval(() => {
      if (performance.now() > end + 2000) {
        subs.unsubscribe();
        clearInterval(t);
        resolve();
      } else pump();
    }, 20);
    subs.add(() => clearInterval(t));
    pump();
  });
  return Math.min(...got) / ((performance.now() - started) / 1000);
}

/** make call, wait connected, close, delete: `seconds` long or `count` cycles; setup times in ms */
async function callCycles(caller: Client, callee: Client, called: string, limit: { seconds?: number; count?: number }): Promise<{ perSecond: number; setups: number[]; cycles: number }> {
  const setups: number[] = [];
  const started = performance.now();
  const end = limit.seconds !== undefined ? started + limit.seconds * 1000 : Infinity;
  let cycles = 0;
  while (performance.now() < end && cycles < (limit.count ?? Infinity)) {
    const connected = firstValueFrom(callee.cl.indications$.pipe(filter((i) => i.kind === 'ProtocolClCallConnected')));
    const t0 = performance.now();
    const { vc } = await caller.call(called);
    setups.push(performance.now() - t0);
    await connected;
    const closed = caller.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc);
    const st = caller.cl.NdisClCloseCall(vc);
    if (st === S.PENDING) await closed;
    caller.cl.NdisCoDeleteVc(vc);
    cycles++;
  }
  return { perSecond: cycles / ((performance.now() - started) / 1000), setups, cycles };
}

/** data frames per second delivered on a VC (to every receiving client), at most `window` outstanding */
async function vcStream(sender: Client, vc: NdisVcHandle, receivers: Client[], seconds: number, size: number, window = 64): Promise<number> {
  const got = receivers.map(() => 0);
  const subs = new Subscription();
  receivers.forEach((r, i) =>
    subs.add(
      r.cl.indications$.subscribe((ind) => {
        if (ind.kind === 'ProtocolCoReceiveNetBufferLists') got[i]! += ind.nbls.length;
      }),
    ),
  );
  const data = Buffer.alloc(size, 0x5a);
  let sent = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    if (sent - Math.min(...got) < window) {
      sender.send(vc, data);
      sent++;
      if (sent % 16 === 0) await new Promise((r) => setImmediate(r));
    } else await new Promise((r) => setImmediate(r));
  }
  const drainUntil = performance.now() + 2000;
  while (Math.min(...got) < sent - window && performance.now() < drainUntil) await new Promise((r) => setImmediate(r));
  subs.unsubscribe();
  return Math.min(...got) / ((performance.now() - started) / 1000);
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function inMemory(quick: boolean): Promise<BenchFigure[]> {
  const hub = `bench-${process.pid}`;
  const ma = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:01' });
  const mb = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:02' });
  const rtt = await frameRoundTrips(ma, mb, quick ? 0.5 : 2);
  const a = new CondisNode(options('a', ma, '1001', [{ mac: mb.mac, addresses: ['1002'] }]));
  const b = new CondisNode(options('b', mb, '1002', [{ mac: ma.mac, addresses: ['1001'] }]));
  await linksUp([a, b]);
  const caller = await Client.open(a, 'caller', { keepLog: false });
  const callee = await Client.open(b, 'callee', { keepLog: false });
  await callee.listen('1002');
  await callCycles(caller, callee, '1002', { count: 200 }); // warm-up
  const r = await callCycles(caller, callee, '1002', { seconds: quick ? 1 : 4 });

  // memory: RSS after the first thousand cycles and after many more
  const total = quick ? 5_000 : 50_000;
  gc();
  const rss1k = process.memoryUsage().rss;
  const long = await callCycles(caller, callee, '1002', { count: total });
  gc();
  const rssN = process.memoryUsage().rss;

  // heap per idle VC: 10,000 client VCs with no call
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const vcs: NdisVcHandle[] = [];
  for (let i = 0; i < 10_000; i++) vcs.push(caller.cl.NdisCoCreateVc(caller.af, i).vcHandle!);
  gc();
  const perVc = (process.memoryUsage().heapUsed - heap0) / 10_000;
  for (const v of vcs) caller.cl.NdisCoDeleteVc(v);

  await Promise.all([a.shutdown(500), b.shutdown(500)]);
  return [
    { name: 'p2p call cycles in memory (full stack)', value: r.perSecond, unit: 'cycles/s', baseline: rtt, baselineName: 'memory-wire frame round trips/s' },
    { name: 'call setup in memory, median', value: percentile(r.setups, 50), unit: 'ms' },
    { name: `RSS after ${long.cycles + 1200} call cycles minus RSS after 1,200`, value: (rssN - rss1k) / 2 ** 20, unit: 'MiB', baseline: rss1k / 2 ** 20, baselineName: 'RSS after 1,200 cycles, MiB' },
    { name: 'heap per idle VC (10,000 VCs)', value: perVc, unit: 'bytes' },
  ];
}

async function overTap(quick: boolean): Promise<BenchFigure[]> {
  const net = canDoNetworking();
  if (!net.ok) {
    console.log(`  (TAP figures skipped: ${net.reason})`);
    return [];
  }
  const name = uniqueName('bench');
  const lab: Lab = await labUp(
    topologyFrom(
      {
        name,
        segment: { kind: 'bridged' },
        hosts: [1, 2, 3, 4].map((i) => ({ name: `h${i}`, mac: `02:00:00:00:05:0${i}`, address: `${5000 + i}` })),
      },
      name,
    ),
  );
  const nodes: CondisNode[] = [];
  const miniports: Miniport[] = [];
  try {
    for (const h of lab.hosts) miniports.push(await openMiniport({ kind: 'tap', device: 'tap0', netns: h.nsName, mac: h.mac, bridge: 'br0' }));
    const [m1, m2, m3, m4] = miniports as [Miniport, Miniport, Miniport, Miniport];
    await new Promise((r) => setTimeout(r, 300)); // bridge ports forwarding
    const secs = quick ? 1 : 3;
    const rtt = await frameRoundTrips(m1, m2, secs);
    const raw64 = await frameStream(m1, [m2], secs, 64);
    const raw1k = await frameStream(m1, [m2], secs, 1024);
    const rawFan = await frameStream(m1, [m2, m3, m4], secs, 64);

    const peersOf = (i: number) => lab.hosts.filter((_, j) => j !== i).map((o) => ({ mac: o.mac, addresses: [o.address] }));
    lab.hosts.forEach((h, i) => nodes.push(new CondisNode(options(h.name, miniports[i]!, h.address, peersOf(i)))));
    await linksUp(nodes);
    const [root, l1, l2, l3] = await Promise.all(nodes.map((n, i) => Client.open(n, `c${i}`, { keepLog: false })));
    for (const [c, addr] of [
      [l1!, '5002'],
      [l2!, '5003'],
      [l3!, '5004'],
    ] as const)
      await c.listen(addr);
    await callCycles(root!, l1!, '5002', { count: 50 });
    const cycles = await callCycles(root!, l1!, '5002', { seconds: quick ? 2 : 6 });

    const { vc } = await root!.call('5002');
    await new Promise((r) => setTimeout(r, 50));
    const vc64 = await vcStream(root!, vc, [l1!], secs, 64);
    const vc1k = await vcStream(root!, vc, [l1!], secs, 1024);
    root!.cl.NdisClCloseCall(vc);
    await new Promise((r) => setTimeout(r, 100));

    const mp = await root!.call('5002', true);
    await root!.addParty(mp.vc, '5003');
    await root!.addParty(mp.vc, '5004');
    await new Promise((r) => setTimeout(r, 50));
    const fan = await vcStream(root!, mp.vc, [l1!, l2!, l3!], secs, 64);

    return [
      { name: 'p2p call cycles over TAP (full stack)', value: cycles.perSecond, unit: 'cycles/s', baseline: rtt, baselineName: 'TAP frame round trips/s, minimal loop' },
      { name: 'call setup over TAP, median', value: percentile(cycles.setups, 50), unit: 'ms', baseline: 1000 / rtt, baselineName: 'one frame round trip, ms' },
      { name: 'call setup over TAP, 99th percentile', value: percentile(cycles.setups, 99), unit: 'ms' },
      { name: 'data on one VC over TAP, 64-octet SDUs', value: vc64, unit: 'frames/s', baseline: raw64, baselineName: 'minimal TAP loop, frames/s' },
      { name: 'data on one VC over TAP, 1024-octet SDUs', value: vc1k, unit: 'frames/s', baseline: raw1k, baselineName: 'minimal TAP loop, frames/s' },
      { name: 'multipoint fan-out to 3 leaves over TAP, per leaf', value: fan, unit: 'frames/s', baseline: rawFan, baselineName: 'minimal TAP loop to 3 hosts, per host' },
    ];
  } finally {
    await Promise.all(nodes.map((n) => n.shutdown(300).catch(() => {})));
    await Promise.all(miniports.map((m) => m.close().catch(() => {})));
    await lab.down();
  }
}

export async function benchStack(opts: { quick: boolean }): Promise<BenchFigure[]> {
  return [...(await inMemory(opts.quick)), ...(await overTap(opts.quick))];
}
