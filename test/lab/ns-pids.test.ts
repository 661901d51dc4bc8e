/**
 * nsPidsAll (src/lab/procs.ts): the processes in each lab namespace by one
 * walk of /proc, as `ip netns pids` finds them one namespace at a time.
 */
import { spawn } from 'node:child_process';
import { nsPidsAll } from '../../src/lab/procs.js';
import { uniqueName } from '../../src/lab/netns.js';
import { runSync } from '../../src/common/sh.js';
import { rootTest } from '../helpers/root.js';

/** what `ip netns pids` says */
function nsPids(ns: string): number[] {
  return runSync('ip', ['netns', 'pids', ns]).stdout.split('\n').filter(Boolean).map(Number);
}

rootTest('one walk of /proc finds what ip netns pids finds in each namespace, and nothing for one that is absent', async (t) => {
  const names = [uniqueName('pa'), uniqueName('pb')];
  const sleepers: number[] = [];
  t.teardown(() => {
    for (const p of sleepers) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const n of names) runSync('ip', ['netns', 'del', n]);
  });
  for (const n of names) runSync('ip', ['netns', 'add', n]);
  // two processes in the first namespace, one in the second
  for (const n of [names[0]!, names[0]!, names[1]!]) {
    const c = spawn('ip', ['netns', 'exec', n, 'sleep', '60'], { stdio: 'ignore' });
    sleepers.push(c.pid!);
  }
  const absent = uniqueName('pz');
  for (;;) {
    const byIp = names.map(nsPids);
    if (byIp[0]!.length === 2 && byIp[1]!.length === 1) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const all = nsPidsAll([...names, absent]);
  for (const n of names) t.deepEqual([...all.get(n)!].sort(), nsPids(n).sort(), n);
  t.deepEqual(all.get(names[0]!)!.sort(), sleepers.slice(0, 2).sort(), 'ip netns exec becomes the sleeper: the pids are those spawned');
  t.deepEqual(all.get(absent), []);
});
