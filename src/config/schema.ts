/**
 * The zod schema of a host configuration file. Keys are strict: an unknown key
 * is an error (a typo must not silently fall back to a default).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isMac } from '../common/mac.js';
import { Secret } from '../common/secret.js';
import { parseAtmAddress } from './address.js';
import { parseDuration } from './duration.js';
import type { HostConfig } from './types.js';

export const DEFAULT_SOCKET = '/run/condis/condisd.sock';
export const DEFAULT_SOCKET_MODE = 0o600;
export const DEFAULT_ETHERTYPE = 0x88b5;
export const MAX_CLOSE_DATA = 127;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v}"`;
  return `${typeof v} ${String(v)}`;
}

/** milliseconds: a whole number, or a string with a unit ("4s", "500ms", "2m") */
export function duration(min = 1, max = 86_400_000) {
  return z.unknown().transform((v, ctx): number => {
    const ms = typeof v === 'number' || typeof v === 'string' ? parseDuration(v) : undefined;
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration (milliseconds, or a string like "4s" or "500ms"), got ${describe(v)}` });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `duration ${ms}ms is out of range (${min}ms to ${max}ms)` });
      return z.NEVER;
    }
    return ms;
  });
}

const count = (min: number, max: number) => z.number().int().min(min).max(max);

export const macSchema = z.unknown().transform((v, ctx): string => {
  if (typeof v !== 'string' || !isMac(v)) {
    ctx.addIssue({ code: 'custom', message: `expected a MAC address like 02:00:00:00:00:0a, got ${describe(v)}` });
    return z.NEVER;
  }
  return v.toLowerCase();
});

export const atmAddressSchema = z.unknown().transform((v, ctx): string => {
  if (typeof v !== 'string' && typeof v !== 'number') {
    ctx.addIssue({ code: 'custom', message: `expected an ATM address (E.164 digits like "1001", or 40 hex digits), got ${describe(v)}` });
    return z.NEVER;
  }
  const r = parseAtmAddress(v);
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  }
  return r.value;
});

/** permission bits: "0600" / "600" (octal string) or a YAML octal number 0o600 */
export const fileModeSchema = z.unknown().transform((v, ctx): number => {
  if (typeof v === 'string' && /^0?o?[0-7]{3}$/.test(v)) return parseInt(v.replace(/^0?o?/, ''), 8);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0o777) return v;
  ctx.addIssue({
    code: 'custom',
    message:
      typeof v === 'number'
        ? `mode ${v} is not a permission mask: write it as a string ("0600") or as a YAML octal number (0o600)`
        : `expected a file mode like "0600", got ${describe(v)}`,
  });
  return z.NEVER;
});

const etherType = z.number().int().min(0x0600).max(0xffff);

export const miniportSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('tap'),
    device: z.string().min(1).max(15),
    mac: macSchema.optional(),
    mtu: count(68, 65535).optional(),
    txQueueLen: count(1, 1_000_000).optional(),
    sendThread: z.boolean().optional(),
    bridge: z.string().min(1).max(15).optional(),
    etherType: etherType.optional(),
  }),
  z.strictObject({ kind: z.literal('nic'), device: z.string().min(1).max(15), etherType: etherType.optional() }),
  z.strictObject({
    kind: z.literal('etherip'),
    local: z.ipv4(),
    peers: z.array(z.ipv4()).min(1),
    mac: macSchema,
    etherType: etherType.optional(),
  }),
  z.strictObject({ kind: z.literal('memory'), hub: z.string().min(1), mac: macSchema }),
]);

/** the shortest discovery key accepted, octets */
export const MIN_DISCOVERY_KEY = 16;

/** an inline lab key: its UTF-8 octets */
const inlineKey = z.unknown().transform((v, ctx): Secret => {
  if (typeof v !== 'string') {
    ctx.addIssue({ code: 'custom', message: `expected the key as a string (at least ${MIN_DISCOVERY_KEY} characters), got a ${Array.isArray(v) ? 'list' : typeof v}` });
    return z.NEVER;
  }
  const b = Buffer.from(v, 'utf8');
  if (b.length < MIN_DISCOVERY_KEY) {
    ctx.addIssue({ code: 'custom', message: `the key is ${b.length} octets, at least ${MIN_DISCOVERY_KEY} are needed` });
    return z.NEVER;
  }
  return new Secret(b);
});

/** a lab key in a file (path absolute or from the working directory): its octets, trailing white space dropped */
const keyFile = z.unknown().transform((v, ctx): Secret => {
  if (typeof v !== 'string' || v === '') {
    ctx.addIssue({ code: 'custom', message: 'expected the path of the key file' });
    return z.NEVER;
  }
  let b: Buffer;
  try {
    b = readFileSync(v);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    ctx.addIssue({ code: 'custom', message: `cannot read the key file ${v}: ${why}` });
    return z.NEVER;
  }
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x0a || b[end - 1] === 0x0d || b[end - 1] === 0x20 || b[end - 1] === 0x09)) end--;
  if (end < MIN_DISCOVERY_KEY) {
    ctx.addIssue({ code: 'custom', message: `the key in ${v} is ${end} octets, at least ${MIN_DISCOVERY_KEY} are needed` });
    return z.NEVER;
  }
  return new Secret(b.subarray(0, end));
});

/** neighbour discovery (VCI 16) of a host or a switch: cadence, hold time, and the lab key that signs and checks announcements (docs/security.md) */
export const hostDiscoverySchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    interval: duration(100, 3_600_000).default(5_000),
    holdTime: duration(100, 86_400_000).optional(),
    // announcements signed with the lab key (version 2); unsigned, wrong-key, stale and replayed ones are ignored
    auth: z
      .strictObject({
        key: inlineKey.optional(),
        keyFile: keyFile.optional(),
        maxAge: duration(100, 86_400_000).default(30_000),
      })
      .optional(),
  })
  .prefault({});

/** SSCOP parameters and UNI timer overrides: shared by host and switch configurations */
export const timersSchema = z
  .strictObject({
    sscop: z
      .strictObject({
        cc: duration().optional(),
        poll: duration().optional(),
        keepAlive: duration().optional(),
        idle: duration().optional(),
        noResponse: duration().optional(),
        maxCC: count(1, 1000).optional(),
        maxPD: count(1, 100_000).optional(),
        maxSTAT: count(3, 1000).optional(),
        window: count(1, 1 << 23).optional(),
        initialSequence: count(0, 254).optional(),
      })
      .prefault({}),
    uni: z
      .strictObject({
        t303: duration().optional(),
        t308: duration().optional(),
        t309: duration().optional(),
        t310: duration().optional(),
        t313: duration().optional(),
        t316: duration().optional(),
        t317: duration().optional(),
        t322: duration().optional(),
        t397: duration().optional(),
        t398: duration().optional(),
        t399: duration().optional(),
      })
      .prefault({}),
  })
  .prefault({});

/** the control socket: shared by host and switch configurations */
export const controlSchema = z
  .strictObject({
    socket: z.string().min(1).max(107).default(DEFAULT_SOCKET),
    mode: fileModeSchema.default(DEFAULT_SOCKET_MODE),
  })
  .prefault({});

/** logging: shared by host and switch configurations */
export const logSchema = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    pretty: z.boolean().default(false),
  })
  .prefault({});

export const hostConfigSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    miniport: miniportSchema,
    addresses: z.array(atmAddressSchema).min(1),
    role: z.enum(['auto', 'user', 'network']).default('auto'),
    peers: z
      .array(
        z.strictObject({
          mac: macSchema,
          name: z.string().min(1).optional(),
          role: z.enum(['user', 'network']).optional(),
          addresses: z.array(atmAddressSchema).default([]),
        }),
      )
      .default([]),
    discovery: hostDiscoverySchema,
    // only these MACs may speak signalling or discovery to this host (static peers must be listed); absent: anyone
    allowPeers: z.array(macSchema).optional(),
    timers: timersSchema,
    // re-establishing a link that fell back to Idle: the delay doubles from `initial` to `max` (src/host/retry.ts)
    linkRetry: z
      .strictObject({
        initial: duration(10, 3_600_000).default(1000),
        max: duration(10, 86_400_000).default(60_000),
        summaryEvery: duration(1000, 86_400_000).default(60_000),
      })
      .prefault({}),
    closeData: z
      .strictObject({
        allowed: z.boolean().default(true),
        maxOctets: count(0, MAX_CLOSE_DATA).default(MAX_CLOSE_DATA),
      })
      .prefault({}),
    callManager: z
      .strictObject({
        shape: z.enum(['cm', 'mcm']).default('mcm'),
        completion: z.enum(['sync', 'pending']).default('pending'),
      })
      .prefault({}),
    limits: z
      .strictObject({
        calls: count(1, 1_000_000).default(1024),
        partiesPerCall: count(1, 65_535).default(64),
        peers: count(1, 4096).default(64),
        pendingRequests: count(1, 1_000_000).default(256),
      })
      .prefault({}),
    control: controlSchema,
    capture: z
      .strictObject({
        pcap: z.string().min(1).optional(),
        // pcapng keeps links apart and shows user data as data in stock Wireshark; sunatm is the classic form (docs/wireshark.md)
        format: z.enum(['pcapng', 'sunatm']).default('pcapng'),
        // 0: each record written at once; more: records written together within that time (docs/wireshark.md)
        flush: duration(0, 1000).default(0),
      })
      .prefault({}),
    log: logSchema,
  })
  .superRefine((c, ctx) => {
    // signalling messages must fit in one frame (docs/wire.md: one AAL5 PDU per frame)
    if (c.miniport.kind === 'tap' && c.miniport.mtu !== undefined && c.miniport.mtu < 576) {
      ctx.addIssue({ code: 'custom', path: ['miniport', 'mtu'], message: `mtu ${c.miniport.mtu} is too small for signalling (at least 576)` });
    }
    const macs = new Set<string>();
    c.peers.forEach((p, i) => {
      if (macs.has(p.mac)) ctx.addIssue({ code: 'custom', path: ['peers', i, 'mac'], message: `peer ${p.mac} is listed twice` });
      macs.add(p.mac);
    });
    const auth = c.discovery.auth;
    if (auth && (auth.key === undefined) === (auth.keyFile === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['discovery', 'auth'],
        message: auth.key === undefined ? 'give the lab key: key: (inline) or keyFile: (a file)' : 'give the lab key once: key: or keyFile:, not both',
      });
    }
    if (c.allowPeers) {
      const allowed = new Set(c.allowPeers);
      c.peers.forEach((p, i) => {
        if (!allowed.has(p.mac)) ctx.addIssue({ code: 'custom', path: ['peers', i, 'mac'], message: `static peer ${p.mac} is not in allowPeers: its frames would be dropped` });
      });
    }
    if (c.linkRetry.max < c.linkRetry.initial) {
      ctx.addIssue({
        code: 'custom',
        path: ['linkRetry', 'max'],
        message: `max (${c.linkRetry.max}ms) must not be shorter than initial (${c.linkRetry.initial}ms)`,
      });
    }
    if (c.discovery.holdTime !== undefined && c.discovery.holdTime <= c.discovery.interval) {
      ctx.addIssue({
        code: 'custom',
        path: ['discovery', 'holdTime'],
        message: `holdTime (${c.discovery.holdTime}ms) must be longer than interval (${c.discovery.interval}ms)`,
      });
    }
  });

export type HostConfigParsed = z.output<typeof hostConfigSchema>;

/** Fill the defaults that depend on other keys or on the file name. */
export function finishConfig(c: HostConfigParsed, defaultName: string): HostConfig {
  return {
    ...c,
    name: c.name ?? defaultName,
    discovery: {
      enabled: c.discovery.enabled,
      interval: c.discovery.interval,
      holdTime: c.discovery.holdTime ?? Math.round(c.discovery.interval * 3.5),
      ...(c.discovery.auth ? { auth: { key: (c.discovery.auth.key ?? c.discovery.auth.keyFile)!, maxAge: c.discovery.auth.maxAge } } : {}),
    },
    capture: { ...c.capture },
  };
}
