/** The declaration tables: complete, consistent, and saying what Q.2931 / Q.2971 / docs/wire.md say. */
import test from 'ava';
import { IE_DECL_LIST, IeId, MSG_DECL_LIST, MsgType, USER_USER_MAX_DATA, ieDecl, msgDecl } from '../../src/uni/msg/index.js';

const values = (e: object): number[] => Object.values(e).filter((v): v is number => typeof v === 'number');

test('decls: every IeId has exactly one declaration, holding its content codec', (t) => {
  for (const id of values(IeId)) {
    t.is(IE_DECL_LIST.filter((d) => d.id === id).length, 1, `0x${id.toString(16)}`);
    t.truthy(ieDecl(id));
    const d = ieDecl(id)!;
    t.is(typeof d.codec.encode, 'function');
    t.is(typeof d.codec.decode, 'function');
    t.true(d.minLen <= d.maxLen);
    t.true(d.codings.includes(0), 'every IE is decoded in ITU-T coding');
  }
  t.is(IE_DECL_LIST.length, values(IeId).length);
});

test('decls: every MsgType has exactly one declaration, whose IEs are declared and listed once', (t) => {
  for (const type of values(MsgType)) {
    t.is(MSG_DECL_LIST.filter((d) => d.type === type).length, 1, `0x${type.toString(16)}`);
    const d = msgDecl(type)!;
    const ids = d.decl.ies.map((r) => r.id);
    t.is(new Set(ids).size, ids.length);
    for (const r of d.decl.ies) {
      t.truthy(ieDecl(r.id));
      t.true(r.max >= 1);
    }
  }
  t.is(MSG_DECL_LIST.length, values(MsgType).length);
  t.is(msgDecl(0x99), undefined);
  t.is(msgDecl(-1), undefined);
  t.is(ieDecl(0x99), undefined);
});

test('decls: user-user (close data) is allowed exactly where the UNI allows it, content 1..128', (t) => {
  const expected = [
    MsgType.SETUP,
    MsgType.ALERTING,
    MsgType.CONNECT,
    MsgType.RELEASE,
    MsgType.RELEASE_COMPLETE,
    MsgType.ADD_PARTY,
    MsgType.ADD_PARTY_ACKNOWLEDGE,
    MsgType.PARTY_ALERTING,
    MsgType.ADD_PARTY_REJECT,
    MsgType.DROP_PARTY,
    MsgType.DROP_PARTY_ACKNOWLEDGE,
  ].sort();
  const actual = MSG_DECL_LIST.filter((d) => d.ies.some((r) => r.id === IeId.USER_USER)).map((d) => d.type).sort();
  t.deepEqual(actual, expected);
  t.like(ieDecl(IeId.USER_USER), { minLen: 1, maxLen: 128, access: true });
  t.is(USER_USER_MAX_DATA, 127);
});

test('decls: cause twice in RELEASE and RELEASE COMPLETE, once elsewhere', (t) => {
  for (const d of MSG_DECL_LIST) {
    const rule = d.ies.find((r) => r.id === IeId.CAUSE);
    if (!rule) continue;
    t.is(rule.max, d.type === MsgType.RELEASE || d.type === MsgType.RELEASE_COMPLETE ? 2 : 1, `0x${d.type.toString(16)}`);
  }
});

test('decls: fixed-size IEs have fixed sizes; cause 2..30; endpoint reference exactly 3', (t) => {
  t.like(ieDecl(IeId.CAUSE), { minLen: 2, maxLen: 30 });
  t.like(ieDecl(IeId.ENDPOINT_REFERENCE), { minLen: 3, maxLen: 3 });
  t.like(ieDecl(IeId.CONNECTION_IDENTIFIER), { minLen: 5, maxLen: 5 });
  t.like(ieDecl(IeId.QOS_PARAMETER), { minLen: 2, maxLen: 2 });
  for (const id of [IeId.CALL_STATE, IeId.ENDPOINT_STATE, IeId.RESTART_INDICATOR, IeId.BROADBAND_SENDING_COMPLETE])
    t.like(ieDecl(id), { minLen: 1, maxLen: 1 });
  // address IEs: at most 20 address octets
  t.is(ieDecl(IeId.CALLED_PARTY_NUMBER)!.maxLen, 21);
  t.is(ieDecl(IeId.CALLING_PARTY_NUMBER)!.maxLen, 22);
});
