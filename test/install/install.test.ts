/**
 * condis-tap installed as an npm tool, the two ways the README gives, into
 * scratch prefixes (no root needed, nothing outside the scratch directory
 * changes; the npm registry is reached for the dependencies):
 *
 *  1. a clone: `npm ci` (builds the native helper and dist/), then `npm i -g .`
 *  2. the tarball of `npm pack`, installed with
 *     `npm i -g --allow-scripts=condis-tap,cap,raw-socket ./condis-tap-X.tgz`
 *     (npm 11 blocks the install scripts of global packages without it)
 *
 * Each must put working `condisd` and `condisctl` on PATH, run from `/`.
 * The clone is a copy of this working tree's files (committed or not).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { builtinModules } from 'node:module';
import { packageRoot } from '../../src/common/package-root.js';

const ROOT = packageRoot();
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

/** a child process, asynchronously (ava keeps track of a test that runs for a minute), killed after `timeout` ms */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeout = 240_000): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const r: Ran = { status: null, stdout: '', stderr: '' };
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.stdout.on('data', (b: Buffer) => (r.stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (r.stderr += b.toString()));
    child.on('error', (e) => (r.error = e));
    child.on('close', (code) => {
      clearTimeout(timer);
      r.status = code;
      resolve(r);
    });
  });
}

function explain(r: Ran): string {
  return `exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`;
}

/** PATH with the prefix's bin first and nothing of the clone's node_modules/.bin */
function pathWith(prefix: string): NodeJS.ProcessEnv {
  const rest = (process.env.PATH ?? '').split(':').filter((p) => !p.includes('node_modules'));
  return { ...process.env, PATH: [join(prefix, 'bin'), ...rest].join(':') };
}

async function checkBins(t: import('ava').ExecutionContext, prefix: string, how: string): Promise<void> {
  const env = pathWith(prefix);
  for (const bin of ['condisd', 'condisctl']) t.true(existsSync(join(prefix, 'bin', bin)), `${how}: ${bin} in ${prefix}/bin`);
  const v = await run('condisd', ['--version'], '/', env, 30_000);
  t.is(v.status, 0, `${how}: condisd --version: ${explain(v)}`);
  t.is(v.stdout.trim(), VERSION, how);
  const cv = await run('condisctl', ['--version'], '/', env, 30_000);
  t.is(cv.status, 0, `${how}: condisctl --version: ${explain(cv)}`);
  t.is(cv.stdout.trim(), VERSION, how);
  const h = await run('condisctl', ['--help'], '/', env, 30_000);
  t.is(h.status, 0, `${how}: condisctl --help: ${explain(h)}`);
  t.regex(h.stdout, /Usage: condisctl/, how);
  t.regex(h.stdout, /listen/, how);
  // the installed tree carries the built native helper (the TAP miniport needs it) and the dissector
  const pkg = join(prefix, 'lib', 'node_modules', 'condis-tap');
  t.true(existsSync(join(pkg, 'native', 'build', 'Release', 'condis_tap.node')), `${how}: native helper built`);
  t.true(existsSync(join(pkg, 'wireshark', 'condis.lua')), `${how}: Lua dissector shipped`);
  // the native helper loads from the installed tree (as condisd loads it)
  const load = await run(process.execPath, ['-e', `require(${JSON.stringify(join(pkg, 'native', 'build', 'Release', 'condis_tap.node'))})`], '/', env, 30_000);
  t.is(load.status, 0, `${how}: native helper loads: ${explain(load)}`);
}

const scratch = mkdtempSync(join(tmpdir(), 'condis-install-'));
const clone = join(scratch, 'clone');
const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

test.before('a clone of this working tree, then npm ci in it (builds the native helper and dist/)', async () => {
  const files = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT);
  if (files.status !== 0) throw new Error(`git ls-files: ${explain(files)}`);
  for (const f of files.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    cpSync(join(ROOT, f), join(clone, f));
  }
  const ci = await run('npm', ['ci', '--prefer-offline'], clone, npmEnv);
  if (ci.status !== 0) throw new Error(`npm ci: ${explain(ci)}`);
});

