/**
 * Whole-stack benchmarks: CoNDIS + UNI + SSCOP + wire, in one process.
 *
 * - in memory: point-to-point call cycles per second (make call, connected,
 *   close, delete VC) over the memory miniport, against frame round trips per
 *   second on the same memory wire;
 * - over TAP devices between network namespaces (made and removed here): the
 *   same call cycles, call-setup latency (median, 99th percentile), data frames
 *   per second on one VC and fanned out to three leaves, each against a
 *   minimal read/write loop on TAP devices (one VC and its loop take turns,
 *   twice each, the loop on a second lab of the same shape, and each gives
 *   its better run: either moves by ±5% from run to run, and the VM's speed
 *   by more between minutes);
 * - multipoint scale over TAP: one call, 1,000 and then 10,000 parties added
 *   (all to the leaf host's address: Q.2971 ADD PARTY on the one link, which
 *   the leaf host accepts as further endpoints of the call), all dropped, the
 *   call closed; wall and CPU time, and the 10k/1k ratio (linear = 10);
 * - memory: heap per idle VC, heap per party (10,000 parties, root and leaf
 *   host together), and RSS after 100,000 call cycles against RSS after the
 *   first thousand.
 *
 * Each figure comes with its baseline from the same run; nothing is asserted.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Subscription } from 'rxjs';
import type { BenchFigure } from './run.js';
import { CondisNode } from '../src/host/node.js';
import { benchTapLab, linksUp } from './tap-lab.js';
import { benchNodeOptions } from './node-options.js';
import { conditionWaits } from './condition-waits.js';
import { mapConcurrent } from '../src/common/map-concurrent.js';
import { collectionsDuring, sampleAllocations, sampledBytes, type Collections } from './gc-cost.js';
import { Client } from '../src/host/driver.js';
import { NodeControlBackend } from '../src/host/control-backend.js';
import { openMemorySync } from '../src/miniport/index.js';
import type { Miniport } from '../src/miniport/types.js';
import { NdisStatus, q2931CallParameters, type NdisPartyHandle, type NdisVcHandle } from '../src/ndis/index.js';
import { cellHeader, emitFrame, ETHERTYPE_CONDIS } from '../src/wire/index.js';
import { canDoNetworking } from '../src/common/sh.js';
import { tsxImportArgs } from '../src/common/package-root.js';

const S = NdisStatus;

export { linksUp } from './tap-lab.js';

/**
 * minimal loop: A sends a frame to B, B sends it straight back, A sends the next; round trips per second,
 * each one's time in ms, and this process's CPU per round trip. B given as a MAC only: another process
 * echoes (bench/split-echo.ts).
 */
export async function frameRoundTrips(a: Miniport, b: Miniport | { mac: string }, seconds: number): Promise<{ perSecond: number; times: number[]; cpuUs: number }> {
  const frame = emitFrame({ dst: b.mac, src: a.mac, etherType: ETHERTYPE_CONDIS, cell: cellHeader(0, 99), uu: 0, cpi: 0, sdu: Buffer.alloc(16) });
  const back = emitFrame({ dst: a.mac, src: b.mac, etherType: ETHERTYPE_CONDIS, cell: cellHeader(0, 99), uu: 0, cpi: 0, sdu: Buffer.alloc(16) });
  let n = 0;
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  const cpu = process.cpuUsage();
  let sent = started;
  await new Promise<void>((resolve) => {
    const subs = new Subscription();
    if ('frames$' in b) subs.add(b.frames$.subscribe(() => b.send(back)));
    subs.add(
      a.frames$.subscribe(() => {
        n++;
        const now = performance.now();
        times.push(now - sent);
        sent = now;
        if (now < end) a.send(frame);
        else {
          subs.unsubscribe();
          resolve();
        }
      }),
    );
    a.send(frame);
  });
  const used = process.cpuUsage(cpu);
  return { perSecond: n / ((performance.now() - started) / 1000), times, cpuUs: (used.user + used.system) / n };
}

