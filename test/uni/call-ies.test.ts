import test from 'ava';
import fc from 'fast-check';
import { addressFields, addressOf } from '../../src/uni/call-ies.js';

test('party numbers: E.164 digits, AESA hex and anything else go to octets and back as Buffer ascii and hex do', (t) => {
  t.deepEqual(addressFields('+4930123'), { typeOfNumber: 1, plan: 1, address: Buffer.from('4930123', 'ascii') });
  t.deepEqual(addressFields('47.0005.80ffe1000000f21a2e3b.0020481a2e3b.00'), {
    typeOfNumber: 0,
    plan: 2,
    address: Buffer.from('470005' + '80ffe1000000f21a2e3b' + '0020481a2e3b00', 'hex'),
  });
  t.is(addressOf({ typeOfNumber: 1, plan: 1, address: Buffer.from('1002') }), '1002');
  fc.assert(
    fc.property(fc.string({ maxLength: 40, unit: 'binary' }), (s) => {
      const f = addressFields(s);
      if (f.plan === 9) t.deepEqual(f.address, Buffer.from(s, 'ascii'));
      return true;
    }),
  );
  // octets with the high bit set read as 'ascii' does (bit cleared), short and long
  for (const n of [0, 1, 5, 32, 33, 60]) {
    const octets = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 200) & 0xff));
    t.is(addressOf({ typeOfNumber: 0, plan: 9, address: octets }), octets.toString('ascii'), `${n} octets`);
  }
});
