/**
 * Authenticating discovery announcements (version 2, docs/security.md): the
 * tag is HMAC-SHA256 with a key every host of the lab shares, over the whole
 * announcement up to the tag (so over the sender's MAC, addresses, hold time,
 * role and the timestamp). A receiver with the key takes an announcement only
 * when
 *
 * 1. it is version 2 (a version 1 announcement carries no proof: refused as
 *    `unauthenticated`);
 * 2. the tag is the one the key gives (compared in constant time: otherwise
 *    `wrong-key`, which covers a forger's guess and a corrupted frame);
 * 3. its timestamp is within `maxAgeMs` of the receiver's clock, either way
 *    (otherwise `stale`: a recording played back later, or a sender whose
 *    clock is far off);
 * 4. its timestamp is later than that of the last announcement taken from
 *    the same sender MAC (otherwise `replayed`: a copy of a recent one).
 *
 * Every refusal is counted by its verdict. The per-sender memory holds only
 * senders whose tag was right, so a forger cannot fill it; it is capped all
 * the same (the oldest sender is forgotten first).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Mac } from '../common/mac.js';
import { AUTH_TAG_LEN, type Announcement } from './discovery.js';

export type AuthVerdict = 'ok' | 'unauthenticated' | 'wrong-key' | 'stale' | 'replayed';
export const AUTH_VERDICTS: readonly AuthVerdict[] = ['ok', 'unauthenticated', 'wrong-key', 'stale', 'replayed'];

/** the shortest lab key accepted, octets (HMAC-SHA256 takes any length; short keys are guessable) */
export const MIN_KEY_LEN = 16;

/** HMAC-SHA256 of `signed` with `key` */
export function announcementTag(key: Buffer, signed: Buffer): Buffer {
  return createHmac('sha256', key).update(signed).digest();
}

export interface VerifierOptions {
  key: Buffer;
  /** how far a timestamp may be from the receiver's clock, ms */
  maxAgeMs: number;
  /** the receiver's clock, ms since the epoch (a scheduler's `now` in tests) */
  now: () => number;
  /** senders remembered for replay checks (default 4096) */
  maxSenders?: number;
}

export class AnnouncementVerifier {
  private readonly last = new Map<Mac, number>();
  private readonly counts: Record<AuthVerdict, number> = { ok: 0, unauthenticated: 0, 'wrong-key': 0, stale: 0, replayed: 0 };

  constructor(private readonly opts: VerifierOptions) {
    if (opts.key.length < MIN_KEY_LEN) throw new RangeError(`discovery key of ${opts.key.length} octets, at least ${MIN_KEY_LEN}`);
  }

  /** the tag this host puts on its own announcements */
  sign(signed: Buffer): Buffer {
    return announcementTag(this.opts.key, signed);
  }

  /** whether to take `a` (decoded by parseAnnouncement); counts the verdict */
  verify(a: Announcement): AuthVerdict {
    const v = this.judge(a);
    this.counts[v]++;
    return v;
  }

  private judge(a: Announcement): AuthVerdict {
    const auth = a.auth;
    if (!auth) return 'unauthenticated';
    const want = announcementTag(this.opts.key, auth.signed);
    if (auth.tag.length !== AUTH_TAG_LEN || !timingSafeEqual(want, auth.tag)) return 'wrong-key';
    if (Math.abs(this.opts.now() - auth.timestampMs) > this.opts.maxAgeMs) return 'stale';
    const prev = this.last.get(a.mac);
    if (prev !== undefined && auth.timestampMs <= prev) return 'replayed';
    this.last.delete(a.mac);
    this.last.set(a.mac, auth.timestampMs);
    if (this.last.size > (this.opts.maxSenders ?? 4096)) this.last.delete(this.last.keys().next().value!);
    return 'ok';
  }

  /** verdicts so far */
  counters(): Record<AuthVerdict, number> {
    return { ...this.counts };
  }

  /** senders remembered (for leak checks) */
  senders(): number {
    return this.last.size;
  }
}
