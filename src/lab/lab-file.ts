/**
 * A lab's state file (`lab.json` in its run directory) and the lock that lets
 * one up/down of a lab run at a time, across processes.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LabError, type LabPlan, type RelayedLink } from './plan.js';
import type { Topology } from './topology.js';

export interface LabState {
  version: 1;
  name: string;
  /** 'creating' until every namespace and link exists */
  phase: 'creating' | 'up';
  digest: string;
  createdAt: string;
  upPid: number;
  topologyFile?: string;
  topology: Topology;
  plan: LabPlan;
  /** links impaired by the user-space relay (the impairer daemon, `pids/lab.impairer.pid`) because the kernel has no netem */
  relays?: RelayedLink[];
}

export function statePath(runDir: string): string {
  return join(runDir, 'lab.json');
}

export function readState(runDir: string): LabState | undefined {
  try {
    const s = JSON.parse(readFileSync(statePath(runDir), 'utf8')) as LabState;
    return s.version === 1 ? s : undefined;
  } catch {
    return undefined;
  }
}

export function writeState(runDir: string, state: LabState): void {
  mkdirSync(runDir, { recursive: true });
  const tmp = `${statePath(runDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, statePath(runDir));
}

// ---------------------------------------------------------------------------------------------
// locking: one up/down of a lab at a time, across processes

const inProcess = new Map<string, Promise<unknown>>();

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withLock<T>(runRoot: string, name: string, fn: () => Promise<T>): Promise<T> {
  const key = `${runRoot}\0${name}`;
  const before = inProcess.get(key) ?? Promise.resolve();
  const mine = before.catch(() => {}).then(() => lockFile(runRoot, name, fn));
  inProcess.set(key, mine);
  try {
    return await mine;
  } finally {
    if (inProcess.get(key) === mine) inProcess.delete(key);
  }
}

async function lockFile<T>(runRoot: string, name: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(runRoot, { recursive: true });
  const path = join(runRoot, `.${name}.lock`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSafe(path).trim());
      if (!holder || !pidAlive(holder)) {
        rmSync(path, { force: true }); // left by a process that died (an interrupted up)
        continue;
      }
      if (Date.now() > deadline) throw new LabError(`lab ${name} is busy: process ${holder} holds ${path}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

export function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
