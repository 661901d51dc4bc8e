/**
 * Scenarios: demos and exercises written as YAML instead of code. A scenario
 * is a list of steps played against a lab: actions a host's CoNDIS client
 * takes (listen, call, add-party, drop-party, close-call, ...) and
 * indications a host must (or must not) see.
 *
 * ```yaml
 * name: drop a party with close data
 * timeout: 5s                          # default wait for each expect
 * steps:
 *   - {host: leaf1, do: listen}        # register a SAP on the host's own address, accept calls
 *   - {host: leaf2, do: listen}
 *   - {host: root, do: call, to: [leaf1, leaf2], multipoint: true, as: conf}
 *   - expect: {host: leaf2, indication: incoming-call, from: root, as: conf}
 *   - {host: root, do: drop-party, call: conf, party: leaf2, closeData: "bye"}
 *   - expect: {host: leaf2, indication: incoming-close-call, closeData: "bye"}
 * ```
 *
 * The runner talks to the hosts through a `ScenarioDriver` (one method per
 * action, plus `waitFor` for indications): the real one drives condisd over
 * its control socket; tests use a fake. See docs/lab.md for every step.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { INDICATION_KINDS, type IndicationKind } from '../control/backend.js';
import { labNameOf, openLab, type LabOptions } from './lab.js';
import { Duration, loadTopology } from './topology.js';
import { loadYamlFile, parseYaml, YamlFileError, type FileIssue, type Parsed } from './yamlfile.js';

// ---------------------------------------------------------------------------------------------
// schema


const hostName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, 'expected a host name');
const alias = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,31}$/, 'call names are letters, digits, - and _, starting with a letter');
/** a host of the lab, or an ATM address to call outside the lab ("+4930123", quoted) */
const target = z.string().min(1);
/** NDIS status by name: SUCCESS, NDIS_STATUS_SUCCESS, INVALID_DATA ... */
const status = z
  .string()
  .regex(/^(NDIS_STATUS_)?[A-Z][A-Z0-9_]*$/i, 'expected an NDIS status name such as SUCCESS or NDIS_STATUS_INVALID_DATA')
  .transform(normalizeStatus);
const cause = z.number().int().min(1).max(127);
const hex = z
  .string()
  .transform((s) => s.replace(/[\s:]/g, ''))
  .pipe(z.string().regex(/^([0-9a-fA-F]{2})*$/, 'expected hex octets such as "62 79 65"'));

export function normalizeStatus(s: string): string {
  return s.toUpperCase().replace(/^NDIS_STATUS_/, '');
}

const common = { host: hostName, note: z.string().optional() };
const bytes = { closeData: z.string().optional(), closeDataHex: hex.optional() };

const ListenStep = z.strictObject({
  ...common,
  do: z.literal('listen'),
  /** the SAP's address (default: the host's own address) */
  sap: target.optional(),
  /** what the client does with incoming calls: accept (default), reject, or ask (answer them with do: answer) */
  answer: z.enum(['accept', 'reject', 'ask']).default('accept'),
  cause: cause.optional(),
  /** a QoS change the caller asks for (Q.2963.1): accept (default), or refuse by closing the call */
  qos: z.enum(['accept', 'refuse']).optional(),
});
const UnlistenStep = z.strictObject({ ...common, do: z.literal('unlisten'), sap: target.optional() });
const AnswerStep = z.strictObject({ ...common, do: z.literal('answer'), call: alias, accept: z.boolean().default(true), cause: cause.optional() });
const CallStep = z.strictObject({
  ...common,
  do: z.literal('call'),
  to: z.union([target, z.array(target).min(1)]).transform((t) => (Array.isArray(t) ? t : [t])),
  /** default: true when there is more than one party */
  multipoint: z.boolean().optional(),
  as: alias.optional(),
  /** user-user information on the SETUP (text) */
  uu: z.string().optional(),
  /** expected final status (default SUCCESS): a call that must fail names its status */
  status: status.optional(),
});
const AddPartyStep = z.strictObject({ ...common, do: z.literal('add-party'), call: alias, to: target, uu: z.string().optional(), status: status.optional() });
const DropPartyStep = z.strictObject({ ...common, do: z.literal('drop-party'), call: alias, party: target, ...bytes, status: status.optional() });
const CloseCallStep = z.strictObject({ ...common, do: z.literal('close-call'), call: alias, ...bytes, status: status.optional() });
const SendStep = z.strictObject({ ...common, do: z.literal('send'), call: alias, data: z.string().optional(), dataHex: hex.optional(), status: status.optional() });
/** a peak cell rate, cells/s (24 bits) */
const pcr = z.number().int().min(1).max(0xffffff);
/** NdisClModifyCallQoS on a point-to-point call the host placed (Q.2963.1): new transmit (and receive) peak cell rates */
const ModifyStep = z.strictObject({ ...common, do: z.literal('modify'), call: alias, pcr, receivePcr: pcr.optional(), status: status.optional() });

