/**
 * Version 2 announcements (authenticated) and their verifier: the layout
 * byte for byte, errors of the trailer, and the verdicts (unauthenticated,
 * wrong key, stale, replayed) with the receiver's clock in virtual time.
 */
import test from 'ava';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { VirtualTimeScheduler } from 'rxjs';
import {
  AnnouncementVerifier,
  AUTH_TRAILER_LEN,
  announcementLength,
  announcementTag,
  emitAnnouncement,
  emitSignedAnnouncement,
  parseAnnouncement,
  type Announcement,
} from '../../src/wire/index.js';

const KEY = Buffer.from('lab key for the tests, 32 octets');
const OTHER = Buffer.from('a forger guesses some other key!');
const fields = { mac: '02:00:00:00:00:0a', role: 'user' as const, holdTimeS: 4, addresses: ['1002'] };
const sign = (key: Buffer) => (b: Buffer) => announcementTag(key, b);
const T0 = 1_765_000_000_000; // Dec 2025, in ms

function parsed(buf: Buffer): Announcement {
  const r = parseAnnouncement(buf);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

test('golden: version 2 is version 1 with 2 first, then algorithm 1, the timestamp and HMAC-SHA256 over all before the tag', (t) => {
  const b = emitSignedAnnouncement(fields, T0, sign(KEY));
  const body = emitAnnouncement({ version: 1, ...fields });
  t.is(b.length, announcementLength(fields) + AUTH_TRAILER_LEN);
  t.is(b[0], 2);
  t.deepEqual(b.subarray(1, body.length), body.subarray(1));
  t.is(b[body.length], 1, 'algorithm HMAC-SHA256');
  t.is(b.readBigUInt64BE(body.length + 1), BigInt(T0));
  const signed = b.subarray(0, body.length + 9);
  t.deepEqual(b.subarray(body.length + 9), createHmac('sha256', KEY).update(signed).digest());
  const a = parsed(b);
  t.like(a, { version: 2, ...fields });
  t.deepEqual(a.addresses, fields.addresses);
  t.is(a.auth!.timestampMs, T0);
  t.deepEqual(a.auth!.signed, signed);
});

test('version 2 errors: trailer short or long, unknown algorithm, timestamp beyond 2^53', (t) => {
  const b = emitSignedAnnouncement(fields, T0, sign(KEY));
  const at = announcementLength(fields);
  const code = (x: Buffer) => {
    const r = parseAnnouncement(x);
    return r.ok ? 'ok' : `${r.error.code}@${r.error.offset}`;
  };
  t.is(code(b.subarray(0, b.length - 1)), `discovery-auth-length@${at}`);
  t.is(code(Buffer.concat([b, Buffer.from([0])])), `discovery-auth-length@${at}`);
  const alg = Buffer.from(b);
  alg[at] = 7;
  t.is(code(alg), `discovery-algorithm@${at}`);
  const ts = Buffer.from(b);
  ts.writeBigUInt64BE(1n << 60n, at + 1);
  t.is(code(ts), `discovery-timestamp@${at + 1}`);
  t.throws(() => emitSignedAnnouncement(fields, -1, sign(KEY)), { instanceOf: RangeError });
  t.throws(() => emitSignedAnnouncement(fields, T0, () => Buffer.alloc(5)), { instanceOf: RangeError });
});

test('property: any version 2 announcement decodes to its fields and verifies with its key, not with another', (t) => {
  const arb = fc.record({
    mac: fc.uint8Array({ minLength: 6, maxLength: 6 }).map((a) => Array.from(a, (x) => x.toString(16).padStart(2, '0')).join(':')),
    role: fc.constantFrom('auto' as const, 'network' as const, 'user' as const),
    holdTimeS: fc.integer({ min: 0, max: 0xffff }),
    addresses: fc.array(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 }), { maxLength: 6 }),
    ts: fc.integer({ min: 0, max: 2 ** 50 }),
  });
  fc.assert(
    fc.property(arb, ({ ts, ...f }) => {
      const a = parsed(emitSignedAnnouncement(f, ts, sign(KEY)));
      const good = new AnnouncementVerifier({ key: KEY, maxAgeMs: 1000, now: () => ts });
      const bad = new AnnouncementVerifier({ key: OTHER, maxAgeMs: 1000, now: () => ts });
      return a.auth?.timestampMs === ts && JSON.stringify(a.addresses) === JSON.stringify(f.addresses) && good.verify(a) === 'ok' && bad.verify(a) === 'wrong-key';
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('verifier: unsigned, wrong key, tampered, stale either way, replayed; each counted; fresh ones from the same sender go on', (t) => {
  const clock = new VirtualTimeScheduler();
  clock.frame = T0;
  const v = new AnnouncementVerifier({ key: KEY, maxAgeMs: 30_000, now: () => clock.now() });
  const at = (ms: number, key = KEY, f = fields) => parsed(emitSignedAnnouncement(f, ms, sign(key)));

  t.is(v.verify(parsed(emitAnnouncement({ version: 1, ...fields }))), 'unauthenticated');
  t.is(v.verify(at(T0, OTHER)), 'wrong-key');
  // one octet of the addresses changed after signing
  const tampered = emitSignedAnnouncement(fields, T0, sign(KEY));
  tampered[12] ^= 0x01;
  t.is(v.verify(parsed(tampered)), 'wrong-key');

  const first = at(T0);
  t.is(v.verify(first), 'ok');
  t.is(v.verify(first), 'replayed', 'the same announcement again');
  t.is(v.verify(at(T0 - 1)), 'replayed', 'an older one from the same sender');
  t.is(v.verify(at(T0 + 1000)), 'ok', 'a newer one');
  t.is(v.verify(at(T0, KEY, { ...fields, mac: '02:00:00:00:00:0b' })), 'ok', 'the same moment from another sender');

  // 31 s later (virtual): a recording of the last one is stale, a fresh one is fine
  clock.frame = T0 + 31_000 + 1000;
  t.is(v.verify(at(T0 + 1000)), 'stale');
  t.is(v.verify(at(clock.now() + 31_000)), 'stale', 'too far ahead too');
  t.is(v.verify(at(clock.now() + 29_000)), 'ok', 'ahead within the window (clock skew)');
  t.is(v.verify(at(clock.now())), 'replayed', 'behind what was taken, though fresh');
  t.deepEqual(v.counters(), { ok: 4, unauthenticated: 1, 'wrong-key': 2, stale: 2, replayed: 3 });
  t.is(v.senders(), 2);
});

test('verifier: the replay memory is capped (the oldest sender goes first) and keys are at least 16 octets', (t) => {
  const v = new AnnouncementVerifier({ key: KEY, maxAgeMs: 1000, now: () => T0, maxSenders: 3 });
  for (let i = 1; i <= 5; i++) t.is(v.verify(parsed(emitSignedAnnouncement({ ...fields, mac: `02:00:00:00:00:0${i}` }, T0, sign(KEY)))), 'ok');
  t.is(v.senders(), 3);
  t.throws(() => new AnnouncementVerifier({ key: Buffer.from('short'), maxAgeMs: 1000, now: () => 0 }), { instanceOf: RangeError });
});
