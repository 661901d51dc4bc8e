/**
 * The records a condis-tap host is configured with and reports: its options,
 * its log, the peers it knows, its events and counters. Shared by the parts
 * of the host (node.ts assembles them; router.ts, peers.ts, shutdown.ts).
 */
import type { SchedulerLike } from 'rxjs';
import type { Mac } from '../common/mac.js';
import type { Miniport } from '../miniport/types.js';
import type { RolePreference } from '../wire/index.js';
import type { SaalLink, SscopParams } from '../sscop/index.js';
import type { AtmAddress, CloseDataPolicy, UniTimers } from '../uni/api.js';
import type { MessageEvent } from './messages.js';
import type { LinkRetryOptions } from './retry.js';

export interface PeerConfig {
  mac: Mac;
  name?: string;
  /** the side this host takes on the link; absent: by role preference, then by MAC */
  role?: 'user' | 'network';
  addresses: AtmAddress[];
}

export interface NodeOptions {
  name: string;
  miniport: Miniport;
  addresses: AtmAddress[];
  role: RolePreference;
  peers: PeerConfig[];
  discovery: {
    enabled: boolean;
    intervalMs: number;
    holdTimeMs: number;
    /** sign announcements (version 2) with this lab key and take only signed, fresh, new ones (docs/security.md) */
    auth?: { key: Buffer; maxAgeMs: number };
  };
  /** only these MACs may speak signalling or discovery to this host; absent: anyone */
  allowPeers?: Mac[];
  /** re-establishing links that fell back to Idle: bounded exponential back-off (default 1 s doubling to 60 s) */
  linkRetry?: Partial<LinkRetryOptions>;
  sscop?: Partial<SscopParams>;
  uniTimers?: Partial<UniTimers>;
  closeData: CloseDataPolicy;
  callManager: { shape: 'cm' | 'mcm'; completion: 'sync' | 'pending' };
  /** caps: calls and parties per call (UNI), peers (this node), requests in progress (the daemon's backend) */
  limits?: { calls?: number; partiesPerCall?: number; peers?: number; pendingRequests?: number };
  etherType?: number;
  scheduler?: SchedulerLike;
  /** every ATM-layer SDU sent or received (for captures); `peer` is the other end's MAC (the broadcast MAC for announcements sent) */
  capture?: (dir: 'tx' | 'rx', vpi: number, vci: number, sdu: Buffer, peer: Mac) => void;
  log?: NodeLog;
}

/** The few log calls the node makes; pino's logger fits. */
export interface NodeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  /** pino's: lets the node skip formatting what the log would drop */
  isLevelEnabled?(level: string): boolean;
}

/** the log of a node given none */
export const silentLog: NodeLog = { info() {}, warn() {}, debug() {} };

/** the peer table as others read it (peer-conflicts.ts, the control backend) */
export interface PeerIndex {
  get(mac: Mac): PeerState | undefined;
  list(): PeerState[];
  /** the peers that hold `address` (announced or configured), in the order they took it */
  holders(address: AtmAddress): Iterable<PeerState>;
}

export interface PeerState {
  mac: Mac;
  name?: string;
  /** change them through the peer table only: it keeps an index by address (PeerTable.resolve) */
  addresses: readonly AtmAddress[];
  source: 'static' | 'discovery';
  /** configured: the side this host takes on the link to this peer */
  sideOverride?: 'user' | 'network';
  /** the peer's announced role preference */
  announcedRole?: RolePreference;
  /** ms timestamp (scheduler clock) of the last announcement, for discovered peers */
  lastSeen?: number;
  /** our Q.2931 side on the link, once the link exists */
  side?: 'user' | 'network';
  link?: SaalLink;
}

export type NodeEvent =
  | { kind: 'peer'; peer: Mac; change: 'discovered' | 'updated' | 'lost'; addresses: readonly AtmAddress[] }
  | { kind: 'link-state'; peer: Mac; state: string; established: boolean; reason?: string }
  | MessageEvent;

export interface NodeCounters {
  /** frames dropped before any layer took them, by reason (decode error code, not-for-us, unknown-vc, ...) */
  drops: Record<string, number>;
  framesIn: number;
  framesOut: number;
  discoveryIn: number;
  discoveryOut: number;
  dataIn: number;
  dataOut: number;
  /** user data frames not sent because SSCOP to that peer was down (calls waiting out T309): dropped, as a lost cell */
  dataDroppedLinkDown: number;
  /**
   * With discovery.auth: announcements by verdict (ok, unauthenticated, wrong-key, stale, replayed); the
   * refused ones are also in `drops` as discovery-<verdict>
   */
  discoveryAuth?: Record<string, number>;
}
