/**
 * Labs that are ATM networks: topology files with switches (validation and
 * the plan of ports, devices and MACs), and, for real, the lab CLI with
 * config/lab-switch.yaml: `up --start` starts condisd as a switch in the
 * switch's namespace and in every host, `ctl sw1 status` reaches the switch,
 * `run` plays the drop-party scenario through it, `stop` ends the daemons;
 * the switch's own capture (one pcapng interface per port) is read with
 * tshark, and `ladder --self sw1` draws the switch as a column between its
 * hosts.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labNsPrefix, labStatus, LabError, openLab, planLab } from '../../src/lab/lab.js';
import { labView } from '../../src/view/lab-view.js';
import { uniqueName } from '../../src/lab/netns.js';
import { runSync } from '../../src/common/sh.js';
import { topologyFrom } from '../../src/lab/topology.js';
import { YamlFileError } from '../../src/lab/yamlfile.js';
import { rootTest } from '../helpers/root.js';

const host = (name: string, n: number, more: Record<string, unknown> = {}) => ({ name, mac: `02:00:00:00:0c:0${n}`, address: `70${n}`, ...more });

function problems(obj: Record<string, unknown>): string {
  try {
    topologyFrom(obj, 'x');
    return '';
  } catch (e) {
    if (e instanceof YamlFileError) return e.message;
    throw e;
  }
}

test('topology: switches are checked (names known, ports unique, bridged labs only, no host and switch of one name)', (t) => {
  t.regex(problems({ hosts: [host('a', 1, { switch: 'sw9' })] }), /hosts\[0\]\.switch: no switch named sw9 \(the lab has no switches/);
  t.regex(problems({ switches: [{ name: 'sw1' }], hosts: [host('a', 1, { port: 'p1' })] }), /hosts\[0\]\.port: port needs switch/);
  t.regex(
    problems({ switches: [{ name: 'sw1' }], hosts: [host('a', 1, { switch: 'sw1', port: 'up' }), host('b', 2, { switch: 'sw1', port: 'up' })] }),
    /hosts\[1\]\.port: port up of sw1 is taken by hosts\[0\]/,
  );
  t.regex(problems({ segment: { kind: 'routed' }, switches: [{ name: 'sw1' }], hosts: [host('a', 1)] }), /switches: switches need a bridged lab/);
  t.regex(problems({ switches: [{ name: 'a' }], hosts: [host('a', 1)] }), /switches\[0\]\.name: a is also the name of hosts\[0\]/);
  t.regex(problems({ switches: [{ name: 'sw1', links: ['sw1'] }], hosts: [host('a', 1)] }), /links\[0\]: a switch cannot be linked to itself/);
  t.regex(problems({ switches: [{ name: 'sw1', links: ['sw2'] }], hosts: [host('a', 1)] }), /links\[0\]: no switch named sw2/);
  t.regex(problems({ switches: [{ name: 'sw1' }], hosts: [host('a', 1, { switch: 'sw1', port: 'P1' })] }), /port names are 1 to 10 lower-case/);
  t.regex(problems({ hosts: [host('a', 1, { extraAddresses: ['702'] }), host('b', 2)] }), /hosts\[1\]\.address: duplicate address 702|extraAddresses\[0\]: duplicate address 702/);
  t.is(problems({ switches: [{ name: 'sw1' }, { name: 'sw2', links: ['sw1'] }], hosts: [host('a', 1, { switch: 'sw1' }), host('b', 2, { switch: 'sw2' })] }), '');
});

test('plan: ports named p1.. around explicit names, devices and MACs per port, switch-to-switch links get a port on each end', (t) => {
  const topo = topologyFrom(
    {
      switches: [{ name: 'sw1' }, { name: 'sw2', links: ['sw1'] }],
      hosts: [host('a', 1, { switch: 'sw1', port: 'p2' }), host('b', 2, { switch: 'sw1' }), host('c', 3, { switch: 'sw2', extraAddresses: ['7999'] }), host('d', 4)],
    },
    'pl',
  );
  const plan = planLab(topo, '/nonexistent');
  const sw1 = plan.switches!.find((s) => s.name === 'sw1')!;
  const sw2 = plan.switches!.find((s) => s.name === 'sw2')!;
  t.is(sw1.ns, `${labNsPrefix('pl')}sw1`);
  t.deepEqual(
    sw1.ports.map((p) => [p.name, p.host ?? `${p.peerSwitch!.name}:${p.peerSwitch!.port}`, p.mac, p.tap, p.bridge, p.link]),
    [
      ['p2', 'a', '02:53:00:00:01:01', 't-p2', 'b-p2', 'v-p2'],
      ['p1', 'b', '02:53:00:00:01:02', 't-p1', 'b-p1', 'v-p1'],
      ['p3', 'sw2:p2', '02:53:00:00:01:03', 't-p3', 'b-p3', 'v-p3'],
    ],
  );
  t.deepEqual(sw2.ports.map((p) => [p.name, p.host ?? `${p.peerSwitch!.name}:${p.peerSwitch!.port}`, p.side ?? 'network']), [['p1', 'c', 'network'], ['p2', 'sw1:p3', 'user']], 'sw2 lists the link: the user side on it');
  t.is(sw1.ports.find((p) => p.name === 'p3')!.side, undefined, "sw1's end of the link stays the network side");
  const a = plan.hosts.find((h) => h.name === 'a')!;
  t.deepEqual(a.atmSwitch, { name: 'sw1', port: 'p2' });
  t.is(a.switchPort, 'v-p2', "a's eth1 is paired with the port's link in the switch's namespace");
  t.is(plan.hosts.find((h) => h.name === 'd')!.atmSwitch, undefined, 'd stays on the segment');
  t.deepEqual(plan.hosts.find((h) => h.name === 'c')!.extraAddresses, ['7999']);
  // a host MAC that is a switch port's is refused
  const clash = topologyFrom({ switches: [{ name: 'sw1' }], hosts: [{ name: 'a', mac: '02:53:00:00:01:01', address: '1', switch: 'sw1' }] }, 'cl');
  t.throws(() => planLab(clash, '/nonexistent'), { instanceOf: LabError, message: /host a has MAC 02:53:00:00:01:01, which the lab gives to port p1 of switch sw1/ });
});

const tshark = (capture: string, args: string[]) => execFileSync('tshark', ['-r', capture, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

/** the Q.2931 messages in a switch's capture per interface: "out TYPE" (the switch sent it) / "in TYPE", with " 'close data'" */
function signallingPerPort(capture: string): Map<string, string[]> {
  const perPort = new Map<string, string[]>();
  const names: Record<string, string> = { '0x05': 'SETUP', '0x02': 'CALL PROCEEDING', '0x07': 'CONNECT', '0x0f': 'CONNECT ACK', '0x80': 'ADD PARTY', '0x81': 'ADD PARTY ACK', '0x83': 'DROP PARTY', '0x84': 'DROP PARTY ACK', '0x4d': 'RELEASE', '0x5a': 'RELEASE COMPLETE' };
  const rows = tshark(capture, ['-X', 'lua_script:wireshark/condis.lua', '-Y', 'q2931', '-T', 'fields', '-E', 'occurrence=f', '-e', 'frame.interface_name', '-e', 'atm.channel', '-e', 'q2931.message_type', '-e', 'condis_q2931.uu.data']);
  for (const line of rows.split('\n').filter(Boolean)) {
    const [iface, channel, type, uu] = line.split('\t');
    const text = `${channel === '0' ? 'out' : 'in'} ${names[type!] ?? type}${uu ? ` '${Buffer.from(uu.replace(/:/g, ''), 'hex').toString()}'` : ''}`;
    perPort.set(iface!, [...(perPort.get(iface!) ?? []), text]);
  }
  return perPort;
}

