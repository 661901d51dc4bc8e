import test from 'ava';
import { SmallMap } from '../../src/common/small-map.js';

/** the same operations on a SmallMap and a Map; after each, both must agree on everything a Map tells */
function agree(t: import('ava').ExecutionContext, ops: (m: Map<unknown, unknown>) => unknown[]): void {
  const small = new SmallMap<unknown, unknown>();
  const map = new Map<unknown, unknown>();
  t.deepEqual(ops(small), ops(map));
  t.is(small.size, map.size);
  t.deepEqual([...small], [...map]);
  t.deepEqual([...small.keys()], [...map.keys()]);
  t.deepEqual([...small.values()], [...map.values()]);
  t.deepEqual([...small.entries()], [...map.entries()]);
  const seen: unknown[] = [];
  small.forEach((v, k, m) => seen.push([k, v, m === small]));
  t.deepEqual(
    seen,
    [...map].map(([k, v]) => [k, v, true]),
  );
}

test('small map: empty, one entry, replaced, deleted, as a Map', (t) => {
  agree(t, (m) => [m.get(1), m.has(1), m.delete(1), m.size]);
  agree(t, (m) => [m.set(1, 'a') === m, m.get(1), m.has(1), m.has(2), m.get(2), m.size]);
  agree(t, (m) => [m.set(1, 'a'), m.set(1, 'b'), m.get(1), m.size].slice(2));
  agree(t, (m) => [m.set(1, 'a'), m.delete(2), m.delete(1), m.delete(1), m.get(1), m.size].slice(1));
});

test('small map: a second key makes it a Map: insertion order, replace, delete, clear, as a Map', (t) => {
  agree(t, (m) => {
    m.set('x', 1).set('y', 2).set('z', 3).set('x', 4);
    return [m.get('x'), m.get('y'), m.size, m.delete('y'), m.has('y'), m.size];
  });
  agree(t, (m) => {
    m.set('x', 1).set('y', 2);
    m.clear();
    m.set('z', 3);
    return [m.size, m.get('x'), m.get('z')];
  });
  agree(t, (m) => {
    m.set('x', 1).set('y', 2);
    m.delete('x');
    m.delete('y');
    m.set('w', 0);
    return [m.size, m.get('w')];
  });
});

test('small map: keys compare as a Map compares them (same-value-zero: NaN is NaN, 0 is -0, objects by identity)', (t) => {
  const o = {};
  agree(t, (m) => [m.set(NaN, 'n').get(NaN), m.has(NaN)]);
  agree(t, (m) => [m.set(0, 'zero').get(-0), m.has(-0)]);
  agree(t, (m) => [m.set(-0, 'zero').get(0), Object.is([...m.keys()][0], 0)]);
  agree(t, (m) => [m.set(o, 1).get(o), m.get({}), m.set(undefined, 2).get(undefined), m.size]);
  agree(t, (m) => [m.set(undefined, 'u').has(undefined), m.get(undefined), m.size, m.delete(undefined), m.size]);
});

test('small map: built from entries, and named as such', (t) => {
  const m = new SmallMap([
    ['a', 1],
    ['b', 2],
  ]);
  t.deepEqual([...m], [
    ['a', 1],
    ['b', 2],
  ]);
  t.is(Object.prototype.toString.call(m), '[object SmallMap]');
});
