/**
 * condisctl as people run it: a child process (node --import tsx
 * daemons/condisctl.ts ...) against a control server on a fake backend.
 */
import test from 'ava';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { buildProgram } from '../../daemons/condisctl.js';
import { socketPath, startFake } from '../control/helpers.js';
import { packageVersion } from '../../src/common/package-root.js';
import { waitUntil } from '../helpers/wait.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): ChildProcessWithoutNullStreams {
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  if (!opts.env?.CONDIS_SOCKET) delete env.CONDIS_SOCKET;
  const p = spawn(process.execPath, ['--import', 'tsx', 'daemons/condisctl.ts', ...args], { env });
  if (opts.input !== undefined) p.stdin.end(opts.input);
  return p;
}

function run(args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const p = cli(args, opts);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** resolve when `re` appears on the stream (fails after 60 s) */
function waitFor(stream: NodeJS.ReadableStream, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; saw: ${seen}`)), 60_000);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (re.test(seen)) {
        clearTimeout(timer);
        stream.off('data', on);
        resolve(seen);
      }
    };
    stream.on('data', on);
  });
}

/** resolve when `n` bytes have come out of the stream from now on (fails after 30 s) */
function bytesOut(stream: NodeJS.ReadableStream, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${n} bytes on stdout; saw ${seen}`)), 30_000);
    const on = (d: Buffer) => {
      seen += d.length;
      if (seen >= n) {
        clearTimeout(timer);
        stream.off('data', on);
        resolve();
      }
    };
    stream.on('data', on);
  });
}

function collect(p: ChildProcessWithoutNullStreams): Promise<Run & { raw: Buffer }> {
  const out: Buffer[] = [];
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => out.push(d));
  p.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), raw: Buffer.concat(out), stderr })));
}

// ---- help (in-process: the same Command objects the CLI runs) ----

test('condisctl --version and -V print the package version and exit 0, like condisd', async (t) => {
  const version = packageVersion();
  for (const flag of ['--version', '-V']) {
    const r = await run([flag]);
    t.is(r.code, 0, `${flag}: ${r.stderr}`);
    t.is(r.stdout.trim(), version, flag);
  }
});

test('every subcommand has a description, --help and examples', (t) => {
  const program = buildProgram();
  const names = program.commands.map((c) => c.name());
  t.deepEqual(names, ['status', 'peers', 'listen', 'call', 'add-party', 'drop-party', 'close', 'modify', 'send', 'pipe', 'watch']);
  for (const c of program.commands) {
    t.truthy(c.description(), c.name());
    let help = '';
    c.configureOutput({ writeOut: (s) => (help += s) });
    c.exitOverride();
    t.throws(() => c.parse(['--help'], { from: 'user' }), { code: 'commander.helpDisplayed' });
    t.regex(help, /Examples:\n  \$ condisctl /, c.name());
  }
});

test.serial('--help exits 0 and lists the commands', async (t) => {
  const r = await run(['--help']);
  t.is(r.code, 0);
  t.regex(r.stdout, /Usage: condisctl \[options\] \[command\]/);
  t.regex(r.stdout, /--socket <path>/);
  t.regex(r.stdout, /\$CONDIS_SOCKET or\s+\/run\/condis\/condisd\.sock/);
});

// ---- argument errors: exit 2, which argument and why ----

test.serial('a bad VC number: exit 2, names the argument and why', async (t) => {
  const r = await run(['drop-party', 'x', '1']);
  t.is(r.code, 2);
  t.regex(r.stderr, /^condisctl drop-party: .*argument 'vc'\. vc must be a whole number, not "x"\./);
  t.regex(r.stderr, /run "condisctl drop-party --help" for usage/);
  t.is(r.stdout, '');
});

test.serial('a bad ATM address, a missing argument, an unknown option, an unknown command: exit 2', async (t) => {
  const [addr, missing, option, command] = await Promise.all([run(['call', '10x1']), run(['add-party', '3']), run(['close', '3', '--force']), run(['dial', '1002'])]);
  t.is(addr.code, 2);
  t.regex(addr.stderr, /condisctl call: .*argument 'address'\. "10x1" is not an ATM address/);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /condisctl add-party: missing required argument 'address'/);
  t.is(option.code, 2);
  t.regex(option.stderr, /condisctl close: unknown option '--force'/);
  t.is(command.code, 2);
  t.regex(command.stderr, /condisctl: unknown command 'dial'/);
});

