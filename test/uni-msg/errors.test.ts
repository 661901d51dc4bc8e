/**
 * Decoding what is wrong: header errors (the only DecodeErrors), then the
 * Q.2931 5.6 material recorded on the message: unrecognised IEs (unknown, or
 * not allowed in this message type) with their instruction fields, content
 * errors, repetitions, truncation, and missing mandatory IEs (checkMessage).
 */
import test from 'ava';
import { DecodeError } from '../../src/common/result.js';
import {
  IeAction,
  IeId,
  MsgType,
  checkMessage,
  decodeMessage,
  encodeMessage,
  findIe,
  findIes,
  type InfoElement,
  type UniMessage,
} from '../../src/uni/msg/index.js';

const hex = (s: string) => Buffer.from(s.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');

/** A message: header (CR 1, flag 0, no instructions; length field computed) + raw IE octets. */
function raw(type: number, ies: string): Buffer {
  const body = hex(ies);
  return Buffer.concat([Buffer.from([9, 3, 0, 0, 1, type, 0x80, body.length >> 8, body.length & 0xff]), body]);
}

function decode(b: Buffer): UniMessage {
  const r = decodeMessage(b);
  if (!r.ok) throw new Error(`unexpected header error ${r.error.code}`);
  return r.value;
}

const CAUSE_16 = '08 80 00 02 80 90';
const EPREF_1 = '54 80 00 03 00 00 01';

// ---- header ---------------------------------------------------------------

test('header: fewer than 9 octets is "short"', (t) => {
  for (let n = 0; n < 9; n++) {
    const r = decodeMessage(hex('09 03 00 00 01 05 80 00 00').subarray(0, n));
    t.false(r.ok);
    if (!r.ok) {
      t.true(r.error instanceof DecodeError);
      t.is(r.error.code, 'short');
      t.is(r.error.layer, 'uni');
    }
  }
});

test('header: protocol discriminator other than 0x09 is "bad-protocol-discriminator"', (t) => {
  const r = decodeMessage(hex('08 03 00 00 01 05 80 00 00'));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'bad-protocol-discriminator');
});

test('header: call reference length other than 3 is "bad-call-reference-length"', (t) => {
  for (const len of [0, 1, 2, 4, 0x13]) {
    const r = decodeMessage(Buffer.from([9, len, 0, 0, 1, 5, 0x80, 0, 0]));
    t.false(r.ok);
    if (!r.ok) t.is(r.error.code, 'bad-call-reference-length');
  }
});

test('header: call reference flag and 23-bit value, global and dummy references', (t) => {
  t.like(decode(hex('09 03 ff ff ff 4d 80 00 00')), { callRef: 0x7fffff, callRefFlag: true });
  t.like(decode(hex('09 03 00 00 00 46 80 00 00')), { callRef: 0, callRefFlag: false, type: MsgType.RESTART });
  t.like(decode(hex('09 03 80 00 00 4e 80 00 00')), { callRef: 0, callRefFlag: true });
  t.is(encodeMessage({ type: MsgType.RELEASE, callRef: 0xffffff, callRefFlag: false, ies: [] }).toString('hex'), '0903' + '7fffff' + '4d800000');
});

test('header: message-type extension octet: instructions flag and action, reserved action 3 kept', (t) => {
  const plain = decode(hex('09 03 00 00 01 75 80 00 00'));
  t.is(plain.msgFlag, undefined);
  t.is(plain.msgAction, undefined);
  t.like(decode(hex('09 03 00 00 01 75 90 00 00')), { msgFlag: true, msgAction: 0 });
  t.like(decode(hex('09 03 00 00 01 75 91 00 00')), { msgFlag: true, msgAction: 1 });
  t.like(decode(hex('09 03 00 00 01 75 93 00 00')), { msgFlag: true, msgAction: 3 });
  t.is(encodeMessage({ type: 0x75, callRef: 1, callRefFlag: false, msgFlag: true, msgAction: 1, ies: [] })[6], 0x91);
});

test('header: the message length field is tolerated, not trusted', (t) => {
  for (const len of ['00 00', '00 03', 'ff ff']) {
    const m = decode(Buffer.concat([hex(`09 03 00 00 01 83 80 ${len}`), hex(CAUSE_16 + EPREF_1)]));
    t.is(m.ies.length, 2);
    t.is(m.errored, undefined);
  }
});

