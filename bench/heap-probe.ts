/**
 * The two heap figures of `npm run bench` (heap per idle VC, heap per party),
 * measured the way bench/stack.ts measures them but without the rest of the
 * bench, on two in-memory hosts (the bench weighs parties over TAP; the
 * records per party are the same). Not a benchmark: a probe for work on
 * memory, with heap snapshots of what the records hold.
 *
 *   npm run build && node --expose-gc dist/bench/heap-probe.js [--parties N] [--vcs N] [--snapshot DIR]
 *   node dist/bench/heap-summary.js DIR/parties-before.heapsnapshot DIR/parties-after.heapsnapshot
 *
 * With --snapshot it writes a heap snapshot before and after each measure
 * (vcs-before/after, parties-before/after), for heap-summary.ts to compare.
 */
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { CondisNode } from '../src/host/node.js';
import { benchNodeOptions } from './node-options.js';
import { conditionWaits } from './condition-waits.js';
import { Client } from '../src/host/driver.js';
import { openMemorySync } from '../src/miniport/index.js';
import { NdisStatus, q2931CallParameters, type NdisPartyHandle, type NdisVcHandle } from '../src/ndis/index.js';

const S = NdisStatus;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('heap-probe: run node with --expose-gc');
  g();
  g();
}

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const nParties = Number(arg('--parties') ?? 10_000);
const nVcs = Number(arg('--vcs') ?? 10_000);
const snapDir = arg('--snapshot');
const snap = (name: string): void => {
  if (snapDir) writeHeapSnapshot(join(snapDir, `${name}.heapsnapshot`));
};

const hub = `heap-probe-${process.pid}`;
const ma = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:01' });
const mb = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:02' });
const a = new CondisNode(benchNodeOptions('a', ma, '1001', [{ mac: mb.mac, addresses: ['1002'] }]));
const b = new CondisNode(benchNodeOptions('b', mb, '1002', [{ mac: ma.mac, addresses: ['1001'] }]));
const deadline = Date.now() + 20_000;
while (!a.peerList().some((p) => p.link?.established) || !b.peerList().some((p) => p.link?.established)) {
  if (Date.now() > deadline) throw new Error('heap-probe: links did not come up');
  await new Promise((r) => setTimeout(r, 10));
}
const root = await Client.open(a, 'root', { keepLog: false });
const leaf = await Client.open(b, 'leaf', { keepLog: false });
await leaf.listen('1002');

// a few calls and parties first, so that what is made once (JIT, shapes, pools) is not weighed
for (let i = 0; i < 20; i++) {
  const { vc } = await root.call('1002');
  const closed = root.next('ProtocolClCloseCallComplete', (x) => x.vcHandle === vc);
  if (root.cl.NdisClCloseCall(vc) === S.PENDING) await closed;
  root.cl.NdisCoDeleteVc(vc);
}

// heap per idle VC: client VCs with no call (as bench/stack.ts)
gc();
snap('vcs-before');
const heapV0 = process.memoryUsage().heapUsed;
const vcs: NdisVcHandle[] = [];
for (let i = 0; i < nVcs; i++) vcs.push(root.cl.NdisCoCreateVc(root.af, i).vcHandle!);
gc();
const perVc = (process.memoryUsage().heapUsed - heapV0) / nVcs;
snap('vcs-after');
for (const v of vcs) root.cl.NdisCoDeleteVc(v);
vcs.length = 0;

/** one multipoint call, `n` more parties to the leaf host's address, weighed, all dropped, the call closed (as bench/stack.ts partyRun) */
async function partyRun(n: number, weigh: boolean): Promise<number> {
  const cl = root.cl;
  const { vc, party: first } = await root.call('1002', true);
  let added = 0;
  let failed = 0;
  let dropped = 0;
  const { wake, until } = conditionWaits();
  const sub = cl.indications$.subscribe((i) => {
    if (i.kind === 'ProtocolClAddPartyComplete') {
      if (i.status === S.SUCCESS) added++;
      else failed++;
      wake();
    } else if (i.kind === 'ProtocolClDropPartyComplete') {
      dropped++;
      wake();
    }
  });
  gc();
  if (weigh) snap('parties-before');
  const heap0 = process.memoryUsage().heapUsed;
  const parties: NdisPartyHandle[] = [];
  for (let k = 0; k < n; k++) {
    if (k - added - failed >= 1000) await until(() => k - added - failed < 1000);
    const r = cl.NdisClAddParty(vc, k, q2931CallParameters('1002'));
    if (r.status === S.SUCCESS) added++;
    else if (r.status !== S.PENDING) throw new Error(`heap-probe: add party ${k}: status ${r.status}`);
    parties.push(r.partyHandle!);
  }
  await until(() => added + failed >= n);
  if (failed) throw new Error(`heap-probe: ${failed} of ${n} parties not added`);
  gc();
  const perParty = (process.memoryUsage().heapUsed - heap0) / n;
  if (weigh) snap('parties-after');
  for (const h of parties) {
    const st = cl.NdisClDropParty(h);
    if (st === S.SUCCESS) dropped++;
    else if (st !== S.PENDING) throw new Error(`heap-probe: drop party: status ${st}`);
  }
  await until(() => dropped >= n);
  const closed = root.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc);
  const st = cl.NdisClCloseCall(vc, first);
  if (st === S.PENDING) await closed;
  if (cl.NdisCoDeleteVc(vc) !== S.SUCCESS) throw new Error('heap-probe: VC of the multipoint call not deleted');
  sub.unsubscribe();
  return perParty;
}

await partyRun(Math.min(1000, nParties), false); // warm-up
const perParty = await partyRun(nParties, true);

console.log(`heap per idle VC (${nVcs.toLocaleString('en')} VCs): ${perVc.toFixed(0)} B`);
console.log(`heap per party (${nParties.toLocaleString('en')} parties, root and leaf host, in memory): ${perParty.toFixed(0)} B`);
await Promise.all([a.shutdown(500), b.shutdown(500)]);
process.exit(0);