/** minimal loop, one way: A sends frames to B with at most `window` not yet received */
export async function frameStream(a: Miniport, receivers: Miniport[], seconds: number, size: number, window = 64): Promise<number> {
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

/**
 * Call cycles run this long before a call-cycle figure is measured: V8 is still compiling the
 * cycle's code for about the first 0.7 s of cycles (a setup there is up to five times slower), and
 * the figures are a running host's, not a starting one's. After only 50 warm-up cycles, 252 and
 * 258 of the slowest 1% of setups over TAP (414 and 434) came in the first measured second.
 */
export const WARM_UP_S = 1;

/**
 * Parties added and dropped before a multipoint figure is measured, for the same reason: V8 keeps
 * compiling the party path for some 20,000 parties. Six 10,000-party rounds in one process, after
 * 1,000 of warm-up (`profile-tap-parties.js 10000 6`): 892, 797, 656, 689, 649 and 681 ms.
 */
export const PARTY_WARM_UP = [10_000, 10_000, 10_000];

/** make call, wait connected, close, delete: `seconds` long or `count` cycles; setup times in ms */
export async function callCycles(caller: Client, callee: Client | undefined, called: string, limit: { seconds?: number; count?: number }): Promise<{ perSecond: number; setups: number[]; cycles: number }> {
  const setups: number[] = [];
  const started = performance.now();
  const end = limit.seconds !== undefined ? started + limit.seconds * 1000 : Infinity;
  let cycles = 0;
  while (performance.now() < end && cycles < (limit.count ?? Infinity)) {
    // (a callee in another process: the caller's close follows the CONNECT ACKNOWLEDGE on the same link)
    const connected = callee?.next('ProtocolClCallConnected');
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
export async function vcStream(sender: Client, vc: NdisVcHandle, receivers: Client[], seconds: number, size: number, window = 64): Promise<number> {
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

/**
 * Streams taking turns, `n` rounds: for each, its best run (frames/s) and that run's CPU per frame. The
 * machine is shared: the least disturbed run counts, and turns within seconds let both sides of a
 * comparison meet the same machine. Each run starts after a full collection: the streams share one
 * heap, and a run's received frames (slabs outside V8's heap) would otherwise count against V8's
 * external-memory limit in the next run, which then pays for full collections the other caused.
 */
async function bestStreams(n: number, seconds: number, runs: (() => Promise<number>)[]): Promise<{ rate: number; cpuUs: number }[]> {
  const best = runs.map(() => ({ rate: 0, cpuUs: NaN }));
  for (let i = 0; i < n; i++) {
    for (const [k, run] of runs.entries()) {
      gc();
      const cpu = process.cpuUsage();
      const rate = await run();
      const used = process.cpuUsage(cpu);
      if (rate > best[k]!.rate) best[k] = { rate, cpuUs: (used.user + used.system) / (rate * seconds) };
    }
  }
  return best;
}

/**
 * `parallel` call loops at once on one caller (each: make call, wait for its completion, close,
 * delete VC), for `seconds`: cycles per second over all loops, and per cycle its setup time (make
 * call to its completion) and its whole time (make call to close complete), in ms.
 */
export async function concurrentCycles(caller: Client, called: string, parallel: number, seconds: number): Promise<{ perSecond: number; setups: number[]; totals: number[] }> {
  const setups: number[] = [];
  const totals: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const { vc } = await caller.call(called);
      setups.push(performance.now() - t0);
      const closed = caller.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc);
      if (caller.cl.NdisClCloseCall(vc) === S.PENDING) await closed;
      caller.cl.NdisCoDeleteVc(vc);
      totals.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: parallel }, loop));
  return { perSecond: totals.length / ((performance.now() - started) / 1000), setups, totals };
}

/**
 * `count` call cycles (make call, close, delete) by `parallel` callers at once, as fast as
 * they go; stops early after `budgetMs`. Returns the cycles done.
 */
