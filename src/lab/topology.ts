/**
 * Lab topology files (YAML): which hosts, their MAC and ATM address, how they
 * are connected (one bridged Ethernet segment, or routed subnets behind a
 * router) and what impairment (netem) each link gets.
 *
 * ```yaml
 * name: demo                    # optional: defaults to the file name without .yaml
 * segment:
 *   kind: bridged               # bridged | routed
 *   netem: {delay: 2ms}         # every frame crossing the segment, impaired once (at the sender's uplink)
 * hosts:
 *   - {name: root,  mac: 02:00:00:00:01:01, address: "1001"}
 *   - {name: leaf2, mac: 02:00:00:00:01:03, address: "1003", netem: {loss: 10%}}  # this host's link, both ways
 * ```
 *
 * An ATM network instead of one segment: switches (condisd with `role:
 * switch`), each host on a port of one, switches linked to switches:
 *
 * ```yaml
 * switches:
 *   - {name: sw1}
 *   - {name: sw2, links: [sw1]}  # a switch-to-switch (IISP) link, a port on each; sw2 is the user side on it
 * hosts:
 *   - {name: root, mac: 02:00:00:00:01:01, address: "1001", switch: sw1}            # port p1
 *   - {name: leaf, mac: 02:00:00:00:01:02, address: "1002", switch: sw2, port: up}  # port named "up"
 * ```
 *
 * See docs/lab.md for every field.
 */
import { basename, extname } from 'node:path';
import { z } from 'zod';
import { isMac } from '../common/mac.js';
import { loadYamlFile, parseYaml, YamlFileError, type FileIssue } from './yamlfile.js';

/** `10ms`, `1.5s`, `250us` or a number of milliseconds. */
export const Duration = z
  .union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?\s*(us|ms|s)$/, 'expected a duration like 10ms, 1.5s or 250us')])
  .transform((v) => {
    if (typeof v === 'number') return v;
    const m = /^(\d+(?:\.\d+)?)\s*(us|ms|s)$/.exec(v)!;
    const n = Number(m[1]);
    return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
  });

/** `5%`, `0.5%` or a number of percent. */
const Percent = z
  .union([z.number(), z.string().regex(/^\d+(\.\d+)?\s*%$/, 'expected a percentage like 5% or 0.5%')])
  .transform((v) => (typeof v === 'number' ? v : Number(v.replace('%', '').trim())))
  .pipe(z.number().min(0, 'must be at least 0%').max(100, 'must be at most 100%'));

export const NetemSchema = z
  .strictObject({
    /** one-way delay added to every frame (ms) */
    delay: Duration.optional(),
    /** random variation of the delay (ms); needs `delay` */
    jitter: Duration.optional(),
    loss: Percent.optional(),
    duplicate: Percent.optional(),
    /** share of frames sent at once while the others wait `delay`: needs `delay` */
    reorder: Percent.optional(),
    /** share of frames with one flipped bit (the AAL5 CRC must catch them) */
    corrupt: Percent.optional(),
  })
  .superRefine((n, ctx) => {
    if ((n.jitter ?? 0) > 0 && !(n.delay && n.delay > 0)) ctx.addIssue({ code: 'custom', path: ['jitter'], message: 'jitter needs a delay' });
    if ((n.reorder ?? 0) > 0 && !(n.delay && n.delay > 0))
      ctx.addIssue({ code: 'custom', path: ['reorder'], message: 'reorder needs a delay (frames are reordered by sending some at once while the others wait)' });
  });
export type Netem = z.output<typeof NetemSchema>;

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/i;
/** short enough for the devices named after a port (`t-PORT`, `b-PORT`, `v-PORT`: at most 15 characters) */
const PORT_RE = /^[a-z0-9][a-z0-9_-]{0,9}$/;

const Cidr = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, 'expected an IPv4 address with prefix length, like 10.77.1.2/24');
const Ipv4 = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, 'expected an IPv4 address like 10.77.1.1');

