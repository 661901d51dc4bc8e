import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSunAtm, LINKTYPE_SUNATM, pcapGlobalHeader, pcapRecord } from '../../src/capture/pcap.js';
import { labNsPrefix } from '../../src/lab/lab.js';
import { uniqueName } from '../../src/lab/netns.js';
import { runSync } from '../../src/common/sh.js';
import { rootTest } from '../helpers/root.js';

function lab(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/lab.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function nsOf(name: string): string[] {
  return runSync('ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(labNsPrefix(name)));
}

function fresh(t: ExecutionContext): { name: string; runRoot: string; file: string } {
  const name = uniqueName('c');
  const runRoot = mkdtempSync(join(tmpdir(), 'clab-cli-'));
  const file = join(runRoot, `${name}.yaml`);
  t.teardown(() => {
    for (const ns of nsOf(name)) runSync('ip', ['netns', 'del', ns]);
    rmSync(runRoot, { recursive: true, force: true });
  });
  return { name, runRoot, file };
}

rootTest('lab CLI: up, status, exec, down', (t) => {
  const { name, runRoot, file } = fresh(t);
  writeFileSync(
    file,
    `hosts:\n  - {name: root, mac: "02:00:00:00:07:01", address: "7001"}\n  - {name: leaf1, mac: "02:00:00:00:07:02", address: "7002", ip: 10.7.0.2/24}\n`,
  );
  const up = lab(['--run-root', runRoot, 'up', file]);
  t.is(up.code, 0, up.err);
  t.regex(up.out, new RegExp(`lab ${name} is up \\(bridged\\)`));
  t.regex(up.out, new RegExp(`leaf1 +clab\\.${name}\\.leaf1 +02:00:00:00:07:02 +7002 +10\\.7\\.0\\.2/24`));

  const st = lab(['--run-root', runRoot, 'status', name]);
  t.is(st.code, 0, st.err);
  t.regex(st.out, new RegExp(`lab ${name}: up \\(bridged\\)`));
  t.regex(st.out, /NAMESPACE +ROLE +HOST +LINK +STATE +MASTER +MAC +ADDRESSES +NETEM/);
  t.regex(st.out, /p1-leaf1 +UP +seg0/);
  t.regex(st.out, /br0 +UP +\S+ +10\.7\.0\.2\/24/);

  const json = JSON.parse(lab(['--run-root', runRoot, 'status', name, '--json']).out) as { state: string; namespaces: unknown[] };
  t.is(json.state, 'up');
  t.is(json.namespaces.length, 3);

  const ex = lab(['--run-root', runRoot, 'exec', 'leaf1', '--', 'ip', '-br', 'addr', 'show', 'br0']);
  t.is(ex.code, 0, ex.err);
  t.regex(ex.out, /^br0 .*10\.7\.0\.2\/24/);
  t.is(lab(['--run-root', runRoot, 'exec', 'leaf1', '--', 'false']).code, 1, 'the command\'s exit status');
  const unknownHost = lab(['--run-root', runRoot, 'exec', 'leaf9', '--', 'true']);
  t.is(unknownHost.code, 1);
  t.regex(unknownHost.err, /no host "leaf9"/);

  const down = lab(['--run-root', runRoot, 'down', file]);
  t.is(down.code, 0, down.err);
  t.regex(down.out, new RegExp(`lab ${name} is down: 3 namespace\\(s\\) deleted`));
  t.deepEqual(nsOf(name), []);
  t.false(existsSync(join(runRoot, name)));
  t.is(lab(['--run-root', runRoot, 'status', name]).code, 3, 'status of a lab that is not up');
});

test('lab CLI: bad files and arguments are clear errors', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clab-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'hosts:\n  - {name: a, mac: "02:00:00:00:00:01"}\n');
  const r = lab(['check', bad]);
  t.is(r.code, 2);
  t.regex(r.err, /invalid scenario .*bad\.yaml/);
  const s = lab(['status', bad]);
  t.is(s.code, 2);
  t.regex(s.err, /invalid topology .*bad\.yaml:\n {2}.*bad\.yaml:2:\d+: hosts\[0\]\.address: /);
  const u = lab(['frobnicate']);
  t.is(u.code, 2);
  t.regex(u.err, /unknown command 'frobnicate'/);
  t.regex(lab(['status', 'no such lab!']).err, /neither a lab name nor a \.yaml topology file/);
  // a ladder of a SunATM capture: one SETUP sent by root, as its daemon would write it
  const setup = Buffer.from([0x09, 0x03, 0x00, 0x00, 0x01, 0x05, 0x80, 0x00, 0x00, /* pad */ 0x00, 0x00, 0x00, /* SD trailer: pad 3, N(S) 0 */ 0xc8, 0x00, 0x00, 0x00]);
  const cap = join(dir, 'root.pcap');
  writeFileSync(cap, Buffer.concat([pcapGlobalHeader(LINKTYPE_SUNATM), pcapRecord(encodeSunAtm({ direction: 'tx', vpi: 0, vci: 5, sdu: setup }), 1_763_000_000_000)]));
  const ladder = lab(['ladder', cap, '--self', 'root', '--peer', 'leaf1', '--width', '60']);
  t.is(ladder.code, 0, ladder.err);
  t.regex(ladder.out, /^ *time ms +root +leaf1\n/);
  t.regex(ladder.out, /0\.000 +\|-+ SETUP -+>\|/);
  const html = join(dir, 'root.html');
  t.is(lab(['ladder', cap, '--html', html, '--title', 'one setup']).code, 0);
  t.regex(readFileSync(html, 'utf8'), /<title>one setup<\/title>/);
  t.regex(lab(['ladder', join(dir, 'none.pcap')]).err, /no capture file/);

  const ok = lab(['check', 'scripts/labs/scenarios/drop-party.yaml']);
  t.is(ok.code, 0, ok.err);
  t.regex(ok.out, /15 step\(s\), hosts leaf1, leaf2, leaf3, root: ok/);
});

