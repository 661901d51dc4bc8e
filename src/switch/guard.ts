/**
 * What a switch takes from the hosts on its ports when it has a lab key
 * and/or an allow-list, as a host does (src/host/node.ts, docs/security.md):
 *
 * - with a lab key its announcements are version 2, signed with HMAC-SHA256
 *   and timestamped, so hosts holding the same key take them; and it takes
 *   only signed, fresh, new announcements (src/wire/discovery-auth.ts), the
 *   others dropped and counted by verdict (`discovery-unauthenticated`, ...);
 * - with an allow-list it drops signalling (VCI 5) and discovery (VCI 16) from
 *   any MAC not on it (`not-allowed-signalling`, `not-allowed-discovery`), so
 *   such a host gets neither a route nor a link.
 *
 * One guard serves every port of the switch: the replay memory is per sender
 * MAC, which is unique across the switch's segments.
 */
import type { Mac } from '../common/mac.js';
import { AnnouncementVerifier, emitAnnouncement, emitSignedAnnouncement, VCI_DISCOVERY, VCI_SIGNALLING, type Announcement, type AuthVerdict } from '../wire/index.js';

export interface SwitchGuardOptions {
  /** sign announcements with this lab key and take only signed, fresh, new ones */
  auth?: { key: Buffer; maxAgeMs: number };
  /** the only host MACs whose signalling and discovery the switch takes; absent: anyone */
  allowPeers?: Mac[];
  /** the clock of the timestamps, ms since the epoch (the switch's scheduler) */
  now: () => number;
}

export class SwitchGuard {
  private readonly verifier?: AnnouncementVerifier;
  private readonly allowed?: ReadonlySet<Mac>;

  constructor(private readonly o: SwitchGuardOptions) {
    if (o.auth) this.verifier = new AnnouncementVerifier({ key: o.auth.key, maxAgeMs: o.auth.maxAgeMs, now: o.now });
    if (o.allowPeers) this.allowed = new Set(o.allowPeers.map((m) => m.toLowerCase()));
  }

  /** the announcement SDU for these fields: signed (version 2) with a key, else version 1 */
  announcement(fields: Omit<Announcement, 'version' | 'auth'>): Buffer {
    const v = this.verifier;
    return v ? emitSignedAnnouncement(fields, Math.floor(this.o.now()), (signed) => v.sign(signed)) : emitAnnouncement({ version: 1, ...fields });
  }

  /** the drop reason for a signalling or discovery frame from `src`, or undefined to take it */
  refuseFrame(src: Mac, vpi: number, vci: number): string | undefined {
    if (!this.allowed || vpi !== 0 || this.allowed.has(src)) return undefined;
    if (vci === VCI_SIGNALLING) return 'not-allowed-signalling';
    if (vci === VCI_DISCOVERY) return 'not-allowed-discovery';
    return undefined;
  }

  /** the drop reason for a decoded announcement, or undefined to take it (every verdict counted) */
  refuseAnnouncement(a: Announcement): string | undefined {
    if (!this.verifier) return undefined;
    const verdict = this.verifier.verify(a);
    return verdict === 'ok' ? undefined : `discovery-${verdict}`;
  }

  /** announcements by verdict, with a key */
  counters(): Record<AuthVerdict, number> | undefined {
    return this.verifier?.counters();
  }
}
