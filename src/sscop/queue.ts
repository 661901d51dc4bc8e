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
