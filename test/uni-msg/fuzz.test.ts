/**
 * Robustness: on random bytes and on mutated valid messages decodeMessage
 * returns ok or a DecodeError, never throws, never loops, and never produces
 * more than the input justifies; whatever it accepts re-encodes to a message
 * that decodes to the same IEs.
 */
import { deepStrictEqual, ok as assertOk } from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { DecodeError } from '../../src/common/result.js';
import { decodeMessage, encodeMessage, type UniMessage } from '../../src/uni/msg/index.js';
import { KNOWN_TYPES, message } from './arbitraries.js';

const HEADER_CODES = new Set(['short', 'bad-protocol-discriminator', 'bad-call-reference-length']);

/** Octets held by Buffers in the decoded message (all copies of input octets). */
function bufferOctets(m: UniMessage): number {
  let n = 0;
  const walk = (o: unknown): void => {
    if (Buffer.isBuffer(o)) n += o.length;
    else if (Array.isArray(o)) o.forEach(walk);
    else if (o !== null && typeof o === 'object') Object.values(o).forEach(walk);
  };
  walk(m);
  return n;
}

/** The checks every decode must pass; throws (for fast-check) when one fails. */
function checkDecode(input: Buffer): void {
  const before = Buffer.from(input);
  const r = decodeMessage(input);
  deepStrictEqual(input, before, 'decode must not modify its input');
  if (!r.ok) {
    assertOk(r.error instanceof DecodeError);
    assertOk(HEADER_CODES.has(r.error.code), r.error.code);
    assertOk(r.error.layer === 'uni');
    return;
  }
  const m = r.value;
  const items = m.ies.length + (m.errored?.length ?? 0);
  // every IE consumes its 4-octet header, except a final truncated one
  assertOk(items <= Math.ceil((input.length - 9) / 4), `${items} IEs from ${input.length} octets`);
  assertOk(bufferOctets(m) <= input.length - 9, 'decoded buffers exceed the input');
  // whatever was accepted survives a re-encode (errored IEs are dropped by design)
  const again = decodeMessage(encodeMessage(m));
  assertOk(again.ok);
  deepStrictEqual(again.value.ies, m.ies);
  deepStrictEqual(again.value.errored, undefined);
  deepStrictEqual(
    { type: again.value.type, cr: again.value.callRef, f: again.value.callRefFlag },
    { type: m.type, cr: m.callRef, f: m.callRefFlag },
  );
}

test('fuzz: random bytes of any length', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (a) => checkDecode(Buffer.from(a))),
    { numRuns: 5000 },
  );
  t.pass();
});

test('fuzz: a valid header followed by random bytes', (t) => {
  const header = fc.tuple(
    fc.oneof(fc.constantFrom(...KNOWN_TYPES), fc.integer({ min: 0, max: 255 })),
    fc.integer({ min: 0, max: 0xffffff }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 0xffff }),
  );
  fc.assert(
    fc.property(header, fc.uint8Array({ maxLength: 400 }), ([type, cr, ext, len], body) => {
      const h = Buffer.from([9, 3, cr >>> 16, (cr >>> 8) & 0xff, cr & 0xff, type, ext, len >>> 8, len & 0xff]);
      checkDecode(Buffer.concat([h, Buffer.from(body)]));
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

test('fuzz: a valid header followed by random IEs with plausible headers', (t) => {
  // IE headers with real identifiers and small lengths reach the content decoders far more often than random bytes
  const ids = [0x08, 0x14, 0x27, 0x54, 0x55, 0x58, 0x59, 0x5a, 0x5c, 0x5d, 0x5e, 0x5f, 0x62, 0x6c, 0x6d, 0x70, 0x71, 0x79, 0x7e, 0x99];
  const ie = fc
    .tuple(fc.constantFrom(...ids), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }), fc.integer({ min: -2, max: 2 }))
    .map(([id, c, content, skew]) => {
      const len = Math.max(0, content.length + skew);
      return Buffer.concat([Buffer.from([id, c, len >>> 8, len & 0xff]), Buffer.from(content)]);
    });
  fc.assert(
    fc.property(fc.constantFrom(...KNOWN_TYPES, 0x99), fc.array(ie, { maxLength: 8 }), (type, ies) => {
      checkDecode(Buffer.concat([Buffer.from([9, 3, 0, 0, 1, type, 0x80, 0, 0]), ...ies]));
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

type Mutation = { kind: 'set'; at: number; v: number } | { kind: 'cut'; at: number } | { kind: 'insert'; at: number; v: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), v: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
);

function mutate(b: Buffer, m: Mutation): Buffer {
  if (b.length === 0) return b;
  const at = m.at % b.length;
  if (m.kind === 'set') {
    const c = Buffer.from(b);
    c[at] = m.v;
    return c;
  }
  if (m.kind === 'cut') return b.subarray(0, at);
  return Buffer.concat([b.subarray(0, at), Buffer.from(m.v), b.subarray(at)]);
}

test('fuzz: mutated valid messages (octets changed, cut short, octets inserted)', (t) => {
  fc.assert(
    fc.property(message(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (msg, ms) => {
      let b = encodeMessage(msg);
      for (const m of ms) b = mutate(b, m);
      checkDecode(b);
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

test('fuzz: a large message of empty IEs decodes in one bounded pass', (t) => {
  const body = Buffer.alloc(64 * 1024);
  for (let i = 0; i < body.length; i += 4) body[i] = 0x99; // unknown IE, compat 0x00, length 0
  const r = decodeMessage(Buffer.concat([Buffer.from([9, 3, 0, 0, 1, 0x05, 0x80, 0xff, 0xff]), body]));
  if (!r.ok) return t.fail(r.error.message);
  t.is(r.value.ies.length, body.length / 4);
  t.is(r.value.errored, undefined);
});

test('decode accepts a plain Uint8Array view (e.g. a zero-copy SDU) as well as a Buffer', (t) => {
  const msg: UniMessage = {
    type: 0x4d,
    callRef: 5,
    callRefFlag: false,
    ies: [
      { id: 0x08, location: 0, cause: 16, diagnostic: Buffer.alloc(0) },
      { id: 0x7e, protocol: 0, data: Buffer.alloc(100, 7) },
    ],
  };
  const bytes = encodeMessage(msg);
  const backing = new Uint8Array(bytes.length + 10);
  backing.set(bytes, 5);
  const view = backing.subarray(5, 5 + bytes.length);
  const r = decodeMessage(view as Buffer);
  if (!r.ok) return t.fail(r.error.message);
  t.deepEqual(r.value, msg);
});
