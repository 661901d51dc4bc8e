/**
 * The condis control protocol, version 1 (docs/control-protocol.md):
 * newline-delimited JSON over a Unix stream socket.
 *
 *   server -> client, on connect:  {"type":"hello","protocol":"condis-control","version":1,...}
 *   client -> server:              {"id":1,"op":"make-call","args":{...}}
 *   server -> client:              {"type":"response","id":1,"ok":true,"result":{...}}
 *                                  {"type":"response","id":1,"ok":false,"error":{"code":...,"message":...,"ndisStatus"?:...}}
 *                                  {"type":"event","subscription":1,"event":{"kind":...}}
 *                                  {"type":"error","error":{...}}   (connection-level, then the server closes)
 *
 * Bytes (data, close data, user-user information) travel as
 * {"encoding":"base64"|"utf8","data":"..."}; the server always sends base64.
 */
import type { SwitchSnapshot } from '../switch/types.js';
import { z } from 'zod';
import { parseAtmAddress } from '../config/address.js';
import type {
  AddPartyResult,
  ControlEvent,
  Counters,
  DaemonInfo,
  LinkInfo,
  ModifyCallResult,
  PartyInfo,
  PeerInfo,
  SapInfo,
  VcInfo,
} from './backend.js';
import { EVENT_KINDS } from './backend.js';
import type { ControlErrorJson, StatusInfo } from './errors.js';
import type { VcPath } from '../uni/api.js';

export const PROTOCOL_NAME = 'condis-control';
export const PROTOCOL_VERSION = 1;
/** longest request line the server reads (bytes, without the newline); longer: error line-too-long, connection closed */
export const MAX_LINE_BYTES = 1024 * 1024;

export type RequestId = number | string;

// ---- bytes --------------------------------------------------------------------------------------

export interface Payload {
  encoding: 'base64' | 'utf8';
  data: string;
}

/**
 * Base64 as RFC 4648 writes it (padding may be left off): Node's decoder skips what is not base64
 * and takes URL-safe letters too, so the octets are encoded again and must give back the text. (A
 * pattern test of the text cost 3-8 us per 1400-octet packet, more than decoding it; this check
 * costs a third of a microsecond.) It also refuses non-zero bits after the last octet.
 */
export function decodeBase64(text: string): Buffer | undefined {
  const buf = Buffer.from(text, 'base64');
  const again = buf.toString('base64');
  if (again === text) return buf;
  const unpadded = text.length % 4 === 0 ? again : again.replace(/=+$/, '');
  return unpadded === text ? buf : undefined;
}

export const payloadSchema = z.strictObject({ encoding: z.enum(['base64', 'utf8']), data: z.string() }).transform((p, ctx): Buffer => {
  if (p.encoding === 'utf8') return Buffer.from(p.data, 'utf8');
  const buf = decodeBase64(p.data);
  if (!buf) {
    ctx.addIssue({ code: 'custom', message: 'data is not valid base64' });
    return z.NEVER;
  }
  return buf;
});

export function toPayload(b: Buffer | Uint8Array | string, encoding: 'base64' | 'utf8' = 'base64'): Payload {
  if (typeof b === 'string') return encoding === 'utf8' ? { encoding, data: b } : { encoding, data: Buffer.from(b, 'utf8').toString('base64') };
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b);
  return encoding === 'utf8' ? { encoding, data: buf.toString('utf8') } : { encoding, data: buf.toString('base64') };
}

function isPayload(v: unknown): v is Payload {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  const p = v as Payload;
  return keys.length === 2 && (p.encoding === 'base64' || p.encoding === 'utf8') && typeof p.data === 'string';
}

/** Buffers -> base64 payloads, recursively (results and events on their way out). */
export function encodeBytes(v: unknown): unknown {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return toPayload(v as Buffer);
  if (Array.isArray(v)) return v.map(encodeBytes);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = encodeBytes(x);
    return out;
  }
  return v;
}

/** Payloads -> Buffers, recursively (the client library, on results and events). */
export function decodeBytes(v: unknown): unknown {
  if (isPayload(v)) return v.encoding === 'utf8' ? Buffer.from(v.data, 'utf8') : Buffer.from(v.data, 'base64');
  if (Array.isArray(v)) return v.map(decodeBytes);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = decodeBytes(x);
    return out;
  }
  return v;
}

// ---- argument schemas ---------------------------------------------------------------------------

const address = z.string().transform((v, ctx): string => {
  const r = parseAtmAddress(v);
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  }
  return r.value;
});
const id = z.number().int().min(0).max(0xffffffff);
const cause = z.number().int().min(1).max(127);
const policy = z.enum(['accept', 'reject', 'ask']);
const none = z.strictObject({});
/** a peak cell rate: cells per second, 24 bits (Q.2931 traffic descriptor) */
const pcr = z.number().int().min(1).max(0xffffff);

