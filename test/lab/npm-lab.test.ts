/**
 * `npm run lab`, as the README has users run it: the package script builds
 * dist/ when a source is newer and runs the compiled lab CLI, which starts
 * the compiled daemon bundles (not the TypeScript sources under tsx, which
 * spend about a second of CPU each compiling at start). A two-host lab is
 * brought up with its daemons, read through `ctl`, and taken down.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labNsPrefix } from '../../src/lab/lab.js';
import { uniqueName } from '../../src/lab/netns.js';
import { runSync } from '../../src/common/sh.js';
import { PROJECT_ROOT } from '../../src/demo/daemons.js';
import { rootTest } from '../helpers/root.js';

function npmLab(runRoot: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'lab', '--', '--run-root', runRoot, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

rootTest('npm run lab runs the compiled CLI, which starts the compiled daemons', async (t) => {
  // a build, when a source is newer than dist/, takes longer than ava's inactivity timeout under load
  t.timeout(15 * 60_000, 'npm run lab, building dist/ first when it is stale');
  const name = uniqueName('nl');
  const runRoot = mkdtempSync(join(tmpdir(), 'clab-npm-'));
  t.teardown(async () => {
    await npmLab(runRoot, ['down', name]);
    for (const ns of runSync('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(labNsPrefix(name))))
      runSync('ip', ['netns', 'del', ns]);
    rmSync(runRoot, { recursive: true, force: true });
  });

  const up = await npmLab(runRoot, ['up', 'scripts/labs/pair.yaml', '--name', name, '--start']);
  t.is(up.code, 0, up.out);
  t.regex(up.out, /condisd started in \S+ \(pid \d+\)/);
  const pidDir = join(runRoot, name, 'pids');
  const pids = readdirSync(pidDir).map((f) => Number(JSON.parse(readFileSync(join(pidDir, f), 'utf8')).pid));
  t.is(pids.length, 2, 'one daemon per host');
  for (const pid of pids) {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    t.deepEqual(argv.slice(1, 2), [join(PROJECT_ROOT, 'dist', 'daemons', 'condisd.js')], `daemon ${pid}: ${argv.join(' ')}`);
    t.false(argv.some((a) => a.includes('tsx')), 'no tsx loader');
  }

  const host = /^(\S+) +clab\./m.exec(up.out)?.[1];
  t.truthy(host, up.out);
  const ctl = await npmLab(runRoot, ['ctl', '--lab', name, host!, 'status']);
  t.is(ctl.code, 0, ctl.out);
  t.regex(ctl.out, new RegExp(`^condisd ${host} \\(`, 'm'), 'the host answers');
  t.regex(ctl.out, /^LINKS\n.*\n\S+ +\S+ +(user|network) +Data Transfer Ready +yes/m, 'with its link to the other up');

  const down = await npmLab(runRoot, ['down', name]);
  t.is(down.code, 0, down.out);
  t.regex(down.out, new RegExp(`lab ${name} is down: \\d+ namespace\\(s\\) deleted, 2 process\\(es\\) stopped`));
});
