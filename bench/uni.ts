/**
 * uni/ call and party control in memory: two UniHosts over a perfect
 * in-memory SAAL pair (messages go through the real codec), no wire.
 *
 * - point-to-point SETUP .. CONNECT ACK + RELEASE .. RELEASE COMPLETE cycles per second
 *   (baseline: encode + decode of the same SETUP, per second)
 * - one multipoint call: add 1,000 and 10,000 parties on the same link (ADD PARTY), then drop
 *   them all; the 10k/1k time ratio shows whether cost per party stays flat (linear ~10)
 */
import { asyncScheduler } from 'rxjs';
import { LoopbackPump, loopbackSaalPair } from '../src/sscop/loopback.js';
import { createCallControl } from '../src/callcontrol/index.js';
import type { UniHost, UniIndication } from '../src/uni/api.js';
import { decodeMessage, encodeMessage, MsgType, IeId } from '../src/uni/msg/index.js';
import type { BenchFigure } from './run.js';

const MAC_A = '02:00:00:00:00:01';
const MAC_B = '02:00:00:00:00:02';

/**
 * CPU milliseconds of this process (user + system): on a machine shared with
 * other work, wall-clock time includes the time we were not running at all.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function pair(): { a: UniHost; b: UniHost; pump: LoopbackPump; ia: UniIndication[] } {
  // deliveries wait in one queue drained by pump.run(): no recursion, no timers
  const pump = new LoopbackPump();
  const [sa, sb] = loopbackSaalPair(pump, { delay: 0, copy: false });
  const own = Array.from({ length: 1 }, () => '2002');
  const a = createCallControl({ resolve: () => MAC_B, ownAddresses: ['1001'], scheduler: asyncScheduler });
  const b = createCallControl({ resolve: () => MAC_A, ownAddresses: own, scheduler: asyncScheduler, limits: { partiesPerCall: 32_768 } });
  a.attachLink(MAC_B, sa, 'network');
  b.attachLink(MAC_A, sb, 'user');
  b.indications$.subscribe((i) => {
    if (i.kind === 'setup') b.accept(i.call);
  });
  const ia: UniIndication[] = [];
  a.indications$.subscribe((i) => ia.push(i));
  return { a, b, pump, ia };
}

function p2pCycles(n: number, background = 0): number {
  const { a, b, pump } = pair();
  // calls that stay up meanwhile: the cost of a cycle must not depend on them
  for (let i = 0; i < background; i++) {
    if (!a.setup({ called: '2002', multipoint: false }).ok) throw new Error('background setup');
    if ((i & 255) === 255) pump.run();
  }
  pump.run();
  const t0 = cpuMs();
  for (let i = 0; i < n; i++) {
    const r = a.setup({ called: '2002', multipoint: false });
    if (!r.ok) throw new Error(r.error.message);
    pump.run();
    a.release(r.value.call);
    pump.run();
  }
  const s = (cpuMs() - t0) / 1000;
  if (a.counters().calls !== background || b.counters().calls !== background) throw new Error('calls left over');
  a.dispose();
  b.dispose();
  return n / s;
}

function codecBaseline(n: number): number {
  const setup = encodeMessage({
    type: MsgType.SETUP,
    callRef: 1,
    callRefFlag: false,
    ies: [
      { id: IeId.AAL_PARAMETERS, aalType: 5, fwdMaxSdu: 1484, bwdMaxSdu: 1484, sscsType: 0 },
      { id: IeId.ATM_TRAFFIC_DESCRIPTOR, fields: [{ id: 0x84, value: 353207 }, { id: 0x85, value: 353207 }], bestEffort: true },
      { id: IeId.BROADBAND_BEARER_CAPABILITY, bearerClass: 0x10, transferCapability: 10, clipping: 0, userPlane: 0 },
      { id: IeId.CALLED_PARTY_NUMBER, typeOfNumber: 1, plan: 1, address: Buffer.from('2002') },
      { id: IeId.QOS_PARAMETER, forwardClass: 0, backwardClass: 0 },
    ],
  });
  const t0 = cpuMs();
  for (let i = 0; i < n; i++) {
    const d = decodeMessage(setup);
    if (d.ok) encodeMessage(d.value);
  }
  return n / ((cpuMs() - t0) / 1000);
}

/** add n parties to one call on one link, then drop them all; milliseconds */
export function parties(n: number): number {
  const { a, b, pump, ia } = pair();
  const r = a.setup({ called: '2002', multipoint: true });
  if (!r.ok) throw new Error(r.error.message);
  pump.run();
  const t0 = cpuMs();
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = a.addParty(r.value.call, { called: '2002' });
    if (!p.ok) throw new Error(p.error.message);
    ids.push(p.value);
    if ((i & 63) === 63) pump.run();
  }
  pump.run();
  for (const id of ids) {
    const d = a.dropParty(r.value.call, id);
    if (!d.ok) throw new Error(d.error.message);
    if ((id & 63) === 63) pump.run();
  }
  pump.run();
  const ms = cpuMs() - t0;
  const added = ia.filter((i) => i.kind === 'party-added').length;
  if (added !== n) throw new Error(`only ${added} of ${n} parties added`);
  if (a.counters().parties !== 1 || b.counters().parties !== 1 || a.counters().timers !== 0) throw new Error('parties or timers left over');
  a.release(r.value.call);
  pump.run();
  a.dispose();
  b.dispose();
  return ms;
}

export async function benchUni(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const cycles = opts.quick ? 2_000 : 20_000;
  p2pCycles(cycles); // warm up (JIT)
  const cps = p2pCycles(cycles);
  const cpsLoaded = p2pCycles(cycles, opts.quick ? 10_000 : 30_000);
  const base = codecBaseline(cycles);
  parties(1_000); // warm up (JIT)
  parties(10_000);
  // best of several: the machine is shared, the minimum is the figure least disturbed by others
  const best = (n: number, k: number) => Math.min(...Array.from({ length: k }, () => parties(n)));
  const t1k = best(1_000, opts.quick ? 5 : 10);
  const t10k = best(10_000, opts.quick ? 2 : 5);
  return [
    { name: 'p2p call setup+release cycles (2 hosts, in memory)', value: cps, unit: 'cycles/CPU-s', baseline: base, baselineName: 'SETUP decode+encode/s' },
    {
      name: `p2p cycles with ${opts.quick ? '10,000' : '30,000'} other calls up on the link`,
      value: cpsLoaded,
      unit: 'cycles/CPU-s',
      baseline: cps,
      baselineName: 'cycles/CPU-s with no other calls',
    },
    { name: 'add+drop 1,000 parties, one call, one link', value: t1k, unit: 'CPU ms' },
    { name: 'add+drop 10,000 parties, one call, one link', value: t10k, unit: 'CPU ms', baseline: t1k, baselineName: '1,000 parties CPU ms' },
    { name: '10k/1k party time ratio (linear = 10)', value: t10k / t1k, unit: 'x' },
  ];
}
