import test from 'ava';
import fc from 'fast-check';
import { DecodeError } from '../../src/common/result.js';
import { emitPdu, parsePdu, parseTrailer, pduName, describePdu, SSCOP_PDU_TYPE, type SscopPdu } from '../../src/sscop/index.js';
import { arbPdu } from './arbitraries.js';

const hex = (s: string) => Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');
const E = Buffer.alloc(0);

/**
 * Golden encodings written out by hand from the Q.2110 trailer layout
 * (PL:2 | rsvd:1 | S:1 | type:4 | 24-bit field in the last word), one or more per PDU type.
 */
const golden: [string, SscopPdu, string][] = [
  ['BGN, no UU', { type: 'BGN', nsq: 0x2a, nmr: 0x80, uu: E }, '0000002a 01000080'],
  ['BGN, 3-octet UU padded by 1', { type: 'BGN', nsq: 5, nmr: 0x80, uu: Buffer.from('abc') }, '61626300 00000005 41000080'],
  ['BGAK', { type: 'BGAK', nmr: 0x123456, uu: E }, '00000000 02123456'],
  ['BGREJ, 2-octet UU padded by 2', { type: 'BGREJ', uu: Buffer.from('hi') }, '68690000 00000000 87000000'],
  ['END by SSCOP (S=1)', { type: 'END', source: 'sscop', uu: E }, '00000000 13000000'],
  ['END by the user (S=0), 4-octet UU', { type: 'END', source: 'user', uu: Buffer.from('done') }, '646f6e65 00000000 03000000'],
  ['ENDAK', { type: 'ENDAK' }, '00000000 04000000'],
  ['RS', { type: 'RS', nsq: 7, nmr: 0x100, uu: E }, '00000007 05000100'],
  ['RSAK', { type: 'RSAK', nmr: 0xabcdef }, '00000000 06abcdef'],
  ['ER', { type: 'ER', nsq: 0xff, nmr: 1 }, '000000ff 09000001'],
  ['ERAK', { type: 'ERAK', nmr: 5 }, '00000000 0f000005'],
  ['SD, 6 octets padded by 2', { type: 'SD', ns: 0xfffffe, data: Buffer.from('Q.2931') }, '512e3239 33310000 88fffffe'],
  ['SD, empty', { type: 'SD', ns: 0, data: E }, '08000000'],
  ['POLL', { type: 'POLL', nps: 3, ns: 0x10 }, '00000003 0a000010'],
  ['STAT, empty list', { type: 'STAT', nps: 1, nmr: 0x80, nr: 0, list: [] }, '00000001 00000080 0b000000'],
  [
    'STAT, four list elements',
    { type: 'STAT', nps: 9, nmr: 0x90, nr: 0x10, list: [0x10, 0x12, 0x20, 0x21] },
    '00000010 00000012 00000020 00000021 00000009 00000090 0b000010',
  ],
  ['USTAT', { type: 'USTAT', nmr: 0x80, nr: 2, sn1: 3, sn2: 5 }, '00000003 00000005 00000080 0c000002'],
  ['UD, 1 octet padded by 3', { type: 'UD', data: Buffer.from('x') }, '78000000 cd000000'],
  ['MD, 4 octets', { type: 'MD', data: hex('01020304') }, '01020304 0e000000'],
];

for (const [title, pdu, bytes] of golden) {
  test(`golden ${title}: emit and parse`, (t) => {
    const b = emitPdu(pdu);
    t.is(b.toString('hex'), hex(bytes).toString('hex'));
    const r = parsePdu(b);
    t.true(r.ok);
    if (r.ok) t.deepEqual(r.value, pdu);
  });
}

/** the next small Buffer.allocUnsafe comes from Node's pool, just after this probe: fill what is left of the pool with garbage */
function dirtyPool(): void {
  for (;;) {
    const probe = Buffer.allocUnsafe(1);
    const rest = probe.buffer.byteLength - (probe.byteOffset + 8);
    if (rest >= 256) {
      new Uint8Array(probe.buffer, probe.byteOffset + 8).fill(0xa5);
      return;
    }
  }
}

