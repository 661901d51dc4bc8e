/**
 * Shared by the fault tests over real TAP devices: shortened timers (so a
 * dead peer is noticed in a few seconds, not the standard tens), waiting for
 * a daemon to be back to no calls, and a new call with data as the proof
 * that a link works again.
 */
import type { ExecutionContext } from 'ava';
import type { RunningDaemon } from '../../src/demo/daemons.js';

/** SSCOP: keep-alive 300 ms, idle 1 s, no-response 2 s: a silent peer is declared gone after at most ~3 s */
export const FAST_TIMERS = { sscop: { cc: '300ms', poll: '200ms', keepAlive: '300ms', idle: '1s', noResponse: '2s' } };
/** how long noticing a dead peer may take with FAST_TIMERS: Timer_IDLE + Timer_NO-RESPONSE, plus room for a loaded machine */
export const NOTICE_BOUND_MS = 1000 + 2000 + 12_000;

export type Counters = Record<string, Record<string, number>>;

/** until the daemon holds no calls, parties or VCs (or `ms` runs out); returns the last counters */
export async function drained(d: RunningDaemon, ms = 15_000): Promise<Counters> {
  const deadline = Date.now() + ms;
  for (;;) {
    const c = (await d.control.counters()) as Counters;
    if ((c.ndis!.vcs === 0 && c.ndis!.parties === 0 && c.uni!.calls === 0 && (c.datapath?.activeVcs ?? 0) === 0) || Date.now() > deadline) return c;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function assertDrained(t: ExecutionContext, c: Counters, who: string): void {
  t.like(c.ndis, { vcs: 0, parties: 0 }, `${who}: NDIS`);
  t.like(c.uni, { calls: 0, parties: 0 }, `${who}: UNI`);
  t.like(c.datapath, { activeVcs: 0, paths: 0 }, `${who}: data path`);
}

/** a point-to-point call from `a` to `b` (listening on `address`) carries data, then `a` closes it with close data */
export async function callWorks(t: ExecutionContext, a: RunningDaemon, b: RunningDaemon, address: string, tag: string): Promise<void> {
  const inc = b.next('incoming-call', (e) => e.called === address, 30_000);
  const call = (await a.control.makeCall({ called: address })) as { vc: number };
  const offered = await inc;
  await b.seen('call-connected', (e) => e.vc === offered.vc);
  const rx = b.next('receive', (e) => e.vc === offered.vc);
  await a.control.send({ vc: call.vc, data: `data ${tag}` });
  t.is((await rx).data.toString(), `data ${tag}`);
  const ic = b.next('incoming-close-call', (e) => e.vc === offered.vc);
  await a.control.closeCall({ vc: call.vc, closeData: `bye ${tag}` });
  t.is((await ic).closeData?.toString(), `bye ${tag}`);
}
