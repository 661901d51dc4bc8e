/**
 * The live view: an HTTP server on 127.0.0.1 (by default) that shows a set of
 * condisd hosts in a browser as they work. It connects to each host's control
 * socket (the same protocol as condisctl), and
 * - streams every event of every host to the page over Server-Sent Events
 *   (`GET /events`: `event: ev` with `{host, event}`, and `event: state` with a
 *   host's `status` after anything that changes its tables, asked for as
 *   refresh.ts says: not while no page is connected, one at a time, spaced
 *   by what the last one took). Each `ev` has an
 *   id; the last HISTORY of them are kept, and a connection gets, before
 *   anything new, the ones after its `Last-Event-ID` (all of them for a new
 *   page, so the ladder starts at the beginning; all of this server's for an id
 *   from an earlier server on the same port) and then every host's status: a
 *   page that reconnects has the full state, not only what came after;
 * - answers `GET /api/state` with every host's status;
 * - runs demo actions (`POST /api/action` `{host, op, args}`: make-call,
 *   add-party, drop-party, close-call, send, register-sap) through the host's
 *   control connection, exactly as condisctl would;
 * - serves the page (src/view/page.*), plain DOM, no library.
 *
 * No server library: SSE is a text response kept open, which node:http does.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectControl, type ControlClient, type EventSubscription } from '../control/client.js';
import { TablesRefresh } from './refresh.js';
import { ControlError } from '../control/errors.js';
import type { OpName } from '../control/protocol.js';

export interface ViewHost {
  name: string;
  /** the host's condisd control socket */
  socket: string;
}

export interface ViewOptions {
  hosts: ViewHost[];
  /** default 127.0.0.1 */
  listen?: string;
  /** default 8080; 0 = any free port */
  port?: number;
  title?: string;
  /**
   * a page's stream that has more than this unread (octets; default 8 MiB) is ended: a page that stopped
   * reading (a suspended laptop, a stuck tab) must not make the server hold a busy lab's events for it.
   * A page that reads again reconnects by itself and is sent what it missed and every host's tables.
   */
  maxBufferedBytes?: number;
}

export interface ViewServer {
  url: string;
  close(): Promise<void>;
}

/** operations the page may run (nothing that changes SAP policy or deletes others' VCs) */
const ACTIONS: ReadonlySet<string> = new Set(['make-call', 'add-party', 'drop-party', 'close-call', 'send', 'register-sap']);
/** event kinds after which a host's tables are sent again */
const TABLE_KINDS = new Set([
  'incoming-call',
  'call-connected',
  'make-call-complete',
  'add-party-complete',
  'drop-party-complete',
  'close-call-complete',
  'incoming-drop-party',
  'incoming-close-call',
  'vc-state',
  'party-state',
  'link-state',
  'peer',
  'sap',
  'message',
  'switch',
]);
/** `ev` events kept for connections that come (back) later */
const HISTORY = 5000;
/** how long a page waits before it reconnects (ms), told in the stream */
const RETRY_MS = 500;
const MAX_BODY = 64 * 1024;

const here = dirname(fileURLToPath(import.meta.url));
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'page.html', type: 'text/html; charset=utf-8' },
  '/page.js': { file: 'page.js', type: 'text/javascript; charset=utf-8' },
  '/page.css': { file: 'page.css', type: 'text/css; charset=utf-8' },
};

/** Buffers in events and results as `{text?, hex}` (text when printable), for the page */
export function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v)) {
    const text = v.toString('utf8');
    return /^[\x20-\x7e]*$/.test(text) ? { text, hex: v.toString('hex') } : { hex: v.toString('hex') };
  }
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

interface Conn {
  host: ViewHost;
  client: ControlClient;
  sub: EventSubscription;
}

