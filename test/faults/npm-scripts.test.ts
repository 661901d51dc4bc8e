/**
 * The robustness tools as the docs have people run them: `npm run fuzz`,
 * `npm run leaks` and `npm run soak` build dist/ when a source is newer and
 * run the compiled scripts (package.json), leaks with `--expose-gc`. Short
 * runs: the long ones are for people (docs/robustness.md); what they check
 * is tested in-process by test/fuzz, test/leaks and test/faults/soak.test.ts.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { packageRoot } from '../../src/common/package-root.js';

function npmRun(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', script, '--', ...args], { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

// a build, when a source is newer than dist/, takes longer than ava's inactivity timeout under load
const BUILD = 15 * 60_000;

test.serial('npm run leaks: the compiled leak run, with the collector exposed, ends with every counter at zero', async (t) => {
  t.timeout(BUILD, 'npm run leaks, building dist/ first when it is stale');
  const r = await npmRun('leaks', ['--cycles', '300']);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /^leaks: 300 cycles \(pending completion\) after 300 warm-up; RSS [\d.]+ MiB, heap [\d.]+ MiB, timers \d+$/m);
  t.notRegex(r.out, /run with node --expose-gc/, 'the collector is exposed');
  t.regex(r.out, /^leaks: ok$/m);
});

test.serial('npm run fuzz -- --memory: the compiled fuzzer over the memory miniport', async (t) => {
  t.timeout(BUILD, 'npm run fuzz, building dist/ first when it is stale');
  const r = await npmRun('fuzz', ['--memory', '--seeds', '7-8', '--frames', '2000']);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /^seed 7: 2000 inputs at \d+\/s, 0 error\(s\), call ok/m);
  t.regex(r.out, /^seed 8: 2000 inputs at \d+\/s, 0 error\(s\), call ok/m);
});

test.serial('npm run soak -- --help: the compiled soak says what it takes; a bad argument is refused, saying what is wrong', async (t) => {
  t.timeout(BUILD, 'npm run soak, building dist/ first when it is stale');
  const help = await npmRun('soak', ['--help']);
  t.is(help.code, 0, help.out);
  t.regex(help.out, /--switch-hosts <n>/);
  const bad = await npmRun('soak', ['--minutes', 'x']);
  t.not(bad.code, 0, bad.out);
  t.regex(bad.out, /--minutes must be a number from 0\.25 to 1440, got "x"/);
});
