import test from 'ava';
import { readFileSync } from 'node:fs';
import { ConfigError, parseAnyConfig, parseSwitchConfig } from '../../src/config/index.js';

test('the example switch configuration loads with its defaults filled in', (t) => {
  const any = parseAnyConfig(readFileSync(new URL('../../config/switch.yaml', import.meta.url), 'utf8'), 'config/switch.yaml');
  t.is(any.kind, 'switch');
  if (any.kind !== 'switch') return;
  const c = any.config;
  t.is(c.name, 'sw1');
  t.deepEqual(c.ports.map((p) => [p.name, p.side]), [
    ['p1', 'network'],
    ['p2', 'network'],
    ['trunk', 'user'],
  ]);
  t.deepEqual(c.ports[1]!.hosts, [{ mac: '02:00:00:00:00:0b', name: 'host-b', addresses: ['1002'] }]);
  t.deepEqual(c.routes, [
    { prefix: '47', port: 'p2' },
    { prefix: '2', port: 'trunk' },
  ]);
  t.is(c.discovery.interval, 5000);
  t.is(c.discovery.holdTime, 17500);
});

test('a host configuration still loads as a host', (t) => {
  const any = parseAnyConfig('miniport: { kind: memory, hub: h, mac: "02:00:00:00:00:01" }\naddresses: ["1001"]\n', 'h.yaml');
  t.is(any.kind, 'host');
});

test('switch configuration errors say what is wrong and where', (t) => {
  const bad = (text: string, re: RegExp) => {
    const e = t.throws(() => parseSwitchConfig(text, 'sw.yaml'), { instanceOf: ConfigError });
    t.regex(e!.message, re);
  };
  bad('role: switch\nports: []\n', /sw\.yaml:2:\d+: ports: 0 entries .*at least 1/);
  bad(
    'role: switch\nports:\n  - { name: p1, miniport: { kind: memory, hub: a, mac: "02:00:00:00:00:01" } }\nroutes:\n  - { prefix: "10", port: p9 }\n',
    /sw\.yaml:5:\d+: routes\[0\]\.port: no port named p9 \(ports: p1\)/,
  );
  bad(
    'role: switch\nports:\n  - { name: p1, miniport: { kind: memory, hub: a, mac: "02:00:00:00:00:01" } }\n  - { name: p1, miniport: { kind: memory, hub: b, mac: "02:00:00:00:00:02" } }\n',
    /ports\[1\]\.name: port name p1 is used by ports\[0\] too/,
  );
  bad('role: switch\nports:\n  - { name: p1, miniport: { kind: memory, hub: a, mac: "02:00:00:00:00:01" } }\nroutes:\n  - { prefix: "1x", port: p1 }\n', /not an address prefix/);
  bad('role: switch\nports:\n  - { name: p1, side: root, miniport: { kind: memory, hub: a, mac: "02:00:00:00:00:01" } }\n', /sw\.yaml:3:\d+: ports\[0\]\.side: "root" is not allowed \(one of: network, user\)/);
  bad('role: switch\naddresses: ["1001"]\nports:\n  - { name: p1, miniport: { kind: memory, hub: a, mac: "02:00:00:00:00:01" } }\n', /addresses/);
});
