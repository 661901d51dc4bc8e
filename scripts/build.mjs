#!/usr/bin/env node
// Compiles the TypeScript (src/, daemons/, scripts/, bench/) into dist/ with
// tsc (tsconfig.build.json): the library (dist/src/), the benches and the
// scripts run that tree module by module. The two bins are then bundled
// with esbuild, each into one file (dist/daemons/condisd.js, condisctl.js,
// made executable): started as a tool, a bin reads one file instead of
// some 550 (rxjs alone is 224 CommonJS files), which halves its start-up
// CPU (bench: startup). Packages with native parts or worker threads stay
// outside the bundle and load from node_modules as before
// (scripts/bundle-external.json). The live view's page (src/view/page.*) is
// copied beside the compiled server that serves it.
//
//   node scripts/build.mjs            build (always)
//   node scripts/build.mjs --if-stale build only when a source is newer than
//                                     the last build (cheap: a walk of mtimes)
//
// The new tree is compiled beside dist/ and swapped in at the end, so a
// process running from dist/ meanwhile never sees a half-written tree.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');
const BINS = ['daemons/condisd.js', 'daemons/condisctl.js'];
/** files the compiled code reads beside itself, copied into dist/ as they are (the live view's page) */
const ASSETS = ['src/view/page.html', 'src/view/page.js', 'src/view/page.css'];
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
  if (!existsSync(stamp) || [...BINS, ...ASSETS].some((b) => !existsSync(join(dist, b)))) return true;
  const built = statSync(stamp).mtimeMs;
  const inputs = [
    ...['src', 'daemons', 'scripts', 'bench'].map((d) => newest(join(root, d))),
    ...['tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/bundle-external.json', ...ASSETS, ...compiledTestSources().map((f) => relative(root, f))].map((f) =>
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
  bundleBins(tmp);
  for (const a of ASSETS) copyFileSync(join(root, a), join(tmp, a));
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

/** the packages a bin loads from node_modules rather than from its bundle, and why (the install test reads the same file) */
const BUNDLE_EXTERNAL = JSON.parse(readFileSync(join(root, 'scripts', 'bundle-external.json'), 'utf8')).packages;

/** each bin bundled over its tsc output in `out` (esbuild, a development dependency like typescript) */
function bundleBins(out) {
  const esbuild = createRequire(join(root, 'package.json'))('esbuild');
  esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: BINS.map((b) => b.replace(/\.js$/, '.ts')),
    outdir: join(out, 'daemons'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    external: BUNDLE_EXTERNAL,
    // CommonJS packages in an ES module bundle ask for `require` (node: built-ins): give them Node's
    banner: { js: "import { createRequire as __condisRequire } from 'node:module'; const require = __condisRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!ifStale || isStale()) build();
}
