/**
 * The soak's short form (the long one: `npm run soak -- --minutes 10`,
 * src/faults/soak.ts): six hosts in namespaces, three on the segment and
 * three on the ports of an ATM switch (condisd with role: switch), 60 call
 * slots churning point-to-point and multipoint calls (the switch hosts' all
 * through the switch) with add/drop party and close data for
 * about 45 s under 10% loss and 10% reordering on every link, one uplink
 * bounced for 3 s and one daemon SIGKILLed and restarted along the way.
 * Nothing may crash, close data of undisturbed calls arrives exactly once
 * (and nowhere twice, and nothing arrives that was not sent), every cycle
 * ends in a known state and every daemon drains to no call, party or VC;
 * the RSS ceiling does not rise grossly, and every daemon's heap after a full
 * GC (heap snapshots before the churn and after the drain) stays within the
 * soak's default bound.
 */
import { rootTest } from '../helpers/root.js';
import { formatSoak, runSoak, SOAK_DEFAULTS } from '../../src/faults/soak.js';

rootTest('soak, short form: churn under loss and reordering with a bounce and a restart; close data exactly once, nothing left, no crash', async (t) => {
  t.timeout(10 * 60_000);
  // 45 s cannot tell a slow leak from V8 growing its heap (single samples swing by tens of MiB): only a gross
  // rise of the RSS ceiling fails here; the long run (npm run soak) judges memory at its default bound
  const r = await runSoak({ ...SOAK_DEFAULTS, hosts: 6, switchHosts: 3, calls: 60, durationMs: 45_000, holdMs: [500, 3000], rssBound: 64 * 1048576, log: (l) => t.log(l) });
  t.log(formatSoak(r));
  t.deepEqual(r.crashed, [], 'no daemon died');
  t.deepEqual(r.leftBehind, [], 'every daemon drained');
  t.truthy(r.events.bounce, 'an uplink was bounced');
  t.truthy(r.events.restart, 'a daemon was killed and restarted');
  t.true(r.throughSwitch!.completed > 20, `cycles through the switch: ${JSON.stringify(r.throughSwitch)}`);
  t.deepEqual(Object.keys(r.heap!.endMiB).sort(), ['h1', 'h2', 'h3', 's1', 's2', 's3', 'sw1'], 'the heap of every daemon, the switch included, after the drain');
  t.deepEqual(Object.keys(r.heap!.startMiB).sort(), ['h1', 'h2', 's1', 's2', 's3', 'sw1'], 'and before the churn (the restarted daemon has no baseline)');
  for (const [h, v] of Object.entries(r.heap!.endMiB)) t.true(v > 1 && v < r.rss.afterRunMiB[h]!, `${h}: heap ${v} MiB is a heap figure (below its RSS)`);
  t.true(r.outcomes.completed > 60, `cycles completed: ${r.outcomes.completed}`);
  t.is(r.outcomes['control-error'], 0, 'every cycle ended in a known state');
  t.true(r.closeData.sentUndisturbed > 0);
  t.is(r.closeData.missingUndisturbed, 0, 'close data of undisturbed calls all arrived');
  t.is(r.closeData.duplicated, 0, 'no close data arrived twice');
  t.is(r.closeData.unknown, 0, 'no close data arrived that was not sent');
  t.true(r.relay.lost > 0 || r.impairment === 'netem', 'frames were lost on the way');
  t.deepEqual(r.failures, []);
  t.true(r.ok);
});
