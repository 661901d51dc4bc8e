import test from 'ava';
import fc from 'fast-check';
import { SnLog, SnMap, dequeue, emptyQueue, enqueue, queueFrom, queueToArray, type PQueue } from '../../src/sscop/index.js';

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

type LogOp = { k: 'append'; v: number } | { k: 'update'; at: number; v: number } | { k: 'drop'; n: number } | { k: 'clear' };
const arbLogOp: fc.Arbitrary<LogOp> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('append' as const), v: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('update' as const), at: fc.nat(), v: fc.integer() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('drop' as const), n: fc.nat({ max: 80 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('clear' as const) }) },
);

test('SnLog holds consecutive numbers across the 2^24 wrap, and no edit (also of an older version) changes another version', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffff }),
      fc.array(fc.record({ from: fc.nat(), ops: fc.array(arbLogOp, { maxLength: 40 }) }), { maxLength: 30 }),
      (start, batches) => {
        // every version with its model: the first number and the values
        const versions: { log: SnLog<number>; first: number; values: number[] }[] = [{ log: SnLog.empty<number>(), first: start, values: [] }];
        const reads = (log: SnLog<number>, first: number, values: number[]): boolean => {
          if (log.size !== values.length) return false;
          if (JSON.stringify([...log]) !== JSON.stringify(values.map((v, i) => [(first + i) & 0xffffff, v]))) return false;
          if (log.has((first + values.length) & 0xffffff) || log.has((first - 1) & 0xffffff)) return false;
          return values.every((v, i) => log.get((first + i) & 0xffffff) === v);
        };
        for (const { from, ops } of batches) {
          // edit any earlier version, not only the newest: a step may be taken twice from one state
          const base = versions[from % versions.length]!;
          let first = base.first;
          const values = base.values.slice();
          const e = base.log.edit();
          for (const op of ops) {
            if (op.k === 'append') {
              e.set((first + values.length) & 0xffffff, op.v);
              values.push(op.v);
            } else if (op.k === 'update') {
              if (!values.length) continue;
              const i = op.at % values.length;
              e.set((first + i) & 0xffffff, op.v);
              values[i] = op.v;
            } else if (op.k === 'drop') {
              const n = Math.min(op.n, values.length);
              e.dropBefore((first + n) & 0xffffff);
              values.splice(0, n);
              first = (first + n) & 0xffffff;
            } else {
              e.clear();
              values.length = 0;
            }
            if (e.size !== values.length) return false;
            if (!values.every((v, i) => e.get((first + i) & 0xffffff) === v)) return false;
          }
          const log = e.done();
          if (!reads(log, first, values)) return false;
          versions.push({ log, first, values });
          if (!versions.every((x) => reads(x.log, x.first, x.values))) return false;
        }
        return true;
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test('SnLog refuses a number that does not follow its last, and an edit without changes returns the same log', (t) => {
  const e = SnLog.empty<string>().edit();
  e.set(0xfffffe, 'a');
  e.set(0xffffff, 'b');
  e.set(0, 'c');
  t.throws(() => e.set(2, 'x'), { instanceOf: RangeError });
  t.throws(() => e.dropBefore(5), { instanceOf: RangeError });
  const log = e.done();
  t.deepEqual([...log.keys()], [0xfffffe, 0xffffff, 0]);
  t.is(log.edit().done(), log);
  const d = log.edit();
  d.dropBefore(0xfffffe);
  t.is(d.done(), log);
});

test('PQueue: pushing to or taking from any older version (a step taken twice from one state) changes no other version', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ from: fc.nat(), pushes: fc.array(fc.integer(), { maxLength: 90 }), pops: fc.nat({ max: 90 }) }), { maxLength: 40 }),
      (batches) => {
        const versions: { q: PQueue<number>; model: number[] }[] = [{ q: queueFrom([1, 2, 3]), model: [1, 2, 3] }];
        for (const { from, pushes, pops } of batches) {
          const base = versions[from % versions.length]!;
          let q = base.q;
          const model = base.model.slice();
          for (const x of pushes) {
            q = enqueue(q, x);
            model.push(x);
            versions.push({ q, model: model.slice() });
          }
          for (let i = 0; i < pops; i++) {
            const d = dequeue(q);
            const want = model.shift();
            if (want === undefined ? d !== undefined : d?.[0] !== want) return false;
            if (d) q = d[1];
            versions.push({ q, model: model.slice() });
          }
          if (!versions.every((v) => v.q.size === v.model.length && JSON.stringify(queueToArray(v.q)) === JSON.stringify(v.model))) return false;
        }
        return true;
      },
    ),
    { numRuns: 200 },
  );
  const given = [7, 8];
  enqueue(queueFrom(given), 9);
  t.deepEqual(given, [7, 8], 'queueFrom does not share the array it is given');
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