rootTest('lab CLI: run plays a scenario against condisd started in the lab, and says which step failed', (t) => {
  const { name, runRoot, file } = fresh(t);
  writeFileSync(file, `hosts:\n  - {name: a, mac: "02:00:00:00:08:01", address: "8001"}\n  - {name: b, mac: "02:00:00:00:08:02", address: "8002"}\n`);
  t.is(lab(['--run-root', runRoot, 'up', file]).code, 0);
  const pass = lab(['--run-root', runRoot, 'run', 'scripts/labs/scenarios/close-data-too-long.yaml', '--lab', name, '--start']);
  t.is(pass.code, 0, pass.out + pass.err);
  t.regex(pass.out, /ok +4 {2}a: close c with close data 0x0011223344556677… \(128 octets\), expecting INVALID_DATA/);
  t.regex(pass.out, /PASSED\n$/);
  // the daemons it started are stopped and forgotten
  const st = JSON.parse(lab(['--run-root', runRoot, 'status', name, '--json']).out) as { processes: unknown[]; problems: string[] };
  t.deepEqual(st.processes, []);
  t.deepEqual(st.problems, []);

  const scenario = join(runRoot, 'fail.yaml');
  writeFileSync(scenario, 'steps:\n  - {host: b, do: listen}\n  - {host: a, do: call, to: b, as: c}\n  - expect: {host: b, indication: incoming-close-call}\n    timeout: 300ms\n  - {host: a, do: close-call, call: c}\n');
  const fail = lab(['--run-root', runRoot, 'run', scenario, '--lab', name, '--start']);
  t.is(fail.code, 1);
  t.regex(fail.out, /FAIL +3 {2}b: expect incoming-close-call\n +no such indication within 300ms; b saw instead: b: incoming-call/);
  t.regex(fail.out, /skip +4/);
  t.regex(fail.out, /FAILED at step 3\n$/);
  // without daemons: a clear error
  const none = lab(['--run-root', runRoot, 'run', scenario, '--lab', name]);
  t.is(none.code, 1);
  t.regex(none.err, /condisd is not running in b \(no control socket/);
  t.is(lab(['--run-root', runRoot, 'down', name]).code, 0);
});
