import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostConfigFor, labDown, labNsPrefix, labStatus, labUp, LabError, openLab } from '../../src/lab/lab.js';
import { uniqueName } from '../../src/lab/netns.js';
import { run, runSync } from '../../src/common/sh.js';
import { topologyFrom, type Topology } from '../../src/lab/topology.js';
import { rootTest } from '../helpers/root.js';

/** A lab name and run root of this test only, removed at teardown whatever happens. */
function fresh(t: ExecutionContext): { name: string; runRoot: string } {
  const name = uniqueName('t');
  const runRoot = mkdtempSync(join(tmpdir(), 'clab-'));
  t.teardown(() => {
    for (const ns of namespacesOf(name)) runSync('ip', ['netns', 'del', ns]);
    rmSync(runRoot, { recursive: true, force: true });
  });
  return { name, runRoot };
}

function namespacesOf(name: string): string[] {
  return runSync('ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(labNsPrefix(name)));
}

function hosts(n: number, extra: Record<string, unknown> = {}): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    name: i === 0 ? 'root' : `leaf${i}`,
    mac: `02:00:00:00:09:${(i + 1).toString(16).padStart(2, '0')}`,
    address: String(9001 + i),
    ...extra,
  }));
}

function bridged(name: string, n = 3, more: Record<string, unknown> = {}): Topology {
  return topologyFrom({ segment: { kind: 'bridged' }, hosts: hosts(n), ...more }, name);
}

function assertGone(t: ExecutionContext, name: string, runRoot: string): void {
  t.deepEqual(namespacesOf(name), [], 'no namespace of the lab is left');
  t.false(existsSync(join(runRoot, name)), 'no run directory (state, pid files) is left');
  t.false(readdirSync(runRoot).includes(`.${name}.lock`), 'no lock file is left');
}

/** Send one UDP datagram from host `from` to `toIp` and return what `to` received. */
async function udpAcross(lab: Awaited<ReturnType<typeof labUp>>, to: string, from: string, toIp: string): Promise<string> {
  const recv = lab.spawn(to, process.execPath, [
    '-e',
    `const s=require('dgram').createSocket('udp4');s.on('message',m=>{console.log('got '+m);process.exit(0)});s.bind(9999,()=>console.log('ready'));setTimeout(()=>process.exit(3),10000)`,
  ], { name: 'udprecv' });
  // wait until the receiver is bound
  for (let i = 0; i < 200 && !runSync('cat', [recv.logFile]).stdout.includes('ready'); i++) await new Promise((r) => setTimeout(r, 25));
  for (let i = 0; i < 20 && !runSync('cat', [recv.logFile]).stdout.includes('got'); i++) {
    await lab.exec(from, process.execPath, [
      '-e',
      `const s=require('dgram').createSocket('udp4');s.send('hello from ${from}',9999,'${toIp}',()=>s.close())`,
    ]);
    await new Promise((r) => setTimeout(r, 100));
  }
  const got = runSync('cat', [recv.logFile]).stdout;
  await lab.stop(to, 'udprecv');
  return got;
}

