/**
 * A peer that dies while its link is idle: how long until SSCOP notices it
 * (Q.2110: Timer_IDLE runs out, a POLL goes out, Timer_NO_RESPONSE runs out
 * without a STAT). Two whole nodes over the memory miniport in virtual time;
 * the peer's frames stop at many moments of the keep-alive/idle cycle, and the
 * longest time to "link down" is checked against the timers: at the Q.2110
 * defaults, and at the lab's defaults (src/demo/daemons.ts LAB_SSCOP_TIMERS),
 * which must notice within 3 s (docs/robustness.md).
 */
import test from 'ava';
import { CondisNode } from '../../src/host/node.js';
import { openMemorySync } from '../../src/miniport/index.js';
import { DEFAULT_SSCOP_PARAMS, type SscopParams } from '../../src/sscop/index.js';
import { sscopParamsFromConfig } from '../../src/host/from-config.js';
import { parseConfig } from '../../src/config/index.js';
import { LAB_SSCOP_TIMERS } from '../../src/demo/daemons.js';
import { Clock } from '../uni/helpers.js';
import { nodeOptions } from '../helpers/nodes.js';

const A = '02:00:00:00:00:01';
const B = '02:00:00:00:00:02';
let hubs = 0;

/** ms from the peer's last frame to our link going down, the peer going silent `offset` ms after the link came up */
function detection(sscop: Partial<SscopParams>, offset: number): number {
  const clock = new Clock();
  const hub = `idle-${process.pid}-${hubs++}`;
  const discovery = { enabled: false, intervalMs: 1000, holdTimeMs: 3500 };
  const mpA = openMemorySync({ kind: 'memory', hub, mac: A, scheduler: clock.scheduler });
  const mpB = openMemorySync({ kind: 'memory', hub, mac: B, scheduler: clock.scheduler });
  const a = new CondisNode(nodeOptions('a', mpA, '1001', { scheduler: clock.scheduler, discovery, sscop, peers: [{ mac: B, addresses: ['1002'] }] }));
  const b = new CondisNode(nodeOptions('b', mpB, '1002', { scheduler: clock.scheduler, discovery, sscop, peers: [{ mac: A, addresses: ['1001'] }] }));
  let lastFromB = 0;
  let downAt: number | undefined;
  mpA.frames$.subscribe(() => (lastFromB = clock.now));
  clock.advance(100);
  const link = a.peerList()[0]!.link!;
  if (!link.established) throw new Error('link did not come up');
  link.signals$.subscribe((s) => {
    if (s.kind === 'release-indication' && downAt === undefined) downAt = clock.now;
  });
  clock.advance(offset);
  // b dies without a word: it stops; nothing of it reaches a any more
  void mpB.close();
  clock.advance(120_000);
  void a.shutdown(0);
  void b.shutdown(0);
  if (downAt === undefined) throw new Error('the dead peer was never noticed');
  return downAt - lastFromB;
}

function worst(sscop: Partial<SscopParams>, span: number, step: number): number {
  let max = 0;
  for (let off = 0; off <= span; off += step) max = Math.max(max, detection(sscop, off));
  return max;
}

test('at the Q.2110 defaults an idle dead peer is noticed after Timer_IDLE + Timer_NO_RESPONSE at most', (t) => {
  const p = DEFAULT_SSCOP_PARAMS;
  const w = worst({}, p.timerKeepAlive + p.timerIdle + p.timerNoResponse, 250);
  t.log(`worst ${w} ms`);
  t.true(w <= p.timerIdle + p.timerNoResponse, `worst ${w} ms`);
  t.true(w > p.timerIdle, `an idle link is polled only when Timer_IDLE runs out (worst ${w} ms)`);
});

test("the lab's default timers notice an idle dead peer within 3 s", (t) => {
  const cfg = parseConfig(`addresses: ["1001"]\nminiport: { kind: memory, hub: h, mac: "${A}" }\ntimers: ${JSON.stringify(LAB_SSCOP_TIMERS)}\n`, 'lab.yaml');
  const sscop = sscopParamsFromConfig(cfg);
  const w = worst(sscop, 6000, 50);
  t.log(`worst ${w} ms`);
  t.true(w <= 3000, `worst ${w} ms`);
});
