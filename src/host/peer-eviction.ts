/**
 * Which learned peer to forget when the peer table is full (PeerTable's
 * limits.peers). A peer may be forgotten while it has never become one: no
 * link up, no addresses, no calls (typically a forged source MAC). The
 * stalest goes first.
 *
 * Finding it must not cost a walk of the whole table per frame: under a
 * flood of frames from forged sources every frame asks, and a table may hold
 * up to 4,096 peers. So:
 * - a peer learned from a frame (a candidate from birth, and the newest) joins
 *   the back of a queue, which therefore stays stalest first;
 * - a candidate is taken from the front, after checking it still qualifies;
 * - a peer that becomes a candidate later (its link fell, its addresses
 *   expired, its calls ended) is found by a walk of the table, which runs
 *   only when the queue is empty and at most once per `rescanMs`.
 * Between walks a full table with no candidate refuses newcomers at the cost
 * of one look at an empty queue; a refused real peer is heard again when it
 * retries (SSCOP's BGN, its next announcement).
 */
import type { PeerState } from './node-types.js';

export const PEER_RESCAN_MS = 100;

export interface PeerEvictionDeps {
  /** the table's peers as they stand */
  peers(): Iterable<PeerState>;
  /** whether `p` is still in the table (a queued peer may have gone another way) */
  holds(p: PeerState): boolean;
  /** whether `p` may be forgotten now (learned, never linked, no addresses, no calls) */
  mayForget(p: PeerState): boolean;
  /** the scheduler's clock, ms */
  now(): number;
  rescanMs?: number;
}

export class PeerEviction {
  /** candidates, stalest first; each is checked again when taken */
  private readonly queue = new Set<PeerState>();
  private nextWalkAt = -Infinity;

  constructor(private readonly d: PeerEvictionDeps) {}

  /** a peer just learned from a frame: the newest candidate */
  learned(p: PeerState): void {
    this.queue.add(p);
  }

  /** the peer to forget to make room, taken off the queue; undefined when there is none (or a walk is not due) */
  take(): PeerState | undefined {
    for (;;) {
      for (const p of this.queue) {
        this.queue.delete(p);
        if (this.d.holds(p) && this.d.mayForget(p)) return p;
      }
      const now = this.d.now();
      if (now < this.nextWalkAt) return undefined;
      this.nextWalkAt = now + (this.d.rescanMs ?? PEER_RESCAN_MS);
      const found: PeerState[] = [];
      for (const p of this.d.peers()) if (this.d.mayForget(p)) found.push(p);
      if (found.length === 0) return undefined;
      found.sort((a, b) => (a.lastSeen ?? 0) - (b.lastSeen ?? 0));
      for (const p of found) this.queue.add(p);
    }
  }
}
