/**
 * Re-establishing signalling links that fell back to Idle, with a bounded
 * exponential back-off per peer, and logs that say what happened without
 * repeating it: a link that was up and went down is one warning; the first
 * attempt that fails after that (or at start) is one warning; further failures
 * are debug lines, with a summary at most every `summaryEveryMs`, when the link
 * comes back, and when the node stops trying (a discovered peer whose
 * announcement expired).
 *
 * Timers run on the node's scheduler, so tests drive this in virtual time.
 * Which peers are still worth trying, and how to try, is the node's call
 * (`wanted`, `attempt`).
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Mac } from '../common/mac.js';

export interface LinkRetryOptions {
  /** delay before the first retry after a link went down, ms; each failed attempt doubles it */
  initialMs: number;
  /** the longest delay between attempts, ms (static peers are tried at this rate for ever) */
  maxMs: number;
  /** while failing, a summary line at most this often, ms */
  summaryEveryMs: number;
}

export const DEFAULT_LINK_RETRY: Readonly<LinkRetryOptions> = Object.freeze({ initialMs: 1000, maxMs: 60_000, summaryEveryMs: 60_000 });

export interface RetryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RetryHooks {
  /** is this peer still worth a BGN (static, or its announcement still valid)? */
  wanted(peer: Mac): boolean;
  /** start an attempt (AAL-ESTABLISH.request) */
  attempt(peer: Mac): void;
  /** fields naming the peer in log lines */
  label(peer: Mac): object;
}

interface PeerRetry {
  /** the link reached Data Transfer Ready since the last down */
  up: boolean;
  /** attempts that failed in a row */
  failures: number;
  /** scheduler time the link went down (or the first attempt started) */
  since: number;
  lastSummary: number;
  lastReason?: string;
  timer?: Subscription;
  /** scheduler time of the next attempt, while one is scheduled */
  nextAt?: number;
}

export interface RetryInfo {
  failures: number;
  /** scheduler time (ms) of the next attempt, if one is scheduled */
  nextAt?: number;
  lastReason?: string;
}

export class LinkRetries {
  private readonly peers = new Map<Mac, PeerRetry>();
  private disposed = false;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly log: RetryLog,
    private readonly opts: LinkRetryOptions,
    private readonly hooks: RetryHooks,
  ) {}

  /** the delay after `failures` failed attempts in a row */
  delayAfter(failures: number): number {
    return Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** Math.min(failures, 30));
  }

  /** the link to `peer` reached Data Transfer Ready */
  up(peer: Mac): void {
    if (this.disposed) return;
    const r = this.peers.get(peer);
    r?.timer?.unsubscribe();
    const now = this.scheduler.now();
    if (r && r.failures > 0) {
      this.log.info({ ...this.hooks.label(peer), failedAttempts: r.failures, downForS: secs(now - r.since) }, `link up again after ${r.failures} failed attempts`);
    }
    this.peers.set(peer, { up: true, failures: 0, since: now, lastSummary: now });
  }

  /** the link to `peer` fell back to Idle without our asking (`reason` from SSCOP) */
  down(peer: Mac, reason: string): void {
    if (this.disposed) return;
    const now = this.scheduler.now();
    let r = this.peers.get(peer);
    r?.timer?.unsubscribe();
    if (!r || r.up) {
      if (r?.up) this.log.warn({ ...this.hooks.label(peer), reason }, 'link down');
      r = { up: false, failures: r?.up ? 0 : 1, since: now, lastSummary: now, lastReason: reason };
      this.peers.set(peer, r);
      // a link that never came up: that was its first failed attempt
      if (r.failures === 1) this.firstFailure(peer, r, reason);
    } else {
      r.failures++;
      r.lastReason = reason;
      if (r.failures === 1) this.firstFailure(peer, r, reason);
      else if (now - r.lastSummary >= this.opts.summaryEveryMs) {
        r.lastSummary = now;
        this.log.warn(
          { ...this.hooks.label(peer), failedAttempts: r.failures, downForS: secs(now - r.since), reason, nextInS: secs(this.delayAfter(r.failures)) },
          `still no link: ${r.failures} attempts failed`,
        );
      } else this.log.debug({ ...this.hooks.label(peer), failedAttempts: r.failures, reason }, 'link attempt failed');
    }
    this.schedule(peer, r);
  }

  private firstFailure(peer: Mac, r: PeerRetry, reason: string): void {
    this.log.warn(
      { ...this.hooks.label(peer), reason, nextInS: secs(this.delayAfter(r.failures)), maxDelayS: secs(this.opts.maxMs) },
      'link could not be established; retrying with back-off (further failures: debug, and a summary now and then)',
    );
  }

  private schedule(peer: Mac, r: PeerRetry): void {
    if (!this.hooks.wanted(peer)) return this.giveUp(peer, r);
    const delay = this.delayAfter(r.failures);
    r.nextAt = this.scheduler.now() + delay;
    r.timer = this.scheduler.schedule(() => {
      r.timer = undefined;
      r.nextAt = undefined;
      if (this.disposed || this.peers.get(peer) !== r) return;
      if (!this.hooks.wanted(peer)) return this.giveUp(peer, r);
      this.hooks.attempt(peer);
    }, delay);
  }

  private giveUp(peer: Mac, r: PeerRetry): void {
    r.timer?.unsubscribe();
    this.peers.delete(peer);
    this.log.info(
      { ...this.hooks.label(peer), failedAttempts: r.failures, downForS: secs(this.scheduler.now() - r.since) },
      'no more link attempts: the peer is no longer announced',
    );
  }

  /**
   * The peer announced itself while its link is Idle. True: try at once (it
   * was not failing: typically a peer that restarted). While backing off the
   * scheduled attempt stands: a peer that announces but never answers BGN
   * must not be tried at its announcement rate.
   */
  announced(peer: Mac): boolean {
    if (this.disposed) return false;
    const r = this.peers.get(peer);
    if (!r || r.failures === 0) {
      r?.timer?.unsubscribe();
      return true;
    }
    return false;
  }

  info(peer: Mac): RetryInfo | undefined {
    const r = this.peers.get(peer);
    if (!r || r.up) return undefined;
    return { failures: r.failures, ...(r.nextAt !== undefined ? { nextAt: r.nextAt } : {}), ...(r.lastReason ? { lastReason: r.lastReason } : {}) };
  }

  /** the peer is gone from the table */
  forget(peer: Mac): void {
    this.peers.get(peer)?.timer?.unsubscribe();
    this.peers.delete(peer);
  }

  /** timers scheduled now (for leak checks) */
  scheduled(): number {
    let n = 0;
    for (const r of this.peers.values()) if (r.timer) n++;
    return n;
  }

  dispose(): void {
    this.disposed = true;
    for (const r of this.peers.values()) r.timer?.unsubscribe();
    this.peers.clear();
  }
}

function secs(ms: number): number {
  return Math.round(ms / 100) / 10;
}
