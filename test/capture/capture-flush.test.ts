/**
 * capture.flush (src/capture/pcap.ts, recordSink): records held and written
 * together, whole; out at flush(), at the size limit, within the time, at
 * close and at process exit. And a packet block built from parts.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readPcap, LINKTYPE_SUNATM, PCAP_SNAPLEN } from '../../src/capture/pcap.js';
import { enhancedPacketBlock, LINKTYPE_UPPER_PDU, openPcapngWriter } from '../../src/capture/pcapng.js';
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

test('a packet given in parts makes the same block as given whole; past the snap length it is cut, its length kept', (t) => {
  const header = Buffer.from([0x80, 0, 0, 5]);
  const sdu = Buffer.from('a signalling message, eleven-ish octets');
  const whole = enhancedPacketBlock(2, Buffer.concat([header, sdu]), 1_765_000_000_123.456, 'tx');
  t.deepEqual(enhancedPacketBlock(2, [header, sdu], 1_765_000_000_123.456, 'tx'), whole);
  t.is(whole.length % 4, 0, 'blocks are 32-bit aligned');
  t.is(whole.readUInt32LE(4), whole.length, 'leading length');
  t.is(whole.readUInt32LE(whole.length - 4), whole.length, 'trailing length');

  const path = tmp('parts.pcapng');
  const w = openPcapngWriter(path);
  const id = w.addInterface({ linkType: LINKTYPE_UPPER_PDU, name: 'vc', description: 'test' });
  const big = Buffer.alloc(PCAP_SNAPLEN + 100, 0x33);
  w.write(id, [Buffer.from('head'), sdu], { direction: 'rx', tsMs: 5 });
  w.write(id, [Buffer.from('head'), big]);
  w.close();
  const r = readPcap(path);
  t.true(r.ok);
  if (!r.ok) return;
  t.deepEqual(r.value.records[0]!.data, Buffer.concat([Buffer.from('head'), sdu]));
  t.is(r.value.records[0]!.tsMs, 5);
  t.is(r.value.records[1]!.data.length, PCAP_SNAPLEN);
  t.is(r.value.records[1]!.origLen, PCAP_SNAPLEN + 104);
  t.deepEqual(r.value.records[1]!.data.subarray(0, 4), Buffer.from('head'));
});
