/**
 * Kernels without sch_netem: `lab up` impairs a topology's links with the
 * user-space relay run by the lab's impairer daemon, says so, lists the
 * daemon in `lab status`, really impairs frames in both directions, and
 * `lab down` leaves nothing. The tests ask for the relay explicitly
 * (CONDIS_LAB_IMPAIRER=relay), so they mean the same on a kernel with netem;
 * the netem path: test/lab/lab.test.ts. Also netem's meaning of the settings per frame.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyDirectionStats, impairFrame, type DirectionStats } from '../../src/faults/impair.js';
import { seededRandom } from '../../src/common/random.js';
import { labNsPrefix, labUp, LabError, NetemUnsupportedError, type Lab } from '../../src/lab/lab.js';
import type { ImpairerStats } from '../../src/lab/impairer-daemon.js';
import { uniqueName } from '../../src/lab/netns.js';
import { runSync } from '../../src/common/sh.js';
import { topologyFrom } from '../../src/lab/topology.js';
import { inNetns, loadNative } from '../../src/miniport/native.js';
import { rootTest } from '../helpers/root.js';
import { waitUntil } from '../helpers/wait.js';

// ---------------------------------------------------------------------------------------------
// netem's meaning of the settings, frame by frame

const frame = Buffer.from('0123456789abcdef');

test('impairFrame: no settings pass every frame unchanged at once', (t) => {
  const st = emptyDirectionStats();
  t.deepEqual(impairFrame(frame, undefined, () => 0, st), [{ frame, delayMs: 0 }]);
  t.deepEqual(impairFrame(frame, { loss: 0 }, () => 0, st), [{ frame, delayMs: 0 }]);
  t.is(st.frames, 2);
  t.is(st.lost, 0);
});

test('impairFrame: loss drops the share it names (seeded)', (t) => {
  const st = emptyDirectionStats();
  const rand = seededRandom(7);
  let passed = 0;
  for (let i = 0; i < 10_000; i++) passed += impairFrame(frame, { loss: 30 }, rand, st).length;
  t.is(st.lost + passed, 10_000);
  t.true(st.lost > 2700 && st.lost < 3300, `lost ${st.lost} of 10000 at 30%`);
});

test('impairFrame: corrupt flips exactly one bit of a copy, duplicate sends two, and the original is untouched', (t) => {
  const st = emptyDirectionStats();
  const original = Buffer.from(frame);
  const out = impairFrame(frame, { corrupt: 100, duplicate: 100 }, seededRandom(3), st);
  t.is(out.length, 2);
  t.deepEqual(frame, original, 'the captured frame is not changed in place');
  let bits = 0;
  for (let i = 0; i < frame.length; i++) for (let x = out[0]!.frame[i]! ^ frame[i]!; x; x >>= 1) bits += x & 1;
  t.is(bits, 1);
  t.deepEqual(out[1]!.frame, out[0]!.frame, 'the duplicate is the same (corrupted) frame');
  t.like(st, { frames: 1, corrupted: 1, duplicated: 1 });
  t.deepEqual(impairFrame(Buffer.alloc(0), { corrupt: 100 }, () => 0.5, st), [{ frame: Buffer.alloc(0), delayMs: 0 }], 'an empty frame has no bit to flip');
});

test('impairFrame: delay with jitter stays within delay +- jitter; reorder sends its share at once', (t) => {
  const st = emptyDirectionStats();
  const rand = seededRandom(11);
  const delays: number[] = [];
  for (let i = 0; i < 2000; i++) for (const c of impairFrame(frame, { delay: 50, jitter: 10, reorder: 25 }, rand, st)) delays.push(c.delayMs);
  const atOnce = delays.filter((d) => d === 0).length;
  t.is(atOnce, st.reordered);
  t.true(atOnce > 400 && atOnce < 600, `${atOnce} of 2000 at once at 25%`);
  t.true(delays.filter((d) => d > 0).every((d) => d >= 40 && d <= 60));
  t.is(st.delayed, 2000 - atOnce);
});

// ---------------------------------------------------------------------------------------------
// lab up on a kernel without netem

function cli(runRoot: string, args: string[]): { code: number; out: string; err: string } {
  // the relay even on a kernel with netem (this machine's has none), so the test means the same everywhere
  const env = { ...process.env, CONDIS_LAB_IMPAIRER: 'relay' };
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/lab.ts', '--run-root', runRoot, ...args], { encoding: 'utf8', timeout: 120_000, env });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function nsOf(name: string): string[] {
  return runSync('ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(labNsPrefix(name)));
}

function fresh(t: ExecutionContext): { name: string; runRoot: string } {
  const name = uniqueName('hlim');
  const runRoot = mkdtempSync(join(tmpdir(), 'clab-hlim-'));
  t.teardown(() => {
    cli(runRoot, ['down', name]);
    for (const ns of nsOf(name)) runSync('ip', ['netns', 'del', ns]);
    rmSync(runRoot, { recursive: true, force: true });
  });
  return { name, runRoot };
}

const ETHERTYPE = 0x88b5;

/**
 * Send `n` frames of our EtherType out of host `from`'s eth1 and count those
 * `to`'s eth1 receives, once the relay has seen them all; and what the relay
 * did to them. First frames warm the links up: on this kernel a packet capture
 * just opened with an `inbound` filter misses the first frame (seen on a bare
 * veth pair too), so the counts are taken after the relay and the receiver
 * have each had frames. The impairer daemon publishes its counters only by
 * rewriting its stats file once a second (`written` tells one write from the
 * next): the test waits for those writes and for the frames themselves, not
 * for fixed times.
 */
