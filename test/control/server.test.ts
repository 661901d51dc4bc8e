import test from 'ava';
import { statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startControlServer } from '../../src/control/server.js';
import { FakeBackend } from './fake-backend.js';
import { RawClient, socketPath, startFake } from './helpers.js';

const INVALID_STATE = 0xc0000184;

test('the server greets with the protocol name and version', async (t) => {
  const { path } = await startFake(t);
  const c = await RawClient.connect(path);
  const hello = await c.next();
  t.is(hello.type, 'hello');
  t.is(hello.protocol, 'condis-control');
  t.is(hello.version, 1);
  t.true(hello.ops.includes('make-call'));
  t.is(hello.maxLineBytes, 1024 * 1024);
  t.deepEqual(await c.request(1, 'hello', { version: 1, client: 'test' }), { type: 'response', id: 1, ok: true, result: { protocol: 'condis-control', version: 1 } });
  const v2 = await c.request(2, 'hello', { version: 2 });
  t.is(v2.error.code, 'version');
  c.destroy();
});

test('the socket is owner-only (0600) by default', async (t) => {
  const { path } = await startFake(t);
  t.is(statSync(path).mode & 0o777, 0o600);
  t.true(statSync(path).isSocket());
});

test('the socket takes the configured mode', async (t) => {
  const { path } = await startFake(t, { mode: 0o660 });
  t.is(statSync(path).mode & 0o777, 0o660);
});

test('malformed JSON gives bad-json and the server keeps serving', async (t) => {
  const { path } = await startFake(t);
  const c = await RawClient.connect(path);
  await c.next();
  c.send('{"id": 1, "op": "peers"');
  const r = await c.next();
  t.like(r, { type: 'response', id: null, ok: false, error: { code: 'bad-json' } });
  t.regex(r.error.message, /^malformed JSON: /);
  c.send('[1,2,3]');
  t.like(await c.next(), { type: 'response', id: null, ok: false, error: { code: 'bad-request' } });
  const ok = await c.request(2, 'peers');
  t.true(ok.ok);
  t.is(ok.result.length, 2);
  c.destroy();
});

