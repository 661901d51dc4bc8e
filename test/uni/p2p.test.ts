import test from 'ava';
import { Clock, idle, link, makeHost, MAC_A, MAC_B } from './helpers.js';
import { MsgType, IeId, findIe } from '../../src/uni/msg/types.js';

function two() {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], { '2002': MAC_B });
  const b = makeHost(clock, MAC_B, ['2002'], { '1001': MAC_A });
  const [sa, sb] = link(clock, a, b);
  return { clock, a, b, sa, sb };
}

test('point-to-point: SETUP, CALL PROCEEDING, ALERTING, CONNECT, CONNECT ACK, then RELEASE with close data', (t) => {
  const { clock, a, b, sa, sb } = two();
  const r = a.host.setup({ called: '2002', calling: '1001', multipoint: false });
  t.true(r.ok);
  if (!r.ok) return;
  clock.advance(5);
  const s = b.of('setup');
  t.is(s.length, 1);
  t.is(s[0]!.params.called, '2002');
  t.is(s[0]!.params.calling, '1001');
  // A (lower MAC) is the network side: it assigned the VC in the SETUP
  t.deepEqual(s[0]!.vc, { peer: MAC_A, vpi: 0, vci: 32 });
  const call = s[0]!.call;
  t.true(b.host.proceeding(call).ok);
  t.true(b.host.alerting(call).ok);
  clock.advance(5);
  t.is(a.of('proceeding').length, 1);
  t.is(a.of('alerting').length, 1);
  t.true(b.host.accept(call).ok);
  clock.advance(5);
  const c = a.of('connected');
  t.is(c.length, 1);
  t.deepEqual(c[0]!.vc, { peer: MAC_B, vpi: 0, vci: 32 });
  t.is(b.of('active').length, 1);
  t.deepEqual(a.host.snapshot().calls[0]!.links[0]!.state, 'N10 Active');
  t.deepEqual(b.host.snapshot().calls[0]!.links[0]!.state, 'U10 Active');
  const close = Buffer.from('goodbye, and thanks');
  t.true(a.host.release(r.value.call, { closeData: close }).ok);
  clock.advance(5);
  const rel = b.of('released');
  t.is(rel.length, 1);
  t.true(rel[0]!.remote);
  t.is(rel[0]!.cause, 16);
  t.deepEqual(rel[0]!.closeData, close);
  t.is(a.of('release-confirm').length, 1);
  // the messages on the wire, in order
  t.deepEqual(
    sa.sent.map((m) => m.type),
    [MsgType.SETUP, MsgType.CONNECT_ACKNOWLEDGE, MsgType.RELEASE],
  );
  t.deepEqual(
    sb.sent.map((m) => m.type),
    [MsgType.CALL_PROCEEDING, MsgType.ALERTING, MsgType.CONNECT, MsgType.RELEASE_COMPLETE],
  );
  t.is(findIe(sa.sent[2]!, IeId.USER_USER)?.protocol, 0);
  t.true(idle(a, b));
  t.is(clock.pending, 0);
});
