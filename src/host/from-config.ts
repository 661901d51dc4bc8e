/**
 * From a loaded host configuration to the node's options: the one place the
 * configuration's names (cc, poll, keepAlive, ...) meet the layers' own.
 */
import type { HostConfig } from '../config/index.js';
import type { SscopParams } from '../sscop/index.js';
import type { Miniport } from '../miniport/types.js';
import type { NodeOptions } from './node.js';

export function sscopParamsFromConfig(cfg: HostConfig): Partial<SscopParams> {
  const s = cfg.timers.sscop;
  const out: Partial<SscopParams> = {};
  if (s.cc !== undefined) out.timerCC = s.cc;
  if (s.poll !== undefined) out.timerPoll = s.poll;
  if (s.keepAlive !== undefined) out.timerKeepAlive = s.keepAlive;
  if (s.idle !== undefined) out.timerIdle = s.idle;
  if (s.noResponse !== undefined) out.timerNoResponse = s.noResponse;
  if (s.maxCC !== undefined) out.maxCC = s.maxCC;
  if (s.maxPD !== undefined) out.maxPD = s.maxPD;
  if (s.maxSTAT !== undefined) out.maxSTAT = s.maxSTAT;
  if (s.window !== undefined) out.window = s.window;
  if (s.initialSequence !== undefined) out.initialSequence = s.initialSequence;
  return out;
}

export function nodeOptionsFromConfig(cfg: HostConfig, miniport: Miniport, extra: Pick<NodeOptions, 'capture' | 'log' | 'scheduler'> = {}): NodeOptions {
  return {
    name: cfg.name,
    miniport,
    addresses: cfg.addresses,
    role: cfg.role,
    peers: cfg.peers,
    discovery: {
      enabled: cfg.discovery.enabled,
      intervalMs: cfg.discovery.interval,
      holdTimeMs: cfg.discovery.holdTime,
      ...(cfg.discovery.auth ? { auth: { key: cfg.discovery.auth.key.reveal(), maxAgeMs: cfg.discovery.auth.maxAge } } : {}),
    },
    ...(cfg.allowPeers ? { allowPeers: cfg.allowPeers } : {}),
    linkRetry: { initialMs: cfg.linkRetry.initial, maxMs: cfg.linkRetry.max, summaryEveryMs: cfg.linkRetry.summaryEvery },
    sscop: sscopParamsFromConfig(cfg),
    uniTimers: cfg.timers.uni,
    closeData: cfg.closeData,
    callManager: cfg.callManager,
    limits: cfg.limits,
    ...('etherType' in cfg.miniport && cfg.miniport.etherType !== undefined ? { etherType: cfg.miniport.etherType } : {}),
    ...extra,
  };
}
