/**
 * The table `npm run bench:ab` prints: each figure measured in several
 * alternating runs of two builds (a base commit and the working tree), the
 * median of each side, the change, and whether the change is for the worse
 * by more than the tolerance. Pure: the runner (ab.ts) feeds it the figures.
 *
 * Which way is better follows from the unit: a rate (`.../s`) is better
 * higher; a time (also per frame), a size, or a growth factor ('x', the
 * 10k/1k ratios) is better lower. Any other unit has no direction the table
 * knows: it is reported, never judged.
 *
 * Beside the medians, each row compares the best run of each side (the
 * highest rate, the lowest time). On a shared machine other work only ever
 * slows a run down, so the best run is the one least disturbed: a change the
 * code made shows in the best runs as in the medians, while a median moved by
 * one disturbed run does not move the best. A row worse in both is marked
 * `confirmed`; a row worse in its medians only is still marked worse, and the
 * best-run column says how far to trust it.
 */

export interface AbFigure {
  section: string;
  name: string;
  unit: string;
  value: number;
}

export type Better = 'higher' | 'lower' | 'neither';

export interface AbRow {
  section: string;
  name: string;
  unit: string;
  better: Better;
  base: number[];
  head: number[];
  baseMedian: number;
  headMedian: number;
  /** head median / base median */
  ratio: number;
  /** the change in the better direction, as a fraction: +0.10 is 10% better, -0.10 10% worse (0 when `neither`) */
  gain: number;
  /** worse than the tolerance allows */
  worse: boolean;
  /** each side's best run (highest rate, lowest time; the median when the unit has no direction) */
  baseBest: number;
  headBest: number;
  /** the change of the best runs in the better direction, as `gain` */
  bestGain: number;
  /** worse in the medians and in the best runs (at least two runs a side) */
  confirmed: boolean;
}

export function betterOf(unit: string): Better {
  const u = unit.trim().toLowerCase();
  // per second, per virtual second, per CPU second
  if (/\/(s|vs|cpu-s)$/.test(u)) return 'higher';
  // a time, a time per something, a size, a growth factor (the 10k/1k ratios: linear is 10, lower is better)
  if (/^(cpu )?(ms|us|µs|ns|s)(\/|$)/.test(u) || /^(bytes|b|kib|mib|gib)$/.test(u) || u === 'x') return 'lower';
  return 'neither';
}

/** the best of some runs: the highest rate, the lowest time or size (NaN without a finite value) */
export function best(xs: readonly number[], better: Better): number {
  const s = xs.filter((x) => Number.isFinite(x));
  if (s.length === 0) return NaN;
  if (better === 'higher') return Math.max(...s);
  if (better === 'lower') return Math.min(...s);
  return median(s);
}

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Rows for every figure both sides measured (a figure only one side has is
 * listed in `onlyBase` / `onlyHead`), in the order the head's runs give them.
 */
export function abTable(
  base: readonly (readonly AbFigure[])[],
  head: readonly (readonly AbFigure[])[],
  tolerance = 0.05,
): { rows: AbRow[]; onlyBase: string[]; onlyHead: string[] } {
  const key = (f: AbFigure) => `${f.section}\u0000${f.name}`;
  const collect = (runs: readonly (readonly AbFigure[])[]) => {
    const m = new Map<string, { f: AbFigure; values: number[] }>();
    for (const run of runs)
      for (const f of run) {
        const e = m.get(key(f));
        if (e) e.values.push(f.value);
        else m.set(key(f), { f, values: [f.value] });
      }
    return m;
  };
  const b = collect(base);
  const h = collect(head);
  const rows: AbRow[] = [];
  for (const [k, { f, values }] of h) {
    const bv = b.get(k);
    if (!bv) continue;
    const better = betterOf(f.unit);
    const baseMedian = median(bv.values);
    const headMedian = median(values);
    const ratio = headMedian / baseMedian;
    const gainOf = (r: number) => (better === 'higher' ? r - 1 : better === 'lower' ? 1 - r : 0);
    const gain = gainOf(ratio);
    const baseBest = best(bv.values, better);
    const headBest = best(values, better);
    const bestGain = gainOf(headBest / baseBest);
    const worse = better !== 'neither' && Number.isFinite(gain) && gain < -tolerance;
    rows.push({
      section: f.section,
      name: f.name,
      unit: f.unit,
      better,
      base: bv.values,
      head: values,
      baseMedian,
      headMedian,
      ratio,
      gain,
      worse,
      baseBest,
      headBest,
      bestGain,
      // (one run a side has no best apart from its median: nothing to confirm with)
      confirmed: worse && bv.values.length > 1 && values.length > 1 && Number.isFinite(bestGain) && bestGain < -tolerance,
    });
  }
  return {
    rows,
    onlyBase: [...b.keys()].filter((k) => !h.has(k)).map((k) => k.replace('\u0000', ': ')),
    onlyHead: [...h.keys()].filter((k) => !b.has(k)).map((k) => k.replace('\u0000', ': ')),
  };
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (a >= 100) return n.toFixed(0);
  return n.toPrecision(3);
}

const pct = (g: number) => `${g >= 0 ? '+' : ''}${(g * 100).toFixed(1)}%`;

/** the rows as a Markdown table: every run's value, the medians, the change (+ is better), and the change of the best runs */
export function abMarkdown(rows: readonly AbRow[], names: { base: string; head: string }): string {
  const lines = [
    `| section | figure | unit | ${names.base} (runs) | ${names.head} (runs) | median ${names.base} | median ${names.head} | change | best runs |`,
    '|---|---|---|---|---|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const directed = r.better !== 'neither';
    // a count that is 0 on both sides has no ratio: it is unchanged
    const ratio = r.baseMedian === r.headMedian ? 'same' : Number.isFinite(r.ratio) ? `x${r.ratio.toFixed(2)}` : `from ${fmt(r.baseMedian)}`;
    const change = directed ? `${pct(r.gain)}${r.confirmed ? ' **worse, confirmed**' : r.worse ? ' **worse**' : ''}` : ratio;
    const bestChange = directed ? pct(r.bestGain) : '';
    lines.push(
      `| ${r.section} | ${r.name} | ${r.unit} | ${r.base.map(fmt).join(', ')} | ${r.head.map(fmt).join(', ')} | ${fmt(r.baseMedian)} | ${fmt(r.headMedian)} | ${change} | ${bestChange} |`,
    );
  }
  return lines.join('\n');
}
