import test from 'ava';
import { readFileSync } from 'node:fs';
import { loadTopology } from '../../src/lab/topology.js';
import {
  describeStep,
  DriverStatusError,
  formatStepResult,
  IndicationQueue,
  indicationFromControlEvent,
  loadScenario,
  parseScenario,
  runScenario,
  type CallOutcome,
  type Handle,
  type Indication,
  type ScenarioDriver,
  type Target,
} from '../../src/lab/scenario.js';
import { YamlFileError } from '../../src/lab/yamlfile.js';

const demo = loadTopology('scripts/labs/demo.yaml');
const demoHosts = demo.hosts.map((h) => h.name);

/** Virtual time: a timeout fires as soon as the event loop has run what is queued, never after a real delay. */
const immediate = (_ms: number, fn: () => void) => {
  const t = setImmediate(fn);
  return () => clearImmediate(t);
};

/**
 * A fake network of CoNDIS clients: enough call and party bookkeeping to
 * produce the indications a real lab would, synchronously. `tweak` lets a test
 * break one behaviour.
 */
class FakeDriver implements ScenarioDriver {
  readonly log: string[] = [];
  readonly queue = new IndicationQueue(immediate);
  private nextId = 1;
  private readonly listening = new Map<string, 'accept' | 'reject' | 'ask'>(); // host -> answer
  /** hosts whose client refuses QoS changes (closes the call) */
  private readonly refusesQos = new Set<string>();
  /** vc id -> call */
  private readonly vcs = new Map<Handle, { root: string; parties: Map<Handle, { host: string; leafVc: Handle }> }>();
  /** leaf vc -> root vc + party */
  private readonly leafVcs = new Map<Handle, { host: string; rootVc: Handle; party: Handle }>();

  constructor(
    private readonly hosts: { name: string; address: string }[],
    private readonly tweak: { dropCloseData?: Buffer; maxCloseData?: number } = {},
  ) {}

  private hostOf(t: Target): string | undefined {
    return this.hosts.find((h) => h.address === t.address)?.name;
  }
  private addressOf(host: string): string {
    return this.hosts.find((h) => h.name === host)!.address;
  }

  private connect(root: string, rootVc: Handle, to: Target, multipoint: boolean): { party: Handle; status: string } {
    const host = this.hostOf(to);
    if (!host || !this.listening.has(host)) return { party: 0, status: 'DEST_OUT_OF_ORDER' };
    if (this.listening.get(host) === 'reject') return { party: 0, status: 'CALL_REJECTED' };
    const leafVc = this.nextId++;
    const party = this.nextId++;
    this.vcs.get(rootVc)!.parties.set(party, { host, leafVc });
    this.leafVcs.set(leafVc, { host, rootVc, party });
    this.queue.push({ host, kind: 'incoming-call', call: leafVc, calling: this.addressOf(root), called: to.address, multipoint });
    this.queue.push({ host, kind: 'call-connected', call: leafVc });
    return { party, status: 'SUCCESS' };
  }

