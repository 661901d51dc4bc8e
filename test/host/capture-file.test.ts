/**
 * condisd's capture file is for reading (docs/wireshark.md: capture as root,
 * read as a normal user): mode 0644 whatever the daemon's umask, and owned
 * by the user behind sudo (SUDO_UID/SUDO_GID) when root writes it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryArgs, packageRoot } from '../../src/common/package-root.js';
import { readPcap } from '../../src/capture/pcap.js';
import { rootTest } from '../helpers/root.js';

rootTest('condisd run through sudo with umask 077 writes a 0644 capture owned by the sudo user', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'condisd-cap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const cfg = join(dir, 'c.yaml');
  const pcap = join(dir, 'c.pcap');
  writeFileSync(cfg, `name: cap\nminiport: {kind: memory, hub: cap-hub, mac: "02:00:00:00:09:02"}\naddresses: ["9002"]\ncontrol: {socket: ${join(dir, 'c.sock')}}\n`);
  const argv = [process.execPath, ...entryArgs('daemons/condisd'), '--config', cfg, '--pcap', pcap].map((a) => `'${a}'`).join(' ');
  const child = spawn('sh', ['-c', `umask 077; exec ${argv}`], {
    cwd: packageRoot(),
    env: { ...process.env, SUDO_UID: '65534', SUDO_GID: '65534' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
    if (err.includes('started')) child.kill('SIGTERM');
  });
  t.teardown(() => child.kill('SIGKILL'));
  t.is(await exited, 0, err);
  const st = statSync(pcap);
  t.is(st.mode & 0o777, 0o644, `mode ${(st.mode & 0o777).toString(8)}`);
  t.is(st.uid, 65534, 'owned by SUDO_UID');
  t.is(st.gid, 65534, 'group SUDO_GID');
  const r = readPcap(pcap);
  t.true(r.ok && r.value.linkType === 123);
});