test('emitted PDUs are the golden octets also when the memory they are made in held other data', (t) => {
  for (const [title, pdu, bytes] of golden) {
    dirtyPool();
    t.is(emitPdu(pdu).toString('hex'), hex(bytes).toString('hex'), title);
  }
});

test('every PDU type has a golden vector', (t) => {
  const covered = new Set(golden.map(([, p]) => p.type));
  t.deepEqual([...covered].sort(), Object.keys(SSCOP_PDU_TYPE).sort());
});

test('pduName names codes and records; unknown codes are shown in hex', (t) => {
  t.is(pduName(0x1), 'BGN');
  t.is(pduName(0xb), 'STAT');
  t.is(pduName(0xf), 'ERAK');
  t.is(pduName('USTAT'), 'USTAT');
  t.is(pduName(0x8, true), 'SD (sequenced data)');
  t.is(pduName(0), 'type 0x0');
});

test('parseTrailer exposes PL, S and type', (t) => {
  const tr = parseTrailer(hex('61626300 00000005 41000080'))!;
  t.deepEqual(tr, { pl: 1, reserved: 0, s: 0, type: 1, field: 0x80 });
  t.is(parseTrailer(hex('00000000 13000000'))!.s, 1);
  t.is(parseTrailer(Buffer.alloc(3)), undefined);
});

test('describePdu prints names and fields', (t) => {
  t.is(describePdu({ type: 'POLL', nps: 3, ns: 7 }), 'POLL N(PS)=3 N(S)=7');
  t.is(describePdu({ type: 'END', source: 'sscop', uu: E }), 'END S=1');
});

function code(buf: Buffer, limits?: Parameters<typeof parsePdu>[1]): string {
  const r = parsePdu(buf, limits);
  if (r.ok) return 'ok';
  t0(r.error);
  return r.error.code;
}
function t0(e: DecodeError) {
  if (!(e instanceof DecodeError) || e.layer !== 'sscop') throw new Error('not an sscop DecodeError');
}

test('size rules: not a multiple of 4 or empty is bad-length', (t) => {
  t.is(code(Buffer.alloc(0)), 'bad-length');
  t.is(code(hex('000000')), 'bad-length');
  t.is(code(hex('0000000000 04000000')), 'bad-length');
});

test('size rules: type 0 is unknown-type', (t) => {
  t.is(code(hex('00000000 00000000')), 'unknown-type');
  t.is(code(hex('30000000')), 'unknown-type');
});

test('size rules: fixed-size PDUs must be exactly their size', (t) => {
  // ENDAK, RSAK, ER, POLL, ERAK: 8; USTAT: 16
  for (const ty of [0x4, 0x6, 0x9, 0xa, 0xf]) {
    const last = Buffer.from([ty, 0, 0, 0]);
    t.is(code(last), 'too-short', `type ${ty} of 4`);
    t.is(code(Buffer.concat([Buffer.alloc(4), last])), 'ok', `type ${ty} of 8`);
    t.is(code(Buffer.concat([Buffer.alloc(8), last])), 'too-long', `type ${ty} of 12`);
  }
  t.is(code(hex('00000000 00000000 0c000000')), 'too-short');
  t.is(code(hex('00000000 00000000 00000000 00000000 0c000000')), 'too-long');
});

test('size rules: UU-carrying PDUs need their 8-octet trailer and respect MaxJ', (t) => {
  for (const ty of [0x1, 0x2, 0x3, 0x5, 0x7]) {
    t.is(code(Buffer.from([ty, 0, 0, 0])), 'too-short');
    const withUu = Buffer.concat([Buffer.alloc(16), Buffer.alloc(4), Buffer.from([ty, 0, 0, 0])]);
    t.is(code(withUu, { maxJ: 16, maxK: 4096, maxStat: 67 }), 'ok');
    t.is(code(withUu, { maxJ: 12, maxK: 4096, maxStat: 67 }), 'too-long');
  }
});

