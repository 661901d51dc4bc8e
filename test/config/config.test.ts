import test from 'ava';
import { readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadAnyConfig, loadConfig, parseConfig, parseSwitchConfig } from '../../src/config/index.js';
import { loadTopology } from '../../src/lab/topology.js';

const MIN = 'miniport:\n  kind: tap\n  device: tap0\naddresses: ["1001"]\n';

function configError(t: import('ava').ExecutionContext, text: string, file = 'bad.yaml'): ConfigError {
  const e = t.throws(() => parseConfig(text, file), { instanceOf: ConfigError });
  return e as ConfigError;
}

test('example host files load as they are', async (t) => {
  const a = await loadConfig('config/host-a.yaml');
  const b = await loadConfig('config/host-b.yaml');
  t.is(a.name, 'host-a');
  t.deepEqual(a.addresses, ['1001']);
  t.deepEqual(b.addresses, ['1002']);
  t.deepEqual(a.miniport, { kind: 'tap', device: 'tap0', mac: '02:c0:00:00:00:0a', mtu: 1500, bridge: 'br0', etherType: 0x88b5 });
  t.is(a.peers[0]!.mac, b.miniport.kind === 'tap' ? (b.miniport.mac ?? '') : '');
  t.deepEqual(a.peers[0]!.addresses, b.addresses);
  t.is(a.timers.sscop.keepAlive, 2000);
  t.is(a.timers.uni.t303, 4000);
  t.is(a.control.mode, 0o600);
  t.deepEqual(a.closeData, { allowed: true, maxOctets: 127 });
});

test('every file in config/ loads: host configurations with the config loader, the switch with the role-aware loader, the lab with the topology loader', async (t) => {
  const files = readdirSync('config').filter((f) => /\.ya?ml$/.test(f)).sort();
  t.deepEqual(files, ['host-a-etherip.yaml', 'host-a-nic.yaml', 'host-a.yaml', 'host-b-etherip.yaml', 'host-b-nic.yaml', 'host-b.yaml', 'lab-iisp.yaml', 'lab-switch.yaml', 'lab.yaml', 'switch.yaml']);
  for (const f of files) {
    if (f === 'lab.yaml') t.is(loadTopology(join('config', f)).hosts.length, 4);
    else if (f.startsWith('lab-')) t.true(loadTopology(join('config', f)).switches.length >= 1, `${f} places at least one switch`);
    else if (f === 'switch.yaml') t.is((await loadAnyConfig(join('config', f))).kind, 'switch');
    else t.is((await loadConfig(join('config', f))).name, f.startsWith('host-a') ? 'host-a' : 'host-b', f);
  }
  const nic = await loadConfig('config/host-a-nic.yaml');
  t.deepEqual(nic.miniport, { kind: 'nic', device: 'eth1' });
  const eip = await loadConfig('config/host-a-etherip.yaml');
  t.like(eip.miniport, { kind: 'etherip', local: '10.0.1.5', peers: ['10.0.2.7'], mac: '02:c0:00:00:00:0a' });
  t.deepEqual(eip.addresses, nic.addresses);
});

/** The MAC a host's frames carry, when its configuration fixes it (nic: the NIC's own, unknown here). */
function ownMac(c: import('../../src/config/index.js').HostConfig): string | undefined {
  const m = c.miniport as { mac?: string };
  return m.mac;
}

