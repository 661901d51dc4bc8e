/**
 * Q.2931 / Q.2971 timers: names, default values, and how many times the
 * guarded message is sent in all.
 */
import type { UniTimers } from './api.js';
import type { Side } from './states.js';

export type TimerName = keyof UniTimers;

/** Defaults (milliseconds) as Q.2931/Q.2971 and NgATM give them; T310 and T399 differ by side. */
export function defaultTimers(side: Side): UniTimers {
  return {
    t303: 4_000,
    t308: 30_000,
    t309: 10_000,
    t310: side === 'user' ? 30_000 : 10_000,
    t313: 4_000,
    t316: 120_000,
    t317: 90_000,
    t322: 4_000,
    t397: 180_000,
    t398: 4_000,
    t399: side === 'user' ? 34_000 : 14_000,
    // Q.2963.1 clause 13 figures as linux-atm uses them
    t360: 30_000,
    t361: 20_000,
  };
}

export function resolveTimers(side: Side, over?: Partial<UniTimers>): UniTimers {
  const t = defaultTimers(side);
  if (over) for (const [k, v] of Object.entries(over)) if (typeof v === 'number' && v > 0) t[k as TimerName] = v;
  return t;
}

/** Sends in all (first send + retransmissions) for the timers that resend their message. */
export const SENDS: Partial<Record<TimerName, number>> = { t303: 2, t308: 2, t316: 2, t322: 2 };

/** The 3 IA5 characters that name a timer in a cause 102 diagnostic ("303"). */
export function timerDiagnostic(t: TimerName): Buffer {
  return Buffer.from(t.slice(1), 'ascii');
}
