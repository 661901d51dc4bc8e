/**
 * A lab of real hosts for a test: namespaces bridged on one segment, condisd
 * in each (over a TAP device enslaved to the host's bridge), control clients
 * connected. Named uniquely per test, and always taken down.
 */
import type { ExecutionContext } from 'ava';
import { labUp, type Lab } from '../../src/lab/lab.js';
import { topologyFrom } from '../../src/lab/topology.js';
import { uniqueName } from '../../src/lab/netns.js';
import { startDaemon, waitForLinks, type DaemonOptions, type RunningDaemon } from '../../src/demo/daemons.js';

export interface TestLab {
  lab: Lab;
  daemons: Map<string, RunningDaemon>;
  d(host: string): RunningDaemon;
}

/** hosts h1..hN with addresses 3001.. on one bridged segment, condisd started and linked pairwise */
export async function startLab(t: ExecutionContext, n: number, opts: DaemonOptions & { netem?: Record<string, unknown> } = {}): Promise<TestLab> {
  const name = uniqueName('t');
  const topology = topologyFrom(
    {
      name,
      segment: { kind: 'bridged', ...(opts.netem ? { netem: opts.netem } : {}) },
      hosts: Array.from({ length: n }, (_, i) => ({ name: `h${i + 1}`, mac: `02:00:00:00:03:${(i + 1).toString(16).padStart(2, '0')}`, address: `${3001 + i}` })),
    },
    name,
  );
  const lab = await labUp(topology);
  const daemons = new Map<string, RunningDaemon>();
  t.teardown(async () => {
    for (const d of daemons.values()) await d.stop('SIGKILL', 3000).catch(() => {});
    await lab.down();
  });
  for (const h of lab.hosts) daemons.set(h.name, await startDaemon(lab, h.name, opts));
  for (const h of lab.hosts) await waitForLinks(daemons.get(h.name)!, lab.hosts.filter((o) => o !== h).map((o) => o.mac));
  return {
    lab,
    daemons,
    d(host: string) {
      const d = daemons.get(host);
      if (!d) throw new Error(`no daemon ${host}`);
      return d;
    },
  };
}
