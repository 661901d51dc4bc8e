/**
 * The processes a lab started (pid files under `pids/`, with the start time
 * so a reused pid is never signalled) and stopping them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSafe } from './lab-file.js';

export interface PidFile {
  pid: number;
  /** /proc/PID/stat start time: a reused pid is never signalled */
  startTime: string;
  host?: string;
  /** the namespace it runs in, for a process of no host or switch (the impairer daemon) */
  ns?: string;
  name: string;
  argv: string[];
}

export function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function procCommand(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return cmd || readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

export function readPidFiles(runDir: string): { file: string; info: PidFile }[] {
  const dir = join(runDir, 'pids');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.pid'));
  } catch {
    return [];
  }
  const out: { file: string; info: PidFile }[] = [];
  for (const n of names) {
    const file = join(dir, n);
    const text = readFileSafe(file).trim();
    let info: PidFile | undefined;
    try {
      info = JSON.parse(text) as PidFile;
    } catch {
      const pid = Number(text); // a plain pid file written by someone else
      if (pid > 0) info = { pid, startTime: '', name: n.replace(/\.pid$/, ''), argv: [] };
    }
    if (info && info.pid > 0) out.push({ file, info });
  }
  return out;
}

export function pidFileAlive(info: PidFile): boolean {
  const st = procStartTime(info.pid);
  return st !== undefined && (info.startTime === '' || info.startTime === st);
}

/**
 * The processes in each of the named network namespaces (other than this one), by one walk of /proc: a
 * process is in a namespace when its /proc/PID/ns/net is the same nsfs file (device and inode) as
 * /run/netns/NAME, the test `ip netns pids` makes, which walks /proc once per namespace and per process
 * spawned. A namespace that does not exist has none.
 */
export function nsPidsAll(names: readonly string[]): Map<string, number[]> {
  const out = new Map(names.map((n) => [n, [] as number[]]));
  const byFile = new Map<string, string>();
  for (const n of names) {
    const st = statOrUndefined(join('/run/netns', n));
    if (st) byFile.set(`${st.dev}:${st.ino}`, n);
  }
  if (byFile.size === 0) return out;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const st = statOrUndefined(join('/proc', e, 'ns', 'net'));
    const n = st && byFile.get(`${st.dev}:${st.ino}`);
    if (n) out.get(n)!.push(Number(e));
  }
  return out;
}

function statOrUndefined(path: string): { dev: number; ino: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined; // gone meanwhile, or not ours to read
  }
}

export async function terminate(pids: number[]): Promise<number[]> {
  const targets = pids.filter((p) => p !== process.pid);
  for (const p of targets) {
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 3000;
  while (targets.some((p) => procStartTime(p) !== undefined && !isZombie(p)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const p of targets) {
    if (procStartTime(p) !== undefined && !isZombie(p)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  return targets;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