for (const [variant, a, b] of [
  ['tap', 'config/host-a.yaml', 'config/host-b.yaml'],
  ['nic', 'config/host-a-nic.yaml', 'config/host-b-nic.yaml'],
  ['etherip', 'config/host-a-etherip.yaml', 'config/host-b-etherip.yaml'],
] as const) {
  test(`the two-VM pair for the ${variant} miniport point at each other`, async (t) => {
    const ca = await loadConfig(a);
    const cb = await loadConfig(b);
    t.is(ca.miniport.kind, variant);
    t.is(cb.miniport.kind, variant);
    t.deepEqual([ca.name, cb.name], ['host-a', 'host-b']);
    t.notDeepEqual(ca.addresses, cb.addresses);
    t.is(ca.control.socket, cb.control.socket, 'one control socket path: condisctl needs no option on either VM');
    for (const [self, other, file] of [[ca, cb, a], [cb, ca, b]] as const) {
      t.true(self.discovery.enabled, `${file}: discovery on`);
      for (const p of self.peers) {
        // a static peer must name the MAC the other side's frames really carry, and its addresses
        const mac = ownMac(other);
        t.truthy(mac, `${file}: a static peer only where the other side's MAC is fixed by its config (not nic)`);
        t.is<string | undefined, string | undefined>(p.mac, mac, `${file}: static peer ${p.name} names the other host's miniport MAC`);
        t.is(p.name, other.name, file);
        t.deepEqual(p.addresses, other.addresses, `${file}: static peer ${p.name} carries the other host's addresses`);
      }
    }
    if (variant === 'nic') t.deepEqual([ca.peers, cb.peers], [[], []], 'nic: the peer is found by discovery at its NIC\'s MAC');
    else t.deepEqual([ca.peers.length, cb.peers.length], [1, 1]);
    if (ca.miniport.kind === 'etherip' && cb.miniport.kind === 'etherip') {
      t.deepEqual(ca.miniport.peers, [cb.miniport.local], 'A sends to B\'s local address');
      t.deepEqual(cb.miniport.peers, [ca.miniport.local], 'B sends to A\'s local address');
      t.not(ca.miniport.mac, cb.miniport.mac);
    }
  });
}

test('the lab file loads with the lab tooling\'s topology loader', (t) => {
  const lab = loadTopology('config/lab.yaml');
  t.is(lab.name, 'condis-demo');
  t.is(lab.segment.kind, 'bridged');
  t.deepEqual(
    lab.hosts.map((h) => [h.name, h.address]),
    [
      ['root', '1001'],
      ['leaf1', '1002'],
      ['leaf2', '1003'],
      ['leaf3', '1004'],
    ],
  );
  t.true(lab.hosts.every((h) => !h.netem) && !lab.segment.netem, 'no netem: the lab comes up on kernels without sch_netem');
  // every lab host's address and MAC make a valid host configuration
  for (const h of lab.hosts) {
    const c = parseConfig(`miniport: {kind: tap, device: tap0, mac: "${h.mac}", bridge: br0}\naddresses: ["${h.address}"]\n`, `${h.name}.yaml`);
    t.deepEqual(c.addresses, [h.address]);
  }
});

test('defaults are filled and values normalised', (t) => {
  const c = parseConfig('miniport: {kind: tap, device: tap0}\naddresses: [1001, "+4930123", "47.0005.80FFE1000000F21A2C1D.0020481A2C1D.00"]\n', 'dir/host-x.yaml');
  t.is(c.name, 'host-x');
  t.deepEqual(c.addresses, ['1001', '4930123', '47000580ffe1000000f21a2c1d0020481a2c1d00']);
  t.is(c.role, 'auto');
  t.deepEqual(c.peers, []);
  t.deepEqual(c.discovery, { enabled: true, interval: 5000, holdTime: 17500 });
  t.deepEqual(c.timers, { sscop: {}, uni: {} });
  t.deepEqual(c.closeData, { allowed: true, maxOctets: 127 });
  t.deepEqual(c.callManager, { shape: 'mcm', completion: 'pending' });
  t.deepEqual(c.limits, { calls: 1024, partiesPerCall: 64, peers: 64, pendingRequests: 256 });
  t.deepEqual(c.control, { socket: '/run/condis/condisd.sock', mode: 0o600 });
  t.deepEqual(c.capture, { format: 'pcapng', flush: 0 });
  t.deepEqual(c.log, { level: 'info', pretty: false });
});

test('durations take milliseconds or strings with units; modes take octal strings or 0o numbers', (t) => {
  const c = parseConfig(MIN + 'timers:\n  uni: {t303: 1500, t308: "30s", t310: "1.5s", t316: 2m}\ncontrol: {mode: "0660"}\n', 'h.yaml');
  t.deepEqual(c.timers.uni, { t303: 1500, t308: 30000, t310: 1500, t316: 120000 });
  t.is(c.control.mode, 0o660);
  t.is(parseConfig(MIN + 'control: {mode: 0o640}\n').control.mode, 0o640);
});

test('bad YAML syntax: file, line and what', (t) => {
  const e = configError(t, 'miniport:\n  kind: tap\n  device: [tap0\naddresses: ["1001"]\n');
  t.is(e.file, 'bad.yaml');
  t.is(e.path, '');
  t.true(typeof e.line === 'number' && e.line >= 3, `line ${e.line}`);
  t.regex(e.detail, /^YAML syntax: /);
  t.regex(e.message, /^bad\.yaml:\d+:\d+: YAML syntax/);
});

