/**
 * A seeded pseudo-random source for the fuzzer: the same seed gives the same
 * sequence of inputs, so any run can be replayed (mulberry32 underneath, the generator the memory wire uses).
 */
import { seededRandom } from '../common/random.js';

export class Prng {
  private readonly r: () => number;
  constructor(readonly seed: number) {
    this.r = seededRandom(seed);
  }
  /** [0, 1) */
  next(): number {
    return this.r();
  }
  /** integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  /** integer in [lo, hi] */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** pick by weight: [[value, weight], ...] */
  weighted<T>(xs: readonly (readonly [T, number])[]): T {
    const total = xs.reduce((a, [, w]) => a + w, 0);
    let x = this.r() * total;
    for (const [v, w] of xs) {
      if (x < w) return v;
      x -= w;
    }
    return xs[xs.length - 1]![0];
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  /** lengths skewed small, with now and then something large */
  length(max: number): number {
    const k = this.r();
    if (k < 0.6) return this.int(Math.min(max, 64) + 1);
    if (k < 0.9) return this.int(Math.min(max, 512) + 1);
    return this.int(max + 1);
  }
}
