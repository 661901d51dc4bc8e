import test from 'ava';
import { crc32Aal5, crc32Aal5Update, crc32Aal5UpdateJs } from '../../src/wire/index.js';
import { NATIVE_CRC_FROM, nativeCrc, nativeCrcTables } from '../../src/wire/crc32-native.js';

/** A 48-octet AAL5 CPCS-PDU of 40 SDU octets: SDU, UU 0, CPI 0, Length 40, then the CRC. */
function pdu40(fill: (i: number) => number): Buffer {
  const b = Buffer.alloc(44);
  for (let i = 0; i < 40; i++) b[i] = fill(i);
  b.writeUInt32BE(40, 40);
  return b;
}

test('AAL5 vector: 40 zero octets + trailer gives 0x864D7F99', (t) => {
  t.is(crc32Aal5(pdu40(() => 0x00)), 0x864d7f99);
});

test('AAL5 vector: 40 octets of 0xFF + trailer gives 0xC55E457A', (t) => {
  t.is(crc32Aal5(pdu40(() => 0xff)), 0xc55e457a);
});

test('AAL5 vector: octets 1..40 + trailer gives 0xBF671ED0', (t) => {
  t.is(crc32Aal5(pdu40((i) => i + 1)), 0xbf671ed0);
});

test('check value of "123456789" is 0xFC891918 (MSB first, init ones, final complement)', (t) => {
  t.is(crc32Aal5(Buffer.from('123456789', 'ascii')), 0xfc891918);
});

test('empty input gives 0 and bounds select a slice', (t) => {
  t.is(crc32Aal5(Buffer.alloc(0)), 0);
  const b = Buffer.concat([Buffer.from('xx'), Buffer.from('123456789'), Buffer.from('yy')]);
  t.is(crc32Aal5(b, 2, 11), 0xfc891918);
});

test('out-of-range bounds are clamped, never thrown', (t) => {
  const b = Buffer.from('123456789');
  t.is(crc32Aal5(b, -5, 1000), 0xfc891918);
  t.is(crc32Aal5(b, 7, 3), 0);
});

test('running the register over pieces equals one pass', (t) => {
  const b = pdu40((i) => (i * 37) & 0xff);
  const reg = crc32Aal5Update(crc32Aal5Update(0xffffffff, b, 0, 13), b, 13, b.length);
  t.is((reg ^ 0xffffffff) >>> 0, crc32Aal5(b));
});

test('a PDU with its CRC appended leaves the AAL5 residue 0xC704DD7B in the register', (t) => {
  const b = Buffer.alloc(48);
  pdu40((i) => i + 1).copy(b);
  b.writeUInt32BE(crc32Aal5(b, 0, 44), 44);
  t.is(crc32Aal5Update(0xffffffff, b, 0, 48), 0xc704dd7b);
});

/** The textbook one-bit-at-a-time definition, to check the table-driven code against. */
function bitwise(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test('table-driven CRC equals the bitwise definition for every length and alignment 0..70', (t) => {
  const data = Buffer.alloc(80);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 17) & 0xff;
  for (let s = 0; s < 4; s++) {
    for (let n = 0; n + s <= 74; n++) t.is(crc32Aal5(data, s, s + n), bitwise(data.subarray(s, s + n)), `start ${s} length ${n}`);
  }
});

for (const [which, get] of [
  ['best (PCLMULQDQ where the CPU has it)', nativeCrc],
  ['tables', nativeCrcTables],
] as const) {
  test(`native helper CRC, ${which} (when built), equals the JavaScript loop and the bitwise definition: every length to 604 at four alignments, views, pieces`, (t) => {
    const native = get();
    if (!native) {
      // without the helper crc32Aal5Update is the JavaScript loop; nothing else to compare
      t.is(crc32Aal5Update(0xffffffff, Buffer.alloc(NATIVE_CRC_FROM), 0, NATIVE_CRC_FROM), crc32Aal5UpdateJs(0xffffffff, Buffer.alloc(NATIVE_CRC_FROM), 0, NATIVE_CRC_FROM));
      return;
    }
    const data = Buffer.alloc(700);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 17 + (i >> 8)) & 0xff;
    for (let s = 0; s < 4; s++)
      for (let n = 0; n + s <= 604; n++) {
        const want = crc32Aal5UpdateJs(0xffffffff, data, s, s + n);
        if (native(0xffffffff, data, s, s + n) !== want) return t.fail(`start ${s} length ${n}`);
      }
    t.is((native(0xffffffff, data, 3, 603) ^ 0xffffffff) >>> 0, bitwise(data.subarray(3, 603)));
    // a view into a larger buffer (a frame in Node's pool): its own offset, not the pool's
    const view = Buffer.from(data).subarray(5, 605);
    t.is(native(0xffffffff, view, 0, 600), crc32Aal5UpdateJs(0xffffffff, data, 5, 605));
    // the register carried from one piece to the next, starting from any value (>>> 0 or not)
    const half = crc32Aal5UpdateJs(0xffffffff, data, 0, 300);
    t.is(native(half, data, 300, 650), crc32Aal5UpdateJs(0xffffffff, data, 0, 650));
    t.is(native(half | 0, data, 300, 650), crc32Aal5UpdateJs(0xffffffff, data, 0, 650));
    // bounds clamped to the array, as crc32Aal5 clamps them
    t.is(native(0xffffffff, data, 600, 5000), crc32Aal5UpdateJs(0xffffffff, data, 600, 700));
    t.is(native(0xffffffff, data, 650, 640), 0xffffffff);
    // and crc32Aal5 on a long span goes through it with the same result
    t.is(crc32Aal5(data, 10, 690), bitwise(data.subarray(10, 690)));
    t.throws(() => native(0, 'not bytes' as unknown as Uint8Array, 0, 1), { instanceOf: TypeError });
  });
}