function lab(runRoot: string, args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/lab.ts', '--run-root', runRoot, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function fresh(t: ExecutionContext): { name: string; runRoot: string } {
  const name = uniqueName('w');
  const runRoot = mkdtempSync(join(tmpdir(), 'clab-sw-'));
  t.teardown(() => {
    lab(runRoot, ['down', name]);
    for (const ns of runSync('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(labNsPrefix(name))))
      runSync('ip', ['netns', 'del', ns]);
    rmSync(runRoot, { recursive: true, force: true });
  });
  return { name, runRoot };
}

rootTest('a lab with a switch: up --start, ctl to the switch, a multipoint scenario through it, its per-port capture in tshark, the ladder, stop, down', async (t) => {
  const { name, runRoot } = fresh(t);
  const up = lab(runRoot, ['up', 'config/lab-switch.yaml', '--name', name, '--start']);
  t.is(up.code, 0, up.out + up.err);
  t.regex(up.out, /SWITCH +NAMESPACE +PORT +MAC +CONNECTED TO\nsw1 +clab\.\S+\.sw1 +p1 +02:53:00:00:01:01 +host root\n +p2 +02:53:00:00:01:02 +host leaf1/);
  t.regex(up.out, /condisd started in switch sw1 \(pid \d+\): socket .*\/switches\/sw1\/condisd\.sock/);
  t.regex(up.out, /condisd started in leaf3 /);

  const st = await labStatus(name, { runRoot });
  t.deepEqual(st.namespaces.filter((n) => n.role === 'atm-switch').map((n) => [n.host, n.links.map((l) => l.name).sort()]), [
    ['sw1', ['b-p1', 'b-p2', 'b-p3', 'b-p4', 't-p1', 't-p2', 't-p3', 't-p4', 'v-p1', 'v-p2', 'v-p3', 'v-p4']],
  ]);

  const ctl = lab(runRoot, ['ctl', '--lab', name, 'sw1', 'status']);
  t.is(ctl.code, 0, ctl.err);
  for (const [port, h, addr] of [['p1', 'root', '6001'], ['p4', 'leaf3', '6004']])
    t.regex(ctl.out, new RegExp(`${port} +tap:t-${port} +\\S+ +network +\\S+ +${h} +${addr} +Data Transfer Ready +CU3 Established`));

  // the live view lists the switch with the hosts (its status comes over its control socket)
  const view = await labView(await openLab(name, { runRoot }), { port: 0 });
  try {
    const state = (await (await fetch(new URL('/api/state', view.url))).json()) as { hosts: { host: string; up: boolean; status?: { links?: unknown[] } }[] };
    t.deepEqual(state.hosts.map((h) => [h.host, h.up]), [['sw1', true], ['root', true], ['leaf1', true], ['leaf2', true], ['leaf3', true]]);
    t.is(state.hosts[0]!.status?.links?.length, 4, "the switch's links: one per port");
  } finally {
    await view.close();
  }

  // a host is the user side of its link to the switch port, the switch the network side
  const rootSt = lab(runRoot, ['ctl', '--lab', name, 'root', 'status', '--json']);
  t.is(rootSt.code, 0, rootSt.err);
  t.deepEqual((JSON.parse(rootSt.out) as { links: { peer: string; side: string; established: boolean }[] }).links.map((l) => [l.peer, l.side, l.established]), [['02:53:00:00:01:01', 'user', true]]);

  const run = lab(runRoot, ['run', 'scripts/labs/scenarios/drop-party.yaml', '--lab', name]);
  t.is(run.code, 0, run.out + run.err);
  t.regex(run.out, /PASSED\n$/);

  const stop = lab(runRoot, ['stop', name]);
  t.is(stop.code, 0, stop.err);
  t.is(stop.out, 'condisd stopped in root, leaf1, leaf2, leaf3, sw1\n');

  // the switch's capture: stock tshark opens it, an interface per port, nothing malformed
  const capture = join(runRoot, name, 'switches', 'sw1', 'condisd.pcapng');
  t.true(existsSync(capture));
  t.is(tshark(capture, ['-Y', '_ws.malformed || _ws.expert.severity >= 8388608']).trim(), '', 'no malformed frame, no error-level expert item (stock tshark)');
  const perPort = signallingPerPort(capture);
  t.deepEqual([...perPort.keys()].sort(), ['p1', 'p2', 'p3', 'p4'], 'one signalling interface per port, named for the port');
  const p1 = perPort.get('p1')!;
  // the root's link: the call, two ADD PARTYs, the root's DROP PARTY with its close data, leaf3's leaving as DROP PARTY, RELEASE with close data
  t.deepEqual(p1.filter((m) => /PARTY|RELEASE|SETUP/.test(m)), [
    'in SETUP',
    'in ADD PARTY',
    'out ADD PARTY ACK',
    'in ADD PARTY',
    'out ADD PARTY ACK',
    "in DROP PARTY 'bye'",
    'out DROP PARTY ACK',
    "out DROP PARTY 'leaving'",
    'in DROP PARTY ACK',
    "in RELEASE 'the end'",
    'out RELEASE COMPLETE',
  ]);
  t.deepEqual(perPort.get('p3'), ['out SETUP', 'in CONNECT', 'out CONNECT ACK', "out RELEASE 'bye'", 'in RELEASE COMPLETE'], "leaf2's port: dropped by RELEASE with the root's close data");
  t.deepEqual(perPort.get('p4'), ['out SETUP', 'in CONNECT', 'out CONNECT ACK', "in RELEASE 'leaving'", 'out RELEASE COMPLETE']);

  // the ladder: the switch is a column between root and the leaves, each message says its port
  const ladder = lab(runRoot, ['ladder', capture, '--lab', 'config/lab-switch.yaml', '--self', 'sw1', '--width', '140']);
  t.is(ladder.code, 0, ladder.err);
  t.regex(ladder.out.split('\n')[0]!, /time ms +root +sw1 +leaf1 +leaf2 +leaf3$/);
  t.regex(ladder.out, /DROP PARTY \(close data: 'bye'\)[ |]*\n *[\d.]+ +\|-+>\| /, 'a label too long for its arrow sits on the line above it');
  t.regex(ladder.out, /port p3, call ref \d+/);

  const down = lab(runRoot, ['down', name]);
  t.is(down.code, 0, down.err);
  t.regex(down.out, new RegExp(`lab ${name} is down: 6 namespace\\(s\\) deleted`));
});

rootTest('a lab with two switches joined by IISP: the listing switch is the user side, hosts behind the other are routed, the multipoint call branches at both', async (t) => {
  const { name, runRoot } = fresh(t);
  const up = lab(runRoot, ['up', 'config/lab-iisp.yaml', '--name', name, '--start']);
  t.is(up.code, 0, up.out + up.err);
  t.regex(up.out, /sw2 +\S+ +p1 +02:53:00:00:02:01 +host leaf2\n(.*\n)? +p3 +02:53:00:00:02:03 +switch sw1 port p3/);
  const cfg = readFileSync(join(runRoot, name, 'switches', 'sw2', 'condisd.yaml'), 'utf8');
  t.regex(cfg, /- name: p3\n +side: user\n/, "sw2 lists the link: it is the user side on its end");
  t.regex(cfg, /prefix: "6101"\n +port: p3/, 'root, behind sw1, is routed over the link');
  const run = lab(runRoot, ['run', 'scripts/labs/scenarios/drop-party.yaml', '--lab', name]);
  t.is(run.code, 0, run.out + run.err);
  t.regex(run.out, /PASSED\n$/);
  t.is(lab(runRoot, ['stop', name]).code, 0);
  // the link between the switches, in sw1's capture: leaf2 joins by SETUP, leaf3 by ADD PARTY, the root's drop of
  // leaf2 crosses as DROP PARTY with its close data, leaf3 (the last party behind sw2) leaves by RELEASE with its close data
  const trunk = signallingPerPort(join(runRoot, name, 'switches', 'sw1', 'condisd.pcapng')).get('p3');
  t.deepEqual(trunk, [
    'out SETUP',
    'in CALL PROCEEDING',
    'in CONNECT',
    'out CONNECT ACK',
    'out ADD PARTY',
    'in ADD PARTY ACK',
    "out DROP PARTY 'bye'",
    'in DROP PARTY ACK',
    "in RELEASE 'leaving'",
    'out RELEASE COMPLETE',
  ]);
  t.is(lab(runRoot, ['down', name]).code, 0);
});
