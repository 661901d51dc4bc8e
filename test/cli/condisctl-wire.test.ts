/**
 * condisctl against real daemons (condisd over TAP devices in namespaces):
 * what crosses the wire and what people are told about it. A rejection's
 * cause travels end to end and is named at the caller; errors name the real
 * problem (the SAP's holder, the close data limit, the known peers, a control
 * socket already in use); status fills party P-states and the calling
 * address, and a leaf of a multipoint call says so; pipe keeps the call until
 * the caller hangs up, fails loudly when the far side closes early, and keeps
 * a file whole with acknowledgements and its tally on the wire.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootTest } from '../helpers/root.js';
import { startLab } from '../helpers/lab.js';
import { PROJECT_ROOT } from '../../src/demo/daemons.js';
import { ControlError } from '../../src/control/errors.js';
import { waitUntil } from '../helpers/wait.js';
import { readPcap } from '../../src/capture/pcap.js';

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** condisctl (or condisd) as a child process; stdin: a string, a file, or nothing (/dev/null) */
function start(script: 'condisctl' | 'condisd', args: string[], stdin?: { file: string } | string): { p: ChildProcess; done: Promise<Run>; out(): Buffer; err(): string } {
  const fd = stdin !== undefined && typeof stdin === 'object' ? openSync(stdin.file, 'r') : undefined;
  const p = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'daemons', `${script}.ts`), ...args], {
    cwd: PROJECT_ROOT,
    stdio: [fd ?? (typeof stdin === 'string' ? 'pipe' : 'ignore'), 'pipe', 'pipe'],
  });
  if (fd !== undefined) closeSync(fd);
  if (typeof stdin === 'string') p.stdin!.end(stdin);
  const out: Buffer[] = [];
  let err = '';
  p.stdout!.on('data', (d: Buffer) => out.push(d));
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<Run>((resolve) => p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err })));
  return { p, done, out: () => Buffer.concat(out), err: () => err };
}

function ctl(socket: string, args: string[], stdin?: { file: string } | string) {
  return start('condisctl', ['--socket', socket, ...args], stdin);
}

const until = (what: string, cond: () => boolean, ms = 60_000) => waitUntil(what, cond, { ms, every: 50 });

/** `octets` random octets in a file for pipe's standard input, removed after the test */
function inputFile(t: { teardown(fn: () => void): void }, octets: number): { input: string; data: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'cli-lab-pipe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'in.bin');
  const data = randomBytes(octets);
  writeFileSync(input, data);
  return { input, data };
}

rootTest('listen --reject 17: cause 17 crosses the wire and the caller is told "rejected by h2: cause 17 user busy"; answer-call names its own cause', async (t) => {
  const { d } = await startLab(t, 2);
  const a = d('h1');
  const b = d('h2');
  const listener = ctl(b.socket, ['listen', '3002', '--reject', '17']);
  await until('the listener', () => /rejecting with cause 17/.test(listener.out().toString()));
  const call = await ctl(a.socket, ['call', '3002']).done;
  t.is(call.code, 1);
  t.is(call.stderr, 'condisctl: call to 3002 rejected by h2: cause 17 user busy\n');
  listener.p.kill('SIGINT');
  t.is((await listener.done).code, 0);

  // policy ask, then answer-call with cause 18: that cause goes out instead
  const sap = await b.control.registerSap({ address: '3002', policy: 'ask' });
  const offered = b.next('incoming-call', (e) => e.awaitingAnswer);
  const making = a.control.makeCall({ called: '3002' });
  making.catch(() => {});
  await b.control.answerCall({ vc: (await offered).vc, accept: false, cause: 18 });
  const e = await t.throwsAsync(making, { instanceOf: ControlError });
  t.is(e!.message, 'call to 3002 rejected by h2: cause 18 no user responding');
  t.is(e!.describe(), 'call to 3002 rejected by h2: cause 18 no user responding', 'no NDIS_STATUS bracket after a cause');
  await b.control.deregisterSap({ sap: sap.sap });
});

