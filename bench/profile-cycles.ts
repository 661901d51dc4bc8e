/**
 * Call cycles between two in-memory hosts, for a CPU profile of one cycle
 * (not a benchmark: `npm run bench` gives the figures):
 *
 *   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile-cycles.js [cycles]
 *   node dist/bench/profile-top.js /tmp/prof/*.cpuprofile [15]
 *
 * Runs `cycles` (default 20,000) make-call/connected/close/delete cycles
 * after a warm-up of 500, and prints cycles/s and CPU time per cycle.
 * `--parallel P`: P call loops at once (the callee is then not waited on);
 * `--rounds R`: the measured cycles R times over, a line each.
 *
 * With `--alloc`, it samples every allocation of the measured cycles instead
 * (also what a scavenge collects at once: that is most of what a cycle
 * allocates) and prints the bytes allocated per cycle by function, the
 * heaviest first; the GC share of a CPU profile comes from these.
 *
 * With `--alloc --survivors`, only what outlived a scavenge (was promoted, or
 * allocated in the old generation at once): what the major collector has to
 * take back. Nothing a cycle makes should be there; when V8 pretenures an
 * allocation site or a hash table chains its successors (docs/architecture.md,
 * "Garbage"), this list shows it and what it drags along. Add `--after-major`
 * to force a major collection before the measured cycles: the chains start
 * only after one.
 */
import { performance } from 'node:perf_hooks';
import { CondisNode } from '../src/host/node.js';
import { benchNodeOptions } from './node-options.js';
import { collectAll, sampleAllocations, sampledBytes, type SampledNode } from './gc-cost.js';
import { Client } from '../src/host/driver.js';
import { openMemorySync } from '../src/miniport/index.js';
import { NdisStatus } from '../src/ndis/index.js';

const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  const v = at < 0 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`profile-cycles: ${name} takes a whole number from 1 up, not ${process.argv[at + 1]}`);
  return v;
};
const parallel = option('--parallel', 1);
const rounds = option('--rounds', 1);

/** `n` call cycles, `parallel` loops at once */
async function cycles(caller: Client, callee: Client, n: number): Promise<void> {
  if (parallel === 1) return oneLoop(caller, callee, n);
  let started = 0;
  const loop = async (): Promise<void> => {
    while (started < n) {
      started++;
      const { vc } = await caller.call('1002');
      const closed = caller.next('ProtocolClCloseCallComplete', (x) => x.vcHandle === vc);
      if (caller.cl.NdisClCloseCall(vc) === NdisStatus.PENDING) await closed;
      caller.cl.NdisCoDeleteVc(vc);
    }
  };
  await Promise.all(Array.from({ length: parallel }, loop));
}

async function oneLoop(caller: Client, callee: Client, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const connected = callee.next('ProtocolClCallConnected');
    const { vc } = await caller.call('1002');
    await connected;
    const closed = caller.next('ProtocolClCloseCallComplete', (x) => x.vcHandle === vc);
    if (caller.cl.NdisClCloseCall(vc) === NdisStatus.PENDING) await closed;
    caller.cl.NdisCoDeleteVc(vc);
  }
}

const alloc = process.argv.includes('--alloc');
const survivorsOnly = process.argv.includes('--survivors');
const n = Number(process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && !['--parallel', '--rounds'].includes(all[i - 1]!)) ?? 20_000);
const hub = `profile-${process.pid}`;
const ma = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:01' });
const mb = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:02' });
const a = new CondisNode(benchNodeOptions('a', ma, '1001', [{ mac: mb.mac, addresses: ['1002'] }]));
const b = new CondisNode(benchNodeOptions('b', mb, '1002', [{ mac: ma.mac, addresses: ['1001'] }]));
const deadline = Date.now() + 20_000;
while (!a.peerList().some((p) => p.link?.established) || !b.peerList().some((p) => p.link?.established)) {
  if (Date.now() > deadline) throw new Error('profile: links did not come up');
  await new Promise((r) => setTimeout(r, 10));
}
const caller = await Client.open(a, 'caller', { keepLog: false });
const callee = await Client.open(b, 'callee', { keepLog: false });
await callee.listen('1002');
await cycles(caller, callee, 500);
if (process.argv.includes('--after-major')) collectAll();
if (alloc) await allocations(n);
else {
  for (let r = 0; r < rounds; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await cycles(caller, callee, n);
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    console.log(`${n} cycles${parallel > 1 ? ` (${parallel} loops)` : ''}: ${(n / secs).toFixed(0)} cycles/s, ${((cpu.user + cpu.system) / n).toFixed(1)} us CPU per cycle (both hosts)`);
  }
}
await Promise.all([a.shutdown(500), b.shutdown(500)]);
process.exit(0);

/** the measured cycles under V8's sampling heap profiler; bytes per cycle by allocating function */
async function allocations(cycleCount: number): Promise<void> {
  const head = await sampleAllocations(() => cycles(caller, callee, cycleCount), { survivorsOnly });
  const bytes = new Map<string, number>();
  const name = (f: SampledNode['callFrame']): string => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '')}:${f.lineNumber + 1}`;
  // a built-in (no script: an iterator's next, a Map growing) is named with the function that called it
  const walk = (node: SampledNode, caller: string): void => {
    const here = name(node.callFrame);
    const where = node.callFrame.url ? here : `${here} <- ${caller}`;
    bytes.set(where, (bytes.get(where) ?? 0) + node.selfSize);
    for (const c of node.children) walk(c, node.callFrame.url ? here : caller);
  };
  walk(head, '(root)');
  const total = sampledBytes(head);
  console.log(`${cycleCount} cycles: about ${(total / cycleCount / 1024).toFixed(1)} KiB ${survivorsOnly ? 'outlived a scavenge' : 'allocated'} per cycle (both hosts, sampled)\n`);
  console.log('| bytes per cycle | function |\n|---:|---|');
  for (const [where, b] of [...bytes].sort((x, y) => y[1] - x[1]).slice(0, 30)) console.log(`| ${(b / cycleCount).toFixed(0)} | ${where} |`);
}
process.exit(0);