  async listen(host: string, a: { sap: string; answer: 'accept' | 'reject' | 'ask'; qos?: 'accept' | 'refuse' }): Promise<void> {
    this.log.push(`${host} listen ${a.sap} ${a.answer}${a.qos ? ` qos ${a.qos}` : ''}`);
    this.listening.set(host, a.answer);
    if (a.qos === 'refuse') this.refusesQos.add(host);
  }
  async unlisten(host: string, a: { sap: string }): Promise<void> {
    this.log.push(`${host} unlisten ${a.sap}`);
    this.listening.delete(host);
  }
  async answer(host: string, a: { call: Handle; accept: boolean }): Promise<void> {
    this.log.push(`${host} answer ${a.call} ${a.accept}`);
  }
  async call(host: string, a: { to: Target[]; multipoint: boolean }): Promise<CallOutcome> {
    this.log.push(`${host} call ${a.to.map((t) => t.host ?? t.address).join(',')} ${a.multipoint ? 'p2mp' : 'p2p'}`);
    const vc = this.nextId++;
    this.vcs.set(vc, { root: host, parties: new Map() });
    const parties = a.to.map((t) => ({ target: t, ...this.connect(host, vc, t, a.multipoint) }));
    if (!a.multipoint && parties[0]!.status !== 'SUCCESS') throw new DriverStatusError(parties[0]!.status, 'make call failed');
    return { call: vc, parties };
  }
  async addParty(host: string, a: { call: Handle; to: Target }): Promise<{ party: Handle }> {
    this.log.push(`${host} add-party ${a.call} ${a.to.host}`);
    const r = this.connect(host, a.call, a.to, true);
    if (r.status !== 'SUCCESS') throw new DriverStatusError(r.status, 'add party failed');
    return { party: r.party };
  }
  private checkCloseData(closeData: Buffer | undefined): void {
    if (closeData && closeData.length > (this.tweak.maxCloseData ?? 127)) throw new DriverStatusError('NDIS_STATUS_INVALID_DATA', 'close data too long');
  }
  async dropParty(host: string, a: { call: Handle; party: Handle; closeData?: Buffer }): Promise<void> {
    this.log.push(`${host} drop-party ${a.call} ${a.party} ${a.closeData?.toString() ?? '-'}`);
    this.checkCloseData(a.closeData);
    const p = this.vcs.get(a.call)!.parties.get(a.party)!;
    this.vcs.get(a.call)!.parties.delete(a.party);
    const closeData = this.tweak.dropCloseData ?? a.closeData;
    this.queue.push({ host: p.host, kind: 'incoming-close-call', call: p.leafVc, status: 'SUCCESS', ...(closeData ? { closeData } : {}) });
  }
  async closeCall(host: string, a: { call: Handle; closeData?: Buffer }): Promise<void> {
    this.log.push(`${host} close-call ${a.call} ${a.closeData?.toString() ?? '-'}`);
    this.checkCloseData(a.closeData);
    const leaf = this.leafVcs.get(a.call);
    if (leaf) {
      // a leaf leaves: the root sees its party dropped
      const root = this.vcs.get(leaf.rootVc)!;
      root.parties.delete(leaf.party);
      this.queue.push({ host: root.root, kind: 'incoming-drop-party', call: leaf.rootVc, party: leaf.party, status: 'SUCCESS', ...(a.closeData ? { closeData: a.closeData } : {}) });
      return;
    }
    for (const p of this.vcs.get(a.call)!.parties.values())
      this.queue.push({ host: p.host, kind: 'incoming-close-call', call: p.leafVc, status: 'SUCCESS', ...(a.closeData ? { closeData: a.closeData } : {}) });
  }
  async send(host: string, a: { call: Handle; data: Buffer }): Promise<void> {
    this.log.push(`${host} send ${a.call} ${a.data.toString()}`);
  }
  async modify(host: string, a: { call: Handle; pcr: number; receivePcr?: number }): Promise<void> {
    this.log.push(`${host} modify ${a.call} ${a.pcr}`);
    const p = [...this.vcs.get(a.call)!.parties.values()][0]!;
    this.queue.push({ host: p.host, kind: 'incoming-qos-change', call: p.leafVc });
    if (!this.refusesQos.has(p.host)) {
      this.queue.push({ host, kind: 'modify-call-complete', call: a.call, status: 'SUCCESS' });
      return;
    }
    // the callee closes the call: MODIFY REJECT, then RELEASE
    this.queue.push({ host, kind: 'modify-call-complete', call: a.call, status: 'FAILURE' });
    this.queue.push({ host, kind: 'incoming-close-call', call: a.call, status: 'SUCCESS' });
    this.queue.push({ host: p.host, kind: 'close-call-complete', call: p.leafVc, status: 'SUCCESS' });
    throw new DriverStatusError('NDIS_STATUS_FAILURE', 'refused by b with MODIFY REJECT cause 37');
  }
  async wait(ms: number): Promise<void> {
    this.log.push(`wait ${ms}`);
  }
  waitFor(match: (i: Indication) => boolean, timeoutMs: number): Promise<Indication | undefined> {
    return this.queue.waitFor(match, timeoutMs);
  }
  pending(): Indication[] {
    return this.queue.pending();
  }
}

const hostsOf = (t: typeof demo) => t.hosts.map((h) => ({ name: h.name, address: h.address }));

