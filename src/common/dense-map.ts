/**
 * A Map whose keys are small non-negative integers handed out mostly in
 * sequence (endpoint references: 0..32767, the root of a call takes the next
 * free one), kept in an array indexed by the key: 8 B an entry where a Map
 * takes about 46 (its hash table, at the load a table of thousands has). A
 * multipoint call with thousands of parties keeps two such tables per link.
 *
 * It behaves as a Map for these keys, with two differences: values may not
 * be undefined (an empty slot is one), and iteration goes in key order, not
 * in insertion order (the same order while keys are handed out in sequence).
 * A key that is not an integer from 0 to 2^31 - 1 is refused (RangeError).
 * Keys far apart cost no more than a Map: the engine then keeps the array
 * as a dictionary.
 */
export class DenseMap<V extends object> implements Map<number, V> {
  /** made with the first entry, dropped with the last */
  private a: (V | undefined)[] | undefined = undefined;
  private n = 0;

  constructor(entries?: Iterable<readonly [number, V]>) {
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }

  get size(): number {
    return this.n;
  }

  get(key: number): V | undefined {
    return this.a?.[key];
  }

  has(key: number): boolean {
    return this.a?.[key] !== undefined;
  }

  set(key: number, value: V): this {
    if (!Number.isInteger(key) || key < 0 || key > 0x7fffffff) throw new RangeError(`DenseMap: key ${key} is not an integer from 0 to 2^31 - 1`);
    const a = (this.a ??= []);
    if (a[key] === undefined) this.n++;
    a[key] = value;
    return this;
  }

  delete(key: number): boolean {
    const a = this.a;
    if (a?.[key] === undefined) return false;
    a[key] = undefined;
    if (--this.n === 0) this.a = undefined;
    else while (a[a.length - 1] === undefined) a.length--; // no empty tail kept
    return true;
  }

  clear(): void {
    this.a = undefined;
    this.n = 0;
  }

  forEach(fn: (value: V, key: number, map: Map<number, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  *entries(): MapIterator<[number, V]> {
    // (the table as it is at each step: entries deleted meanwhile are skipped, entries added further on are seen)
    for (let i = 0; this.a && i < this.a.length; i++) {
      const v = this.a[i];
      if (v !== undefined) yield [i, v];
    }
  }

  // keys() and values() walk the table themselves: through entries() they made a second generator and a pair per entry
  *keys(): MapIterator<number> {
    for (let i = 0; this.a && i < this.a.length; i++) if (this.a[i] !== undefined) yield i;
  }

  *values(): MapIterator<V> {
    for (let i = 0; this.a && i < this.a.length; i++) {
      const v = this.a[i];
      if (v !== undefined) yield v;
    }
  }

  [Symbol.iterator](): MapIterator<[number, V]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'DenseMap';
  }
}