export async function startView(opts: ViewOptions): Promise<ViewServer> {
  const conns: Conn[] = [];
  const clients = new Set<ServerResponse>();
  const maxBuffered = opts.maxBufferedBytes ?? 8 * 2 ** 20;
  try {
    for (const host of opts.hosts) {
      const client = await connectControl(host.socket, { helloTimeoutMs: 3000, requestTimeoutMs: 30_000 });
      const sub = await client.subscribe({}).catch((e) => {
        client.close();
        throw e;
      });
      conns.push({ host, client, sub });
    }
  } catch (e) {
    for (const c of conns) c.client.close();
    throw e instanceof ControlError ? new Error(`live view: cannot reach condisd: ${e.message}`) : e;
  }
  const byName = new Map(conns.map((c) => [c.host.name, c]));

  // event ids: this server's instance, then a sequence number ("k3x9-42")
  const instance = Date.now().toString(36);
  let seq = 0;
  const history: { seq: number; line: string }[] = [];
  const frame = (event: string, data: unknown, id?: string) => `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  const broadcast = (event: string, data: unknown) => {
    let line: string;
    if (event === 'ev') {
      seq++;
      line = frame(event, data, `${instance}-${seq}`);
      history.push({ seq, line });
      if (history.length > HISTORY) history.shift();
    } else line = frame(event, data);
    for (const res of clients) {
      if (res.writableLength > maxBuffered) {
        clients.delete(res);
        res.end();
      } else res.write(line);
    }
  };
  const hostState = async (c: Conn) => {
    try {
      return { host: c.host.name, up: true, status: plain(await c.client.status()) };
    } catch (e) {
      return { host: c.host.name, up: false, error: (e as Error).message };
    }
  };
  // when each host is asked for its tables again (refresh.ts)
  const refreshes = conns.map((c) => new TablesRefresh(async () => broadcast('state', await hostState(c)), () => clients.size > 0));
  conns.forEach((c, k) => {
    c.sub.events$.subscribe({
      next: (event) => {
        broadcast('ev', { host: c.host.name, event: plain(event) });
        if (TABLE_KINDS.has(event.kind)) refreshes[k]!.changed();
      },
      complete: () => broadcast('state', { host: c.host.name, up: false, error: 'condisd closed the control connection' }),
    });
  });

  const json = (res: ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      let size = 0;
      const parts: Buffer[] = [];
      req.on('data', (b: Buffer) => {
        size += b.length;
        if (size > MAX_BODY) reject(new Error(`request body over ${MAX_BODY} bytes`));
        else parts.push(b);
      });
      req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
      req.on('error', reject);
    });

  const action = async (req: IncomingMessage, res: ServerResponse) => {
    // JSON only: a cross-site form cannot send it without a CORS preflight, which this server never grants
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return json(res, 415, { ok: false, error: { code: 'bad-request', message: 'send application/json' } });
    let body: { host?: unknown; op?: unknown; args?: unknown };
    try {
      body = JSON.parse(await readBody(req));
    } catch (e) {
      return json(res, 400, { ok: false, error: { code: 'bad-json', message: (e as Error).message } });
    }
    const c = typeof body.host === 'string' ? byName.get(body.host) : undefined;
    if (!c) return json(res, 400, { ok: false, error: { code: 'bad-args', message: `host: one of ${[...byName.keys()].join(', ')}` } });
    if (typeof body.op !== 'string' || !ACTIONS.has(body.op)) return json(res, 400, { ok: false, error: { code: 'bad-args', message: `op: one of ${[...ACTIONS].join(', ')}` } });
    try {
      const result = await c.client.request(body.op as OpName, (body.args ?? {}) as never);
      json(res, 200, { ok: true, result: plain(result) });
    } catch (e) {
      const err = e instanceof ControlError ? { code: e.code, message: e.message, ...(e.ndisStatus ? { ndisStatus: e.ndisStatus } : {}) } : { code: 'internal', message: (e as Error).message };
      json(res, 200, { ok: false, error: err });
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://view');
    if (req.method === 'GET' && STATIC[url.pathname]) {
      const s = STATIC[url.pathname]!;
      res.writeHead(200, { 'content-type': s.type, 'cache-control': 'no-store' });
      return res.end(readFileSync(join(here, s.file)));
    }
    if (req.method === 'GET' && url.pathname === '/api/state') {
      return void Promise.all(conns.map(hostState)).then((hosts) => json(res, 200, { title: opts.title ?? 'condis-tap', hosts }));
    }
    if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`: condis-tap live view\nretry: ${RETRY_MS}\n\n`);
      // what this connection missed: events after its last id (all kept ones when it has none of ours)
      const last = /^(\w+)-(\d+)$/.exec(String(req.headers['last-event-id'] ?? ''));
      const after = last && last[1] === instance ? Number(last[2]) : 0;
      for (const h of history) if (h.seq > after) res.write(h.line);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      // then every host's tables as they are now
      void Promise.all(conns.map(hostState)).then((states) => {
        if (!clients.has(res)) return;
        for (const st of states) res.write(frame('state', st));
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/action') return void action(req, res);
    json(res, 404, { ok: false, error: { code: 'not-found', message: `${req.method} ${url.pathname}` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, opts.listen ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const hostPart = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${hostPart}:${addr.port}/`,
    close: async () => {
      for (const r of refreshes) r.dispose();
      for (const res of clients) res.end();
      clients.clear();
      for (const c of conns) {
        await c.sub.close().catch(() => {});
        c.client.close();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
