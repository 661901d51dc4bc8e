/**
 * Self time by function from a V8 .cpuprofile (`node --cpu-prof`): the top
 * entries, as a Markdown table.
 *
 *   node dist/bench/profile-top.js FILE.cpuprofile [TOP=15] [--by-file]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
if (!file) {
  console.error('usage: profile-top FILE.cpuprofile [TOP] [--by-file]');
  process.exit(2);
}
const top = Number(args.find((a) => /^\d+$/.test(a)) ?? 15);
const byFile = args.includes('--by-file');
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
p.samples.forEach((id, i) => {
  const dt = p.timeDeltas[i] ?? 0;
  const n = byId.get(id)!;
  const { functionName, url, lineNumber } = n.callFrame;
  const short = url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/').replace(/^node:/, 'node:');
  const key = byFile ? short.replace(/^(node_modules\/[^/]+)\/.*/, '$1') || functionName : `${functionName || '(anonymous)'} ${short}${url ? `:${lineNumber + 1}` : ''}`;
  if (functionName === '(idle)' || functionName === '(program)') return;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`busy samples: ${(total / 1000).toFixed(0)} ms (idle and (program) left out)\n`);
console.log(`| self % | self ms | ${byFile ? 'file' : 'function'} |\n|---:|---:|---|`);
for (const [k, v] of rows) console.log(`| ${((100 * v) / total).toFixed(1)} | ${(v / 1000).toFixed(0)} | ${k} |`);
