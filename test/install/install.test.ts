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
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';

const ROOT = packageRoot();
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeout = 300_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout });
}

function explain(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status ?? r.signal}${r.error ? ` (${r.error.message})` : ''}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`;
}

/** PATH with the prefix's bin first and nothing of the clone's node_modules/.bin */
function pathWith(prefix: string): NodeJS.ProcessEnv {
  const rest = (process.env.PATH ?? '').split(':').filter((p) => !p.includes('node_modules'));
  return { ...process.env, PATH: [join(prefix, 'bin'), ...rest].join(':') };
}

function checkBins(t: import('ava').ExecutionContext, prefix: string, how: string): void {
  const env = pathWith(prefix);
  for (const bin of ['condisd', 'condisctl']) t.true(existsSync(join(prefix, 'bin', bin)), `${how}: ${bin} in ${prefix}/bin`);
  const v = run('condisd', ['--version'], '/', env, 30_000);
  t.is(v.status, 0, `${how}: condisd --version: ${explain(v)}`);
  t.is(v.stdout.trim(), VERSION, how);
  const h = run('condisctl', ['--help'], '/', env, 30_000);
  t.is(h.status, 0, `${how}: condisctl --help: ${explain(h)}`);
  t.regex(h.stdout, /Usage: condisctl/, how);
  t.regex(h.stdout, /listen/, how);
  // the installed tree carries the built native helper (the TAP miniport needs it) and the dissector
  const pkg = join(prefix, 'lib', 'node_modules', 'condis-tap');
  t.true(existsSync(join(pkg, 'native', 'build', 'Release', 'condis_tap.node')), `${how}: native helper built`);
  t.true(existsSync(join(pkg, 'wireshark', 'condis.lua')), `${how}: Lua dissector shipped`);
  // the native helper loads from the installed tree (as condisd loads it)
  const load = run(process.execPath, ['-e', `require(${JSON.stringify(join(pkg, 'native', 'build', 'Release', 'condis_tap.node'))})`], '/', env, 30_000);
  t.is(load.status, 0, `${how}: native helper loads: ${explain(load)}`);
}

test('npm ci + npm i -g . from a clone, and npm i -g of the npm pack tarball, give working condisd and condisctl on PATH', (t) => {
  t.timeout(600_000, 'npm ci, npm pack and two global installs with native builds');
  const scratch = mkdtempSync(join(tmpdir(), 'condis-install-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const clone = join(scratch, 'clone');
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT);
  t.is(files.status, 0, explain(files));
  for (const f of files.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    cpSync(join(ROOT, f), join(clone, f));
  }
  const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

  // 1. the clone
  const ci = run('npm', ['ci', '--prefer-offline'], clone, npmEnv);
  t.is(ci.status, 0, `npm ci: ${explain(ci)}`);
  t.true(existsSync(join(clone, 'dist', 'daemons', 'condisd.js')), 'npm ci built dist/ (prepare)');
  const p1 = join(scratch, 'prefix-clone');
  const g1 = run('npm', ['i', '-g', '--prefix', p1, '.'], clone, npmEnv);
  t.is(g1.status, 0, `npm i -g .: ${explain(g1)}`);
  checkBins(t, p1, 'npm i -g .');

  // 2. the tarball
  const pack = run('npm', ['pack', '--silent'], clone, npmEnv);
  t.is(pack.status, 0, `npm pack: ${explain(pack)}`);
  const tgz = join(clone, pack.stdout.trim().split('\n').pop()!);
  t.true(existsSync(tgz), tgz);
  const listing = run('tar', ['tzf', tgz], scratch).stdout.split('\n');
  for (const f of ['dist/daemons/condisd.js', 'dist/daemons/condisctl.js', 'native/binding.gyp', 'native/condis_tap.cc', 'wireshark/condis.lua', 'contrib/condisd.service', 'config/host-a.yaml', 'docs/wireshark.md']) {
    t.true(listing.includes(`package/${f}`), `the tarball ships ${f}`);
  }
  t.false(listing.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/') || f.startsWith('package/native/build')), 'no tests, sources or build output in the tarball');
  const p2 = join(scratch, 'prefix-tarball');
  const g2 = run('npm', ['i', '-g', '--prefix', p2, '--prefer-offline', '--allow-scripts=condis-tap,cap,raw-socket', tgz], '/', npmEnv);
  t.is(g2.status, 0, `npm i -g TARBALL: ${explain(g2)}`);
  t.false(existsSync(join(p2, 'lib', 'node_modules', 'condis-tap', 'node_modules', 'tsx')), 'tsx is a development tool, not installed');
  checkBins(t, p2, 'npm i -g TARBALL');
});
