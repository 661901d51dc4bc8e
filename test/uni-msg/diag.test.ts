/** Cause diagnostics: built in the form each cause needs, read back, survive the codec, described for logs. */
import test from 'ava';
import {
  IeId,
  MsgType,
  decodeMessage,
  describeCause,
  encodeMessage,
  findIe,
  ieListDiagnostic,
  messageTypeDiagnostic,
  parseDiagnostic,
  timerDiagnostic,
  vpciVciDiagnostic,
} from '../../src/uni/msg/index.js';

test('diagnostics: octets per form', (t) => {
  t.is(ieListDiagnostic([IeId.ENDPOINT_REFERENCE, IeId.CAUSE]).toString('hex'), '5408');
  t.is(messageTypeDiagnostic(MsgType.DROP_PARTY).toString('hex'), '83');
  t.is(timerDiagnostic(308).toString('latin1'), '308');
  t.is(timerDiagnostic('398').toString('hex'), '333938');
  t.is(vpciVciDiagnostic(1, 0x20).toString('hex'), '00010020');
});

test('diagnostics: read back according to the cause', (t) => {
  t.deepEqual(parseDiagnostic(96, ieListDiagnostic([0x54])), { kind: 'ie-list', ids: [0x54] });
  t.deepEqual(parseDiagnostic(100, ieListDiagnostic([0x70, 0x59])), { kind: 'ie-list', ids: [0x70, 0x59] });
  t.deepEqual(parseDiagnostic(101, messageTypeDiagnostic(0x80)), { kind: 'message-type', type: 0x80 });
  t.deepEqual(parseDiagnostic(97, messageTypeDiagnostic(0x99)), { kind: 'message-type', type: 0x99 });
  t.deepEqual(parseDiagnostic(102, timerDiagnostic(322)), { kind: 'timer', timer: '322' });
  t.deepEqual(parseDiagnostic(82, vpciVciDiagnostic(0, 40)), { kind: 'vpci-vci', vpci: 0, vci: 40 });
  t.deepEqual(parseDiagnostic(49, Buffer.from([0x81])), { kind: 'condition', condition: 1 });
});

test('diagnostics: empty, ill-sized or unknown-form diagnostics come back raw', (t) => {
  t.deepEqual(parseDiagnostic(102, Buffer.alloc(0)), { kind: 'raw', octets: Buffer.alloc(0) });
  t.deepEqual(parseDiagnostic(102, Buffer.from('30')), { kind: 'raw', octets: Buffer.from('30') });
  t.deepEqual(parseDiagnostic(102, Buffer.from([0x33, 0x00, 0x38])), { kind: 'raw', octets: Buffer.from([0x33, 0, 0x38]) });
  t.deepEqual(parseDiagnostic(101, Buffer.from([1, 2])), { kind: 'raw', octets: Buffer.from([1, 2]) });
  t.deepEqual(parseDiagnostic(21, Buffer.from([0x7c])), { kind: 'raw', octets: Buffer.from([0x7c]) });
});

test('diagnostics: a STATUS naming the bad IE survives encode + decode', (t) => {
  const bytes = encodeMessage({
    type: MsgType.STATUS,
    callRef: 3,
    callRefFlag: true,
    ies: [
      { id: IeId.CALL_STATE, state: 0x0a },
      { id: IeId.CAUSE, location: 0, cause: 100, diagnostic: ieListDiagnostic([IeId.ENDPOINT_REFERENCE]) },
    ],
  });
  t.is(bytes.subarray(9 + 5).toString('hex'), '08800003' + '80' + 'e4' + '54');
  const r = decodeMessage(bytes);
  if (!r.ok) return t.fail();
  const cause = findIe(r.value, IeId.CAUSE)!;
  t.deepEqual(parseDiagnostic(cause.cause, cause.diagnostic), { kind: 'ie-list', ids: [IeId.ENDPOINT_REFERENCE] });
});

test('describeCause: one readable line', (t) => {
  t.is(
    describeCause({ cause: 102, location: 0, diagnostic: timerDiagnostic(308) }),
    'cause 102 recovery on timer expiry (timer 308), location user',
  );
  t.is(
    describeCause({ cause: 96, location: 2, diagnostic: ieListDiagnostic([0x54]) }),
    'cause 96 mandatory information element is missing (endpoint reference), location public network serving the local user',
  );
  t.is(describeCause({ cause: 16, location: 0, diagnostic: Buffer.alloc(0) }), 'cause 16 normal call clearing, location user');
  t.is(describeCause({ cause: 21, location: 0, diagnostic: Buffer.from([0x7c]) }), 'cause 21 call rejected (diagnostic 7c), location user');
});
