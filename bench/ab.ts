/**
 * `npm run bench:ab -- [--base REF] [--rounds N] [--only stack,switch] [--quick] [--keep] [--head-bench]`
 * `npm run bench:ab -- [--base REF] [--rounds N] --in-process parties|cycles|data`
 *
 * Before and after in one sitting: builds REF (default HEAD) in a temporary
 * git worktree beside this tree, then runs `npm run bench`'s sections in both
 * builds, alternating which goes first each round (so a machine that gets
 * busier or quieter during the sitting weighs on both sides alike), and
 * prints every figure's runs, the medians and the change (ab-table.ts says
 * which way is better). The rows also go to bench/ab-results.json.
 *
 * `--head-bench`: the base runs this tree's bench/*.ts (copied over its own
 * before the build), for a bench section the base does not have yet (e.g.
 * `--only data`); the base's src/ must offer what those benches import.
 *
 * `--in-process parties|cycles|data`: instead of the bench sections, both builds
 * run in one process over TAP, rounds alternating within seconds
 * (bench/ab-inproc.ts; `--rounds` defaults to 10 there): it sees a change of
 * a few percent that whole bench runs minutes apart cannot.
 *
 * The comparison is only as good as the machine is quiet: the load average
 * before and after is printed with the table. Nothing here asserts a time.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { packageRoot } from '../src/common/package-root.js';
import { abMarkdown, abTable, type AbFigure } from './ab-table.js';

class AbError extends Error {}

function git(cwd: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new AbError(`git ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new AbError(`git ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout.trim();
}

function step(what: string, cwd: string, args: string[]): string {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.error) throw new AbError(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new AbError(`${what} failed (exit ${r.status ?? r.signal}) in ${cwd}:\n${(r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n')}`);
  return r.stdout;
}

/** the figures a bench run wrote; with --only, just those sections (a later bench keeps other sections' older figures in the file) */
function figuresOf(dir: string, only: Set<string> | undefined): AbFigure[] {
  const file = join(dir, 'bench', 'results.json');
  let doc: { results?: AbFigure[] };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
  } catch (e) {
    throw new AbError(`${file}: no bench results to read (${(e as Error).message})`);
  }
  return (doc.results ?? []).filter((f) => !only || only.has(f.section)).map(({ section, name, unit, value }) => ({ section, name, unit, value }));
}

/** whether two trees' native addon sources are the same (then one build serves both) */
function sameNative(a: string, b: string): boolean {
  const read = (dir: string, f: string) => (existsSync(join(dir, 'native', f)) ? readFileSync(join(dir, 'native', f)) : undefined);
  return ['binding.gyp', 'condis_tap.cc'].every((f) => {
    const x = read(a, f);
    const y = read(b, f);
    return x === undefined ? y === undefined : y !== undefined && x.equals(y);
  });
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new InvalidArgumentError('a whole number from 1 to 20');
  return n;
}