const ActionStep = z.discriminatedUnion('do', [ListenStep, UnlistenStep, AnswerStep, CallStep, AddPartyStep, DropPartyStep, CloseCallStep, SendStep, ModifyStep]);

const Matcher = z.strictObject({
  host: hostName,
  indication: z.enum(INDICATION_KINDS),
  /** the calling host (incoming-call) */
  from: target.optional(),
  /** the call, by its name on this host */
  call: alias.optional(),
  /** the party, by the host it leads to (on the host that owns the call) */
  party: target.optional(),
  status: status.optional(),
  ...bytes,
  /** receive: the data */
  data: z.string().optional(),
  dataHex: hex.optional(),
});
const ExpectStep = z.strictObject({
  expect: Matcher.extend({
    /** incoming-call: name the call on this host for later steps */
    as: alias.optional(),
  }),
  timeout: Duration.optional(),
  note: z.string().optional(),
});
const ExpectNoneStep = z.strictObject({ 'expect-none': Matcher, within: Duration, note: z.string().optional() });
const WaitStep = z.strictObject({ wait: Duration, note: z.string().optional() });

const Step = z.unknown().transform((v, ctx) => {
  const kinds: [string, z.ZodType][] = [
    ['do', ActionStep],
    ['expect', ExpectStep],
    ['expect-none', ExpectNoneStep],
    ['wait', WaitStep],
  ];
  const present = v && typeof v === 'object' && !Array.isArray(v) ? kinds.filter(([k]) => k in (v as object)) : [];
  if (present.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: present.length
        ? `a step is one of do:, expect:, expect-none:, wait: (this one has ${present.map(([k]) => k).join(' and ')})`
        : 'a step needs one of do: (an action), expect: (an indication), expect-none:, wait:',
    });
    return z.NEVER;
  }
  const r = present[0]![1].safeParse(v);
  if (!r.success) {
    for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path.filter((p) => typeof p !== 'symbol') as (string | number)[] });
    return z.NEVER;
  }
  return r.data as ScenarioStep;
});

export const ScenarioSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  /** the lab (name or topology file) the scenario is written for */
  lab: z.string().optional(),
  /** default timeout of expect steps (default 5s) */
  timeout: Duration.default(5000),
  steps: z.array(Step).min(1, 'a scenario needs at least one step'),
});

export type ListenStep = z.output<typeof ListenStep>;
export type UnlistenStep = z.output<typeof UnlistenStep>;
export type AnswerStep = z.output<typeof AnswerStep>;
export type CallStep = z.output<typeof CallStep>;
export type AddPartyStep = z.output<typeof AddPartyStep>;
export type DropPartyStep = z.output<typeof DropPartyStep>;
export type CloseCallStep = z.output<typeof CloseCallStep>;
export type SendStep = z.output<typeof SendStep>;
export type ModifyStep = z.output<typeof ModifyStep>;
export type ActionStep = z.output<typeof ActionStep>;
export type ExpectStep = z.output<typeof ExpectStep>;
export type ExpectNoneStep = z.output<typeof ExpectNoneStep>;
export type WaitStep = z.output<typeof WaitStep>;
export type Matcher = z.output<typeof Matcher>;
export type ScenarioStep = ActionStep | ExpectStep | ExpectNoneStep | WaitStep;

export interface Scenario {
  name: string;
  description?: string;
  lab?: string;
  file?: string;
  /** ms */
  timeout: number;
  steps: ScenarioStep[];
  /** every host name the steps mention */
  hosts: string[];
}

// ---------------------------------------------------------------------------------------------
// static checks: hosts exist, calls are named before they are used

const looksLikeAddress = (s: string) => /^\+?\d{1,15}$/.test(s) || s.replaceAll('.', '').length === 40;