async function sendAndCount(lab: Lab, from: string, to: string, n: number, relay: () => DirectionStats, written: () => string): Promise<{ got: number; seen: number; lost: number; sent: number }> {
  const native = loadNative();
  let got = 0;
  const rx = inNetns(lab.host(to).nsName, () => new native.PcapReader('eth1', `ether proto ${ETHERTYPE} and inbound`, 64, (b) => (got += b.length), () => {}));
  const tx = inNetns(lab.host(from).nsName, () => new native.PcapReader('eth1', `ether proto ${ETHERTYPE} and inbound`, 64, () => {}, () => {}));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const sendFrames = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const f = Buffer.alloc(60);
      Buffer.from(lab.host(to).mac.replaceAll(':', ''), 'hex').copy(f, 0); // unicast to the receiver, as condisd sends
      Buffer.from('02686c6d0001', 'hex').copy(f, 6);
      f.writeUInt16BE(ETHERTYPE, 12);
      f.writeUInt32BE(i, 14);
      if (tx.send(f) < 0) throw new Error(`cannot send frame ${i}`);
      if (i % 20 === 19) await sleep(5); // let the relay keep up
    }
  };
  /** until the daemon has rewritten its counters `times` times from now: the last of them was taken after what happened before */
  const rewrites = (times: number) => {
    let last = written();
    let seen = 0;
    return waitUntil(
      `${times} rewrites of the impairer's counters`,
      () => {
        const w = written();
        if (w !== last) [last, seen] = [w, seen + 1];
        return seen >= times;
      },
      { ms: 5000 * times, every: 20 },
    );
  };
  try {
    // warm up until both the relay and the receiver have had frames
    for (let k = 0; k < 20 && !(got > 0 && relay().frames > 0); k++) {
      await sendFrames(5);
      await rewrites(1);
    }
    // the baseline: counters written a whole cycle after the last warm-up frame (a write may have been under way while it was sent)
    await rewrites(2);
    const r0 = relay();
    const got0 = got;
    await sendFrames(n);
    for (let k = 0; k < 600 && relay().frames < r0.frames + n; k++) await sleep(100);
    const r1 = relay();
    // the last frames the relay passed reach the receiver (bounded; a shortfall is for the caller's assertions to report)
    await waitUntil('the receiver gets what the relay passed', () => got - got0 >= r1.sent - r0.sent, { ms: 5000 }).catch(() => undefined);
    return { got: got - got0, seen: r1.frames - r0.frames, lost: r1.lost - r0.lost, sent: r1.sent - r0.sent };
  } finally {
    rx.close();
    tx.close();
  }
}