test('size rules: SD/UD/MD respect MaxK; STAT respects MaxSTAT', (t) => {
  const sd = Buffer.concat([Buffer.alloc(20), hex('08000000')]);
  t.is(code(sd, { maxJ: 0, maxK: 20, maxStat: 67 }), 'ok');
  t.is(code(sd, { maxJ: 0, maxK: 16, maxStat: 67 }), 'too-long');
  t.is(code(hex('0b000000')), 'too-short');
  const stat = (n: number) => Buffer.concat([Buffer.alloc(4 * n + 8), hex('0b000000')]);
  t.is(code(stat(3), { maxJ: 0, maxK: 0, maxStat: 3 }), 'ok');
  t.is(code(stat(4), { maxJ: 0, maxK: 0, maxStat: 3 }), 'too-long');
});

test('a pad length larger than the payload is bad-pad', (t) => {
  t.is(code(hex('c8000000')), 'bad-pad'); // SD, no payload, PL=3
  t.is(code(hex('00000000 41000000')), 'bad-pad'); // BGN, no UU, PL=1
});

test('decode errors carry the sscop layer, an offset and a message naming the PDU', (t) => {
  const r = parsePdu(hex('00000000 00000000 04000000'));
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.layer, 'sscop');
    t.is(r.error.code, 'too-long');
    t.regex(r.error.message, /ENDAK/);
  }
});

test('property: parse(emit(x)) deep-equals x for every PDU', (t) => {
  fc.assert(
    fc.property(arbPdu, (pdu) => {
      const b = emitPdu(pdu);
      if (b.length % 4 !== 0) return false;
      const r = parsePdu(b);
      if (!r.ok) return false;
      t.deepEqual(r.value, pdu);
      return true;
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('property: random input never throws and always gives ok or an sscop DecodeError', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const r = parsePdu(Buffer.from(bytes));
      return r.ok || (r.error instanceof DecodeError && r.error.layer === 'sscop' && r.error.code.length > 0);
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

test('property: mutated valid PDUs never throw; re-encoding what parses is stable', (t) => {
  fc.assert(
    fc.property(arbPdu, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.integer({ min: -8, max: 8 }), (pdu, flips, cut) => {
      let b = Buffer.from(emitPdu(pdu));
      for (const [i, v] of flips) if (b.length) b[i % b.length] = v;
      if (cut < 0) b = b.subarray(0, Math.max(0, b.length + cut));
      else if (cut > 0) b = Buffer.concat([Buffer.alloc(cut), b]);
      const r = parsePdu(b);
      if (!r.ok) return r.error instanceof DecodeError;
      // whatever decodes re-encodes to something that decodes to the same record
      const again = parsePdu(emitPdu(r.value));
      return again.ok && JSON.stringify(again.value) === JSON.stringify(r.value);
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

test('payloads are copies by default, views of the buffer when the caller hands it over', (t) => {
  const sd = emitPdu({ type: 'SD', ns: 7, data: Buffer.from('hello, world') });
  const bgn = emitPdu({ type: 'BGN', nsq: 1, nmr: 100, uu: Buffer.from('uu') });
  for (const buf of [sd, bgn]) {
    const copied = parsePdu(buf);
    const viewed = parsePdu(buf, undefined, false);
    if (!copied.ok || !viewed.ok) return t.fail('decodes');
    const payload = (p: SscopPdu): Buffer => ('data' in p ? p.data : (p as { uu: Buffer }).uu);
    t.deepEqual(payload(viewed.value), payload(copied.value));
    // (both may sit in Node's buffer pool: what tells them apart is whether a change to the PDU shows)
    const before = Buffer.from(payload(copied.value));
    buf[0] ^= 0xff;
    t.deepEqual(payload(copied.value), before, `${copied.value.type}: a copy`);
    t.notDeepEqual(payload(viewed.value), before, `${viewed.value.type}: a view of the PDU`);
  }
});
