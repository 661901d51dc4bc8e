/**
 * A small persistent FIFO (banker's queue) so the pure SSCOP machine can hold
 * thousands of queued SDUs without copying them on every step. Operations
 * return new queues and never modify the old one; used linearly (as the
 * machine does) every operation is amortised O(1).
 */
type Cons<T> = { readonly head: T; readonly tail: Cons<T> | undefined };

export interface PQueue<T> {
  readonly front: readonly T[];
  readonly fi: number;
  readonly back: Cons<T> | undefined;
  readonly size: number;
}

export function emptyQueue<T>(): PQueue<T> {
  return { front: [], fi: 0, back: undefined, size: 0 };
}

export function queueFrom<T>(items: readonly T[]): PQueue<T> {
  return { front: items, fi: 0, back: undefined, size: items.length };
}

export function enqueue<T>(q: PQueue<T>, x: T): PQueue<T> {
  return { front: q.front, fi: q.fi, back: { head: x, tail: q.back }, size: q.size + 1 };
}

function normalise<T>(q: PQueue<T>): PQueue<T> {
  if (q.fi < q.front.length || q.back === undefined) return q;
  const arr: T[] = [];
  for (let c: Cons<T> | undefined = q.back; c; c = c.tail) arr.push(c.head);
  arr.reverse();
  return { front: arr, fi: 0, back: undefined, size: q.size };
}

/** [first item, rest] or undefined when empty */
export function dequeue<T>(q: PQueue<T>): [T, PQueue<T>] | undefined {
  if (q.size === 0) return undefined;
  const n = normalise(q);
  return [n.front[n.fi]!, { front: n.front, fi: n.fi + 1, back: n.back, size: n.size - 1 }];
}

export function queueToArray<T>(q: PQueue<T>): T[] {
  const n = normalise(q);
  const out = n.front.slice(n.fi);
  const rest: T[] = [];
  for (let c = n.back; c; c = c.tail) rest.push(c.head);
  return out.concat(rest.reverse());
}

// ------------------------------------------------------------------ SnMap

const CHUNK_BITS = 5;
const CHUNK = 1 << CHUNK_BITS;
const LOW = CHUNK - 1;

/**
 * A persistent map from sequence numbers (small non-negative integers) to
 * values, for the SSCOP transmit and receive buffers. Keys live in chunks of
 * 32 consecutive numbers; a change copies only the chunk index and the chunks
 * it touches, so a window of a few hundred SDs costs a few dozen slot copies
 * per step instead of a whole Map copy. Change it through `edit()`.
 */
export class SnMap<V> implements Iterable<[number, V]> {
  private static readonly EMPTY = new SnMap<never>(new Map(), 0);
  static empty<V>(): SnMap<V> {
    return SnMap.EMPTY as SnMap<V>;
  }
  /** @internal */
  constructor(
    /** @internal */ readonly chunks: ReadonlyMap<number, readonly (V | undefined)[]>,
    readonly size: number,
  ) {}
  get(k: number): V | undefined {
    const c = this.chunks.get(k >>> CHUNK_BITS);
    return c === undefined ? undefined : c[k & LOW];
  }
  has(k: number): boolean {
    return this.get(k) !== undefined;
  }
  *keys(): IterableIterator<number> {
    for (const [hi, c] of this.chunks) for (let i = 0; i < CHUNK; i++) if (c[i] !== undefined) yield (hi << CHUNK_BITS) | i;
  }
  *[Symbol.iterator](): IterableIterator<[number, V]> {
    for (const [hi, c] of this.chunks) for (let i = 0; i < CHUNK; i++) if (c[i] !== undefined) yield [(hi << CHUNK_BITS) | i, c[i]!];
  }
  edit(): SnMapEditor<V> {
    return new SnMapEditor(this);
  }
}

/** A short-lived editor: copies on first write, `done()` gives the new SnMap (or the old one, unchanged). */
export class SnMapEditor<V> {
  private chunks: Map<number, (V | undefined)[]>;
  private copied = false;
  private dirty = false;
  /** chunks this editor copied or made (made on the first write) */
  private owned: Set<number> | undefined = undefined;
  size: number;
  constructor(private readonly base: SnMap<V>) {
    this.chunks = base.chunks as Map<number, (V | undefined)[]>;
    this.size = base.size;
  }
  get(k: number): V | undefined {
    const c = this.chunks.get(k >>> CHUNK_BITS);
    return c === undefined ? undefined : c[k & LOW];
  }
  has(k: number): boolean {
    return this.get(k) !== undefined;
  }
  private writable(): void {
    if (!this.copied) {
      this.chunks = new Map(this.chunks);
      this.copied = true;
    }
    this.dirty = true;
  }
  private chunkFor(hi: number): (V | undefined)[] {
    let c = this.chunks.get(hi);
    const owned = (this.owned ??= new Set());
    if (c === undefined) {
      c = new Array<V | undefined>(CHUNK).fill(undefined);
      this.chunks.set(hi, c);
      owned.add(hi);
    } else if (!owned.has(hi)) {
      c = c.slice();
      this.chunks.set(hi, c);
      owned.add(hi);
    }
    return c;
  }
  set(k: number, v: V): void {
    this.writable();
    const c = this.chunkFor(k >>> CHUNK_BITS);
    if (c[k & LOW] === undefined) this.size++;
    c[k & LOW] = v;
  }
  delete(k: number): void {
    const hi = k >>> CHUNK_BITS;
    const c0 = this.chunks.get(hi);
    if (c0 === undefined || c0[k & LOW] === undefined) return;
    this.writable();
    const c = this.chunkFor(hi);
    c[k & LOW] = undefined;
    this.size--;
    if (c.every((x) => x === undefined)) {
      this.chunks.delete(hi);
      this.owned!.delete(hi);
    }
  }
  clear(): void {
    if (this.size === 0) return;
    this.chunks = new Map();
    this.copied = true;
    this.dirty = true;
    this.owned = undefined;
    this.size = 0;
  }
  done(): SnMap<V> {
    return this.dirty ? new SnMap(this.chunks, this.size) : this.base;
  }
}

