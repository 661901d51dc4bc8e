/**
 * Properties: every record the codec can represent survives encode + decode
 * unchanged, IE by IE and message by message.
 */
import { deepStrictEqual, ok as assertOk, strictEqual } from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { IeId, MsgType, checkMessage, decodeMessage, encodeMessage, type UniMessage } from '../../src/uni/msg/index.js';
import { KNOWN_IE_IDS, knownIe, message, unknownIe } from './arbitraries.js';
import { ieName } from '../../src/uni/msg/names.js';

/** A message type that allows IE `id` (undeclared type 0x99 when no declared type does). */
function carrierFor(id: IeId): number {
  switch (id) {
    case IeId.CALL_STATE:
    case IeId.ENDPOINT_STATE:
      return MsgType.STATUS;
    case IeId.RESTART_INDICATOR:
      return MsgType.RESTART;
    case IeId.CAUSE:
    case IeId.USER_USER:
      return MsgType.RELEASE;
    case IeId.BROADBAND_REPORT_TYPE:
      return MsgType.MODIFY_ACKNOWLEDGE;
    default:
      return MsgType.SETUP;
  }
}

for (const id of KNOWN_IE_IDS) {
  test(`round trip: ${ieName(id)} IE (0x${id.toString(16)}) in its message and in an undeclared one`, (t) => {
    fc.assert(
      fc.property(knownIe(id), fc.constantFrom(carrierFor(id), 0x99), (ie, type) => {
        const msg: UniMessage = { type, callRef: 1, callRefFlag: false, ies: [ie] };
        const r = decodeMessage(encodeMessage(msg));
        assertOk(r.ok);
        deepStrictEqual(r.value, msg);
      }),
      { numRuns: 300 },
    );
    t.pass();
  });
}

test('round trip: generated messages of every declared and some undeclared types', (t) => {
  fc.assert(
    fc.property(message(), (msg) => {
      const bytes = encodeMessage(msg);
      strictEqual(bytes.readUInt16BE(7), bytes.length - 9);
      const r = decodeMessage(bytes);
      assertOk(r.ok);
      deepStrictEqual(r.value, msg);
      deepStrictEqual(checkMessage(r.value).errored, []);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('round trip: unknown IEs keep identifier, content and the compatibility fields', (t) => {
  fc.assert(
    fc.property(
      fc
        .constantFrom(MsgType.SETUP, MsgType.DROP_PARTY, 0x99)
        .chain((type) => fc.tuple(fc.constant(type), fc.array(unknownIe(type), { minLength: 1, maxLength: 4 }))),
      ([type, ies]) => {
        const msg: UniMessage = { type, callRef: 0x7fffff, callRefFlag: true, ies };
        const r = decodeMessage(encodeMessage(msg));
        assertOk(r.ok);
        deepStrictEqual(r.value, msg);
        deepStrictEqual(checkMessage(r.value).unrecognized, ies);
      },
    ),
    { numRuns: 500 },
  );
  t.pass();
});
