/**
 * The control server: a Unix socket speaking the control protocol
 * (src/control/protocol.ts, docs/control-protocol.md) on top of a
 * `ControlBackend`.
 *
 * - The socket file gets `mode` (default 0o600, owner only) from creation on
 *   (umask while binding, then chmod); a stale socket is replaced, a live one
 *   (another daemon) is an error.
 * - Requests on one connection run concurrently (a pending make-call does not
 *   block a status query); responses carry the request id. hello, subscribe and
 *   unsubscribe are answered at once, in order, so a subscription is live
 *   before any request sent after it is handled.
 * - Every request error is a response; the connection stays open. Only an
 *   oversized line (or a client that does not read its events) closes it.
 * - A closed connection loses its subscriptions and nothing else.
 */
import { randomUUID } from 'node:crypto';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Subscription } from 'rxjs';
import type { ControlBackend, ControlEvent, ControlEventKind } from './backend.js';
import { batchWrites } from './batch-writes.js';
import { ControlError, statusInfo, type ControlErrorJson } from './errors.js';
import {
  argSchemas,
  describeZodError,
  encodeBytes,
  MAX_LINE_BYTES,
  OPS,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
  requestSchema,
  type CallPartyResult,
  type MakeCallResponse,
  type OpName,
  type OpParsedArgs,
  type RequestId,
  type ServerHello,
  type ServerMessage,
} from './protocol.js';

/** The subset of a pino logger the server uses. */
export interface ControlLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface ControlServerOptions {
  path: string;
  /** socket file permission bits; default 0o600 */
  mode?: number;
  /** longest request line; default 1 MiB */
  maxLineBytes?: number;
  /** a connection whose unread output exceeds this is closed with "overrun"; default 16 MiB */
  maxBufferedBytes?: number;
  /** shown in the hello, e.g. "condisd 0.1.0 (host-a)" */
  serverName?: string;
  logger?: ControlLogger;
}

export interface ControlServer {
  readonly path: string;
  /** open control connections */
  connections(): number;
  /** stop listening, close every connection, remove the socket file */
  close(): Promise<void>;
}

interface Sub {
  id: number;
  kinds?: Set<ControlEventKind>;
  vc?: number;
}

interface Conn {
  id: string;
  socket: Socket;
  /** socket.write, one system call per turn (batch-writes.ts) */
  writeLine: (line: string) => void;
  subs: Map<number, Sub>;
  nextSub: number;
  closed: boolean;
  /** the client's name from its hello, if it sent one */
  client?: string;
}

const silent: ControlLogger = { info() {}, warn() {}, debug() {} };

/**
 * Can a control server be started on `path`? Throws an Error saying why not
 * (another server listens there, or the path is not a socket); resolves
 * `stale` when a socket file is left with nobody listening. Changes nothing:
 * condisd asks before it opens its device, so a second daemon with the same
 * socket never touches the first one's TAP.
 */