test.serial('bad base64 close data, a bad event kind, conflicting pipe modes: exit 2', async (t) => {
  const [b64, kind, pipe] = await Promise.all([
    run(['close', '3', '-e', 'base64', '--close-data', 'not base64!']),
    run(['watch', '--kind', 'ringing']),
    run(['pipe', '1002', '--vc', '3']),
  ]);
  t.is(b64.code, 2);
  t.is(b64.stderr, 'condisctl: --close-data is not valid base64: "not base64!"\n');
  t.is(kind.code, 2);
  t.regex(kind.stderr, /argument 'ringing' is invalid\. Allowed choices are incoming-call, /);
  t.is(pipe.code, 2);
  t.regex(pipe.stderr, /pipe: give exactly one of ADDRESS, --vc N or --listen/);
});

test.serial('modify: a missing --pcr, a rate out of range or not a number: exit 2, names the option and why', async (t) => {
  const [missing, zero, big, word] = await Promise.all([
    run(['modify', '3']),
    run(['modify', '3', '--pcr', '0']),
    run(['modify', '3', '--pcr', '100', '--receive-pcr', '16777216']),
    run(['modify', '3', '--pcr', 'fast']),
  ]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /^condisctl modify: required option '--pcr <cells\/s>' not specified/);
  t.is(zero.code, 2);
  t.regex(zero.stderr, /condisctl modify: option '--pcr <cells\/s>' argument '0' is invalid\. --pcr must be between 1 and 16777215\./);
  t.is(big.code, 2);
  t.regex(big.stderr, /--receive-pcr must be between 1 and 16777215\./);
  t.is(word.code, 2);
  t.regex(word.stderr, /--pcr must be a whole number, not "fast"\./);
  for (const r of [missing, zero, big, word]) t.is(r.stdout, '');
});

// ---- daemon not running: exit 1, a clear message, no stack trace ----

test.serial('condisd not running: a clear message, exit 1, no stack trace', async (t) => {
  const path = socketPath();
  const r = await run(['--socket', path, 'status']);
  t.is(r.code, 1);
  t.is(r.stderr, `condisctl: condisd is not running (no socket at ${path})\n`);
  t.notRegex(r.stderr, /\n\s+at /);
});

test.serial('the socket comes from CONDIS_SOCKET when --socket is not given', async (t) => {
  const path = socketPath();
  const r = await run(['peers'], { env: { CONDIS_SOCKET: path } });
  t.is(r.code, 1);
  t.is(r.stderr, `condisctl: condisd is not running (no socket at ${path})\n`);
});

// ---- against a fake backend ----

test.serial('status prints peers, links, SAPs, VCs and parties as tables', async (t) => {
  const { path, backend } = await startFake(t);
  await backend.registerSap({ address: '1001' });
  const mp = await backend.makeCall({ called: '1002', multipoint: true });
  await backend.addParty({ vc: mp.vc, address: '1003' });
  backend.incomingCall('1001', '1005');
  const p2p = await backend.makeCall({ called: '1002', multipoint: false });
  await backend.modifyCall({ vc: p2p.vc, pcr: 1000 });
  const r = await run(['--socket', path, 'status']);
  t.is(r.code, 0, r.stderr);
  t.is(
    r.stdout,
    [
      'condisd fake-a (0.1.0): addresses 1001, mac 02:c0:00:00:00:0a, miniport memory:test',
      'call manager MCM, pending completion; close data allowed, at most 127 octets',
      '',
      'PEERS',
      'MAC                NAME    ADDRESSES  SOURCE     LINK  LAST SEEN',
      '02:c0:00:00:00:0b  host-b  1002       static     yes   2026-01-01T00:00:00.000Z',
      '02:c0:00:00:00:0c  -       1003       discovery  no    -',
      '',
      'LINKS',
      'PEER               NAME    SIDE  SSCOP STATE          UP   CALLS',
      '02:c0:00:00:00:0b  host-b  user  Data Transfer Ready  yes  0',
      '',
      'SAPS',
      'SAP  ADDRESS  POLICY  STATE',
      '1    1001     accept  registered',
      '',
      'VCS',
      'VC  CREATOR       STATE   CALL       DIR  TYPE  CALLED  CALLING  UNI STATE   PCR TX/RX    PATH',
      '1   client        ACTIVE  CONNECTED  out  p2mp  1002    1001     U10 Active  -            0/33 via 02:c0:00:00:00:0b',
      '2   call-manager  ACTIVE  CONNECTED  in   p2p   1001    1005     -           -            0/100 via 02:c0:00:00:00:0b',
      '3   client        ACTIVE  CONNECTED  out  p2p   1002    1001     U10 Active  1000/353207  0/35 via 02:c0:00:00:00:0b',
      '',
      'PARTIES',
      'VC  PARTY  ADDRESS  STATE      UNI STATE',
      '1   1      1002     CONNECTED  P7 Active',
      '1   2      1003     CONNECTED  P7 Active',
      '',
    ].join('\n'),
  );
});

