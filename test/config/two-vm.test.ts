/**
 * The README's two-VM commands with the shipped configuration pairs, taken as
 * they are: two namespaces stand for the two VMs, each with its `eth1`
 * (tap: one veth pair between them, and in each the README's bridge line run
 * as written; nic: one veth pair between them; etherip: each VM on its own subnet,
 * 10.0.1.5/24 and 10.0.2.7/24 as in the files, a router namespace between).
 * Only the control socket and the capture file are moved into a scratch
 * directory (the two "VMs" share one filesystem); every other line of the
 * files is used unchanged. Then, as the README says, `condisctl listen 1001`
 * on A and `condisctl call 1001 --data hello --close-data bye` on B: the
 * call connects and both the data and the close data arrive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { rootTest } from '../helpers/root.js';
import { PROJECT_ROOT } from '../../src/demo/daemons.js';
import { connectControl } from '../../src/control/client.js';
import type { PeerInfo } from '../../src/control/backend.js';
import { Netns, uniqueName } from '../../src/lab/netns.js';
import { run } from '../../src/common/sh.js';
import { waitUntil } from '../helpers/wait.js';

interface Proc {
  p: ChildProcess;
  done: Promise<number | null>;
  out(): string;
  err(): string;
}

function node(ns: Netns | undefined, script: 'condisd' | 'condisctl', args: string[]): Proc {
  const argv = [process.execPath, '--import', 'tsx', join(PROJECT_ROOT, 'daemons', `${script}.ts`), ...args];
  const [cmd, rest] = ns ? ns.spawnArgs(argv[0]!, argv.slice(1)) : [argv[0]!, argv.slice(1)];
  const p = spawn(cmd, rest, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  return { p, done, out: () => out, err: () => err };
}

const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 60_000) => waitUntil(what, cond, { ms, every: 100 });

/** the shipped file with only the control socket and the capture moved into `dir` */
function localCopy(t: ExecutionContext, file: string, dir: string, tag: string): { file: string; socket: string } {
  const text = readFileSync(join(PROJECT_ROOT, 'config', file), 'utf8');
  const socket = join(dir, `${tag}.sock`);
  const moved = text.replace('socket: /run/condis/condisd.sock', `socket: ${socket}`).replace(/pcap: \/tmp\/condis-host-[ab]\.pcapng/, `pcap: ${join(dir, `${tag}.pcapng`)}`);
  t.is(moved.split('\n').filter((l, i) => l !== text.split('\n')[i]).length, 2, `${file}: only the socket and capture lines differ`);
  const out = join(dir, file);
  writeFileSync(out, moved);
  return { file: out, socket };
}

/** the README's bridge set-up, "on both VMs, once, as root" */
const README_BRIDGE = 'ip link add br0 type bridge && ip link set eth1 master br0 && ip link set br0 up && ip link set eth1 up';

async function twoVms(t: ExecutionContext, variant: 'tap' | 'nic' | 'etherip'): Promise<[Netns, Netns]> {
  const made: Netns[] = [];
  t.teardown(async () => {
    for (const ns of made) await ns.destroy();
  });
  const ns = async (p: string) => {
    const n = await Netns.create(uniqueName(p));
    made.push(n);
    return n;
  };
  const a = await ns('tva');
  const b = await ns('tvb');
  if (variant !== 'etherip') {
    await run('ip', ['link', 'add', 'eth1', 'netns', a.name, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', b.name]);
    if (variant === 'tap') for (const n of [a, b]) await n.exec('sh', ['-c', README_BRIDGE]);
    return [a, b];
  }
  const r = await ns('tvr');
  await run('ip', ['link', 'add', 'eth1', 'netns', a.name, 'type', 'veth', 'peer', 'name', 'ra', 'netns', r.name]);
  await run('ip', ['link', 'add', 'eth1', 'netns', b.name, 'type', 'veth', 'peer', 'name', 'rb', 'netns', r.name]);
  for (const [n, dev, addr] of [[a, 'eth1', '10.0.1.5/24'], [b, 'eth1', '10.0.2.7/24'], [r, 'ra', '10.0.1.1/24'], [r, 'rb', '10.0.2.1/24']] as const) {
    await n.ip(['addr', 'add', addr, 'dev', dev]);
    await n.ip(['link', 'set', dev, 'up']);
  }
  await a.ip(['route', 'add', 'default', 'via', '10.0.1.1']);
  await b.ip(['route', 'add', 'default', 'via', '10.0.2.1']);
  await r.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  return [a, b];
}

for (const variant of ['tap', 'nic', 'etherip'] as const) {
  const files = variant === 'tap' ? ['host-a.yaml', 'host-b.yaml'] : [`host-a-${variant}.yaml`, `host-b-${variant}.yaml`];
  rootTest(`two VMs with config/${files[0]} and config/${files[1]} as shipped: the README's listen and call work`, async (t) => {
    t.timeout(5 * 60_000);
    // what the README tells the user to run, so this test follows the README as it is
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    for (const f of files) t.regex(readme, new RegExp(`condisd --config config/${f.replace('.', '\\.')}\\s`), `the README starts condisd with config/${f}`);
    t.true(readme.includes('condisctl listen 1001') && readme.includes('condisctl call 1001 --data hello --close-data bye'), 'the README\'s listen and call');
    if (variant === 'tap') t.true(readme.includes(README_BRIDGE), 'the README\'s bridge line');
    const [nsA, nsB] = await twoVms(t, variant);
    const dir = mkdtempSync(join(tmpdir(), 'two-vm-'));
    const procs: Proc[] = [];
    t.teardown(async () => {
      for (const p of procs) if (p.p.exitCode === null) p.p.kill('SIGTERM');
      await Promise.all(procs.map((p) => Promise.race([p.done, new Promise((r) => setTimeout(r, 10_000))])));
      rmSync(dir, { recursive: true, force: true });
    });
    const a = localCopy(t, files[0]!, dir, 'a');
    const b = localCopy(t, files[1]!, dir, 'b');
    const da = node(nsA, 'condisd', ['--config', a.file]);
    const db = node(nsB, 'condisd', ['--config', b.file]);
    procs.push(da, db);
    await until('both control sockets', () => {
      for (const d of [da, db]) if (d.p.exitCode !== null) throw new Error(`condisd exited ${d.p.exitCode}: ${d.err()}${d.out()}`);
      return existsSync(a.socket) && existsSync(b.socket);
    });

    // B learns A's address and links with it (discovery; for etherip also the static peer)
    const ctlB = await connectControl(b.socket);
    t.teardown(() => ctlB.close());
    await until('B has a link to the host announcing 1001', async () => ((await ctlB.peers()) as PeerInfo[]).some((p) => p.addresses.includes('1001') && p.linked));

    const listener = node(undefined, 'condisctl', ['--socket', a.socket, 'listen', '1001', '--once']);
    procs.push(listener);
    await until('the listener', () => /listening on 1001/.test(listener.out()));
    const caller = node(undefined, 'condisctl', ['--socket', b.socket, 'call', '1001', '--data', 'hello', '--close-data', 'bye']);
    procs.push(caller);
    t.is(await caller.done, 0, `the call: ${caller.err()}${caller.out()}`);
    t.is(await listener.done, 0, listener.err());
    t.regex(listener.out(), /incoming point-to-point call on VC \d+ from \S+ to 1001/);
    t.regex(listener.out(), /data on VC \d+ \(5 octets\): "hello"/);
    t.regex(listener.out(), /incoming close call on VC \d+: NDIS_STATUS_SUCCESS \(remote\), close data \(3 octets\): "bye"/);
  });
}
