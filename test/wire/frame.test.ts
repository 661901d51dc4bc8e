import test from 'ava';
import fc from 'fast-check';
import {
  ETH_MIN_FRAME,
  ETHERTYPE_CONDIS,
  MAX_SDU_DEFAULT,
  VCI_DISCOVERY,
  VCI_FIRST_USER,
  VCI_SIGNALLING,
  cellHeader,
  crc32Aal5,
  emitFrame,
  frameLength,
  maxSdu,
  parseFrame,
  peekVc,
  peekVcKey,
  vcKey,
  type Frame,
} from '../../src/wire/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** SSCOP ENDAK (8 octets) on VPI 0 / VCI 5, padded to 60 octets. */
const GOLDEN_ENDAK = hex(`
  020000000002 020000000001 88b5
  00000052
  0000000004000000
  00 00 0008 ba2d28f9
  0000000000000000000000000000000000000000000000000000`);

/** Every cell-header bit position exercised, 40-octet SDU, UU/CPI set, no padding needed (66 octets). */
const GOLDEN_BITS = hex(`
  ffffffffffff 02aabbccddee 88b5
  abcdef17
  ${'5a'.repeat(40)}
  12 34 0028 08ca36fe`);

const endak: Frame = {
  dst: '02:00:00:00:00:02',
  src: '02:00:00:00:00:01',
  etherType: ETHERTYPE_CONDIS,
  cell: cellHeader(0, VCI_SIGNALLING),
  uu: 0,
  cpi: 0,
  sdu: hex('0000000004000000'),
};

const bits: Frame = {
  dst: 'ff:ff:ff:ff:ff:ff',
  src: '02:aa:bb:cc:dd:ee',
  etherType: ETHERTYPE_CONDIS,
  cell: { gfc: 0xa, vpi: 0xbc, vci: 0xdef1, pti: 3, clp: 1 },
  uu: 0x12,
  cpi: 0x34,
  sdu: Buffer.alloc(40, 0x5a),
};

function plain(f: Frame) {
  return { ...f, sdu: Buffer.from(f.sdu).toString('hex') };
}

test('constants are the docs/wire.md numbers', (t) => {
  t.is(ETHERTYPE_CONDIS, 0x88b5);
  t.is(VCI_SIGNALLING, 5);
  t.is(VCI_DISCOVERY, 16);
  t.is(VCI_FIRST_USER, 32);
  t.is(ETH_MIN_FRAME, 60);
  t.is(maxSdu(1500), 1488);
  t.is(MAX_SDU_DEFAULT, 1488);
  t.is(maxSdu(9000), 8988);
  t.is(maxSdu(100000), 65535);
  t.is(maxSdu(5), 0);
});

test('golden: ENDAK on the signalling VC is laid out and padded to 60 octets', (t) => {
  const b = emitFrame(endak);
  t.is(b.length, 60);
  t.is(b.toString('hex'), GOLDEN_ENDAK.toString('hex'));
});

test('golden: cell header bit positions, UU and CPI, no padding at 66 octets', (t) => {
  t.is(emitFrame(bits).toString('hex'), GOLDEN_BITS.toString('hex'));
});

test('golden frames parse back to their records', (t) => {
  const a = parseFrame(GOLDEN_ENDAK);
  t.true(a.ok);
  if (a.ok) t.deepEqual(plain(a.value), plain(endak));
  const b = parseFrame(GOLDEN_BITS);
  t.true(b.ok);
  if (b.ok) t.deepEqual(plain(b.value), plain(bits));
});

test('the trailer CRC covers SDU + UU + CPI + Length', (t) => {
  const b = emitFrame(bits);
  t.is(b.readUInt32BE(18 + 40 + 4), crc32Aal5(b, 18, 18 + 40 + 4));
});

test('padding: the frame size is max(60, 26 + SDU), trailer right after the SDU, zeros after', (t) => {
  for (const n of [0, 1, 33, 34, 35, 100, 1488]) {
    const b = emitFrame({ ...endak, sdu: Buffer.alloc(n, 0xee) });
    t.is(b.length, Math.max(60, 26 + n), `SDU ${n}`);
    t.is(frameLength(n), b.length);
    t.is(b.readUInt16BE(18 + n + 2), n, `Length field for SDU ${n}`);
    t.true(b.subarray(26 + n).every((x) => x === 0), `padding zero for SDU ${n}`);
    const p = parseFrame(b);
    t.true(p.ok && p.value.sdu.length === n);
  }
});

