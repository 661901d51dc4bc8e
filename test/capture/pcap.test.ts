import test from 'ava';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_SUNATM,
  SunAtmType,
  encodeSunAtm,
  openPcapWriter,
  parseSunAtm,
  pcapGlobalHeader,
  readPcap,
} from '../../src/capture/pcap.js';
import { cellHeader, emitFrame } from '../../src/wire/index.js';
import { openAtmCapture } from '../../src/capture/atm-capture.js';
import { LINKTYPE_UPPER_PDU, openPcapngWriter, upperPdu } from '../../src/capture/pcapng.js';

const dir = mkdtempSync(join(tmpdir(), 'condis-pcap-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const tmp = (name: string) => join(dir, `${n++}-${name}`);

const frame = (vci: number, sdu: Buffer) =>
  emitFrame({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', etherType: 0x88b5, cell: cellHeader(0, vci), uu: 0, cpi: 0, sdu });

test('golden: global header is the classic little-endian µs pcap header', (t) => {
  t.is(pcapGlobalHeader(LINKTYPE_SUNATM, 65535).toString('hex'), 'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '7b000000');
});

test('golden: SunATM pseudo-header: direction bit, traffic type by VC, VPI, VCI big-endian', (t) => {
  t.is(encodeSunAtm({ direction: 'tx', vpi: 0, vci: 5, sdu: Buffer.from([0xaa]) }).toString('hex'), '86000005aa');
  t.is(encodeSunAtm({ direction: 'rx', vpi: 0, vci: 5, sdu: Buffer.alloc(0) }).toString('hex'), '06000005');
  t.is(encodeSunAtm({ direction: 'rx', vpi: 1, vci: 0x1234, sdu: Buffer.alloc(0) }).toString('hex'), '00011234');
  t.is(encodeSunAtm({ direction: 'tx', vpi: 0, vci: 16, sdu: Buffer.alloc(0), type: SunAtmType.ILMI }).toString('hex'), '85000010');
  t.throws(() => encodeSunAtm({ direction: 'tx', vpi: 256, vci: 5, sdu: Buffer.alloc(0) }), { instanceOf: RangeError });
});

test('Ethernet capture round trip: records, timestamps to the µs, data', (t) => {
  const path = tmp('eth.pcap');
  const w = openPcapWriter(path, LINKTYPE_ETHERNET);
  const frames = [frame(5, Buffer.from('0000000004000000', 'hex')), frame(32, Buffer.alloc(1000, 7)), frame(16, Buffer.alloc(0))];
  const ts = [1_700_000_000_123.456, 1_700_000_000_124, 1_700_000_001_000.001];
  frames.forEach((f, i) => w.writeEthernet(f, ts[i]));
  t.is(w.records, 3);
  w.close();
  w.writeEthernet(frames[0]!, 0); // ignored after close
  const r = readPcap(path);
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.value.linkType, LINKTYPE_ETHERNET);
  t.is(r.value.resolution, 'usec');
  t.false(r.value.truncated);
  t.is(r.value.records.length, 3);
  r.value.records.forEach((rec, i) => {
    t.true(rec.data.equals(frames[i]!));
    t.is(rec.origLen, frames[i]!.length);
    t.true(Math.abs(rec.tsMs - ts[i]!) < 0.0011, `ts ${rec.tsMs} vs ${ts[i]}`);
  });
});

test('SunATM capture round trip through parseSunAtm', (t) => {
  const path = tmp('atm.pcap');
  const w = openPcapWriter(path, LINKTYPE_SUNATM);
  w.writeSunAtm({ direction: 'tx', vpi: 0, vci: 5, sdu: Buffer.from('0000000004000000', 'hex') }, 1000);
  w.writeSunAtm({ direction: 'rx', vpi: 3, vci: 40, sdu: Buffer.from('hello') }, 2000);
  w.close();
  const r = readPcap(readFileSync(path));
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.value.linkType, LINKTYPE_SUNATM);
  const recs = r.value.records.map((x) => parseSunAtm(x.data));
  t.deepEqual(
    recs.map((x) => (x.ok ? { ...x.value, sdu: x.value.sdu.toString('hex') } : x.error.code)),
    [
      { direction: 'tx', type: 6, vpi: 0, vci: 5, sdu: '0000000004000000' },
      { direction: 'rx', type: 0, vpi: 3, vci: 40, sdu: Buffer.from('hello').toString('hex') },
    ],
  );
  t.deepEqual(r.value.records.map((x) => x.tsMs), [1000, 2000]);
});

test('each record is on disk as soon as it is written (a killed process leaves a readable file)', (t) => {
  const path = tmp('live.pcap');
  const w = openPcapWriter(path, LINKTYPE_ETHERNET);
  w.writeEthernet(frame(5, Buffer.alloc(8)), 1);
  const r = readPcap(path); // not closed
  t.true(r.ok && r.value.records.length === 1);
  w.close();
});

test('a cut-off last record is an error unless tolerated', (t) => {
  const path = tmp('cut.pcap');
  const w = openPcapWriter(path, LINKTYPE_ETHERNET);
  w.writeEthernet(frame(5, Buffer.alloc(8)), 1);
  w.writeEthernet(frame(5, Buffer.alloc(8)), 2);
  w.close();
  const whole = readFileSync(path);
  const cut = whole.subarray(0, whole.length - 10);
  const strict = readPcap(cut);
  t.false(strict.ok);
  if (!strict.ok) {
    t.is(strict.error.code, 'pcap-truncated');
    t.is(strict.error.layer, 'pcap');
  }
  const lax = readPcap(cut, { allowTruncated: true });
  t.true(lax.ok && lax.value.truncated && lax.value.records.length === 1);
});

test('errors: missing file, short, bad magic, bad version, impossible record length', (t) => {
  const code = (x: string | Buffer) => {
    const r = readPcap(x);
    return r.ok ? 'ok' : `${r.error.code}@${r.error.offset}`;
  };
  t.is(code(join(dir, 'nope.pcap')), 'pcap-io@0');
  t.is(code(Buffer.alloc(10)), 'pcap-short@10');
  t.is(code(Buffer.alloc(24)), 'pcap-magic@0');
  const v = pcapGlobalHeader(1);
  v.writeUInt16LE(3, 4);
  t.is(code(v), 'pcap-version@4');
  const bad = Buffer.concat([pcapGlobalHeader(1), Buffer.from('00000000000000000a00000005000000', 'hex'), Buffer.alloc(10)]);
  t.is(code(bad), 'pcap-record-length@32');
});

test('big-endian and nanosecond files are read too', (t) => {
  const h = Buffer.from('a1b23c4d' + '0002' + '0004' + '00000000' + '00000000' + '0000ffff' + '00000001', 'hex');
  const rec = Buffer.from('00000001' + '000f4240' + '00000002' + '00000002' + 'abcd', 'hex');
  const r = readPcap(Buffer.concat([h, rec]));
  t.true(r.ok);
  if (r.ok) {
    t.is(r.value.resolution, 'nsec');
    t.is(r.value.records[0]!.tsMs, 1001);
    t.is(r.value.records[0]!.data.toString('hex'), 'abcd');
  }
});

test('writers refuse the other link type and an unknown one', (t) => {
  const a = openPcapWriter(tmp('a.pcap'), LINKTYPE_ETHERNET);
  t.throws(() => a.writeSunAtm({ direction: 'tx', vpi: 0, vci: 5, sdu: Buffer.alloc(0) }), { instanceOf: TypeError });
  a.close();
  const b = openPcapWriter(tmp('b.pcap'), LINKTYPE_SUNATM);
  t.throws(() => b.writeEthernet(Buffer.alloc(60)), { instanceOf: TypeError });
  b.close();
  t.throws(() => openPcapWriter(tmp('c.pcap'), 105 as never), { instanceOf: RangeError });
});

test('property: readPcap never throws on random or mutated input', (t) => {
  const path = tmp('seed.pcap');
  const w = openPcapWriter(path, LINKTYPE_SUNATM);
  for (let i = 0; i < 4; i++) w.writeSunAtm({ direction: 'rx', vpi: 0, vci: 5, sdu: Buffer.alloc(i * 5, i) }, i);
  w.close();
  const seed = readFileSync(path);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), fc.array(fc.tuple(fc.nat(), fc.nat(255))), fc.nat(), (rnd, edits, cut) => {
      const m = Buffer.from(seed);
      for (const [p, x] of edits) m[p % m.length] = x;
      for (const b of [Buffer.from(rnd), m.subarray(0, cut % (m.length + 1))]) {
        const r = readPcap(b, { allowTruncated: true });
        if (r.ok) r.value.records.forEach((x) => parseSunAtm(x.data));
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('a file appended to by hand stays readable record by record', (t) => {
  const path = tmp('manual.pcap');
  writeFileSync(path, pcapGlobalHeader(LINKTYPE_ETHERNET));
  appendFileSync(path, Buffer.from('01000000' + '00000000' + '02000000' + '02000000' + 'beef', 'hex'));
  const r = readPcap(path);
  t.true(r.ok && r.value.records.length === 1 && r.value.records[0]!.tsMs === 1000);
});

test('pcapng written by Wireshark tools (editcap) reads to the same records', (t) => {
  const path = tmp('src.pcap');
  const w = openPcapWriter(path, LINKTYPE_ETHERNET);
  const frames = [frame(5, Buffer.from('0000000004000000', 'hex')), frame(32, Buffer.alloc(301, 9))];
  w.writeEthernet(frames[0]!, 1_700_000_000_123.456);
  w.writeEthernet(frames[1]!, 1_700_000_000_200);
  w.close();
  const ng = tmp('out.pcapng');
  execFileSync('/usr/bin/editcap', ['-F', 'pcapng', path, ng], { stdio: 'ignore' });
  const r = readPcap(ng);
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.value.format, 'pcapng');
  t.is(r.value.linkType, LINKTYPE_ETHERNET);
  t.deepEqual(r.value.records.map((x) => x.data.toString('hex')), frames.map((f) => f.toString('hex')));
  t.true(Math.abs(r.value.records[0]!.tsMs - 1_700_000_000_123.456) < 0.0011);
  t.true(r.value.records.every((x) => x.linkType === LINKTYPE_ETHERNET));
});

/** A pcapng block: type, total length, body padded to 4, total length again. */
function block(be: boolean, type: number, body: Buffer): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
  const b = Buffer.alloc(12 + padded.length);
  const w32 = (v: number, o: number) => (be ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o));
  w32(type, 0);
  w32(b.length, 4);
  padded.copy(b, 8);
  w32(b.length, b.length - 4);
  return b;
}

test('pcapng: big-endian section, nanosecond interface, SunATM link type, simple packet and unknown blocks', (t) => {
  const be = Buffer.from;
  const shb = block(true, 0x0a0d0d0a, be('1a2b3c4d' + '0001' + '0000' + 'ffffffffffffffff', 'hex'));
  // IDB: link type 123, reserved, snaplen 65535, option if_tsresol (9) = 9, end of options
  const idb = block(true, 1, be('007b' + '0000' + '0000ffff' + '0009' + '0001' + '09000000' + '0000' + '0000', 'hex'));
  const ns = 1_700_000_000_123_456_789n;
  const epbBody = Buffer.alloc(20 + 6);
  epbBody.writeUInt32BE(0, 0);
  epbBody.writeUInt32BE(Number(ns >> 32n), 4);
  epbBody.writeUInt32BE(Number(ns & 0xffffffffn), 8);
  epbBody.writeUInt32BE(6, 12);
  epbBody.writeUInt32BE(6, 16);
  be('86000005abcd', 'hex').copy(epbBody, 20);
  const epb = block(true, 6, epbBody);
  const unknown = block(true, 0x0badcafe, be('01020304', 'hex'));
  const spb = block(true, 3, be('00000005' + '0600001011', 'hex'));
  const r = readPcap(Buffer.concat([shb, idb, unknown, epb, spb]));
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.value.linkType, LINKTYPE_SUNATM);
  t.is(r.value.resolution, 'nsec');
  t.is(r.value.records.length, 2);
  t.is(r.value.records[0]!.data.toString('hex'), '86000005abcd');
  t.true(Math.abs(r.value.records[0]!.tsMs - 1_700_000_000_123.456789) < 0.001);
  const a = parseSunAtm(r.value.records[0]!.data);
  t.true(a.ok && a.value.direction === 'tx' && a.value.vci === 5);
  t.is(r.value.records[1]!.data.toString('hex'), '0600001011');
});

test('pcapng errors: bad block length, undescribed interface, cut-off block', (t) => {
  const shb = block(false, 0x0a0d0d0a, Buffer.from('4d3c2b1a' + '0100' + '0000' + 'ffffffffffffffff', 'hex'));
  const bad = Buffer.concat([shb, Buffer.from('01000000' + '0d000000', 'hex'), Buffer.alloc(8)]);
  const code = (b: Buffer) => {
    const r = readPcap(b);
    return r.ok ? 'ok' : r.error.code;
  };
  t.is(code(bad), 'pcapng-block');
  const epb = block(false, 6, Buffer.alloc(20));
  t.is(code(Buffer.concat([shb, epb])), 'pcapng-interface');
  const idb = block(false, 1, Buffer.from('0100' + '0000' + 'ffff0000', 'hex'));
  const whole = Buffer.concat([shb, idb, epb]);
  t.is(code(whole), 'ok');
  t.is(code(whole.subarray(0, whole.length - 3)), 'pcap-truncated');
  const lax = readPcap(whole.subarray(0, whole.length - 3), { allowTruncated: true });
  t.true(lax.ok && lax.value.truncated && lax.value.records.length === 0);
});

test('property: readPcap never throws on mutated pcapng', (t) => {
  const shb = block(false, 0x0a0d0d0a, Buffer.from('4d3c2b1a' + '0100' + '0000' + 'ffffffffffffffff', 'hex'));
  const idb = block(false, 1, Buffer.from('0100' + '0000' + 'ffff0000' + '09000100' + '06000000' + '00000000', 'hex'));
  const body = Buffer.alloc(20 + 8, 0x11);
  body.writeUInt32LE(0, 0);
  body.writeUInt32LE(8, 12);
  body.writeUInt32LE(8, 16);
  const seed = Buffer.concat([shb, idb, block(false, 6, body), block(false, 3, Buffer.from('0400000001020304', 'hex'))]);
  t.true(readPcap(seed).ok);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }), fc.nat(), (edits, cut) => {
      const m = Buffer.from(seed);
      for (const [p, x] of edits) m[p % m.length] = x;
      readPcap(m.subarray(0, cut % (m.length + 1)), { allowTruncated: true });
      readPcap(m);
      return true;
    }),
    { numRuns: 3000 },
  );
});

