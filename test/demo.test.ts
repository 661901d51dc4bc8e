/**
 * The main job as a test: the demo as `npm run demo` runs it (compiled,
 * `dist/scripts/demo.js`, built first when a source is newer) run for real
 * (root -- switch -- three leaves in five namespaces, five condisd over TAP
 * devices, tshark on the captures; and the switchless form, --direct) in a
 * lab with a name of its own. The demo checks each step itself and exits 0 only when
 * all passed; the test asserts that, the step list, and what it left behind
 * (nothing in the kernel, the outputs on disk). A second run is interrupted
 * mid-way: it must still remove every namespace, link and process.
 *
 * The demo is the test suite's proof of the compiled tree: it spawns the
 * compiled condisd (the other tests spawn the sources through tsx).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootTest } from './helpers/root.js';
import { buildIfStale } from './helpers/build.js';
import { runSync } from '../src/common/sh.js';
import { uniqueName } from '../src/lab/netns.js';
import { PROJECT_ROOT } from '../src/demo/daemons.js';
import { labDown } from '../src/lab/lab.js';

test.before('dist/ is the build of the current sources (built here only when a source is newer than the last build)', buildIfStale);

function runDemo(args: string[], onLine?: (line: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'scripts', 'demo.js'), '--no-color', ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let partial = '';
    const take = (b: Buffer) => {
      out += b.toString();
      partial += b.toString();
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        onLine?.(partial.slice(0, nl), child);
        partial = partial.slice(nl + 1);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** what the kernel still holds for a lab: namespaces, interfaces named after it, condisd processes */
function leftovers(lab: string): string[] {
  const left: string[] = [];
  for (const ns of runSync('ip', ['netns', 'list']).stdout.split('\n')) if (ns.includes(lab)) left.push(`namespace ${ns.split(' ')[0]}`);
  for (const l of runSync('ip', ['-o', 'link']).stdout.split('\n')) if (l.includes(lab)) left.push(`link ${l.split(':')[1]?.trim()}`);
  for (const p of runSync('pgrep', ['-af', 'condisd']).stdout.split('\n')) if (p.includes(lab)) left.push(`process ${p}`);
  if (existsSync(join('/run/condis-lab', lab))) left.push(`run directory /run/condis-lab/${lab}`);
  return left;
}

