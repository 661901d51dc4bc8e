import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { NumberMap } from '../../src/common/number-map.js';
import { seededRandom } from '../../src/common/random.js';
import { tsxImportArgs } from '../../src/common/package-root.js';

type V = { v: number };

/** everything a Map tells about its entries */
function view(m: Map<number, V>): unknown {
  const each: unknown[] = [];
  m.forEach((v, k, self) => each.push([k, v, self === m]));
  return { size: m.size, entries: [...m], keys: [...m.keys()], values: [...m.values()], each };
}

const KEYS = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 64, 255, 1024, 65_535, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 3, -1, -7, 0.5, 1.25, -2.75, 1e300];

test('number map: a long random run of sets, deletes, clears and lookups agrees with a Map after every step', (t) => {
  let grewPast64 = false;
  // (seeds 3 and 4 clear seldom: the map grows past what an empty one keeps before a clear drops it all)
  for (const seed of [1, 2, 3, 4]) {
    const clearChance = seed <= 2 ? 0.01 : 0.0005;
    const rnd = seededRandom(seed);
    const pick = (): number => KEYS[Math.floor(rnd() * KEYS.length)]!;
    const ours = new NumberMap<V>();
    const map = new Map<number, V>();
    for (let step = 0; step < 3000; step++) {
      const r = rnd();
      const k = r < 0.5 && step % 3 === 0 ? 1000 + step : pick(); // new keys now and then: growth
      let got: unknown[];
      if (r < 0.55) {
        const v = { v: step };
        got = [ours.set(k, v) === ours, map.set(k, v) === map];
      } else if (r < 0.95) got = [ours.delete(k), map.delete(k)];
      else if (r < 0.95 + clearChance) got = [ours.clear(), map.clear()];
      else got = [ours.get(k), map.get(k), ours.has(k), map.has(k)];
      if (got.length === 2) t.is(got[0], got[1], `seed ${seed} step ${step}`);
      else t.deepEqual([got[0], got[2]], [got[1], got[3]], `seed ${seed} step ${step}`);
      for (const x of KEYS) if (ours.get(x) !== map.get(x) || ours.has(x) !== map.has(x)) t.fail(`seed ${seed} step ${step}: key ${x}`);
      if (step % 50 === 0) t.deepEqual(view(ours), view(map));
      if (map.size > 64) grewPast64 = true;
    }
    t.deepEqual(view(ours), view(map));
  }
  t.true(grewPast64, 'some run grew the map past 64 entries');
});

test('number map: an iteration sees what a Map iteration sees while entries are added, deleted and cleared under it', (t) => {
  for (const seed of [11, 12, 13, 14, 15, 16]) {
    const rnd = seededRandom(seed);
    const ours = new NumberMap<V>();
    const map = new Map<number, V>();
    let next = 0;
    for (let i = 0; i < 40; i++) {
      const v = { v: next };
      ours.set(next, v);
      map.set(next++, v);
    }
    const walk = (m: Map<number, V>, script: () => number[]): unknown[] => {
      const seen: unknown[] = [];
      for (const [k] of m) {
        seen.push(k);
        for (const op of script()) {
          if (op === -1) m.clear();
          else if (op >= 0) m.set(op, { v: op });
          else m.delete(-op - 2);
        }
        if (seen.length > 500) break;
      }
      return seen;
    };
    // one script for both walks: at each step, add a few (enough to compact and grow), delete some
    // behind and ahead (and the current one), and once in a while clear
    const scripts: number[][] = [];
    for (let s = 0; s < 520; s++) {
      const ops: number[] = [];
      const r = rnd();
      if (r < 0.02) ops.push(-1);
      const adds = Math.floor(rnd() * 3);
      for (let a = 0; a < adds; a++) ops.push(next++);
      const dels = Math.floor(rnd() * 4);
      for (let d = 0; d < dels; d++) ops.push(-Math.floor(rnd() * next) - 2);
      scripts.push(ops);
    }
    let i = 0;
    const a = walk(ours, () => scripts[i++] ?? []);
    i = 0;
    const b = walk(map, () => scripts[i++] ?? []);
    t.deepEqual(a, b, `seed ${seed}`);
    t.deepEqual(view(ours), view(map), `seed ${seed}`);
  }
});