test('an unknown operation gives unknown-op with the request id', async (t) => {
  const { path } = await startFake(t);
  const c = await RawClient.connect(path);
  await c.next();
  const r = await c.request('x1', 'frobnicate', {});
  t.like(r, { id: 'x1', ok: false, error: { code: 'unknown-op' } });
  t.regex(r.error.message, /unknown operation "frobnicate" \(known: hello, info, /);
  t.true((await c.request(2, 'vcs')).ok);
  c.destroy();
});

test('bad arguments name the argument and why', async (t) => {
  const { path, backend } = await startFake(t);
  const c = await RawClient.connect(path);
  await c.next();
  const r1 = await c.request(1, 'drop-party', { vc: 'one', party: 1 });
  t.like(r1, { ok: false, error: { code: 'bad-args' } });
  t.regex(r1.error.message, /^drop-party: args\.vc: /);
  const r2 = await c.request(2, 'make-call', { called: '10-01' });
  t.regex(r2.error.message, /args\.called: "10-01" is not an ATM address/);
  const r3 = await c.request(3, 'close-call', { vc: 1, closeData: { encoding: 'hex', data: '00' } });
  t.regex(r3.error.message, /args\.closeData\.encoding/);
  const r4 = await c.request(4, 'send', { vc: 1, data: { encoding: 'base64', data: '***' } });
  t.regex(r4.error.message, /args\.data: data is not valid base64/);
  const r5 = await c.request(5, 'peers', { verbose: true });
  t.regex(r5.error.message, /unknown argument "verbose"/);
  const r6 = await c.request(6, 'make-call', {});
  t.regex(r6.error.message, /exactly one of "called" \(point-to-point\) or "parties"/);
  t.deepEqual(backend.calls, [], 'nothing reached the backend');
  c.destroy();
});

test('wrong state gives wrong-state with the NDIS_STATUS name and value', async (t) => {
  const { path } = await startFake(t);
  const c = await RawClient.connect(path);
  await c.next();
  const made = await c.request(1, 'make-call', { called: '1002' });
  t.true(made.ok);
  const again = await c.request(2, 'make-call', { called: '1002', vc: made.result.vc });
  t.deepEqual(again.error, {
    code: 'wrong-state',
    message: `VC ${made.result.vc} already carries a call`,
    ndisStatus: { name: 'INVALID_STATE', value: INVALID_STATE },
  });
  const add = await c.request(3, 'add-party', { vc: made.result.vc, address: '1003' });
  t.like(add.error, { code: 'wrong-state', ndisStatus: { name: 'INVALID_STATE' } });
  const missing = await c.request(4, 'close-call', { vc: 99 });
  t.like(missing.error, { code: 'not-found', message: 'no VC 99' });
  t.true((await c.request(5, 'close-call', { vc: made.result.vc })).ok, 'the server still serves');
  c.destroy();
});

test('failed NDIS requests carry their status: last party, close data too long, no route', async (t) => {
  const { path } = await startFake(t);
  const c = await RawClient.connect(path);
  await c.next();
  const mp = await c.request(1, 'make-call', { parties: ['1002'] });
  const last = await c.request(2, 'drop-party', { vc: mp.result.vc, party: mp.result.parties[0].party });
  t.like(last.error, { code: 'wrong-state', ndisStatus: { name: 'FAILURE', value: 0xc0000001 } });
  const long = await c.request(3, 'close-call', { vc: mp.result.vc, closeData: { encoding: 'base64', data: Buffer.alloc(128).toString('base64') } });
  t.like(long.error, { code: 'failed', ndisStatus: { name: 'INVALID_DATA', value: 0xc0010015 } });
  const noRoute = await c.request(4, 'make-call', { called: '9000' });
  t.like(noRoute.error, { code: 'failed', ndisStatus: { name: 'NO_ROUTE_TO_DESTINATION' } });
  c.destroy();
});

test('a backend bug is reported as internal and the server keeps serving', async (t) => {
  const { path, backend } = await startFake(t);
  backend.peers = async () => {
    throw new TypeError('oops');
  };
  const c = await RawClient.connect(path);
  await c.next();
  const r = await c.request(1, 'peers');
  t.like(r.error, { code: 'internal', message: 'peers: internal error: oops' });
  t.true((await c.request(2, 'links')).ok);
  c.destroy();
});

test('an oversized line is refused and the connection closed; others keep working', async (t) => {
  const { path, server } = await startFake(t, { maxLineBytes: 4096 });
  const other = await RawClient.connect(path);
  await other.next();
  const c = await RawClient.connect(path);
  await c.next();
  c.socket.write('{"id":1,"op":"peers","args":{"x":"' + 'a'.repeat(5000));
  const err = await c.next();
  t.like(err, { type: 'error', error: { code: 'line-too-long' } });
  t.regex(err.error.message, /longer than 4096 bytes/);
  await c.whenClosed();
  t.true((await other.request(1, 'peers')).ok);
  t.is(server.connections(), 1);
  const again = await RawClient.connect(path);
  await again.next();
  t.true((await again.request(1, 'vcs')).ok);
  other.destroy();
  again.destroy();
});

test('the default line cap is 1 MiB: a line just under it is read', async (t) => {
  const { path } = await startFake(t);
  const c = await RawClient.connect(path);
  await c.next();
  const data = Buffer.alloc(700 * 1024, 7).toString('base64').slice(0, 1000 * 1024);
  const r = await c.request(1, 'send', { vc: 77, data: { encoding: 'base64', data: data.slice(0, data.length - (data.length % 4)) } });
  t.like(r.error, { code: 'not-found' });
  c.socket.write('x'.repeat(1024 * 1024 + 10));
  t.like(await c.next(), { type: 'error', error: { code: 'line-too-long' } });
  await c.whenClosed();
  t.pass();
});

test('requests run concurrently: a pending make-call does not block a status query', async (t) => {
  const { path, backend } = await startFake(t);
  let open!: () => void;
  backend.makeCallGate = new Promise<void>((r) => (open = r));
  const c = await RawClient.connect(path);
  await c.next();
  c.send({ id: 1, op: 'make-call', args: { called: '1002' } });
  const status = await c.request(2, 'status');
  t.true(status.ok);
  t.is(status.result.info.name, 'fake-a');
  t.is(status.result.counters.control.clients, 1);
  open();
  const made = await c.next();
  t.like(made, { type: 'response', id: 1, ok: true });
});

test('subscriptions: events in order, filtered by kind and VC, bytes as base64', async (t) => {
  const { path, backend } = await startFake(t);
  const c = await RawClient.connect(path);
  await c.next();
  const all = await c.request(1, 'subscribe', {});
  const onlyClose = await c.request(2, 'subscribe', { kinds: ['incoming-close-call'], vc: 5 });
  t.not(all.result.subscription, onlyClose.result.subscription);
  backend.emit({ kind: 'receive', vc: 4, data: Buffer.from('hi') });
  backend.emit({ kind: 'incoming-close-call', vc: 5, status: { name: 'SUCCESS', value: 0 }, closeData: Buffer.from([1, 2, 3]) });
  const e1 = await c.next();
  t.like(e1, { type: 'event', subscription: all.result.subscription, event: { kind: 'receive', vc: 4, data: { encoding: 'base64', data: 'aGk=' } } });
  t.regex(e1.event.at, /^\d{4}-\d\d-\d\dT/);
  const e2 = await c.next();
  const e3 = await c.next();
  t.deepEqual(
    [e2.subscription, e3.subscription].sort(),
    [all.result.subscription, onlyClose.result.subscription].sort(),
  );
  t.deepEqual(e2.event.closeData, { encoding: 'base64', data: 'AQID' });
  t.true((await c.request(3, 'unsubscribe', { subscription: all.result.subscription })).ok);
  t.like((await c.request(4, 'unsubscribe', { subscription: all.result.subscription })).error, { code: 'not-found' });
  c.destroy();
});

test('a client disconnecting mid-stream loses its subscriptions and nothing else', async (t) => {
  const { path, backend, server } = await startFake(t);
  const a = await RawClient.connect(path);
  const b = await RawClient.connect(path);
  await a.next();
  await b.next();
  await a.request(1, 'subscribe', {});
  await b.request(1, 'subscribe', {});
  const sap = await a.request(2, 'register-sap', { address: '1001' });
  const call = await a.request(3, 'make-call', { called: '1002' });
  // a stream of events; a goes away in the middle of it
  for (let i = 0; i < 200; i++) backend.emit({ kind: 'receive', vc: call.result.vc, data: Buffer.alloc(512, i) });
  a.destroy();
  for (let i = 0; i < 200; i++) backend.emit({ kind: 'receive', vc: call.result.vc, data: Buffer.alloc(512, i) });
  await a.whenClosed();
  while (server.connections() !== 1) await new Promise((r) => setTimeout(r, 10));
  // b still gets events; the SAP and the call survive
  const saps = await b.request(4, 'saps');
  t.deepEqual(
    saps.result.map((s: { sap: number }) => s.sap),
    [sap.result.sap],
  );
  const vcs = await b.request(5, 'vcs');
  t.is(vcs.result[0].call.state, 'CONNECTED');
  backend.emit({ kind: 'call-connected', vc: 42 });
  for (;;) {
    const l = await b.next();
    if (l.type === 'event' && l.event.kind === 'call-connected') break;
  }
  t.pass();
  b.destroy();
});

test('a stale socket file is replaced; a live one is refused; a regular file is not touched', async (t) => {
  const path = socketPath();
  // a daemon killed hard leaves its socket file behind
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  t.true(statSync(path).isSocket(), 'a stale socket file is there');
  const s1 = await startControlServer(new FakeBackend(), { path });
  await t.throwsAsync(startControlServer(new FakeBackend(), { path }), { message: /another server is listening on .* \(is condisd already running\?\)/ });
  await s1.close();
  const file = socketPath();
  writeFileSync(file, 'precious');
  await t.throwsAsync(startControlServer(new FakeBackend(), { path: file }), { message: /exists and is not a socket/ });
});
