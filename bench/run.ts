/**
 * `npm run bench [-- --quick] [-- --only codec,sscop,...]`
 *
 * Runs every benchmark section, prints one table and writes the same figures
 * to bench/results.json (a run of some sections, `--only`, replaces only
 * those sections' figures there; each figure says which run it came from).
 * Every figure comes with a baseline measured in the
 * same run (a Buffer copy, a raw frame loop, ...) and the ratio to it, so the
 * numbers mean something on any machine. Nothing here asserts a time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { COMPILED, packagePath } from '../src/common/package-root.js';
import { goalMet } from './goals.js';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  baselineName?: string;
  /** the goal (issue 15), as text: '>= 25%' is a goal on the ratio, '<= 40 us' on the value (bench/goals.ts reads it) */
  goal?: string;
}

/** `asked`: run only when named in --only (its figures repeat another section's, measured alone) */
type Section = { name: string; module: string; fn: string; asked?: boolean };

const sections: Section[] = [
  { name: 'codec', module: './codec.js', fn: 'benchCodec' },
  { name: 'wire', module: './wire.js', fn: 'benchWire' },
  { name: 'sscop', module: './sscop.js', fn: 'benchSscop' },
  { name: 'sscop-tap', module: './sscop-tap.js', fn: 'benchSscopTap' },
  { name: 'uni', module: './uni.js', fn: 'benchUni' },
  { name: 'ndis', module: './ndis.js', fn: 'benchNdis' },
  { name: 'miniport', module: './miniport.js', fn: 'benchMiniport' },
  { name: 'stack', module: './stack.js', fn: 'benchStack' },
  { name: 'data', module: './data.js', fn: 'benchData', asked: true },
  { name: 'startup', module: './startup.js', fn: 'benchStartup' },
  { name: 'pipe', module: './pipe.js', fn: 'benchPipe' },
  { name: 'switch', module: './switch.js', fn: 'benchSwitch' },
];

function parseArgs(argv: string[]): { quick: boolean; only?: Set<string> } {
  let quick = false;
  let only: Set<string> | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--only') only = new Set((argv[++i] ?? '').split(',').filter(Boolean));
    else if (a.startsWith('--only=')) only = new Set(a.slice(7).split(',').filter(Boolean));
    else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run bench [-- --quick] [-- --only ${sections.map((s) => s.name).join(',')}]`);
      process.exit(0);
    } else {
      console.error(`bench: unknown argument '${a}' (try --help)`);
      process.exit(2);
    }
  }
  if (only) {
    const unknown = [...only].filter((n) => !sections.some((s) => s.name === n));
    if (unknown.length) {
      console.error(`bench: unknown section(s) ${unknown.join(', ')}; sections: ${sections.map((s) => s.name).join(', ')}`);
      process.exit(2);
    }
  }
  return { quick, only };
}

type StoredFigure = BenchFigure & { section: string; ratio?: number; run?: { date: string; quick: boolean; seconds: number } };

/** the figures an earlier run wrote (none when there is no file, or it is not ours); a figure without its own run gets the file's */
function previousResults(path: string): StoredFigure[] {
  let doc: { date?: string; quick?: boolean; seconds?: number; results?: StoredFigure[] };
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as typeof doc;
  } catch {
    return [];
  }
  if (!Array.isArray(doc.results)) return [];
  const fileRun = { date: doc.date ?? 'unknown', quick: doc.quick ?? false, seconds: doc.seconds ?? 0 };
  return doc.results.filter((r) => typeof r?.section === 'string').map((r) => ({ ...r, run: r.run ?? fileRun }));
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (a >= 100) return n.toFixed(0);
  return n.toPrecision(3);
}

async function main(): Promise<void> {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const results: (BenchFigure & { section: string; ratio?: number; met?: boolean })[] = [];
  const started = Date.now();
  console.log(`bench: running ${COMPILED ? 'the compiled JavaScript (dist/)' : 'the TypeScript sources through tsx'}`);
  for (const s of sections) {
    if (only ? !only.has(s.name) : s.asked) continue;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(s.module)) as Record<string, unknown>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(s.module.slice(2, -3))) {
        console.log(`(section ${s.name}: not built yet)`);
        continue;
      }
      throw e;
    }
    const fn = mod[s.fn] as (o: { quick: boolean }) => Promise<BenchFigure[]>;
    process.stdout.write(`running ${s.name}...\n`);
    const t0 = Date.now();
    const figs = await fn({ quick });
    for (const f of figs) results.push({ section: s.name, ...f, ratio: f.baseline ? f.value / f.baseline : undefined, met: goalMet(f) });
    process.stdout.write(`  ${s.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const rows = results.map((r) => [
    r.section,
    r.name,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline !== undefined ? `${fmt(r.baseline)} (${r.baselineName ?? 'baseline'})` : '',
    r.ratio !== undefined ? `${(r.ratio * 100).toFixed(1)}%` : '',
    r.goal ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'no',
  ]);
  const head = ['section', 'figure', 'value', 'baseline (same run)', 'ratio', 'goal', 'met'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log('\n' + line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  const out = packagePath('bench', 'results.json');
  const run = { date: new Date().toISOString(), quick, seconds: (Date.now() - started) / 1000 };
  const ran = new Set(results.map((r) => r.section));
  // a run of some sections (--only) replaces those sections' figures and keeps the others' from earlier runs
  const kept = only ? previousResults(out).filter((r) => !ran.has(r.section) && !only.has(r.section)) : [];
  writeFileSync(
    out,
    JSON.stringify(
      {
        ...run,
        runtime: COMPILED ? 'compiled (dist/)' : 'tsx (sources)',
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, memGiB: Math.round(os.totalmem() / 2 ** 30) },
        results: [...kept, ...results.map((r) => ({ ...r, run }))],
      },
      null,
      2,
    ),
  );
  if (kept.length > 0) console.log(`\nkept ${kept.length} figures of other sections from earlier runs (each says when in its "run")`);
  console.log(`\nwritten: ${out}`);
}

await main();
