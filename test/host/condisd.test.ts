/**
 * condisd as a user meets it: bad configuration and arguments get a message
 * that says what and where; a second instance on the same socket or device
 * refuses; SIGINT/SIGTERM stop it cleanly; a killed daemon's SunATM capture
 * is still readable; a control client sending garbage gets an error and the
 * daemon keeps serving.
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootTest } from '../helpers/root.js';
import { startLab } from '../helpers/lab.js';
import { PROJECT_ROOT, writeDaemonConfig } from '../../src/demo/daemons.js';
import { readPcap } from '../../src/capture/pcap.js';
import { runSync } from '../../src/common/sh.js';

const CONDISD = join(PROJECT_ROOT, 'daemons', 'condisd.ts');

function condisd(args: string[], opts: { netns?: string } = {}) {
  const argv = ['--import', 'tsx', CONDISD, ...args];
  return opts.netns
    ? spawnSync('ip', ['netns', 'exec', opts.netns, process.execPath, ...argv], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 30_000 })
    : spawnSync(process.execPath, argv, { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 30_000 });
}

test('condisd: a configuration error names the file, the line, the path and what is wrong (exit 2)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'condisd-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'name: x\nminiport:\n  kind: tap\n  device: tap0\naddresses: ["1001"]\ncloseData:\n  maxOctets: 500\n');
  const r = condisd(['--config', file]);
  t.is(r.status, 2);
  t.regex(r.stderr, /bad\.yaml:7/);
  t.regex(r.stderr, /closeData\.maxOctets/);
  t.notRegex(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
});

test('condisd: a missing configuration file and bad arguments are refused with a clear message', (t) => {
  const r1 = condisd(['--config', '/nonexistent/condisd.yaml']);
  t.is(r1.status, 2);
  t.regex(r1.stderr, /\/nonexistent\/condisd\.yaml/);
  const r2 = condisd(['--config', 'x.yaml', '--log-level', 'loud']);
  t.is(r2.status, 2);
  t.regex(r2.stderr, /log-level/);
  const r3 = condisd([]);
  t.is(r3.status, 2);
  t.regex(r3.stderr, /--config/);
});

rootTest('condisd: a second instance on the same socket refuses with a clear message; the first keeps serving', async (t) => {
  const { lab, d } = await startLab(t, 1);
  const first = d('h1');
  const { file } = writeDaemonConfig(lab, 'h1');
  const r = condisd(['--config', file], { netns: lab.host('h1').nsName });
  t.is(r.status, 1);
  t.regex(r.stderr, /already running|another server|busy|in use/i);
  t.true(first.alive());
  const info = (await first.control.info()) as { addresses: string[] };
  t.deepEqual(info.addresses, ['3001']);
});

for (const signal of ['SIGINT', 'SIGHUP'] as const) {
  rootTest(`condisd: ${signal} stops it cleanly: it ends its shutdown ("stopped", logged just before exit 0), socket removed, TAP released`, async (t) => {
    const { lab, d } = await startLab(t, 1);
    const daemon = d('h1');
    t.true(existsSync(daemon.socket));
    process.kill(daemon.process.pid, signal);
    // a detached lab process: its exit code is not ours to read; its log says how it ended
    while (daemon.alive()) await new Promise((r) => setTimeout(r, 25));
    t.false(existsSync(daemon.socket), 'control socket removed');
    const links = runSync('ip', ['-n', lab.host('h1').nsName, 'link', 'show', 'tap0']);
    t.not(links.code, 0, 'tap0 is gone');
    const log = readFileSync(daemon.process.logFile, 'utf8');
    t.regex(log, new RegExp(`"signal":"${signal}".*"msg":"shutting down`));
    t.regex(log, /"msg":"stopped"/);
  });
}

rootTest('condisd: malformed control requests get errors and the daemon keeps serving', async (t) => {
  const { d } = await startLab(t, 1);
  const daemon = d('h1');
  const replies = await new Promise<string[]>((resolve, reject) => {
    const s = connect(daemon.socket);
    let buf = '';
    s.on('data', (b) => {
      buf += b.toString();
      const lines = buf.split('\n').filter(Boolean);
      if (lines.length >= 4) {
        s.destroy();
        resolve(lines);
      }
    });
    s.on('error', reject);
    s.write('this is not json\n');
    s.write('{"id":1,"op":"launch-missiles","args":{}}\n');
    s.write('{"id":2,"op":"drop-party","args":{"vc":999,"party":1}}\n');
  });
  const msgs = replies.map((l) => JSON.parse(l) as { type: string; ok?: boolean; error?: { code: string } });
  t.is(msgs[0]!.type, 'hello');
  t.deepEqual(
    msgs.slice(1).map((m) => m.error?.code),
    ['bad-json', 'unknown-op', 'not-found'],
  );
  t.true(daemon.alive());
  t.truthy(await daemon.control.info());
});

rootTest("condisd: a SIGKILLed daemon's SunATM capture is readable up to its last frame", async (t) => {
  const { d } = await startLab(t, 2);
  const a = d('h1');
  await d('h2').control.registerSap({ address: '3002' });
  const call = (await a.control.makeCall({ called: '3002' })) as { vc: number };
  await a.control.send({ vc: call.vc, data: 'before the kill' });
  t.true(await a.stop('SIGKILL'));
  const r = readPcap(a.capture);
  t.true(r.ok, r.ok ? '' : r.error.message);
  if (!r.ok) return;
  t.is(r.value.linkType, 123);
  t.true(r.value.records.length > 5);
  t.true(r.value.records.some((rec) => rec.data.includes(Buffer.from('before the kill'))));
});
