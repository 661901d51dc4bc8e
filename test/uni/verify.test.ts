/**
 * The Q.2931 5.6 verifier on its own: a message and what the codec found in it go in, a verdict comes out.
 * No link, no machines: each case names the rule it checks.
 */
import test from 'ava';
import { ieListDiag } from '../../src/uni/call-ies.js';
import type { MessageCheck } from '../../src/uni/msg/codec.js';
import { Cause, IeAction, IeId, MsgType, type UniMessage } from '../../src/uni/msg/types.js';
import { verify, verifySetup, type VerifyContext } from '../../src/uni/verify.js';

const message = (type: number, ies: UniMessage['ies'] = []): UniMessage => ({ type, callRef: 7, callRefFlag: true, ies });
const clean = (): MessageCheck => ({ missing: [], unrecognized: [], errored: [] });
const unknownIe = (id: number, action?: number) => ({ id, unknown: true as const, content: Buffer.alloc(0), flag: action !== undefined, action });
const erroredIe = (id: number, action?: number) => ({ id, problem: 'ie-bad-content', content: Buffer.alloc(1), flag: action !== undefined, action });

const ctx = (over: Partial<VerifyContext> = {}): VerifyContext => ({
  check: clean(),
  side: 'network',
  multipoint: false,
  mine: false,
  vcAssigned: true,
  name: (t) => `type 0x${t.toString(16)}`,
  ...over,
});

test('a message with nothing wrong proceeds with no step', (t) => {
  t.deepEqual(verify(message(MsgType.CONNECT_ACKNOWLEDGE), ctx()), { proceed: true, steps: [] });
});

test('5.6.7: a missing mandatory IE is counted and answered with STATUS, cause 96, naming the IE; the message is dropped', (t) => {
  const v = verify(message(MsgType.CONNECT), ctx({ check: { ...clean(), missing: [IeId.CONNECTION_IDENTIFIER] } }));
  t.false(v.proceed);
  t.like(v.steps[0], { k: 'count', cause: Cause.MANDATORY_INFORMATION_ELEMENT_MISSING });
  t.deepEqual(v.steps[1], { k: 'status', cause: Cause.MANDATORY_INFORMATION_ELEMENT_MISSING, diag: ieListDiag([IeId.CONNECTION_IDENTIFIER]) });
});

test('5.6.7: RELEASE and RELEASE COMPLETE without their cause still clear the call (counted, they proceed)', (t) => {
  for (const type of [MsgType.RELEASE, MsgType.RELEASE_COMPLETE]) {
    const v = verify(message(type), ctx({ check: { ...clean(), missing: [IeId.CAUSE] } }));
    t.true(v.proceed);
    t.deepEqual(v.steps.map((s) => s.k), ['count']);
  }
});

test('ADD PARTY lacking a mandatory IE other than the endpoint reference is answered with ADD PARTY REJECT', (t) => {
  const v = verify(message(MsgType.ADD_PARTY), ctx({ multipoint: true, check: { ...clean(), missing: [IeId.CALLED_PARTY_NUMBER] } }));
  t.false(v.proceed);
  t.deepEqual(v.steps[1], { k: 'add-party-reject', cause: Cause.MANDATORY_INFORMATION_ELEMENT_MISSING, diag: ieListDiag([IeId.CALLED_PARTY_NUMBER]) });
});

test('Q.2971: DROP PARTY without its endpoint reference clears the whole call with cause 96; a missing cause alone is tolerated', (t) => {
  const v = verify(message(MsgType.DROP_PARTY), ctx({ multipoint: true, check: { ...clean(), missing: [IeId.CAUSE, IeId.ENDPOINT_REFERENCE] } }));
  t.false(v.proceed);
  t.deepEqual(v.steps[1], { k: 'clear-call', cause: Cause.MANDATORY_INFORMATION_ELEMENT_MISSING, diag: ieListDiag([IeId.ENDPOINT_REFERENCE]) });
  t.deepEqual(verify(message(MsgType.DROP_PARTY), ctx({ multipoint: true, check: { ...clean(), missing: [IeId.CAUSE] } })), { proceed: true, steps: [] });
});

