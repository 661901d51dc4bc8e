/**
 * The control socket under hostile clients, with the daemon's real backend
 * (NodeControlBackend on real stacks over the memory miniport) behind it:
 * malformed and mutated requests, an oversized line, a flood of pipelined
 * requests and of connections, clients that vanish mid-line and with a
 * request in progress, and requests past limits.pendingRequests. The daemon
 * keeps serving throughout. The socket's owner-only mode refusing another
 * user is checked as root (a child process switched to nobody).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { startControlServer } from '../../src/control/server.js';
import { connectControl } from '../../src/control/client.js';
import { NodeControlBackend } from '../../src/host/control-backend.js';
import type { NodeOptions } from '../../src/host/node.js';
import { Prng } from '../../src/fuzz/prng.js';
import { mutateBytes } from '../../src/fuzz/frames.js';
import { linksUp, memoryNodes, shutdownAll } from '../helpers/nodes.js';
import { rootTest } from '../helpers/root.js';
import { RawClient } from '../control/helpers.js';

async function daemon(t: ExecutionContext, overrides: Partial<NodeOptions> = {}) {
  const nodes = memoryNodes(2, overrides);
  await linksUp(nodes);
  const backends = await Promise.all(nodes.map((n) => NodeControlBackend.create(n, { version: 'test', miniport: n.miniport.name })));
  const dir = mkdtempSync(join(tmpdir(), 'condis-hostile-'));
  const path = join(dir, 'c.sock');
  const server = await startControlServer(backends[0]!, { path, serverName: 'hostile-test' });
  await backends[1]!.registerSap({ address: '1002', policy: 'accept' });
  t.teardown(async () => {
    await server.close();
    for (const b of backends) b.dispose();
    await shutdownAll(nodes);
  });
  return { nodes, backends, path, server };
}

/** a fresh client can still make a call and close it */
async function serving(t: ExecutionContext, path: string, tag: string): Promise<void> {
  const c = await connectControl(path, { helloTimeoutMs: 5000 });
  try {
    const r = (await c.makeCall({ called: '1002' })) as { vc: number };
    await c.closeCall({ vc: r.vc, closeData: tag });
    t.pass(`${tag}: still serving`);
  } finally {
    c.close();
  }
}

const OPS = ['hello', 'info', 'peers', 'links', 'saps', 'vcs', 'parties', 'counters', 'register-sap', 'deregister-sap', 'make-call', 'add-party', 'drop-party', 'close-call', 'send', 'create-vc', 'delete-vc', 'answer-call', 'subscribe', 'unsubscribe', 'set-incoming-policy'];

