import test from 'ava';
import fc from 'fast-check';
import { cellHeader, emitFrame, frameHeader, FrameView, macNumber, parseFrame, PTI_AAL5_END, reframe, vcKey } from '../../src/wire/index.js';

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));

test('macNumber reads a MAC string as the 48-bit number of its six octets', (t) => {
  t.is(macNumber('00:00:00:00:00:01'), 1);
  t.is(macNumber('ff:ff:ff:ff:ff:ff'), 2 ** 48 - 1);
  t.is(macNumber('02:00:5E:00:01:0a'), 0x02005e00010a);
  t.throws(() => macNumber('02:00:5e:00:01'), { instanceOf: RangeError });
  t.throws(() => macNumber('02-00-5e-00-01-0a'), { instanceOf: RangeError });
});

test('the view reads what parseFrame decodes: MACs as numbers, VC key, PTI/CLP, SDU bounds', (t) => {
  fc.assert(
    fc.property(mac, mac, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 0, max: 1 }), fc.uint8Array({ maxLength: 200 }), (dst, src, vpi, vci, clp, sdu) => {
      const buf = emitFrame({ dst, src, etherType: 0x88b5, cell: { ...cellHeader(vpi, vci), clp }, uu: 0, cpi: 0, sdu: Buffer.from(sdu) });
      const v = new FrameView().wrap(buf);
      t.true(v.hasHeader);
      t.is(v.dst, macNumber(dst));
      t.is(v.src, macNumber(src));
      t.is(v.dstMac, dst);
      t.is(v.srcMac, src);
      t.is(v.vcKey, vcKey(vpi, vci));
      t.is(v.vpi, vpi);
      t.is(v.vci, vci);
      t.is(v.pti, PTI_AAL5_END);
      t.is(v.clp, clp);
      t.true(v.check());
      t.deepEqual(v.sdu, Buffer.from(sdu));
      t.is(v.sduEnd - v.sduStart, sdu.length);
      t.is(v.trailerAt, v.sduEnd);
    }),
    { numRuns: 300 },
  );
});

test('check() accepts exactly what parseFrame accepts; errorCode() is parseFrame\'s code', (t) => {
  const valid = fc
    .tuple(mac, mac, fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 100 }))
    .map(([dst, src, vci, sdu]) => emitFrame({ dst, src, etherType: 0x88b5, cell: cellHeader(0, vci), uu: 0, cpi: 0, sdu: Buffer.from(sdu) }));
  const mutated = fc.tuple(valid, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([f, at, x]) => {
    const g = Buffer.from(f);
    g[at % g.length] ^= x;
    return g;
  });
  const random = fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b));
  const v = new FrameView();
  fc.assert(
    fc.property(fc.oneof(valid, mutated, random), (buf) => {
      const r = parseFrame(buf);
      v.wrap(buf);
      t.is(v.check(), r.ok);
      if (r.ok) t.deepEqual(v.sdu, r.value.sdu);
      else t.is(v.errorCode(), r.error.code);
    }),
    { numRuns: 2000 },
  );
});

test('a view wrapped around the next frame forgets the last one (no stale trailer)', (t) => {
  const good = emitFrame({ dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02', etherType: 0x88b5, cell: cellHeader(0, 40), uu: 0, cpi: 0, sdu: Buffer.from('hello') });
  const bad = Buffer.from(good);
  bad[20] ^= 1;
  const v = new FrameView();
  t.true(v.wrap(good).check());
  t.false(v.wrap(bad).check());
  t.is(v.trailerAt, -1);
  t.is(v.errorCode(), 'aal5-crc');
  t.false(v.wrap(Buffer.alloc(10)).hasHeader);
  t.false(new FrameView(0x0800).wrap(good).hasHeader);
});

test('reframe gives the frame emitFrame builds for the new header and the same SDU', (t) => {
  fc.assert(
    fc.property(mac, mac, mac, fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 1, max: 0xffff }), fc.uint8Array({ maxLength: 300 }), (a, b, c, vci1, vci2, sdu) => {
      const data = Buffer.from(sdu);
      const first = emitFrame({ dst: a, src: b, etherType: 0x88b5, cell: cellHeader(0, vci1), uu: 0, cpi: 0, sdu: data });
      const again = reframe(first, frameHeader(c, a, 0x88b5, cellHeader(0, vci2)));
      t.deepEqual(again, emitFrame({ dst: c, src: a, etherType: 0x88b5, cell: cellHeader(0, vci2), uu: 0, cpi: 0, sdu: data }));
      t.not(again, first);
    }),
    { numRuns: 200 },
  );
});
