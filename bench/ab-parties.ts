/**
 * Old against new for the multipoint figure, in one process: two built trees
 * (each with its own `dist/`), a four-host TAP lab for each, and rounds of
 * `parties` parties (add all, drop all, close; bench/stack.ts `partyRun`)
 * alternating between them, the order swapped every round. Root only.
 *
 *   npm run build && node --expose-gc dist/bench/ab-parties.js BASE_TREE HEAD_TREE [rounds=10] [parties=10000]
 *
 * A base tree to compare with: `git worktree add /tmp/base REF`, its
 * `node_modules` a symlink to this tree's and its addon a copy of this one's
 * when `native/` did not change, then `node scripts/build.mjs` in it.
 *
 * Why in one process: on a shared VM, runs in separate processes minutes
 * apart spread by more (±15%) than a change worth a few percent, and
 * `npm run bench:ab` cannot see it. Here both sides take turns within
 * seconds, so the machine's drift weighs on both alike. Both labs live in
 * the same heap, so the absolute figures are higher than `npm run bench`'s:
 * read the ratio. Run it twice with the trees' places swapped.
 */
import { percentile } from './stack.js';

interface Side {
  label: string;
  run(): Promise<{ totalMs: number; cpuMs: number }>;
  close(): Promise<void>;
}

async function open(tree: string, label: string, octet: number, parties: number): Promise<Side> {
  const dist = `${tree.replace(/\/$/, '')}/dist`;
  const { Client } = (await import(`${dist}/src/host/driver.js`)) as typeof import('../src/host/driver.js');
  const { partyRun } = (await import(`${dist}/bench/stack.js`)) as typeof import('./stack.js');
  const { benchTapLab } = (await import(`${dist}/bench/tap-lab.js`)) as typeof import('./tap-lab.js');
  const tl = await benchTapLab(`ab${octet}`, octet, octet * 1000);
  try {
    const nodes = await tl.startNodes();
    const called = `${octet * 1000 + 2}`;
    const root = await Client.open(nodes[0]!, 'root', { keepLog: false });
    const leaf = await Client.open(nodes[1]!, 'leaf', { keepLog: false });
    await leaf.listen(called);
    // warm-up: the first rounds compile and grow the tables
    await partyRun(root, called, 1_000);
    await partyRun(root, called, parties);
    return { label, run: () => partyRun(root, called, parties), close: () => tl.close() };
  } catch (e) {
    await tl.close();
    throw e;
  }
}

const args = process.argv.slice(2);
const [baseTree, headTree] = args;
const rounds = Number(args[2] ?? 10);
const parties = Number(args[3] ?? 10_000);
if (!baseTree || !headTree || !(Number.isInteger(rounds) && rounds > 0) || !(Number.isInteger(parties) && parties > 0)) {
  console.error('usage: ab-parties BASE_TREE HEAD_TREE [rounds=10] [parties=10000] (both trees built: dist/ in each)');
  process.exit(2);
}

const sides: Side[] = [];
const ms: number[][] = [[], []];
const cpu: number[][] = [[], []];
try {
  sides.push(await open(baseTree, 'base', 6, parties));
  sides.push(await open(headTree, 'head', 7, parties));
  for (let r = 0; r < rounds; r++) {
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const x = await sides[i]!.run();
      ms[i]!.push(x.totalMs);
      cpu[i]!.push((x.cpuMs * 1000) / parties);
    }
  }
} finally {
  for (const s of sides) await s.close().catch(() => {});
}
const median = (xs: number[]) => percentile(xs, 50);
for (const i of [0, 1]) {
  console.log(
    `${sides[i]!.label} (${[baseTree, headTree][i]}): ${parties} parties, median ${median(ms[i]!).toFixed(0)} ms, ` +
      `CPU per party median ${median(cpu[i]!).toFixed(1)} us; runs ${ms[i]!.map((x) => x.toFixed(0)).join(' ')} ms`,
  );
}
console.log(`head / base, median time: ${(median(ms[1]!) / median(ms[0]!)).toFixed(3)}`);