test.serial('status --json and peers', async (t) => {
  const { path } = await startFake(t);
  const [json, peers] = await Promise.all([run(['--socket', path, 'status', '--json']), run(['--socket', path, 'peers'])]);
  t.is(json.code, 0, json.stderr);
  const s = JSON.parse(json.stdout);
  t.is(s.info.name, 'fake-a');
  t.is(s.peers.length, 2);
  t.true(s.counters.control.clients >= 1);
  t.is(peers.code, 0, peers.stderr);
  t.is(peers.stdout.split('\n')[0], 'MAC                NAME    ADDRESSES  SOURCE     LINK  LAST SEEN');
  t.is(peers.stdout.split('\n').length, 4);
});

test.serial('call: point-to-multipoint with several parties, data, then close data', async (t) => {
  const { path, backend } = await startFake(t);
  const r = await run(['--socket', path, 'call', '1002', '1003', '9004', '--data', 'hello all', '--close-data', 'bye']);
  t.is(r.code, 1, 'a party failed');
  t.regex(r.stdout, /^call on VC 1 to 1002, 1003, 9004 \(point-to-multipoint\): NDIS_STATUS_SUCCESS\n/);
  t.regex(r.stdout, /\n {2}party 1 1002: NDIS_STATUS_SUCCESS\n {2}party 2 1003: NDIS_STATUS_SUCCESS\n {2}party - 9004: NDIS_STATUS_NO_ROUTE_TO_DESTINATION \(no route to 9004\)\n/);
  t.regex(r.stdout, /\nsent 9 octets on VC 1\ndropped party 1 \(1002\) with close data\nclosed the call on VC 1 with close data \(3 octets\)\n$/);
  t.deepEqual(
    backend.calls.map((c) => c.op),
    ['makeCall', 'addParty', 'addParty', 'send', 'dropParty', 'closeCall'],
  );
  const close = backend.calls.at(-1)!.args as { closeData: Buffer; party: number };
  t.deepEqual(close, { vc: 1, party: 2, closeData: Buffer.from('bye') });
  t.deepEqual((backend.calls[3]!.args as { data: Buffer }).data, Buffer.from('hello all'));
});

test.serial('drop-party of the last party fails with its NDIS status: exit 1', async (t) => {
  const { path, backend } = await startFake(t);
  const mp = await backend.makeCall({ called: '1002', multipoint: true });
  const r = await run(['--socket', path, 'drop-party', String(mp.vc), String(mp.party), '--close-data', 'x']);
  t.is(r.code, 1);
  t.is(r.stderr, `condisctl: party ${mp.party} is the last one on VC ${mp.vc}: close the call instead [NDIS_STATUS_FAILURE (0xc0000001)]\n`);
});

