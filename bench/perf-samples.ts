/**
 * Whole-process CPU samples from Linux `perf` (`perf script` text), each
 * charged to its owner: the innermost JavaScript function on its stack, with
 * everything that function called below it (builtins, the runtime, the
 * collector's work on its allocation, and the kernel for its system calls).
 * A sample with no JavaScript on its stack is the event loop's, N-API's, a
 * background thread's or the kernel's own and is classed by what it is.
 *
 * Why beside V8's own profile (profile-top.ts): `--cpu-prof` leaves out
 * what V8 calls "(program)", which is everything outside JavaScript (the
 * event loop, the addon's reads, N-API calls, epoll) and so divides by the
 * wrong total; over TAP that doubled the share of write(2). `perf` counts
 * every thread's CPU, kernel included. docs/architecture.md ("Where a
 * cycle's CPU goes") has the commands.
 */

/** the levels a sample's owner is named at */
export type OwnerLevel = 'layer' | 'file' | 'function';

/** owners with no JavaScript frame on their stack */
export const NO_JS = {
  gc: '(collector, no JS frame)',
  compiler: '(compiler, no JS frame)',
  kernel: '(kernel, no JS frame)',
  native: '(native, no JS frame)',
} as const;

/** one sample: its frames' symbols, innermost first; `kernelLeaf` when the innermost frame is the kernel's */
export interface PerfSample {
  frames: string[];
  kernelLeaf: boolean;
}

const KERNEL_ADDRESS = /^ffffffff/;

/**
 * The samples in `perf script` output (with callchains: `perf record -g`; fields including ip and sym):
 * a header line per sample, then one `\tADDRESS SYMBOL [(DSO)]` line per frame, a blank line after.
 */
export function* perfSamples(lines: Iterable<string>): Generator<PerfSample> {
  let frames: string[] | undefined;
  let kernelLeaf = false;
  for (const line of lines) {
    if (line.trim() === '') {
      if (frames) yield { frames, kernelLeaf };
      frames = undefined;
      continue;
    }
    if (!line.startsWith('\t')) {
      // a sample's header (comm/tid/time ..., right-aligned: it may start with spaces; frames start
      // with a tab): a new sample even when the blank line was missing
      if (frames) yield { frames, kernelLeaf };
      frames = [];
      kernelLeaf = false;
      continue;
    }
    if (!frames) continue;
    const m = /^\s*([0-9a-f]+)\s+(.*?)(\s+\([^()]*\))?$/.exec(line);
    if (!m) continue;
    if (frames.length === 0) kernelLeaf = KERNEL_ADDRESS.test(m[1]!);
    frames.push(m[2]!);
  }
  if (frames) yield { frames, kernelLeaf };
}

/** `JS:*name file:///x/dist/src/a/b.js:12:3` (name may be empty), as V8's --perf-basic-prof names code */
function jsFrame(symbol: string): { name: string; where: string } | undefined {
  if (!symbol.startsWith('JS:')) return undefined;
  const rest = symbol.slice(3).replace(/^[*~^+]/, '');
  const space = rest.lastIndexOf(' ');
  const name = space < 0 ? rest : rest.slice(0, space);
  const where = space < 0 ? '' : rest.slice(space + 1);
  return { name: name || '(anonymous)', where };
}

/** the owner of a JavaScript frame at `level`: layer `src/uni`, file `src/uni/call.js`, function `onMessage src/uni/call.js:227` */
function jsOwner(f: { name: string; where: string }, level: OwnerLevel): string {
  const loc = f.where.replace(/^file:\/\//, '');
  const line = /:(\d+):\d+$/.exec(loc)?.[1];
  const path = loc.replace(/:\d+:\d+$/, '');
  let file: string;
  let layer: string;
  const dist = /\/dist\/((src|bench|daemons|scripts)\/.*)$/.exec(path);
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path);
  if (dist) {
    file = dist[1]!;
    layer = dist[2] === 'src' ? file.split('/').slice(0, 2).join('/') : dist[2]!;
  } else if (pkg) {
    file = `${pkg[1]}/${pkg[2]}`;
    layer = pkg[1]!;
  } else if (path.startsWith('node:')) {
    file = path;
    layer = 'node (built-in modules)';
  } else {
    file = path || '(no location)';
    layer = file;
  }
  if (level === 'layer') return layer;
  if (level === 'file') return file;
  return `${f.name} ${file}${line ? `:${line}` : ''}`;
}

const GC = /Heap::|Scavenger|MarkCompact|Sweeper|ConcurrentMarking|heap::|MinorMC|ArrayBufferSweeper/;
const COMPILER = /compiler::|[Mm]aglev|Turbofan|OptimizedCompilationJob|Pipeline::/;

/** whom a sample is charged to (see the module's comment) */
export function ownerOf(s: PerfSample, level: OwnerLevel): string {
  for (const sym of s.frames) {
    const js = jsFrame(sym);
    if (js) return jsOwner(js, level);
  }
  if (s.frames.some((f) => GC.test(f))) return NO_JS.gc;
  if (s.frames.some((f) => COMPILER.test(f))) return NO_JS.compiler;
  return s.kernelLeaf ? NO_JS.kernel : NO_JS.native;
}

export interface OwnerRow {
  owner: string;
  samples: number;
  /** of them, the samples whose innermost frame was the kernel's */
  kernel: number;
}

/** samples per owner, most first */
export function owners(samples: Iterable<PerfSample>, level: OwnerLevel): { total: number; rows: OwnerRow[] } {
  const by = new Map<string, OwnerRow>();
  let total = 0;
  for (const s of samples) {
    total++;
    const o = ownerOf(s, level);
    let row = by.get(o);
    if (!row) by.set(o, (row = { owner: o, samples: 0, kernel: 0 }));
    row.samples++;
    if (s.kernelLeaf) row.kernel++;
  }
  return { total, rows: [...by.values()].sort((a, b) => b.samples - a.samples || a.owner.localeCompare(b.owner)) };
}

/** the rows as a Markdown table (share of all samples, and how much of each owner's share was in the kernel) */
export function ownersMarkdown(r: { total: number; rows: OwnerRow[] }, level: OwnerLevel, top: number): string {
  const pct = (n: number, of: number) => (of ? ((100 * n) / of).toFixed(1) : '0.0');
  const out = [`${r.total} samples, charged to their innermost JavaScript ${level}\n`, `| share % | of it in the kernel % | ${level} |`, '|---:|---:|---|'];
  for (const row of r.rows.slice(0, top)) out.push(`| ${pct(row.samples, r.total)} | ${pct(row.kernel, row.samples)} | ${row.owner} |`);
  return out.join('\n');
}
