/**
 * The call-cycle and multipoint scale figures with each host in a process of
 * its own, as condisd runs them (one daemon per host): the root host here,
 * the leaf host in a child (bench/split-host.ts), on a two-host TAP lab of
 * their own. The same workloads as bench/stack.ts's one-process figures, so
 * the two can be read side by side: in one process both hosts take turns on
 * one thread; here each has its own, and the machine's two cores can work at
 * once where the protocol lets them. CPU is both processes'.
 *
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
import { fileURLToPath } from 'node:url';
import { Client } from '../src/host/driver.js';
import { benchTapLab, linksUp } from './tap-lab.js';
import { callCycles, concurrentCycles, PARTY_WARM_UP, partyRun, percentile, WARM_UP_S, type PartyRun } from './stack.js';

export interface SplitRuns {
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
    const onExit = (code: number | null): void => done(new Error(`bench: the leaf host's process exited (${code}) before ${what}`));
    const timer = setTimeout(() => done(new Error(`bench: no ${what} from the leaf host's process within ${ms} ms`)), ms);
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function splitRuns(quick: boolean): Promise<SplitRuns> {
  const tl = await benchTapLab('bsplit', 9, 9000, { hosts: 2, elsewhere: [1] });
  let child: ChildProcess | undefined;
  try {
    const [node] = await tl.startNodes();
    const leaf = tl.hostOptions(1);
    child = spawn(process.execPath, [fileURLToPath(new URL('./split-host.js', import.meta.url)), JSON.stringify(leaf)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const c = child;
    await reply(c, (m) => (m === 'ready' ? true : undefined), 20_000, "'ready'");
    await linksUp([node!], 20_000, [leaf.mac]);
    const root = await Client.open(node!, 'root', { keepLog: false });
    const childCpu = async (): Promise<number> => {
      c.send('cpu');
      const u = await reply(c, (m) => (m as { cpu?: NodeJS.CpuUsage }).cpu, 5000, 'CPU figure');
      return (u.user + u.system) / 1000;
    };
    // call cycles first, as in the one-process bench (warm-up: see WARM_UP_S)
    await callCycles(root, undefined, leaf.address, { seconds: WARM_UP_S });
    const childBefore = await childCpu();
    const cpuBefore = process.cpuUsage();
    const cycles = await callCycles(root, undefined, leaf.address, { seconds: quick ? 1.5 : 6 });
    const mine = process.cpuUsage(cpuBefore);
    const cycleCpuMs = (mine.user + mine.system) / 1000 + (await childCpu()) - childBefore;
    // many callers at once: here both processes can be busy together
    await concurrentCycles(root, leaf.address, 64, 0.2); // warm-up
    const loops64 = await concurrentCycles(root, leaf.address, 64, quick ? 1.5 : 6);

    const run = async (n: number): Promise<PartyRun & { bothCpuMs: number }> => {
      const before = await childCpu();
      const r = await partyRun(root, leaf.address, n);
      return { ...r, bothCpuMs: r.cpuMs + (await childCpu()) - before };
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
    const c = child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      if (c.connected) c.send('stop');
      else c.kill('SIGTERM');
      const kill = setTimeout(() => c.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(kill);
    }
    await tl.close();
  }
}
