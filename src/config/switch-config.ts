/**
 * The configuration of a switch (`role: switch`): ports, each on any
 * miniport, static routes, and the keys a host configuration has for
 * discovery, timers, the control socket and logging. Loaded by
 * `loadAnyConfig`, which reads `role:` first and picks the host or the switch
 * schema, so an error names the right keys.
 */
import { basename, extname } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { Mac } from '../common/mac.js';
import type { MiniportConfig } from '../common/miniport-config.js';
import type { AtmAddress, UniTimers } from '../uni/api.js';
import { parseConfig, parseYamlWith, readConfigText } from './load.js';
import { atmAddressSchema, controlSchema, hostDiscoverySchema, logSchema, macSchema, miniportSchema, timersSchema } from './schema.js';
import type { Secret } from '../common/secret.js';
import type { HostConfig, LogLevel, SscopTimersConfig } from './types.js';

const count = (min: number, max: number) => z.number().int().min(min).max(max);

const prefixSchema = z.union([z.string(), z.number()]).transform((v, ctx): string => {
  const s = String(v).trim();
  if (s === '' || s === '*' || /^\+?\d{1,15}$/.test(s) || /^[0-9a-fA-F.]{1,49}$/.test(s)) return s;
  ctx.addIssue({ code: 'custom', message: `"${s}" is not an address prefix (E.164 digits, hex digits of an AESA with optional dots, or "*" for the default route)` });
  return z.NEVER;
});

export const switchConfigSchema = z
  .strictObject({
    role: z.literal('switch'),
    name: z.string().min(1).optional(),
    ports: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'a port name is 1 to 32 letters, digits, "_", "." or "-"'),
          miniport: miniportSchema,
          // the UNI side the switch plays here: network towards hosts, user on an IISP link to another switch
          side: z.enum(['network', 'user']).default('network'),
          hosts: z
            .array(z.strictObject({ mac: macSchema, name: z.string().min(1).optional(), addresses: z.array(atmAddressSchema).default([]) }))
            .default([]),
        }),
      )
      .min(1, 'a switch needs at least one port'),
    routes: z.array(z.strictObject({ prefix: prefixSchema, port: z.string().min(1), peer: macSchema.optional() })).default([]),
    // the lab key as a host has it: the switch signs its announcements and takes only signed ones (docs/security.md)
    discovery: hostDiscoverySchema,
    // only these host MACs may speak signalling or discovery to the switch, on any port (configured hosts must be listed); absent: anyone
    allowPeers: z.array(macSchema).optional(),
    timers: timersSchema,
    limits: z
      .strictObject({
        calls: count(1, 1_000_000).default(1024),
        partiesPerCall: count(1, 32_767).default(64),
        hostsPerPort: count(1, 4096).default(64),
      })
      .prefault({}),
    control: controlSchema,
    log: logSchema,
  })
  .superRefine((c, ctx) => {
    const names = new Map<string, number>();
    c.ports.forEach((p, i) => {
      if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: ['ports', i, 'name'], message: `port name ${p.name} is used by ports[${names.get(p.name)}] too` });
      else names.set(p.name, i);
      if (p.miniport.kind === 'tap' && p.miniport.mtu !== undefined && p.miniport.mtu < 576)
        ctx.addIssue({ code: 'custom', path: ['ports', i, 'miniport', 'mtu'], message: `mtu ${p.miniport.mtu} is too small for signalling (at least 576)` });
    });
    c.routes.forEach((r, i) => {
      if (!names.has(r.port)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'port'], message: `no port named ${r.port} (ports: ${[...names.keys()].join(', ')})` });
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
      c.ports.forEach((p, i) =>
        p.hosts.forEach((h, j) => {
          if (!allowed.has(h.mac)) ctx.addIssue({ code: 'custom', path: ['ports', i, 'hosts', j, 'mac'], message: `host ${h.mac} is not in allowPeers: its frames would be dropped` });
        }),
      );
    }
    if (c.discovery.holdTime !== undefined && c.discovery.holdTime <= c.discovery.interval)
      ctx.addIssue({ code: 'custom', path: ['discovery', 'holdTime'], message: `holdTime (${c.discovery.holdTime}ms) must be longer than interval (${c.discovery.interval}ms)` });
  });

export interface SwitchConfig {
  role: 'switch';
  name: string;
  ports: { name: string; miniport: MiniportConfig; side: 'network' | 'user'; hosts: { mac: Mac; name?: string; addresses: AtmAddress[] }[] }[];
  routes: { prefix: string; port: string; peer?: Mac }[];
  discovery: { enabled: boolean; interval: number; holdTime: number; auth?: { key: Secret; maxAge: number } };
  /** only these host MACs may speak signalling or discovery to the switch; absent: anyone */
  allowPeers?: Mac[];
  timers: { sscop: SscopTimersConfig; uni: Partial<UniTimers> };
  limits: { calls: number; partiesPerCall: number; hostsPerPort: number };
  control: { socket: string; mode: number };
  log: { level: LogLevel; pretty: boolean };
}

export function parseSwitchConfig(text: string, fileName = '<config>'): SwitchConfig {
  const c = parseYamlWith(switchConfigSchema, text, fileName, 'role: switch, ports:, routes:, ...');
  const base = basename(fileName, extname(fileName));
  return {
    ...c,
    name: c.name ?? (base === '' || base.startsWith('<') ? 'switch' : base),
    discovery: {
      enabled: c.discovery.enabled,
      interval: c.discovery.interval,
      holdTime: c.discovery.holdTime ?? Math.round(c.discovery.interval * 3.5),
      ...(c.discovery.auth ? { auth: { key: (c.discovery.auth.key ?? c.discovery.auth.keyFile)!, maxAge: c.discovery.auth.maxAge } } : {}),
    },
  } as SwitchConfig;
}

export type AnyConfig = { kind: 'host'; config: HostConfig } | { kind: 'switch'; config: SwitchConfig };

/** A host or a switch configuration, by its `role:` (a YAML error is reported by the host parser) */
export function parseAnyConfig(text: string, fileName = '<config>'): AnyConfig {
  let role: unknown;
  try {
    const data: unknown = parseDocument(text).toJS();
    role = data && typeof data === 'object' && !Array.isArray(data) ? (data as { role?: unknown }).role : undefined;
  } catch {
    role = undefined;
  }
  return role === 'switch' ? { kind: 'switch', config: parseSwitchConfig(text, fileName) } : { kind: 'host', config: parseConfig(text, fileName) };
}

export async function loadAnyConfig(path: string): Promise<AnyConfig> {
  return parseAnyConfig(await readConfigText(path), path);
}
