/**
 * capture.flush (src/capture/pcap.ts, recordSink): records held and written
 * together, whole; out at flush(), at the size limit, within the time, at
 * close and at process exit.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readPcap, LINKTYPE_SUNATM } from '../../src/capture/pcap.js';
import { openPcapngWriter } from '../../src/capture/pcapng.js';
import { packagePath, tsxImportArgs } from '../../src/common/package-root.js';

const dir = mkdtempSync(join(tmpdir(), 'capture-flush-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const tmp = (name: string) => join(dir, `${n++}-${name}`);

const records = (path: string): number => {
  const r = readPcap(path);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.records.length;
};

function writer(path: string, flushMs: number) {
  const w = openPcapngWriter(path, { flushMs });
  const id = w.addInterface({ linkType: LINKTYPE_SUNATM, name: 'link', description: 'test' });
  return { w, put: (octets = 40) => w.write(id, Buffer.alloc(octets, 0x5a), { direction: 'tx' }) };
}

test('without flush every record is in the file as soon as it is written', (t) => {
  const path = tmp('at-once.pcapng');
  const { w, put } = writer(path, 0);
  put();
  t.is(records(path), 1);
  w.close();
});

test('with flush, records are held until flush() and then all there, whole', (t) => {
  const path = tmp('held.pcapng');
  const { w, put } = writer(path, 1000);
  const empty = statSync(path).size;
  put();
  put();
  t.is(statSync(path).size, empty, 'nothing written yet: not even the interface');
  w.flush();
  t.is(records(path), 2);
  put();
  w.close();
  t.is(records(path), 3, 'close writes out the rest');
});

test('with flush, a held batch goes out within the time, and at once past 256 KiB', async (t) => {
  const path = tmp('timed.pcapng');
  const { w, put } = writer(path, 10);
  put();
  for (let i = 0; i < 200 && records(path) === 0; i++) await new Promise((r) => setTimeout(r, 5));
  t.is(records(path), 1);
  const big = tmp('big.pcapng');
  const b = writer(big, 1000);
  for (let i = 0; i < 200; i++) b.put(1400); // 280 KB of records
  t.true(records(big) >= 180, 'the first 256 KiB are out without waiting');
  b.w.close();
  w.close();
});

test('with flush, a process that exits without closing the capture still writes out what it held', (t) => {
  const path = tmp('exit.pcapng');
  const mod = pathToFileURL(packagePath('src', 'capture', 'pcapng.ts')).href;
  const code = `const { openPcapngWriter } = await import(${JSON.stringify(mod)});
const w = openPcapngWriter(${JSON.stringify(path)}, { flushMs: 1000 });
const id = w.addInterface({ linkType: 123, name: 'link', description: 'test' });
for (let i = 0; i < 3; i++) w.write(id, Buffer.alloc(40, 1));
process.exit(0);`;
  const r = spawnSync(process.execPath, [...tsxImportArgs(), '--input-type=module', '-e', code], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.is(records(path), 3);
});
