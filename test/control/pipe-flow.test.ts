import test from 'ava';
import { ACK_EVERY, AckSender, AckWindow, ackText, parseAck, parseTally, tallyText, WINDOW } from '../../src/control/pipe-flow.js';

test('acknowledgements: the listener acks every ACK_EVERY octets with all it has received', (t) => {
  const s = new AckSender();
  t.is(s.received(1400), undefined);
  t.is(s.received(ACK_EVERY - 1), undefined);
  t.is(s.received(ACK_EVERY + 100), ackText(ACK_EVERY + 100));
  t.is(s.received(2 * ACK_EVERY), undefined, 'the next is due ACK_EVERY after the last');
  t.is(s.received(2 * ACK_EVERY + 100), ackText(2 * ACK_EVERY + 100));
});

test('acknowledgements: only an ack packet parses as one', (t) => {
  t.is(parseAck(Buffer.from(ackText(123456))), 123456);
  for (const other of ['condisctl pipe ack ', 'condisctl pipe ack 12x', 'xcondisctl pipe ack 1', 'hello', `condisctl pipe ack ${'9'.repeat(40)}`]) t.is(parseAck(Buffer.from(other)), undefined, other);
});

/** a wait that resolves only when the test lets it (virtual time) */
function manualWait() {
  const pending: (() => void)[] = [];
  return { wait: (_ms: number) => new Promise<void>((r) => pending.push(r)), elapse: () => pending.splice(0).forEach((r) => r()), get waiting() { return pending.length; } };
}

const settled = async (p: Promise<void>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
};

test('the caller sends freely to a listener that has not acknowledged anything', async (t) => {
  const w = new AckWindow(manualWait().wait);
  t.false(w.acking);
  t.true(await settled(w.room(100 * WINDOW)));
});

test('once acknowledged, the caller waits with WINDOW octets unacknowledged until the next ack', async (t) => {
  const clock = manualWait();
  const w = new AckWindow(clock.wait);
  w.ack(ACK_EVERY);
  t.true(w.acking);
  t.true(await settled(w.room(ACK_EVERY + WINDOW)), 'exactly a window ahead: may send');
  const blocked = w.room(ACK_EVERY + WINDOW + 1400);
  t.false(await settled(blocked), 'more than a window ahead: waits');
  w.ack(2 * ACK_EVERY);
  t.true(await settled(blocked), 'the next ack lets it go');
});

test('an acknowledgement that does not come within the wait counts as one for half a window: slower, never stuck', async (t) => {
  const clock = manualWait();
  const w = new AckWindow(clock.wait);
  w.ack(1); // acking, 1 octet acknowledged
  const sent = 1 + WINDOW + 10_000;
  const p = w.room(sent);
  t.false(await settled(p));
  t.is(clock.waiting, 1);
  clock.elapse(); // ACK_WAIT_MS passes with no ack
  t.true(await settled(p), 'goes on as if sent - WINDOW/2 were acknowledged');
  // and it waits again a half window later
  const q = w.room(sent + WINDOW / 2 + 1);
  t.false(await settled(q));
  w.ack(sent);
  t.true(await settled(q));
});

test('the tally: what the caller says it sent, read back; other close data is not one', (t) => {
  t.is(parseTally(Buffer.from(tallyText(20_000_000))), 20_000_000);
  t.true(tallyText(20_000_000).length <= 127, 'fits in close data');
  for (const other of ['bye', 'condisctl pipe: sent octets', 'condisctl pipe: sent 5 octets!']) t.is(parseTally(Buffer.from(other)), undefined, other);
});