test('pcapng writer: interfaces added on the way, each packet on its interface with its time; our reader reads it back', (t) => {
  const p = tmp('w.pcapng');
  const w = openPcapngWriter(p, { application: 'test' });
  const a = w.addInterface({ linkType: LINKTYPE_SUNATM, name: 'leaf1', description: 'root <-> leaf1' });
  w.write(a, encodeSunAtm({ direction: 'tx', vpi: 0, vci: 5, sdu: Buffer.from('abc') }), { tsMs: 1_700_000_000_123.456, direction: 'tx' });
  const b = w.addInterface({ linkType: LINKTYPE_UPPER_PDU, name: 'leaf1 VC 0/32' });
  w.write(b, upperPdu(Buffer.from('hello'), 'data', 'AAL5'), { tsMs: 1_700_000_000_124, direction: 'rx' });
  t.throws(() => w.write(7, Buffer.alloc(1)), { instanceOf: RangeError, message: /interface 7 is not described/ });
  w.close();
  w.write(a, Buffer.alloc(1)); // after close: ignored
  t.is(w.records, 2);
  t.is(w.interfaces, 2);
  const r = readPcap(p);
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.value.format, 'pcapng');
  t.is(r.value.resolution, 'usec');
  t.deepEqual(
    r.value.records.map((x) => [x.linkType, Number(x.tsMs.toFixed(3)), x.data.length]),
    [
      [LINKTYPE_SUNATM, 1_700_000_000_123.456, 7],
      [LINKTYPE_UPPER_PDU, 1_700_000_000_124, upperPdu(Buffer.from('hello'), 'data', 'AAL5').length],
    ],
  );
  t.true(r.value.records[1]!.data.subarray(-5).equals(Buffer.from('hello')));
});

