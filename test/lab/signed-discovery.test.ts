/**
 * A lab whose topology says `discovery: { signed: true }`: `lab up` and the
 * daemons it starts share a key made for the lab, so every announcement on
 * its links is signed and checked (docs/security.md). Over real TAP devices
 * in namespaces, with a switch: both hosts and the switch get the key file in
 * their generated configurations, and the hosts take the switch's
 * announcements as signed ones.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { rootTest } from '../helpers/root.js';
import { labUp, type Lab } from '../../src/lab/lab.js';
import { topologyFrom } from '../../src/lab/topology.js';
import { uniqueName } from '../../src/lab/netns.js';
import { labDiscoveryKey, startLabDaemons, type RunningDaemon } from '../../src/demo/daemons.js';

test('the lab key is made once, readable by root only, and kept; an unsigned lab has none', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'condis-labkey-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const signed = { topology: topologyFrom({ hosts: [{ name: 'h1', mac: '02:00:00:00:18:01', address: '1' }], discovery: { signed: true } }, 'k'), runDir: dir } as unknown as Lab;
  const file = labDiscoveryKey(signed)!;
  t.is(file, join(dir, 'discovery.key'));
  const key = readFileSync(file, 'utf8');
  t.regex(key, /^[0-9a-f]{64}\n$/);
  t.is(statSync(file).mode & 0o777, 0o600);
  t.is(labDiscoveryKey(signed), file);
  t.is(readFileSync(file, 'utf8'), key, 'the second daemon gets the same key');

  const other = mkdtempSync(join(tmpdir(), 'condis-labkey-'));
  t.teardown(() => rmSync(other, { recursive: true, force: true }));
  const unsigned = { topology: topologyFrom({ hosts: [{ name: 'h1', mac: '02:00:00:00:18:01', address: '1' }] }, 'k'), runDir: other } as unknown as Lab;
  t.is(labDiscoveryKey(unsigned), undefined);
  t.false(existsSync(join(other, 'discovery.key')));
});

test('discovery.signed must be true or false', (t) => {
  const e = t.throws(() => topologyFrom({ hosts: [{ name: 'h1', mac: '02:00:00:00:18:01', address: '1' }], discovery: { signed: 'yes' } }, 'k'));
  t.regex(e!.message, /discovery\.signed/);
});

rootTest('a signed lab: hosts and switch share the lab key and the hosts take the switch announcements as signed', async (t) => {
  const name = uniqueName('t');
  const topology = topologyFrom(
    {
      name,
      segment: { kind: 'bridged' },
      switches: [{ name: 'sw1' }],
      discovery: { signed: true },
      hosts: [1, 2].map((i) => ({ name: `h${i}`, mac: `02:00:00:00:18:0${i}`, address: `380${i}`, switch: 'sw1' })),
    },
    name,
  );
  const lab = await labUp(topology);
  let daemons: RunningDaemon[] = [];
  t.teardown(async () => {
    for (const d of daemons) await d.stop('SIGKILL', 3000).catch(() => {});
    await lab.down();
  });
  daemons = await startLabDaemons(lab, { discoveryIntervalMs: 200 });
  const keyFile = join(lab.runDir, 'discovery.key');
  t.is(statSync(keyFile).mode & 0o777, 0o600);
  for (const d of daemons) {
    const cfg = parse(readFileSync(d.configFile, 'utf8')) as { discovery: { auth?: { keyFile?: string } } };
    t.is(cfg.discovery.auth?.keyFile, keyFile, `${d.host}'s configuration names the lab key`);
  }
  type Frames = Record<string, number>;
  for (const h of ['h1', 'h2']) {
    const d = daemons.find((x) => x.host === h)!;
    const deadline = Date.now() + 15_000;
    let frames: Frames = {};
    while (Date.now() < deadline) {
      frames = ((await d.control.counters()) as { frames: Frames }).frames;
      if ((frames['discoveryAuth.ok'] ?? 0) >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    t.true((frames['discoveryAuth.ok'] ?? 0) >= 1, `${h} took a signed announcement: ${JSON.stringify(frames)}`);
    t.is(frames['drops.discovery-unauthenticated'] ?? 0, 0, `${h} saw no unsigned announcement`);
    t.is(frames['drops.discovery-wrong-key'] ?? 0, 0, `${h} saw no announcement with another key`);
  }
});
