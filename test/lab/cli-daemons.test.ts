/**
 * The lab CLI with daemons: `up --name --start` on the routed lab (condisd
 * with etherip miniports, as a routed lab needs), `ctl HOST ...`, `run` of a
 * scenario, `stop`, `run --start`; a daemon that cannot start is a clear
 * LabError and nothing that was started keeps running.
 */
import type { ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labNsPrefix, labStatus } from '../../src/lab/lab.js';
import { uniqueName } from '../../src/lab/netns.js';
import { runSync } from '../../src/common/sh.js';
import { rootTest } from '../helpers/root.js';

function lab(runRoot: string, args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/lab.ts', '--run-root', runRoot, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function fresh(t: ExecutionContext): { name: string; runRoot: string; scenario: string } {
  const name = uniqueName('r');
  const runRoot = mkdtempSync(join(tmpdir(), 'clab-cli-'));
  const scenario = join(runRoot, 'call.yaml');
  writeFileSync(
    scenario,
    [
      'name: a call across the router',
      'steps:',
      '  - {host: b, do: listen}',
      '  - {host: a, do: call, to: b, as: c}',
      '  - expect: {host: b, indication: incoming-call, from: a, as: c}',
      '  - {host: a, do: close-call, call: c, closeData: "bye"}',
      '  - expect: {host: b, indication: incoming-close-call, call: c, closeData: "bye"}',
      '',
    ].join('\n'),
  );
  t.teardown(() => {
    lab(runRoot, ['down', name]);
    for (const ns of runSync('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(labNsPrefix(name))))
      runSync('ip', ['netns', 'del', ns]);
    rmSync(runRoot, { recursive: true, force: true });
  });
  return { name, runRoot, scenario };
}

async function running(name: string, runRoot: string): Promise<string[]> {
  const st = await labStatus(name, { runRoot });
  return st.processes.filter((p) => p.alive).map((p) => `${p.host}:${p.name ?? p.command}`);
}

rootTest('lab up --name --start on the routed lab (etherip), ctl, run, stop, run --start', async (t) => {
  const { name, runRoot, scenario } = fresh(t);
  const up = lab(runRoot, ['up', 'scripts/labs/routed.yaml', '--name', name, '--start']);
  t.is(up.code, 0, up.err);
  t.regex(up.out, new RegExp(`lab ${name} is up \\(routed\\)`));
  t.regex(up.out, /condisd started in a \(pid \d+\): socket .*\/hosts\/a\/condisd\.sock/);
  t.regex(up.out, /condisd started in b /);
  t.regex(up.out, /links are up/);

  // started twice: refused, and the running daemons stay the lab's (a second one used to take the pid file and
  // exit, leaving the first one out of reach of `lab stop`)
  const before = await running(name, runRoot);
  const twice = lab(runRoot, ['start', name]);
  t.is(twice.code, 1);
  t.regex(twice.err, /^lab: condisd is already running in a \(pid \d+\); stop it first \(lab stop\)\n$/);
  t.deepEqual(await running(name, runRoot), before);

  const st = lab(runRoot, ['ctl', '--lab', name, 'a', 'status']);
  t.is(st.code, 0, st.err);
  t.regex(st.out, /miniport etherip/);
  t.regex(st.out, /02:00:00:00:03:02 +b +3002 +static +yes/);

  const run = lab(runRoot, ['run', scenario, '--lab', name]);
  t.is(run.code, 0, run.out + run.err);
  t.regex(run.out, /PASSED\n$/);

  const stop = lab(runRoot, ['stop', name]);
  t.is(stop.code, 0, stop.err);
  t.is(stop.out, 'condisd stopped in a, b\n');
  t.deepEqual(await running(name, runRoot), []);

  const again = lab(runRoot, ['run', scenario, '--lab', name, '--start']);
  t.is(again.code, 0, again.out + again.err);
  t.regex(again.out, /PASSED\n$/);
  t.deepEqual(await running(name, runRoot), [], 'run --start stops the daemons it started');
});

rootTest('lab run --start: a daemon that cannot start is a LabError and nothing started keeps running', async (t) => {
  const { name, runRoot, scenario } = fresh(t);
  t.is(lab(runRoot, ['up', 'scripts/labs/routed.yaml', '--name', name]).code, 0);
  // b's control socket path is taken by a plain file: b's condisd refuses to start
  writeFileSync(join(runRoot, name, 'hosts', 'b', 'condisd.sock'), 'not a socket');
  const run = lab(runRoot, ['run', scenario, '--lab', name, '--start']);
  t.is(run.code, 1);
  t.regex(run.err, /^lab: condisd in b exited \(.*\); log:\n/);
  t.regex(run.err, /exists and is not a socket/);
  t.notRegex(run.err, /\n\s+at /, 'no stack trace');
  t.deepEqual(await running(name, runRoot), [], "a's condisd was stopped again");
});

rootTest('config/lab.yaml is the demo lab and comes up as it says (lab up config/lab.yaml)', async (t) => {
  const { name, runRoot } = fresh(t);
  const up = lab(runRoot, ['up', 'config/lab.yaml', '--name', name]);
  t.is(up.code, 0, up.err);
  t.regex(up.out, new RegExp(`lab ${name} is up \\(bridged\\)`));
  for (const h of ['root', 'leaf1', 'leaf2', 'leaf3']) t.regex(up.out, new RegExp(`\\n${h} +clab\\.${name}\\.${h} `));
  const down = lab(runRoot, ['down', name]);
  t.is(down.code, 0, down.err);
  t.regex(down.out, new RegExp(`lab ${name} is down: 5 namespace\\(s\\) deleted`));
});