test('ATM capture: pcapng gives one interface per link, one for discovery, one per user VC (reused); sunatm keeps the classic file', (t) => {
  const p = tmp('atm.pcapng');
  const c = openAtmCapture(p, { self: 'root', peerName: (m) => (m === '02:00:00:00:00:02' ? 'leaf1' : undefined) });
  const sd = Buffer.from('0000000800000000', 'hex');
  c.record('tx', 0, 5, sd, '02:00:00:00:00:02', 1);
  c.record('rx', 0, 5, sd, '02:00:00:00:00:02', 2);
  c.record('rx', 0, 5, sd, '02:00:00:00:00:03', 3);
  c.record('tx', 0, 16, Buffer.from([1]), 'ff:ff:ff:ff:ff:ff', 4);
  c.record('tx', 0, 32, Buffer.from('x'), '02:00:00:00:00:02', 5);
  c.record('tx', 0, 32, Buffer.from('y'), '02:00:00:00:00:02', 6);
  c.close();
  const buf = readFileSync(p);
  // interface description blocks (type 1), in order of first use
  const idbs: string[] = [];
  for (let o = 0; o < buf.length; o += buf.readUInt32LE(o + 4)) {
    if (buf.readUInt32LE(o) === 1) idbs.push(buf.subarray(o + 20, o + 20 + buf.readUInt16LE(o + 18)).toString());
  }
  t.deepEqual(idbs, ['leaf1', '02:00:00:00:00:03', 'discovery', 'leaf1 VC 0/32']);
  t.is(c.records, 6);
  const classic = openAtmCapture(tmp('atm.pcap'), { format: 'sunatm' });
  classic.record('tx', 0, 5, sd, '02:00:00:00:00:02', 1);
  classic.close();
  const r = readPcap(classic.path);
  t.true(r.ok && r.value.format === 'pcap' && r.value.linkType === LINKTYPE_SUNATM && r.value.records.length === 1);
  t.throws(() => openAtmCapture(tmp('x'), { format: 'pcap' as never }), { instanceOf: RangeError, message: /neither pcapng nor sunatm/ });
});
