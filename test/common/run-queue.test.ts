import test from 'ava';
import { RunQueue } from '../../src/common/run-queue.js';

test('items run one at a time, in the order posted, also when a running item posts more', (t) => {
  const log: string[] = [];
  let depth = 0;
  const q: RunQueue<string> = new RunQueue((item) => {
    depth++;
    t.is(depth, 1, `${item} ran nested`);
    log.push(`start ${item}`);
    if (item === 'a') {
      q.post('a1');
      q.post('a2');
    }
    if (item === 'a1') q.post('a1x');
    log.push(`end ${item}`);
    depth--;
  });
  q.post('a');
  t.deepEqual(log, ['start a', 'end a', 'start a1', 'end a1', 'start a2', 'end a2', 'start a1x', 'end a1x']);
  t.false(q.running);
});

test('the outermost post returns only when everything it caused has run', (t) => {
  const ran: number[] = [];
  const q: RunQueue<number> = new RunQueue((n) => {
    ran.push(n);
    if (n < 5) q.post(n + 1);
  });
  q.post(1);
  t.deepEqual(ran, [1, 2, 3, 4, 5]);
});

test('running is true only inside an item', (t) => {
  const seen: boolean[] = [];
  const q: RunQueue<number> = new RunQueue(() => seen.push(q.running));
  t.false(q.running);
  q.post(1);
  t.deepEqual(seen, [true]);
  t.false(q.running);
});

test('after close(), posts are ignored and a drain stops after the current item', (t) => {
  const ran: string[] = [];
  const q: RunQueue<string> = new RunQueue((item) => {
    ran.push(item);
    if (item === 'first') {
      q.post('queued');
      q.close();
    }
  });
  q.post('first');
  q.post('later');
  t.deepEqual(ran, ['first']);
});

test('an item that throws drops the items behind it, the caller gets the error, the queue works again', (t) => {
  const ran: string[] = [];
  const q: RunQueue<string> = new RunQueue((item) => {
    ran.push(item);
    if (item === 'bad') {
      q.post('behind');
      throw new Error('boom');
    }
  });
  t.throws(() => q.post('bad'), { message: 'boom' });
  t.false(q.running);
  q.post('next');
  t.deepEqual(ran, ['bad', 'next']);
});
