/**
 * Timing loops for CPU-bound micro-benchmarks. The machine is shared, so a
 * subject and its baseline are measured in alternating short windows and each
 * keeps its best window: a burst of load from elsewhere does not land on one
 * side only, and the best window is the least disturbed one.
 */
import { performance } from 'node:perf_hooks';

/** Operations per second of `op`, run in batches for one window of about `ms` milliseconds. */
export function opsPerSecond(ms: number, batch: number, op: () => void): number {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < batch; i++) op();
    n += batch;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

/** The best window of each of `ops`, measured in `rounds` alternating rounds, each after a short warm-up. */
export function bestOf(rounds: number, ms: number, ops: (() => void)[], batch = 500): number[] {
  const best = ops.map(() => 0);
  for (let r = 0; r < rounds; r++)
    for (let i = 0; i < ops.length; i++) {
      opsPerSecond(ms / 5, batch, ops[i]!);
      best[i] = Math.max(best[i]!, opsPerSecond(ms, batch, ops[i]!));
    }
  return best;
}

/** [subject, baseline]: the best of `rounds` alternating windows sharing `ms`, after one warm-up window each. */
export function paired(ms: number, rounds: number, batch: number, subject: () => void, baseline: () => void): [number, number] {
  opsPerSecond(ms / 2, batch, subject);
  opsPerSecond(ms / 2, batch, baseline);
  let best = 0;
  let bestBase = 0;
  for (let r = 0; r < rounds; r++) {
    best = Math.max(best, opsPerSecond(ms / rounds, batch, subject));
    bestBase = Math.max(bestBase, opsPerSecond(ms / rounds, batch, baseline));
  }
  return [best, bestBase];
}
