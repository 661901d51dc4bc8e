/**
 * Point-to-point call cycles over real TAP devices, for a CPU profile of one
 * cycle on the four-host lab the bench uses (not a benchmark: `npm run bench`
 * gives the figures). Root only (namespaces, TAP devices):
 *
 *   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile-tap-cycles.js [seconds]
 *   node dist/bench/profile-top.js /tmp/prof/*.cpuprofile [15]
 *
 * Four hosts on one bridged segment (two idle, as in the bench); h1 calls h2
 * for `seconds` (default 6) after 200 warm-up cycles, and prints cycles/s and
 * CPU time per cycle (all hosts: they share this process).
 */
import { performance } from 'node:perf_hooks';
import { CondisNode } from '../src/host/node.js';
import { benchNodeOptions } from './node-options.js';
import { Client } from '../src/host/driver.js';
import { openMiniport } from '../src/miniport/index.js';
import type { Miniport } from '../src/miniport/types.js';
import { NdisStatus } from '../src/ndis/index.js';
import { labUp } from '../src/lab/lab.js';
import { topologyFrom } from '../src/lab/topology.js';
import { uniqueName } from '../src/lab/netns.js';

const seconds = Number(process.argv[2] ?? 6);
const name = uniqueName('prof');
const hosts = [1, 2, 3, 4].map((i) => ({ name: `h${i}`, mac: `02:00:00:00:07:0${i}`, address: `${7000 + i}` }));
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
  const linked = () => nodes.every((a) => nodes.every((b) => a === b || a.peerList().some((p) => p.mac === b.mac && p.link?.established)));
  for (const until = Date.now() + 20_000; !linked(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > until) throw new Error('signalling links did not come up');
  const caller = await Client.open(nodes[0]!, 'caller', { keepLog: false });
  const callee = await Client.open(nodes[1]!, 'callee', { keepLog: false });
  await callee.listen('7002');
  const cycle = async (): Promise<void> => {
    const connected = callee.next('ProtocolClCallConnected');
    const { vc } = await caller.call('7002');
    await connected;
    const closed = caller.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc);
    if (caller.cl.NdisClCloseCall(vc) === NdisStatus.PENDING) await closed;
    caller.cl.NdisCoDeleteVc(vc);
  };
  for (let i = 0; i < 200; i++) await cycle();
  const c0 = nodes.map((x) => x.counters());
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await cycle();
    n++;
  }
  const used = process.cpuUsage(cpu);
  console.log(`${n} cycles: ${(n / seconds).toFixed(0)} cycles/s, ${((used.user + used.system) / n).toFixed(0)} us CPU per cycle (all hosts)`);
  const perCycle = (now: number, then: number) => ((now - then) / n).toFixed(2);
  const frames = nodes.map((x, i) => {
    const c = x.counters();
    return `${lab.hosts[i]!.name}: out ${perCycle(c.framesOut, c0[i]!.framesOut)} in ${perCycle(c.framesIn, c0[i]!.framesIn)}`;
  });
  console.log(`frames per cycle: ${frames.join(', ')}`);
} finally {
  for (const n of nodes) await n.shutdown(0).catch(() => {});
  // the miniports are ours, not the nodes': their TAP readers would keep the process (and its profile) alive
  for (const m of miniports) await m.close().catch(() => {});
  await lab.down();
}
