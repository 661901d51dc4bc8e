/**
 * A static peer configured with the wrong MAC, against real daemons: h1's
 * configuration puts h2's address at a MAC nobody has, discovery hears the
 * address from h2's real MAC. condisd warns in its log (once) and the static
 * peer's status entry carries the warning, which condisctl prints; with the
 * right MAC there is no warning. A call to the address then goes to the live
 * peer, not to the MAC that never answered.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { rootTest } from '../helpers/root.js';
import { startLab } from '../helpers/lab.js';
import { PROJECT_ROOT } from '../../src/demo/daemons.js';
import { connectControl } from '../../src/control/client.js';
import type { PeerInfo } from '../../src/control/backend.js';

const run = promisify(execFile);

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const condisctl = (socket: string, args: string[]) => run(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'daemons', 'condisctl.ts'), '--socket', socket, ...args], { cwd: PROJECT_ROOT });

rootTest('a static peer whose address discovery hears from another MAC: a warning in the log and in status, and calls go to the live peer', async (t) => {
  const { lab, d } = await startLab(t, 2);
  const h1 = d('h1');
  const realMac = lab.host('h2').mac;
  // configured right: no warning
  const before = JSON.parse((await condisctl(h1.socket, ['peers', '--json'])).stdout) as PeerInfo[];
  t.true(before.some((p) => p.mac === realMac && p.source === 'static'));
  t.true(before.every((p) => p.warning === undefined), JSON.stringify(before));

  // h1 again, with h2 configured at a MAC nobody has
  await lab.stop('h1', 'condisd');
  const cfg = parse(readFileSync(h1.configFile, 'utf8')) as { peers: { name: string; mac: string; addresses: string[] }[] };
  cfg.peers = [{ name: 'h2', mac: '02:00:00:00:03:99', addresses: ['3002'] }];
  writeFileSync(h1.configFile, stringify(cfg));
  const proc = lab.spawn('h1', process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'daemons', 'condisd.ts'), '--config', h1.configFile], { name: 'condisd', cwd: PROJECT_ROOT });
  const logStart = existsSync(proc.logFile) ? readFileSync(proc.logFile, 'utf8').length : 0;
  const expected = `address 3002 is configured (peers:) at 02:00:00:00:03:99 (h2), which never answered, but discovery hears it from ${realMac}; check the peer's mac`;
  await until('the warning in status', async () => {
    if (!existsSync(h1.socket)) return false;
    try {
      const c = await connectControl(h1.socket, { helloTimeoutMs: 2000 });
      const peers = await c.peers();
      c.close();
      return peers.some((p) => p.warning !== undefined);
    } catch {
      return false;
    }
  });
  const peers = JSON.parse((await condisctl(h1.socket, ['peers', '--json'])).stdout) as PeerInfo[];
  t.like(peers.find((p) => p.mac === '02:00:00:00:03:99'), { source: 'static', linked: false, warning: expected });
  t.is(peers.find((p) => p.mac === realMac)?.warning, undefined, 'the warning is on the configured peer');
  const text = (await condisctl(h1.socket, ['status'])).stdout;
  t.true(text.includes(`\nwarning: ${expected}\n`), text);

  // the log says it once, as a warning
  await until('the log line', () => readFileSync(proc.logFile, 'utf8').slice(logStart).includes(expected));
  const lines = readFileSync(proc.logFile, 'utf8')
    .slice(logStart)
    .split('\n')
    .filter((l) => l.includes(expected))
    .map((l) => JSON.parse(l) as { level: number; address: string; discoveredMac: string });
  t.is(lines.length, 1);
  t.like(lines[0], { level: 40, address: '3002', discoveredMac: realMac });

  // the configured MAC never answered: a call to 3002 reaches h2 at the MAC discovery hears
  const callee = await connectControl(d('h2').socket);
  const caller = await connectControl(h1.socket);
  try {
    const sap = await callee.registerSap({ address: '3002' });
    const call = await caller.makeCall({ called: '3002' });
    t.is(call.status.name, 'SUCCESS');
    const linked = JSON.parse((await condisctl(h1.socket, ['peers', '--json'])).stdout) as PeerInfo[];
    t.like(linked.find((p) => p.mac === realMac), { linked: true });
    t.like(linked.find((p) => p.mac === '02:00:00:00:03:99'), { linked: false });
    await caller.closeCall({ vc: call.vc });
    await callee.deregisterSap({ sap: sap.sap });
  } finally {
    caller.close();
    callee.close();
  }
});
