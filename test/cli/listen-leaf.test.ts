/**
 * condisctl listen at a leaf of a point-to-multipoint call, against real
 * daemons: a leaf host with two addresses is offered the call for one (SETUP)
 * and then an ADD PARTY for the other on the same link call. Each party at the
 * host is an incoming call of its own (R93): listen prints the second as an
 * incoming call, the root's DROP PARTY with close data for it as that call's
 * incoming close (the other call stays), and the final close as the first
 * call's incoming close.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { rootTest } from '../helpers/root.js';
import { startLab } from '../helpers/lab.js';
import { PROJECT_ROOT, waitForLinks } from '../../src/demo/daemons.js';
import { connectControl } from '../../src/control/client.js';
import { waitUntil } from '../helpers/wait.js';

const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 60_000) => waitUntil(what, cond, { ms, every: 50 });

function ctl(socket: string, args: string[]) {
  const p = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'daemons', 'condisctl.ts'), '--socket', socket, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => p.on('close', (code) => resolve({ code, stdout: out, stderr: err })));
  return { p, done, out: () => out };
}

rootTest('listen at a leaf host with two addresses prints the ADD PARTY for the second as an incoming call and its DROP PARTY as that call\'s close, with close data', async (t) => {
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
  // the ADD PARTY for 3012 is an incoming call of its own, on its own VC (docs/conformance.md R93)
  await until('the added party at the leaf', () => /to 3012/.test(listener.out()));
  const first = /incoming point-to-multipoint call on VC (\d+) from 3001 to 3002 \(SAP \d+\)\n/.exec(listener.out());
  const added = /incoming point-to-multipoint call on VC (\d+) from 3001 to 3012 \(SAP \d+\)\n/.exec(listener.out());
  t.truthy(first, listener.out());
  t.truthy(added, listener.out());
  t.not(first![1], added![1]);

  // the root drops 3012 with close data: the leaf hears the close of that call alone, close data included
  const p12 = r.call.parties.find((p) => p.address === '3012')!.party;
  const dropped = await ctl(a.socket, ['drop-party', String(r.call.vc), String(p12), '--close-data', 'bye, 3012']).done;
  t.is(dropped.code, 0, dropped.stderr);
  await until('the dropped party at the leaf', () => /bye, 3012/.test(listener.out()));
  t.regex(listener.out(), new RegExp(`incoming close call on VC ${added![1]}: NDIS_STATUS_SUCCESS \\(remote\\), close data \\(9 octets\\): "bye, 3012"\n`));
  t.notRegex(listener.out(), new RegExp(`incoming close call on VC ${first![1]}:`));

  const closed = await ctl(a.socket, ['close', String(r.call.vc), '--close-data', 'bye, 3002']).done;
  t.is(closed.code, 0, closed.stderr);
  await until('the incoming close at the leaf', () => /bye, 3002/.test(listener.out()));
  t.regex(listener.out(), new RegExp(`incoming close call on VC ${first![1]}: .*close data \\(9 octets\\): "bye, 3002"`));
  listener.p.kill('SIGINT');
  t.is((await listener.done).code, 0);
});
