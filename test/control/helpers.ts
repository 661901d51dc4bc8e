/** Helpers for control-protocol tests: a fake-backed server on a fresh socket, and a raw line client. */
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { startControlServer, type ControlServer, type ControlServerOptions } from '../../src/control/server.js';
import { FakeBackend } from './fake-backend.js';
import { connectControl, type ControlClient } from '../../src/control/client.js';
import { NodeControlBackend } from '../../src/host/control-backend.js';
import type { CondisNode, NodeOptions } from '../../src/host/node.js';
import { linksUp, memoryNodes, shutdownAll } from '../helpers/nodes.js';

export function socketPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'condis-ctl-')), 'c.sock');
}

export async function startFake(t: ExecutionContext, opts: Partial<ControlServerOptions> = {}): Promise<{ backend: FakeBackend; server: ControlServer; path: string }> {
  const backend = new FakeBackend();
  const path = opts.path ?? socketPath();
  const server = await startControlServer(backend, { path, serverName: 'fake', ...opts });
  t.teardown(() => server.close());
  return { backend, server, path };
}

/** A raw protocol client: send lines, read parsed lines one by one. */
export class RawClient {
  private lines: unknown[] = [];
  private waiters: ((v: unknown) => void)[] = [];
  private buf = '';
  closed = false;
  private closeWaiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const l = JSON.parse(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 1);
        const w = this.waiters.shift();
        if (w) w(l);
        else this.lines.push(l);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.closeWaiters.forEach((f) => f());
    });
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(line: string | object): void {
    this.socket.write((typeof line === 'string' ? line : JSON.stringify(line)) + '\n');
  }

  /** the next line from the server (fails the test after 5 s) */
  next<T = Record<string, any>>(): Promise<T> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no line from the server within 5 s')), 5000);
      this.waiters.push((v) => {
        clearTimeout(timer);
        resolve(v as T);
      });
    });
  }

  /** send a request and wait for the response with its id (events in between are kept) */
  async request(id: number | string, op: string, args?: object): Promise<Record<string, any>> {
    this.send({ id, op, ...(args ? { args } : {}) });
    const skipped: unknown[] = [];
    for (;;) {
      const l = await this.next();
      if (l.type === 'response' && l.id === id) {
        this.lines.unshift(...skipped);
        return l;
      }
      skipped.push(l);
    }
  }

  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((r) => this.closeWaiters.push(r));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * `n` complete hosts on an in-memory segment (1001, 1002, ...), each with the daemon's real backend behind a
 * control server on a fresh socket, and a control client per host; all taken down after the test.
 */
export async function controlledHosts(t: ExecutionContext, n: number, overrides: Partial<NodeOptions> = {}): Promise<{ nodes: CondisNode[]; clients: ControlClient[]; paths: string[] }> {
  const nodes = memoryNodes(n, overrides);
  const servers: ControlServer[] = [];
  const clients: ControlClient[] = [];
  const paths: string[] = [];
  t.teardown(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(servers.map((s) => s.close()));
    await shutdownAll(nodes);
  });
  await linksUp(nodes);
  for (const node of nodes) {
    const backend = await NodeControlBackend.create(node, { version: 'test', miniport: node.miniport.name });
    const path = socketPath();
    servers.push(await startControlServer(backend, { path }));
    clients.push(await connectControl(path));
    paths.push(path);
  }
  return { nodes, clients, paths };
}