async function churn(caller: Client, called: string, count: number, parallel: number, budgetMs = Infinity): Promise<number> {
  let started = 0;
  let done = 0;
  const stopAt = performance.now() + budgetMs;
  const worker = async (): Promise<void> => {
    while (started < count && performance.now() < stopAt) {
      started++;
      const { vc } = await caller.call(called);
      const closed = caller.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc);
      if (caller.cl.NdisClCloseCall(vc) === S.PENDING) await closed;
      caller.cl.NdisCoDeleteVc(vc);
      done++;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return done;
}

export interface PartyRun {
  /** ms: adding every party, dropping every party, the whole run (adds, drops, close) */
  addMs: number;
  dropMs: number;
  totalMs: number;
  /** CPU ms of the process (every host in it, user + system) over the whole run */
  cpuMs: number;
  /** heap growth per party with all of them added, after a GC (when measured) */
  heapPerParty?: number;
}

/**
 * One multipoint call to `called`, then `n` more parties to the same address (at most `window`
 * adds outstanding), all dropped, the call closed and its VC deleted. Completions are counted by
 * one subscription, not a promise per party (the figure is the stack's; controlPartyRun below measures a
 * program that awaits each request).
 */
export async function partyRun(root: Client, called: string, n: number, opts: { window?: number; heap?: boolean } = {}): Promise<PartyRun> {
  const window = opts.window ?? 1000;
  const cl = root.cl;
  const { vc, party: first } = await root.call(called, true);
  let added = 0;
  let failed = 0;
  let dropped = 0;
  const { wake, until } = conditionWaits();
  const sub = cl.indications$.subscribe((i) => {
    if (i.kind === 'ProtocolClAddPartyComplete') {
      if (i.status === S.SUCCESS) added++;
      else failed++;
      wake();
    } else if (i.kind === 'ProtocolClDropPartyComplete') {
      dropped++;
      wake();
    }
  });
  try {
    gc();
    const heap0 = opts.heap ? process.memoryUsage().heapUsed : 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const parties: NdisPartyHandle[] = [];
    for (let k = 0; k < n; k++) {
      if (k - added - failed >= window) await until(() => k - added - failed < window);
      const r = cl.NdisClAddParty(vc, k, q2931CallParameters(called));
      if (r.status === S.SUCCESS) added++;
      else if (r.status !== S.PENDING) throw new Error(`bench: add party ${k}: status ${r.status}`);
      parties.push(r.partyHandle!);
    }
    await until(() => added + failed >= n);
    const t1 = performance.now();
    if (failed) throw new Error(`bench: ${failed} of ${n} parties not added`);
    let heapPerParty: number | undefined;
    const cpuGc = process.cpuUsage();
    if (opts.heap) {
      gc();
      heapPerParty = (process.memoryUsage().heapUsed - heap0) / n;
    }
    const gcCpu = process.cpuUsage(cpuGc);
    const t1b = performance.now();
    for (const h of parties) {
      const st = cl.NdisClDropParty(h);
      if (st === S.SUCCESS) dropped++;
      else if (st !== S.PENDING) throw new Error(`bench: drop party: status ${st}`);
    }
    await until(() => dropped >= n);
    const t2 = performance.now();
    // a multipoint call is closed naming its last party
    const closed = root.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc);
    const st = cl.NdisClCloseCall(vc, first);
    if (st === S.PENDING) await closed;
    else if (st !== S.SUCCESS) throw new Error(`bench: close multipoint call: status ${st}`);
    if (cl.NdisCoDeleteVc(vc) !== S.SUCCESS) throw new Error('bench: VC of the multipoint call not deleted');
    const t3 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system - gcCpu.user - gcCpu.system) / 1000;
    return { addMs: t1 - t0, dropMs: t2 - t1b, totalMs: t3 - t0 - (t1b - t1), cpuMs, ...(heapPerParty !== undefined ? { heapPerParty } : {}) };
  } finally {
    sub.unsubscribe();
  }
}

/**
 * `n` parties added to one multipoint call and dropped again through condisd's control backend (what
 * condisctl and a program's control client drive), `window` requests at a time, and the call closed:
 * the whole time, ms.
 */
async function controlPartyRun(ctl: NodeControlBackend, called: string, n: number, window: number): Promise<number> {
  const t0 = performance.now();
  const { vc } = await ctl.makeCall({ called, multipoint: true });
  const parties: number[] = [];
  for (let k = 0; k < n; k += window) {
    const added = await Promise.all(Array.from({ length: Math.min(window, n - k) }, () => ctl.addParty({ vc, address: called })));
    for (const a of added) parties.push(a.party);
  }
  for (let k = 0; k < parties.length; k += window) await Promise.all(parties.slice(k, k + window).map((party) => ctl.dropParty({ vc, party })));
  await ctl.closeCall({ vc });
  return performance.now() - t0;
}

/**
 * What `condisctl status` and the live view read of a host: its control backend's VC table with `n`
 * calls up, then its party table with one call of `n` parties (both made through the backend, 64 at a
 * time, in memory). The time of each table, ms: a status must cost the same per entry however many
 * there are (the view asks for one every 30 ms while a host is busy).
 */
export async function statusTables(n: number): Promise<{ vcsMs: number; partiesMs: number }> {
  const hub = `bench-status-${process.pid}-${n}`;
  const ma = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:01' });
  const mb = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:02' });
  const limits = { calls: n + 16, partiesPerCall: n + 16 };
  const a = new CondisNode({ ...benchNodeOptions('a', ma, '1001', [{ mac: mb.mac, addresses: ['1002'] }]), limits });
  const b = new CondisNode({ ...benchNodeOptions('b', mb, '1002', [{ mac: ma.mac, addresses: ['1001'] }]), limits });
  await linksUp([a, b]);
  await (await Client.open(b, 'leaf', { keepLog: false })).listen('1002');
  const ctl = await NodeControlBackend.create(a, { version: 'bench', miniport: 'memory' });
  // the best of three: one table is a few ms, which one collection could double
  const timed = async (f: () => Promise<unknown>): Promise<number> => {
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      await f();
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  };
  const windowed = (count: number, f: (k: number) => Promise<unknown>) => mapConcurrent(Array.from({ length: count }, (_, k) => k), 64, f);
  try {
    const vcs: number[] = [];
    await windowed(n, async () => vcs.push((await ctl.makeCall({ called: '1002', multipoint: false })).vc));
    const vcsMs = await timed(() => ctl.vcs());
    await windowed(n, (k) => ctl.closeCall({ vc: vcs[k]! }));
    const { vc } = await ctl.makeCall({ called: '1002', multipoint: true });
    await windowed(n - 1, () => ctl.addParty({ vc, address: '1002' }));
    const partiesMs = await timed(() => ctl.parties());
    return { vcsMs, partiesMs };
  } finally {
    ctl.dispose();
    await Promise.all([a.shutdown(500), b.shutdown(500)]);
    await Promise.all([ma.close(), mb.close()]);
  }
}

