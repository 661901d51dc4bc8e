/**
 * The back-off keys of the configuration (`linkRetry`): defaults, durations
 * with units, errors with file, line and what is wrong, and the values
 * reaching the node's retry options.
 */
import test from 'ava';
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
