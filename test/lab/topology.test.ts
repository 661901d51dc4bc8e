import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError, parseNetemQdiscs, planLab } from '../../src/lab/lab.js';
import { describeNetem, loadTopology, netemArgs, parseTopology, topologyFrom } from '../../src/lab/topology.js';
import { YamlFileError } from '../../src/lab/yamlfile.js';

const dir = mkdtempSync(join(tmpdir(), 'topo-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('the shipped topologies are valid: demo has root + leaf1..3 on one bridged segment', (t) => {
  const demo = loadTopology('scripts/labs/demo.yaml');
  t.is(demo.name, 'demo');
  t.is(demo.segment.kind, 'bridged');
  t.deepEqual(
    demo.hosts.map((h) => [h.name, h.mac, h.address]),
    [
      ['root', '02:00:00:00:01:01', '1001'],
      ['leaf1', '02:00:00:00:01:02', '1002'],
      ['leaf2', '02:00:00:00:01:03', '1003'],
      ['leaf3', '02:00:00:00:01:04', '1004'],
    ],
  );
  t.is(loadTopology('scripts/labs/pair.yaml').hosts.length, 2);
  t.is(loadTopology('scripts/labs/routed.yaml').segment.kind, 'routed');
  const lossy = loadTopology('scripts/labs/lossy.yaml');
  t.deepEqual(lossy.segment.netem, { delay: 5, jitter: 2, loss: 5, duplicate: 1, reorder: 10 });
});

test('the lab name defaults to the file name', (t) => {
  const p = file('my-lab.yaml', 'hosts:\n  - {name: a, mac: "02:00:00:00:00:01", address: "1"}\n');
  const topo = loadTopology(p);
  t.is(topo.name, 'my-lab');
  t.is(topo.segment.kind, 'bridged');
});

test('errors name the file, the path inside it and the line', (t) => {
  const p = file(
    'bad.yaml',
    ['name: bad', 'hosts:', '  - name: a', '    mac: "02:00:00:00:00:01"', '    address: "1"', '  - name: b', '    mac: "zz:00:00:00:00:02"', '    address: "2"', ''].join('\n'),
  );
  const e = t.throws(() => loadTopology(p), { instanceOf: YamlFileError })!;
  t.is(e.file, p);
  t.deepEqual(e.issues[0]!.path, ['hosts', 1, 'mac']);
  t.is(e.issues[0]!.line, 7);
  t.true(e.message.includes(`${p}:7:10: hosts[1].mac: expected a MAC address`), e.message);
});

test('duplicate names, MACs and addresses are each reported', (t) => {
  const e = t.throws(
    () =>
      parseTopology(
        ['hosts:', '  - {name: a, mac: "02:00:00:00:00:01", address: "1"}', '  - {name: A, mac: "02:00:00:00:00:01", address: "1"}'].join('\n'),
        'dup.yaml',
      ),
    { instanceOf: YamlFileError },
  )!;
  t.deepEqual(
    e.issues.map((i) => i.path.join('.')),
    ['hosts.1.name', 'hosts.1.mac', 'hosts.1.address'],
  );
  t.regex(e.message, /dup\.yaml:3:\d+: hosts\[1\]\.name: duplicate name A \(also hosts\[0\]\)/);
});

test('unknown keys, multicast MACs, bad netem and YAML syntax errors are rejected', (t) => {
  const base = 'hosts:\n  - {name: a, mac: "02:00:00:00:00:01", address: "1"}\n';
  const check = (text: string, path: string, re: RegExp) => {
    const e = t.throws(() => parseTopology(text, 'x.yaml'), { instanceOf: YamlFileError })!;
    t.true(
      e.issues.some((i) => i.path.join('.') === path && re.test(i.message)),
      `${path} ${re}: got ${e.message}`,
    );
  };
  check(`${base}colour: red\n`, '', /colour/);
  check('hosts:\n  - {name: a, mac: "03:00:00:00:00:01", address: "1"}\n', 'hosts.0.mac', /unicast/);
  check(`${base}segment: {kind: bridged, netem: {reorder: 5%}}\n`, 'segment.netem.reorder', /needs a delay/);
  check(`${base}segment: {kind: bridged, netem: {loss: 150%}}\n`, 'segment.netem.loss', /at most 100%/);
  check(`${base}segment: {kind: bridged, netem: {delay: 5 parsecs}}\n`, 'segment.netem.delay', /duration/);
  check(`${base}segment: {kind: mesh}\n`, 'segment.kind', /bridged|routed/);
  check('hosts: []\n', 'hosts', /at least one host/);
  check('hosts: [\n', '', /YAML syntax/);
  check('hosts:\n  - {name: "a b", mac: "02:00:00:00:00:01", address: "1"}\n', 'hosts.0.name', /letters, digits/);
  check('hosts:\n  - {name: a, mac: "02:00:00:00:00:01", address: "12ab"}\n', 'hosts.0.address', /40 hex digits/);
});

