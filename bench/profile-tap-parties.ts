/**
 * Parties added to and dropped from one CoNDIS multipoint call over real TAP
 * devices, on the four-host lab the bench uses, for a CPU profile of what a
 * party costs (not a benchmark: `npm run bench -- --only stack` gives the
 * figure). Root only (namespaces, TAP devices):
 *
 *   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile-tap-parties.js [parties] [rounds]
 *   node dist/bench/profile-top.js /tmp/prof/*.cpuprofile [15]
 *
 * h1 roots a call to h2 and adds `parties` (default 10,000) more parties on
 * h2, at most 1,000 outstanding, drops them all and closes the call, `rounds`
 * times (default 3) after a warm-up of 1,000; it prints each round's times,
 * the CPU per party (all hosts: they share this process) and the frames per
 * party each host sent and received.
 */
import { Client } from '../src/host/driver.js';
import { partyRun } from './stack.js';
import { benchTapLab } from './tap-lab.js';

const [n, rounds] = process.argv.slice(2).filter((a) => !a.startsWith('--')).map(Number) as [number?, number?];
const parties = n ?? 10_000;
const tl = await benchTapLab('prof', 8, 8000);
const lab = tl.lab;
try {
  const nodes = await tl.startNodes();
  const root = await Client.open(nodes[0]!, 'root', { keepLog: false });
  const leaf = await Client.open(nodes[1]!, 'leaf', { keepLog: false });
  await leaf.listen('8002');
  await partyRun(root, '8002', 1_000);
  for (let r = 0; r < (rounds ?? 3); r++) {
    const c0 = nodes.map((x) => x.counters());
    const run = await partyRun(root, '8002', parties);
    const per = (now: number, then: number) => ((now - then) / parties).toFixed(2);
    const frames = nodes
      .slice(0, 2)
      .map((x, i) => {
        const c = x.counters();
        return `${lab.hosts[i]!.name} out ${per(c.framesOut, c0[i]!.framesOut)} in ${per(c.framesIn, c0[i]!.framesIn)}`;
      })
      .join(', ');
    console.log(
      `${parties} parties: add ${run.addMs.toFixed(0)} ms, drop ${run.dropMs.toFixed(0)} ms, all ${run.totalMs.toFixed(0)} ms; ` +
        `CPU ${((run.cpuMs * 1000) / parties).toFixed(1)} us per party; frames per party: ${frames}`,
    );
  }
} finally {
  await tl.close();
}
