/**
 * The configuration keys of issue 17: the back-off (`linkRetry`), the lab key
 * for discovery (`discovery.auth`, inline or from a file) and the allow-list
 * (`allowPeers`): defaults, errors with file, line and what is wrong, the
 * values reaching the node's options, and the key never shown when printed.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { nodeOptionsFromConfig } from '../../src/host/from-config.js';
import { openMemorySync } from '../../src/miniport/index.js';
import { DEFAULT_LINK_RETRY } from '../../src/host/retry.js';

const MIN = 'miniport:\n  kind: tap\n  device: tap0\naddresses: ["1001"]\n';

test('linkRetry defaults to the retry module defaults and reaches the node options', (t) => {
  const c = parseConfig(MIN, 'a.yaml');
  t.deepEqual(c.linkRetry, { initial: DEFAULT_LINK_RETRY.initialMs, max: DEFAULT_LINK_RETRY.maxMs, summaryEvery: DEFAULT_LINK_RETRY.summaryEveryMs });
  const d = parseConfig(MIN + 'linkRetry:\n  initial: 250ms\n  max: 8s\n  summaryEvery: 2m\n', 'b.yaml');
  const mp = openMemorySync({ kind: 'memory', hub: `cfg-${process.pid}`, mac: '02:00:00:00:00:01' });
  t.deepEqual(nodeOptionsFromConfig(d, mp).linkRetry, { initialMs: 250, maxMs: 8000, summaryEveryMs: 120_000 });
  void mp.close();
});

test('bad linkRetry values are reported with file, line and what is wrong', (t) => {
  const e = t.throws(() => parseConfig(MIN + 'linkRetry:\n  initial: soon\n  max: 1ms\n  every: 5s\n', 'r.yaml'), { instanceOf: ConfigError }) as ConfigError;
  const byPath = new Map(e.issues.map((i) => [i.path, i]));
  t.is(byPath.get('linkRetry.initial')?.line, 6);
  t.regex(byPath.get('linkRetry.initial')!.message, /expected a duration/);
  t.is(byPath.get('linkRetry.max')?.line, 7);
  t.regex(byPath.get('linkRetry.max')!.message, /out of range/);
  t.regex(e.message, /r\.yaml:8/, 'the unknown key by its line');
  t.regex(e.message, /every/);

  const m = t.throws(() => parseConfig(MIN + 'linkRetry:\n  initial: 10s\n  max: 5s\n', 'm.yaml'), { instanceOf: ConfigError }) as ConfigError;
  t.is(m.path, 'linkRetry.max');
  t.is(m.line, 7);
  t.regex(m.detail, /must not be shorter than initial/);
});

const SECRET = 'correct horse battery staple 42';

test('discovery.auth: an inline key or a key file, reaching the node; the key is never printed', (t) => {
  const c = parseConfig(MIN + `discovery:\n  auth:\n    key: "${SECRET}"\n    maxAge: 10s\n`, 'k.yaml');
  t.is(c.discovery.auth!.maxAge, 10_000);
  t.deepEqual(c.discovery.auth!.key.reveal(), Buffer.from(SECRET));
  for (const shown of [String(c.discovery.auth!.key), JSON.stringify(c), inspect(c, { depth: 10 })]) t.false(shown.includes('horse'), shown.slice(0, 80));
  const mp = openMemorySync({ kind: 'memory', hub: `cfg-${process.pid}-k`, mac: '02:00:00:00:00:01' });
  t.deepEqual(nodeOptionsFromConfig(c, mp).discovery.auth, { key: Buffer.from(SECRET), maxAgeMs: 10_000 });
  void mp.close();

  const dir = mkdtempSync(join(tmpdir(), 'condis-key-'));
  writeFileSync(join(dir, 'lab.key'), `${SECRET}\n`);
  const f = parseConfig(MIN + `discovery:\n  auth:\n    keyFile: ${join(dir, 'lab.key')}\n`, 'f.yaml');
  t.deepEqual(f.discovery.auth!.key.reveal(), Buffer.from(SECRET), 'the trailing newline is not part of the key');
  t.is(f.discovery.auth!.maxAge, 30_000, 'default window 30 s');
  t.is(parseConfig(MIN, 'n.yaml').discovery.auth, undefined, 'no key: version 1, nothing checked');
});

test('discovery.auth errors: short key, unreadable file, both or neither, with file and line', (t) => {
  const short = t.throws(() => parseConfig(MIN + 'discovery:\n  auth:\n    key: tooshort\n', 's.yaml'), { instanceOf: ConfigError }) as ConfigError;
  t.is(short.path, 'discovery.auth.key');
  t.is(short.line, 7);
  t.regex(short.detail, /8 octets, at least 16/);
  t.false(short.message.includes('tooshort'), 'not even a bad key is echoed');
  const missing = t.throws(() => parseConfig(MIN + 'discovery:\n  auth:\n    keyFile: /nonexistent/condis.key\n', 'm.yaml'), { instanceOf: ConfigError }) as ConfigError;
  t.is(missing.path, 'discovery.auth.keyFile');
  t.is(missing.line, 7);
  t.regex(missing.detail, /cannot read the key file \/nonexistent\/condis\.key: no such file/);
  const both = t.throws(() => parseConfig(MIN + `discovery:\n  auth:\n    key: "${SECRET}"\n    keyFile: ${process.execPath}\n`, 'b.yaml'), { instanceOf: ConfigError }) as ConfigError;
  t.is(both.path, 'discovery.auth');
  t.regex(both.detail, /once/);
  const neither = t.throws(() => parseConfig(MIN + 'discovery:\n  auth:\n    maxAge: 5s\n', 'e.yaml'), { instanceOf: ConfigError }) as ConfigError;
  t.is(neither.path, 'discovery.auth');
  t.is(neither.line, 7);
  t.regex(neither.detail, /give the lab key/);
});

test('allowPeers: MACs, reaching the node; a static peer missing from it is an error at its line', (t) => {
  const c = parseConfig(MIN + 'allowPeers: ["02:00:00:00:00:0B"]\npeers:\n  - mac: 02:00:00:00:00:0b\n', 'a.yaml');
  t.deepEqual(c.allowPeers, ['02:00:00:00:00:0b']);
  const mp = openMemorySync({ kind: 'memory', hub: `cfg-${process.pid}-a`, mac: '02:00:00:00:00:01' });
  t.deepEqual(nodeOptionsFromConfig(c, mp).allowPeers, ['02:00:00:00:00:0b']);
  void mp.close();
  const e = t.throws(() => parseConfig(MIN + 'allowPeers: ["02:00:00:00:00:0b"]\npeers:\n  - mac: 02:00:00:00:00:0c\n', 'p.yaml'), { instanceOf: ConfigError }) as ConfigError;
  t.is(e.path, 'peers[0].mac');
  t.is(e.line, 7);
  t.regex(e.detail, /not in allowPeers/);
  const bad = t.throws(() => parseConfig(MIN + 'allowPeers: [nope]\n', 'q.yaml'), { instanceOf: ConfigError }) as ConfigError;
  t.is(bad.path, 'allowPeers[0]');
  t.is(bad.line, 5);
});

test('miniport.txQueueLen reaches the TAP miniport; a value that is no queue length is reported with file and line', (t) => {
  const tap = (q: string) => `miniport:\n  kind: tap\n  device: tap0\n  txQueueLen: ${q}\naddresses: ["1001"]\n`;
  t.like(parseConfig(tap('4096'), 'q.yaml').miniport, { kind: 'tap', device: 'tap0', txQueueLen: 4096 });
  t.false('txQueueLen' in parseConfig(MIN, 'q.yaml').miniport, 'unset: the device keeps its own');
  for (const bad of ['0', '1.5', 'long']) {
    const e = t.throws(() => parseConfig(tap(bad), 'q.yaml'), { instanceOf: ConfigError }) as ConfigError;
    t.is(e.path, 'miniport.txQueueLen', bad);
    t.is(e.line, 4, bad);
  }
});

test('miniport.sendThread reaches the TAP miniport; anything but true or false is reported with file and line', (t) => {
  const tap = (v: string) => `miniport:\n  kind: tap\n  device: tap0\n  sendThread: ${v}\naddresses: ["1001"]\n`;
  t.like(parseConfig(tap('true'), 'q.yaml').miniport, { kind: 'tap', sendThread: true });
  t.like(parseConfig(tap('false'), 'q.yaml').miniport, { kind: 'tap', sendThread: false });
  t.false('sendThread' in parseConfig(MIN, 'q.yaml').miniport, 'unset: frames are written where they are sent');
  for (const bad of ['yes-please', '1']) {
    const e = t.throws(() => parseConfig(tap(bad), 'q.yaml'), { instanceOf: ConfigError }) as ConfigError;
    t.is(e.path, 'miniport.sendThread', bad);
    t.is(e.line, 4, bad);
  }
  // a NIC has no such key
  const nic = t.throws(() => parseConfig('miniport:\n  kind: nic\n  device: eth0\n  sendThread: true\naddresses: ["1001"]\n', 'q.yaml'), { instanceOf: ConfigError }) as ConfigError;
  t.regex(nic.message, /sendThread/);
});
