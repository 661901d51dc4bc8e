/**
 * A Map for records that usually hold zero or one entry (a VC's parties, a
 * leaf call's one leg and one party): the entry lives in two fields, and a
 * real Map is made only when a second key comes. An empty `new Map()` costs
 * about 185 bytes of heap (its hash table is allocated at once), this about
 * 48; thousands of idle VCs and leaf calls each carry one or two.
 *
 * It behaves as a Map (same-value-zero keys, insertion order, `size`,
 * iteration), with one difference: while it holds a single entry, an
 * iteration under way does not see entries added during it (a Map's does).
 */
const NONE: unique symbol = Symbol('none');

export class SmallMap<K, V> implements Map<K, V> {
  private k: K | typeof NONE = NONE;
  private v: V | undefined = undefined;
  private m: Map<K, V> | undefined = undefined;

  constructor(entries?: Iterable<readonly [K, V]>) {
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }

  get size(): number {
    return this.m ? this.m.size : this.k === NONE ? 0 : 1;
  }

  get(key: K): V | undefined {
    if (this.m) return this.m.get(key);
    return this.k !== NONE && same(this.k, key) ? this.v : undefined;
  }

  has(key: K): boolean {
    if (this.m) return this.m.has(key);
    return this.k !== NONE && same(this.k, key);
  }

  set(key: K, value: V): this {
    if ((key as unknown) === 0) key = 0 as K; // -0 is stored as 0, as a Map does
    if (this.m) this.m.set(key, value);
    else if (this.k === NONE || same(this.k, key)) {
      this.k = key;
      this.v = value;
    } else {
      this.m = new Map<K, V>([
        [this.k, this.v as V],
        [key, value],
      ]);
      this.k = NONE;
      this.v = undefined;
    }
    return this;
  }

  delete(key: K): boolean {
    if (this.m) return this.m.delete(key);
    if (this.k === NONE || !same(this.k, key)) return false;
    this.k = NONE;
    this.v = undefined;
    return true;
  }

  clear(): void {
    this.m = undefined;
    this.k = NONE;
    this.v = undefined;
  }

  forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  entries(): MapIterator<[K, V]> {
    if (this.m) return this.m.entries();
    return (this.k === NONE ? [] : [[this.k, this.v as V] as [K, V]]).values() as MapIterator<[K, V]>;
  }

  keys(): MapIterator<K> {
    if (this.m) return this.m.keys();
    return (this.k === NONE ? [] : [this.k]).values() as MapIterator<K>;
  }

  values(): MapIterator<V> {
    if (this.m) return this.m.values();
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