rootTest('bridged lab: up builds namespaces, bridges and uplinks; status shows them; down leaves nothing', async (t) => {
  const { name, runRoot } = fresh(t);
  const topo = bridged(name, 3);
  topo.hosts[0]!.ip = '10.88.0.1/24';
  topo.hosts[2]!.ip = '10.88.0.3/24';
  const lab = await labUp(topo, { runRoot });
  t.is(lab.hosts.length, 3);
  t.deepEqual(namespacesOf(name).sort(), [`clab.${name}._sw`, `clab.${name}.leaf1`, `clab.${name}.leaf2`, `clab.${name}.root`]);

  // each host: eth1 enslaved to br0, both up: ready for condisd's tap0
  for (const h of lab.hosts) {
    const links = JSON.parse((await h.ns.ip(['-j', 'link'])).stdout) as { ifname: string; master?: string; operstate: string }[];
    const eth1 = links.find((l) => l.ifname === 'eth1');
    t.is(eth1?.master, 'br0', `${h.name}: eth1 is a port of br0`);
    t.truthy(links.find((l) => l.ifname === 'br0'));
  }
  const status = await labStatus(name, { runRoot });
  t.is(status.state, 'up');
  t.is(status.kind, 'bridged');
  t.deepEqual(status.problems, []);
  const sw = status.namespaces.find((n) => n.role === 'switch')!;
  t.deepEqual(
    sw.links.filter((l) => l.master === 'seg0').map((l) => l.name),
    ['p0-root', 'p1-leaf1', 'p2-leaf2'],
  );
  t.deepEqual(status.namespaces.find((n) => n.host === 'root')!.links.find((l) => l.name === 'br0')!.addresses, ['10.88.0.1/24']);

  // frames cross the segment from host to host
  t.regex(await udpAcross(lab, 'leaf2', 'root', '10.88.0.3'), /got hello from root/);

  // processes the lab started are listed and stopped by down
  const p = lab.spawn('leaf1', 'sleep', ['300'], { name: 'sleeper' });
  const st2 = await labStatus(name, { runRoot });
  t.true(st2.processes.some((x) => x.pid === p.pid && x.alive && x.host === 'leaf1' && x.name === 'sleeper'));
  // a second of that name in that host is refused: it would take the first one's pid file
  t.throws(() => lab.spawn('leaf1', 'sleep', ['300'], { name: 'sleeper' }), { instanceOf: LabError, message: `sleeper is already running in leaf1 (pid ${p.pid}); stop it first` });
  t.is(JSON.parse(readFileSync(p.pidFile, 'utf8')).pid, p.pid);
  // one can be stopped on its own: no pid file, no 'not running' problem
  const short = lab.spawn('root', 'sleep', ['300'], { name: 'short' });
  t.true(await lab.stop('root', 'short'));
  t.false(existsSync(short.pidFile));
  t.false(await lab.stop('root', 'short'));
  t.deepEqual((await labStatus(name, { runRoot })).problems, []);

  // the hooks for condisd configurations
  const cfg = hostConfigFor(lab, 'leaf1');
  t.like(cfg, { host: 'leaf1', namespace: `clab.${name}.leaf1`, mac: '02:00:00:00:09:02', address: '9002', tap: 'tap0', bridge: 'br0', uplink: 'eth1' });
  t.is(cfg.runDir, join(runRoot, name, 'hosts', 'leaf1'));
  t.deepEqual(
    cfg.peers.map((x) => x.host),
    ['root', 'leaf2'],
  );
  t.throws(() => lab.host('leaf9'), { instanceOf: LabError, message: /no host "leaf9" \(hosts: root, leaf1, leaf2\)/ });

  // another process sees the same lab
  const again = await openLab(name, { runRoot });
  t.deepEqual(
    again.hosts.map((h) => h.nsName),
    lab.hosts.map((h) => h.nsName),
  );

  const report = await labDown(name, { runRoot });
  t.is(report.namespaces.length, 4);
  t.true(report.processes.includes(p.pid));
  t.false(existsSync(`/proc/${p.pid}/cmdline`) && !runSync('cat', [`/proc/${p.pid}/stat`]).stdout.includes(') Z'), 'the process is gone');
  assertGone(t, name, runRoot);
  t.is((await labStatus(name, { runRoot })).state, 'absent');
  // down again: nothing to do, no error
  t.deepEqual((await labDown(name, { runRoot })).namespaces, []);
});

