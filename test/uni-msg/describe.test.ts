/** One-line descriptions for logs: readable, and total over anything the decoder produces. */
import test from 'ava';
import fc from 'fast-check';
import { IeId, MsgType, decodeMessage, describeIe, describeMessage, type UniMessage } from '../../src/uni/msg/index.js';
import { message } from './arbitraries.js';

test('describeMessage: a DROP PARTY with close data', (t) => {
  const msg: UniMessage = {
    type: MsgType.DROP_PARTY,
    callRef: 42,
    callRefFlag: true,
    ies: [
      { id: IeId.CAUSE, location: 0, cause: 16, diagnostic: Buffer.alloc(0) },
      { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: true, value: 1 },
      { id: IeId.USER_USER, protocol: 0, data: Buffer.from('close!') },
    ],
  };
  t.is(
    describeMessage(msg),
    'DROP PARTY cr 42 (to origin) [cause 16 normal call clearing, location user; endpoint reference 1 (to origin); user-user pd 0, 6 B]',
  );
});

test('describeMessage: instructions, unrecognised and errored IEs are shown', (t) => {
  const r = decodeMessage(
    Buffer.from('09 03 000007 7d 91 0000 99b10001ff 148000010a 0880000180 7080000591 31303031'.replace(/ /g, ''), 'hex'),
  );
  if (!r.ok) return t.fail();
  t.is(
    describeMessage(r.value, 'network'),
    'STATUS cr 7 {discard and ignore} [unrecognised 0x99 1 B {coding 1, action 1}; call state N10 Active; ' +
      'unrecognised called party number 5 B; ie-too-short cause 1 B]',
  );
});

test('describeIe: numbers and states', (t) => {
  t.is(describeIe({ id: IeId.CALLED_PARTY_NUMBER, typeOfNumber: 1, plan: 1, address: Buffer.from('1002') }), 'called party number 1002');
  t.is(describeIe({ id: IeId.CALL_STATE, state: 0x0a }, 'network'), 'call state N10 Active');
  t.is(describeIe({ id: IeId.ENDPOINT_STATE, state: 0x0b }), 'endpoint state P5 Drop Party Initiated');
  t.is(describeIe({ id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 3, ieFlag: true, action: 1 }), 'endpoint reference 3 {action 1}');
});

test('describeMessage never throws on generated messages', (t) => {
  fc.assert(
    fc.property(message(), (m) => {
      const s = describeMessage(m);
      if (typeof s !== 'string' || s.length === 0) throw new Error('empty description');
    }),
    { numRuns: 500 },
  );
  t.pass();
});