/**
 * `n` parties added to one multipoint call from `root` to `leaf` (at most 1,000 adds outstanding), then
 * the leaf host's client closes every VC they made there: the root sees an incoming drop party for each
 * and an incoming close for the last. The time from the first close to the root's last indication, ms.
 */
async function incomingDropRun(root: Client, leaf: Client, called: string, n: number): Promise<number> {
  const before = new Set(leaf.cl.vcs().map((v) => v.handle));
  const { vc } = await root.call(called, true);
  let added = 0;
  let gone = 0;
  const { wake, until } = conditionWaits();
  const sub = root.cl.indications$.subscribe((i) => {
    if (i.kind === 'ProtocolClAddPartyComplete') added++;
    else if (i.kind === 'ProtocolClIncomingCloseCall' || (i.kind === 'ProtocolClIncomingDropParty' && i.vcHandle === vc)) gone++;
    else return;
    wake();
  });
  try {
    for (let k = 0; k < n; k++) {
      if (k - added >= 1000) await until(() => k - added < 1000);
      const r = root.cl.NdisClAddParty(vc, k, q2931CallParameters(called));
      if (r.status !== S.PENDING && r.status !== S.SUCCESS) throw new Error(`bench: add party ${k}: status ${r.status}`);
      if (r.status === S.SUCCESS) added++;
    }
    await until(() => added >= n);
    const theirs = leaf.cl.vcs().filter((v) => !before.has(v.handle) && v.call === 'CONNECTED');
    if (theirs.length !== n + 1) throw new Error(`bench: ${theirs.length} VCs at the leaf for ${n + 1} parties`);
    const t0 = performance.now();
    for (const v of theirs) leaf.cl.NdisClCloseCall(v.handle);
    await until(() => gone >= theirs.length);
    return performance.now() - t0;
  } finally {
    sub.unsubscribe();
  }
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** RSS once garbage is collected and V8 had a moment to hand freed pages back */
async function settledRss(): Promise<number> {
  gc();
  await new Promise((r) => setTimeout(r, 200));
  gc();
  return process.memoryUsage().rss;
}

interface RssRun {
  cycles: number;
  rss1k: number;
  rssN: number;
  heap1k: number;
  heapN: number;
  /** the collections during the `gcCycles` cycles after the first 1,000 */
  gc: Collections;
  gcCycles: number;
  /** sampled, over `sampledCycles` more cycles: bytes allocated per cycle, and bytes that outlived a scavenge */
  sampledCycles: number;
  allocatedPerCycle: number;
  survivedPerCycle: number;
}

/** `total` call cycles between two in-memory hosts (8 callers at once; at most `budgetMs`), memory after 1,000 and at the end */
async function rssCycles(total: number, budgetMs: number): Promise<RssRun> {
  const hub = `bench-rss-${process.pid}`;
  const ma = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:01' });
  const mb = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:02' });
  const a = new CondisNode(benchNodeOptions('a', ma, '1001', [{ mac: mb.mac, addresses: ['1002'] }]));
  const b = new CondisNode(benchNodeOptions('b', mb, '1002', [{ mac: ma.mac, addresses: ['1001'] }]));
  await linksUp([a, b]);
  const caller = await Client.open(a, 'caller', { keepLog: false });
  const callee = await Client.open(b, 'callee', { keepLog: false });
  await callee.listen('1002');
  const first = await churn(caller, '1002', 1_000, 8);
  const rss1k = await settledRss();
  const heap1k = process.memoryUsage().heapUsed;
  let more = 0;
  const gcs = await collectionsDuring(async () => (more = await churn(caller, '1002', total - first, 8, budgetMs)));
  const rssN = await settledRss();
  const heapN = process.memoryUsage().heapUsed;
  // after the long run, the young generation has grown to its largest: V8 decides pretenuring only then
  const sampledCycles = Math.min(10_000, more);
  const allocated = sampledBytes(await sampleAllocations(() => churn(caller, '1002', sampledCycles, 8), { intervalBytes: 4096 }));
  const survived = sampledBytes(await sampleAllocations(() => churn(caller, '1002', sampledCycles, 8), { intervalBytes: 4096, survivorsOnly: true }));
  await Promise.all([a.shutdown(500), b.shutdown(500)]);
  return { cycles: first + more, rss1k, rssN, heap1k, heapN, gc: gcs, gcCycles: more, sampledCycles, allocatedPerCycle: allocated / sampledCycles, survivedPerCycle: survived / sampledCycles };
}

function rssInChild(total: number, budgetMs: number): Promise<RssRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', ...tsxImportArgs(), fileURLToPath(import.meta.url), '--rss-child', String(total), String(budgetMs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`bench: RSS child exited ${code}: ${out}`));
      else resolve(JSON.parse(line) as RssRun);
    });
  });
}

