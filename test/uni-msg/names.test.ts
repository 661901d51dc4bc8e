/** Name tables: every code in the contract's enums and comments has a name; unknown codes fall back to hex. */
import test from 'ava';
import {
  CAUSE_NAMES,
  Cause,
  IE_ACTION_NAMES,
  IE_NAMES,
  IeAction,
  IeId,
  MESSAGE_NAMES,
  MSG_ACTION_NAMES,
  MsgAction,
  MsgType,
  callStateName,
  causeName,
  endpointStateName,
  ieActionName,
  ieName,
  messageName,
  msgActionName,
} from '../../src/uni/msg/index.js';

const values = (e: object): number[] => Object.values(e).filter((v): v is number => typeof v === 'number');

const tables: [string, object, Readonly<Record<number, string>>][] = [
  ['MsgType', MsgType, MESSAGE_NAMES],
  ['IeId', IeId, IE_NAMES],
  ['Cause', Cause, CAUSE_NAMES],
  ['IeAction', IeAction, IE_ACTION_NAMES],
  ['MsgAction', MsgAction, MSG_ACTION_NAMES],
];

for (const [name, e, table] of tables) {
  test(`names: every ${name} member has a name`, (t) => {
    const members = values(e);
    t.true(members.length > 0);
    for (const v of members) t.true(typeof table[v] === 'string' && table[v].length > 0, `${name} ${v}`);
  });
}

test('names: examples read as the standard writes them', (t) => {
  t.is(messageName(MsgType.DROP_PARTY), 'DROP PARTY');
  t.is(messageName(MsgType.CONNECT_ACKNOWLEDGE), 'CONNECT ACKNOWLEDGE');
  t.is(messageName(MsgType.PARTY_ALERTING), 'PARTY ALERTING');
  t.is(messageName(0x91), 'LEAF SETUP REQUEST');
  t.is(ieName(IeId.USER_USER), 'user-user');
  t.is(ieName(IeId.ENDPOINT_REFERENCE), 'endpoint reference');
  t.is(ieName(0xe8), 'LIJ call identifier');
  t.is(causeName(Cause.NORMAL_CALL_CLEARING), 'normal call clearing');
  t.is(causeName(Cause.INVALID_ENDPOINT_REFERENCE), 'invalid endpoint reference');
  t.is(causeName(Cause.TOO_MANY_PENDING_ADD_PARTY_REQUESTS), 'too many pending add party requests');
  t.is(ieActionName(IeAction.DISCARD_MESSAGE_AND_REPORT), 'discard message and report status');
  t.is(msgActionName(MsgAction.DISCARD_AND_IGNORE), 'discard and ignore');
});

test('names: unknown codes fall back to hex (causes to their number)', (t) => {
  t.is(messageName(0x99), '0x99');
  t.is(messageName(0), '0x00');
  t.is(ieName(0xa7), '0xa7');
  t.is(causeName(12), 'cause 12');
  t.is(callStateName(0x2f), 'U 0x2f');
  t.is(endpointStateName(2), 'P 0x02');
  t.is(ieActionName(9), '0x09');
  t.is(msgActionName(4), '0x04');
  t.is(messageName(0x1ff), '0x1ff');
});

test('names: every cause value 1..127 gives a non-empty name', (t) => {
  for (let n = 1; n <= 127; n++) t.true(causeName(n).length > 0);
  // the Q.2610 / UNI 4.0 additions
  for (const n of [32, 35, 36, 37, 45, 73, 78, 89, 93]) t.false(causeName(n).startsWith('cause '), `cause ${n}`);
});

test('names: call states U0..U12 / N0..N12 and the restart states', (t) => {
  const codes: [number, string][] = [
    [0x00, 'U0 Null'],
    [0x01, 'U1 Call Initiated'],
    [0x03, 'U3 Outgoing Call Proceeding'],
    [0x04, 'U4 Call Delivered'],
    [0x06, 'U6 Call Present'],
    [0x07, 'U7 Call Received'],
    [0x08, 'U8 Connect Request'],
    [0x09, 'U9 Incoming Call Proceeding'],
    [0x0a, 'U10 Active'],
    [0x0b, 'U11 Release Request'],
    [0x0c, 'U12 Release Indication'],
  ];
  for (const [n, name] of codes) {
    t.is(callStateName(n, 'user'), name);
    t.is(callStateName(n, 'network'), 'N' + name.slice(1));
  }
  t.is(callStateName(0x0a), 'U10 Active', 'user side by default');
  t.is(callStateName(0x3d), 'REST1 Restart Request');
  t.is(callStateName(0x3e, 'network'), 'REST2 Restart');
});

test('names: endpoint states P0..P7 with the Q.2971 codes', (t) => {
  const codes: [number, string][] = [
    [0x00, 'P0 Null'],
    [0x01, 'P1 Add Party Initiated'],
    [0x06, 'P2 Add Party Received'],
    [0x04, 'P3 Party Alerting Delivered'],
    [0x07, 'P4 Party Alerting Received'],
    [0x0b, 'P5 Drop Party Initiated'],
    [0x0c, 'P6 Drop Party Received'],
    [0x0a, 'P7 Active'],
  ];
  for (const [n, name] of codes) t.is(endpointStateName(n), name);
});
