/**
 * Start-up of the tools as a user meets it, compiled (dist/) against the
 * sources through tsx, with the cost of starting node itself as baseline:
 *
 * - `condisd --version`: process start to exit (median of N runs, ms)
 * - a first call: condisd started on the memory miniport until
 *   `condisctl status` has answered through its control socket (median, ms)
 *
 * Each figure is measured for both forms in the same run; the compiled form
 * needs `npm run build` (the bench builds first when stale).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../src/common/package-root.js';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { BenchFigure } from './run.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function form(compiled: boolean, entry: string): string[] {
  return compiled ? [packagePath('dist', `${entry}.js`)] : ['--import', TSX, packagePath(`${entry}.ts`)];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timedRun(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: '/', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench/startup: node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return performance.now() - t0;
}

async function firstCall(compiled: boolean, dir: string, i: number): Promise<number> {
  const sock = join(dir, `s${compiled ? 'c' : 't'}${i}.sock`);
  const cfg = join(dir, `c${compiled ? 'c' : 't'}${i}.yaml`);
  writeFileSync(cfg, `name: startup\nminiport: {kind: memory, hub: startup-${process.pid}-${i}, mac: "02:00:00:00:0a:01"}\naddresses: ["9100"]\ncontrol: {socket: ${sock}}\nlog: {level: warn}\n`);
  const t0 = performance.now();
  const d = spawn(process.execPath, [...form(compiled, 'daemons/condisd'), '--config', cfg], { cwd: '/', stdio: 'ignore' });
  try {
    while (!existsSync(sock)) await new Promise((r) => setTimeout(r, 2));
    for (;;) {
      const r = spawnSync(process.execPath, [...form(compiled, 'daemons/condisctl'), '--socket', sock, 'status', '--json'], { cwd: '/', encoding: 'utf8' });
      if (r.status === 0) break;
      if (performance.now() - t0 > 30_000) throw new Error(`bench/startup: no status after 30 s: ${r.stderr}`);
    }
    return performance.now() - t0;
  } finally {
    d.kill('SIGKILL');
  }
}

export async function benchStartup(opts: { quick: boolean }): Promise<BenchFigure[]> {
  if (!existsSync(packagePath('dist', 'daemons', 'condisd.js'))) throw new Error('bench/startup: dist/ is not built (npm run build)');
  const n = opts.quick ? 5 : 15;
  const base: number[] = [];
  const ver = { c: [] as number[], t: [] as number[] };
  for (let i = 0; i < n; i++) {
    base.push(timedRun(['-e', '0']));
    ver.c.push(timedRun([...form(true, 'daemons/condisd'), '--version']));
    ver.t.push(timedRun([...form(false, 'daemons/condisd'), '--version']));
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  const call = { c: [] as number[], t: [] as number[] };
  try {
    for (let i = 0; i < Math.ceil(n / 2); i++) {
      call.c.push(await firstCall(true, dir, i));
      call.t.push(await firstCall(false, dir, i));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const b = median(base);
  return [
    { name: 'condisd --version, compiled (median)', value: median(ver.c), unit: 'ms', baseline: b, baselineName: 'node -e 0' },
    { name: 'condisd --version, tsx (median)', value: median(ver.t), unit: 'ms', baseline: median(ver.c), baselineName: 'compiled' },
    { name: 'start to first condisctl status, compiled (median)', value: median(call.c), unit: 'ms', baseline: b, baselineName: 'node -e 0' },
    { name: 'start to first condisctl status, tsx (median)', value: median(call.t), unit: 'ms', baseline: median(call.c), baselineName: 'compiled' },
  ];
}