// ------------------------------------------------------------------ SnLog

const SN_MASK = 0xffffff;
/** a version that has let go of this many leading slots (and at least as many as it holds) gets an array of its own */
const COMPACT_AFTER = 64;

/**
 * A persistent run of consecutive sequence numbers (modulo 2^24) with a value each:
 * the SSCOP transmit buffer, which holds exactly the SDs VT(A) .. VT(S)-1. New numbers
 * are added at the end, acknowledged ones leave from the front (`dropBefore`).
 *
 * Versions share one array: a version sees only its own slots `[off, off + size)`, an
 * append writes in place only past the end of every version (when the array ends where
 * this version ends), and anything else is done on a copy. So the usual step (send an SD,
 * or acknowledge a few) copies nothing, and an older version never changes. The slots a
 * version has dropped stay in the shared array until a version drops more than
 * `COMPACT_AFTER` (and more than it holds), then it copies what it holds.
 */
export class SnLog<V> implements Iterable<[number, V]> {
  private static readonly EMPTY = new SnLog<never>([], 0, 0, 0);
  static empty<V>(): SnLog<V> {
    return SnLog.EMPTY as SnLog<V>;
  }
  /** @internal */
  constructor(
    /** @internal */ readonly slots: readonly V[],
    /** @internal */ readonly off: number,
    /** the first sequence number (meaningless when empty) */
    readonly first: number,
    readonly size: number,
  ) {}
  get(k: number): V | undefined {
    const i = (k - this.first) & SN_MASK;
    return i < this.size ? this.slots[this.off + i] : undefined;
  }
  has(k: number): boolean {
    return ((k - this.first) & SN_MASK) < this.size;
  }
  *keys(): IterableIterator<number> {
    for (let i = 0; i < this.size; i++) yield (this.first + i) & SN_MASK;
  }
  *[Symbol.iterator](): IterableIterator<[number, V]> {
    for (let i = 0; i < this.size; i++) yield [(this.first + i) & SN_MASK, this.slots[this.off + i]!];
  }
  edit(): SnLogEditor<V> {
    return new SnLogEditor(this);
  }
}

/** A short-lived editor of an SnLog: `done()` gives the new version (or the old one, unchanged). */
export class SnLogEditor<V> {
  private slots: V[];
  private off: number;
  private first: number;
  size: number;
  /** slots is an array this editor made (no version shares it) */
  private owned = false;
  private changed = false;
  constructor(private readonly base: SnLog<V>) {
    this.slots = base.slots as V[];
    this.off = base.off;
    this.first = base.first;
    this.size = base.size;
  }
  get(k: number): V | undefined {
    const i = (k - this.first) & SN_MASK;
    return i < this.size ? this.slots[this.off + i] : undefined;
  }
  has(k: number): boolean {
    return ((k - this.first) & SN_MASK) < this.size;
  }
  private own(): void {
    this.slots = this.slots.slice(this.off, this.off + this.size);
    this.off = 0;
    this.owned = true;
  }
  /**
   * Set the value of `k`, a number in the log or the one after its last (a log holds
   * consecutive numbers: anything else is a RangeError, a bug of the caller).
   */
  set(k: number, v: V): void {
    this.changed = true;
    if (this.size === 0) {
      this.slots = [v];
      this.off = 0;
      this.first = k & SN_MASK;
      this.size = 1;
      this.owned = true;
      return;
    }
    const i = (k - this.first) & SN_MASK;
    if (i < this.size) {
      if (!this.owned) this.own();
      this.slots[this.off + i] = v;
      return;
    }
    if (i !== this.size) throw new RangeError(`SnLog: ${k} does not follow ${(this.first + this.size - 1) & SN_MASK}`);
    // append: in place only where no other version has appended already
    if (!this.owned && this.slots.length !== this.off + this.size) this.own();
    this.slots.push(v);
    this.size++;
  }
  /** drop every number before `k` (k in the log, or the one after its last) */
  dropBefore(k: number): void {
    const n = (k - this.first) & SN_MASK;
    if (n === 0 || this.size === 0) return;
    if (n > this.size) throw new RangeError(`SnLog: ${k} is not in the log`);
    this.changed = true;
    this.off += n;
    this.first = k & SN_MASK;
    this.size -= n;
  }
  clear(): void {
    if (this.size === 0) return;
    this.changed = true;
    this.slots = [];
    this.off = 0;
    this.size = 0;
    this.owned = true;
  }
  done(): SnLog<V> {
    if (!this.changed) return this.base;
    if (this.size === 0) return SnLog.empty();
    if (this.off >= COMPACT_AFTER && this.off >= this.size) this.own();
    return new SnLog(this.slots, this.off, this.first, this.size);
  }
}