test.serial('modify: the new rate on success; a refusal (MODIFY REJECT cause), a multipoint call, the called side and an unknown VC: exit 1 with why', async (t) => {
  const { path, backend } = await startFake(t);
  const { vc } = await backend.makeCall({ called: '1002', multipoint: false });
  const ok = await run(['--socket', path, 'modify', String(vc), '--pcr', '1000', '--receive-pcr', '2000']);
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, `modified the call on VC ${vc}: NDIS_STATUS_SUCCESS, transmit PCR 1000 cells/s, receive PCR 2000 cells/s\n`);
  t.deepEqual(backend.calls.at(-1), { op: 'modifyCall', args: { vc, pcr: 1000, receivePcr: 2000 } });
  const asJson = await run(['--socket', path, 'modify', String(vc), '--pcr', '1200', '--json']);
  t.is(asJson.code, 0, asJson.stderr);
  t.deepEqual(JSON.parse(asJson.stdout).pcr, { transmit: 1200, receive: 2000 });
  const refused = await run(['--socket', path, 'modify', String(vc), '--pcr', '200000']);
  t.is(refused.code, 1);
  t.is(refused.stderr, 'condisctl: refused by host-b with MODIFY REJECT cause 37 user cell rate not available; the old rates stay\n');
  const mp = await backend.makeCall({ called: '1003', multipoint: true });
  await backend.registerSap({ address: '1001' });
  const incoming = backend.incomingCall('1001', '1002');
  const [multi, called, unknown] = await Promise.all([
    run(['--socket', path, 'modify', String(mp.vc), '--pcr', '10']),
    run(['--socket', path, 'modify', String(incoming), '--pcr', '10']),
    run(['--socket', path, 'modify', '77', '--pcr', '10']),
  ]);
  t.is(multi.code, 1);
  t.regex(multi.stderr, /^condisctl: .*point-to-multipoint/);
  t.is(called.code, 1);
  t.regex(called.stderr, /^condisctl: .*only the calling side/);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /^condisctl: no VC 77/);
});

test.serial('send reads standard input; close with base64 close data', async (t) => {
  const { path, backend } = await startFake(t);
  const { vc } = await backend.makeCall({ called: '1002', multipoint: false });
  const s = await run(['--socket', path, 'send', String(vc)], { input: Buffer.from([0, 1, 2, 255]) });
  t.is(s.code, 0, s.stderr);
  t.is(s.stdout, `sent 4 octets on VC ${vc}\n`);
  t.deepEqual((backend.calls.at(-1)!.args as { data: Buffer }).data, Buffer.from([0, 1, 2, 255]));
  const c = await run(['--socket', path, 'close', String(vc), '-e', 'base64', '--close-data', 'AAEC']);
  t.is(c.code, 0, c.stderr);
  t.deepEqual((backend.calls.at(-1)!.args as { closeData: Buffer }).closeData, Buffer.from([0, 1, 2]));
});

test.serial('listen --refuse-qos: the SAP refuses QoS changes; the QoS change and the close that refuses it are printed', async (t) => {
  const { path, backend } = await startFake(t);
  const p = cli(['--socket', path, 'listen', '1001', '--once', '--refuse-qos']);
  const done = collect(p);
  await waitFor(p.stdout, /listening on 1001 \(SAP 1, accepting calls, refusing QoS changes\)/);
  t.like(backend.calls.find((c) => c.op === 'registerSap')?.args, { address: '1001', policy: 'accept', qos: 'refuse' });
  const vc = backend.incomingCall('1001', '1002');
  backend.emit({ kind: 'incoming-qos-change', vc, pcr: { transmit: 353207, receive: 2000 }, accepted: false });
  backend.emit({ kind: 'close-call-complete', vc, status: { name: 'SUCCESS', value: 0 } });
  const r = await done;
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`  incoming QoS change on VC ${vc}: transmit PCR 353207 cells/s, receive PCR 2000 cells/s: refused, closing the call\\n`));
  t.regex(r.stdout, new RegExp(`  close call complete on VC ${vc}: NDIS_STATUS_SUCCESS`));
});