export const argSchemas = {
  hello: z.strictObject({ version: z.number().int().min(1), client: z.string().max(200).optional() }),
  info: none,
  'register-sap': z.strictObject({ address: address.optional(), policy: policy.optional(), rejectCause: cause.optional(), qos: z.enum(['accept', 'refuse']).optional() }),
  'deregister-sap': z.strictObject({ sap: id }),
  'set-incoming-policy': z.strictObject({ sap: id, policy, rejectCause: cause.optional() }),
  'answer-call': z.strictObject({ vc: id, accept: z.boolean(), cause: cause.optional() }),
  'create-vc': none,
  'delete-vc': z.strictObject({ vc: id }),
  'make-call': z
    .strictObject({
      /** point-to-point (or the first party): the called address */
      called: address.optional(),
      /** multipoint: every party, first one by SETUP, the rest by ADD PARTY one at a time */
      parties: z.array(address).min(1).max(1024).optional(),
      multipoint: z.boolean().optional(),
      vc: id.optional(),
      uu: payloadSchema.optional(),
    })
    .superRefine((a, ctx) => {
      if ((a.called === undefined) === (a.parties === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of "called" (point-to-point) or "parties" (multipoint)' });
      if (a.multipoint === false && a.parties && a.parties.length > 1) ctx.addIssue({ code: 'custom', path: ['multipoint'], message: 'several parties need a multipoint call' });
    }),
  'add-party': z.strictObject({ vc: id, address, uu: payloadSchema.optional() }),
  'drop-party': z.strictObject({ vc: id, party: id, closeData: payloadSchema.optional() }),
  'close-call': z.strictObject({ vc: id, party: id.optional(), closeData: payloadSchema.optional() }),
  send: z.strictObject({ vc: id, data: payloadSchema }),
  'modify-call': z.strictObject({ vc: id, pcr: pcr, receivePcr: pcr.optional() }),
  status: none,
  saps: none,
  peers: none,
  links: none,
  vcs: none,
  parties: none,
  counters: none,
  subscribe: z.strictObject({ kinds: z.array(z.enum(EVENT_KINDS as [string, ...string[]])).min(1).optional(), vc: id.optional() }),
  unsubscribe: z.strictObject({ subscription: id }),
} as const;

export type OpName = keyof typeof argSchemas;
export const OPS = Object.keys(argSchemas) as OpName[];

// ---- results --------------------------------------------------------------------------------------

export interface HelloResult {
  protocol: typeof PROTOCOL_NAME;
  version: number;
}

export interface CallPartyResult {
  address: string;
  /** absent when adding this party failed */
  party?: number;
  status: StatusInfo;
  error?: ControlErrorJson;
}

export interface MakeCallResponse {
  vc: number;
  multipoint: boolean;
  /** multipoint: the first party (also parties[0].party) */
  party?: number;
  path?: VcPath;
  /** multipoint: one entry per requested party, in order; point-to-point: empty */
  parties: CallPartyResult[];
  status: StatusInfo;
}

export interface StatusResult {
  info: DaemonInfo;
  saps: SapInfo[];
  peers: PeerInfo[];
  links: LinkInfo[];
  vcs: VcInfo[];
  parties: PartyInfo[];
  counters: Counters;
  /** present when the daemon is a switch */
  switch?: SwitchSnapshot;
}

/** What each operation returns (the client library's method results). */
export interface OpResults {
  hello: HelloResult;
  info: DaemonInfo;
  'register-sap': SapInfo;
  'deregister-sap': Record<string, never>;
  'set-incoming-policy': SapInfo;
  'answer-call': Record<string, never>;
  'create-vc': VcInfo;
  'delete-vc': Record<string, never>;
  'make-call': MakeCallResponse;
  'add-party': AddPartyResult;
  'drop-party': Record<string, never>;
  'close-call': Record<string, never>;
  send: { bytes: number };
  'modify-call': ModifyCallResult;
  status: StatusResult;
  saps: SapInfo[];
  peers: PeerInfo[];
  links: LinkInfo[];
  vcs: VcInfo[];
  parties: PartyInfo[];
  counters: Counters;
  subscribe: { subscription: number };
  unsubscribe: Record<string, never>;
}

/** Arguments as a client sends them (bytes as Payloads). */
export type OpArgs = { [K in OpName]: z.input<(typeof argSchemas)[K]> };
/** Arguments after validation (bytes as Buffers, addresses canonical). */
export type OpParsedArgs = { [K in OpName]: z.output<(typeof argSchemas)[K]> };

// ---- messages -------------------------------------------------------------------------------------

export interface ServerHello {
  type: 'hello';
  protocol: typeof PROTOCOL_NAME;
  version: number;
  /** e.g. "condisd 0.1.0 (host-a)" */
  server: string;
  ops: OpName[];
  maxLineBytes: number;
}

export type ServerMessage =
  | ServerHello
  | { type: 'response'; id: RequestId | null; ok: true; result: unknown }
  | { type: 'response'; id: RequestId | null; ok: false; error: ControlErrorJson }
  | { type: 'event'; subscription: number; event: unknown }
  | { type: 'error'; error: ControlErrorJson };

export interface Request {
  id: RequestId;
  op: string;
  args?: Record<string, unknown>;
}

export const requestSchema = z.strictObject({
  id: z.union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]),
  op: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()).optional(),
});

/** "args.vc: expected a number" from a zod error (the first few issues). */
export function describeZodError(e: z.ZodError, prefix: string): string {
  return e.issues
    .slice(0, 4)
    .map((i) => {
      const p = [prefix, ...i.path.map(String)].filter((x) => x !== '').join('.');
      const msg = i.code === 'unrecognized_keys' ? `unknown ${i.keys.length > 1 ? 'arguments' : 'argument'} ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.message;
      return p ? `${p}: ${msg}` : msg;
    })
    .join('; ');
}

export type { ControlEvent };