async function inMemory(quick: boolean): Promise<{ figures: BenchFigure[]; cyclesPerSecond: number }> {
  const hub = `bench-${process.pid}`;
  const ma = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:01' });
  const mb = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:02' });
  const rtt = (await frameRoundTrips(ma, mb, quick ? 0.5 : 2)).perSecond;
  const a = new CondisNode(benchNodeOptions('a', ma, '1001', [{ mac: mb.mac, addresses: ['1002'] }]));
  const b = new CondisNode(benchNodeOptions('b', mb, '1002', [{ mac: ma.mac, addresses: ['1001'] }]));
  await linksUp([a, b]);
  const caller = await Client.open(a, 'caller', { keepLog: false });
  const callee = await Client.open(b, 'callee', { keepLog: false });
  await callee.listen('1002');
  await callCycles(caller, callee, '1002', { seconds: WARM_UP_S }); // warm-up (see WARM_UP_S)
  const r = await callCycles(caller, callee, '1002', { seconds: quick ? 1 : 4 });

  // heap per idle VC: 10,000 client VCs with no call
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const vcs: NdisVcHandle[] = [];
  for (let i = 0; i < 10_000; i++) vcs.push(caller.cl.NdisCoCreateVc(caller.af, i).vcHandle!);
  gc();
  const perVc = (process.memoryUsage().heapUsed - heap0) / 10_000;
  for (const v of vcs) caller.cl.NdisCoDeleteVc(v);

  await Promise.all([a.shutdown(500), b.shutdown(500)]);

  // the status tables at 1,000 and 10,000 entries (warmed up at 1,000 first: JIT)
  await statusTables(1_000);
  const status1k = await statusTables(1_000);
  const status10k = await statusTables(quick ? 2_000 : 10_000);
  const statusN = quick ? '2,000' : '10,000';

  // memory over many cycles, in a fresh process: in this one the sections before leave an RSS
  // high-water mark that V8 hands back while the cycles run (the difference came out negative);
  // 8 callers at once (100,000 take ~20 s on a quiet machine), stopped after 60 s on a busy one:
  // the figure's name gives the count
  const rss = await rssInChild(quick ? 5_000 : 100_000, quick ? 15_000 : 60_000);
  const figures: BenchFigure[] = [
    { name: 'p2p call cycles in memory (full stack)', value: r.perSecond, unit: 'cycles/s', baseline: rtt, baselineName: 'memory-wire frame round trips/s' },
    { name: 'call setup in memory, median', value: percentile(r.setups, 50), unit: 'ms' },
    {
      name: `RSS after ${rss.cycles.toLocaleString('en')} call cycles minus RSS after 1,000 (fresh process)`,
      value: (rss.rssN - rss.rss1k) / 2 ** 20,
      unit: 'MiB',
      baseline: rss.rss1k / 2 ** 20,
      baselineName: 'RSS after 1,000 cycles, MiB',
    },
    {
      name: `heap after ${rss.cycles.toLocaleString('en')} call cycles minus heap after 1,000 (after GC)`,
      value: (rss.heapN - rss.heap1k) / 2 ** 20,
      unit: 'MiB',
      baseline: rss.heap1k / 2 ** 20,
      baselineName: 'heap after 1,000 cycles, MiB',
    },
    {
      name: `collector pauses per in-memory call cycle (${rss.gcCycles.toLocaleString('en')} cycles, fresh process: ${rss.gc.minor} minor, ${rss.gc.major} major)`,
      value: (rss.gc.pauseMs * 1000) / rss.gcCycles,
      unit: 'us',
      baseline: (rss.gc.cpuMs * 1000) / rss.gcCycles,
      baselineName: 'CPU per cycle in the same cycles, us',
    },
    {
      name: `heap that outlived a scavenge per in-memory call cycle (${rss.sampledCycles.toLocaleString('en')} cycles, sampled)`,
      value: rss.survivedPerCycle,
      unit: 'bytes',
      baseline: rss.allocatedPerCycle,
      baselineName: 'bytes allocated per cycle (sampled)',
    },
    { name: `control backend's VC table (condisctl status, the live view) with ${statusN} calls up`, value: status10k.vcsMs, unit: 'ms', baseline: status1k.vcsMs, baselineName: '1,000 calls, ms (linear: x10)' },
    { name: `control backend's party table with one call of ${statusN} parties`, value: status10k.partiesMs, unit: 'ms', baseline: status1k.partiesMs, baselineName: '1,000 parties, ms (linear: x10)' },
    { name: 'heap per idle VC (10,000 VCs)', value: perVc, unit: 'bytes', baseline: 512, baselineName: 'goal, bytes', goal: '<= 512 B' },
  ];
  return { figures, cyclesPerSecond: r.perSecond };
}

