import test from 'ava';
import fc from 'fast-check';
import { aal5TrailerAt, AAL5_MAX_SDU, cellHeader, emitFrame, emitFrameAfter, emitFrameInto, frameHeader, frameLength, parseFrame, reheader, SDU_OFFSET } from '../../src/wire/index.js';

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

test('emitFrameInto builds the same octets in a reused buffer, whatever an earlier frame left there; reheader gives another path\'s frame in place', (t) => {
  const buf = Buffer.alloc(frameLength(1600), 0xee);
  fc.assert(
    fc.property(mac, mac, mac, fc.integer({ min: 1, max: 0xffff }), fc.uint8Array({ maxLength: 1600 }), (dst, src, other, vci, sdu) => {
      const data = Buffer.from(sdu);
      const f = emitFrameInto(buf, frameHeader(dst, src, 0x88b5, cellHeader(0, vci)), data);
      t.deepEqual(f, emitFrame({ dst, src, etherType: 0x88b5, cell: cellHeader(0, vci), uu: 0, cpi: 0, sdu: data }));
      t.is(f.buffer, buf.buffer); // a view of the caller's buffer: nothing allocated for the octets
      t.is(f.byteOffset, buf.byteOffset);
      t.is(reheader(f, frameHeader(other, src, 0x88b5, cellHeader(1, vci))), f);
      t.deepEqual(f, emitFrame({ dst: other, src, etherType: 0x88b5, cell: cellHeader(1, vci), uu: 0, cpi: 0, sdu: data }));
    }),
    { numRuns: 300 },
  );
});

test('emitFrameInto refuses a frame its buffer cannot hold, and an SDU too long for AAL5', (t) => {
  const header = frameHeader('02:00:00:00:00:01', '02:00:00:00:00:02', 0x88b5, cellHeader(0, 40));
  const exact = Buffer.alloc(frameLength(100));
  t.is(emitFrameInto(exact, header, Buffer.alloc(100)), exact); // exactly its size: the buffer itself
  t.throws(() => emitFrameInto(exact, header, Buffer.alloc(101 + 48)), { instanceOf: RangeError, message: /does not fit a buffer of/ });
  t.throws(() => emitFrameInto(Buffer.alloc(70_000), header, Buffer.alloc(AAL5_MAX_SDU + 1)), { instanceOf: RangeError, message: /SDU length/ });
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
