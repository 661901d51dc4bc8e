/**
 * The call-cycle and multipoint scale figures with each host in a process of
 * its own, as condisd runs them (one daemon per host): the root host here,
 * the leaf host in a child (bench/split-host.ts), on a two-host TAP lab of
 * their own. The same workloads as bench/stack.ts's one-process figures, so
 * the two can be read side by side: in one process both hosts take turns on
 * one thread; here each has its own, and the machine's two cores can work at
 * once where the protocol lets them. CPU is both processes'.
 *
 * - the baseline: the minimal TAP loop (`frameRoundTrips`) with its far end
 *   in the child (bench/split-echo.ts). Each frame wakes a process that was
 *   waiting, which one process taking both ends never does.
 * - call cycles (`callCycles`): call, close, delete the VC, one after
 *   another. The callee's client is in the child, so the caller does not
 *   wait for its ProtocolClCallConnected; its RELEASE follows the CONNECT
 *   ACKNOWLEDGE on the same SSCOP link, so the frames are the same. Then
 *   64 such loops at once (`concurrentCycles`), where both processes can be
 *   busy together.
 * - parties (`partyRun`): 10,000 parties on one call, at most 1,000 adds
 *   outstanding, all dropped, the call closed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../src/host/driver.js';
import { benchTapLab, linksUp } from './tap-lab.js';
import { callCycles, concurrentCycles, frameRoundTrips, PARTY_WARM_UP, partyRun, percentile, WARM_UP_S, type PartyRun } from './stack.js';

export interface SplitRuns {
  /** the minimal TAP loop with its far end in the child: round trips per second, CPU of both processes per frame, µs */
  loop: { perSecond: number; cpuUsPerFrame: number };
  cycles: {
    perSecond: number;
    /** call setup (request to MakeCallComplete) median and 99th percentile, ms */
    setupP50: number;
    setupP99: number;
    /** CPU of both processes per cycle, µs */
    cpuUsPerCycle: number;
    /** 64 call loops at once: cycles per second over all loops */
    loops64PerSecond: number;
  };
  parties: {
    /** the best 1,000-party and 10,000-party runs, ms */
    ms1k: number;
    ms10k: number;
    /** CPU of both processes per party, in the 10,000-party run that was fastest, µs */
    cpuUsPerParty: number;
  };
}

function reply<T>(child: ChildProcess, want: (m: unknown) => T | undefined, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (e?: Error, v?: T): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (e) reject(e);
      else resolve(v!);
    };
    const onMessage = (m: unknown): void => {
      const v = want(m);
      if (v !== undefined) done(undefined, v);
    };
    const who = basename(child.spawnargs[1] ?? 'the child');
    const onExit = (code: number | null): void => done(new Error(`bench: ${who} exited (${code}) before ${what}`));
    const timer = setTimeout(() => done(new Error(`bench: no ${what} from ${who} within ${ms} ms`)), ms);
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** `script` (beside this file) in a child process, given `arg`, once it says it is ready */
async function startChild(script: string, arg: unknown): Promise<ChildProcess> {
  const c = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), JSON.stringify(arg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await reply(c, (m) => (m === 'ready' ? true : undefined), 20_000, "'ready'");
  } catch (e) {
    await stopChild(c);
    throw e;
  }
  return c;
}

/** the child's CPU time so far, ms */
async function childCpu(c: ChildProcess): Promise<number> {
  c.send('cpu');
  const u = await reply(c, (m) => (m as { cpu?: NodeJS.CpuUsage }).cpu, 5000, 'CPU figure');
  return (u.user + u.system) / 1000;
}

async function stopChild(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  if (c.connected) c.send('stop');
  else c.kill('SIGTERM');
  const kill = setTimeout(() => c.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(kill);
}

export async function splitRuns(quick: boolean): Promise<SplitRuns> {
  const tl = await benchTapLab('bsplit', 9, 9000, { hosts: 2, elsewhere: [1] });
  let child: ChildProcess | undefined;
  try {
    const leaf = tl.hostOptions(1);
    // the baseline: the minimal loop with its far end in the child (before any node takes the frames in)
    child = await startChild('./split-echo.js', { nsName: leaf.nsName, mac: leaf.mac, peer: tl.miniports[0]!.mac });
    await new Promise((r) => setTimeout(r, 300)); // bridge ports forwarding
    await frameRoundTrips(tl.miniports[0]!, leaf, 0.2); // the bridge learns both MACs
    const echoBefore = await childCpu(child);
    const rt = await frameRoundTrips(tl.miniports[0]!, leaf, quick ? 0.6 : 3);
    // (a round trip is two frames: each sent by one process and read by the other)
    const loopCpuUsPerFrame = (rt.cpuUs + (((await childCpu(child)) - echoBefore) * 1000) / rt.times.length) / 2;
    await stopChild(child);

    const [node] = await tl.startNodes();
    const c = (child = await startChild('./split-host.js', leaf));
    await linksUp([node!], 20_000, [leaf.mac]);
    const root = await Client.open(node!, 'root', { keepLog: false });
    // call cycles first, as in the one-process bench (warm-up: see WARM_UP_S)
    await callCycles(root, undefined, leaf.address, { seconds: WARM_UP_S });
    const childBefore = await childCpu(c);
    const cpuBefore = process.cpuUsage();
    const cycles = await callCycles(root, undefined, leaf.address, { seconds: quick ? 1.5 : 6 });
    const mine = process.cpuUsage(cpuBefore);
    const cycleCpuMs = (mine.user + mine.system) / 1000 + (await childCpu(c)) - childBefore;
    // many callers at once: here both processes can be busy together
    await concurrentCycles(root, leaf.address, 64, 0.2); // warm-up
    const loops64 = await concurrentCycles(root, leaf.address, 64, quick ? 1.5 : 6);

    const run = async (n: number): Promise<PartyRun & { bothCpuMs: number }> => {
      const before = await childCpu(c);
      const r = await partyRun(root, leaf.address, n);
      return { ...r, bothCpuMs: r.cpuMs + (await childCpu(c)) - before };
    };
    // warm-up (stack.ts PARTY_WARM_UP): both processes are fresh; after one 4,000-party warm-up, V8's
    // background compiler took 34% of both processes' samples
    for (const n of quick ? [4_000] : PARTY_WARM_UP) await run(n);
    const runs1k: number[] = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) runs1k.push((await run(1_000)).totalMs);
    let best: (PartyRun & { bothCpuMs: number }) | undefined;
    for (let i = 0; i < (quick ? 1 : 2); i++) {
      const r = await run(10_000);
      if (!best || r.totalMs < best.totalMs) best = r;
    }
    return {
      loop: { perSecond: rt.perSecond, cpuUsPerFrame: loopCpuUsPerFrame },
      cycles: {
        perSecond: cycles.perSecond,
        setupP50: percentile(cycles.setups, 50),
        setupP99: percentile(cycles.setups, 99),
        cpuUsPerCycle: (cycleCpuMs * 1000) / cycles.cycles,
        loops64PerSecond: loops64.perSecond,
      },
      parties: { ms1k: Math.min(...runs1k), ms10k: best!.totalMs, cpuUsPerParty: (best!.bothCpuMs * 1000) / 10_000 },
    };
  } finally {
    await stopChild(child);
    await tl.close();
  }
}