export async function checkSocketPath(path: string): Promise<'free' | 'stale'> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return 'free';
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; not replacing it`);
  const live = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (live) throw new Error(`another server is listening on ${path} (is condisd already running?)`);
  return 'stale';
}

async function prepareSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  if ((await checkSocketPath(path)) === 'stale') await unlink(path);
}

export async function startControlServer(backend: ControlBackend, opts: ControlServerOptions): Promise<ControlServer> {
  const path = opts.path;
  const mode = opts.mode ?? 0o600;
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const maxBuffered = opts.maxBufferedBytes ?? 16 * 1024 * 1024;
  const log = opts.logger ?? silent;
  const conns = new Set<Conn>();
  const stats = { connections: 0, requests: 0, errors: 0, events: 0, overruns: 0 };

  const hello: ServerHello = {
    type: 'hello',
    protocol: PROTOCOL_NAME,
    version: PROTOCOL_VERSION,
    server: opts.serverName ?? 'condisd',
    ops: OPS,
    maxLineBytes: maxLine,
  };

  function write(c: Conn, msg: ServerMessage): void {
    if (c.closed || c.socket.destroyed) return;
    if (c.socket.writableLength > maxBuffered) {
      stats.overruns++;
      log.warn({ conn: c.id }, 'control client does not read its events: closing');
      c.socket.end(JSON.stringify({ type: 'error', error: { code: 'overrun', message: 'too much unread output: read your events' } }) + '\n');
      drop(c);
      return;
    }
    c.writeLine(JSON.stringify(msg) + '\n');
  }

  function respond(c: Conn, id: RequestId | null, result: unknown): void {
    write(c, { type: 'response', id, ok: true, result: encodeBytes(result ?? {}) });
  }

  function fail(c: Conn, id: RequestId | null, e: unknown, op?: string): void {
    stats.errors++;
    let err: ControlErrorJson;
    if (e instanceof ControlError) err = e.toJSON();
    else {
      log.warn({ conn: c.id, op, err: e instanceof Error ? e.stack : String(e) }, 'control backend failed');
      err = { code: 'internal', message: `${op ?? 'request'}: internal error: ${e instanceof Error ? e.message : String(e)}` };
    }
    write(c, { type: 'response', id, ok: false, error: err });
  }

  function drop(c: Conn): void {
    if (c.closed) return;
    c.closed = true;
    c.subs.clear();
    conns.delete(c);
    setTimeout(() => c.socket.destroy(), 1000).unref();
  }

  // one subscription to the backend, fanned out to every matching client subscription
  const eventsSub: Subscription = backend.events$.subscribe({
    next: (ev: ControlEvent) => {
      stats.events++;
      const stamped = ev.at ? ev : { ...ev, at: new Date().toISOString() };
      let wire: unknown;
      for (const c of conns) {
        for (const s of c.subs.values()) {
          if (s.kinds && !s.kinds.has(ev.kind)) continue;
          if (s.vc !== undefined && (ev as { vc?: number }).vc !== s.vc) continue;
          wire ??= encodeBytes(stamped);
          write(c, { type: 'event', subscription: s.id, event: wire });
        }
      }
    },
    error: (e: unknown) => log.warn({ err: String(e) }, 'backend events$ failed; no more events'),
  });

  async function makeCall(a: OpParsedArgs['make-call']): Promise<MakeCallResponse> {
    const list = a.parties ?? [a.called!];
    const multipoint = a.multipoint ?? a.parties !== undefined;
    const r = await backend.makeCall({ called: list[0]!, multipoint, ...(a.vc !== undefined ? { vc: a.vc } : {}), ...(a.uu ? { uu: a.uu } : {}) });
    const parties: CallPartyResult[] = multipoint ? [{ address: list[0]!, ...(r.party !== undefined ? { party: r.party } : {}), status: r.status }] : [];
    // further parties one at a time, each after the previous completed (as the DDK sample client does)
    for (const address of list.slice(1)) {
      try {
        const p = await backend.addParty({ vc: r.vc, address });
        parties.push({ address, party: p.party, status: p.status });
      } catch (e) {
        const ce = e instanceof ControlError ? e : new ControlError('internal', String(e));
        parties.push({ address, status: ce.ndisStatus ?? statusInfo('FAILURE'), error: ce.toJSON() });
      }
    }
    return { vc: r.vc, multipoint, ...(r.party !== undefined ? { party: r.party } : {}), ...(r.path ? { path: r.path } : {}), parties, status: r.status };
  }

  async function counters() {
    return { ...(await backend.counters()), control: { ...stats, clients: conns.size } };
  }

  const handlers: { [K in OpName]: (a: OpParsedArgs[K], c: Conn) => unknown } = {
    hello: (a, c) => {
      if (a.version !== PROTOCOL_VERSION) {
        throw new ControlError('version', `protocol version ${a.version} is not supported; this server speaks version ${PROTOCOL_VERSION}`);
      }
      if (a.client) c.client = a.client;
      return { protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION };
    },
    info: () => backend.info(),
    'register-sap': (a, c) => backend.registerSap({ ...a, owner: c.client ?? `control connection ${c.id}` }),
    'deregister-sap': (a) => backend.deregisterSap(a),
    'set-incoming-policy': (a) => backend.setIncomingPolicy(a),
    'answer-call': (a) => backend.answerCall(a),
    'create-vc': () => backend.createVc(),
    'delete-vc': (a) => backend.deleteVc(a),
    'make-call': (a) => makeCall(a),
    'add-party': (a) => backend.addParty(a),
    'drop-party': (a) => backend.dropParty(a),
    'close-call': (a) => backend.closeCall(a),
    'modify-call': (a) => {
      if (!backend.modifyCall) throw new ControlError('unsupported', 'this daemon cannot change the QoS of a call');
      return backend.modifyCall(a);
    },
    send: (a) => backend.send(a),
    status: async () => {
      const [info, saps, peers, links, vcs, parties, ctr] = await Promise.all([
        backend.info(),
        backend.saps(),
        backend.peers(),
        backend.links(),
        backend.vcs(),
        backend.parties(),
        counters(),
      ]);
      const sw = backend.switch ? await backend.switch() : undefined;
      return { info, saps, peers, links, vcs, parties, counters: ctr, ...(sw ? { switch: sw } : {}) };
    },
    saps: () => backend.saps(),
    peers: () => backend.peers(),
    links: () => backend.links(),
    vcs: () => backend.vcs(),
    parties: () => backend.parties(),
    counters: () => counters(),
    subscribe: (a, c) => {
      const id = ++c.nextSub;
      c.subs.set(id, { id, ...(a.kinds ? { kinds: new Set(a.kinds as ControlEventKind[]) } : {}), ...(a.vc !== undefined ? { vc: a.vc } : {}) });
      return { subscription: id };
    },
    unsubscribe: (a, c) => {
      if (!c.subs.delete(a.subscription)) throw ControlError.notFound(`no subscription ${a.subscription} on this connection`);
      return {};
    },
  };
  const immediate = new Set<OpName>(['hello', 'subscribe', 'unsubscribe']);

  function handleLine(c: Conn, line: string): void {
    stats.requests++;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch (e) {
      fail(c, null, new ControlError('bad-json', `malformed JSON: ${(e as Error).message}`));
      return;
    }
    const env = requestSchema.safeParse(msg);
    if (!env.success) {
      const rawId = (msg as { id?: unknown } | null)?.id;
      const id = typeof rawId === 'number' || typeof rawId === 'string' ? rawId : null;
      fail(c, id, new ControlError('bad-request', `not a request (expected {"id":..,"op":"..","args":{..}}): ${describeZodError(env.error, '')}`));
      return;
    }
    const { id, op } = env.data;
    if (!Object.hasOwn(argSchemas, op)) {
      fail(c, id, new ControlError('unknown-op', `unknown operation "${op}" (known: ${OPS.join(', ')})`));
      return;
    }
    const name = op as OpName;
    const parsed = argSchemas[name].safeParse(env.data.args ?? {});
    if (!parsed.success) {
      fail(c, id, new ControlError('bad-args', `${op}: ${describeZodError(parsed.error, 'args')}`));
      return;
    }
    log.debug({ conn: c.id, id, op }, 'control request');
    const handler = handlers[name] as (a: unknown, c: Conn) => unknown;
    if (immediate.has(name)) {
      try {
        respond(c, id, handler(parsed.data, c));
      } catch (e) {
        fail(c, id, e, op);
      }
      return;
    }
    let p: Promise<unknown>;
    try {
      p = Promise.resolve(handler(parsed.data, c));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (r) => respond(c, id, r),
      (e) => fail(c, id, e, op),
    );
  }

  function onConnection(socket: Socket): void {
    const c: Conn = { id: randomUUID().slice(0, 8), socket, writeLine: batchWrites(socket), subs: new Map(), nextSub: 0, closed: false };
    conns.add(c);
    stats.connections++;
    log.debug({ conn: c.id }, 'control client connected');
    socket.on('error', () => drop(c));
    socket.on('close', () => {
      drop(c);
      log.debug({ conn: c.id }, 'control client gone');
    });
    let pending: Buffer[] = [];
    let pendingLen = 0;
    socket.on('data', (chunk: Buffer) => {
      let start = 0;
      for (;;) {
        if (c.closed) return;
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0) break;
        const part = chunk.subarray(start, nl);
        if (pendingLen + part.length > maxLine) return tooLong(c);
        const line = (pendingLen ? Buffer.concat([...pending, part]) : part).toString('utf8').replace(/\r$/, '');
        pending = [];
        pendingLen = 0;
        start = nl + 1;
        if (line.trim() !== '') handleLine(c, line);
      }
      const rest = chunk.subarray(start);
      if (pendingLen + rest.length > maxLine) return tooLong(c);
      if (rest.length) {
        pending.push(Buffer.from(rest));
        pendingLen += rest.length;
      }
    });
    socket.write(JSON.stringify(hello) + '\n');
  }

  function tooLong(c: Conn): void {
    stats.errors++;
    log.warn({ conn: c.id }, 'control request line too long: closing');
    const error: ControlErrorJson = { code: 'line-too-long', message: `request line longer than ${maxLine} bytes; closing the connection` };
    c.socket.end(JSON.stringify({ type: 'error', error }) + '\n');
    drop(c);
  }

  await prepareSocketPath(path);
  const server: Server = createServer({ allowHalfOpen: false }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    let oldMask: number | undefined;
    try {
      oldMask = process.umask(0o777 & ~mode);
    } catch {
      // worker threads cannot change the umask; chmod below still applies the mode
    }
    try {
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      if (oldMask !== undefined) process.umask(oldMask);
    }
  });
  await chmod(path, mode);
  server.on('error', (e) => log.warn({ err: String(e) }, 'control server error'));
  log.info({ path, mode: `0${mode.toString(8)}` }, 'control socket listening');

  let closing: Promise<void> | undefined;
  return {
    path,
    connections: () => conns.size,
    close() {
      closing ??= (async () => {
        eventsSub.unsubscribe();
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const c of [...conns]) {
          c.closed = true;
          c.socket.destroy();
        }
        conns.clear();
        await done;
        await unlink(path).catch(() => {});
      })();
      return closing;
    },
  };
}
