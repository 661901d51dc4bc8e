/**
 * Whether a bench figure meets its goal (issue 15's, written on the figure as
 * text). A goal is one or more clauses separated by commas, each a
 * comparison with a number:
 *
 * - `>= 25%`: on the ratio to the same-run baseline (on the value itself when
 *   the figure is a percentage with no baseline);
 * - `10k/1k <= 10x`: on the ratio too, named (a multiple);
 * - `<= 40 us`, `< 400 ms`, `<= 1 KiB`, `<= 512 B`: on the value, in a unit
 *   the figure's unit converts to (us, ms, s; B, KiB, MiB against bytes).
 *
 * A goal these rules do not read gets no verdict (`undefined`), never a guess.
 */
import type { BenchFigure } from './run.js';

type Op = '<' | '<=' | '>' | '>=';

const SCALE: Record<string, { dim: string; by: number }> = {
  us: { dim: 'time', by: 1e-6 },
  ms: { dim: 'time', by: 1e-3 },
  s: { dim: 'time', by: 1 },
  B: { dim: 'size', by: 1 },
  bytes: { dim: 'size', by: 1 },
  KiB: { dim: 'size', by: 1024 },
  MiB: { dim: 'size', by: 1024 ** 2 },
};

const CLAUSE = /^(?:\S+\s+)?(<=|>=|<|>)\s*([\d.]+)\s*(%|x|[A-Za-z]+)?$/;

function compare(a: number, op: Op, b: number): boolean {
  return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
}

/** one clause's verdict, or undefined when it cannot be read against this figure */
function clauseMet(clause: string, f: BenchFigure): boolean | undefined {
  const m = CLAUSE.exec(clause.trim());
  if (!m) return undefined;
  const [, op, num, unit] = m as unknown as [string, Op, string, string | undefined];
  const target = Number(num);
  if (!Number.isFinite(target)) return undefined;
  const ratio = f.baseline ? f.value / f.baseline : undefined;
  if (unit === '%') {
    if (ratio !== undefined) return compare(ratio * 100, op, target);
    return f.unit === '%' ? compare(f.value, op, target) : undefined;
  }
  if (unit === 'x') return ratio !== undefined ? compare(ratio, op, target) : undefined;
  const want = unit ? SCALE[unit] : undefined;
  const have = SCALE[f.unit];
  if (!want || !have || want.dim !== have.dim) return undefined;
  return compare(f.value * have.by, op, target * want.by);
}

/** true when every clause of the figure's goal holds, false when one does not, undefined with no goal or one not read */
export function goalMet(f: BenchFigure): boolean | undefined {
  if (!f.goal) return undefined;
  const verdicts = f.goal.split(',').map((c) => clauseMet(c, f));
  if (verdicts.some((v) => v === undefined)) return undefined;
  return verdicts.every(Boolean);
}