test('header: an unknown message type is kept, its IEs decoded generically, nothing declared missing', (t) => {
  const m = decode(raw(0x91, CAUSE_16 + CAUSE_16 + CAUSE_16 + EPREF_1 + '99 80 00 01 00'));
  t.is(m.type, 0x91);
  t.is(findIes(m, IeId.CAUSE).length, 3);
  t.like(findIe(m, IeId.ENDPOINT_REFERENCE), { value: 1 });
  t.deepEqual(checkMessage(m).missing, []);
  t.is(checkMessage(m).unrecognized.length, 1);
});

// ---- user-user boundary (docs/wire.md: PD + at most 127 octets of close data) ---

for (const [dataLen, accepted] of [
  [0, true],
  [126, true],
  [127, true],
  [128, false],
] as const) {
  test(`user-user: ${dataLen} octets of data (content ${dataLen + 1}) is ${accepted ? 'accepted' : 'a content error'}`, (t) => {
    const data = Buffer.alloc(dataLen, 0x5a);
    const msg: UniMessage = {
      type: MsgType.DROP_PARTY,
      callRef: 9,
      callRefFlag: true,
      ies: [
        { id: IeId.CAUSE, location: 0, cause: 16, diagnostic: Buffer.alloc(0) },
        { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: true, value: 3 },
        { id: IeId.USER_USER, protocol: 0, data },
      ],
    };
    const bytes = encodeMessage(msg);
    t.is(bytes.readUInt16BE(9 + 6 + 7 + 2), dataLen + 1, 'IE length on the wire');
    const m = decode(bytes);
    const check = checkMessage(m);
    if (accepted) {
      t.deepEqual(m, msg);
      t.deepEqual(check.errored, []);
    } else {
      t.is(findIe(m, IeId.USER_USER), undefined);
      t.is(check.errored.length, 1);
      t.like(check.errored[0], { id: IeId.USER_USER, problem: 'ie-too-long' });
      t.is(check.errored[0].content.length, 129);
      t.deepEqual(check.missing, []);
    }
  });
}

test('user-user: empty content (no protocol discriminator) is too short', (t) => {
  const m = decode(raw(MsgType.RELEASE, CAUSE_16 + '7e 80 00 00'));
  t.like(checkMessage(m).errored[0], { id: IeId.USER_USER, problem: 'ie-too-short' });
});

// ---- unrecognised IEs -----------------------------------------------------

test('unknown IE is kept with its coding, flag and action indicator', (t) => {
  // 0x99 is no IE the codec knows; compat 0xf5 = ext, coding 3, flag, action 5 (discard message and ignore)
  const m = decode(raw(MsgType.DROP_PARTY, CAUSE_16 + '99 f5 00 02 ab cd' + EPREF_1 + '98 92 00 00'));
  const check = checkMessage(m);
  t.deepEqual(check.unrecognized, [
    { id: 0x99, unknown: true, content: hex('abcd'), coding: 3, flag: true, action: IeAction.DISCARD_MESSAGE_AND_IGNORE },
    { id: 0x98, unknown: true, content: Buffer.alloc(0), flag: true, action: IeAction.DISCARD_IE_PROCEED_AND_REPORT },
  ]);
  t.deepEqual(check.missing, []);
  t.deepEqual(check.errored, []);
  // and it is written back out exactly as received
  t.is(encodeMessage(m).toString('hex'), raw(MsgType.DROP_PARTY, CAUSE_16 + '99 f5 00 02 ab cd' + EPREF_1 + '98 92 00 00').toString('hex'));
});

test('unknown IE without the instruction flag keeps its (meaningless) action bits', (t) => {
  const m = decode(raw(MsgType.RELEASE, CAUSE_16 + '99 82 00 00'));
  t.deepEqual(checkMessage(m).unrecognized, [{ id: 0x99, unknown: true, content: Buffer.alloc(0), action: 2 }]);
});

test('known IE not allowed in this message type becomes unrecognised (Q.2931 5.6.8.3)', (t) => {
  // call state in SETUP, user-user in CALL PROCEEDING, restart indicator in DROP PARTY
  const setup = decode(raw(MsgType.SETUP, '14 90 00 01 0a'));
  t.deepEqual(checkMessage(setup).unrecognized, [{ id: IeId.CALL_STATE, unknown: true, content: hex('0a'), flag: true }]);
  t.is(findIe(setup, IeId.CALL_STATE), undefined);

  const proc = decode(raw(MsgType.CALL_PROCEEDING, '7e 80 00 02 00 41'));
  t.like(checkMessage(proc).unrecognized[0], { id: IeId.USER_USER, unknown: true });

  const drop = decode(raw(MsgType.DROP_PARTY, CAUSE_16 + EPREF_1 + '79 80 00 01 82'));
  t.like(checkMessage(drop).unrecognized[0], { id: IeId.RESTART_INDICATOR, unknown: true });
  t.deepEqual(checkMessage(drop).missing, []);
});