test('the drop-party demo scenario passes against a network that behaves', async (t) => {
  const scenario = loadScenario('scripts/labs/scenarios/drop-party.yaml', demoHosts);
  t.is(scenario.name, 'drop a party with close data');
  t.is(scenario.timeout, 5000);
  const driver = new FakeDriver(hostsOf(demo));
  const lines: string[] = [];
  const result = await runScenario(scenario, { driver, hosts: hostsOf(demo), onStep: (r) => lines.push(formatStepResult(r)) });
  t.true(result.ok, lines.join('\n'));
  t.is(result.steps.length, 15);
  t.true(result.steps.every((s) => s.status === 'passed'));
  t.deepEqual(driver.log, [
    'leaf1 listen 1002 accept',
    'leaf2 listen 1003 accept',
    'leaf3 listen 1004 accept',
    'root call leaf1,leaf2 p2mp',
    'root add-party 1 leaf3',
    'root drop-party 1 5 bye',
    'leaf3 close-call 6 leaving',
    'root close-call 1 the end',
  ]);
  t.is(lines[3], 'ok     4  root: call leaf1, leaf2 (multipoint) as conf');
  t.is(lines[0], 'ok     1  leaf1: listen on its address (accept)  # each leaf registers a SAP on its own address');
  t.like(result.steps[9]!.indication, { host: 'leaf2', kind: 'incoming-close-call' });
});

test('a wrong close data fails the expect step, says what came instead, and skips the rest', async (t) => {
  const scenario = loadScenario('scripts/labs/scenarios/drop-party.yaml', demoHosts);
  const driver = new FakeDriver(hostsOf(demo), { dropCloseData: Buffer.from('ciao') });
  const result = await runScenario(scenario, { driver, hosts: hostsOf(demo) });
  t.false(result.ok);
  t.is(result.failure?.index, 9);
  t.is(result.failure?.description, 'leaf2: expect incoming-close-call (call conf, close data "bye")');
  t.is(
    result.failure!.error,
    'no such indication within 5000ms; leaf2 saw instead: leaf2: call-connected, call 4; leaf2: incoming-close-call, call 4, status SUCCESS, close data "ciao"',
  );
  t.deepEqual(
    result.steps.slice(10).map((s) => s.status),
    ['skipped', 'skipped', 'skipped', 'skipped', 'skipped'],
  );
  t.false(driver.log.some((l) => l.startsWith('leaf3 close-call')), 'nothing after the failure ran');
});

test('expect-none fails when the indication comes; keepGoing runs the remaining steps', async (t) => {
  const s = parseScenario(
    [
      'steps:',
      '  - {host: leaf1, do: listen}',
      '  - {host: root, do: call, to: leaf1, as: c}',
      '  - expect-none: {host: leaf1, indication: incoming-call}',
      '    within: 1s',
      '  - {wait: 250ms}',
    ].join('\n'),
    'none.yaml',
    demoHosts,
  );
  const driver = new FakeDriver(hostsOf(demo));
  const result = await runScenario(s, { driver, hosts: hostsOf(demo), keepGoing: true });
  t.false(result.ok);
  t.is(result.failure?.index, 2);
  t.regex(result.failure!.error!, /unexpected indication: leaf1: incoming-call, call 2, from root/);
  t.is(result.steps[3]!.status, 'passed');
  t.is(driver.log.at(-1), 'wait 250');
});

test('a step expecting a failure status passes when the action fails with it, and fails when it succeeds', async (t) => {
  const pair = loadTopology('scripts/labs/pair.yaml');
  const scenario = loadScenario('scripts/labs/scenarios/close-data-too-long.yaml', pair.hosts.map((h) => h.name));
  const ok = await runScenario(scenario, { driver: new FakeDriver(hostsOf(pair)), hosts: hostsOf(pair) });
  t.true(ok.ok, JSON.stringify(ok.failure));
  // a call manager that wrongly accepts 128 octets of close data
  const lax = await runScenario(scenario, { driver: new FakeDriver(hostsOf(pair), { maxCloseData: 1000 }), hosts: hostsOf(pair) });
  t.false(lax.ok);
  t.is(lax.failure?.index, 3);
  t.is(lax.failure?.error, 'completed with SUCCESS, expected INVALID_DATA');
});

