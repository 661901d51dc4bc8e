/**
 * condisctl listen at a leaf of a point-to-multipoint call, against real
 * daemons: a leaf host with two addresses is offered the call for one (SETUP)
 * and then an ADD PARTY for the other on the same VC; the root's DROP PARTY
 * with close data for one of them reaches the leaf while the other stays.
 * listen prints both, and the last party's close is the incoming close call.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { rootTest } from '../helpers/root.js';
import { startLab } from '../helpers/lab.js';
import { PROJECT_ROOT, waitForLinks } from '../../src/demo/daemons.js';
import { connectControl } from '../../src/control/client.js';

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function ctl(socket: string, args: string[]) {
  const p = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'daemons', 'condisctl.ts'), '--socket', socket, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => p.on('close', (code) => resolve({ code, stdout: out, stderr: err })));
  return { p, done, out: () => out };
}

rootTest('listen at a leaf prints the ADD PARTY and the DROP PARTY (with close data) of its own endpoints', async (t) => {
  const { lab, d } = await startLab(t, 2);
  const a = d('h1');
  // h2 again, now with two addresses: 3002 and 3012
  const h2 = d('h2');
  await lab.stop('h2', 'condisd');
  const cfg = parse(readFileSync(h2.configFile, 'utf8')) as { addresses: string[] };
  cfg.addresses = ['3002', '3012'];
  writeFileSync(h2.configFile, stringify(cfg));
  lab.spawn('h2', process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'daemons', 'condisd.ts'), '--config', h2.configFile], { name: 'condisd', cwd: PROJECT_ROOT });
  await until('h2 back', async () => {
    if (!existsSync(h2.socket)) return false;
    try {
      const c = await connectControl(h2.socket, { helloTimeoutMs: 2000 });
      const ok = (await c.info()).addresses.length === 2;
      c.close();
      return ok;
    } catch {
      return false;
    }
  });
  await waitForLinks(a, [lab.host('h2').mac]);
  await until('h1 to hear of 3012', async () => (await a.control.peers()).some((p) => p.addresses.includes('3012')));

  const listener = ctl(h2.socket, ['listen']);
  await until('the listener', () => /listening on \*/.test(listener.out()));
  const call = ctl(a.socket, ['call', '3002', '3012', '--json']);
  const made = await call.done;
  t.is(made.code, 0, made.stderr);
  const r = JSON.parse(made.stdout) as { call: { vc: number; parties: { address: string; party: number }[] } };
  t.deepEqual(r.call.parties.map((p) => p.address), ['3002', '3012']);
  await until('the added party at the leaf', () => /party 3012 added/.test(listener.out()));
  t.regex(listener.out(), /incoming point-to-multipoint call on VC (\d+) from 3001 to 3002 \(SAP \d+\)\n[\s\S]*party 3012 added to the incoming call on VC \1 \(ADD PARTY\)\n/);

  const p12 = r.call.parties.find((p) => p.address === '3012')!.party;
  const dropped = await ctl(a.socket, ['drop-party', String(r.call.vc), String(p12), '--close-data', 'bye, 3012']).done;
  t.is(dropped.code, 0, dropped.stderr);
  await until('the dropped party at the leaf', () => /party 3012 dropped/.test(listener.out()));
  t.regex(listener.out(), /party 3012 dropped from the incoming call on VC \d+ \(DROP PARTY\): cause 31 normal, unspecified, close data \(9 octets\): "bye, 3012"\n/);

  const closed = await ctl(a.socket, ['close', String(r.call.vc), '--close-data', 'bye, 3002']).done;
  t.is(closed.code, 0, closed.stderr);
  await until('the incoming close at the leaf', () => /incoming close call/.test(listener.out()));
  t.regex(listener.out(), /incoming close call on VC \d+: .*close data \(9 octets\): "bye, 3002"/);
  listener.p.kill('SIGINT');
  t.is((await listener.done).code, 0);
});
