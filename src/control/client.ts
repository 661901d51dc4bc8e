/**
 * The control client library: drive a running condisd from a program.
 *
 * ```ts
 * import { connectControl } from 'condis-tap/src/control/client.js';
 *
 * const ctl = await connectControl('/run/condis/condisd.sock');
 * const sub = await ctl.subscribe({ kinds: ['incoming-close-call', 'receive'] });
 * const call = await ctl.makeCall({ parties: ['1002', '1003'] });  // multipoint, two parties
 * await ctl.send({ vc: call.vc, data: 'hello' });                    // string = UTF-8
 * await ctl.dropParty({ vc: call.vc, party: call.parties[1]!.party!, closeData: 'bye 1003' });
 * await ctl.closeCall({ vc: call.vc, closeData: Buffer.from([1, 2, 3]) });
 * for await (const ev of sub) console.log(ev.kind);                 // or sub.events$.subscribe(...)
 * ctl.close();
 * ```
 *
 * Methods mirror `ControlBackend` (src/control/backend.ts) and resolve with the
 * operation's result or reject with a `ControlError` (`code`, `message`,
 * `ndisStatus`). Bytes go in as Buffer/Uint8Array or string (UTF-8) and come
 * out of results and events as Buffers.
 */
import { connect, type Socket } from 'node:net';
import { Observable, Subject } from 'rxjs';
import type { ControlEvent, ControlEventKind, IncomingPolicy } from './backend.js';
import { batchWrites } from './batch-writes.js';
import { ControlError, type ControlErrorJson } from './errors.js';
import {
  decodeBytes,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
  toPayload,
  type OpArgs,
  type OpName,
  type OpResults,
  type RequestId,
  type ServerHello,
} from './protocol.js';

export const DEFAULT_SOCKET_PATH = '/run/condis/condisd.sock';

/** $CONDIS_SOCKET, else /run/condis/condisd.sock */
export function defaultSocketPath(): string {
  return process.env.CONDIS_SOCKET || DEFAULT_SOCKET_PATH;
}

export type Bytes = Buffer | Uint8Array | string;

export interface ConnectOptions {
  /** reject a request with `timeout` after this many ms (default: no timeout; calls may pend for long) */
  requestTimeoutMs?: number;
  /** reject connectControl when no hello arrives in time (default 5000 ms) */
  helloTimeoutMs?: number;
}

export interface EventFilter {
  kinds?: ControlEventKind[];
  vc?: number;
}

/** One server-side subscription: events as an Observable or an async iterator; `close()` unsubscribes. */
export interface EventSubscription extends AsyncIterable<ControlEvent> {
  readonly id: number;
  readonly events$: Observable<ControlEvent>;
  close(): Promise<void>;
}

function bytes(b: Bytes | undefined) {
  if (b === undefined) return undefined;
  return typeof b === 'string' ? toPayload(b, 'utf8') : toPayload(Buffer.from(b));
}

interface SubState {
  /** events kept until the first consumer attaches (then null) */
  buffer: ControlEvent[] | null;
  live: Subject<ControlEvent>;
  ended: boolean;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: ControlError): void;
  timer?: NodeJS.Timeout;
  op: string;
}

export class ControlClient {
  /** the server's greeting (protocol version, operations it knows) */
  readonly hello: ServerHello;
  private readonly socket: Socket;
  /** socket.write, one system call per turn (batch-writes.ts) */
  private readonly writeLine: (line: string) => void;
  private readonly pending = new Map<RequestId, Pending>();
  private readonly subs = new Map<number, SubState>();
  private readonly closed$ = new Subject<void>();
  private nextId = 1;
  private done = false;
  private closedError: ControlError | undefined;
  private readonly timeoutMs: number | undefined;