test('the refused-modify scenario: a modify step expecting FAILURE passes when the callee refuses, fails when it accepts; only the caller may modify', async (t) => {
  const pair = loadTopology('scripts/labs/pair.yaml');
  const scenario = loadScenario('scripts/labs/scenarios/refused-modify.yaml', pair.hosts.map((h) => h.name));
  t.is(scenario.steps[3]!.note, 'MODIFY REQUEST; b refuses: MODIFY REJECT 37, the old rate stays');
  const driver = new FakeDriver(hostsOf(pair));
  const ok = await runScenario(scenario, { driver, hosts: hostsOf(pair) });
  t.true(ok.ok, JSON.stringify(ok.failure));
  t.true(driver.log.includes('b listen 2002 accept qos refuse'));
  t.is(ok.steps[3]!.description, "a: change c's peak cell rate to 2000 cells/s, expecting FAILURE");
  // a callee that accepts: the step expecting FAILURE fails
  const accepting = parseScenario(readFileSync('scripts/labs/scenarios/refused-modify.yaml', 'utf8').replace('qos: refuse, ', ''), 'x.yaml', pair.hosts.map((h) => h.name));
  const r = await runScenario(accepting, { driver: new FakeDriver(hostsOf(pair)), hosts: hostsOf(pair) });
  t.is(r.failure?.index, 3);
  t.is(r.failure?.error, 'completed with SUCCESS, expected FAILURE');
  // the called host cannot modify the call it received
  const e = t.throws(() =>
    parseScenario('steps:\n  - {host: b, do: listen}\n  - {host: a, do: call, to: b}\n  - expect: {host: b, indication: incoming-call, as: c}\n  - {host: b, do: modify, call: c, pcr: 10}\n', 'y.yaml', ['a', 'b']),
  );
  t.regex(e!.message, /c is a call b received: only the calling host changes its peak cell rate/);
  t.throws(() => parseScenario('steps:\n  - {host: a, do: call, to: b, as: c}\n  - {host: a, do: modify, call: c, pcr: 0}\n', 'z.yaml', ['a', 'b']));
});

test('an action that fails with a status fails its step with the status name', async (t) => {
  const s = parseScenario('steps:\n  - {host: root, do: call, to: leaf1}\n', 'x.yaml', demoHosts);
  const r = await runScenario(s, { driver: new FakeDriver(hostsOf(demo)), hosts: hostsOf(demo) });
  t.is(r.failure?.error, 'completed with DEST_OUT_OF_ORDER: make call failed');
  // multipoint: one party refused
  const m = parseScenario('steps:\n  - {host: leaf1, do: listen, answer: reject}\n  - {host: leaf2, do: listen}\n  - {host: root, do: call, to: [leaf2, leaf1]}\n', 'y.yaml', demoHosts);
  const r2 = await runScenario(m, { driver: new FakeDriver(hostsOf(demo)), hosts: hostsOf(demo) });
  t.is(r2.failure?.error, 'parties failed: leaf1 CALL_REJECTED');
});

test('running against a lab without the scenario\'s hosts fails at once', async (t) => {
  const s = parseScenario('steps:\n  - {host: a, do: listen}\n');
  const r = await runScenario(s, { driver: new FakeDriver(hostsOf(demo)), hosts: hostsOf(demo) });
  t.is(r.failure?.index, 0);
  t.regex(r.failure!.error!, /the lab has no host a \(hosts: root, leaf1, leaf2, leaf3\)/);
});

test('parse errors name the file, the step path and the line', (t) => {
  const bad = (text: string) => t.throws(() => parseScenario(text, 'demo.yaml', demoHosts), { instanceOf: YamlFileError })!;
  let e = bad('steps:\n  - {host: root, do: dial, to: leaf1}\n');
  t.is(e.issues.length, 1);
  t.deepEqual(e.issues[0]!.path, ['steps', 0, 'do']);
  t.regex(e.message, /demo\.yaml:2:\d+: steps\[0\]\.do: Invalid discriminator value\. Expected 'listen' \| 'unlisten'/);

  e = bad('steps:\n  - {host: root, do: call, to: leaf1}\n  - {host: root, do: drop-party, call: c, party: leaf1}\n');
  t.regex(e.message, /demo\.yaml:3:\d+: steps\[1\]\.call: no call named "c" on root yet/);

  e = bad('steps:\n  - {host: root, do: call, to: [leaf1], as: c}\n  - {host: root, do: drop-party, call: c, party: leaf2}\n');
  t.regex(e.message, /steps\[1\]\.party: leaf2 is not a party of c \(parties: leaf1\)/);

  e = bad('steps:\n  - {host: rot, do: listen}\n  - expect: {host: leaf1, indication: incoming-cal}\n  - {hots: root}\n  - {wait: 1s, expect: {}}\n');
  t.deepEqual(
    e.issues.map((i) => [i.path.join('.'), i.line]),
    [
      ['steps.1.expect.indication', 3],
      ['steps.2', 4],
      ['steps.3', 5],
    ],
  );
  t.regex(e.message, /a step needs one of do: \(an action\), expect:/);
  t.regex(e.message, /this one has expect and wait/);

  // host names are checked once the schema holds
  e = bad('steps:\n  - {host: rot, do: listen}\n  - {host: root, do: call, to: [leaf1, leaf2], multipoint: false}\n  - {host: root, do: call, to: root}\n');
  t.deepEqual(
    e.issues.map((i) => i.message),
    [
      'no host "rot" in the lab (hosts: root, leaf1, leaf2, leaf3)',
      'a point-to-point call has one party: set multipoint: true or call one host',
      'root cannot call itself',
    ],
  );

  e = bad('steps:\n  - expect: {host: leaf1, indication: call-connected, as: x}\n  - {host: leaf1, do: close-call, call: x, closeData: a, closeDataHex: "61"}\n');
  t.deepEqual(
    e.issues.map((i) => i.path.join('.')),
    ['steps.0.expect.as', 'steps.1.call', 'steps.1.closeDataHex'],
  );
  t.throws(() => parseScenario('steps: []\n', 's.yaml'), { message: /steps: a scenario needs at least one step/ });
  t.throws(() => parseScenario('steps:\n  - {wait: soon}\n', 's.yaml'), { message: /steps\[0\]\.wait: expected a duration/ });
  t.throws(() => parseScenario('steps:\n  - {host: root, do: close-call, call: c, status: "no such"}\n', 's.yaml'), { message: /steps\[0\]\.status: expected an NDIS status name/ });
});

