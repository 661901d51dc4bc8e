import test from 'ava';
import { mapConcurrent } from '../../src/common/map-concurrent.js';

test('results come in the order of the items, whatever order the calls finish in', async (t) => {
  const out = await mapConcurrent([30, 10, 20, 0], 4, async (ms, i) => {
    await new Promise((r) => setImmediate(r));
    for (let k = 0; k < ms; k++) await Promise.resolve();
    return `${i}:${ms}`;
  });
  t.deepEqual(out, ['0:30', '1:10', '2:20', '3:0']);
});

test('never more than `limit` calls in flight, and all of them run', async (t) => {
  let inFlight = 0;
  let most = 0;
  const seen: number[] = [];
  const out = await mapConcurrent(Array.from({ length: 50 }, (_, i) => i), 8, async (i) => {
    inFlight++;
    most = Math.max(most, inFlight);
    for (let k = 0; k < (i * 7) % 13; k++) await Promise.resolve();
    seen.push(i);
    inFlight--;
    return i * 2;
  });
  t.is(most, 8);
  t.is(seen.length, 50);
  t.deepEqual(out, Array.from({ length: 50 }, (_, i) => i * 2));
});

test('a failure rejects the whole; no items gives no calls', async (t) => {
  await t.throwsAsync(mapConcurrent([1, 2, 3], 2, async (i) => {
    if (i === 2) throw new Error('two failed');
    return i;
  }), { message: 'two failed' });
  t.deepEqual(await mapConcurrent([], 4, async () => t.fail('called')), []);
});
