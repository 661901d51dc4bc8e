/**
 * How a lab's daemons are stopped (src/demo/daemons.ts stopLabDaemons, used by
 * `lab stop`, `run --start` and `view --start`): the hosts are all told at
 * once. Stand-ins named condisd that take 400 ms to stop after SIGTERM make the
 * overlap certain: every one has its SIGTERM before any has exited. One after
 * another, each real host whose peers had already gone waited out its END to
 * every one of them (32 hosts: 62 s; at once: 1.3 s).
 */
import { readFileSync } from 'node:fs';
import { labUp } from '../../src/lab/lab.js';
import { topologyFrom } from '../../src/lab/topology.js';
import { uniqueName } from '../../src/lab/netns.js';
import { stopLabDaemons } from '../../src/demo/daemons.js';
import { rootTest } from '../helpers/root.js';

const SLOW_STOP = `
process.on('SIGTERM', () => {
  console.log('term ' + Date.now());
  setTimeout(() => { console.log('exit ' + Date.now()); process.exit(0); }, 400);
});
setInterval(() => {}, 1e6);
console.log('ready');
`;

rootTest('lab stop tells every host at once, each stopping in its own time', async (t) => {
  const name = uniqueName('sd');
  const lab = await labUp(topologyFrom({ name, segment: { kind: 'bridged' }, hosts: ['a', 'b', 'c', 'd'].map((h, i) => ({ name: h, mac: `02:00:00:00:0e:0${i + 1}`, address: `${4001 + i}` })) }, name));
  t.teardown(() => lab.down());
  const procs = lab.hosts.map((h) => lab.spawn(h.name, process.execPath, ['-e', SLOW_STOP], { name: 'condisd' }));
  const logOf = (i: number) => readFileSync(procs[i]!.logFile, 'utf8');
  for (let i = 0; i < procs.length; i++) while (!logOf(i).includes('ready')) await new Promise((r) => setTimeout(r, 20));

  t.deepEqual(await stopLabDaemons(lab), ['a', 'b', 'c', 'd']);
  const times = procs.map((_, i) => {
    const at = (what: string) => Number(new RegExp(`^${what} (\\d+)$`, 'm').exec(logOf(i))?.[1]);
    return { term: at('term'), exit: at('exit') };
  });
  t.true(times.every((x) => x.term > 0 && x.exit > 0), JSON.stringify(times));
  t.true(Math.max(...times.map((x) => x.term)) < Math.min(...times.map((x) => x.exit)), `every SIGTERM before the first exit: ${JSON.stringify(times)}`);
  t.deepEqual(await stopLabDaemons(lab), [], 'nothing left to stop');
});