function checkSteps(steps: ScenarioStep[], knownHosts: readonly string[] | undefined): FileIssue[] {
  const issues: FileIssue[] = [];
  const known = knownHosts ? new Set(knownHosts) : undefined;
  const calls = new Map<string, { partiesKnown: boolean; parties: Set<string> }>(); // host\0alias
  const hostIssue = (path: (string | number)[], h: string) => {
    if (known && !known.has(h)) issues.push({ path, message: `no host ${JSON.stringify(h)} in the lab (hosts: ${[...known].join(', ')})` });
  };
  const targetIssue = (path: (string | number)[], t: string) => {
    if (known && !known.has(t) && !looksLikeAddress(t)) issues.push({ path, message: `${JSON.stringify(t)} is neither a host of the lab (${[...known].join(', ')}) nor an ATM address` });
    if (!known && !/^[a-z]/i.test(t) && !looksLikeAddress(t)) issues.push({ path, message: `${JSON.stringify(t)} is neither a host name nor an ATM address` });
  };
  const callRef = (path: (string | number)[], host: string, name: string) => {
    const c = calls.get(`${host}\0${name}`);
    if (!c) issues.push({ path, message: `no call named ${JSON.stringify(name)} on ${host} yet (name a call with as: on a call step, or on an expect of incoming-call)` });
    return c;
  };
  steps.forEach((s, i) => {
    const p = (...rest: (string | number)[]) => ['steps', i, ...rest];
    if ('do' in s) {
      hostIssue(p('host'), s.host);
      switch (s.do) {
        case 'listen':
        case 'unlisten':
          break;
        case 'call': {
          s.to.forEach((t, j) => {
            targetIssue(p('to', j), t);
            if (t === s.host) issues.push({ path: p('to', j), message: `${s.host} cannot call itself` });
          });
          if (s.multipoint === false && s.to.length > 1) issues.push({ path: p('multipoint'), message: 'a point-to-point call has one party: set multipoint: true or call one host' });
          if (s.as) calls.set(`${s.host}\0${s.as}`, { partiesKnown: true, parties: new Set(s.to) });
          break;
        }
        case 'add-party': {
          targetIssue(p('to'), s.to);
          const c = callRef(p('call'), s.host, s.call);
          if (c && !c.partiesKnown) issues.push({ path: p('call'), message: `${s.call} is a call ${s.host} received: only the root adds parties` });
          c?.parties.add(s.to);
          break;
        }
        case 'drop-party': {
          const c = callRef(p('call'), s.host, s.call);
          if (c && !c.partiesKnown) issues.push({ path: p('call'), message: `${s.call} is a call ${s.host} received: a leaf leaves with close-call` });
          else if (c && !c.parties.has(s.party)) issues.push({ path: p('party'), message: `${s.party} is not a party of ${s.call} (parties: ${[...c.parties].join(', ')})` });
          if (s.closeData !== undefined && s.closeDataHex !== undefined) issues.push({ path: p('closeDataHex'), message: 'give closeData or closeDataHex, not both' });
          break;
        }
        case 'close-call':
          callRef(p('call'), s.host, s.call);
          if (s.closeData !== undefined && s.closeDataHex !== undefined) issues.push({ path: p('closeDataHex'), message: 'give closeData or closeDataHex, not both' });
          break;
        case 'answer':
          callRef(p('call'), s.host, s.call);
          break;
        case 'send':
          callRef(p('call'), s.host, s.call);
          if ((s.data === undefined) === (s.dataHex === undefined)) issues.push({ path: p('data'), message: 'give data or dataHex' });
          break;
        case 'modify': {
          const c = callRef(p('call'), s.host, s.call);
          if (c && !c.partiesKnown) issues.push({ path: p('call'), message: `${s.call} is a call ${s.host} received: only the calling host changes its peak cell rate (Q.2963.1)` });
          break;
        }
      }
    } else if ('expect' in s || 'expect-none' in s) {
      const key = 'expect' in s ? 'expect' : 'expect-none';
      const m: Matcher & { as?: string } = 'expect' in s ? s.expect : s['expect-none'];
      hostIssue(p(key, 'host'), m.host);
      if (m.from !== undefined) targetIssue(p(key, 'from'), m.from);
      if (m.call !== undefined) callRef(p(key, 'call'), m.host, m.call);
      if (m.party !== undefined) {
        if (m.call === undefined) issues.push({ path: p(key, 'party'), message: 'party needs call: (parties are named within a call)' });
        targetIssue(p(key, 'party'), m.party);
      }
      if (m.as !== undefined) {
        if (m.indication !== 'incoming-call') issues.push({ path: p(key, 'as'), message: 'as: names the call of an incoming-call indication' });
        else calls.set(`${m.host}\0${m.as}`, { partiesKnown: false, parties: new Set() });
      }
      if (m.closeData !== undefined && m.closeDataHex !== undefined) issues.push({ path: p(key, 'closeDataHex'), message: 'give closeData or closeDataHex, not both' });
    }
  });
  return issues;
}

function hostsOf(steps: ScenarioStep[]): string[] {
  const out = new Set<string>();
  for (const s of steps) {
    if ('do' in s) out.add(s.host);
    else if ('expect' in s) out.add(s.expect.host);
    else if ('expect-none' in s) out.add(s['expect-none'].host);
  }
  return [...out];
}

