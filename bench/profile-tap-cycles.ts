/**
 * Point-to-point call cycles over real TAP devices, for a CPU profile of one
 * cycle on the four-host lab the bench uses (not a benchmark: `npm run bench`
 * gives the figures). Root only (namespaces, TAP devices):
 *
 *   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile-tap-cycles.js [seconds]
 *   node dist/bench/profile-top.js /tmp/prof/*.cpuprofile [15]
 *
 * Four hosts on one bridged segment (two idle, as in the bench); h1 calls h2
 * for `seconds` (default 6) after a second of warm-up cycles (as the bench: WARM_UP_S), and prints cycles/s and
 * CPU time per cycle (all hosts: they share this process).
 *
 * With `--setups`, it also prints the call-setup latency percentiles, and for
 * the slowest 1% of setups how many overlapped a garbage collection (from
 * `PerformanceObserver` 'gc' entries), so a 99th percentile can be laid at
 * the collector's door or not.
 */
import { performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { Client } from '../src/host/driver.js';
import { NdisStatus } from '../src/ndis/index.js';
import { percentile, WARM_UP_S } from './stack.js';
import { benchTapLab } from './tap-lab.js';

const seconds = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 6);
const watchSetups = process.argv.includes('--setups');
const tl = await benchTapLab('prof', 7, 7000);
const lab = tl.lab;
try {
  const nodes = await tl.startNodes();
  const caller = await Client.open(nodes[0]!, 'caller', { keepLog: false });
  const callee = await Client.open(nodes[1]!, 'callee', { keepLog: false });
  await callee.listen('7002');
  const setups: { t0: number; t1: number }[] = [];
  const cycle = async (): Promise<void> => {
    const connected = callee.next('ProtocolClCallConnected');
    const t0 = performance.now();
    const { vc } = await caller.call('7002');
    setups.push({ t0, t1: performance.now() });
    await connected;
    const closed = caller.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc);
    if (caller.cl.NdisClCloseCall(vc) === NdisStatus.PENDING) await closed;
    caller.cl.NdisCoDeleteVc(vc);
  };
  for (const until = performance.now() + WARM_UP_S * 1000; performance.now() < until; ) await cycle();
  setups.length = 0;
  const gcs: PerformanceEntry[] = [];
  const gcWatch = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  if (watchSetups) gcWatch.observe({ entryTypes: ['gc'] });
  const c0 = nodes.map((x) => x.counters());
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await cycle();
    n++;
  }
  const used = process.cpuUsage(cpu);
  console.log(`${n} cycles: ${(n / seconds).toFixed(0)} cycles/s, ${((used.user + used.system) / n).toFixed(0)} us CPU per cycle (all hosts)`);
  const perCycle = (now: number, then: number) => ((now - then) / n).toFixed(2);
  const frames = nodes.map((x, i) => {
    const c = x.counters();
    return `${lab.hosts[i]!.name}: out ${perCycle(c.framesOut, c0[i]!.framesOut)} in ${perCycle(c.framesIn, c0[i]!.framesIn)}`;
  });
  console.log(`frames per cycle: ${frames.join(', ')}`);
  if (watchSetups) {
    await new Promise((r) => setTimeout(r, 50)); // the observer is called after the entries are made
    gcWatch.disconnect();
    printSetups(setups, gcs);
  }
} finally {
  // (the miniports too: their TAP readers would keep the process, and its profile, alive)
  await tl.close();
}

/** setup percentiles, and how many of the slowest 1% overlapped a collection (and of which kind) */
function printSetups(setups: { t0: number; t1: number }[], gcs: PerformanceEntry[]): void {
  const ms = (s: { t0: number; t1: number }) => s.t1 - s.t0;
  const overlapping = (s: { t0: number; t1: number }) => gcs.filter((g) => g.startTime < s.t1 && g.startTime + g.duration > s.t0);
  const sorted = [...setups].sort((x, y) => ms(x) - ms(y));
  const all = sorted.map(ms);
  console.log(`call setup: median ${percentile(all, 50).toFixed(3)} ms, 90th ${percentile(all, 90).toFixed(3)}, 99th ${percentile(all, 99).toFixed(3)}, 99.9th ${percentile(all, 99.9).toFixed(3)} (${all.length} setups)`);
  const gcMs = gcs.reduce((t, g) => t + g.duration, 0);
  console.log(`collections during the run: ${gcs.length}, ${gcMs.toFixed(1)} ms in all, median ${percentile(gcs.map((g) => g.duration), 50).toFixed(3)} ms`);
  const kinds = new Map<number, string>([[1, 'minor'], [2, 'major'], [4, 'incremental'], [8, 'weakcb']]);
  const slowest = sorted.slice(Math.floor(0.99 * sorted.length));
  const byKind = new Map<string, number>();
  let hit = 0;
  for (const s of slowest) {
    const during = overlapping(s);
    if (during.length > 0) hit++;
    for (const g of during) {
      const k = kinds.get((g as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0) ?? 'other';
      byKind.set(k, (byKind.get(k) ?? 0) + 1);
    }
  }
  console.log(`slowest 1% (${slowest.length} setups, from ${ms(slowest[0]!).toFixed(3)} ms): ${hit} overlapped a collection (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})`);
  const rest = sorted.filter((s) => overlapping(s).length === 0).map(ms);
  console.log(`setups no collection touched (${rest.length}): median ${percentile(rest, 50).toFixed(3)} ms, 99th ${percentile(rest, 99).toFixed(3)} ms`);
}