const AtmAddress = z
  .union([z.string(), z.number().int().nonnegative().transform(String)])
  .pipe(
    z
      .string()
      .regex(/^(\+?\d{1,15}|[0-9a-fA-F.]+)$/, 'expected an ATM address: E.164 digits ("1001") or 40 hex digits (AESA)')
      .refine((a) => /^\+?\d{1,15}$/.test(a) || a.replaceAll('.', '').length === 40, 'an AESA address has 40 hex digits'),
  );

export const HostSchema = z.strictObject({
  name: z.string().regex(NAME_RE, 'host names are letters, digits, - and _ (at most 32, starting with a letter or digit)'),
  mac: z
    .string()
    .refine(isMac, 'expected a MAC address like 02:00:00:00:01:01')
    .transform((m) => m.toLowerCase())
    .refine((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0, 'must be a unicast MAC (lowest bit of the first octet clear)'),
  address: AtmAddress,
  /** further ATM addresses of the host (a host with two addresses holds two parties of one call on one link) */
  extraAddresses: z.array(AtmAddress).max(8, 'at most 8 extra addresses').optional(),
  /** IPv4 address with prefix: routed labs (default 10.77.N.2/24), or on br0 in bridged labs */
  ip: Cidr.optional(),
  /** routed labs: the router's address on this host's subnet (default: .1 of the subnet) */
  gateway: Ipv4.optional(),
  /** impairment of this host's link in both directions (replaces the segment's netem on its uplink) */
  netem: NetemSchema.optional(),
  /** impairment of frames this host sends (overrides `netem` for that direction) */
  netemOut: NetemSchema.optional(),
  /** impairment of frames sent to this host (overrides `netem` for that direction) */
  netemIn: NetemSchema.optional(),
  /** the switch this host is connected to (a port of its own); absent: the host is on the segment */
  switch: z.string().regex(NAME_RE, 'a switch name').optional(),
  /** the name of that switch port (default p1, p2, ... in the order of the hosts) */
  port: z.string().regex(PORT_RE, 'port names are 1 to 10 lower-case letters, digits, - and _').optional(),
});
export type HostSpec = z.output<typeof HostSchema>;

export const SwitchSchema = z.strictObject({
  name: z.string().regex(NAME_RE, 'switch names are letters, digits, - and _ (at most 32, starting with a letter or digit)'),
  /** switches this one has a link to (one port on each end; list a link on one of the two switches: that one is the IISP user side) */
  links: z.array(z.string().regex(NAME_RE, 'a switch name')).default([]),
});
export type SwitchSpec = z.output<typeof SwitchSchema>;

export const TopologySchema = z
  .strictObject({
    name: z.string().regex(NAME_RE, 'lab names are letters, digits, - and _ (at most 32)').optional(),
    description: z.string().optional(),
    segment: z
      .strictObject({
        kind: z.enum(['bridged', 'routed']),
        /** every frame crossing the segment is impaired once, at the sender's uplink */
        netem: NetemSchema.optional(),
      })
      .default({ kind: 'bridged' }),
    /** ATM switches (condisd with role switch), each in a namespace of its own */
    switches: z.array(SwitchSchema).max(16, 'at most 16 switches').default([]),
    /**
     * neighbour discovery among the lab's daemons: `signed: true` signs and checks every
     * announcement with a key made for this lab (docs/security.md); default: unsigned
     */
    discovery: z.strictObject({ signed: z.boolean().default(false) }).optional(),
    hosts: z.array(HostSchema).min(1, 'a lab needs at least one host').max(200, 'at most 200 hosts'),
  })
  .superRefine((t, ctx) => {
    const seen = (key: 'name' | 'mac' | 'address' | 'ip') => {
      const first = new Map<string, number>();
      t.hosts.forEach((h, i) => {
        const raw = h[key];
        if (raw === undefined) return;
        const v = key === 'name' ? raw.toLowerCase() : key === 'ip' ? raw.split('/')[0]! : raw;
        const j = first.get(v);
        if (j !== undefined) ctx.addIssue({ code: 'custom', path: ['hosts', i, key], message: `duplicate ${key} ${raw} (also hosts[${j}])` });
        else first.set(v, i);
      });
    };
    seen('name');
    seen('mac');
    seen('address');
    seen('ip');
    const owner = new Map(t.hosts.map((h, i) => [h.address, i]));
    t.hosts.forEach((h, i) =>
      (h.extraAddresses ?? []).forEach((a, k) => {
        const j = owner.get(a);
        if (j !== undefined) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'extraAddresses', k], message: `duplicate address ${a} (also hosts[${j}])` });
        else owner.set(a, i);
      }),
    );
    t.hosts.forEach((h, i) => {
      for (const key of ['ip', 'gateway'] as const) {
        const v = h[key];
        if (v && v.split('/')[0]!.split('.').some((o) => Number(o) > 255))
          ctx.addIssue({ code: 'custom', path: ['hosts', i, key], message: `${v}: octets are 0..255` });
      }
      if (h.ip) {
        const len = Number(h.ip.split('/')[1]);
        if (len < 8 || len > 30) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'ip'], message: 'prefix length must be 8..30' });
      }
      if (h.gateway && t.segment.kind !== 'routed')
        ctx.addIssue({ code: 'custom', path: ['hosts', i, 'gateway'], message: 'gateway only applies to routed labs' });
    });
    if (t.segment.kind === 'routed' && t.hosts.length > 250) ctx.addIssue({ code: 'custom', path: ['hosts'], message: 'a routed lab has at most 250 hosts' });
    checkSwitches(t, ctx);
  });

