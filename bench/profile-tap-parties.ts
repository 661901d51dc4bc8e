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
import { CondisNode } from '../src/host/node.js';
import { benchNodeOptions } from './node-options.js';
import { Client } from '../src/host/driver.js';
import { openMiniport } from '../src/miniport/index.js';
import type { Miniport } from '../src/miniport/types.js';
import { labUp } from '../src/lab/lab.js';
import { topologyFrom } from '../src/lab/topology.js';
import { uniqueName } from '../src/lab/netns.js';
import { linksUp, partyRun } from './stack.js';

const [n, rounds] = process.argv.slice(2).filter((a) => !a.startsWith('--')).map(Number) as [number?, number?];
const parties = n ?? 10_000;
const name = uniqueName('prof');
const hosts = [1, 2, 3, 4].map((i) => ({ name: `h${i}`, mac: `02:00:00:00:08:0${i}`, address: `${8000 + i}` }));
const lab = await labUp(topologyFrom({ name, segment: { kind: 'bridged' }, hosts }, name));
const nodes: CondisNode[] = [];
const miniports: Miniport[] = [];
try {
  for (const h of lab.hosts) miniports.push(await openMiniport({ kind: 'tap', device: 'tap0', netns: h.nsName, mac: h.mac, bridge: 'br0' }));
  lab.hosts.forEach((h, i) =>
    nodes.push(
      new CondisNode(benchNodeOptions(h.name, miniports[i]!, h.address, lab.hosts.filter((o) => o !== h).map((o) => ({ mac: o.mac, addresses: [o.address] })))),
    ),
  );
  await linksUp(nodes);
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
  for (const x of nodes) await x.shutdown(0).catch(() => {});
  for (const m of miniports) await m.close().catch(() => {});
  await lab.down();
}
