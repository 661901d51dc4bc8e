/**
 * `npm run leaks -- [--cycles 100000] [--completion pending|sync]`: the long
 * leak run. Four real stacks over the memory miniport, driven through the
 * daemon's own CoNDIS client (see test/leaks/cycles.ts: point-to-point and
 * multipoint cycles with incoming drop party, drop party and close with close
 * data, two p2p for each multipoint). Prints cycles/s and RSS as it goes;
 * at the end every counter must be zero, no request in progress, no timer
 * beyond the baseline, and RSS within --rss-bound MiB of where it started
 * after the warm-up. Exit 0 when all of that holds.
 */
import { cycle, settled, startBench } from '../test/leaks/cycles.js';
import { liveTimers } from '../test/helpers/timers.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
};
const cycles = Number(opt('cycles', '100000'));
const completion = opt('completion', 'pending') as 'pending' | 'sync';
const rssBound = Number(opt('rss-bound', '64'));
const gc = (globalThis as { gc?: () => void }).gc;
const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

const bench = await startBench({ callManager: { shape: 'mcm', completion } });
for (let i = 0; i < 300; i++) await cycle(bench, i);
await settled(bench);
gc?.();
const rss0 = process.memoryUsage().rss;
const heap0 = process.memoryUsage().heapUsed;
const timers0 = liveTimers();
console.log(`leaks: ${cycles} cycles (${completion} completion) after 300 warm-up; RSS ${mib(rss0)}, heap ${mib(heap0)}, timers ${timers0}${gc ? '' : ' (run with node --expose-gc for steadier figures)'}`);
const t0 = Date.now();
let last = t0;
for (let i = 0; i < cycles; i++) {
  await cycle(bench, 300 + i);
  if ((i + 1) % 10_000 === 0) {
    const now = Date.now();
    console.log(`  ${i + 1} cycles, ${Math.round(10_000_000 / (now - last))}/s, RSS ${mib(process.memoryUsage().rss)}, heap ${mib(process.memoryUsage().heapUsed)}`);
    last = now;
  }
}
const secs = (Date.now() - t0) / 1000;
const left = await settled(bench, 10_000);
gc?.();
await new Promise((r) => setTimeout(r, 200));
const rss1 = process.memoryUsage().rss;
const heap1 = process.memoryUsage().heapUsed;
const timers1 = liveTimers();
console.log(`done: ${cycles} cycles in ${secs.toFixed(0)} s = ${(cycles / secs).toFixed(0)} cycles/s`);
console.log(`RSS ${mib(rss0)} -> ${mib(rss1)} (${((rss1 - rss0) / 1048576).toFixed(1)} MiB), heap ${mib(heap0)} -> ${mib(heap1)}, timers ${timers0} -> ${timers1}`);
console.log(left.length ? `LEFT BEHIND:\n  ${left.join('\n  ')}` : 'every counter back to zero');
await bench.close();
const ok = left.length === 0 && timers1 <= timers0 && rss1 - rss0 < rssBound * 1048576;
console.log(ok ? 'leaks: ok' : 'leaks: FAILED');
process.exit(ok ? 0 : 1);