rootTest('routed lab: hosts on their own subnets reach each other through the router', async (t) => {
  const { name, runRoot } = fresh(t);
  const lab = await labUp(topologyFrom({ segment: { kind: 'routed' }, hosts: hosts(2) }, name), { runRoot });
  const status = await labStatus(name, { runRoot });
  t.is(status.state, 'up');
  t.deepEqual(status.namespaces.find((n) => n.host === 'leaf1')!.links.find((l) => l.name === 'eth1')!.addresses, ['10.77.2.2/24']);
  t.deepEqual(
    status.namespaces
      .find((n) => n.role === 'router')!
      .links.flatMap((l) => l.addresses)
      .sort(),
    ['10.77.1.1/24', '10.77.2.1/24'],
  );
  t.like(hostConfigFor(lab, 'root'), { ip: '10.77.1.2/24', gateway: '10.77.1.1', kind: 'routed' });
  t.is(hostConfigFor(lab, 'root').bridge, undefined);
  t.regex(await udpAcross(lab, 'leaf1', 'root', '10.77.2.2'), /got hello from root/);
  await labDown(name, { runRoot });
  assertGone(t, name, runRoot);
});

rootTest('up is idempotent; up with a different topology under the same name is refused', async (t) => {
  const { name, runRoot } = fresh(t);
  const topo = bridged(name, 2);
  const lab = await labUp(topo, { runRoot });
  const ifindex = async () => (JSON.parse((await lab.host('root').ns.ip(['-j', 'link', 'show', 'eth1'])).stdout) as { ifindex: number }[])[0]!.ifindex;
  const before = await ifindex();
  const p = lab.spawn('root', 'sleep', ['300'], { name: 'keep' });
  await labUp(topo, { runRoot });
  t.is(await ifindex(), before, 'the second up did not rebuild anything');
  t.true((await labStatus(name, { runRoot })).processes.some((x) => x.pid === p.pid && x.alive), 'processes keep running');
  await t.throwsAsync(labUp(bridged(name, 3), { runRoot }), { instanceOf: LabError, message: /already up with a different topology/ });

  // a disturbed lab (a namespace deleted by hand) is rebuilt by the next up
  await run('ip', ['netns', 'del', `clab.${name}.leaf1`]);
  t.is((await labStatus(name, { runRoot })).state, 'partial');
  await labUp(topo, { runRoot });
  t.is((await labStatus(name, { runRoot })).state, 'up');
  await labDown(name, { runRoot });
  assertGone(t, name, runRoot);
});

rootTest('down cleans up after an up that was killed half-way', async (t) => {
  const { name, runRoot } = fresh(t);
  const file = join(runRoot, `${name}.yaml`);
  const lines = [`name: ${name}`, 'hosts:'];
  for (const h of hosts(40)) lines.push(`  - {name: ${h.name}, mac: "${h.mac}", address: "${h.address}"}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/lab/fixtures/up-child.ts', file, runRoot], { stdio: 'ignore' });
  t.teardown(() => child.kill('SIGKILL'));
  const exited = new Promise((r) => child.once('exit', r));
  // kill it as soon as a few host namespaces exist
  for (let i = 0; i < 600 && namespacesOf(name).length < 4; i++) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await exited;
  const partial = namespacesOf(name).length;
  t.true(partial >= 4 && partial < 41, `killed mid-up with ${partial} namespaces`);
  const status = await labStatus(name, { runRoot });
  t.is(status.state, 'creating');
  t.true(status.problems.some((p) => /did not finish: run `lab down/.test(p)), status.problems.join('; '));

  // the lock of the dead process does not block, and up after the interruption completes the lab ...
  const lab = await labUp(file, { runRoot });
  t.is(namespacesOf(name).length, 41);
  t.is(lab.hosts.length, 40);
  t.is((await labStatus(name, { runRoot })).state, 'up');
  // ... and down removes it all
  await labDown(file, { runRoot });
  assertGone(t, name, runRoot);
});

