import test from 'ava';
import fc from 'fast-check';
import { SnMap, dequeue, emptyQueue, enqueue, queueFrom, queueToArray, type PQueue } from '../../src/sscop/index.js';

type Op = { k: 'set'; key: number; v: number } | { k: 'del'; key: number } | { k: 'clear' };
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ k: fc.constant('set' as const), key: fc.integer({ min: 0, max: 300 }), v: fc.integer() }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('del' as const), key: fc.integer({ min: 0, max: 300 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('clear' as const) }) },
);

test('SnMap behaves like a Map and never changes an older version', (t) => {
  fc.assert(
    fc.property(fc.array(fc.array(arbOp, { maxLength: 12 }), { maxLength: 25 }), (batches) => {
      let m = SnMap.empty<number>();
      const model = new Map<number, number>();
      const history: [SnMap<number>, string][] = [];
      for (const ops of batches) {
        history.push([m, JSON.stringify([...m].sort((a, b) => a[0] - b[0]))]);
        const e = m.edit();
        for (const op of ops) {
          if (op.k === 'set') {
            e.set(op.key, op.v);
            model.set(op.key, op.v);
          } else if (op.k === 'del') {
            e.delete(op.key);
            model.delete(op.key);
          } else {
            e.clear();
            model.clear();
          }
          if (e.size !== model.size) return false;
          for (const [k, v] of model) if (e.get(k) !== v) return false;
        }
        m = e.done();
        if (m.size !== model.size) return false;
        if (JSON.stringify([...m].sort((a, b) => a[0] - b[0])) !== JSON.stringify([...model].sort((a, b) => a[0] - b[0]))) return false;
        if ([...m.keys()].length !== model.size) return false;
      }
      // every earlier version still reads as it did
      return history.every(([old, snap]) => JSON.stringify([...old].sort((a, b) => a[0] - b[0])) === snap);
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('an SnMap edit without changes returns the same map', (t) => {
  const m = SnMap.empty<number>().edit();
  m.set(5, 1);
  const a = m.done();
  const e = a.edit();
  e.delete(99);
  t.is(e.done(), a);
});

test('PQueue is FIFO and persistent', (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer().map((v) => ({ push: v })), fc.constant({ pop: true as const })), { maxLength: 200 }), (ops) => {
      let q: PQueue<number> = queueFrom([-1, -2]);
      const model = [-1, -2];
      const history: [PQueue<number>, string][] = [];
      for (const op of ops) {
        history.push([q, JSON.stringify(queueToArray(q))]);
        if ('push' in op) {
          q = enqueue(q, op.push);
          model.push(op.push);
        } else {
          const d = dequeue(q);
          const want = model.shift();
          if (want === undefined ? d !== undefined : d?.[0] !== want) return false;
          if (d) q = d[1];
        }
        if (q.size !== model.length) return false;
      }
      if (JSON.stringify(queueToArray(q)) !== JSON.stringify(model)) return false;
      return history.every(([old, snap]) => JSON.stringify(queueToArray(old)) === snap);
    }),
    { numRuns: 300 },
  );
  t.is(dequeue(emptyQueue()), undefined);
});
