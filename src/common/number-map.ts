/**
 * A Map with number keys for the tables a call cycle adds to and deletes from
 * (VCs, calls, parties, paths by handle or reference), kept in plain arrays.
 *
 * Why not a Map: V8 keeps a Map's entries in a hash table that it replaces
 * with a new one when the table fills up with deleted entries or shrinks, and
 * the old table keeps a pointer to its successor (for iterators still walking
 * it). Once a major collection has moved a long-lived Map's table to the old
 * generation, every table after it is reachable from its dead predecessor
 * until the next major collection, so each one, with every entry it held,
 * survives the scavenges and is promoted: a chain that restarts after every
 * major collection. A table that adds and deletes an entry per call cycle
 * made a call cycle's records (and what they point to) outlive their cycle
 * this way; docs/architecture.md ("Garbage") gives the measurements.
 *
 * Here nothing points from an old array to its successor: the entries are
 * compacted in place when deleted ones fill the arrays, and when the arrays
 * must grow, the old ones are emptied before they are dropped.
 *
 * It behaves as a Map for number keys (same-value-zero: -0 is 0), including
 * iteration in insertion order while entries are added and deleted, with one
 * difference: NaN is refused as a key (RangeError).
 */

/** the first capacity, and the most the arrays keep while the map is empty */
const INITIAL = 8;
const KEEP_EMPTY = 64;
/** an entry slot whose entry was deleted */
const GONE: unique symbol = Symbol('gone');

/** where a key's search in the index starts (integers as they are, other numbers mixed down to 32 bits; then spread) */
function hashOf(k: number): number {
  const h = (k | 0) === k ? k : ((k * 0x9e3779b1) | 0) ^ ((k / 4294967296) | 0);
  const x = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return x ^ (x >>> 16);
}

/** `n` zeros; a loop, not Array#fill, whose call into C++ costs more than the stores at these sizes (and a map is made per call) */
function zeros(n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = 0;
  return a;
}

export class NumberMap<V> implements Map<number, V> {
  /** entries in insertion order, from 0 to `end`; a deleted one's value is GONE */
  private keyAt: number[] = [];
  private valueAt: (V | typeof GONE)[] = [];
  /** each entry's insertion number: iterators find their place again by it after a compaction */
  private seqAt: number[] = [];
  /**
   * Open addressing over the entry positions, twice the capacity (so at most half full): a slot is 0
   * when free, -1 when its entry was deleted (a search goes on past it), else the entry's position + 1.
   */
  private index: number[] = zeros(2 * INITIAL);
  private capacity = INITIAL;
  private end = 0;
  private n = 0;
  private nextSeq = 0;
  /** changes whenever entries move (compaction, clear): an iterator then finds its place by `seqAt` */
  private layout = 0;

  constructor(entries?: Iterable<readonly [number, V]>) {
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }

  get size(): number {
    return this.n;
  }

  /** the entry position of `k`, or -1 */
  private find(k: number): number {
    const index = this.index;
    const mask = index.length - 1;
    for (let i = hashOf(k) & mask; ; i = (i + 1) & mask) {
      const slot = index[i]!;
      if (slot === 0) return -1;
      if (slot > 0 && this.keyAt[slot - 1] === k) return slot - 1;
    }
  }

  get(key: number): V | undefined {
    const at = this.find(key === 0 ? 0 : key);
    return at < 0 ? undefined : (this.valueAt[at] as V);
  }

  has(key: number): boolean {
    return this.find(key === 0 ? 0 : key) >= 0;
  }

  set(key: number, value: V): this {
    if (key !== key) throw new RangeError('NumberMap: NaN is not a key');
    const k = key === 0 ? 0 : key; // -0 is 0
    const at = this.find(k);
    if (at >= 0) {
      this.valueAt[at] = value;
      return this;
    }
    if (this.end === this.capacity) this.makeRoom();
    const pos = this.end++;
    this.keyAt[pos] = k;
    this.valueAt[pos] = value;
    this.seqAt[pos] = this.nextSeq++;
    this.place(k, pos);
    this.n++;
    return this;
  }

  private place(k: number, pos: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let i = hashOf(k) & mask;
    while (index[i]! > 0) i = (i + 1) & mask;
    index[i] = pos + 1;
  }

  delete(key: number): boolean {
    const k = key === 0 ? 0 : key;
    const index = this.index;
    const mask = index.length - 1;
    for (let i = hashOf(k) & mask; ; i = (i + 1) & mask) {
      const slot = index[i]!;
      if (slot === 0) return false;
      if (slot > 0 && this.keyAt[slot - 1] === k) {
        index[i] = -1;
        this.valueAt[slot - 1] = GONE;
        if (--this.n === 0) this.empty();
        return true;
      }
    }
  }