rootTest('errors name the real problem: the SAP holder, the close data limit, the known peers, a control socket in use', async (t) => {
  const { lab, d } = await startLab(t, 2);
  const a = d('h1');
  const b = d('h2');

  const first = ctl(b.socket, ['listen', '3002']);
  await until('the first listener', () => /listening on 3002/.test(first.out().toString()));
  const second = await ctl(b.socket, ['listen', '3002']).done;
  t.is(second.code, 1);
  t.regex(second.stderr, new RegExp(`^condisctl: SAP 3002 is already registered \\(SAP \\d+, by condisctl listen \\(pid ${first.p.pid}\\)\\); deregister it first \\[NDIS_STATUS_SAP_IN_USE \\(0xc0010021\\)\\]\\n$`));

  const call = await ctl(a.socket, ['call', '3002', '--json']).done;
  t.is(call.code, 0, call.stderr);
  const vc = (JSON.parse(call.stdout.toString()) as { call: { vc: number } }).call.vc;
  const long = await ctl(a.socket, ['close', String(vc), '--close-data', 'x'.repeat(200)]).done;
  t.is(long.code, 1);
  t.is(long.stderr, `condisctl: close call on VC ${vc}: close data too long: 200 > 127 (closeData.maxOctets) [NDIS_STATUS_INVALID_DATA (0xc0010015)]\n`);
  const closed = await ctl(a.socket, ['close', String(vc)]).done;
  t.is(closed.code, 0, closed.stderr);
  first.p.kill('SIGINT');
  await first.done;

  const noRoute = await ctl(a.socket, ['call', '3999']).done;
  t.is(noRoute.code, 1);
  t.is(noRoute.stderr, 'condisctl: call to 3999: no route to 3999; known peers: h2 02:00:00:00:03:02 (3002) [NDIS_STATUS_NO_ROUTE_TO_DESTINATION (0xc0010029)]\n');

  // a second condisd on h1's control socket refuses before it opens a TAP device
  const cfg = join(mkdtempSync(join(tmpdir(), 'cli-lab-')), 'second.yaml');
  t.teardown(() => rmSync(cfg, { force: true }));
  const original = readFileSync(a.configFile, 'utf8').replace(/device: tap0/, 'device: clitap9');
  writeFileSync(cfg, original);
  t.regex(original, /clitap9/);
  const h1 = lab.host('h1');
  const [cmd, args] = h1.ns.spawnArgs(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'daemons', 'condisd.ts'), '--config', cfg]);
  const second2 = await new Promise<Run>((resolve) => {
    const p = spawn(cmd, args, { cwd: PROJECT_ROOT });
    let err = '';
    p.stderr.on('data', (x: Buffer) => (err += x.toString()));
    p.on('close', (code) => resolve({ code, stdout: Buffer.alloc(0), stderr: err }));
  });
  t.is(second2.code, 1);
  t.is(second2.stderr, `condisd: control socket ${a.socket}: another server is listening on ${a.socket} (is condisd already running?); not opening tap clitap9\n`);
  const links = await h1.ns.exec('ip', ['-br', 'link']);
  t.notRegex(links.stdout, /clitap9/, 'the second daemon never created its TAP');
  t.true(existsSync(a.socket) && a.alive(), 'the first daemon runs on');
  t.is((await a.control.info()).name, 'h1');
});

rootTest('status: party P-states, CALLING on outgoing calls, a leaf of a multipoint call shown as multipoint', async (t) => {
  const { d } = await startLab(t, 3);
  const a = d('h1');
  await d('h2').control.registerSap({ address: '3002' });
  await d('h3').control.registerSap({ address: '3003' });
  const offered = d('h2').next('incoming-call');
  const call = await ctl(a.socket, ['call', '3002', '3003']).done;
  t.is(call.code, 0, call.stderr);
  t.true((await offered).multipoint, 'the leaf is offered a multipoint call (SETUP with the point-to-multipoint bearer)');

  const root = await ctl(a.socket, ['status']).done;
  t.is(root.code, 0, root.stderr);
  const text = root.stdout.toString();
  t.regex(text, /\n\d+ +client +ACTIVE +CONNECTED +out +p2mp +3002 +3001 +[UN]10 Active/, 'CALLING is the root\'s own address');
  t.regex(text, /PARTIES\nVC +PARTY +ADDRESS +STATE +UNI STATE\n\d+ +\d+ +3002 +CONNECTED +P7 Active\n\d+ +\d+ +3003 +CONNECTED +P7 Active/);

  const leaf = await ctl(d('h2').socket, ['status', '--json']).done;
  t.is(leaf.code, 0, leaf.stderr);
  const vcs = (JSON.parse(leaf.stdout.toString()) as { vcs: { call?: { multipoint: boolean; direction: string; calling?: string } }[] }).vcs;
  t.like(vcs[0]!.call, { multipoint: true, direction: 'incoming', calling: '3001' });
  const table = await ctl(d('h2').socket, ['status']).done;
  t.regex(table.stdout.toString(), /call-manager +ACTIVE +CONNECTED +in +p2mp +3002 +3001/);
});

