/**
 * The TAP miniport's `sendThread`: bursts written by a thread of the addon's own
 * (native/condis_tap.cc, Writer). What it must keep: every frame, in order, as
 * it was when sent; what close() does with a queue; errors counted.
 */
import { readdirSync } from 'node:fs';
import { rootTest as test } from '../helpers/root.js';
import { createBridgedPair, uniqueName, type BridgedPair } from '../../src/lab/netns.js';
import { openMiniport, MiniportError, type Miniport } from '../../src/miniport/index.js';
import { collect, frame, sendOverwritingEach, sendUntilReceived, sleep } from './helpers.js';

const A = '02:00:00:00:01:1a';
const B = '02:00:00:00:01:1b';

const threads = (): number => readdirSync('/proc/self/task').length;

/** a sends with its thread; b's kernel queue holds a whole burst while this process is busy sending it */
async function pair(t: { teardown(fn: () => Promise<void>): void }) {
  const lab: BridgedPair = await createBridgedPair('ts');
  const opened: Miniport[] = [];
  t.teardown(async () => {
    await Promise.all(opened.map((m) => m.close()));
    await lab.destroy();
  });
  const open = async (cfg: Parameters<typeof openMiniport>[0]): Promise<Miniport> => {
    const m = await openMiniport(cfg);
    opened.push(m);
    return m;
  };
  const before = threads();
  const a = await open({ kind: 'tap', device: uniqueName('tapa'), mac: A, netns: lab.a.ns.name, bridge: lab.a.bridge, sendThread: true });
  const withThread = threads();
  const b = await open({ kind: 'tap', device: uniqueName('tapb'), mac: B, netns: lab.b.ns.name, bridge: lab.b.bridge, txQueueLen: 8192 });
  await sendUntilReceived(a, b, frame(B, A, 'warm'), 'warm');
  return { lab, a, b, before, withThread };
}

const tagged = (i: number, body = ''): Buffer => frame(B, A, `seq${String(i).padStart(5, '0')}${body}`);

test('tap (sendThread): a burst of 5,000 frames in one turn arrives whole, in order and intact, lone frames too', async (t) => {
  const { a, b, before, withThread } = await pair(t);
  t.is(withThread, before + 1, 'the sender has a thread of its own');
  const burst = Array.from({ length: 5000 }, (_, i) => tagged(i, i % 7 === 0 ? 'j'.repeat(1400) : ''));
  const got = collect(b.frames$, burst.length, 'seq', 20_000);
  const sent0 = a.counters().txFrames;
  for (const f of burst) a.send(f);
  t.deepEqual(await got, burst);
  t.is(a.counters().txFrames - sent0, burst.length);
  t.is(a.counters().txErrors, 0);
  // a frame alone in its turn, after the burst, still comes (written at once, or behind the queue)
  const lone = frame(B, A, 'lone');
  const gotLone = collect(b.frames$, 1, 'lone');
  a.send(lone);
  t.deepEqual(await gotLone, [lone]);
});

test('tap (sendThread): send is done with a frame when it returns (sendCopies), for frames that are queued too', async (t) => {
  const { a, b } = await pair(t);
  t.true(a.sendCopies);
  // 300 in one turn: all but the first few go through the queue
  const { arrived, sent } = await sendOverwritingEach(a, b, 300);
  t.deepEqual(arrived, sent);
});

test('tap (sendThread): close() right after a burst writes out what is queued first, and ends the thread', async (t) => {
  const { a, b, before } = await pair(t);
  const burst = Array.from({ length: 3000 }, (_, i) => tagged(i));
  const got = collect(b.frames$, burst.length, 'seq', 20_000);
  for (const f of burst) a.send(f);
  await a.close();
  t.deepEqual(await got, burst);
  t.is(threads(), before, 'the thread is gone with the port');
  const errors = a.counters().txErrors;
  a.send(tagged(9));
  t.is(a.counters().txErrors, errors + 1, 'a send after close is an error');
});

test('tap (sendThread): frames the thread cannot write (the device is down) are counted as errors, not as sent', async (t) => {
  const { lab, a, b } = await pair(t);
  const dev = a.name.slice('tap:'.length);
  await lab.a.ns.ip(['link', 'set', dev, 'down']);
  const { txFrames, txBytes, txErrors } = a.counters();
  for (let i = 0; i < 200; i++) a.send(tagged(i));
  // the queued ones fail on the thread: wait until all 200 are accounted for
  for (let i = 0; i < 200 && a.counters().txErrors < txErrors + 200; i++) await sleep(10);
  t.is(a.counters().txErrors, txErrors + 200);
  t.is(a.counters().txFrames, txFrames);
  t.is(a.counters().txBytes, txBytes, 'nor their octets');
  await lab.a.ns.ip(['link', 'set', dev, 'up']);
  const back = frame(B, A, 'after-up');
  t.deepEqual(await sendUntilReceived(a, b, back, 'after-up'), back);
});

test('tap: sendThread that is not a boolean, or with the ioctl binding, is refused before any device is made', async (t) => {
  const lab = await createBridgedPair('tz');
  t.teardown(() => lab.destroy());
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ sendThread: 'yes' }, /sendThread yes is neither true nor false/],
    [{ sendThread: true, binding: 'ioctl' }, /sendThread needs the addon binding/],
  ];
  for (const [extra, message] of cases) {
    const device = uniqueName('tapz');
    const e = await t.throwsAsync(openMiniport({ kind: 'tap', device, netns: lab.a.ns.name, ...extra } as Parameters<typeof openMiniport>[0]), { instanceOf: MiniportError });
    t.is(e!.code, 'BAD_CONFIG');
    t.regex(e!.message, message);
    t.is((await lab.a.ns.ip(['link', 'show', 'dev', device], { allowFail: true })).code, 1);
  }
});