function settle(parsed: Parsed<z.output<typeof ScenarioSchema>>, file: string | undefined, knownHosts: readonly string[] | undefined): Scenario {
  const v = parsed.value;
  const steps = v.steps as ScenarioStep[];
  const issues = checkSteps(steps, knownHosts).map((i) => ({ ...i, ...parsed.locate(i.path) }));
  if (issues.length) throw new YamlFileError(file ?? '(scenario)', issues, 'scenario');
  return {
    name: v.name ?? (file ? file.replace(/^.*\//, '').replace(/\.ya?ml$/i, '') : 'scenario'),
    ...(v.description !== undefined ? { description: v.description } : {}),
    ...(v.lab !== undefined ? { lab: v.lab } : {}),
    ...(file ? { file } : {}),
    timeout: v.timeout,
    steps,
    hosts: hostsOf(steps),
  };
}

/** Parse scenario YAML; with `knownHosts`, host names are checked against them. Throws YamlFileError. */
export function parseScenario(text: string, file = '(scenario)', knownHosts?: readonly string[]): Scenario {
  const named = file === '(scenario)' ? undefined : file;
  return settle(parseYaml(text, file, ScenarioSchema, 'scenario'), named, knownHosts);
}

/** Read and parse a scenario file. Throws YamlFileError naming the file, the path and the line. */
export function loadScenario(file: string, knownHosts?: readonly string[]): Scenario {
  return settle(loadYamlFile(file, ScenarioSchema, 'scenario'), file, knownHosts);
}

/**
 * Validate a scenario file, and its host names against a lab: `lab` (or the
 * scenario's own `lab:`) is a running lab's name or a topology file.
 */
export async function checkScenarioFile(file: string, lab?: string, opts: LabOptions = {}): Promise<Scenario> {
  const first = loadScenario(file);
  const which = lab ?? first.lab;
  if (!which) return first;
  let hosts: string[];
  if (/\.ya?ml$/i.test(which) || which.includes('/')) hosts = loadTopology(which).hosts.map((h) => h.name);
  else {
    try {
      hosts = (await openLab(labNameOf(which), opts)).hosts.map((h) => h.name);
    } catch (e) {
      // not up: the topology file of that name next to the scenario, or in scripts/labs
      const candidates = [join(dirname(file), '..', `${which}.yaml`), join(dirname(file), `${which}.yaml`), join('scripts', 'labs', `${which}.yaml`)];
      const found = candidates.find((c) => existsSync(c));
      if (!found) throw e;
      hosts = loadTopology(found).hosts.map((h) => h.name);
    }
  }
  return loadScenario(file, hosts);
}

// ---------------------------------------------------------------------------------------------
// the driver

/** A call or party as the driver knows it (condisd's VC and party ids). */
export type Handle = number | string;

/** Whom to call: a lab host (with its address) or a bare address. */
export interface Target {
  host?: string;
  address: string;
}

/** An indication a host's client saw. */
export interface Indication {
  host: string;
  kind: IndicationKind | (string & {});
  /** the VC the indication is about */
  call?: Handle;
  party?: Handle;
  /** NDIS status name without the NDIS_STATUS_ prefix: SUCCESS, INVALID_DATA ... */
  status?: string;
  closeData?: Buffer;
  data?: Buffer;
  /** incoming-call: the calling and called addresses */
  calling?: string;
  called?: string;
  multipoint?: boolean;
}

/** An action completed with a status other than SUCCESS. */
export class DriverStatusError extends Error {
  override readonly name = 'DriverStatusError';
  constructor(
    /** NDIS status name (with or without NDIS_STATUS_) */
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

export interface CallOutcome {
  call: Handle;
  /** one per target, in order (multipoint) or the single party of a point-to-point call */
  parties: { target: Target; party?: Handle; status: string }[];
}

/**
 * How a scenario reaches the hosts. Actions resolve when the CoNDIS request
 * has completed and reject with DriverStatusError when it completed with
 * another status than SUCCESS (other errors fail the step as they are).
 */
export interface ScenarioDriver {
  /** NdisClRegisterSap with an incoming-call policy */
  listen(host: string, a: { sap: string; answer: 'accept' | 'reject' | 'ask'; cause?: number; qos?: 'accept' | 'refuse' }): Promise<void>;
  /** NdisClDeregisterSap */
  unlisten(host: string, a: { sap: string }): Promise<void>;
  /** answer an incoming call that waits (listen with answer: ask) */
  answer(host: string, a: { call: Handle; accept: boolean; cause?: number }): Promise<void>;
  /** NdisClMakeCall (multipoint: the first party by MakeCall, the others by AddParty, as the control protocol does) */
  call(host: string, a: { to: Target[]; multipoint: boolean; uu?: Buffer }): Promise<CallOutcome>;
  addParty(host: string, a: { call: Handle; to: Target; uu?: Buffer }): Promise<{ party: Handle }>;
  dropParty(host: string, a: { call: Handle; party: Handle; closeData?: Buffer }): Promise<void>;
  closeCall(host: string, a: { call: Handle; closeData?: Buffer }): Promise<void>;
  send(host: string, a: { call: Handle; data: Buffer }): Promise<void>;
  /** NdisClModifyCallQoS (Q.2963.1): new peak cell rates, cells/s */
  modify(host: string, a: { call: Handle; pcr: number; receivePcr?: number }): Promise<void>;
  wait(ms: number): Promise<void>;
  /**
   * The first indication, not yet taken by an earlier waitFor, that matches;
   * indications that arrived before the call count. Resolves undefined when
   * none came within timeoutMs.
   */
  waitFor(match: (i: Indication) => boolean, timeoutMs: number): Promise<Indication | undefined>;
  /** indications not taken by any waitFor (for failure messages); optional */
  pending?(): Indication[];
}

/**
 * The buffering `waitFor` needs, for drivers: push every indication as it
 * arrives; waitFor takes the first match, earlier or later. `setTimer` is
 * injectable (tests use virtual time).
 */
export class IndicationQueue {
  private readonly buffered: Indication[] = [];
  private readonly waiters = new Set<{ match: (i: Indication) => boolean; resolve: (i: Indication | undefined) => void }>();

  constructor(
    private readonly setTimer: (ms: number, fn: () => void) => () => void = (ms, fn) => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    },
    /** most indications kept while nobody waits (oldest dropped first) */
    private readonly limit = 10_000,
  ) {}

  push(i: Indication): void {
    for (const w of this.waiters) {
      if (w.match(i)) {
        this.waiters.delete(w);
        w.resolve(i);
        return;
      }
    }
    this.buffered.push(i);
    if (this.buffered.length > this.limit) this.buffered.shift();
  }

  waitFor(match: (i: Indication) => boolean, timeoutMs: number): Promise<Indication | undefined> {
    const idx = this.buffered.findIndex(match);
    if (idx >= 0) return Promise.resolve(this.buffered.splice(idx, 1)[0]);
    return new Promise((resolve) => {
      const w = {
        match,
        resolve: (i: Indication | undefined) => {
          cancel();
          resolve(i);
        },
      };
      const cancel = this.setTimer(timeoutMs, () => {
        this.waiters.delete(w);
        resolve(undefined);
      });
      this.waiters.add(w);
    });
  }

  pending(): Indication[] {
    return [...this.buffered];
  }
}

/**
 * The shape of a control-protocol event this module reads (src/control's
 * ControlEvent, kept structural so the scenario runner does not depend on
 * the control protocol's version).
 */
export interface ControlEventLike {
  kind: string;
  vc?: number;
  party?: number;
  status?: { name: string } | string;
  closeData?: Buffer;
  data?: Buffer;
  calling?: string;
  called?: string;
  multipoint?: boolean;
}

/** An indication from one of `host`'s control events, for drivers built on the control client. */
export function indicationFromControlEvent(host: string, ev: ControlEventLike): Indication {
  const status = typeof ev.status === 'string' ? ev.status : ev.status?.name;
  return {
    host,
    kind: ev.kind,
    ...(ev.vc !== undefined ? { call: ev.vc } : {}),
    ...(ev.party !== undefined ? { party: ev.party } : {}),
    ...(status !== undefined ? { status: normalizeStatus(status) } : {}),
    ...(ev.closeData !== undefined ? { closeData: ev.closeData } : {}),
    ...(ev.data !== undefined ? { data: ev.data } : {}),
    ...(ev.calling !== undefined ? { calling: ev.calling } : {}),
    ...(ev.called !== undefined ? { called: ev.called } : {}),
    ...(ev.multipoint !== undefined ? { multipoint: ev.multipoint } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// the runner

export interface StepResult {
  index: number;
  step: ScenarioStep;
  /** "root: call leaf1, leaf2 (multipoint) as conf" */
  description: string;
  status: 'passed' | 'failed' | 'skipped';
  error?: string;
  /** the indication an expect step matched */
  indication?: Indication;
}

export interface ScenarioResult {
  scenario: string;
  ok: boolean;
  steps: StepResult[];
  /** the first failed step */
  failure?: StepResult;
}

export interface RunOptions {
  driver: ScenarioDriver;
  /** the lab's hosts: name -> ATM address (targets and `from:` are resolved with it) */
  hosts: Record<string, { address: string }> | readonly { name: string; address: string }[];
  /** called after each step (progress output) */
  onStep?: (r: StepResult) => void;
  /** go on after a failed step (default: stop, the rest is skipped) */
  keepGoing?: boolean;
}

const text = (s: string | undefined, h: string | undefined): Buffer | undefined =>
  h !== undefined ? Buffer.from(h, 'hex') : s !== undefined ? Buffer.from(s, 'utf8') : undefined;

function showBytes(b: Buffer | undefined): string {
  if (b === undefined) return 'none';
  const s = b.toString('utf8');
  return /^[\x20-\x7e]*$/.test(s) ? JSON.stringify(s) : `0x${b.toString('hex')}`;
}

/** `0x627965`, or `0x0011223344556677… (128 octets)` when long. */
function showHex(hex: string): string {
  return hex.length <= 32 ? `0x${hex}` : `0x${hex.slice(0, 16)}… (${hex.length / 2} octets)`;
}

/** One line describing a step, for progress output. */
export function describeStep(s: ScenarioStep): string {
  if ('wait' in s) return `wait ${s.wait}ms`;
  if ('expect' in s || 'expect-none' in s) {
    const m = 'expect' in s ? s.expect : s['expect-none'];
    const extra = [
      m.from && `from ${m.from}`,
      m.call && `call ${m.call}`,
      m.party && `party ${m.party}`,
      m.status && `status ${m.status}`,
      m.closeData !== undefined && `close data ${JSON.stringify(m.closeData)}`,
      m.closeDataHex !== undefined && `close data ${showHex(m.closeDataHex)}`,
      m.data !== undefined && `data ${JSON.stringify(m.data)}`,
      m.dataHex !== undefined && `data ${showHex(m.dataHex)}`,
    ].filter(Boolean);
    const base = `${m.host}: ${'expect' in s ? 'expect' : 'expect no'} ${m.indication}${extra.length ? ` (${extra.join(', ')})` : ''}`;
    return 'expect' in s ? `${base}${s.expect.as ? ` as ${s.expect.as}` : ''}` : `${base} within ${s.within}ms`;
  }
  const close = (x: { closeData?: string; closeDataHex?: string }) =>
    x.closeData !== undefined ? ` with close data ${JSON.stringify(x.closeData)}` : x.closeDataHex !== undefined ? ` with close data ${showHex(x.closeDataHex)}` : '';
  const st = (x: { status?: string }) => (x.status && x.status !== 'SUCCESS' ? `, expecting ${x.status}` : '');
  switch (s.do) {
    case 'listen':
      return `${s.host}: listen on ${s.sap ?? 'its address'} (${s.answer}${s.qos === 'refuse' ? ', refusing QoS changes' : ''})`;
    case 'unlisten':
      return `${s.host}: stop listening on ${s.sap ?? 'its address'}`;
    case 'answer':
      return `${s.host}: ${s.accept ? 'accept' : 'reject'} call ${s.call}`;
    case 'call':
      return `${s.host}: call ${s.to.join(', ')}${(s.multipoint ?? s.to.length > 1) ? ' (multipoint)' : ''}${s.as ? ` as ${s.as}` : ''}${st(s)}`;
    case 'add-party':
      return `${s.host}: add ${s.to} to ${s.call}${st(s)}`;
    case 'drop-party':
      return `${s.host}: drop ${s.party} from ${s.call}${close(s)}${st(s)}`;
    case 'close-call':
      return `${s.host}: close ${s.call}${close(s)}${st(s)}`;
    case 'send':
      return `${s.host}: send ${s.data !== undefined ? JSON.stringify(s.data) : showHex(s.dataHex ?? '')} on ${s.call}${st(s)}`;
    case 'modify':
      return `${s.host}: change ${s.call}'s peak cell rate to ${s.pcr}${s.receivePcr !== undefined ? `/${s.receivePcr}` : ''} cells/s${st(s)}`;
  }
}

class StepFailure extends Error {}

/**
 * Play a scenario. Steps run in order; an action step fails when the driver
 * rejects (or completes with a status other than the one the step expects),
 * an expect step when no matching indication comes in time, an expect-none
 * step when one does. After the first failure the remaining steps are
 * skipped (unless keepGoing).
 */
export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<ScenarioResult> {
  const hostList = Array.isArray(opts.hosts)
    ? (opts.hosts as readonly { name: string; address: string }[])
    : Object.entries(opts.hosts as Record<string, { address: string }>).map(([name, h]) => ({ name, address: h.address }));
  const addressOf = new Map(hostList.map((h) => [h.name, h.address]));
  const hostOfAddress = new Map(hostList.map((h) => [h.address.replace(/^\+/, ''), h.name]));
  // a scenario checked against other hosts must not run against these
  const unknown = scenario.hosts.filter((h) => !addressOf.has(h));
  const d = opts.driver;
  const calls = new Map<string, { call: Handle; parties: Map<string, Handle> }>();
  const results: StepResult[] = [];

  const resolveTarget = (t: string): Target => {
    const a = addressOf.get(t);
    if (a !== undefined) return { host: t, address: a };
    if (looksLikeAddress(t)) return { address: t };
    throw new StepFailure(`${JSON.stringify(t)} is neither a host of the lab nor an ATM address`);
  };
  const callOf = (host: string, name: string) => {
    const c = calls.get(`${host}\0${name}`);
    if (!c) throw new StepFailure(`no call named ${name} on ${host}`);
    return c;
  };
  const expectStatus = async <T>(want: string | undefined, what: () => Promise<T>): Promise<T | undefined> => {
    const wanted = want ?? 'SUCCESS';
    try {
      const r = await what();
      if (wanted !== 'SUCCESS') throw new StepFailure(`completed with SUCCESS, expected ${wanted}`);
      return r;
    } catch (e) {
      if (e instanceof DriverStatusError) {
        const got = normalizeStatus(e.status);
        if (got === wanted) return undefined;
        throw new StepFailure(`completed with ${got}${wanted === 'SUCCESS' ? '' : `, expected ${wanted}`}: ${e.message}`);
      }
      throw e;
    }
  };

  const matcher = (m: Matcher) => {
    const call = m.call !== undefined ? callOf(m.host, m.call) : undefined;
    const party = m.party !== undefined && call ? call.parties.get(m.party) : undefined;
    if (m.party !== undefined && call && party === undefined) throw new StepFailure(`${m.party} is not a party of ${m.call} on ${m.host}`);
    const fromAddress = m.from !== undefined ? resolveTarget(m.from).address.replace(/^\+/, '') : undefined;
    const close = text(m.closeData, m.closeDataHex);
    const data = text(m.data, m.dataHex);
    return (i: Indication): boolean =>
      i.host === m.host &&
      i.kind === m.indication &&
      (call === undefined || i.call === call.call) &&
      (party === undefined || i.party === party) &&
      (fromAddress === undefined || (i.calling !== undefined && i.calling.replace(/^\+/, '') === fromAddress)) &&
      (m.status === undefined || (i.status !== undefined && normalizeStatus(i.status) === m.status)) &&
      (close === undefined || (close.length === 0 ? !i.closeData || i.closeData.length === 0 : !!i.closeData && close.equals(i.closeData))) &&
      (data === undefined || (!!i.data && data.equals(i.data)));
  };

  const describeIndication = (i: Indication) => {
    const from = i.calling !== undefined ? hostOfAddress.get(i.calling.replace(/^\+/, '')) ?? i.calling : undefined;
    return [
      `${i.host}: ${i.kind}`,
      i.call !== undefined && `call ${i.call}`,
      i.party !== undefined && `party ${i.party}`,
      from !== undefined && `from ${from}`,
      i.status !== undefined && `status ${i.status}`,
      i.closeData !== undefined && `close data ${showBytes(i.closeData)}`,
      i.data !== undefined && `data ${showBytes(i.data)}`,
    ]
      .filter(Boolean)
      .join(', ');
  };

  const runStep = async (s: ScenarioStep): Promise<Indication | undefined> => {
    if ('wait' in s) {
      await d.wait(s.wait);
      return undefined;
    }
    if ('expect' in s) {
      const m = s.expect;
      const timeout = s.timeout ?? scenario.timeout;
      const got = await d.waitFor(matcher(m), timeout);
      if (!got) {
        const others = (d.pending?.() ?? []).filter((i) => i.host === m.host);
        throw new StepFailure(
          `no such indication within ${timeout}ms${others.length ? `; ${m.host} saw instead: ${others.map(describeIndication).join('; ')}` : ''}`,
        );
      }
      if (m.as !== undefined) {
        if (got.call === undefined) throw new StepFailure(`the ${got.kind} indication names no call`);
        calls.set(`${m.host}\0${m.as}`, { call: got.call, parties: new Map() });
      }
      return got;
    }
    if ('expect-none' in s) {
      const got = await d.waitFor(matcher(s['expect-none']), s.within);
      if (got) throw new StepFailure(`unexpected indication: ${describeIndication(got)}`);
      return undefined;
    }
    switch (s.do) {
      case 'listen':
        await expectStatus(undefined, () =>
          d.listen(s.host, { sap: s.sap ?? resolveTarget(s.host).address, answer: s.answer, ...(s.cause !== undefined ? { cause: s.cause } : {}), ...(s.qos ? { qos: s.qos } : {}) }),
        );
        return undefined;
      case 'unlisten':
        await expectStatus(undefined, () => d.unlisten(s.host, { sap: s.sap ?? resolveTarget(s.host).address }));
        return undefined;
      case 'answer': {
        const c = callOf(s.host, s.call);
        await expectStatus(undefined, () => d.answer(s.host, { call: c.call, accept: s.accept, ...(s.cause !== undefined ? { cause: s.cause } : {}) }));
        return undefined;
      }
      case 'call': {
        const to = s.to.map(resolveTarget);
        const multipoint = s.multipoint ?? s.to.length > 1;
        const r = await expectStatus(s.status, () => d.call(s.host, { to, multipoint, ...(s.uu !== undefined ? { uu: Buffer.from(s.uu) } : {}) }));
        if (!r) return undefined;
        const failed = r.parties.filter((p) => normalizeStatus(p.status) !== 'SUCCESS');
        if (failed.length) throw new StepFailure(`parties failed: ${failed.map((p) => `${p.target.host ?? p.target.address} ${normalizeStatus(p.status)}`).join(', ')}`);
        if (s.as !== undefined) {
          const parties = new Map<string, Handle>();
          r.parties.forEach((p, j) => {
            if (p.party !== undefined) parties.set(s.to[j]!, p.party);
          });
          calls.set(`${s.host}\0${s.as}`, { call: r.call, parties });
        }
        return undefined;
      }
      case 'add-party': {
        const c = callOf(s.host, s.call);
        const r = await expectStatus(s.status, () => d.addParty(s.host, { call: c.call, to: resolveTarget(s.to), ...(s.uu !== undefined ? { uu: Buffer.from(s.uu) } : {}) }));
        if (r) c.parties.set(s.to, r.party);
        return undefined;
      }
      case 'drop-party': {
        const c = callOf(s.host, s.call);
        const party = c.parties.get(s.party);
        if (party === undefined) throw new StepFailure(`${s.party} is not a party of ${s.call}`);
        const closeData = text(s.closeData, s.closeDataHex);
        await expectStatus(s.status, () => d.dropParty(s.host, { call: c.call, party, ...(closeData ? { closeData } : {}) }));
        if (!s.status || s.status === 'SUCCESS') c.parties.delete(s.party);
        return undefined;
      }
      case 'close-call': {
        const c = callOf(s.host, s.call);
        const closeData = text(s.closeData, s.closeDataHex);
        await expectStatus(s.status, () => d.closeCall(s.host, { call: c.call, ...(closeData ? { closeData } : {}) }));
        return undefined;
      }
      case 'send': {
        const c = callOf(s.host, s.call);
        await expectStatus(s.status, () => d.send(s.host, { call: c.call, data: text(s.data, s.dataHex)! }));
        return undefined;
      }
      case 'modify': {
        const c = callOf(s.host, s.call);
        await expectStatus(s.status, () => d.modify(s.host, { call: c.call, pcr: s.pcr, ...(s.receivePcr !== undefined ? { receivePcr: s.receivePcr } : {}) }));
        return undefined;
      }
    }
  };

  let failed = false;
  for (const [index, step] of scenario.steps.entries()) {
    const base = { index, step, description: describeStep(step) };
    let r: StepResult;
    if (failed && !opts.keepGoing) r = { ...base, status: 'skipped' };
    else if (index === 0 && unknown.length) {
      r = { ...base, status: 'failed', error: `the lab has no host ${unknown.join(', ')} (hosts: ${hostList.map((h) => h.name).join(', ')})` };
    } else {
      try {
        const indication = await runStep(step);
        r = { ...base, status: 'passed', ...(indication ? { indication } : {}) };
      } catch (e) {
        r = { ...base, status: 'failed', error: e instanceof Error ? e.message : String(e) };
      }
    }
    if (r.status === 'failed') failed = true;
    results.push(r);
    opts.onStep?.(r);
  }
  const failure = results.find((r) => r.status === 'failed');
  return { scenario: scenario.name, ok: !failure, steps: results, ...(failure ? { failure } : {}) };
}

/** Progress line for a step result: `  ok   3  root: call leaf1 (multipoint) as conf`. */
export function formatStepResult(r: StepResult): string {
  const mark = r.status === 'passed' ? 'ok  ' : r.status === 'failed' ? 'FAIL' : 'skip';
  const note = 'note' in r.step && r.step.note ? `  # ${r.step.note}` : '';
  return `${mark} ${String(r.index + 1).padStart(3)}  ${r.description}${note}${r.error ? `\n           ${r.error}` : ''}`;
}