rootTest('down removes leftovers even without a state file, and a stale lock', async (t) => {
  const { name, runRoot } = fresh(t);
  // partial state as a crash before the state file was written would leave it
  await run('ip', ['netns', 'add', `clab.${name}.root`]);
  await run('ip', ['netns', 'add', `clab.${name}._sw`]);
  await run('ip', ['-n', `clab.${name}.root`, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'p0-root', 'netns', `clab.${name}._sw`]);
  mkdirSync(join(runRoot, name, 'pids'), { recursive: true });
  writeFileSync(join(runRoot, `.${name}.lock`), '999999999');
  const sleeper = spawn('ip', ['netns', 'exec', `clab.${name}.root`, 'sleep', '300'], { stdio: 'ignore' });
  t.teardown(() => sleeper.kill('SIGKILL'));
  const exited = new Promise((r) => sleeper.once('exit', r));
  for (let i = 0; i < 100 && runSync('ip', ['netns', 'pids', `clab.${name}.root`]).stdout.trim() === ''; i++) await new Promise((r) => setTimeout(r, 20));

  const status = await labStatus(name, { runRoot });
  t.is(status.state, 'partial');
  t.true(status.processes.some((p) => p.pid === sleeper.pid));
  t.true(status.problems.some((p) => p.includes('no state file')));

  const report = await labDown(name, { runRoot });
  t.deepEqual(report.namespaces.sort(), [`clab.${name}._sw`, `clab.${name}.root`]);
  t.true(report.processes.includes(sleeper.pid!));
  await exited;
  assertGone(t, name, runRoot);
});

rootTest('netem is applied per link when the kernel has it; otherwise the user-space relay takes each direction and down leaves nothing', async (t) => {
  const { name, runRoot } = fresh(t);
  const probe = uniqueName('tnp');
  t.teardown(() => runSync('ip', ['netns', 'del', probe]));
  await run('ip', ['netns', 'add', probe]);
  await run('ip', ['-n', probe, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
  const kernelHasNetem = (await run('tc', ['-n', probe, 'qdisc', 'add', 'dev', 'va', 'root', 'netem', 'delay', '1ms'], { allowFail: true })).code === 0;

  const topo = topologyFrom(
    {
      segment: { kind: 'bridged', netem: { delay: '3ms', loss: '2%' } },
      hosts: [...hosts(1), { ...hosts(2)[1], netem: { loss: '10%', corrupt: '1%' } }],
    },
    name,
  );
  if (kernelHasNetem) {
    await labUp(topo, { runRoot });
    const status = await labStatus(name, { runRoot });
    const link = (host: string | undefined, dev: string) => status.namespaces.find((n) => (host ? n.host === host : n.role === 'switch'))!.links.find((l) => l.name === dev)!;
    t.regex(link('root', 'eth1').netem ?? '', /delay 3ms.*loss 2%/);
    t.regex(link('leaf1', 'eth1').netem ?? '', /loss 10%.*corrupt 1%/);
    t.regex(link(undefined, 'p1-leaf1').netem ?? '', /loss 10%/);
    t.is(link(undefined, 'p0-root').netem, undefined);
    t.deepEqual(status.netem[1], { host: 'leaf1', out: 'loss 10% corrupt 1%', in: 'loss 10% corrupt 1%' });
    await labDown(name, { runRoot });
  } else {
    const lab = await labUp(topo, { runRoot });
    t.deepEqual(
      lab.relays.map((r) => ({ host: r.host, port: r.port, out: r.out, in: r.in })),
      [
        { host: 'root', port: 'p0-root', out: { delay: 3, loss: 2 }, in: undefined },
        { host: 'leaf1', port: 'p1-leaf1', out: { loss: 10, corrupt: 1 }, in: { loss: 10, corrupt: 1 } },
      ],
    );
    const status = await labStatus(name, { runRoot });
    t.true(status.processes.some((p) => p.name === 'impairer' && p.alive && p.ns === `clab.${name}._sw`), 'the impairer daemon runs in the segment namespace');
    t.deepEqual(status.problems, []);
    await labDown(name, { runRoot });
  }
  assertGone(t, name, runRoot);
});
