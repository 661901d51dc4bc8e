import test from 'ava';
import fc from 'fast-check';
import {
  DISCOVERY_VERSION,
  announcementLength,
  emitAnnouncement,
  parseAnnouncement,
  type Announcement,
} from '../../src/wire/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const sample: Announcement = {
  version: 1,
  mac: '02:00:00:00:00:0a',
  role: 'network',
  holdTimeS: 15,
  addresses: ['47.0005.80ffe1000000f21a2a7f.0020481a2a7f.00', '12345'],
};

const GOLDEN = Buffer.concat([
  hex('01 01 000f 02000000000a 02'),
  Buffer.from([44]),
  Buffer.from('47.0005.80ffe1000000f21a2a7f.0020481a2a7f.00', 'ascii'),
  Buffer.from([5]),
  Buffer.from('12345', 'ascii'),
]);

test('golden: the layout documented in discovery.ts', (t) => {
  t.is(emitAnnouncement(sample).toString('hex'), GOLDEN.toString('hex'));
  t.is(announcementLength(sample), GOLDEN.length);
});

test('golden decodes back', (t) => {
  const r = parseAnnouncement(GOLDEN);
  t.true(r.ok);
  if (r.ok) t.deepEqual(r.value, sample);
});

test('role codes: auto 0, network 1, user 2; no addresses; hold time 0 means leaving', (t) => {
  for (const [role, code] of [['auto', 0], ['network', 1], ['user', 2]] as const) {
    const b = emitAnnouncement({ ...sample, role, holdTimeS: 0, addresses: [] });
    t.is(b.length, 11);
    t.is(b[1], code);
    t.is(b.readUInt16BE(2), 0);
    const r = parseAnnouncement(b);
    t.true(r.ok && r.value.role === role && r.value.addresses.length === 0);
  }
});

function code(b: Buffer) {
  const r = parseAnnouncement(b);
  return r.ok ? 'ok' : `${r.error.code}@${r.error.offset}`;
}

test('errors: short, version, role, addresses, trailing octets', (t) => {
  t.is(code(GOLDEN.subarray(0, 10)), 'discovery-short@10');
  const v = Buffer.from(GOLDEN);
  v[0] = 3;
  t.is(code(v), 'discovery-version@0');
  v[0] = 2; // version 2 wants the authentication trailer after the addresses
  t.is(code(v), `discovery-auth-length@${GOLDEN.length}`);
  const r = Buffer.from(GOLDEN);
  r[1] = 3;
  t.is(code(r), 'discovery-role@1');
  t.is(code(GOLDEN.subarray(0, 11)), 'discovery-address@11');
  t.is(code(GOLDEN.subarray(0, 30)), 'discovery-address@11');
  const z = Buffer.from(GOLDEN);
  z[11] = 0;
  t.is(code(z), 'discovery-address@11');
  const np = Buffer.from(GOLDEN);
  np[12] = 0x07;
  t.is(code(np), 'discovery-address@12');
  t.is(code(Buffer.concat([GOLDEN, Buffer.from([0])])), `discovery-trailing@${GOLDEN.length}`);
});

test('errors carry the discovery layer', (t) => {
  const r = parseAnnouncement(Buffer.alloc(0));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.layer, 'discovery');
});

test('emitAnnouncement refuses impossible records', (t) => {
  t.throws(() => emitAnnouncement({ ...sample, mac: 'nope' }), { instanceOf: RangeError });
  t.throws(() => emitAnnouncement({ ...sample, holdTimeS: 70000 }), { instanceOf: RangeError });
  t.throws(() => emitAnnouncement({ ...sample, addresses: [''] }), { instanceOf: RangeError });
  t.throws(() => emitAnnouncement({ ...sample, addresses: ['é'] }), { instanceOf: RangeError });
  t.throws(() => emitAnnouncement({ ...sample, addresses: ['x'.repeat(256)] }), { instanceOf: RangeError });
  t.throws(() => emitAnnouncement({ ...sample, role: 'boss' as never }), { instanceOf: RangeError });
});

const annArb: fc.Arbitrary<Announcement> = fc.record({
  version: fc.constant(DISCOVERY_VERSION),
  mac: fc.uint8Array({ minLength: 6, maxLength: 6 }).map((a) => Array.from(a, (x) => x.toString(16).padStart(2, '0')).join(':')),
  role: fc.constantFrom('auto' as const, 'network' as const, 'user' as const),
  holdTimeS: fc.integer({ min: 0, max: 0xffff }),
  addresses: fc.array(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 60 }), { maxLength: 8 }),
});

test('property: parse(emit(a)) == a', (t) => {
  fc.assert(fc.property(annArb, (a) => {
    const r = parseAnnouncement(emitAnnouncement(a));
    return r.ok && JSON.stringify(r.value) === JSON.stringify(a);
  }), { numRuns: 2000 });
  t.pass();
});

test('property: random and mutated bytes never throw', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (a) => {
    const b = Buffer.from(a);
    if (b.length > 0) b[0] = 1;
    const r = parseAnnouncement(b);
    return r.ok || r.error.offset <= b.length;
  }), { numRuns: 3000 });
  fc.assert(fc.property(annArb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(), (a, pos, x, cut) => {
    const b = emitAnnouncement(a);
    b[pos % b.length]! ^= x;
    const r = parseAnnouncement(b.subarray(0, cut % (b.length + 1)));
    return r.ok ? r.value.addresses.every((s) => /^[\x20-\x7e]+$/.test(s)) : r.error.offset <= b.length;
  }), { numRuns: 3000 });
  t.pass();
});