test('known IE with a coding standard it is not declared for becomes unrecognised', (t) => {
  // called party number with coding standard 1 (ISO/IEC): not decoded
  const m = decode(raw(MsgType.ADD_PARTY, '70 a0 00 02 91 31' + EPREF_1));
  t.like(checkMessage(m).unrecognized[0], { id: IeId.CALLED_PARTY_NUMBER, coding: 1 });
  t.deepEqual(checkMessage(m).missing, [IeId.CALLED_PARTY_NUMBER]);
  // cause is declared for coding 3 (ATM Forum) too
  const rel = decode(raw(MsgType.RELEASE, '08 e0 00 02 80 90'));
  t.deepEqual(findIe(rel, IeId.CAUSE), { id: IeId.CAUSE, location: 0, cause: 16, diagnostic: Buffer.alloc(0), coding: 3 });
});

// ---- errored IEs ----------------------------------------------------------

test('content errors are recorded, not thrown, and the IE loop goes on', (t) => {
  const cases: [string, number, string][] = [
    ['08 80 00 02 00 90', IeId.CAUSE, 'ie-bad-content'], // octet 5 ext bit clear: deliberately erroneous cause
    ['08 80 00 01 80', IeId.CAUSE, 'ie-too-short'],
    ['08 80 00 1f 80 90' + '00'.repeat(29), IeId.CAUSE, 'ie-too-long'],
  ];
  for (const [ie, id, problem] of cases) {
    const m = decode(raw(MsgType.DROP_PARTY, ie + EPREF_1));
    const check = checkMessage(m);
    t.is(check.errored.length, 1);
    t.like(check.errored[0], { id, problem });
    t.like(findIe(m, IeId.ENDPOINT_REFERENCE), { value: 1 }, 'the IE after it is still decoded');
    t.deepEqual(check.missing, [], 'an errored mandatory IE is errored (cause 100), not missing (cause 96)');
  }
});

test('content errors in each IE kind that has an inner structure', (t) => {
  const cases: [number, string, number][] = [
    [MsgType.SETUP, '58 80 00 03 05 8c 01', IeId.AAL_PARAMETERS], // AAL5 subfield cut short
    [MsgType.SETUP, '58 80 00 03 05 99 01', IeId.AAL_PARAMETERS], // unknown AAL5 subfield
    [MsgType.SETUP, '59 80 00 03 84 00 01', IeId.ATM_TRAFFIC_DESCRIPTOR], // cell rate cut short
    [MsgType.SETUP, '59 80 00 04 77 00 00 01', IeId.ATM_TRAFFIC_DESCRIPTOR], // unknown subfield
    [MsgType.SETUP, '59 80 00 01 bf', IeId.ATM_TRAFFIC_DESCRIPTOR], // options octet missing
    [MsgType.SETUP, '5e 80 00 02 10 81', IeId.BROADBAND_BEARER_CAPABILITY], // octet 5a announced, absent
    [MsgType.SETUP, '5e 80 00 03 90 8a 81', IeId.BROADBAND_BEARER_CAPABILITY], // octet 5a not announced, present
    [MsgType.SETUP, '70 80 00 02 12 31', IeId.CALLED_PARTY_NUMBER], // ext bit clear in octet 5
    [MsgType.SETUP, '6c 80 00 01 12', IeId.CALLING_PARTY_NUMBER], // octet 5a announced, absent
    [MsgType.SETUP, '62 80 00 01 a0', IeId.BROADBAND_SENDING_COMPLETE], // not 0xA1
    [MsgType.SETUP, '5a 80 00 04 88 00 00 20', IeId.CONNECTION_IDENTIFIER], // 4 octets
    [MsgType.SETUP, '5c 80 00 03 00 00 00', IeId.QOS_PARAMETER], // 3 octets
    [MsgType.SETUP, '54 80 00 04 00 00 00 00', IeId.ENDPOINT_REFERENCE], // 4 octets
    [MsgType.SETUP, '71 80 00 02 20 01', IeId.CALLED_PARTY_SUBADDRESS], // ext bit clear
    [MsgType.STATUS, '14 80 00 02 0a 0a', IeId.CALL_STATE],
    [MsgType.RESTART, '79 80 00 00', IeId.RESTART_INDICATOR],
  ];
  for (const [type, ie, id] of cases) {
    const m = decode(raw(type, ie));
    t.is(m.ies.length, 0, ie);
    t.is(m.errored?.length, 1, ie);
    t.is(m.errored?.[0].id, id, ie);
  }
});

