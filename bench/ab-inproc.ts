/**
 * Old against new in one process: two built trees (each with its own
 * `dist/`), a four-host TAP lab for each, and rounds of one workload
 * alternating between them, the order swapped every round. Root only.
 *
 *   npm run build && node --expose-gc dist/bench/ab-inproc.js parties|cycles|data BASE_TREE HEAD_TREE [rounds=10]
 *
 * - `parties`: 10,000 parties on one multipoint call (add all, drop all,
 *   close; bench/stack.ts `partyRun`) per round;
 * - `cycles`: 5,000 point-to-point call cycles (make call, connected, close,
 *   delete the VC; as bench/stack.ts) per round;
 * - `data`: 64-octet SDUs on one VC for 2 s per round, at most 64
 *   outstanding (bench/stack.ts `vcStream`); the figure is ms per 100,000
 *   frames, so that lower is better for every workload.
 *
 * A base tree to compare with: `git worktree add /tmp/base REF`, its
 * `node_modules` a symlink to this tree's and its addon a copy of this one's
 * when `native/` did not change, then `node scripts/build.mjs` in it.
 *
 * Why in one process: on a shared VM, runs in separate processes minutes
 * apart spread by more (±15%) than a change worth a few percent, and
 * `npm run bench:ab` cannot see it. Here both sides take turns within
 * seconds, so the machine's drift weighs on both alike. Both labs live in
 * one heap and one event loop, so the absolute figures are worse than
 * `npm run bench`'s: read the ratio, and run it again with the trees' places
 * swapped.
 */
import { performance } from 'node:perf_hooks';
import { callCycles, partyRun, percentile, vcStream } from './stack.js';

type Workload = 'parties' | 'cycles' | 'data';
const PER_ROUND: Record<Workload, number> = { parties: 10_000, cycles: 5_000, data: 100_000 };
const UNIT: Record<Workload, string> = { parties: 'party', cycles: 'cycle', data: 'frame' };

interface Side {
  tree: string;
  /** one round: wall ms and CPU µs per unit (a party, a cycle) */
  run(): Promise<{ ms: number; cpuUs: number }>;
  close(): Promise<void>;
}

async function open(workload: Workload, tree: string, octet: number): Promise<Side> {
  // the tree's own hosts and lab; the workloads (this tree's bench/stack.ts) drive them through the client API alike
  const dist = `${tree.replace(/\/$/, '')}/dist`;
  const { Client } = (await import(`${dist}/src/host/driver.js`)) as typeof import('../src/host/driver.js');
  const { benchTapLab } = (await import(`${dist}/bench/tap-lab.js`)) as typeof import('./tap-lab.js');
  const n = PER_ROUND[workload];
  const tl = await benchTapLab(`ab${octet}`, octet, octet * 1000);
  try {
    const nodes = await tl.startNodes();
    const called = `${octet * 1000 + 2}`;
    const a = await Client.open(nodes[0]!, 'a', { keepLog: false });
    const b = await Client.open(nodes[1]!, 'b', { keepLog: false });
    await b.listen(called);
    const dataVc = workload === 'data' ? (await a.call(called)).vc : undefined;
    const round = async (): Promise<{ ms: number; cpuUs: number }> => {
      if (dataVc !== undefined) {
        const cpu = process.cpuUsage();
        const perSecond = await vcStream(a, dataVc, [b], 2, 64);
        const used = process.cpuUsage(cpu);
        const frames = perSecond * 2;
        return { ms: (n / perSecond) * 1000, cpuUs: (used.user + used.system) / frames };
      }
      if (workload === 'parties') {
        const r = await partyRun(a, called, n);
        return { ms: r.totalMs, cpuUs: (r.cpuMs * 1000) / n };
      }
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      await callCycles(a, b, called, { count: n });
      const used = process.cpuUsage(cpu);
      return { ms: performance.now() - t0, cpuUs: (used.user + used.system) / n };
    };
    // warm-up: the first rounds compile and grow the tables
    await round();
    await round();
    return { tree, run: round, close: () => tl.close() };
  } catch (e) {
    await tl.close();
    throw e;
  }
}

const [workload, baseTree, headTree, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 10);
if ((workload !== 'parties' && workload !== 'cycles' && workload !== 'data') || !baseTree || !headTree || !(Number.isInteger(rounds) && rounds > 0)) {
  console.error('usage: ab-inproc parties|cycles|data BASE_TREE HEAD_TREE [rounds=10] (both trees built: dist/ in each)');
  process.exit(2);
}

const sides: Side[] = [];
const ms: number[][] = [[], []];
const cpu: number[][] = [[], []];
try {
  sides.push(await open(workload, baseTree, 6));
  sides.push(await open(workload, headTree, 7));
  for (let r = 0; r < rounds; r++) {
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const x = await sides[i]!.run();
      ms[i]!.push(x.ms);
      cpu[i]!.push(x.cpuUs);
    }
  }
} finally {
  for (const s of sides) await s.close().catch(() => {});
}
const median = (xs: number[]) => percentile(xs, 50);
const unit = UNIT[workload];
const per = { parties: '10,000 parties a round', cycles: '5,000 cycles a round', data: 'ms per 100,000 frames' }[workload];
for (const [i, label] of ['base', 'head'].entries()) {
  console.log(
    `${label} (${sides[i]!.tree}): ${per}, median ${median(ms[i]!).toFixed(0)} ms, ` +
      `CPU per ${unit} median ${median(cpu[i]!).toFixed(1)} us; rounds ${ms[i]!.map((x) => x.toFixed(0)).join(' ')} ms`,
  );
}
console.log(`head / base: median time ${(median(ms[1]!) / median(ms[0]!)).toFixed(3)}, median CPU ${(median(cpu[1]!) / median(cpu[0]!)).toFixed(3)}`);