function load(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

async function main(): Promise<void> {
  const program = new Command('bench:ab')
    .description('npm run bench on a base commit and on this tree, alternating, in one sitting')
    .option('--base <ref>', 'the commit to compare against', 'HEAD')
    .option('--rounds <n>', 'runs of each side', positive, 2)
    .option('--only <sections>', 'bench sections, comma-separated (as npm run bench -- --only)')
    .option('--quick', 'the bench\'s quick mode')
    .option('--keep', "keep the base's worktree (it is removed otherwise)")
    .option('--head-bench', "the base runs this tree's bench/*.ts instead of its own")
    .addOption(new Option('--in-process <workload>', 'both builds in one process over TAP, rounds alternating (bench/ab-inproc.ts)').choices(['parties', 'cycles', 'data']).conflicts(['only', 'quick', 'headBench']))
    .exitOverride();
  program.parse(process.argv);
  const o = program.opts<{ base: string; rounds: number; only?: string; quick?: boolean; keep?: boolean; headBench?: boolean; inProcess?: 'parties' | 'cycles' | 'data' }>();
  if (o.inProcess && program.getOptionValueSource('rounds') === 'default') o.rounds = 10;
  const root = packageRoot();
  const sha = git(root, ['rev-parse', '--verify', `${o.base}^{commit}`]);
  const only = o.only ? new Set(o.only.split(',').filter(Boolean)) : undefined;
  const benchArgs = ['--expose-gc', 'dist/bench/run.js', ...(o.only ? ['--only', o.only] : []), ...(o.quick ? ['--quick'] : [])];

  // one directory per run: two A/B runs of the same base at once must not share (or remove) each other's worktree
  const baseDir = join(os.tmpdir(), `condis-ab-${sha.slice(0, 12)}-${process.pid}`);
  if (existsSync(baseDir)) git(root, ['worktree', 'remove', '--force', baseDir]);
  git(root, ['worktree', 'add', '--detach', baseDir, sha]);
  try {
    // the same dependencies as this tree, and its native addon when the base's sources are the same:
    // the comparison is of our code only. A base whose addon differs (its JS calls that addon) builds its own.
    symlinkSync(join(root, 'node_modules'), join(baseDir, 'node_modules'));
    if (sameNative(root, baseDir)) {
      if (existsSync(join(root, 'native', 'build'))) {
        mkdirSync(join(baseDir, 'native'), { recursive: true });
        rmSync(join(baseDir, 'native', 'build'), { recursive: true, force: true });
        symlinkSync(join(root, 'native', 'build'), join(baseDir, 'native', 'build'));
      }
    } else {
      console.log(`bench:ab: the base's native/ differs from this tree's: building the base's addon`);
      step("building the base's native addon", baseDir, ['scripts/install-native.mjs']);
    }
    if (!existsSync(join(baseDir, 'scripts', 'build.mjs'))) throw new AbError(`${o.base} (${sha.slice(0, 12)}) has no scripts/build.mjs: it predates the compiled bench; pick a later commit`);
    if (o.headBench) for (const f of readdirSync(join(root, 'bench'))) if (f.endsWith('.ts')) copyFileSync(join(root, 'bench', f), join(baseDir, 'bench', f));
    console.log(`bench:ab: base ${o.base} = ${sha.slice(0, 12)} in ${baseDir}${o.headBench ? " (with this tree's bench/*.ts)" : ''}; head = this tree (${root})`);
    console.log('building both...');
    step('building the base', baseDir, ['scripts/build.mjs']);
    step('building this tree', root, ['scripts/build.mjs', '--if-stale']);
    if (o.inProcess) {
      const r = spawnSync(process.execPath, ['--expose-gc', 'dist/bench/ab-inproc.js', o.inProcess, baseDir, root, String(o.rounds)], { cwd: root, stdio: 'inherit' });
      if (r.status !== 0) throw new AbError(`the in-process A/B failed (exit ${r.status ?? r.signal})`);
      return;
    }
    const sides = { base: { dir: baseDir, runs: [] as AbFigure[][] }, head: { dir: root, runs: [] as AbFigure[][] } };
    const loadBefore = load();
    for (let i = 0; i < o.rounds; i++) {
      const order = i % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const);
      for (const side of order) {
        const t0 = Date.now();
        step(`bench on ${side}`, sides[side].dir, benchArgs);
        const figs = figuresOf(sides[side].dir, only);
        sides[side].runs.push(figs);
        console.log(`  round ${i + 1}/${o.rounds}, ${side}: ${figs.length} figures in ${((Date.now() - t0) / 1000).toFixed(0)} s (load ${load()})`);
      }
    }
    const { rows, onlyBase, onlyHead } = abTable(sides.base.runs, sides.head.runs);
    console.log(`\nload average (1, 5, 15 min) before: ${loadBefore}, after: ${load()}; ${os.cpus().length} CPUs\n`);
    console.log(abMarkdown(rows, { base: sha.slice(0, 8), head: 'head' }));
    if (onlyBase.length) console.log(`\nonly the base measured: ${onlyBase.join('; ')}`);
    if (onlyHead.length) console.log(`\nonly the head measured: ${onlyHead.join('; ')}`);
    const worse = rows.filter((r) => r.worse);
    const pct = (g: number) => `${(g * 100).toFixed(1)}%`;
    console.log(
      worse.length
        ? `\nworse by more than 5% in the medians: ${worse.map((r) => `${r.section}: ${r.name} (${pct(r.gain)}; best runs ${pct(r.bestGain)}${r.confirmed ? ', confirmed' : ''})`).join('; ')}`
        : '\nno figure worse by more than 5%',
    );
    const out = join(root, 'bench', 'ab-results.json');
    writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), base: sha, rounds: o.rounds, only: o.only ?? null, quick: !!o.quick, load: { before: loadBefore, after: load() }, rows }, null, 2));
    console.log(`written: ${out}`);
  } finally {
    if (!o.keep) git(root, ['worktree', 'remove', '--force', baseDir]);
  }
}

try {
  await main();
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode;
  else if (e instanceof AbError) {
    console.error(`bench:ab: ${e.message}`);
    process.exitCode = 1;
  } else throw e;
}