/** the process has exited (gone, or a zombie its new parent has not reaped yet) */
function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function readStats(runRoot: string, name: string): ImpairerStats | undefined {
  try {
    return JSON.parse(readFileSync(join(runRoot, name, 'impairer.stats.json'), 'utf8')) as ImpairerStats;
  } catch {
    return undefined;
  }
}

rootTest('lab up with the relay (kernels without netem): the relay impairs both directions, status lists it, down leaves nothing', async (t) => {
  const { name, runRoot } = fresh(t);
  const file = join(runRoot, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'hosts:',
      '  - {name: a, mac: "02:00:00:00:08:01", address: "8001", netem: {loss: 50%}}',
      '  - {name: b, mac: "02:00:00:00:08:02", address: "8002"}',
      '',
    ].join('\n'),
  );
  const up = cli(runRoot, ['up', file]);
  t.is(up.code, 0, up.err);
  t.regex(up.out, /a's link \(p0-a in clab\.\S+\._sw\), out \(frames from a\): loss 50% by the user-space relay \(kernel has no netem\)/);
  t.regex(up.out, /a's link \(p0-a in clab\.\S+\._sw\), in \(frames to a\): loss 50% by the user-space relay \(kernel has no netem\)/);
  t.notRegex(up.out, /b's link/);

  const st = JSON.parse(cli(runRoot, ['status', name, '--json']).out) as { state: string; processes: { name?: string; alive: boolean; ns?: string; pid: number }[]; problems: string[] };
  t.is(st.state, 'up');
  t.deepEqual(st.problems, []);
  const imp = st.processes.find((p) => p.name === 'impairer');
  t.truthy(imp, 'lab status lists the impairer daemon');
  t.true(imp!.alive);
  t.is(imp!.ns, `clab.${name}._sw`);
  t.regex(cli(runRoot, ['status', name]).out, /impairer-daemon/);
  t.true(existsSync(join(runRoot, name, 'impairer.log')), 'the daemon logs into the run directory');

  // up again with the same topology: the lab (and its impairer) is kept
  const again = cli(runRoot, ['up', file]);
  t.is(again.code, 0, again.err);
  const st2 = JSON.parse(cli(runRoot, ['status', name, '--json']).out) as typeof st;
  t.is(st2.processes.find((p) => p.name === 'impairer')?.pid, imp!.pid);

  const { openLab } = await import('../../src/lab/lab.js');
  const lab = await openLab(name, { runRoot });
  const N = 200;
  const link = () => readStats(runRoot, name)!.links.find((l) => l.host === 'a')!.stats;
  const written = () => {
    const st = statSync(join(runRoot, name, 'impairer.stats.json'), { throwIfNoEntry: false });
    return st ? `${st.ino}/${st.mtimeMs}` : '';
  };
  // frames from a: a's out direction
  const toB = await sendAndCount(lab, 'a', 'b', N, () => link().out, written);
  t.log(`from a: ${JSON.stringify(link().out)}; of the ${N} measured: ${JSON.stringify(toB)}`);
  t.is(toB.seen, N, 'the relay saw every frame a sent');
  t.true(toB.lost > 0 && toB.lost < N, `lost ${toB.lost} of ${N} at 50%`);
  t.is(toB.sent, N - toB.lost);
  t.is(toB.got, toB.sent, 'b received exactly what the relay passed');
  // frames to a: a's in direction
  const toA = await sendAndCount(lab, 'b', 'a', N, () => link().in, written);
  t.log(`to a: ${JSON.stringify(link().in)}; of the ${N} measured: ${JSON.stringify(toA)}`);
  t.is(toA.seen, N, 'the relay saw every frame b sent');
  t.true(toA.lost > 0 && toA.lost < N, `lost ${toA.lost} of ${N} at 50%`);
  t.is(toA.got, toA.sent, 'a received exactly what the relay passed');
  t.is(link().in.errors + link().out.errors, 0);

  // frames no one should send (a bare header, a full-size frame of junk): the daemon forwards or counts them, and lives on
  const native = loadNative();
  const tx = inNetns(lab.host('b').nsName, () => new native.PcapReader('eth1', `ether proto ${ETHERTYPE} and inbound`, 64, () => {}, () => {}));
  const hdr = Buffer.from(`${lab.host('a').mac.replaceAll(':', '')}02686c6d000188b5`, 'hex');
  for (let i = 0; i < 20; i++) tx.send(hdr);
  for (let i = 0; i < 20; i++) tx.send(Buffer.concat([hdr, Buffer.alloc(1500, 0xa5)]));
  tx.close();
  const seen0 = link().in.frames;
  for (let k = 0; k < 50 && link().in.frames < seen0 + 40; k++) await new Promise((r) => setTimeout(r, 100));
  t.is(link().in.frames, seen0 + 40, 'the relay saw the odd frames');
  const alive = JSON.parse(cli(runRoot, ['status', name, '--json']).out) as typeof st;
  t.true(alive.processes.find((p) => p.name === 'impairer')?.alive, 'the daemon lives on');

  const pid = imp!.pid;
  const down = cli(runRoot, ['down', name]);
  t.is(down.code, 0, down.err);
  t.true(exited(pid), 'the impairer daemon is gone');
  t.deepEqual(nsOf(name), [], 'no namespace (and so no veth) of the lab is left');
  const veths = runSync('ip', ['-br', 'link']).stdout.split('\n').filter((l) => /^i[ab]\d|^p\d-[ab]\b/.test(l));
  t.deepEqual(veths, [], 'no relay veth in the machine namespace');
  t.false(existsSync(join(runRoot, name)));
});

rootTest('the impairer daemon exits when its lab goes away without lab down', async (t) => {
  const { name, runRoot } = fresh(t);
  const lab = await labUp(topologyFrom({ hosts: [{ name: 'a', mac: '02:00:00:00:09:01', address: '9001', netemOut: { delay: '2ms' } }, { name: 'b', mac: '02:00:00:00:09:02', address: '9002' }] }, name), {
    runRoot,
    impairer: 'relay',
  });
  t.deepEqual(lab.relays.map((r) => [r.host, r.out, r.in]), [['a', { delay: 2 }, undefined]]);
  const pid = readStats(runRoot, name)!.pid;
  t.false(exited(pid));
  // the lab's state goes (as when its run directory is removed by hand)
  rmSync(join(runRoot, name, 'lab.json'));
  for (let k = 0; k < 100 && !exited(pid); k++) await new Promise((r) => setTimeout(r, 100));
  t.true(exited(pid), 'the daemon noticed and exited');
});

rootTest('routed labs cannot take the relay: up names the link and leaves nothing', async (t) => {
  const { name, runRoot } = fresh(t);
  const topo = topologyFrom(
    { segment: { kind: 'routed' }, hosts: [{ name: 'a', mac: '02:00:00:00:0a:01', address: '9101', netem: { loss: '5%' } }, { name: 'b', mac: '02:00:00:00:0a:02', address: '9102' }] },
    name,
  );
  const e = await t.throwsAsync(labUp(topo, { runRoot, impairer: 'relay' }), { instanceOf: NetemUnsupportedError, message: /a eth1.*no netem qdisc.*needs a bridged lab/ });
  t.true(e instanceof LabError);
  t.deepEqual(nsOf(name), []);
  t.false(existsSync(join(runRoot, name)));
});
