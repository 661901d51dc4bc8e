#!/usr/bin/env node
// The package's install script: builds the N-API helper (native/) with
// node-gyp, unless the built addon is already newer than its sources.
// Runs in three places: `npm ci` in a clone, `npm i -g .` (a link to the
// clone: npm runs this script there but installs no dependencies), and
// `npm i -g ./condis-tap-X.tgz` (only with --allow-scripts: npm 11 blocks
// install scripts of global packages by default).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'native', 'build', 'Release', 'condis_tap.node');
const sources = ['binding.gyp', 'condis_tap.cc'].map((f) => join(root, 'native', f));

try {
  createRequire(join(root, 'package.json')).resolve('node-addon-api');
} catch {
  console.error(
    `condis-tap: the package's dependencies are not installed in ${root} (node-addon-api is missing).\n` +
      `In a clone, run 'npm ci' there first, then 'npm i -g .'.`,
  );
  process.exit(1);
}

if (existsSync(addon) && sources.every((s) => statSync(s).mtimeMs <= statSync(addon).mtimeMs)) {
  console.log('condis-tap: native helper already built');
  process.exit(0);
}

// npm hands its own node-gyp to lifecycle scripts; outside npm, the one on PATH
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild', '-C', 'native']] : ['node-gyp', ['rebuild', '-C', 'native']];
const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(`condis-tap: building the native helper failed (${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}); it needs make, g++, python3 and libpcap-dev`);
  process.exit(1);
}