  /** @internal use connectControl() */
  constructor(socket: Socket, hello: ServerHello, rest: string, opts: ConnectOptions) {
    this.socket = socket;
    this.writeLine = batchWrites(socket);
    this.hello = hello;
    this.timeoutMs = opts.requestTimeoutMs;
    // a line's pieces until its newline comes: a long one (the status of a host with 100,000 calls is tens of MB)
    // arrives in many chunks, and each chunk is searched once, not the whole line so far again
    let pieces: string[] = [];
    let carry = rest; // what followed the hello, taken with the first chunk
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      const chunk = carry + data;
      carry = '';
      let from = 0;
      let nl: number;
      while ((nl = chunk.indexOf('\n', from)) >= 0) {
        pieces.push(chunk.slice(from, nl));
        const line = pieces.length === 1 ? pieces[0]! : pieces.join('');
        pieces = [];
        from = nl + 1;
        if (line.trim()) this.onLine(line);
      }
      if (from < chunk.length) pieces.push(chunk.slice(from));
    });
    socket.on('error', (e) => this.shutdown(new ControlError('closed', `control connection failed: ${e.message}`)));
    socket.on('close', () => this.shutdown(this.closedError ?? new ControlError('closed', 'condisd closed the control connection')));
  }

  private onLine(line: string): void {
    let msg: { type?: string; id?: RequestId; ok?: boolean; result?: unknown; error?: ControlErrorJson; subscription?: number; event?: unknown };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.type === 'response' && msg.id !== undefined && msg.id !== null) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (p.timer) clearTimeout(p.timer);
      if (msg.ok && p.op === 'subscribe') {
        const sid = (msg.result as { subscription: number }).subscription;
        this.subs.set(sid, { buffer: [], live: new Subject<ControlEvent>(), ended: false });
      }
      if (msg.ok) p.resolve(decodeBytes(msg.result));
      else p.reject(ControlError.fromJSON(msg.error ?? { code: 'internal', message: 'error response without error' }));
    } else if (msg.type === 'event' && typeof msg.subscription === 'number') {
      const st = this.subs.get(msg.subscription);
      if (!st) return;
      const ev = decodeBytes(msg.event) as ControlEvent;
      if (st.buffer) st.buffer.push(ev);
      else st.live.next(ev);
    } else if (msg.type === 'error' && msg.error) {
      this.closedError = ControlError.fromJSON(msg.error);
    }
  }

  private shutdown(e: ControlError): void {
    this.closedError ??= e;
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new ControlError(e.code, `${p.op}: ${e.message}`, e.ndisStatus));
    }
    this.pending.clear();
    if (!this.done) {
      this.done = true;
      this.closed$.next();
      this.closed$.complete();
      for (const id of [...this.subs.keys()]) this.endSub(id);
    }
  }

  /** true once the connection is gone */
  get isClosed(): boolean {
    return this.done;
  }

  /** Send any operation; the typed methods below are thin wrappers. */
  request<K extends OpName>(op: K, args: OpArgs[K]): Promise<OpResults[K]> {
    if (this.done) return Promise.reject(new ControlError('closed', `${op}: the control connection is closed`));
    const id = this.nextId++;
    return new Promise<OpResults[K]>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject, op };
      if (this.timeoutMs !== undefined) {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new ControlError('timeout', `${op}: no answer from condisd within ${this.timeoutMs} ms`));
        }, this.timeoutMs);
      }
      this.pending.set(id, p);
      this.writeLine(JSON.stringify({ id, op, args }) + '\n');
    });
  }

  // ---- operations (mirror ControlBackend) ----

  info() {
    return this.request('info', {});
  }
  registerSap(args: { address?: string; policy?: IncomingPolicy; rejectCause?: number; qos?: 'accept' | 'refuse' } = {}) {
    return this.request('register-sap', args);
  }
  deregisterSap(args: { sap: number }) {
    return this.request('deregister-sap', args);
  }
  setIncomingPolicy(args: { sap: number; policy: IncomingPolicy; rejectCause?: number }) {
    return this.request('set-incoming-policy', args);
  }
  answerCall(args: { vc: number; accept: boolean; cause?: number }) {
    return this.request('answer-call', args);
  }
  createVc() {
    return this.request('create-vc', {});
  }
  deleteVc(args: { vc: number }) {
    return this.request('delete-vc', args);
  }
  /** point-to-point: `{ called }`; multipoint: `{ parties: [...] }` (first by SETUP, the rest by ADD PARTY) */
  makeCall(args: { called?: string; parties?: string[]; multipoint?: boolean; vc?: number; uu?: Bytes }) {
    const { uu, ...rest } = args;
    return this.request('make-call', { ...rest, ...(uu !== undefined ? { uu: bytes(uu) } : {}) });
  }
  addParty(args: { vc: number; address: string; uu?: Bytes }) {
    const { uu, ...rest } = args;
    return this.request('add-party', { ...rest, ...(uu !== undefined ? { uu: bytes(uu) } : {}) });
  }
  dropParty(args: { vc: number; party: number; closeData?: Bytes }) {
    const { closeData, ...rest } = args;
    return this.request('drop-party', { ...rest, ...(closeData !== undefined ? { closeData: bytes(closeData) } : {}) });
  }
  closeCall(args: { vc: number; party?: number; closeData?: Bytes }) {
    const { closeData, ...rest } = args;
    return this.request('close-call', { ...rest, ...(closeData !== undefined ? { closeData: bytes(closeData) } : {}) });
  }
  /** NdisClModifyCallQoS: new transmit (and receive) peak cell rates, cells/s (Q.2963.1 over the wire) */
  modifyCall(args: { vc: number; pcr: number; receivePcr?: number }) {
    return this.request('modify-call', args);
  }
  send(args: { vc: number; data: Bytes }) {
    return this.request('send', { vc: args.vc, data: bytes(args.data)! });
  }
  status() {
    return this.request('status', {});
  }
  saps() {
    return this.request('saps', {});
  }
  peers() {
    return this.request('peers', {});
  }
  links() {
    return this.request('links', {});
  }
  vcs() {
    return this.request('vcs', {});
  }
  parties() {
    return this.request('parties', {});
  }
  counters() {
    return this.request('counters', {});
  }

  // ---- events ----

  /**
   * Subscribe on the server. Resolves once the subscription is live: every
   * matching event from then on is kept for the first consumer (`events$`
   * subscriber or async iterator) until it attaches, so none is lost to the
   * await; later `events$` subscribers see events from when they subscribe.
   */
  async subscribe(filterBy: EventFilter = {}): Promise<EventSubscription> {
    const { subscription: id } = await this.request('subscribe', filterBy);
    // onLine registered the SubState synchronously when the response arrived
    const st = this.subs.get(id)!;
    let iterating = false;
    const events$ = new Observable<ControlEvent>((obs) => {
      const replay = st.buffer;
      st.buffer = null;
      replay?.forEach((e) => obs.next(e));
      if (st.ended) {
        obs.complete();
        return;
      }
      return st.live.subscribe(obs);
    });
    const close = async () => {
      if (st.ended) return;
      this.endSub(id);
      if (!this.done) await this.request('unsubscribe', { subscription: id }).catch(() => {});
    };
    return {
      id,
      events$,
      close,
      [Symbol.asyncIterator]: (): AsyncIterator<ControlEvent> => {
        if (iterating) throw new Error('iterate an EventSubscription once; use events$ for several consumers');
        iterating = true;
        const queue: ControlEvent[] = [];
        let wake: (() => void) | undefined;
        let finished = false;
        const feed = events$.subscribe({
          next: (e) => {
            queue.push(e);
            wake?.();
          },
          complete: () => {
            finished = true;
            wake?.();
          },
        });
        return {
          next: async () => {
            for (;;) {
              if (queue.length) return { value: queue.shift()!, done: false };
              if (finished) return { value: undefined, done: true };
              await new Promise<void>((r) => (wake = r));
              wake = undefined;
            }
          },
          return: async () => {
            feed.unsubscribe();
            await close();
            return { value: undefined, done: true };
          },
        };
      },
    };
  }

  private endSub(id: number): void {
    const st = this.subs.get(id);
    if (!st) return;
    this.subs.delete(id);
    st.ended = true;
    st.live.complete();
  }

  /**
   * Events as a cold Observable: subscribing sends `subscribe`, unsubscribing
   * sends `unsubscribe`. Errors with a ControlError if the subscribe fails.
   */
  events(filterBy: EventFilter = {}): Observable<ControlEvent> {
    return new Observable<ControlEvent>((observer) => {
      let sub: EventSubscription | undefined;
      let cancelled = false;
      let inner: { unsubscribe(): void } | undefined;
      this.subscribe(filterBy).then(
        (s) => {
          sub = s;
          if (cancelled) return void s.close();
          inner = s.events$.subscribe(observer);
        },
        (e) => observer.error(e),
      );
      return () => {
        cancelled = true;
        inner?.unsubscribe();
        void sub?.close();
      };
    });
  }

  /** every event, as `events()` with no filter */
  get events$(): Observable<ControlEvent> {
    return this.events();
  }

  /** resolves when the connection is gone */
  whenClosed(): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise((r) => this.closed$.subscribe({ complete: () => r() }));
  }

  /** close the connection (pending requests reject with `closed`) */
  close(): void {
    this.socket.end();
    this.socket.destroy();
    this.shutdown(new ControlError('closed', 'the control connection was closed by this client'));
  }
}