/** switch names, links and ports: every name known, nothing twice, no host and switch of one name */
function checkSwitches(t: { segment: { kind: string }; switches: SwitchSpec[]; hosts: HostSpec[] }, ctx: z.RefinementCtx): void {
  const switches = new Map<string, number>();
  t.switches.forEach((s, i) => {
    const key = s.name.toLowerCase();
    if (switches.has(key)) ctx.addIssue({ code: 'custom', path: ['switches', i, 'name'], message: `duplicate switch name ${s.name} (also switches[${switches.get(key)}])` });
    else switches.set(key, i);
    const j = t.hosts.findIndex((h) => h.name.toLowerCase() === key);
    if (j >= 0) ctx.addIssue({ code: 'custom', path: ['switches', i, 'name'], message: `${s.name} is also the name of hosts[${j}]; hosts and switches need distinct names` });
  });
  if (t.switches.length && t.segment.kind !== 'bridged')
    ctx.addIssue({ code: 'custom', path: ['switches'], message: 'switches need a bridged lab (segment.kind: bridged): each port is an Ethernet segment of its own' });
  const pairs = new Set<string>();
  t.switches.forEach((s, i) =>
    s.links.forEach((other, k) => {
      const where = ['switches', i, 'links', k];
      if (!switches.has(other.toLowerCase())) ctx.addIssue({ code: 'custom', path: where, message: `no switch named ${other} (switches: ${t.switches.map((x) => x.name).join(', ')})` });
      else if (other.toLowerCase() === s.name.toLowerCase()) ctx.addIssue({ code: 'custom', path: where, message: 'a switch cannot be linked to itself' });
      const pair = [s.name.toLowerCase(), other.toLowerCase()].sort().join('\0');
      if (pairs.has(pair)) ctx.addIssue({ code: 'custom', path: where, message: `the link ${s.name} -- ${other} is listed twice` });
      pairs.add(pair);
    }),
  );
  const ports = new Map<string, number>();
  t.hosts.forEach((h, i) => {
    if (h.port !== undefined && h.switch === undefined) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'port'], message: 'port needs switch (the switch the port is on)' });
    if (h.switch === undefined) return;
    if (!switches.has(h.switch.toLowerCase())) {
      ctx.addIssue({ code: 'custom', path: ['hosts', i, 'switch'], message: `no switch named ${h.switch}${t.switches.length ? ` (switches: ${t.switches.map((x) => x.name).join(', ')})` : ' (the lab has no switches:)'}` });
      return;
    }
    if (h.port === undefined) return;
    const key = `${h.switch.toLowerCase()}\0${h.port}`;
    if (ports.has(key)) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'port'], message: `port ${h.port} of ${h.switch} is taken by hosts[${ports.get(key)}]` });
    else ports.set(key, i);
  });
}