test('the receiver trusts Length: an empty SDU padded with zeros decodes as empty', (t) => {
  const b = emitFrame({ ...endak, sdu: Buffer.alloc(0) });
  const p = parseFrame(b);
  t.true(p.ok);
  if (p.ok) t.is(p.value.sdu.length, 0);
});

test('an unpadded short frame (memory or EtherIP medium) decodes too', (t) => {
  const p = parseFrame(GOLDEN_ENDAK.subarray(0, 34));
  t.true(p.ok);
  if (p.ok) t.is(p.value.sdu.toString('hex'), '0000000004000000');
});

test('extra padding beyond 60 octets (e.g. an 802.1Q tag stripped) is tolerated for a short PDU', (t) => {
  const p = parseFrame(Buffer.concat([GOLDEN_ENDAK, Buffer.alloc(4)]));
  t.true(p.ok);
  if (p.ok) t.is(p.value.sdu.length, 8);
});

test('sdu is a view into the parsed buffer, not a copy', (t) => {
  const b = Buffer.from(GOLDEN_BITS);
  const p = parseFrame(b);
  t.true(p.ok);
  if (!p.ok) return;
  t.is(p.value.sdu.buffer, b.buffer);
  b[18] = 0x77;
  t.is(p.value.sdu[0], 0x77);
});

function code(b: Buffer, opts?: { etherType?: number }) {
  const r = parseFrame(b, opts);
  return r.ok ? 'ok' : `${r.error.code}@${r.error.offset}`;
}

test('errors: Ethernet header short, foreign EtherType', (t) => {
  t.is(code(Buffer.alloc(0)), 'ethernet-short@0');
  t.is(code(GOLDEN_ENDAK.subarray(0, 13)), 'ethernet-short@13');
  const ip = Buffer.from(GOLDEN_ENDAK);
  ip.writeUInt16BE(0x0800, 12);
  t.is(code(ip), 'not-our-ethertype@12');
  t.is(code(GOLDEN_ENDAK, { etherType: 0x88b6 }), 'not-our-ethertype@12');
});

test('a configured EtherType is honoured both ways', (t) => {
  const b = emitFrame({ ...endak, etherType: 0x88b6 });
  t.is(code(b, { etherType: 0x88b6 }), 'ok');
  t.is(code(b), 'not-our-ethertype@12');
});

test('errors: cell header truncated, OAM PTI, unassigned cell', (t) => {
  t.is(code(GOLDEN_ENDAK.subarray(0, 16)), 'cell-header@16');
  t.is(code(emitFrame({ ...endak, cell: { ...endak.cell, pti: 4 } })), 'cell-header@17');
  t.is(code(emitFrame({ ...endak, cell: cellHeader(0, 0) })), 'cell-header@14');
});

test('errors: no room for a trailer', (t) => {
  t.is(code(GOLDEN_ENDAK.subarray(0, 25)), 'aal5-short@25');
});

test('errors: Length larger than the frame carries', (t) => {
  const b = Buffer.from(GOLDEN_BITS);
  b.writeUInt16BE(41, 18 + 40 + 2);
  const r = parseFrame(b);
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'aal5-length');
    t.is(r.error.layer, 'aal5');
    t.is(r.error.offset, 60);
    t.regex(r.error.message, /Length 41/);
  }
});

test('errors: octets after a PDU that padding cannot explain', (t) => {
  t.is(code(Buffer.concat([GOLDEN_BITS, Buffer.alloc(1)])), 'aal5-length@61');
});

test('errors: a flipped bit anywhere in SDU or trailer is a CRC error, never a delivery', (t) => {
  for (let i = 18; i < 18 + 8 + 8; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const b = Buffer.from(GOLDEN_ENDAK);
      b[i]! ^= 1 << bit;
      t.not(code(b), 'ok', `octet ${i} bit ${bit}`);
    }
  }
  const b = Buffer.from(GOLDEN_BITS);
  b[30]! ^= 0x01;
  t.is(code(b), 'aal5-crc@62');
});

test('errors are DecodeErrors with a layer, a name-like code and a message', (t) => {
  const r = parseFrame(Buffer.alloc(3));
  t.false(r.ok);
  if (!r.ok) {
    t.true(r.error instanceof Error);
    t.is(r.error.name, 'DecodeError');
    t.is(r.error.layer, 'ethernet');
    t.regex(r.error.message, /shorter than an Ethernet header/);
  }
});

test('peekVc reads VPI/VCI without a full parse', (t) => {
  t.deepEqual(peekVc(GOLDEN_ENDAK), { vpi: 0, vci: 5 });
  t.deepEqual(peekVc(GOLDEN_BITS), { vpi: 0xbc, vci: 0xdef1 });
  t.is(peekVc(GOLDEN_ENDAK.subarray(0, 17)), undefined);
  t.is(peekVc(GOLDEN_ENDAK, 0x0800), undefined);
});

