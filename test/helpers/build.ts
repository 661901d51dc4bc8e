/**
 * For a test that runs the compiled tree (dist/): build it first when a
 * source is newer than the last build (scripts/build.mjs --if-stale), so a
 * test never runs stale code. `npm test` and .ci/run build dist/ before ava
 * starts (scripts/ensure-deps.mjs), so there this finds it fresh and returns
 * at once. Use it as `test.before(..., buildIfStale)`.
 */
import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';

export async function buildIfStale(t: ExecutionContext): Promise<void> {
  // a build under load takes longer than ava's 120 s inactivity timeout, so the hook asks for the time a build
  // needs (the build itself does not block the event loop: ava hears of the longer timeout)
  t.timeout(15 * 60_000, 'building dist/ (scripts/build.mjs --if-stale)');
  const root = packageRoot();
  const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
  if (r.code !== 0) throw new Error(`build failed (exit ${r.code}): ${r.out}`);
  if (r.out.trim()) t.log(r.out.trim());
}