export type TopologySpec = z.output<typeof TopologySchema>;

/** A validated topology with its lab name settled. */
export interface Topology extends TopologySpec {
  name: string;
  /** the file it came from, when it came from one */
  file?: string;
}

/** Lab name from a file name: `scripts/labs/demo.yaml` -> `demo`. */
export function labNameFromFile(file: string): string {
  return basename(file, extname(file));
}

function settle(spec: TopologySpec, file: string | undefined, fallbackName: string | undefined): Topology {
  const name = spec.name ?? (file ? labNameFromFile(file) : fallbackName);
  if (!name || !NAME_RE.test(name)) {
    const issue: FileIssue = { path: ['name'], message: `the lab needs a name (letters, digits, - and _): got ${JSON.stringify(name ?? '')}` };
    throw new YamlFileError(file ?? '(topology)', [issue], 'topology');
  }
  return { ...spec, name, ...(file ? { file } : {}) };
}

/** Read and validate a topology file; throws YamlFileError naming the file and the path of every problem. */
export function loadTopology(file: string): Topology {
  return settle(loadYamlFile(file, TopologySchema, 'topology').value, file, undefined);
}

/** Validate topology YAML text (`file` only names it in errors). */
export function parseTopology(text: string, file = '(topology)'): Topology {
  return settle(parseYaml(text, file, TopologySchema, 'topology').value, file === '(topology)' ? undefined : file, undefined);
}

/** Validate a topology given as an object (from code); `name` is required then unless the object has one. */
export function topologyFrom(obj: unknown, name?: string): Topology {
  const r = TopologySchema.safeParse(obj);
  if (!r.success) {
    throw new YamlFileError(
      '(topology object)',
      r.error.issues.map((i) => ({ path: i.path.filter((p): p is string | number => typeof p !== 'symbol'), message: i.message })),
      'topology',
    );
  }
  return settle(r.data, undefined, name);
}

/** True when netem settings would change anything (all-zero settings are not applied at all). */
export function netemActive(n: Netem | undefined): n is Netem {
  return !!n && [n.delay, n.jitter, n.loss, n.duplicate, n.reorder, n.corrupt].some((v) => (v ?? 0) > 0);
}

/** `tc qdisc ... netem` arguments for settings (netemActive must hold). */
export function netemArgs(n: Netem): string[] {
  const a: string[] = [];
  const ms = (v: number) => `${Number(v.toFixed(3))}ms`;
  const pct = (v: number) => `${Number(v.toFixed(4))}%`;
  if ((n.delay ?? 0) > 0) {
    a.push('delay', ms(n.delay!));
    if ((n.jitter ?? 0) > 0) a.push(ms(n.jitter!));
  }
  if ((n.loss ?? 0) > 0) a.push('loss', pct(n.loss!));
  if ((n.duplicate ?? 0) > 0) a.push('duplicate', pct(n.duplicate!));
  if ((n.reorder ?? 0) > 0) a.push('reorder', pct(n.reorder!));
  if ((n.corrupt ?? 0) > 0) a.push('corrupt', pct(n.corrupt!));
  return a;
}

/** Human form: `delay 2ms loss 5%`. */
export function describeNetem(n: Netem | undefined): string {
  return netemActive(n) ? netemArgs(n).join(' ') : '-';
}