test('a missing file is an error naming it', (t) => {
  const e = t.throws(() => loadTopology(join(dir, 'nope.yaml')), { instanceOf: YamlFileError })!;
  t.regex(e.message, /nope\.yaml: \(top level\): cannot read/);
});

test('plan: namespace, link and directory names of a bridged lab', (t) => {
  const plan = planLab(loadTopology('scripts/labs/demo.yaml'), '/run/x');
  t.is(plan.switchNs, 'clab.demo._sw');
  t.is(plan.runDir, '/run/x/demo');
  const leaf3 = plan.hosts[3]!;
  t.like(leaf3, { ns: 'clab.demo.leaf3', uplink: 'eth1', bridge: 'br0', tap: 'tap0', switchPort: 'p3-leaf3', runDir: '/run/x/demo/hosts/leaf3' });
  // all-zero netem is not applied at all
  t.is(leaf3.netemOut, undefined);
  t.true(plan.hosts.every((h) => h.switchPort.length <= 15));
});

test('plan: routed labs get one subnet per host and the router takes .1', (t) => {
  const plan = planLab(loadTopology('scripts/labs/routed.yaml'), '/run/x');
  t.is(plan.switchNs, 'clab.routed._rt');
  t.like(plan.hosts[0], { ip: '10.77.1.2/24', gateway: '10.77.1.1', bridge: undefined });
  t.like(plan.hosts[1], { ip: '10.77.2.2/24', gateway: '10.77.2.1' });
  const clash = topologyFrom(
    {
      segment: { kind: 'routed' },
      hosts: [
        { name: 'a', mac: '02:00:00:00:00:01', address: '1', ip: '10.1.0.2/16' },
        { name: 'b', mac: '02:00:00:00:00:02', address: '2', ip: '10.1.5.2/16' },
      ],
    },
    'clash',
  );
  t.throws(() => planLab(clash, '/run/x'), { instanceOf: LabError, message: /same subnet 10\.1\.0\.0\/16/ });
});

test('plan: link netem overrides the segment netem per direction', (t) => {
  const plan = planLab(loadTopology('scripts/labs/lossy.yaml'), '/run/x');
  const [root, , leaf2] = plan.hosts;
  t.is(describeNetem(root!.netemOut), 'delay 5ms 2ms loss 5% duplicate 1% reorder 10%');
  t.is(root!.netemIn, undefined);
  t.is(describeNetem(leaf2!.netemOut), 'loss 20% corrupt 1%');
  t.is(describeNetem(leaf2!.netemIn), 'loss 20% corrupt 1%');
  t.deepEqual(netemArgs({ delay: 0.25, loss: 0.5 }), ['delay', '0.25ms', 'loss', '0.5%']);
});

test('netem settings are read back from tc output', (t) => {
  const text = [
    'qdisc noqueue 0: dev lo root refcnt 2',
    'qdisc netem 8001: dev eth1 root refcnt 2 limit 1000 delay 3ms  1ms loss 2% duplicate 1%',
    'qdisc netem 8002: dev p1-leaf1 root refcnt 9 limit 1000 loss 10% corrupt 1%',
    'qdisc noqueue 0: dev br0 root refcnt 2',
  ].join('\n');
  t.deepEqual(
    [...parseNetemQdiscs(text)],
    [
      ['eth1', 'delay 3ms  1ms loss 2% duplicate 1%'],
      ['p1-leaf1', 'loss 10% corrupt 1%'],
    ],
  );
});
