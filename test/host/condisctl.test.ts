/**
 * condisctl against real daemons: two condisd over TAP devices in namespaces;
 * the CLI makes a call with data and close data and shows the state as
 * tables and as JSON; argument errors and a missing daemon give clear
 * messages and exit codes.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { rootTest } from '../helpers/root.js';
import { startLab } from '../helpers/lab.js';
import { PROJECT_ROOT } from '../../src/demo/daemons.js';

function ctl(socket: string, args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'daemons', 'condisctl.ts'), '--socket', socket, ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000 });
}

rootTest('condisctl drives a real daemon: call with data and close data, status as tables and JSON', async (t) => {
  const { d } = await startLab(t, 2);
  const a = d('h1');
  const b = d('h2');
  await b.control.registerSap({ address: '3002' });
  const gotData = b.next('receive', () => true, 60_000);
  const gotClose = b.next('incoming-close-call', () => true, 60_000);

  const r = ctl(a.socket, ['call', '3002', '--data', 'hello from the CLI', '--close-data', 'bye from the CLI']);
  t.is(r.status, 0, r.stderr);
  t.is((await gotData).data.toString(), 'hello from the CLI');
  const close = await gotClose;
  t.is(close.closeData?.toString(), 'bye from the CLI');
  t.is(close.status.name, 'SUCCESS');

  const table = ctl(a.socket, ['status']);
  t.is(table.status, 0, table.stderr);
  t.regex(table.stdout, /02:00:00:00:03:02/, 'the peer is listed');
  t.regex(table.stdout, /Data Transfer Ready/, 'the SSCOP state is named');

  const json = ctl(b.socket, ['status', '--json']);
  t.is(json.status, 0, json.stderr);
  const s = JSON.parse(json.stdout) as { saps: { address: string }[]; links: { established: boolean }[] };
  t.deepEqual(
    s.saps.map((x) => x.address),
    ['3002'],
  );
  t.true(s.links.every((l) => l.established));
});

rootTest('condisctl: a daemon that is not running and bad arguments get clear messages, not stack traces', async (t) => {
  const r1 = ctl('/run/condis-nowhere/condisd.sock', ['status']);
  t.is(r1.status, 1);
  t.regex(r1.stderr, /condisd is not running/);
  t.notRegex(r1.stderr, /at .*\.ts:\d+/);
  const { d } = await startLab(t, 1);
  const r2 = ctl(d('h1').socket, ['drop-party', 'seven', '1']);
  t.is(r2.status, 2);
  t.regex(r2.stderr, /vc|VC|seven/);
  const r3 = ctl(d('h1').socket, ['close', '99']);
  t.is(r3.status, 1);
  t.regex(r3.stderr, /no VC 99|not-found|not found/i);
});
