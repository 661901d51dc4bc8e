/**
 * Lab topology files (config/lab.yaml): hosts with a name, an ATM address and a
 * MAC; links that put hosts on one Linux bridge ("bridged") or join two hosts
 * over routed IP with EtherIP ("routed"); netem options per link (and per host).
 * Read by the lab tooling (src/lab/, scripts/); `labHostConfig` derives one
 * host's HostConfig from it.
 */
import { z } from 'zod';
import type { MiniportConfig } from '../miniport/types.js';
import { ConfigError } from './errors.js';
import { parseYamlWith, readConfigText } from './load.js';
import { atmAddressSchema, duration, finishConfig, hostConfigSchema, macSchema } from './schema.js';
import type { HostConfig } from './types.js';

/** a percentage: 1.5, "1.5%" */
const percent = z.unknown().transform((v, ctx): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*%?\s*$/.test(v) ? parseFloat(v) : NaN;
  if (!(n >= 0 && n <= 100)) {
    ctx.addIssue({ code: 'custom', message: `expected a percentage from 0 to 100 (like 1.5 or "1.5%"), got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

/** tc-netem options; durations in ms, percentages 0..100, rate as tc writes it ("100mbit") */
export const netemSchema = z.strictObject({
  delay: duration(0, 60_000).optional(),
  jitter: duration(0, 60_000).optional(),
  loss: percent.optional(),
  duplicate: percent.optional(),
  reorder: percent.optional(),
  corrupt: percent.optional(),
  rate: z.string().regex(/^\d+(\.\d+)?(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/i, 'expected a rate like "100mbit"').optional(),
});

export type NetemOptions = z.output<typeof netemSchema>;

const hostName = z.string().regex(/^[a-z][a-z0-9-]{0,10}$/, 'expected a short lower-case name (letter first, at most 11 characters: it becomes part of device names)');

/** host-config keys a lab may set for every host (not miniport/addresses/peers/name: the lab derives those) */
const hostDefaultsSchema = z
  .strictObject({
    role: z.enum(['auto', 'user', 'network']).optional(),
    discovery: z.record(z.string(), z.unknown()).optional(),
    timers: z.record(z.string(), z.unknown()).optional(),
    closeData: z.record(z.string(), z.unknown()).optional(),
    callManager: z.record(z.string(), z.unknown()).optional(),
    limits: z.record(z.string(), z.unknown()).optional(),
    log: z.record(z.string(), z.unknown()).optional(),
  })
  .prefault({});

export const labSchema = z
  .strictObject({
    name: z.string().min(1).default('condis-lab'),
    hosts: z
      .array(
        z.strictObject({
          name: hostName,
          address: atmAddressSchema,
          mac: macSchema,
          role: z.enum(['auto', 'user', 'network']).optional(),
          netem: netemSchema.optional(),
        }),
      )
      .min(1),
    links: z
      .array(
        z.discriminatedUnion('kind', [
          z.strictObject({
            kind: z.literal('bridged'),
            bridge: z.string().min(1).max(15),
            hosts: z.array(hostName).min(2),
            netem: netemSchema.optional(),
          }),
          z.strictObject({
            kind: z.literal('routed'),
            /** two hosts, each in its own IP subnet, joined by a router namespace */
            hosts: z.array(hostName).length(2),
            subnet: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'expected an IPv4 prefix like 10.88.0.0/16').default('10.88.0.0/16'),
            netem: netemSchema.optional(),
          }),
        ]),
      )
      .default([]),
    hostDefaults: hostDefaultsSchema,
  })
  .superRefine((lab, ctx) => {
    const names = new Map<string, number>();
    const seen = (what: 'mac' | 'address' | 'name', i: number, v: string, set: Map<string, number>) => {
      if (set.has(v)) ctx.addIssue({ code: 'custom', path: ['hosts', i, what], message: `${what} ${v} is also used by hosts[${set.get(v)}]` });
      else set.set(v, i);
    };
    const macs = new Map<string, number>();
    const addrs = new Map<string, number>();
    lab.hosts.forEach((h, i) => {
      seen('name', i, h.name, names);
      seen('mac', i, h.mac, macs);
      seen('address', i, h.address, addrs);
    });
    lab.links.forEach((l, i) =>
      l.hosts.forEach((h, j) => {
        if (!names.has(h)) ctx.addIssue({ code: 'custom', path: ['links', i, 'hosts', j], message: `no host named "${h}" in hosts` });
      }),
    );
  });

export type LabConfig = z.output<typeof labSchema>;
export type LabHost = LabConfig['hosts'][number];
export type LabLink = LabConfig['links'][number];

export function parseLabConfig(text: string, fileName = '<lab>'): LabConfig {
  return parseYamlWith(labSchema, text, fileName, 'hosts:, links:, ...');
}

export async function loadLabConfig(path: string): Promise<LabConfig> {
  return parseLabConfig(await readConfigText(path), path);
}

/**
 * One host's configuration in the lab: its address and MAC, every host it
 * shares a link with as a static peer, the lab's hostDefaults, a control socket
 * of its own. `miniport` defaults to a TAP "ct-<name>" on the host's bridge (or
 * EtherIP for a routed link: the lab tooling passes the addresses it chose).
 */
export function labHostConfig(lab: LabConfig, name: string, opts: { miniport?: MiniportConfig; socketDir?: string } = {}): HostConfig {
  const host = lab.hosts.find((h) => h.name === name);
  if (!host) throw new ConfigError('<lab>', [{ path: 'hosts', message: `no host named "${name}"` }]);
  const links = lab.links.filter((l) => l.hosts.includes(name));
  const neighbours = new Set(links.flatMap((l) => l.hosts).filter((h) => h !== name));
  const bridged = links.find((l) => l.kind === 'bridged');
  const miniport: MiniportConfig = opts.miniport ?? {
    kind: 'tap',
    device: `ct-${name}`,
    mac: host.mac,
    ...(bridged && bridged.kind === 'bridged' ? { bridge: bridged.bridge } : {}),
  };
  const raw = {
    ...lab.hostDefaults,
    name,
    miniport,
    addresses: [host.address],
    ...(host.role ? { role: host.role } : {}),
    peers: lab.hosts.filter((h) => neighbours.has(h.name)).map((h) => ({ name: h.name, mac: h.mac, addresses: [h.address] })),
    control: { socket: `${opts.socketDir ?? '/run/condis'}/${name}.sock` },
  };
  const r = hostConfigSchema.safeParse(raw);
  if (!r.success) {
    throw new ConfigError(`<lab host ${name}>`, r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  }
  return finishConfig(r.data, name);
}
