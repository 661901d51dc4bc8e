/**
 * Golden bytes, written by hand from the Q.2931 / Q.2971 layouts (header,
 * IE header, per-IE octet layouts), field by field. Each message is checked
 * both ways: the record encodes to exactly these bytes, and the bytes decode
 * to exactly this record.
 */
import test from 'ava';
import {
  IeId,
  MsgType,
  checkMessage,
  decodeMessage,
  encodeMessage,
  type UniMessage,
} from '../../src/uni/msg/index.js';

/** Hex with whitespace and `# comments` (to end of line) ignored. */
const hex = (s: string) => Buffer.from(s.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');

const AESA_CALLED = hex('47 0005 80 ffe100 0000 f21a 2b3c 001122334455 00');
const AESA_CALLING = hex('47 0005 80 ffe100 0000 f21a 2b3c 66778899aabb 00');

// ---------------------------------------------------------------------------
// SETUP, point-to-multipoint, from the root (it allocated the call reference)
// ---------------------------------------------------------------------------
const SETUP_BYTES = hex(`
  09                  # protocol discriminator: Q.2931
  03                  # call reference length: 3
  00 00 2a            # flag 0 (sent by the allocating side), call reference 42
  05                  # message type: SETUP
  80                  # message type extension: ext 1, no explicit instructions
  00 6a               # message length: 106 octets of IEs

  58 80 00 09         # AAL parameters, compat ext 1 / ITU-T / no flag, 9 octets
    05                #   AAL type 5
    8c 23 30          #   forward maximum CPCS-SDU size 9008
    81 23 30          #   backward maximum CPCS-SDU size 9008
    84 00             #   SSCS type: null

  59 80 00 09         # ATM traffic descriptor, 9 octets
    84 00 17 70       #   forward peak cell rate CLP 0+1: 6000 cells/s
    85 00 00 00       #   backward peak cell rate CLP 0+1: 0 (point-to-multipoint)
    be                #   best effort indicator

  5e 80 00 03         # broadband bearer capability, 3 octets
    10                #   octet 5: ext 0 (5a follows), bearer class BCOB-X (0x10)
    8a                #   octet 5a: ext 1, ATM transfer capability 0x0a
    81                #   octet 6: ext 1, clipping: not susceptible, user plane: point-to-multipoint

  70 80 00 15         # called party number, 21 octets
    82                #   ext 1, type of number unknown, numbering plan 2 (AESA)
    47 00 05 80 ff e1 00 00 00 f2 1a 2b 3c 00 11 22 33 44 55 00   # 20-octet AESA

  6c 80 00 16         # calling party number, 22 octets
    02                #   ext 0 (5a follows), type of number unknown, plan 2 (AESA)
    80                #   octet 5a: ext 1, presentation allowed (0), user-provided not screened (0)
    47 00 05 80 ff e1 00 00 00 f2 1a 2b 3c 66 77 88 99 aa bb 00   # 20-octet AESA

  5a 80 00 05         # connection identifier, 5 octets
    88                #   ext 1, VP-associated signalling 01 (explicit VPCI), exclusive VPCI + VCI (000)
    00 00             #   VPCI 0
    00 20             #   VCI 32

  5c 80 00 02         # QoS parameter, 2 octets
    00                #   forward QoS class 0 (unspecified)
    00                #   backward QoS class 0

  54 80 00 03         # endpoint reference, 3 octets
    00                #   type: locally defined integer
    00 00             #   flag 0 (sent by the allocating side), value 0 (first party)
`);

const SETUP: UniMessage = {
  type: MsgType.SETUP,
  callRef: 42,
  callRefFlag: false,
  ies: [
    { id: IeId.AAL_PARAMETERS, aalType: 5, fwdMaxSdu: 9008, bwdMaxSdu: 9008, sscsType: 0 },
    {
      id: IeId.ATM_TRAFFIC_DESCRIPTOR,
      fields: [
        { id: 0x84, value: 6000 },
        { id: 0x85, value: 0 },
      ],
      bestEffort: true,
    },
    { id: IeId.BROADBAND_BEARER_CAPABILITY, bearerClass: 0x10, transferCapability: 0x0a, clipping: 0, userPlane: 1 },
    { id: IeId.CALLED_PARTY_NUMBER, typeOfNumber: 0, plan: 2, address: AESA_CALLED },
    { id: IeId.CALLING_PARTY_NUMBER, typeOfNumber: 0, plan: 2, presentation: 0, screening: 0, address: AESA_CALLING },
    { id: IeId.CONNECTION_IDENTIFIER, vpAssociated: 1, exclusive: 0, vpci: 0, vci: 32 },
    { id: IeId.QOS_PARAMETER, forwardClass: 0, backwardClass: 0 },
    { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 0 },
  ],
};

// ---------------------------------------------------------------------------
// ADD PARTY for a second party (E.164 numbers), from the root
// ---------------------------------------------------------------------------
const ADD_PARTY_BYTES = hex(`
  09 03 00 00 2a      # PD, CR length 3, flag 0, call reference 42
  80                  # message type: ADD PARTY
  80                  # extension: no explicit instructions
  00 19               # message length: 25

  70 80 00 05         # called party number, 5 octets
    91                #   ext 1, type of number international (001), plan E.164 (0001)
    31 30 30 32       #   digits "1002"

  6c 80 00 05         # calling party number, 5 octets
    91                #   ext 1 (no octet 5a), international, E.164
    31 30 30 31       #   digits "1001"

  54 80 00 03         # endpoint reference, 3 octets
    00                #   locally defined integer
    00 01             #   flag 0, value 1
`);

const ADD_PARTY: UniMessage = {
  type: MsgType.ADD_PARTY,
  callRef: 42,
  callRefFlag: false,
  ies: [
    { id: IeId.CALLED_PARTY_NUMBER, typeOfNumber: 1, plan: 1, address: Buffer.from('1002') },
    { id: IeId.CALLING_PARTY_NUMBER, typeOfNumber: 1, plan: 1, address: Buffer.from('1001') },
    { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 1 },
  ],
};

// ---------------------------------------------------------------------------
// DROP PARTY with cause 16 and close data, sent by the leaf (flag 1 on CR and epref)
// ---------------------------------------------------------------------------
const DROP_PARTY_BYTES = hex(`
  09 03               # PD, CR length
  80 00 2a            # flag 1 (sent to the allocating side), call reference 42
  83                  # message type: DROP PARTY
  80                  # extension: no explicit instructions
  00 18               # message length: 24

  08 80 00 02         # cause, 2 octets
    80                #   ext 1, location 0 (user)
    90                #   ext 1, cause 16 (normal call clearing)

  54 80 00 03         # endpoint reference
    00                #   locally defined integer
    80 01             #   flag 1, value 1

  7e 80 00 07         # user-user, 7 octets
    00                #   protocol discriminator: user-specific
    63 6c 6f 73 65 21 #   close data "close!"
`);

const DROP_PARTY: UniMessage = {
  type: MsgType.DROP_PARTY,
  callRef: 42,
  callRefFlag: true,
  ies: [
    { id: IeId.CAUSE, location: 0, cause: 16, diagnostic: Buffer.alloc(0) },
    { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: true, value: 1 },
    { id: IeId.USER_USER, protocol: 0, data: Buffer.from('close!') },
  ],
};

// ---------------------------------------------------------------------------
// RELEASE with two causes (the second from a T308 retry) and close data
// ---------------------------------------------------------------------------
const RELEASE_BYTES = hex(`
  09 03               # PD, CR length
  81 23 45            # flag 1, call reference 0x012345
  4d                  # message type: RELEASE
  80                  # extension: no explicit instructions
  00 18               # message length: 24

  08 80 00 02         # cause
    82                #   ext 1, location 2 (public network serving the local user)
    9f                #   ext 1, cause 31 (normal, unspecified)

  08 80 00 05         # second cause, with a timer diagnostic
    80                #   ext 1, location user
    e6                #   ext 1, cause 102 (recovery on timer expiry)
    33 30 38          #   diagnostic: IA5 "308"

  7e 80 00 05         # user-user, 5 octets
    00                #   protocol discriminator: user-specific
    de ad be ef       #   close data
`);

const RELEASE: UniMessage = {
  type: MsgType.RELEASE,
  callRef: 0x012345,
  callRefFlag: true,
  ies: [
    { id: IeId.CAUSE, location: 2, cause: 31, diagnostic: Buffer.alloc(0) },
    { id: IeId.CAUSE, location: 0, cause: 102, diagnostic: Buffer.from('308') },
    { id: IeId.USER_USER, protocol: 0, data: hex('deadbeef') },
  ],
};

// ---------------------------------------------------------------------------
// STATUS ENQUIRY with explicit instructions in the message-type extension octet
// and on the endpoint reference's IE header
// ---------------------------------------------------------------------------
const STATUS_ENQUIRY_BYTES = hex(`
  09 03 00 00 07      # PD, CR length, flag 0, call reference 7
  75                  # message type: STATUS ENQUIRY
  92                  # extension: ext 1, flag 1 (follow instructions), action 2 (discard and report)
  00 07               # message length: 7
  54 91 00 03         # endpoint reference, compat: ext 1, ITU-T, flag 1, action 1 (discard IE and proceed)
    00 00 05          #   locally defined, flag 0, value 5
`);

const STATUS_ENQUIRY: UniMessage = {
  type: MsgType.STATUS_ENQUIRY,
  callRef: 7,
  callRefFlag: false,
  msgFlag: true,
  msgAction: 2,
  ies: [{ id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 5, ieFlag: true, action: 1 }],
};

const GOLDEN: [string, Buffer, UniMessage][] = [
  ['SETUP (p2mp)', SETUP_BYTES, SETUP],
  ['ADD PARTY', ADD_PARTY_BYTES, ADD_PARTY],
  ['DROP PARTY with cause and close data', DROP_PARTY_BYTES, DROP_PARTY],
  ['RELEASE with two causes and close data', RELEASE_BYTES, RELEASE],
  ['STATUS ENQUIRY with explicit instructions', STATUS_ENQUIRY_BYTES, STATUS_ENQUIRY],
];

for (const [name, bytes, msg] of GOLDEN) {
  test(`golden ${name}: encodes to the hand-written bytes`, (t) => {
    t.is(encodeMessage(msg).toString('hex'), bytes.toString('hex'));
  });

  test(`golden ${name}: the bytes decode to the record, with nothing missing or errored`, (t) => {
    const r = decodeMessage(bytes);
    if (!r.ok) return t.fail(r.error.message);
    t.deepEqual(r.value, msg);
    t.deepEqual(checkMessage(r.value), { missing: [], unrecognized: [], errored: [] });
  });
}

test('golden: the message length field counts exactly the octets after the header', (t) => {
  for (const [, bytes] of GOLDEN) t.is(bytes.readUInt16BE(7), bytes.length - 9);
});

test('decoded buffers are copies: changing the input afterwards changes nothing', (t) => {
  const bytes = Buffer.from(DROP_PARTY_BYTES);
  const r = decodeMessage(bytes);
  if (!r.ok) return t.fail();
  bytes.fill(0xee, 9);
  t.deepEqual(r.value, DROP_PARTY);
});
