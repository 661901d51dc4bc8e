import test from 'ava';
import fc from 'fast-check';
import { aal5TrailerAt, cellHeader, emitFrame, emitFrameAfter, frameHeader, parseFrame, SDU_OFFSET } from '../../src/wire/index.js';

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));

test('emitFrameAfter(frameHeader(...)) builds the very octets emitFrame builds', (t) => {
  fc.assert(
    fc.property(mac, mac, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 0xffff }), fc.uint8Array({ maxLength: 1600 }), (dst, src, vpi, vci, sdu) => {
      const data = Buffer.from(sdu);
      const a = emitFrame({ dst, src, etherType: 0x88b5, cell: cellHeader(vpi, vci), uu: 0, cpi: 0, sdu: data });
      const b = emitFrameAfter(frameHeader(dst, src, 0x88b5, cellHeader(vpi, vci)), data);
      t.deepEqual(b, a);
    }),
  );
});

test('aal5TrailerAt accepts exactly what parseFrame accepts, and locates the same SDU', (t) => {
  const valid = fc
    .tuple(mac, mac, fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 100 }))
    .map(([dst, src, vci, sdu]) => emitFrame({ dst, src, etherType: 0x88b5, cell: cellHeader(0, vci), uu: 0, cpi: 0, sdu: Buffer.from(sdu) }));
  const mutated = fc.tuple(valid, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([f, at, x]) => {
    const g = Buffer.from(f);
    g[at % g.length] ^= x;
    return g;
  });
  const random = fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b));
  fc.assert(
    fc.property(fc.oneof(valid, mutated, random), (buf) => {
      const r = parseFrame(buf);
      const at = aal5TrailerAt(buf);
      t.is(at >= 0, r.ok);
      if (r.ok) t.deepEqual(buf.subarray(SDU_OFFSET, at), r.value.sdu);
    }),
    { numRuns: 2000 },
  );
});