test('an IE length running past the end is errored and ends the loop', (t) => {
  const m = decode(raw(MsgType.DROP_PARTY, CAUSE_16 + '54 91 00 09 00 00 01'));
  t.like(findIe(m, IeId.CAUSE), { cause: 16 });
  t.deepEqual(m.errored, [{ id: IeId.ENDPOINT_REFERENCE, problem: 'ie-truncated', content: hex('000001'), flag: true, action: 1 }]);
  t.deepEqual(checkMessage(m).missing, []);
});

test('fewer than 4 octets left for an IE header is errored and ends the loop', (t) => {
  const m = decode(raw(MsgType.DROP_PARTY, CAUSE_16 + EPREF_1 + '7e 80'));
  t.is(m.ies.length, 2);
  t.like(m.errored?.[0], { id: IeId.USER_USER, problem: 'ie-header-truncated' });
});

test('repetitions beyond the allowed count are errored as "repeated"', (t) => {
  const rel = decode(raw(MsgType.RELEASE, CAUSE_16 + '08 80 00 02 80 9f' + '08 80 00 02 80 e6'));
  t.deepEqual(findIes(rel, IeId.CAUSE).map((c) => c.cause), [16, 31]);
  t.like(rel.errored?.[0], { id: IeId.CAUSE, problem: 'repeated', content: hex('80e6') });

  const drop = decode(raw(MsgType.DROP_PARTY, CAUSE_16 + CAUSE_16 + EPREF_1 + '54 80 00 03 00 00 02'));
  t.is(findIes(drop, IeId.CAUSE).length, 1);
  t.deepEqual(findIes(drop, IeId.ENDPOINT_REFERENCE).map((e) => e.value), [1]);
  t.deepEqual(drop.errored?.map((e) => [e.id, e.problem]), [
    [IeId.CAUSE, 'repeated'],
    [IeId.ENDPOINT_REFERENCE, 'repeated'],
  ]);

  // up to three B-LLIs in SETUP, a fourth is one too many
  const blli = '5f 80 00 01 4c';
  const setup = decode(raw(MsgType.SETUP, blli + blli + blli + blli));
  t.is(findIes(setup, IeId.BROADBAND_LOW_LAYER_INFORMATION).length, 3);
  t.is(setup.errored?.length, 1);
});

test('SETUP: a repeat indicator before three B-LLIs (prioritised list) is understood', (t) => {
  const m = decode(raw(MsgType.SETUP, '63 80 00 01 82' + '5f 80 00 01 4c' + '5f 80 00 01 4b' + '5f 80 00 02 6b 80'));
  t.deepEqual(findIe(m, IeId.BROADBAND_REPEAT_INDICATOR), { id: IeId.BROADBAND_REPEAT_INDICATOR, indicator: 2 });
  t.deepEqual(findIes(m, IeId.BROADBAND_LOW_LAYER_INFORMATION).map((b) => b.content.toString('hex')), ['4c', '4b', '6b80']);
  t.deepEqual(checkMessage(m).unrecognized, []);
});

// ---- checkMessage ---------------------------------------------------------