/**
 * Connect to condisd's control socket and read its hello. Rejects with a
 * ControlError: `not-running` ("condisd is not running (no socket at PATH)"),
 * `permission`, or `version` when the server speaks another protocol version.
 */
export function connectControl(path: string = defaultSocketPath(), opts: ConnectOptions = {}): Promise<ControlClient> {
  return new Promise<ControlClient>((resolve, reject) => {
    const socket = connect(path);
    let buf = '';
    let settled = false;
    const finish = (e?: ControlError, client?: ControlClient) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      if (e) {
        socket.destroy();
        reject(e);
      } else resolve(client!);
    };
    const timer = setTimeout(() => finish(new ControlError('timeout', `no hello from ${path} within ${opts.helloTimeoutMs ?? 5000} ms (is it condisd?)`)), opts.helloTimeoutMs ?? 5000);
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > 65536) finish(new ControlError('version', `${path} does not speak the condis control protocol`));
        return;
      }
      let hello: ServerHello;
      try {
        hello = JSON.parse(buf.slice(0, nl));
      } catch {
        return finish(new ControlError('version', `${path} does not speak the condis control protocol`));
      }
      if (hello.type !== 'hello' || hello.protocol !== PROTOCOL_NAME) return finish(new ControlError('version', `${path} does not speak the condis control protocol`));
      if (hello.version !== PROTOCOL_VERSION) {
        return finish(new ControlError('version', `condisd speaks control protocol version ${hello.version}; this client speaks ${PROTOCOL_VERSION}`));
      }
      finish(undefined, new ControlClient(socket, hello, buf.slice(nl + 1), opts));
    };
    socket.on('data', onData);
    socket.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') finish(new ControlError('not-running', `condisd is not running (no socket at ${path})`));
      else if (e.code === 'ECONNREFUSED') finish(new ControlError('not-running', `condisd is not running (nothing listens on ${path})`));
      else if (e.code === 'EACCES' || e.code === 'EPERM') finish(new ControlError('permission', `permission denied on ${path} (the socket is owner-only by default: run as condisd's user, or set control.mode)`));
      else if (e.code === 'ENOTSOCK') finish(new ControlError('not-running', `${path} is not a socket`));
      else finish(new ControlError('not-running', `cannot connect to ${path}: ${e.message}`));
    });
    socket.once('close', () => finish(new ControlError('closed', `${path} closed the connection before its hello`)));
  });
}
