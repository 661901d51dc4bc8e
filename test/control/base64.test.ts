import test from 'ava';
import { decodeBase64, payloadSchema } from '../../src/control/protocol.js';

test('base64 payloads: what an encoder writes is taken, padded or not', (t) => {
  for (const n of [0, 1, 2, 3, 4, 1400]) {
    const octets = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff));
    const text = octets.toString('base64');
    t.deepEqual(decodeBase64(text), octets, `${n} octets`);
    t.deepEqual(decodeBase64(text.replace(/=+$/, '')), octets, `${n} octets, unpadded`);
    t.deepEqual(payloadSchema.parse({ encoding: 'base64', data: text }), octets);
  }
});

test('base64 payloads: anything else is refused, with the same message as before', (t) => {
  const bad = [
    '***', // not the alphabet
    'A', // a lone letter encodes nothing
    'aGk=aGk=', // padding in the middle
    'aG k=', // a space
    'aGk-', // URL-safe letters (Node's decoder would take them)
    'aGl=', // 'hi' with a non-zero bit after the last octet
    'aGk==', // one pad too many
    '====',
  ];
  for (const text of bad) {
    t.is(decodeBase64(text), undefined, text);
    const r = payloadSchema.safeParse({ encoding: 'base64', data: text });
    t.false(r.success, text);
    t.regex(r.error!.issues[0]!.message, /data is not valid base64/, text);
  }
});