async function overTap(quick: boolean): Promise<{ figures: BenchFigure[]; cyclesPerSecond?: number }> {
  const net = canDoNetworking();
  if (!net.ok) {
    console.log(`  (TAP figures skipped: ${net.reason})`);
    return { figures: [] };
  }
  const tl = await benchTapLab('bench', 5, 5000);
  try {
    const [m1, m2, m3, m4] = tl.miniports as [Miniport, Miniport, Miniport, Miniport];
    await new Promise((r) => setTimeout(r, 300)); // bridge ports forwarding
    const secs = quick ? 0.6 : 3;
    const loop = await frameRoundTrips(m1, m2, secs);
    const rtt = loop.perSecond;
    const streams = quick ? 1 : 2;
    const rawFan = await frameStream(m1, [m2, m3, m4], secs, 64);

    const nodes = await tl.startNodes();
    const [root, l1, l2, l3] = await Promise.all(nodes.map((n, i) => Client.open(n, `c${i}`, { keepLog: false })));
    for (const [c, addr] of [
      [l1!, '5002'],
      [l2!, '5003'],
      [l3!, '5004'],
    ] as const)
      await c.listen(addr);
    await callCycles(root!, l1!, '5002', { seconds: WARM_UP_S }); // warm-up (see WARM_UP_S)
    const cpuC = process.cpuUsage();
    const framesBefore = nodes.reduce((sum, n) => sum + n.counters().framesOut, 0);
    const cycles = await callCycles(root!, l1!, '5002', { seconds: quick ? 1.5 : 6 });
    const cycleCpu = process.cpuUsage(cpuC);
    const framesPerCycle = (nodes.reduce((sum, n) => sum + n.counters().framesOut, 0) - framesBefore) / cycles.cycles;
    // many callers at once: 8 and 64 call loops on the root host, all to the same leaf host
    const conc: { n: number; r: Awaited<ReturnType<typeof concurrentCycles>> }[] = [];
    for (const n of [8, 64]) {
      await concurrentCycles(root!, '5002', n, 0.2); // warm-up
      conc.push({ n, r: await concurrentCycles(root!, '5002', n, quick ? 1.5 : 6) });
    }

    const { vc } = await root!.call('5002');
    await new Promise((r) => setTimeout(r, 50));
    // data on one VC against the minimal loop, taking turns so that both see the machine alike: the loop
    // on a lab of its own (on this one the nodes would take its frames in too)
    const loopLab = await benchTapLab('bloop', 6, 6000);
    type Stream = { rate: number; cpuUs: number };
    let vc64: Stream, vc1k: Stream, raw64: Stream, raw1k: Stream;
    try {
      const [lm1, lm2] = loopLab.miniports as [Miniport, Miniport];
      await new Promise((r) => setTimeout(r, 300)); // bridge ports forwarding
      await frameRoundTrips(lm1, lm2, 0.2); // the bridge learns both MACs
      [vc64, raw64] = (await bestStreams(streams, secs, [() => vcStream(root!, vc, [l1!], secs, 64), () => frameStream(lm1, [lm2], secs, 64)])) as [Stream, Stream];
      [vc1k, raw1k] = (await bestStreams(streams, secs, [() => vcStream(root!, vc, [l1!], secs, 1024), () => frameStream(lm1, [lm2], secs, 1024)])) as [Stream, Stream];
    } finally {
      await loopLab.close();
    }
    root!.cl.NdisClCloseCall(vc);
    await new Promise((r) => setTimeout(r, 100));

    const mp = await root!.call('5002', true);
    await root!.addParty(mp.vc, '5003');
    await root!.addParty(mp.vc, '5004');
    await new Promise((r) => setTimeout(r, 50));
    const fan = await vcStream(root!, mp.vc, [l1!, l2!, l3!], secs, 64);

    // multipoint scale: best of several runs (the machine is shared: the least disturbed run)
    for (const n of quick ? [1_000] : PARTY_WARM_UP) await partyRun(root!, '5002', n); // warm-up (JIT: PARTY_WARM_UP)
    const runs1k: PartyRun[] = [];
    const runs10k: PartyRun[] = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) runs1k.push(await partyRun(root!, '5002', 1_000));
    const n10k = quick ? 1 : 2;
    // the last one also weighs the heap with every party added (its GC is left out of its times)
    for (let i = 0; i < n10k; i++) runs10k.push(await partyRun(root!, '5002', 10_000, { heap: i === n10k - 1 }));
    const heapRun = runs10k[n10k - 1]!;
    // the same with NDIS's counters$ observed on every host, as a monitoring program would: what keeping the
    // counters current costs per request must not grow with the VCs a host holds (the leaf holds one per party)
    const watching = nodes.map((n) => n.ndis.counters$.subscribe());
    const watched = await partyRun(root!, '5002', 10_000).finally(() => watching.forEach((w) => w.unsubscribe()));
    // the leaf host hangs up every party instead: the root takes an incoming drop party for each
    const incomingDrops = await incomingDropRun(root!, l1!, '5002', 10_000);
    // through condisd's control backend on the root host, 64 requests at a time, against NDIS driven
    // directly with the same window (to the third leaf host, whose client accepts every party)
    const ctl = await NodeControlBackend.create(nodes[0]!, { version: 'bench', miniport: 'tap' });
    let viaControl: number, direct64: number, viaControlAtOnce: number;
    try {
      await controlPartyRun(ctl, '5004', 2_000, 64); // warm-up
      direct64 = (await partyRun(root!, '5004', 10_000, { window: 64 })).totalMs;
      viaControl = await controlPartyRun(ctl, '5004', 10_000, 64);
      // a program that asks for them all at once: each completion must find its request without trying the others
      viaControlAtOnce = await controlPartyRun(ctl, '5004', 10_000, 10_000);
    } finally {
      ctl.dispose();
    }
    // the same with the leaf host in a process of its own (split-process.ts imports from here: loaded when used)
    const split = await (await import('./split-process.js')).splitRuns(quick);
    const best = (rs: PartyRun[], k: keyof PartyRun) => Math.min(...rs.map((r) => r[k] as number));
    const [w1, w10, c1, c10] = [best(runs1k, 'totalMs'), best(runs10k, 'totalMs'), best(runs1k, 'cpuMs'), best(runs10k, 'cpuMs')];

    const median = percentile(cycles.setups, 50);
    const figures: BenchFigure[] = [
      { name: 'p2p call cycles over TAP (full stack)', value: cycles.perSecond, unit: 'cycles/s', baseline: rtt, baselineName: 'TAP frame round trips/s, minimal loop', goal: '>= 25%' },
      { name: 'call setup over TAP, median', value: median, unit: 'ms', baseline: 1000 / rtt, baselineName: 'one frame round trip, ms' },
      { name: 'call setup over TAP, 99th percentile', value: percentile(cycles.setups, 99), unit: 'ms', baseline: median, baselineName: 'median, ms', goal: '< 0.2 ms' },
      // the wire's own tail, for the one above: a setup waits for about two round trips
      { name: 'one frame round trip over TAP, minimal loop, 99th percentile', value: percentile(loop.times, 99), unit: 'ms', baseline: percentile(loop.times, 50), baselineName: 'median, ms' },
      ...conc.flatMap(({ n, r }) => [
        { name: `p2p call cycles over TAP, ${n} call loops at once`, value: r.perSecond, unit: 'cycles/s', baseline: cycles.perSecond, baselineName: 'one call loop, cycles/s' },
        { name: `  ${n} loops: call setup median / 99th percentile`, value: percentile(r.setups, 50), unit: 'ms', baseline: percentile(r.setups, 99), baselineName: '99th percentile, ms' },
        { name: `  ${n} loops: whole cycle median / 99th percentile`, value: percentile(r.totals, 50), unit: 'ms', baseline: percentile(r.totals, 99), baselineName: '99th percentile, ms' },
      ]),
      { name: 'data on one VC over TAP, 64-octet SDUs', value: vc64.rate, unit: 'frames/s', baseline: raw64.rate, baselineName: 'minimal TAP loop, frames/s', goal: '>= 80%' },
      { name: 'data on one VC over TAP, 1024-octet SDUs', value: vc1k.rate, unit: 'frames/s', baseline: raw1k.rate, baselineName: 'minimal TAP loop, frames/s', goal: '>= 70%' },
      { name: 'multipoint fan-out to 3 leaves over TAP, per leaf', value: fan, unit: 'frames/s', baseline: rawFan, baselineName: 'minimal TAP loop to 3 hosts, per host' },
      // CPU per unit of work: what the stack costs, whatever the load of the machine
      // its same-run baseline is the wire's part of it: what the minimal loop spends on as many frames, sent
      // one at a time as a call's messages are (each its own write, wake-up and read; a round trip is two)
      { name: 'CPU per p2p call cycle over TAP (all 4 hosts, user+system)', value: (cycleCpu.user + cycleCpu.system) / cycles.cycles, unit: 'us', baseline: (loop.cpuUs * framesPerCycle) / 2, baselineName: 'minimal TAP loop, us for as many frames', goal: '<= 40 us' },
      { name: '  frames sent per p2p call cycle over TAP (all 4 hosts)', value: framesPerCycle, unit: 'frames' },
      // as condisd runs them: each host in a process of its own, against the minimal loop in the same shape
      { name: 'minimal TAP loop with its two ends in processes of their own', value: split.loop.perSecond, unit: 'round trips/s', baseline: rtt, baselineName: 'both ends in one process, round trips/s' },
      {
        name: 'p2p call cycles over TAP with caller and callee host each in a process of its own (as condisd runs them)',
        value: split.cycles.perSecond,
        unit: 'cycles/s',
        baseline: split.loop.perSecond,
        baselineName: 'minimal TAP loop in two processes, round trips/s',
      },
      {
        name: '  the same in two processes: CPU per cycle, both together',
        value: split.cycles.cpuUsPerCycle,
        unit: 'us',
        baseline: split.loop.cpuUsPerFrame * framesPerCycle,
        baselineName: 'minimal TAP loop in two processes, us for as many frames',
      },
      { name: '  the same in two processes: call setup median / 99th percentile', value: split.cycles.setupP50, unit: 'ms', baseline: split.cycles.setupP99, baselineName: '99th percentile, ms' },
      { name: '  the same in two processes, 64 call loops at once', value: split.cycles.loops64PerSecond, unit: 'cycles/s', baseline: conc.find((c) => c.n === 64)!.r.perSecond, baselineName: 'both hosts in one process, 64 loops, cycles/s' },
      { name: 'CPU per data frame on one VC over TAP, 64 octets (send+receive)', value: vc64.cpuUs, unit: 'us', baseline: raw64.cpuUs, baselineName: 'minimal TAP loop, us per frame' },
      { name: 'CoNDIS multipoint over TAP: 1,000 parties on one call: add, drop all, close', value: w1, unit: 'ms' },
      { name: 'CoNDIS multipoint over TAP: 10,000 parties on one call: add, drop all, close', value: w10, unit: 'ms', baseline: w1, baselineName: '1,000 parties, ms', goal: '< 400 ms, 10k/1k <= 10x' },
      { name: '  of which adding the 10,000 parties', value: best(runs10k, 'addMs'), unit: 'ms' },
      { name: '  of which dropping the 10,000 parties', value: best(runs10k, 'dropMs'), unit: 'ms' },
      {
        name: '  10,000 parties with root and leaf host each in a process of its own (as condisd runs them)',
        value: split.parties.ms10k,
        unit: 'ms',
        baseline: w10,
        baselineName: 'both hosts in one process, ms',
      },
      { name: '  the same in two processes: 10k/1k time ratio (linear = 10)', value: split.parties.ms10k / split.parties.ms1k, unit: 'x', baseline: 10, baselineName: 'linear' },
      { name: '  the same in two processes: CPU per party, both together', value: split.parties.cpuUsPerParty, unit: 'us', baseline: (c10 * 1000) / 10_000, baselineName: 'both hosts in one process, us' },
      { name: "  10,000 parties the leaf host hangs up: from its first close to the root's last incoming drop", value: incomingDrops, unit: 'ms', baseline: best(runs10k, 'dropMs'), baselineName: 'the root dropping them itself, ms' },
      { name: '  10,000 parties with NDIS counters$ observed on every host', value: watched.totalMs, unit: 'ms', baseline: w10, baselineName: 'not observed, ms' },
      { name: "  10,000 parties through condisd's control backend (condisctl, the library), 64 requests at a time", value: viaControl, unit: 'ms', baseline: direct64, baselineName: 'NDIS driven directly, 64 at a time, ms' },
      { name: '  the same, all 10,000 requested at once', value: viaControlAtOnce, unit: 'ms', baseline: viaControl, baselineName: '64 at a time, ms' },
      { name: 'CoNDIS multipoint 10k/1k time ratio, CPU time (linear = 10)', value: c10 / c1, unit: 'x', baseline: 10, baselineName: 'linear' },
      { name: 'CoNDIS multipoint 10k/1k time ratio, wall clock (linear = 10)', value: w10 / w1, unit: 'x', baseline: 10, baselineName: 'linear' },
      { name: 'heap per party (10,000 parties; root and leaf host together)', value: heapRun.heapPerParty!, unit: 'bytes', baseline: 1024, baselineName: 'goal, bytes', goal: '<= 1 KiB' },
    ];
    return { figures, cyclesPerSecond: cycles.perSecond };
  } finally {
    await tl.close(300);
  }
}

export async function benchStack(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const mem = await inMemory(opts.quick);
  const tap = await overTap(opts.quick);
  const ratio: BenchFigure[] =
    tap.cyclesPerSecond === undefined
      ? []
      : [{ name: 'p2p call cycles in memory vs over TAP (same run)', value: mem.cyclesPerSecond, unit: 'cycles/s', baseline: tap.cyclesPerSecond, baselineName: 'over TAP, cycles/s', goal: '>= 100%' }];
  return [...mem.figures, ...tap.figures, ...ratio];
}

// the child of rssInChild: `node --expose-gc [--import tsx] bench/stack.{ts,js} --rss-child TOTAL BUDGET_MS`
const at = process.argv.indexOf('--rss-child');
if (at >= 0 && process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await rssCycles(Number(process.argv[at + 1]), Number(process.argv[at + 2]));
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
}
