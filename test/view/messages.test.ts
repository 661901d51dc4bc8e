/** The `message` event's summary of an encoded Q.2931/Q.2971 message (where the messages are reported: test/host/link-down-path.test.ts, test/sscop/operators.test.ts). */
import test from 'ava';
import { summarizeMessage } from '../../src/host/messages.js';
import { calledIe } from '../../src/uni/call-ies.js';
import { encodeMessage, IeId, MsgType } from '../../src/uni/msg/index.js';

const PEER = '02:00:00:00:00:02';

test('DROP PARTY: type name, call and endpoint reference, cause with its name, close data', (t) => {
  const sdu = encodeMessage({
    type: MsgType.DROP_PARTY,
    callRef: 7,
    callRefFlag: false,
    ies: [
      { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 3 },
      { id: IeId.CAUSE, location: 0, cause: 31, diagnostic: Buffer.alloc(0) },
      { id: IeId.USER_USER, protocol: 0, data: Buffer.from('bye') },
    ],
  });
  const ev = summarizeMessage('out', PEER, sdu)!;
  t.like(ev, { kind: 'message', direction: 'out', peer: PEER, type: 'DROP PARTY', callRef: 7, callRefFlag: false, epref: 3, cause: 31 });
  t.regex(ev.causeName!, /normal/);
  t.deepEqual(ev.closeData, Buffer.from('bye'));
  t.is(ev.called, undefined);
});

test('ADD PARTY carries the called number; garbage is not reported', (t) => {
  const sdu = encodeMessage({ type: MsgType.ADD_PARTY, callRef: 1, callRefFlag: true, ies: [calledIe('3003'), { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 1 }] });
  t.like(summarizeMessage('in', PEER, sdu), { type: 'ADD PARTY', called: '3003', epref: 1, callRefFlag: true });
  t.is(summarizeMessage('in', PEER, Buffer.from([1, 2, 3])), undefined);
});