/** the packages a bin may still load from node_modules: the list scripts/build.mjs keeps outside the bundle */
const OUTSIDE_THE_BUNDLE = new Set((JSON.parse(readFileSync(join(ROOT, 'scripts', 'bundle-external.json'), 'utf8')) as { packages: string[] }).packages);

test.serial('the clone: each bin is one bundled file that loads only Node built-ins and the packages kept outside the bundle', (t) => {
  const builtins = new Set(builtinModules);
  for (const bin of ['condisd', 'condisctl']) {
    const code = readFileSync(join(clone, 'dist', 'daemons', `${bin}.js`), 'utf8');
    const specifiers = new Set([...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)(["'])([@\w./:-]+)\1/g)].map((m) => m[2]!));
    t.true(specifiers.size > 0, `${bin}: the check sees the bundle's imports`);
    const loaded = [...specifiers].filter((s) => !s.startsWith('node:') && !builtins.has(s) && !OUTSIDE_THE_BUNDLE.has(s));
    t.deepEqual(loaded, [], `${bin}: modules it would load from disk besides the bundle`);
    t.false(/from\s*["']\.\.?\//.test(code), `${bin}: no relative import left (the project's own modules are in the bundle)`);
  }
});

test.serial("the clone: the compiled live view serves its page (the build copies it beside the server)", async (t) => {
  // a view of no hosts on a free loopback port: each of the page's files, as a browser would ask for them
  const script = `
    const { startView } = await import('./dist/src/view/server.js');
    const view = await startView({ hosts: [], port: 0 });
    const got = [];
    for (const p of ['', 'page.js', 'page.css']) { const r = await fetch(new URL(p, view.url)); got.push([p, r.status, (await r.text()).length > 100]); }
    await view.close();
    console.log(JSON.stringify(got));`;
  const r = await run(process.execPath, ['--input-type=module', '-e', script], clone);
  t.is(r.status, 0, explain(r));
  t.deepEqual(JSON.parse(r.stdout), [
    ['', 200, true],
    ['page.js', 200, true],
    ['page.css', 200, true],
  ]);
});

test.serial('the clone: npm i -g . puts working condisd and condisctl on PATH', async (t) => {
  t.true(existsSync(join(clone, 'dist', 'daemons', 'condisd.js')), 'npm ci built dist/ (prepare)');
  const p1 = join(scratch, 'prefix-clone');
  const g1 = await run('npm', ['i', '-g', '--prefix', p1, '.'], clone, npmEnv);
  t.is(g1.status, 0, `npm i -g .: ${explain(g1)}`);
  await checkBins(t, p1, 'npm i -g .');
});

test.serial('the npm pack tarball: npm i -g --allow-scripts=... puts working condisd and condisctl on PATH', async (t) => {
  const pack = await run('npm', ['pack', '--silent'], clone, npmEnv);
  t.is(pack.status, 0, `npm pack: ${explain(pack)}`);
  const tgz = join(clone, pack.stdout.trim().split('\n').pop()!);
  t.true(existsSync(tgz), tgz);
  const listing = (await run('tar', ['tzf', tgz], scratch)).stdout.split('\n');
  for (const f of ['dist/daemons/condisd.js', 'dist/daemons/condisctl.js', 'native/binding.gyp', 'native/condis_tap.cc', 'wireshark/condis.lua', 'contrib/condisd.service', 'config/host-a.yaml', 'docs/wireshark.md']) {
    t.true(listing.includes(`package/${f}`), `the tarball ships ${f}`);
  }
  t.false(listing.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/') || f.startsWith('package/native/build')), 'no tests, sources or build output in the tarball');
  const p2 = join(scratch, 'prefix-tarball');
  const g2 = await run('npm', ['i', '-g', '--prefix', p2, '--prefer-offline', '--allow-scripts=condis-tap,cap,raw-socket', tgz], '/', npmEnv);
  t.is(g2.status, 0, `npm i -g TARBALL: ${explain(g2)}`);
  t.false(existsSync(join(p2, 'lib', 'node_modules', 'condis-tap', 'node_modules', 'tsx')), 'tsx is a development tool, not installed');
  await checkBins(t, p2, 'npm i -g TARBALL');
});
