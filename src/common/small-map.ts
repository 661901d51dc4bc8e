/**
 * A Map for records that usually hold zero or one entry (a VC's parties, a
 * leaf call's one leg and one party): the entry lives in two fields, and a
 * real Map is made only when a second key comes. An empty `new Map()` costs
 * about 185 bytes of heap (its hash table is allocated at once), this about
 * 40; thousands of idle VCs and leaf calls each carry one or two.
 *
 * It behaves as a Map (same-value-zero keys, insertion order, `size`,
 * iteration), with one difference: while it holds a single entry, an
 * iteration under way does not see entries added during it (a Map's does).
 */
const NONE: unique symbol = Symbol('none');
/** (in `k`: the entries are in the Map in `v`) */
const MANY: unique symbol = Symbol('many');

export class SmallMap<K, V> implements Map<K, V> {
  /** the one key, NONE when empty, MANY when `v` is the Map of two or more entries (two fields, not three: 8 B less a map) */
  private k: K | typeof NONE | typeof MANY = NONE;
  private v: V | Map<K, V> | undefined = undefined;

  constructor(entries?: Iterable<readonly [K, V]>) {
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }

  private get m(): Map<K, V> | undefined {
    return this.k === MANY ? (this.v as Map<K, V>) : undefined;
  }

  get size(): number {
    const m = this.m;
    return m ? m.size : this.k === NONE ? 0 : 1;
  }

  get(key: K): V | undefined {
    const m = this.m;
    if (m) return m.get(key);
    return this.k !== NONE && same(this.k, key) ? (this.v as V) : undefined;
  }

  has(key: K): boolean {
    const m = this.m;
    if (m) return m.has(key);
    return this.k !== NONE && same(this.k, key);
  }

  set(key: K, value: V): this {
    if ((key as unknown) === 0) key = 0 as K; // -0 is stored as 0, as a Map does
    const m = this.m;
    if (m) m.set(key, value);
    else if (this.k === NONE || same(this.k, key)) {
      this.k = key;
      this.v = value;
    } else {
      this.v = new Map<K, V>([
        [this.k as K, this.v as V],
        [key, value],
      ]);
      this.k = MANY;
    }
    return this;
  }

  delete(key: K): boolean {
    const m = this.m;
    if (m) return m.delete(key);
    if (this.k === NONE || !same(this.k, key)) return false;
    this.k = NONE;
    this.v = undefined;
    return true;
  }

  clear(): void {
    this.k = NONE;
    this.v = undefined;
  }

  forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  entries(): MapIterator<[K, V]> {
    const m = this.m;
    if (m) return m.entries();
    return (this.k === NONE ? [] : [[this.k as K, this.v as V] as [K, V]]).values() as MapIterator<[K, V]>;
  }

  keys(): MapIterator<K> {
    const m = this.m;
    if (m) return m.keys();
    return (this.k === NONE ? [] : [this.k as K]).values() as MapIterator<K>;
  }

  values(): MapIterator<V> {
    const m = this.m;
    if (m) return m.values();
    return (this.k === NONE ? [] : [this.v as V]).values() as MapIterator<V>;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'SmallMap';
  }
}

/** SameValueZero, the key equality of Map */
function same(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}
