#!/usr/bin/env node
// Installs what a fresh Debian machine lacks for `npm test` and `npm run demo`:
// system packages through apt-get (tshark, libpcap headers for `cap`, iproute2,
// a C++ toolchain for the native modules), then the npm packages with `npm ci`
// from the committed lockfile, then compiles dist/ when a source is newer than
// the last build (the demo runs the compiled JavaScript). Plain Node, no
// dependencies: it runs before node_modules exists. Does nothing when
// everything is already there.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const purpose = process.argv[2] ?? 'test';

/** [command or file that proves it is installed, Debian package] */
const needs = [
  ['/usr/bin/tshark', 'tshark'],
  ['/usr/include/pcap/pcap.h', 'libpcap-dev'],
  ['/usr/sbin/ip', 'iproute2'],
  ['/usr/sbin/tc', 'iproute2'],
  ['/usr/bin/make', 'make'],
  ['/usr/bin/g++', 'g++'],
  ['/usr/bin/python3', 'python3'],
  // the live view's browser test drives Debian's Chromium (playwright-core downloads no browser);
  // the service test checks contrib/condisd.service with systemd-analyze (the package is not started)
  ...(purpose === 'test' ? [['/usr/bin/chromium', 'chromium'], ['/usr/bin/systemd-analyze', 'systemd']] : []),
];

const has = (path) => existsSync(path) || existsSync(path.replace('/usr/sbin/', '/sbin/'));
const missing = [...new Set(needs.filter(([path]) => !has(path)).map(([, pkg]) => pkg))];

function sh(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`ensure-deps: '${cmd} ${args.join(' ')}' failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

if (missing.length > 0) {
  if (process.getuid?.() !== 0) {
    console.error(`ensure-deps: missing Debian packages ${missing.join(', ')}; run as root or install them with apt-get`);
    process.exit(1);
  }
  console.log(`ensure-deps: installing ${missing.join(', ')} (for npm ${purpose})`);
  sh('apt-get', ['update', '-q']);
  sh('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { DEBIAN_FRONTEND: 'noninteractive' });
}

// npm packages: `npm ci` when node_modules is missing or older than the lockfile.
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.log('ensure-deps: npm ci');
  sh('npm', ['ci', '--no-audit', '--no-fund'], {});
}

try {
  execFileSync(process.execPath, ['-e', "require('cap'); require('raw-socket')"], { cwd: root, stdio: 'pipe' });
} catch (e) {
  console.error(`ensure-deps: native modules did not load: ${String(e.stderr ?? e.message).trim()}`);
  process.exit(1);
}

// dist/: `npm ci` builds it (the `prepare` script); a later edit makes it stale
sh(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale']);
