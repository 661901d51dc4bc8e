/**
 * Running system commands (ip, tc, bridge, tshark) for the miniports, labs and
 * tests: argv arrays only, never a shell string, with errors that say which
 * command failed and what it printed.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly command: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`command failed (exit ${code}): ${command.join(' ')}${stderr ? `: ${stderr.trim()}` : ''}`);
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run a command (`input`: its standard input); resolves on exit 0, rejects with CommandError otherwise (unless allowFail). */
export function run(cmd: string, args: string[], opts: { allowFail?: boolean; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as NodeJS.ErrnoException).code === 'number' ? ((error as unknown as { code: number }).code) : 1) : 0;
      if (error && !opts.allowFail) reject(new CommandError([cmd, ...args], code, String(stderr || error.message)));
      else resolve({ stdout: String(stdout), stderr: String(stderr), code });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Synchronous variant for teardown paths that must finish before the process exits. */
export function runSync(cmd: string, args: string[]): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', code: r.status ?? 1 };
}

/** True when this process may create namespaces, veth pairs, bridges and TAP devices. */
export function canDoNetworking(): { ok: boolean; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root (network namespaces, TAP devices)' };
  if (!existsSync('/dev/net/tun')) return { ok: false, reason: 'needs /dev/net/tun' };
  const r = runSync('ip', ['netns', 'list']);
  if (r.code !== 0) return { ok: false, reason: `'ip netns' does not work here: ${r.stderr.trim()}` };
  return { ok: true, reason: '' };
}