test('without a lab, any host name is accepted; statuses and hex are normalised', (t) => {
  const s = parseScenario(
    'name: n\nsteps:\n  - {host: a, do: call, to: "+4930123", as: c, status: ndis_status_call_rejected}\n  - {host: a, do: send, call: c, dataHex: "de:ad be ef"}\n',
  );
  t.deepEqual(s.hosts, ['a']);
  t.like(s.steps[0], { status: 'CALL_REJECTED', to: ['+4930123'] });
  t.like(s.steps[1], { dataHex: 'deadbeef' });
});

test('IndicationQueue: buffered and later indications are each taken once; timeouts resolve undefined', async (t) => {
  const timers: (() => void)[] = [];
  const q = new IndicationQueue((_ms, fn) => {
    timers.push(fn);
    return () => {
      const i = timers.indexOf(fn);
      if (i >= 0) timers.splice(i, 1);
    };
  });
  q.push({ host: 'a', kind: 'call-connected', call: 1 });
  q.push({ host: 'a', kind: 'call-connected', call: 2 });
  t.is((await q.waitFor((i) => i.host === 'a', 10))?.call, 1);
  const later = q.waitFor((i) => i.kind === 'incoming-call', 10);
  q.push({ host: 'b', kind: 'incoming-call', call: 3 });
  t.is((await later)?.call, 3);
  t.is(timers.length, 0, 'a satisfied wait cancels its timer');
  t.deepEqual(
    q.pending().map((i) => i.call),
    [2],
  );
  const never = q.waitFor((i) => i.kind === 'receive', 10);
  timers[0]!();
  t.is(await never, undefined);
  // after its timeout, a wait takes nothing
  q.push({ host: 'a', kind: 'receive', call: 9 });
  t.is(q.pending().length, 2);
});

test('control events become indications: the VC is the call, status names lose their prefix', (t) => {
  t.deepEqual(indicationFromControlEvent('leaf2', { kind: 'incoming-close-call', vc: 7, status: { name: 'SUCCESS' }, closeData: Buffer.from('bye') }), {
    host: 'leaf2',
    kind: 'incoming-close-call',
    call: 7,
    status: 'SUCCESS',
    closeData: Buffer.from('bye'),
  });
  t.deepEqual(indicationFromControlEvent('root', { kind: 'incoming-drop-party', vc: 1, party: 3, status: 'NDIS_STATUS_SUCCESS' }), {
    host: 'root',
    kind: 'incoming-drop-party',
    call: 1,
    party: 3,
    status: 'SUCCESS',
  });
});

test('step descriptions shorten long hex', (t) => {
  const s = loadScenario('scripts/labs/scenarios/close-data-too-long.yaml');
  t.is(formatStepResult({ index: 3, step: s.steps[3]!, description: describeStep(s.steps[3]!), status: 'passed' }), 'ok     4  a: close c with close data 0x0011223344556677… (128 octets), expecting INVALID_DATA');
});
