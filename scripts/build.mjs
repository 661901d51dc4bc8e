#!/usr/bin/env node
// Compiles the TypeScript (src/, daemons/, scripts/, bench/) into dist/ with
// tsc (tsconfig.build.json); the bins dist/daemons/condisd.js and
// condisctl.js are made executable. Plain Node, no dependencies besides
// typescript itself.
//
//   node scripts/build.mjs            build (always)
//   node scripts/build.mjs --if-stale build only when a source is newer than
//                                     the last build (cheap: a walk of mtimes)
//
// The new tree is compiled beside dist/ and swapped in at the end, so a
// process running from dist/ meanwhile never sees a half-written tree.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');
const BINS = ['daemons/condisd.js', 'daemons/condisctl.js'];
const ifStale = process.argv.includes('--if-stale');

/** newest mtime among the .ts files and directories under `dir` (a removed file changes its directory's mtime) */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** the test/ helpers the build compiles (scripts and benches import a few): their sources */
function compiledTestSources(dir = join(dist, 'test')) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return compiledTestSources(p);
    return e.name.endsWith('.js') ? [join(root, relative(dist, p).replace(/\.js$/, '.ts'))] : [];
  });
}

export function isStale() {
  if (!existsSync(stamp) || BINS.some((b) => !existsSync(join(dist, b)))) return true;
  const built = statSync(stamp).mtimeMs;
  const inputs = [
    ...['src', 'daemons', 'scripts', 'bench'].map((d) => newest(join(root, d))),
    ...['tsconfig.json', 'tsconfig.build.json', 'package.json', ...compiledTestSources().map((f) => relative(root, f))].map((f) =>
      existsSync(join(root, f)) ? statSync(join(root, f)).mtimeMs : Infinity,
    ),
  ];
  return inputs.some((t) => t > built);
}

function build() {
  let tsc;
  try {
    tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    if (existsSync(stamp)) {
      console.log('build: typescript is not installed (an installed package?); keeping the existing dist/');
      return;
    }
    console.error("build: typescript is not installed: run 'npm ci' first");
    process.exit(1);
  }
  const tmp = join(root, `dist.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', tmp], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    console.error(`build: tsc failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  for (const b of BINS) chmodSync(join(tmp, b), 0o755);
  // stamped with the start time: a source saved while tsc ran counts as newer than this build
  writeFileSync(join(tmp, '.build-stamp'), `${new Date(t0).toISOString()}\n`);
  utimesSync(join(tmp, '.build-stamp'), t0 / 1000, t0 / 1000);
  const old = join(root, `dist.old-${process.pid}`);
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(tmp, dist);
  rmSync(old, { recursive: true, force: true });
  console.log(`build: dist/ compiled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!ifStale || isStale()) build();
}