test('emitFrame refuses impossible records (caller bugs)', (t) => {
  t.throws(() => emitFrame({ ...endak, cell: { ...endak.cell, vpi: 256 } }), { instanceOf: RangeError });
  t.throws(() => emitFrame({ ...endak, cell: { ...endak.cell, vci: -1 } }), { instanceOf: RangeError });
  t.throws(() => emitFrame({ ...endak, uu: 1.5 }), { instanceOf: RangeError });
  t.throws(() => emitFrame({ ...endak, sdu: Buffer.alloc(65536) }), { instanceOf: RangeError });
  t.throws(() => emitFrame({ ...endak, dst: '02:00:00:00:00' }), { instanceOf: RangeError });
});

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((a) => Array.from(a, (x) => x.toString(16).padStart(2, '0')).join(':'));
const frameArb: fc.Arbitrary<Frame> = fc.record({
  dst: macArb,
  src: macArb,
  etherType: fc.constantFrom(ETHERTYPE_CONDIS, 0x88b6),
  cell: fc
    .record({
      gfc: fc.integer({ min: 0, max: 15 }),
      vpi: fc.integer({ min: 0, max: 255 }),
      vci: fc.integer({ min: 0, max: 0xffff }),
      pti: fc.integer({ min: 0, max: 3 }),
      clp: fc.integer({ min: 0, max: 1 }),
    })
    .filter((c) => c.vpi !== 0 || c.vci !== 0),
  uu: fc.integer({ min: 0, max: 255 }),
  cpi: fc.integer({ min: 0, max: 255 }),
  sdu: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 1488 })).map((a) => Buffer.from(a)),
});

test('property: parse(emit(f)) == f', (t) => {
  fc.assert(
    fc.property(frameArb, (f) => {
      const r = parseFrame(emitFrame(f), { etherType: f.etherType });
      return r.ok && JSON.stringify(plain(r.value)) === JSON.stringify(plain(f));
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('property: random bytes never throw, and anything accepted re-emits to the same PDU', (t) => {
  const bytes = fc.uint8Array({ maxLength: 200 }).map((a) => {
    const b = Buffer.from(a);
    if (b.length >= 14 && b[0]! & 1) b.writeUInt16BE(ETHERTYPE_CONDIS, 12);
    return b;
  });
  fc.assert(
    fc.property(bytes, (b) => {
      const r = parseFrame(b);
      if (!r.ok) return typeof r.error.code === 'string' && r.error.offset >= 0 && r.error.offset <= b.length;
      return emitFrame(r.value).subarray(0, 26 + r.value.sdu.length).equals(b.subarray(0, 26 + r.value.sdu.length));
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

test('property: mutated valid frames never throw and are never delivered with a wrong SDU', (t) => {
  const mutation = fc.record({
    f: frameArb,
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
  });
  fc.assert(
    fc.property(mutation, ({ f, edits, cut }) => {
      let b = emitFrame(f);
      const orig = Buffer.from(b);
      for (const [pos, x] of edits) b[pos % b.length]! ^= x;
      if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
      const r = parseFrame(b, { etherType: f.etherType });
      // Accepted only when the edits spared the CPCS-PDU (headers, padding or a cut in the
      // padding): a changed SDU or trailer octet would need a forged CRC-32.
      const pduEnd = 26 + f.sdu.length;
      const pduTouched = b.length < pduEnd || !b.subarray(18, pduEnd).equals(orig.subarray(18, pduEnd));
      if (!r.ok) return true;
      return !pduTouched && r.value.sdu.equals(f.sdu) && r.value.uu === f.uu && r.value.cpi === f.cpi;
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('errors: a CRC error in a padded frame is reported at the trailer the sender wrote', (t) => {
  const b = Buffer.from(GOLDEN_ENDAK);
  b[20]! ^= 0x04; // an SDU octet
  t.is(code(b), 'aal5-crc@30');
});

test('peekVcKey gives vpi * 65536 + vci without allocating, -1 when not ours', (t) => {
  t.is(peekVcKey(GOLDEN_ENDAK), vcKey(0, 5));
  t.is(peekVcKey(GOLDEN_BITS), 0xbc * 65536 + 0xdef1);
  t.is(peekVcKey(GOLDEN_ENDAK.subarray(0, 17)), -1);
  t.is(peekVcKey(GOLDEN_ENDAK, 0x0800), -1);
});
