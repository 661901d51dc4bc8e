/**
 * A host's configuration after loading: every default filled in, addresses in
 * canonical form, durations in milliseconds. `docs` for each key: config/host-a.yaml.
 */
import type { Mac } from '../common/mac.js';
import type { MiniportConfig } from '../common/miniport-config.js';
import type { Secret } from '../common/secret.js';
import type { AtmAddress, CloseDataPolicy, UniTimers } from '../uni/api.js';

/** Which side of Q.2931 this host prefers on its links (docs/wire.md, "Roles"). auto: the lower MAC is network. */
export type RolePreference = 'auto' | 'user' | 'network';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface StaticPeer {
  mac: Mac;
  /** a name for logs and status tables */
  name?: string;
  /** the side THIS host takes on the link to that peer; absent: as `role` (auto = lower MAC is network) */
  role?: 'user' | 'network';
  /** ATM addresses reachable through that peer, so calls route without discovery */
  addresses: AtmAddress[];
}

/** SSCOP (Q.2110) parameters. Timers in ms; the rest are counts. Absent = the sscop/ default. */
export interface SscopTimersConfig {
  cc?: number;
  poll?: number;
  keepAlive?: number;
  idle?: number;
  noResponse?: number;
  maxCC?: number;
  maxPD?: number;
  maxSTAT?: number;
  /** receive window (credit), in SD PDUs */
  window?: number;
  /** VT(SQ) each link starts from (its first BGN carries one more); default random. Fixed only to meet the
   *  restart case of stacks that always start alike (a peer then takes our first BGN for a retransmission) */
  initialSequence?: number;
}

export interface HostConfig {
  /** for logs, status and captures; default: the config file name without extension */
  name: string;
  miniport: MiniportConfig;
  /** this host's ATM addresses, canonical (at least one) */
  addresses: AtmAddress[];
  role: RolePreference;
  peers: StaticPeer[];
  discovery: {
    enabled: boolean;
    /** announcement interval, ms */
    interval: number;
    /** how long a neighbour's announcement stays valid, ms (default 3.5 x interval) */
    holdTime: number;
    /** signed announcements (version 2) with the lab key; absent: version 1, nothing checked (docs/security.md) */
    auth?: { key: Secret; maxAge: number };
  };
  /** only these MACs may speak signalling or discovery to this host; absent: anyone */
  allowPeers?: Mac[];
  timers: {
    sscop: SscopTimersConfig;
    /** overrides only: UNI defaults depend on the side of the link (src/uni/timers.ts) */
    uni: Partial<UniTimers>;
  };
  /** re-establishing links that fell back to Idle (ms): first delay, longest delay, summary log interval */
  linkRetry: { initial: number; max: number; summaryEvery: number };
  closeData: CloseDataPolicy;
  callManager: {
    /** cm: stand-alone call manager over the miniport; mcm: integrated miniport call manager */
    shape: 'cm' | 'mcm';
    /** sync: requests that can finish at once return SUCCESS; pending: every such request returns PENDING and completes later */
    completion: 'sync' | 'pending';
  };
  limits: {
    calls: number;
    partiesPerCall: number;
    peers: number;
    /** requests outstanding (PENDING) at once, all clients together */
    pendingRequests: number;
  };
  control: {
    /** Unix socket path */
    socket: string;
    /** permission bits of the socket file (default 0o600: owner only) */
    mode: number;
  };
  capture: {
    /** write the ATM layer (every AAL5 SDU sent or received) to this file */
    pcap?: string;
    /** 'pcapng' (default): one interface per link (SunATM) and per user VC (shown as data); 'sunatm': the classic one-link-type pcap */
    format: 'pcapng' | 'sunatm';
    /** ms within which records are written together; 0: each at once */
    flush: number;
  };
  log: {
    level: LogLevel;
    /** human-readable log lines (pino-pretty) instead of JSON */
    pretty: boolean;
  };
}
