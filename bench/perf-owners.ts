/**
 * A whole-process CPU profile by owner, from Linux `perf` (bench/perf-samples.ts says how samples
 * are charged). Needs `perf` (Debian: linux-perf). For example, the four-host TAP lab's call cycles
 * with the first 3.5 s (set-up, warm-up, compilation) left out:
 *
 *   perf record -D 3500 -e cpu-clock -F 4999 -g -o /tmp/perf.data \
 *     node --perf-basic-prof dist/bench/profile-tap-cycles.js 6
 *   node dist/bench/perf-owners.js /tmp/perf.data [--by layer|file|function] [TOP=25]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { owners, ownersMarkdown, perfSamples, type OwnerLevel } from './perf-samples.js';

const args = process.argv.slice(2);
const byAt = args.indexOf('--by');
const level = (byAt >= 0 ? args[byAt + 1] : 'layer') as OwnerLevel;
const rest = byAt < 0 ? args : args.filter((_, i) => i !== byAt && i !== byAt + 1);
const file = rest.find((a) => !/^\d+$/.test(a));
const top = Number(rest.find((a) => /^\d+$/.test(a)) ?? 25);
if (!file || !['layer', 'file', 'function'].includes(level)) {
  console.error('usage: perf-owners PERF.DATA [--by layer|file|function] [TOP]');
  process.exit(2);
}

const perf = spawn('perf', ['script', '-i', file, '-F', 'tid,ip,sym'], { stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
perf.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
const exited = new Promise<number>((resolve, reject) => {
  perf.on('error', (e) => reject(new Error(`perf-owners: cannot run perf (${e.message}); Debian has it in linux-perf`)));
  perf.on('close', (code) => resolve(code ?? 1));
});
const lines: string[] = [];
for await (const line of createInterface({ input: perf.stdout })) lines.push(line);
const code = await exited;
if (code !== 0) {
  console.error(`perf-owners: perf script -i ${file} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
  process.exit(1);
}
const r = owners(perfSamples(lines), level);
if (r.total === 0) {
  console.error(`perf-owners: ${file} holds no samples with call chains (record with -g)`);
  process.exit(1);
}
console.log(ownersMarkdown(r, level, top));