test('malformed and mutated requests get error responses and the daemon keeps serving', async (t) => {
  const { path } = await daemon(t);
  const p = new Prng(5);
  const c = await RawClient.connect(path);
  await c.next(); // hello
  const lines: string[] = [
    '',
    '{',
    'null',
    '"x"',
    '12',
    '{"id":1}',
    '{"id":{"a":1},"op":"vcs"}',
    '{"id":1,"op":"make-call","args":{"called":123}}',
    '{"id":2,"op":"make-call","args":{"called":"1002","vc":-1}}',
    '{"id":3,"op":"send","args":{"vc":1e308,"data":"x"}}',
    '{"id":4,"op":"drop-party","args":{"vc":1,"party":1,"closeData":"' + 'x'.repeat(4000) + '"}}',
    '{"id":5,"op":"register-sap","args":{"address":"' + '9'.repeat(300) + '"}}',
    '{"id":6,"op":"__proto__","args":{}}',
    '{"id":7,"op":"constructor"}',
    '{"id":8,"op":"vcs","args":{"__proto__":{"polluted":true}}}',
    JSON.stringify({ id: 9, op: 'make-call', args: { parties: Array.from({ length: 2000 }, () => '1002') } }),
    '[' .repeat(5000) + ']'.repeat(5000),
    Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString('latin1'),
  ];
  for (let i = 0; i < 300; i++) {
    const op = p.pick(OPS);
    const base = Buffer.from(JSON.stringify({ id: 100 + i, op, args: { vc: p.int(5), party: p.int(5), called: '1002', address: '1002', data: 'x', sap: p.int(3) } }));
    lines.push(mutateBytes(p, base, 4000).toString('latin1').replace(/\n/g, ' '));
  }
  let responses = 0;
  for (const l of lines) {
    c.send(l);
    // a response (ok or error) for every non-empty line; none of them closes the connection
    if (l.trim() === '') continue;
    const r = await c.next();
    t.is(r.type, 'response', `response to ${l.slice(0, 60)}`);
    responses++;
  }
  t.false(c.closed);
  t.is(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
  t.true((await c.request('last', 'counters')).ok);
  t.log(`${responses} hostile requests answered`);
  c.destroy();
  await serving(t, path, 'after malformed requests');
});

test('an oversized line closes only that connection; floods of requests and connections are served', async (t) => {
  const { path } = await daemon(t);
  const big = await RawClient.connect(path);
  await big.next();
  big.socket.write('{"id":1,"op":"vcs","args":{"x":"' + 'a'.repeat(2 * 1024 * 1024));
  const r = await big.next();
  t.is(r.error?.code, 'line-too-long');
  await big.whenClosed();

  // one connection pipelining 3000 requests without waiting
  const c = await RawClient.connect(path);
  await c.next();
  for (let i = 0; i < 3000; i++) c.send({ id: i, op: i % 2 ? 'counters' : 'vcs' });
  const seen = new Set<number>();
  for (let i = 0; i < 3000; i++) seen.add((await c.next()).id as number);
  t.is(seen.size, 3000, 'every pipelined request answered');
  c.destroy();

  // 100 connections at once, each asking something, half of them leaving without reading
  const many = await Promise.all(Array.from({ length: 100 }, () => RawClient.connect(path)));
  many.forEach((m, i) => {
    m.send({ id: i, op: 'peers' });
    if (i % 2) m.destroy();
  });
  for (const [i, m] of many.entries()) if (i % 2 === 0) t.truthy(await m.request(`again-${i}`, 'links'));
  for (const m of many) m.destroy();
  await serving(t, path, 'after floods');
});

test('clients that vanish mid-line or with a call in progress leave the daemon serving', async (t) => {
  const { path, backends } = await daemon(t);
  // half a line, then gone
  const a = await RawClient.connect(path);
  await a.next();
  a.socket.write('{"id":1,"op":"make-ca');
  a.destroy();
  // a make-call in flight, then gone: the call completes in the daemon and can be found and closed
  const b = await RawClient.connect(path);
  await b.next();
  b.send({ id: 1, op: 'make-call', args: { called: '1002' } });
  b.destroy();
  const c = await connectControl(path);
  let vcs: { vc: number; call?: { state: string } }[] = [];
  for (let i = 0; i < 200; i++) {
    vcs = (await c.vcs()) as typeof vcs;
    if (vcs.some((v) => v.call?.state === 'CONNECTED')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const orphan = vcs.find((v) => v.call?.state === 'CONNECTED');
  t.truthy(orphan, 'the call of the vanished client completed');
  await c.closeCall({ vc: orphan!.vc });
  c.close();
  t.is(backends[0]!.pendingRequests(), 0);
  await serving(t, path, 'after vanished clients');
});

test('requests past limits.pendingRequests fail at once with RESOURCES, and the cap frees up again', async (t) => {
  // a callee that never answers keeps make-calls in progress
  const { path, backends } = await daemon(t, { limits: { pendingRequests: 3 } });
  await backends[1]!.setIncomingPolicy({ sap: 1, policy: 'ask' });
  const c = await connectControl(path);
  t.teardown(() => c.close());
  const held = [0, 1, 2].map(() => c.makeCall({ called: '1002' }).catch((e: unknown) => e));
  for (let i = 0; i < 200 && backends[0]!.pendingRequests() < 3; i++) await new Promise((r) => setTimeout(r, 10));
  t.is(backends[0]!.pendingRequests(), 3);
  const e = (await c.makeCall({ called: '1002' }).catch((x: unknown) => x)) as { code?: string; ndisStatus?: { name: string } };
  t.is(e.code, 'failed');
  t.is(e.ndisStatus?.name, 'RESOURCES');
  // answer the held calls: the cap frees up
  const events = backends[1]!;
  for (let i = 0; i < 200 && ((await events.vcs()) as unknown[]).length < 3; i++) await new Promise((r) => setTimeout(r, 10));
  for (const v of (await events.vcs()) as { vc: number }[]) await events.answerCall({ vc: v.vc, accept: true }).catch(() => undefined);
  await events.setIncomingPolicy({ sap: 1, policy: 'accept' });
  await Promise.all(held);
  t.is(backends[0]!.pendingRequests(), 0);
  await serving(t, path, 'after the cap');
});

rootTest('the control socket is owner-only by default: another user is refused, the daemon keeps serving', async (t) => {
  const { path } = await daemon(t);
  t.is(statSync(path).mode & 0o777, 0o600);
  chmodSync(dirname(path), 0o755);
  const script = `const s=require('net').connect(${JSON.stringify(path)});s.on('connect',()=>{console.log('CONNECTED');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`;
  const r = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 20_000 });
  t.is(r.stdout.trim(), 'EACCES', `another user: ${r.stdout}${r.stderr}`);
  await serving(t, path, 'after a refused user');
});
