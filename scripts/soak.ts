/**
 * `npm run soak -- [--minutes 10] [--hosts 8] [--switch-hosts 3] [--calls 1000] [--loss 10] [--reorder 10] [--seed 1] [--json FILE]`:
 * the long soak (src/faults/soak.ts): condisd in every host of a lab in
 * namespaces, `--switch-hosts` of them behind an ATM switch (condisd with
 * role: switch), `--calls` slots churning calls (point-to-point and multipoint,
 * add and drop party with close data, close with close data) under loss and
 * reordering on every link, one uplink bounced and one daemon killed and
 * restarted along the way. Needs root (namespaces, TAP devices). Prints
 * progress and the figures docs/robustness.md quotes; exit 1 when a check
 * fails (a daemon died, close data lost or duplicated on an undisturbed
 * call, a call left behind, RSS growth past --rss-bound MiB, a daemon's heap
 * after a full GC grown past --heap-bound MiB from before the churn to after the drain).
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { formatSoak, runSoak, SOAK_DEFAULTS } from '../src/faults/soak.js';

const num = (what: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${what} must be a number from ${min} to ${max}, got "${v}"`);
  return n;
};

const program = new Command('soak')
  .description('long run of calls with churn under loss and reordering, one link bounced, one daemon restarted')
  .option('--minutes <n>', 'length of the churn', num('--minutes', 0.25, 24 * 60), SOAK_DEFAULTS.durationMs / 60_000)
  .option('--hosts <n>', 'hosts in the lab (on the segment and on the switch)', num('--hosts', 3, 32), SOAK_DEFAULTS.hosts)
  .option('--switch-hosts <n>', 'how many of them are on ports of the ATM switch sw1 (0: no switch)', num('--switch-hosts', 0, 29), SOAK_DEFAULTS.switchHosts)
  .option('--calls <n>', 'call slots churning at once', num('--calls', 1, 10_000), SOAK_DEFAULTS.calls)
  .option('--loss <pct>', 'percent of frames lost on every link', num('--loss', 0, 50), SOAK_DEFAULTS.lossPct)
  .option('--reorder <pct>', 'percent of frames sent out of order', num('--reorder', 0, 100), SOAK_DEFAULTS.reorderPct)
  .option('--rss-bound <mib>', 'allowed RSS growth per daemon over the run', num('--rss-bound', 1, 4096), SOAK_DEFAULTS.rssBound / 1048576)
  .option('--heap-bound <mib>', "allowed rise of a daemon's heap after a full GC, before the churn to after the drain", num('--heap-bound', 0.1, 4096), SOAK_DEFAULTS.heapBound / 1048576)
  .option('--no-heap', 'skip the heap snapshots (heap after a full GC) before the churn and after the drain')
  .option('--seed <n>', 'seed of the choices and the impairment', num('--seed', 0, 2 ** 31), SOAK_DEFAULTS.seed)
  .option('--json <file>', 'also write the whole report as JSON')
  .parse();
const o = program.opts<{ minutes: number; hosts: number; switchHosts: number; calls: number; loss: number; reorder: number; rssBound: number; heapBound: number; heap: boolean; seed: number; json?: string }>();

const report = await runSoak({
  ...SOAK_DEFAULTS,
  hosts: o.hosts,
  switchHosts: o.switchHosts,
  heap: o.heap,
  heapBound: o.heapBound * 1048576,
  calls: o.calls,
  durationMs: Math.round(o.minutes * 60_000),
  lossPct: o.loss,
  reorderPct: o.reorder,
  rssBound: o.rssBound * 1048576,
  seed: o.seed,
  log: (l) => console.log(l),
});
console.log(formatSoak(report));
if (o.json) writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
process.exit(report.ok ? 0 : 1);