test('Q.2971: a bad endpoint reference in DROP PARTY ACKNOWLEDGE clears the call with cause 100', (t) => {
  const v = verify(message(MsgType.DROP_PARTY_ACKNOWLEDGE), ctx({ multipoint: true, check: { ...clean(), errored: [erroredIe(IeId.ENDPOINT_REFERENCE)] } }));
  t.false(v.proceed);
  t.like(v.steps[1], { k: 'clear-call', cause: Cause.INVALID_INFORMATION_ELEMENT_CONTENTS });
});

test('a multipoint call: CONNECT must name the party (an endpoint reference is implied mandatory)', (t) => {
  const v = verify(message(MsgType.CONNECT), ctx({ multipoint: true }));
  t.false(v.proceed);
  t.deepEqual(v.steps[1], { k: 'status', cause: Cause.MANDATORY_INFORMATION_ELEMENT_MISSING, diag: ieListDiag([IeId.ENDPOINT_REFERENCE]) });
});

test('user side: the first answer to our SETUP must carry the connection identifier; once the VC is known it need not', (t) => {
  const user = { side: 'user' as const, mine: true };
  const v = verify(message(MsgType.CALL_PROCEEDING), ctx({ ...user, vcAssigned: false }));
  t.false(v.proceed);
  t.like(v.steps[1], { k: 'status', diag: ieListDiag([IeId.CONNECTION_IDENTIFIER]) });
  t.true(verify(message(MsgType.ALERTING), ctx({ ...user, vcAssigned: true })).proceed);
  // the network side assigns the VC itself
  t.true(verify(message(MsgType.CALL_PROCEEDING), ctx({ side: 'network', mine: true, vcAssigned: false })).proceed);
});

test('5.6.8: the IE instruction field decides: clear the call, discard and report, discard silently, or proceed and report', (t) => {
  const withU = (action?: number) => verify(message(MsgType.CONNECT), ctx({ check: { ...clean(), unrecognized: [unknownIe(0x7a, action)] } }));
  t.like(withU(IeAction.CLEAR_CALL), { proceed: false, steps: [{ k: 'count' }, { k: 'clear-call', cause: Cause.INFORMATION_ELEMENT_NON_EXISTENT }] });
  t.like(withU(IeAction.DISCARD_MESSAGE_AND_REPORT), { proceed: false, steps: [{ k: 'count' }, { k: 'status', cause: Cause.INFORMATION_ELEMENT_NON_EXISTENT }] });
  t.deepEqual(withU(IeAction.DISCARD_MESSAGE_AND_IGNORE), { proceed: false, steps: [{ k: 'count-silent' }] });
  t.deepEqual(withU(IeAction.DISCARD_IE_AND_PROCEED), { proceed: true, steps: [] });
  // no instruction, and a reserved action value, are "discard the IE, proceed and report"
  for (const v of [withU(undefined), withU(3)]) {
    t.true(v.proceed);
    t.like(v.steps[1], { k: 'status', cause: Cause.INFORMATION_ELEMENT_NON_EXISTENT, diag: ieListDiag([0x7a]) });
  }
});

test('5.6.8 precedence: missing mandatory IEs are handled before an clearing instruction of an unrecognised IE', (t) => {
  const v = verify(message(MsgType.CONNECT), ctx({ check: { missing: [IeId.CONNECTION_IDENTIFIER], unrecognized: [unknownIe(0x7a, IeAction.CLEAR_CALL)], errored: [] } }));
  t.like(v.steps[1], { k: 'status', cause: Cause.MANDATORY_INFORMATION_ELEMENT_MISSING });
});

test('5.6.8.2: a mandatory IE with bad contents drops the message with STATUS 100; in RELEASE it is counted and the call still clears', (t) => {
  const bad = { ...clean(), errored: [erroredIe(IeId.CALL_STATE)] };
  const v = verify(message(MsgType.STATUS), ctx({ check: bad }));
  t.false(v.proceed);
  t.like(v.steps[1], { k: 'status', cause: Cause.INVALID_INFORMATION_ELEMENT_CONTENTS });
  const causeBad = { ...clean(), errored: [erroredIe(IeId.CAUSE)] };
  t.like(verify(message(MsgType.RELEASE), ctx({ check: causeBad })), { proceed: true, steps: [{ k: 'count' }] });
});

