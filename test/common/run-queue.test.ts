import test from 'ava';
import { VirtualTimeScheduler } from 'rxjs';
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

// ---- hold (rule 6) ------------------------------------------------------------

test('hold runs fn at once and returns its value; what it posts runs after it, in order', (t) => {
  const log: string[] = [];
  const q: RunQueue<string> = new RunQueue((item) => log.push(`item ${item}`));
  const v = q.hold(() => {
    q.post('a');
    log.push('fn');
    q.post('b');
    t.true(q.running);
    return 42;
  });
  t.is(v, 42);
  t.deepEqual(log, ['fn', 'item a', 'item b']);
  t.false(q.running);
});

test('hold inside a running item or another hold is part of that work: fn runs nested, its posts queue behind', (t) => {
  const log: string[] = [];
  const q: RunQueue<string> = new RunQueue((item) => {
    log.push(`item ${item}`);
    if (item === 'a') q.hold(() => {
      log.push('held in a');
      q.post('c');
    });
  });
  q.hold(() => {
    q.post('a');
    q.post('b');
    q.hold(() => log.push('inner hold'));
  });
  t.deepEqual(log, ['inner hold', 'item a', 'held in a', 'item b', 'item c']);
});

test('hold whose fn throws: what it posted still runs, then the error reaches the caller', (t) => {
  const ran: string[] = [];
  const q: RunQueue<string> = new RunQueue((item) => ran.push(item));
  t.throws(
    () =>
      q.hold(() => {
        q.post('posted before the throw');
        throw new Error('boom');
      }),
    { message: 'boom' },
  );
  t.deepEqual(ran, ['posted before the throw']);
  t.false(q.running);
});

test('hold after close still runs fn; its posts are ignored', (t) => {
  const ran: string[] = [];
  const q: RunQueue<string> = new RunQueue((item) => ran.push(item));
  q.close();
  t.is(
    q.hold(() => {
      q.post('x');
      return 'fn ran';
    }),
    'fn ran',
  );
  t.deepEqual(ran, []);
});

// ---- on later turns -------------------------------------------------------------

function turns(): { scheduler: VirtualTimeScheduler; actions: () => number } {
  const scheduler = new VirtualTimeScheduler();
  let n = 0;
  const schedule = scheduler.schedule.bind(scheduler);
  scheduler.schedule = ((work: () => void, delay?: number, state?: unknown) => {
    n++;
    return schedule(work as never, delay, state as never);
  }) as typeof scheduler.schedule;
  return { scheduler, actions: () => n };
}

test('later turns: post runs nothing; one scheduler action runs every item queued before it, in order', (t) => {
  const { scheduler, actions } = turns();
  const ran: number[] = [];
  const q = new RunQueue<number>((n) => ran.push(n), { scheduler });
  q.post(1);
  q.post(2);
  q.post(3);
  t.deepEqual(ran, []);
  t.is(q.size, 3);
  t.is(actions(), 1);
  scheduler.flush();
  t.deepEqual(ran, [1, 2, 3]);
  t.is(q.size, 0);
});

test('later turns: an item posted during a turn runs on the next turn, after afterTurn', (t) => {
  const { scheduler, actions } = turns();
  const log: string[] = [];
  const q: RunQueue<string> = new RunQueue(
    (item) => {
      log.push(`${item} running=${q.running}`);
      if (item === 'a') q.post('a1');
      if (item === 'b') t.is(q.size, 1, 'a1 waits for the next turn');
    },
    { scheduler, afterTurn: () => log.push('turn done') },
  );
  q.post('a');
  q.post('b');
  scheduler.flush();
  t.deepEqual(log, ['a running=true', 'b running=true', 'turn done', 'a1 running=true', 'turn done']);
  t.is(actions(), 2);
  t.false(q.running);
});

test('later turns: close() drops what waits, stops a turn after its current item, and skips afterTurn', (t) => {
  const { scheduler } = turns();
  const log: string[] = [];
  const q: RunQueue<string> = new RunQueue(
    (item) => {
      log.push(item);
      if (item === 'a') q.close();
    },
    { scheduler, afterTurn: () => log.push('turn done') },
  );
  q.post('a');
  q.post('b');
  scheduler.flush();
  q.post('c');
  scheduler.flush();
  t.deepEqual(log, ['a']);
});

test('later turns: an item that throws drops the rest of its turn; later posts run on later turns', (t) => {
  const { scheduler } = turns();
  const ran: string[] = [];
  const q = new RunQueue<string>((item) => {
    ran.push(item);
    if (item === 'bad') throw new Error('boom');
  }, { scheduler });
  q.post('bad');
  q.post('same turn');
  t.throws(() => scheduler.flush(), { message: 'boom' });
  t.false(q.running);
  q.post('next');
  scheduler.flush();
  t.deepEqual(ran, ['bad', 'next']);
});

test('later turns: hold is refused (it would run work on this turn)', (t) => {
  const q = new RunQueue<number>(() => undefined, { scheduler: new VirtualTimeScheduler() });
  t.throws(() => q.hold(() => 1), { message: /later turns/ });
});