test.serial('listen: takes a call, prints indications, received data and close data; --once ends with the call', async (t) => {
  const { path, backend } = await startFake(t);
  const p = cli(['--socket', path, 'listen', '1001', '--once']);
  const done = collect(p);
  await waitFor(p.stdout, /listening on 1001 \(SAP 1, accepting calls\)/);
  const vc = backend.incomingCall('1001', '1002');
  backend.emit({ kind: 'receive', vc, data: Buffer.from('hello there') });
  backend.emit({ kind: 'receive', vc: 999, data: Buffer.from('not mine') });
  backend.remoteClose(vc, Buffer.from([0xca, 0xfe]));
  const r = await done;
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  incoming point-to-point call on VC ${vc} from 1002 to 1001 \\(SAP 1\\)\\n`));
  t.regex(r.stdout, new RegExp(`  call connected on VC ${vc}\\n`));
  t.regex(r.stdout, new RegExp(`  data on VC ${vc} \\(11 octets\\): "hello there"\\n`));
  t.regex(r.stdout, new RegExp(`  incoming close call on VC ${vc}: NDIS_STATUS_SUCCESS \\(remote\\), close data \\(2 octets\\): hex ca fe\\n`));
  t.notRegex(r.stdout, /not mine/);
  t.is(backend.sapsById.size, 0, 'the SAP was deregistered on the way out');
});

test.serial('watch --json prints events as JSON lines until interrupted', async (t) => {
  const { path, backend } = await startFake(t);
  const p = cli(['--socket', path, 'watch', '--json', '--kind', 'incoming-drop-party', 'link-state']);
  const done = collect(p);
  await waitFor(p.stderr, /watching fake/);
  backend.emit({ kind: 'receive', vc: 1, data: Buffer.from('skipped') });
  backend.emit({ kind: 'incoming-drop-party', vc: 1, party: 2, status: { name: 'DEST_OUT_OF_ORDER', value: 0xc0010024 }, closeData: Buffer.from('x') });
  backend.emit({ kind: 'link-state', peer: '02:c0:00:00:00:0b', state: 'Idle', established: false, reason: 'no response' });
  await waitFor(p.stdout, /link-state/);
  p.kill('SIGTERM');
  const r = await done;
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.deepEqual(
    lines.map((l) => l.kind),
    ['incoming-drop-party', 'link-state'],
  );
  t.like(lines[0], { vc: 1, party: 2, status: { name: 'DEST_OUT_OF_ORDER' }, closeData: { encoding: 'base64', data: 'eA==' } });
});

test.serial('watch prints names, not numbers', async (t) => {
  const { path, backend } = await startFake(t);
  const p = cli(['--socket', path, 'watch']);
  const done = collect(p);
  await waitFor(p.stderr, /watching/);
  backend.emit({ kind: 'incoming-close-call', vc: 7, status: { name: 'DEST_OUT_OF_ORDER', value: 0xc0010024 } });
  backend.emit({ kind: 'modify-call-complete', vc: 8, status: { name: 'FAILURE', value: 0xc0000001 }, pcr: { transmit: 353207 }, cause: 37, causeName: 'user cell rate not available' });
  backend.emit({ kind: 'party-state', vc: 7, party: 3, state: 'DROPPING', previous: 'CONNECTED' });
  await waitFor(p.stdout, /DROPPING/);
  p.kill('SIGINT');
  const r = await done;
  t.is(r.code, 0);
  t.regex(r.stdout, /  incoming close call on VC 7: NDIS_STATUS_DEST_OUT_OF_ORDER \(network\), no close data\n/);
  t.regex(r.stdout, /  modify call complete on VC 8: NDIS_STATUS_FAILURE \(MODIFY REJECT cause 37 user cell rate not available\), transmit PCR 353207 cells\/s\n/);
  t.regex(r.stdout, /  VC 7 party 3: CONNECTED -> DROPPING\n/);
  t.notRegex(r.stdout, /0xc0010024|3221291044/);
});

test.serial('pipe: standard input goes out in packets, received data comes out, end of input closes the call', async (t) => {
  const { path, backend } = await startFake(t);
  const p = cli(['--socket', path, 'pipe', '1002', '--chunk', '4']);
  const done = collect(p);
  // wait until the call is up, then send the remote's data and our input
  await waitUntil('the pipe call up at the backend', () => [...backend.vcsById.values()].some((v) => v.info.call), { ms: 30_000, every: 50 });
  const vc = [...backend.vcsById.keys()][0]!;
  // the received bytes are out on stdout before end of input closes the call
  const written = bytesOut(p.stdout, 3);
  backend.emit({ kind: 'receive', vc, data: Buffer.from([0x00, 0xff, 0x41]) });
  await written;
  p.stdin.end('0123456789');
  const r = await done;
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.raw, Buffer.from([0x00, 0xff, 0x41]), 'received bytes are written as they are');
  t.deepEqual(
    backend.calls.filter((c) => c.op === 'send').map((c) => (c.args as { data: Buffer }).data.toString()),
    ['0123', '4567', '89'],
  );
  const close = backend.calls.at(-1)!;
  t.is(close.op, 'closeCall');
  t.is((close.args as { closeData?: Buffer }).closeData?.toString(), 'condisctl pipe: sent 10 octets', 'the tally goes in the close data');
});

test.serial('pipe --listen: the caller\'s tally in its close data is checked; octets missing make it exit 1 saying how many', async (t) => {
  for (const [received, tally, code, said] of [
    ['abcdef', 'condisctl pipe: sent 6 octets', 0, /^condisctl: waiting for a call \(SAP \d+\)\n$/],
    ['abcdef', 'condisctl pipe: sent 9 octets', 1, /lost 3 of the 9 octets the caller sent \(received 6\): the receiving host could not keep up/],
    ['abcdef', 'bye', 0, /call closed by the remote, close data: "bye"/],
  ] as const) {
    const { path, backend } = await startFake(t);
    const p = cli(['--socket', path, 'pipe', '--listen', '1002', '--recv-only']);
    const done = collect(p);
    await waitFor(p.stderr, /waiting for a call/);
    const vc = backend.incomingCall('1002', '1001');
    const written = bytesOut(p.stdout, received.length);
    backend.emit({ kind: 'receive', vc, data: Buffer.from(received) });
    await written;
    backend.remoteClose(vc, Buffer.from(tally));
    const r = await done;
    t.is(r.code, code, `${tally}: ${r.stderr}`);
    t.is(r.raw.toString(), received);
    t.regex(r.stderr, said);
  }
});

test.serial('pipe: the caller offers acknowledgements in its SETUP and reads them off what it receives, not to standard output', async (t) => {
  const { path, backend } = await startFake(t);
  const p = cli(['--socket', path, 'pipe', '1002', '--chunk', '4']);
  const done = collect(p);
  await waitUntil('the pipe call up at the backend', () => [...backend.vcsById.values()].some((v) => v.info.call), { ms: 30_000, every: 50 });
  const make = backend.calls.find((c) => c.op === 'makeCall')!;
  t.is((make.args as { uu?: Buffer }).uu?.toString(), 'condisctl pipe: acks');
  const vc = [...backend.vcsById.keys()][0]!;
  const written = bytesOut(p.stdout, 4);
  backend.emit({ kind: 'receive', vc, data: Buffer.from('condisctl pipe ack 4') });
  backend.emit({ kind: 'receive', vc, data: Buffer.from('data') });
  await written;
  p.stdin.end('0123');
  const r = await done;
  t.is(r.code, 0, r.stderr);
  t.is(r.raw.toString(), 'data', 'the acknowledgement is not output');
});

test.serial('pipe --listen --recv-only acknowledges every 64 KiB to a caller that offered it, and only then', async (t) => {
  const acksSent = async (args: string[], offer: boolean): Promise<string[]> => {
    const { path, backend } = await startFake(t);
    const p = cli(['--socket', path, 'pipe', '--listen', '1002', ...args]);
    const done = collect(p);
    await waitFor(p.stderr, /waiting for a call/);
    const vc = backend.incomingCall('1002', '1001', false, offer ? Buffer.from('condisctl pipe: acks') : undefined);
    const packet = Buffer.alloc(1400, 0x61);
    const total = 100 * packet.length; // 140,000 octets: two acknowledgements due (65,536 and 131,072 passed)
    const written = bytesOut(p.stdout, total);
    for (let i = 0; i < 100; i++) backend.emit({ kind: 'receive', vc, data: packet });
    await written;
    backend.remoteClose(vc, Buffer.from(`condisctl pipe: sent ${total} octets`));
    const r = await done;
    t.is(r.code, 0, r.stderr);
    return backend.calls.filter((c) => c.op === 'send').map((c) => (c.args as { data: Buffer }).data.toString());
  };
  t.deepEqual(await acksSent(['--recv-only'], true), ['condisctl pipe ack 65800', 'condisctl pipe ack 131600']);
  t.deepEqual(await acksSent(['--recv-only'], false), [], 'no offer: no acknowledgements');
});

test.serial('pipe --listen: Ctrl-C or SIGTERM while waiting for the call deregisters the SAP and exits 0', async (t) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const { path, backend } = await startFake(t);
    const p = cli(['--socket', path, 'pipe', '--listen', '1002', '--recv-only']);
    const done = collect(p);
    await waitFor(p.stderr, /waiting for a call/);
    t.is(backend.sapsById.size, 1);
    p.kill(signal);
    const r = await done;
    t.is(r.code, 0, `${signal}: ${r.stderr}`);
    t.is(backend.sapsById.size, 0, `${signal}: the SAP is gone, so it cannot take the next call`);
  }
});

test.serial('pipe: up to 32 sends in flight at once, not one round trip per packet; they go out in input order', async (t) => {
  const { path, backend } = await startFake(t);
  let open!: () => void;
  backend.sendGate = new Promise((r) => (open = r));
  const p = cli(['--socket', path, 'pipe', '1002', '--chunk', '4']);
  const done = collect(p);
  await waitUntil('the pipe call up at the backend', () => [...backend.vcsById.values()].some((v) => v.info.call), { ms: 30_000, every: 50 });
  const input = Array.from({ length: 100 }, (_, i) => String(i).padStart(4, '0')).join('');
  p.stdin.end(input);
  const sends = () => backend.calls.filter((c) => c.op === 'send').map((c) => (c.args as { data: Buffer }).data.toString());
  await waitUntil('a window of sends in flight', () => sends().length >= 32, { ms: 30_000, every: 20 });
  await new Promise((r) => setTimeout(r, 300));
  t.is(sends().length, 32, 'no more than the window while none has completed');
  open();
  const r = await done;
  t.is(r.code, 0, r.stderr);
  t.deepEqual(sends(), Array.from({ length: 100 }, (_, i) => String(i).padStart(4, '0')));
  t.is(backend.calls.at(-1)!.op, 'closeCall');
});

test.serial('listen --reject: calls are refused with the cause and printed', async (t) => {
  const { path, backend } = await startFake(t);
  const p = cli(['--socket', path, 'listen', '--reject', '17', '--once']);
  const done = collect(p);
  await waitFor(p.stdout, /listening on \* \(SAP 1, rejecting with cause 17\)/);
  t.like(backend.sapsById.get(1), { policy: 'reject', rejectCause: 17 });
  backend.incomingCall('1001', '1002');
  const r = await done;
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /incoming point-to-point call on VC \d+ from 1002 to 1001 \(SAP 1\)/);
});

test('each subcommand\'s --help describes only the options it has (drop-party has no --data)', (t) => {
  const help = (name: string) => buildProgram().commands.find((c) => c.name() === name)!.helpInformation();
  t.notRegex(help('drop-party'), /--data|DATA/);
  t.regex(help('drop-party'), /-e, --encoding <encoding> +how --close-data is written/);
  t.regex(help('call'), /how --data \/ --close-data are written/);
  t.regex(help('send'), /how DATA is written/);
  t.regex(help('pipe'), /--recv-only/);
  t.regex(help('pipe'), /--progress +print octets sent and received, and octets\/s, on\s+standard error/);
});

test.serial('the demo\'s --help is a full usage text (commander, as condisctl); a bad option exits 2 naming it', async (t) => {
  const demo = (args: string[]) =>
    new Promise<Run>((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', ...args]);
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const h = await demo(['--help']);
  t.is(h.code, 0);
  t.regex(h.stdout, /^Usage: demo \[options\]/);
  for (const o of ['--out <dir>', '--name <lab>', '--keep', '--cm <shape>', '--completion <mode>', '--no-color']) t.true(h.stdout.includes(o), o);
  t.regex(h.stdout, /Examples:\n {2}\$ npm run demo\n/);
  const bad = await demo(['--cm', 'x']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /^demo: option '--cm <shape>' argument 'x' is invalid\. expected cm or mcm, got 'x'\./);
});
