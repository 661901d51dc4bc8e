/**
 * Shared by the fault tests over real TAP devices: shortened timers (so a
 * dead peer is noticed in a few seconds, not the standard tens), waiting for
 * a daemon to be back to no calls, and a new call with data as the proof
 * that a link works again.
 */
import type { ExecutionContext } from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { PROJECT_ROOT, RunningDaemon, writeDaemonConfig, type DaemonOptions } from '../../src/demo/daemons.js';
import { connectControl } from '../../src/control/client.js';
import { entryArgs } from '../../src/common/package-root.js';
import type { Lab } from '../../src/lab/lab.js';

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

/**
 * startDaemon with changes to the configuration the lab writes (keys the lab
 * does not know, e.g. discovery.auth or allowPeers): the file is written,
 * `patch` edits the parsed document, then condisd starts as startDaemon does.
 */
export async function startPatchedDaemon(lab: Lab, host: string, opts: DaemonOptions, patch: (cfg: Record<string, unknown>) => void): Promise<RunningDaemon> {
  const { file, socket, capture } = writeDaemonConfig(lab, host, opts);
  const cfg = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  patch(cfg);
  writeFileSync(file, stringifyYaml(cfg));
  const proc = lab.spawn(host, process.execPath, [...entryArgs('daemons/condisd'), '--config', file], { name: 'condisd', cwd: PROJECT_ROOT });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (existsSync(socket)) {
      try {
        const control = await connectControl(socket, { helloTimeoutMs: 2000 });
        const sub = await control.subscribe({});
        return new RunningDaemon(host, lab, proc, file, socket, capture, control, sub);
      } catch {
        // not ready yet
      }
    }
    if (Date.now() > deadline) {
      await lab.stop(host, 'condisd');
      throw new Error(`condisd in ${host} did not open its control socket; log:\n${existsSync(proc.logFile) ? readFileSync(proc.logFile, 'utf8').slice(-2000) : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