test('number map: -0 is the key 0, NaN is refused', (t) => {
  const m = new NumberMap<V>();
  m.set(-0, { v: 1 });
  t.true(Object.is([...m.keys()][0], 0));
  t.is(m.get(0)?.v, 1);
  t.true(m.delete(-0));
  t.throws(() => m.set(NaN, { v: 2 }), { instanceOf: RangeError, message: /NaN/ });
  t.is(m.size, 0);
  t.is(Object.prototype.toString.call(m), '[object NumberMap]');
});

const gc = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

test('number map: a value it no longer holds (deleted, cleared, moved by a compaction or growth) is not kept alive by it', async (t) => {
  const m = new NumberMap<object>();
  const refs: WeakRef<object>[] = [];
  const fill = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      const v = { k };
      refs[k] = new WeakRef(v);
      m.set(k, v);
    }
  };
  fill(0, 6);
  m.delete(1);
  m.delete(3);
  fill(6, 30); // compaction, then growth
  for (let k = 6; k < 30; k += 2) m.delete(k);
  fill(30, 300); // growth to well past the size an empty map keeps
  for (let k = 30; k < 300; k++) m.delete(k);
  m.clear();
  fill(300, 305); // the map lives on, small again: a delete in the middle, then a clear and two more
  m.delete(302);
  const small = new NumberMap<object>();
  const smallRefs: WeakRef<object>[] = [];
  // (in a function of its own, as `fill`: a suspended async function may keep its last values in its frame)
  ((): void => {
    for (let k = 0; k < 3; k++) {
      const v = { k };
      smallRefs[k] = new WeakRef(v);
      small.set(k, v);
    }
  })();
  small.clear();
  small.set(9, { k: 9 });
  await new Promise((r) => setImmediate(r)); // (a WeakRef's target is kept until the job that made it ends)
  gc();
  const alive = refs.flatMap((r, k) => (r.deref() ? [k] : []));
  t.deepEqual(alive, [300, 301, 303, 304]);
  t.is(m.size, 4);
  t.deepEqual(
    smallRefs.map((r) => r.deref()),
    [undefined, undefined, undefined],
  );
  t.is(small.size, 1);
});

/**
 * The reason the class exists: after a major collection, a long-lived table that adds and deletes
 * an entry per step must not make the scavenger promote what it held (a Map does: its old hash
 * table points to the next one). Run in a child with V8's GC trace; promoted bytes summed over
 * the scavenges after a forced major collection.
 */
function promotedAfterMajorGc(kind: 'NumberMap' | 'Map'): number {
  const here = fileURLToPath(new URL('../../src/common/number-map.ts', import.meta.url));
  const script = `
    const { NumberMap } = await import(${JSON.stringify(here)});
    const m = ${kind === 'Map' ? 'new Map()' : 'new NumberMap()'};
    const live = [];
    let sink;
    const run = (n, base) => {
      for (let i = base; i < base + n; i++) {
        m.set(i, { payload: new Array(20).fill(i) });
        live.push(i);
        if (live.length > 3) for (const k of live.splice(0, 3)) m.delete(k);
        sink = new Array(50);
      }
    };
    run(200000, 0);
    globalThis.gc();
    console.log('MAJOR-GC-DONE');
    run(600000, 200000);`;
  const r = spawnSync(process.execPath, [...tsxImportArgs(), '--expose-gc', '--trace-gc-nvp', '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  const after = r.stdout.split('MAJOR-GC-DONE')[1];
  if (after === undefined) throw new Error(`child did not get to its major GC: ${r.stdout.slice(0, 500)}`);
  const scavenges = after.split('\n').filter((l) => / gc=s /.test(l));
  if (scavenges.length < 4) throw new Error(`only ${scavenges.length} scavenges after the major GC`);
  return scavenges.reduce((sum, l) => sum + Number(/ promoted=(\d+)/.exec(l)?.[1] ?? 0), 0);
}

test('number map: churning it after a major collection promotes (next to) nothing, where a Map promotes what it held', (t) => {
  const ours = promotedAfterMajorGc('NumberMap');
  const map = promotedAfterMajorGc('Map');
  t.log(`promoted after a major GC: NumberMap ${ours} B, Map ${map} B`);
  t.true(ours < 64 * 1024, `NumberMap: ${ours} B promoted`);
});
