/**
 * Run to completion: one queue of work for a component whose handlers may
 * call back into it (a link that loops a PDU straight back, a subscriber that
 * answers an indication at once).
 *
 * The ordering rule:
 *
 * 1. Items run one at a time, never nested: an item posted while another runs
 *    does not start until that one has returned.
 * 2. Items run in the order they were posted (first in, first out), whoever
 *    posted them: the outside world, or a running item and the code it calls.
 * 3. The outermost `post` drains: it returns only when the queue is empty, so
 *    when a caller's `post` returns, its item and everything it caused that
 *    went through this queue has run.
 * 4. After `close()`, posts are ignored and a drain in progress stops after
 *    the current item; what was still queued is dropped.
 * 5. If an item throws, the items behind it are dropped, the queue is ready
 *    for the next post, and the exception goes to the outermost caller.
 *
 * Nothing is scheduled: the queue adds no clock and no asynchrony.
 */
export class RunQueue<T> {
  private readonly items: T[] = [];
  private head = 0;
  private draining = false;
  private closed = false;

  constructor(private readonly run: (item: T) => void) {}

  /** true while an item runs (a drain is in progress) */
  get running(): boolean {
    return this.draining;
  }

  /** queue `item`; when nothing runs, run it and everything queued behind it before returning */
  post(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    if (this.draining) return;
    this.draining = true;
    try {
      const items = this.items;
      while (this.head < items.length && !this.closed) {
        const next = items[this.head]!;
        items[this.head++] = undefined as T;
        this.run(next);
      }
    } finally {
      this.items.length = 0;
      this.head = 0;
      this.draining = false;
    }
  }

  /** ignore every later post; a drain in progress stops after the current item */
  close(): void {
    this.closed = true;
  }
}