test('an errored and an unrecognised optional IE are both reported, errored first, and the message proceeds', (t) => {
  const v = verify(message(MsgType.CONNECT), ctx({ check: { missing: [], unrecognized: [unknownIe(0x7a)], errored: [erroredIe(IeId.AAL_PARAMETERS)] } }));
  t.true(v.proceed);
  t.deepEqual(
    v.steps.filter((s) => s.k === 'status').map((s) => (s as { cause: number }).cause),
    [Cause.INVALID_INFORMATION_ELEMENT_CONTENTS, Cause.INFORMATION_ELEMENT_NON_EXISTENT],
  );
});

test('SETUP: missing IEs, a clearing instruction and bad mandatory contents refuse the call with their causes', (t) => {
  t.like(verifySetup(message(MsgType.SETUP), { ...clean(), missing: [IeId.CALLED_PARTY_NUMBER] }, 'network'), {
    k: 'refuse',
    cause: Cause.MANDATORY_INFORMATION_ELEMENT_MISSING,
  });
  t.like(verifySetup(message(MsgType.SETUP), { ...clean(), unrecognized: [unknownIe(0x7a, IeAction.CLEAR_CALL)] }, 'network'), {
    k: 'refuse',
    cause: Cause.INFORMATION_ELEMENT_NON_EXISTENT,
  });
  t.like(verifySetup(message(MsgType.SETUP), { ...clean(), errored: [erroredIe(IeId.ENDPOINT_REFERENCE)] }, 'network'), {
    k: 'refuse',
    cause: Cause.INVALID_INFORMATION_ELEMENT_CONTENTS,
  });
  t.deepEqual(verifySetup(message(MsgType.SETUP), { ...clean(), unrecognized: [unknownIe(0x7a, IeAction.DISCARD_MESSAGE_AND_IGNORE)] }, 'network'), { k: 'ignore' });
});

test('SETUP: point-to-multipoint needs an endpoint reference with the flag clear; the user side needs a connection identifier', (t) => {
  const p2mp = { id: IeId.BROADBAND_BEARER_CAPABILITY, bearerClass: 16, userPlane: 1 } as unknown as UniMessage['ies'][number];
  t.like(verifySetup(message(MsgType.SETUP, [p2mp]), clean(), 'network'), { k: 'refuse', cause: Cause.MANDATORY_INFORMATION_ELEMENT_MISSING });
  const flagged = { id: IeId.ENDPOINT_REFERENCE, value: 0, flag: true } as unknown as UniMessage['ies'][number];
  t.like(verifySetup(message(MsgType.SETUP, [p2mp, flagged]), clean(), 'network'), { k: 'refuse', cause: Cause.INVALID_INFORMATION_ELEMENT_CONTENTS });
  const ep = { id: IeId.ENDPOINT_REFERENCE, value: 0, flag: false } as unknown as UniMessage['ies'][number];
  t.deepEqual(verifySetup(message(MsgType.SETUP, [p2mp, ep]), clean(), 'network'), { k: 'accept', multipoint: true, ep: 0, report: undefined });
  t.like(verifySetup(message(MsgType.SETUP), clean(), 'user'), { k: 'refuse', cause: Cause.MANDATORY_INFORMATION_ELEMENT_MISSING, diag: ieListDiag([IeId.CONNECTION_IDENTIFIER]) });
});

test('SETUP: an IE ignored with "proceed and report" is accepted with a STATUS report to send', (t) => {
  const v = verifySetup(message(MsgType.SETUP), { ...clean(), unrecognized: [unknownIe(0x7a)] }, 'network');
  t.deepEqual(v, { k: 'accept', multipoint: false, ep: undefined, report: { cause: Cause.INFORMATION_ELEMENT_NON_EXISTENT, diag: ieListDiag([0x7a]) } });
});
