import test from 'ava';
import { DenseMap } from '../../src/common/dense-map.js';

type V = { v: string };
const val = (v: string): V => ({ v });

/** the same operations on a DenseMap and a Map, keys in ascending order; after each, both must agree on everything a Map tells */
function agree(t: import('ava').ExecutionContext, ops: (m: Map<number, V>) => unknown[]): void {
  const dense = new DenseMap<V>();
  const map = new Map<number, V>();
  t.deepEqual(ops(dense), ops(map));
  t.is(dense.size, map.size);
  t.deepEqual([...dense], [...map]);
  t.deepEqual([...dense.keys()], [...map.keys()]);
  t.deepEqual([...dense.values()], [...map.values()]);
  const seen: unknown[] = [];
  dense.forEach((v, k, m) => seen.push([k, v, m === dense]));
  t.deepEqual(
    seen,
    [...map].map(([k, v]) => [k, v, true]),
  );
}

test('dense map: empty, set, replaced, deleted, cleared, as a Map', (t) => {
  const a = val('a');
  const b = val('b');
  agree(t, (m) => [m.get(1), m.has(1), m.delete(1), m.size]);
  agree(t, (m) => [m.set(0, a) === m, m.get(0), m.has(0), m.has(1), m.get(1), m.size]);
  agree(t, (m) => [m.set(3, a), m.set(3, b), m.get(3), m.size].slice(2));
  agree(t, (m) => [m.set(1, a), m.set(2, b), m.delete(5), m.delete(2), m.delete(2), m.get(2), m.has(1), m.size].slice(2));
  agree(t, (m) => [m.set(1, a), m.set(2, b), m.clear(), m.set(7, a), m.size, m.get(1), m.get(7)].slice(4));
});

test('dense map: keys far apart, the last one deleted, and every one deleted, as a Map', (t) => {
  agree(t, (m) => {
    for (const k of [0, 5, 40_000, 32_767]) m.set(k, val(String(k)));
    return [m.size, m.delete(40_000), m.get(32_767)?.v, m.delete(0), m.size];
  });
  agree(t, (m) => {
    for (let k = 0; k < 100; k++) m.set(k, val(String(k)));
    for (let k = 99; k >= 0; k -= 2) m.delete(k);
    return [m.size, m.get(98)?.v, m.has(99)];
  });
  agree(t, (m) => {
    m.set(9, val('x'));
    m.delete(9);
    m.set(2, val('y'));
    return [m.size, m.get(2)?.v];
  });
});

test('dense map: iterates in key order; an entry deleted during iteration is not seen, one added further on is', (t) => {
  const m = new DenseMap<V>();
  for (const k of [4, 1, 3]) m.set(k, val(String(k)));
  t.deepEqual([...m.keys()], [1, 3, 4]);
  const seen: number[] = [];
  for (const [k] of m) {
    seen.push(k);
    if (k === 1) {
      m.delete(3);
      m.set(6, val('6'));
    }
  }
  t.deepEqual(seen, [1, 4, 6]);
});

test('dense map: refuses keys that are not small non-negative integers, and is named as such', (t) => {
  const m = new DenseMap<V>([[2, val('two')]]);
  for (const k of [-1, 1.5, NaN, 2 ** 31]) t.throws(() => m.set(k, val('x')), { instanceOf: RangeError });
  t.is(m.size, 1);
  t.is(Object.prototype.toString.call(m), '[object DenseMap]');
});