rootTest('pipe: a listener with stdin not a terminal keeps the call until the caller hangs up; everything arrives', async (t) => {
  const { d } = await startLab(t, 2);
  const { input, data } = inputFile(t, 300_000);
  const listener = ctl(d('h2').socket, ['pipe', '--listen', '3002']);
  await until('the listener', () => /waiting for a call/.test(listener.err()));
  const sender = ctl(d('h1').socket, ['pipe', '3002', '--progress'], { file: input });
  const [s, l] = await Promise.all([sender.done, listener.done]);
  t.is(s.code, 0, s.stderr);
  t.is(l.code, 0, l.stderr);
  t.is(l.stdout.length, data.length);
  t.true(l.stdout.equals(data), 'the listener wrote exactly what was sent');
  t.regex(s.stderr, /condisctl: total: sent 300000 octets \(\d+ octets\/s\), received 0 octets/);
});

rootTest('pipe: the sender exits 1 with "remote closed after N of M octets" when the far side closes early; --recv-only', async (t) => {
  const { d } = await startLab(t, 2);
  const { input } = inputFile(t, 3_000_000);
  const listener = ctl(d('h2').socket, ['pipe', '--listen', '3002', '--recv-only'], 'this is never read');
  await until('the listener', () => /waiting for a call/.test(listener.err()));
  const sender = ctl(d('h1').socket, ['pipe', '3002'], { file: input });
  await until('data at the listener', () => listener.out().length > 0);
  listener.p.kill('SIGINT'); // hangs up
  const [s, l] = await Promise.all([sender.done, listener.done]);
  t.is(l.code, 0, l.stderr);
  t.is(s.code, 1);
  const m = /^condisctl: remote closed after (\d+) of 3000000 octets\n$/.exec(s.stderr);
  t.truthy(m, s.stderr);
  t.true(Number(m![1]) >= l.stdout.length && Number(m![1]) < 3_000_000);
  t.notRegex(l.stdout.toString('latin1'), /this is never read/);
});

rootTest('pipe --recv-only between two condisd: the offer, the acknowledgements and the tally cross the wire, and the file arrives whole', async (t) => {
  const { d } = await startLab(t, 2);
  const { input, data } = inputFile(t, 2_000_000);
  const listener = ctl(d('h2').socket, ['pipe', '--listen', '3002', '--recv-only']);
  await until('the listener', () => /waiting for a call/.test(listener.err()));
  const sender = ctl(d('h1').socket, ['pipe', '3002'], { file: input });
  const [s, l] = await Promise.all([sender.done, listener.done]);
  t.is(s.code, 0, s.stderr);
  t.is(l.code, 0, l.stderr);
  t.true(l.stdout.equals(data), 'the listener wrote exactly what was sent');
  // what the daemons' captures saw (written record by record in a lab)
  const seen = (host: string, text: string): number => {
    const r = readPcap(d(host).capture);
    if (!r.ok) throw new Error(r.error.message);
    return r.value.records.filter((rec) => rec.data.includes(Buffer.from(text))).length;
  };
  // (at least once: SSCOP would send a lost SETUP or RELEASE again)
  t.true(seen('h2', 'condisctl pipe: acks') >= 1, "the caller's SETUP offers acknowledgements (user-user information)");
  const acks = seen('h1', 'condisctl pipe ack ');
  t.true(acks >= Math.floor(data.length / (64 * 1024)) - 1, `the listener acknowledged every 64 KiB (${acks} acks at the caller)`);
  t.true(seen('h2', 'condisctl pipe: sent 2000000 octets') >= 1, "the caller's RELEASE carries its tally");
});