test('duplicate keys are a syntax error with their line', (t) => {
  const e = configError(t, MIN + 'role: user\nrole: network\n');
  t.is(e.line, 6);
  t.regex(e.detail, /YAML syntax: .*unique/i);
});

test('wrong type: path, line and what was expected', (t) => {
  const e = configError(t, 'miniport:\n  kind: tap\n  device: 5\naddresses: ["1001"]\n');
  t.is(e.path, 'miniport.device');
  t.is(e.line, 3);
  t.is(e.column, 11);
  t.is(e.detail, 'expected a string, got number 5');
  t.is(e.message, 'bad.yaml:3:11: miniport.device: expected a string, got number 5');
});

test('wrong type inside a list and a bad MAC', (t) => {
  const e = configError(t, MIN + 'peers:\n  - mac: 02:00:00:00:00:01\n  - mac: "not-a-mac"\n');
  t.is(e.path, 'peers[1].mac');
  t.is(e.line, 7);
  t.regex(e.detail, /expected a MAC address/);
});

test('unknown key: path, line, and a suggestion', (t) => {
  const e = configError(t, MIN + 'timers:\n  sscop:\n    keepalive: 3s\n');
  t.is(e.path, 'timers.sscop.keepalive');
  t.is(e.line, 7);
  t.is(e.column, 5);
  t.regex(e.detail, /unknown key "keepalive" \(did you mean "keepAlive"\?/);
});

test('unknown key inside the chosen miniport kind', (t) => {
  const e = configError(t, 'miniport:\n  kind: nic\n  device: eth1\n  bridge: br0\naddresses: ["1001"]\n');
  t.is(e.path, 'miniport.bridge');
  t.is(e.line, 4);
  t.regex(e.detail, /unknown key "bridge" \(allowed here: kind, device, etherType\)/);
});

test('out-of-range value: path, line and the bound', (t) => {
  const e = configError(t, MIN + 'closeData:\n  maxOctets: 200\n');
  t.is(e.path, 'closeData.maxOctets');
  t.is(e.line, 6);
  t.is(e.detail, '200 is out of range: must be at most 127');
});

test('out-of-range duration and a decimal mode', (t) => {
  const e = configError(t, MIN + 'discovery:\n  interval: 10ms\ncontrol:\n  mode: 600\n');
  t.is(e.issues.length, 2);
  t.is(e.issues[0]!.path, 'discovery.interval');
  t.is(e.issues[0]!.line, 6);
  t.regex(e.issues[0]!.message, /out of range/);
  t.is(e.issues[1]!.path, 'control.mode');
  t.is(e.issues[1]!.line, 8);
  t.regex(e.issues[1]!.message, /write it as a string \("0600"\)/);
  t.regex(e.message, /^2 problems in bad\.yaml:\n  bad\.yaml:6:/);
});

test('missing required key: path, the line of the mapping that lacks it', (t) => {
  const e = configError(t, 'miniport:\n  kind: tap\n  device: tap0\n');
  t.is(e.path, 'addresses');
  t.is(e.line, 1);
  t.is(e.detail, 'missing required key "addresses" (expected a list)');
  const k = configError(t, 'addresses: ["1001"]\nminiport:\n  device: tap0\n');
  t.is(k.path, 'miniport.kind');
  t.is(k.line, 3);
  t.regex(k.detail, /missing required key "kind" \(one of: tap, nic, etherip, memory\)/);
});

test('an unknown miniport kind and a bad ATM address', (t) => {
  const e = configError(t, 'miniport:\n  kind: atm25\naddresses: ["10x1"]\n');
  t.is(e.issues.length, 2);
  t.deepEqual(
    e.issues.map((i) => [i.path, i.line]),
    [
      ['miniport.kind', 2],
      ['addresses[0]', 3],
    ],
  );
  t.regex(e.issues[0]!.message, /unknown miniport kind "atm25"/);
  t.regex(e.issues[1]!.message, /not an ATM address/);
});

test('an empty file and a file that is not a mapping', (t) => {
  const empty = configError(t, '');
  t.deepEqual(
    empty.issues.map((i) => i.path),
    ['miniport', 'addresses'],
  );
  const list = configError(t, '- a\n- b\n');
  t.is(list.line, 1);
  t.regex(list.detail, /must be a mapping/);
});

test('loadConfig names the file it could not read, and the file in validation errors', async (t) => {
  const missing = await t.throwsAsync(loadConfig('/nonexistent/condis.yaml'), { instanceOf: ConfigError });
  t.is(missing!.file, '/nonexistent/condis.yaml');
  t.regex(missing!.message, /^\/nonexistent\/condis\.yaml: cannot read the configuration file: no such file$/);
  const dir = await mkdtemp(join(tmpdir(), 'condis-config-'));
  const file = join(dir, 'h.yaml');
  await writeFile(file, MIN + 'limits:\n  calls: -1\n');
  const bad = await t.throwsAsync(loadConfig(file), { instanceOf: ConfigError });
  t.is(bad!.file, file);
  t.is(bad!.path, 'limits.calls');
  t.is(bad!.line, 6);
  t.true(bad!.message.startsWith(`${file}:6:`));
});

test('capture: the old form (only pcap) still works and gets pcapng; format sunatm keeps the classic file; a wrong format says where', (t) => {
  t.deepEqual(parseConfig(MIN + 'capture:\n  pcap: /tmp/x.pcap\n', 'h.yaml').capture, { pcap: '/tmp/x.pcap', format: 'pcapng', flush: 0 });
  t.deepEqual(parseConfig(MIN + 'capture: {pcap: /tmp/x.pcap, format: sunatm}\n', 'h.yaml').capture, { pcap: '/tmp/x.pcap', format: 'sunatm', flush: 0 });
  const e = configError(t, MIN + 'capture:\n  pcap: /tmp/x.pcap\n  format: pcap\n');
  t.is(e.issues[0]!.path, 'capture.format');
  t.regex(e.message, /pcapng|sunatm/);
});

test('capture.flush: a duration up to 1 s within which records are written together; 0 (the default) writes each at once', (t) => {
  t.is(parseConfig(MIN + 'capture: {pcap: /tmp/x.pcap, flush: 20ms}\n', 'h.yaml').capture.flush, 20);
  t.is(parseConfig(MIN + 'capture: {pcap: /tmp/x.pcap, flush: 0}\n', 'h.yaml').capture.flush, 0);
  for (const bad of ['2s', 'soon']) {
    const e = configError(t, MIN + `capture:\n  pcap: /tmp/x.pcap\n  flush: ${bad}\n`);
    t.is(e.issues[0]!.path, 'capture.flush', bad);
  }
});

test('a switch takes the lab key and an allow-list as a host does; a configured host missing from the list is named', (t) => {
  const base = 'role: switch\nports:\n  - name: p1\n    miniport: {kind: tap, device: swtap1}\n    hosts: [{mac: "02:00:00:00:00:0b", addresses: ["1002"]}]\n';
  const c = parseSwitchConfig(base + 'discovery:\n  auth: {key: "sixteen chars ok!", maxAge: 10s}\nallowPeers: ["02:00:00:00:00:0b"]\n', 'sw.yaml');
  t.is(c.discovery.auth!.key.reveal().toString(), 'sixteen chars ok!');
  t.is(c.discovery.auth!.maxAge, 10_000);
  t.false(JSON.stringify(c).includes('sixteen chars'), 'the key never shows in a dump of the configuration');
  t.deepEqual(c.allowPeers, ['02:00:00:00:00:0b']);
  t.is(parseSwitchConfig(base, 'sw.yaml').discovery.auth, undefined);
  const short = t.throws(() => parseSwitchConfig(base + 'discovery:\n  auth: {key: "short"}\n', 'sw.yaml'), { instanceOf: ConfigError }) as ConfigError;
  t.is(short.path, 'discovery.auth.key');
  t.regex(short.detail, /at least 16/);
  const both = t.throws(() => parseSwitchConfig(base + 'discovery:\n  auth: {}\n', 'sw.yaml'), { instanceOf: ConfigError }) as ConfigError;
  t.is(both.path, 'discovery.auth');
  const listed = t.throws(() => parseSwitchConfig(base + 'allowPeers: ["02:00:00:00:00:0c"]\n', 'sw.yaml'), { instanceOf: ConfigError }) as ConfigError;
  t.is(listed.path, 'ports[0].hosts[0].mac');
  t.regex(listed.detail, /not in allowPeers/);
});
