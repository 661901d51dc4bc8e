/**
 * What the garbage collector costs a piece of work, for the bench's memory
 * figures and the profile scripts:
 *
 * - `collectionsDuring`: the collections (minor and major) that ran while
 *   `work` ran, their pauses, and the process's CPU time beside them;
 * - `sampleAllocations`: V8's sampling heap profiler over `work`, either
 *   everything allocated or only what outlived a scavenge (promoted to the old
 *   generation, or allocated there at once). A call cycle's garbage should all
 *   die young; what outlives a scavenge is what the major collector has to
 *   take back later, and a large figure there is the sign of a pretenured
 *   allocation site or of hash tables chained after a major collection
 *   (docs/architecture.md, "Garbage");
 * - `collectAll`: a major collection, to measure what follows one.
 */
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface Collections {
  /** pauses, in ms, all kinds together */
  pauseMs: number;
  minor: number;
  major: number;
  /** CPU time of the process (user + system) while `work` ran, in ms */
  cpuMs: number;
}

/** the collections while `work` runs (the observer's entries arrive on a later turn: waited for here) */
export async function collectionsDuring(work: () => Promise<unknown>): Promise<Collections> {
  const entries: PerformanceEntry[] = [];
  const watch = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  watch.observe({ entryTypes: ['gc'] });
  const cpu0 = process.cpuUsage();
  let cpu: NodeJS.CpuUsage;
  try {
    await work();
  } finally {
    cpu = process.cpuUsage(cpu0);
    await new Promise((r) => setTimeout(r, 20));
    watch.disconnect();
  }
  const kind = (e: PerformanceEntry): number | undefined => ((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind;
  return {
    pauseMs: entries.reduce((s, e) => s + e.duration, 0),
    minor: entries.filter((e) => kind(e) === constants.NODE_PERFORMANCE_GC_MINOR).length,
    major: entries.filter((e) => kind(e) === constants.NODE_PERFORMANCE_GC_MAJOR).length,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** a node of V8's sampling heap profile */
export interface SampledNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampledNode[];
}

/** the sampled allocations of `work`: all of them, or (`survivorsOnly`) those that outlived a scavenge */
export async function sampleAllocations(work: () => Promise<unknown>, opts: { survivorsOnly?: boolean; intervalBytes?: number } = {}): Promise<SampledNode> {
  collector(); // (made before the profile starts: not one of the samples)
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: opts.intervalBytes ?? 256,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: !opts.survivorsOnly,
    });
    await work();
    // what the last scavenge has not looked at yet is not a survivor: two scavenges (the second for
    // what the first only moved within the young generation) settle it before the profile is read
    collectYoung();
    collectYoung();
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SampledNode } };
    return profile.head;
  } finally {
    session.disconnect();
  }
}

let gc: ((o?: { type: 'minor' | 'major' }) => void) | undefined;

/** the collector's `gc`, made reachable the first time it is needed */
function collector(): (o?: { type: 'minor' | 'major' }) => void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as (o?: { type: 'minor' | 'major' }) => void;
  }
  return gc;
}

/** one scavenge (a minor collection) */
function collectYoung(): void {
  collector()({ type: 'minor' });
}

/** a major collection (of the whole heap) */
export function collectAll(): void {
  collector()({ type: 'major' });
}

/** the bytes a sampled profile holds, in all */
export function sampledBytes(head: SampledNode): number {
  let total = head.selfSize;
  for (const c of head.children) total += sampledBytes(c);
  return total;
}