rootTest('the demo through the switch (the default) passes every step, shows every Q.2971 message on the wire, checks its captures and leaves nothing behind', async (t) => {
  t.timeout(600_000);
  const name = uniqueName('demw');
  const out = mkdtempSync(join(tmpdir(), 'condis-demo-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  t.teardown(() => labDown(name).then(() => {}, () => {}));
  const r = await runDemo(['--name', name, '--out', out]);
  t.deepEqual(leftovers(name), [], 'the demo removed its lab itself');
  t.is(r.code, 0, r.out.slice(-4000));
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { passed: boolean; steps: { title: string; ok: boolean; detail?: string }[] };
  t.true(summary.passed);
  t.is(summary.steps.length, 19);
  t.true(summary.steps.every((s) => s.ok));
  const detail = (i: number) => summary.steps[i]!.detail ?? '';
  t.regex(detail(5), /an incoming call of its own/, "leaf2's second address is a party of its own");
  t.regex(detail(7), /leaf2 \(1003\) received "hello, leaves"\nleaf2 \(1005\) received "hello, leaves"/);
  t.regex(detail(9), /leaf2 \(1005\): ProtocolClIncomingCloseCall\(SUCCESS, close data "leaf2 \(1005\): goodbye"\); its call for 1003 is still up/);
  t.regex(detail(10), /close data "leaf2 \(1003\): goodbye too"/);
  t.regex(detail(11), /close data "leaf1: the call is over"/);
  t.regex(detail(13), /leaf3: ProtocolClIncomingCallQoSChange \(receive PCR 2000 cells\/s\) refused[\s\S]*root: ProtocolClModifyCallQoSComplete\(FAILURE, MODIFY REJECT cause 37 .*\), then ProtocolClIncomingCloseCall\(SUCCESS\)/);
  t.regex(detail(14), /ProtocolClIncomingCloseCall\((?!SUCCESS)[A-Z_]+\).*deleted VC/);
  t.regex(detail(15), /sw1: calls 0, fabric connections 0/);
  t.regex(detail(17), /72 Q\.2931 messages on 4 links as expected/);
  t.regex(detail(17), /sw1\.pcapng: \d+ frames, 72 Q\.2931 messages on 4 port interfaces as expected/);
  for (const f of ['ladder.html', 'ladder.txt', 'port-p1-ethernet.pcap', 'port-p3-ethernet.pcap', 'sw1.pcapng', 'root.pcapng', 'leaf2.pcapng']) t.true(existsSync(join(out, f)), f);
  const ladder = readFileSync(join(out, 'ladder.txt'), 'utf8');
  t.regex(ladder.split('\n')[0]!, /root +sw1 +leaf1 +leaf2 +leaf3/);
  t.regex(ladder, /DROP PARTY \(close data: 'leaf2 \(1005\): goodbye'\)/);
  t.regex(ladder, /MODIFY REJECT/);
});

rootTest('the direct demo (--direct: no switch) passes every step over real TAP devices, checks its captures and leaves nothing behind', async (t) => {
  const name = uniqueName('demo');
  const out = mkdtempSync(join(tmpdir(), 'condis-demo-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  // whatever the demo did, the machine is left clean (the assertions below say whether the demo did it itself)
  t.teardown(() => labDown(name).then(() => {}, () => {}));
  const r = await runDemo(['--direct', '--name', name, '--out', out]);
  t.deepEqual(leftovers(name), [], 'the demo removed its lab itself');
  t.is(r.code, 0, r.out.slice(-4000));
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { passed: boolean; steps: { title: string; ok: boolean; detail?: string }[] };
  t.true(summary.passed);
  t.is(summary.steps.length, 16);
  t.true(summary.steps.every((s) => s.ok));
  const detail = (i: number) => summary.steps[i]!.detail ?? '';
  t.regex(detail(6), /leaf1 received "hello, leaves"[\s\S]*leaf3 received "hello, leaves"/);
  t.regex(detail(7), /ProtocolClIncomingDropParty\(party \d+, SUCCESS\)/);
  t.regex(detail(8), /close data "leaf2: thanks for joining, goodbye"/);
  t.regex(detail(9), /close data "leaf1: the call is over"/);
  t.regex(detail(10), /ProtocolClIncomingCloseCall\(SUCCESS, close data "leaf1 hangs up"\)/);
  t.regex(detail(11), /ProtocolClIncomingCloseCall\((?!SUCCESS)[A-Z_]+\).*deleted VC/);
  t.regex(detail(14), /23 Q\.2931 messages on 3 links as expected/);
  for (const f of ['ladder.html', 'ladder.txt', 'segment-ethernet.pcap', 'root.pcapng', 'leaf1.pcapng']) t.true(existsSync(join(out, f)), f);
  t.regex(readFileSync(join(out, 'ladder.html'), 'utf8'), /<svg[\s\S]*DROP PARTY|<svg[\s\S]*RELEASE/);
});

rootTest('an interrupted demo still removes every namespace, link and process it made', async (t) => {
  const name = uniqueName('demi');
  const out = mkdtempSync(join(tmpdir(), 'condis-demo-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  t.teardown(() => labDown(name).then(() => {}, () => {}));
  let interrupted = false;
  let sawLab = false;
  let daemons: string[] = [];
  const r = await runDemo(['--name', name, '--out', out], (line, child) => {
    // interrupt once the daemons run and calls are being made
    if (line.startsWith('[ 5]') && !interrupted) {
      sawLab = leftovers(name).some((l) => l.startsWith('namespace'));
      daemons = runSync('pgrep', ['-af', 'condisd']).stdout.split('\n').filter((p) => p.includes(name));
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  // first what was left (ava shows only a test's first failed assertion)
  t.deepEqual(leftovers(name), [], r.out.slice(-2000));
  t.true(interrupted, r.out.slice(-2000));
  t.true(sawLab, 'the lab existed when the demo was interrupted');
  t.true(daemons.length >= 1, 'condisd processes ran when the demo was interrupted');
  t.true(daemons.every((p) => p.includes(join(PROJECT_ROOT, 'dist', 'daemons', 'condisd.js')) && !p.includes('tsx')), `the compiled demo runs the compiled condisd:\n${daemons.join('\n')}`);
  t.is(r.code, 130, r.out.slice(-2000));
});