const EMPTY_EXPECT: Partial<Record<MsgType, number[]>> = {
  [MsgType.SETUP]: [IeId.ATM_TRAFFIC_DESCRIPTOR, IeId.BROADBAND_BEARER_CAPABILITY, IeId.CALLED_PARTY_NUMBER, IeId.QOS_PARAMETER],
  [MsgType.RELEASE]: [IeId.CAUSE],
  [MsgType.RELEASE_COMPLETE]: [],
  [MsgType.STATUS]: [IeId.CALL_STATE, IeId.CAUSE],
  [MsgType.STATUS_ENQUIRY]: [],
  [MsgType.RESTART]: [IeId.RESTART_INDICATOR],
  [MsgType.RESTART_ACKNOWLEDGE]: [IeId.RESTART_INDICATOR],
  [MsgType.ADD_PARTY]: [IeId.CALLED_PARTY_NUMBER, IeId.ENDPOINT_REFERENCE],
  [MsgType.ADD_PARTY_ACKNOWLEDGE]: [IeId.ENDPOINT_REFERENCE],
  [MsgType.PARTY_ALERTING]: [IeId.ENDPOINT_REFERENCE],
  [MsgType.ADD_PARTY_REJECT]: [IeId.CAUSE, IeId.ENDPOINT_REFERENCE],
  [MsgType.DROP_PARTY]: [IeId.CAUSE, IeId.ENDPOINT_REFERENCE],
  [MsgType.DROP_PARTY_ACKNOWLEDGE]: [IeId.ENDPOINT_REFERENCE],
  [MsgType.CALL_PROCEEDING]: [],
  [MsgType.ALERTING]: [],
  [MsgType.CONNECT]: [],
  [MsgType.CONNECT_ACKNOWLEDGE]: [],
};

for (const [type, expected] of Object.entries(EMPTY_EXPECT)) {
  test(`checkMessage: an empty message of type 0x${Number(type).toString(16)} misses ${JSON.stringify(expected)}`, (t) => {
    const m = decode(raw(Number(type), ''));
    t.deepEqual([...checkMessage(m).missing].sort(), [...expected!].sort());
  });
}

test('checkMessage: missing mandatory IEs reported alongside unrecognised and errored ones', (t) => {
  // SETUP with bearer and QoS only, plus an unknown IE and a bad traffic descriptor
  const m = decode(raw(MsgType.SETUP, '5e 80 00 02 90 81' + '5c 80 00 02 00 00' + 'a7 90 00 00' + '59 80 00 01 77'));
  const check = checkMessage(m);
  t.deepEqual(check.missing, [IeId.CALLED_PARTY_NUMBER]);
  t.deepEqual(check.unrecognized.map((u) => u.id), [0xa7]);
  t.deepEqual(check.errored.map((e) => [e.id, e.problem]), [[IeId.ATM_TRAFFIC_DESCRIPTOR, 'ie-bad-content']]);
});

test('checkMessage works on hand-built messages too (no errored field)', (t) => {
  const ies: InfoElement[] = [{ id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 2 }];
  t.deepEqual(checkMessage({ type: MsgType.DROP_PARTY, callRef: 1, callRefFlag: false, ies }), {
    missing: [IeId.CAUSE],
    unrecognized: [],
    errored: [],
  });
});

// ---- encoder edge cases ---------------------------------------------------

test('encode: unknown IEs go out with their content and compatibility octet', (t) => {
  const b = encodeMessage({
    type: MsgType.RELEASE,
    callRef: 1,
    callRefFlag: false,
    ies: [{ id: 0xe8, unknown: true, content: hex('0102'), coding: 3, flag: true, action: 6 }],
  });
  t.is(b.subarray(9).toString('hex'), 'e8f60002' + '0102');
});

test('encode: the endpoint reference header flag comes from ieFlag, the epref flag from flag', (t) => {
  const b = encodeMessage({
    type: MsgType.DROP_PARTY_ACKNOWLEDGE,
    callRef: 1,
    callRefFlag: false,
    ies: [{ id: IeId.ENDPOINT_REFERENCE, type: 0, flag: true, value: 0x7fff, ieFlag: true, action: 2 }],
  });
  t.is(b.subarray(9).toString('hex'), '54920003' + '00ffff');
});

test('encode: errored IEs are not sent', (t) => {
  const b = encodeMessage({
    type: MsgType.RELEASE,
    callRef: 1,
    callRefFlag: false,
    ies: [],
    errored: [{ id: 8, problem: 'ie-too-short', content: hex('80') }],
  });
  t.is(b.length, 9);
});

test('encode: a long message grows the work buffer and the length fields stay right', (t) => {
  const ies: InfoElement[] = [];
  for (let i = 0; i < 200; i++) ies.push({ id: 0x99, unknown: true, content: Buffer.alloc(100, i) });
  const b = encodeMessage({ type: MsgType.NOTIFY, callRef: 1, callRefFlag: false, ies });
  t.is(b.length, 9 + 200 * 104);
  t.is(b.readUInt16BE(7), 200 * 104);
  t.deepEqual(decode(b).ies, ies);
});