  clear(): void {
    if (this.end > 0) this.empty();
  }

  /** no entries left (or all dropped): start again at position 0, in the same arrays unless they grew large */
  private empty(): void {
    this.n = 0;
    this.layout++;
    if (this.capacity > KEEP_EMPTY) {
      this.end = 0; // (nothing for resize to move over)
      this.resize(INITIAL);
      return;
    }
    // loops, not Array#fill (as zeros()): at most KEEP_EMPTY and 2 * KEEP_EMPTY slots here, and a
    // table that goes from one entry to none does this once per call
    const valueAt = this.valueAt;
    for (let i = 0; i < this.end; i++) valueAt[i] = GONE;
    this.end = 0;
    this.clearIndex();
  }

  /** the arrays are full: compact them in place when deleted entries take a quarter or more, else grow */
  private makeRoom(): void {
    if (this.end - this.n >= this.capacity / 4) this.compact();
    else this.resize(this.capacity * 2);
  }

  private compact(): void {
    const { keyAt, valueAt, seqAt } = this;
    let to = 0;
    for (let from = 0; from < this.end; from++) {
      const v = valueAt[from]!;
      if (v === GONE) continue;
      keyAt[to] = keyAt[from]!;
      valueAt[to] = v;
      seqAt[to] = seqAt[from]!;
      to++;
    }
    valueAt.fill(GONE, to, this.end);
    this.end = to;
    this.layout++;
    this.reindex();
  }

  /** new arrays of `capacity`, the live entries moved over in order; the old ones are emptied first */
  private resize(capacity: number): void {
    const { keyAt, valueAt, seqAt, end } = this;
    this.keyAt = [];
    this.valueAt = [];
    this.seqAt = [];
    this.capacity = capacity;
    this.index = new Array<number>(2 * capacity); // (reindex, below, zeroes it before placing)
    let to = 0;
    for (let from = 0; from < end; from++) {
      const v = valueAt[from]!;
      if (v === GONE) continue;
      this.keyAt[to] = keyAt[from]!;
      this.valueAt[to] = v;
      this.seqAt[to] = seqAt[from]!;
      to++;
    }
    // (an emptied old array holds nothing young for the scavenger to keep alive, should it be old)
    keyAt.length = 0;
    valueAt.length = 0;
    seqAt.length = 0;
    this.end = to;
    this.layout++;
    this.reindex();
  }

  private reindex(): void {
    this.clearIndex();
    for (let pos = 0; pos < this.end; pos++) this.place(this.keyAt[pos]!, pos);
  }

  /** every index slot free (a loop, as zeros()) */
  private clearIndex(): void {
    const index = this.index;
    for (let i = 0; i < index.length; i++) index[i] = 0;
  }

  /** the first position at or after `pos` (in layout `layout`, after the entry numbered `lastSeq`) with a live entry, or -1 */
  private walk(state: { pos: number; layout: number; lastSeq: number }): number {
    if (state.layout !== this.layout) {
      // entries moved: go on after the last one seen, by insertion number (positions keep that order)
      state.layout = this.layout;
      let lo = 0;
      let hi = this.end;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.seqAt[mid]! <= state.lastSeq) lo = mid + 1;
        else hi = mid;
      }
      state.pos = lo;
    }
    while (state.pos < this.end) {
      const at = state.pos++;
      if (this.valueAt[at] !== GONE) {
        state.lastSeq = this.seqAt[at]!;
        return at;
      }
    }
    return -1;
  }

  private cursor(): { pos: number; layout: number; lastSeq: number } {
    return { pos: 0, layout: this.layout, lastSeq: -1 };
  }

  forEach(fn: (value: V, key: number, map: Map<number, V>) => void, thisArg?: unknown): void {
    const c = this.cursor();
    for (let at = this.walk(c); at >= 0; at = this.walk(c)) fn.call(thisArg, this.valueAt[at] as V, this.keyAt[at]!, this);
  }

  *entries(): MapIterator<[number, V]> {
    const c = this.cursor();
    for (let at = this.walk(c); at >= 0; at = this.walk(c)) yield [this.keyAt[at]!, this.valueAt[at] as V];
  }

  *keys(): MapIterator<number> {
    const c = this.cursor();
    for (let at = this.walk(c); at >= 0; at = this.walk(c)) yield this.keyAt[at]!;
  }

  *values(): MapIterator<V> {
    const c = this.cursor();
    for (let at = this.walk(c); at >= 0; at = this.walk(c)) yield this.valueAt[at] as V;
  }

  [Symbol.iterator](): MapIterator<[number, V]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'NumberMap';
  }
}
