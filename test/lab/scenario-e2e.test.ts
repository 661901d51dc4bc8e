/**
 * The shipped scenarios against real condisd processes in a lab, through a
 * driver bound to the control client: the scenario runner, the lab and the
 * daemons together, as an instructor would run them (`lab run`).
 */
import type { ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, waitForLinks, type RunningDaemon } from '../../src/demo/daemons.js';
import { labUp, type Lab } from '../../src/lab/lab.js';
import { uniqueName } from '../../src/lab/netns.js';
import { connectLabDriver } from '../../src/lab/control-driver.js';
import { formatStepResult, loadScenario, runScenario } from '../../src/lab/scenario.js';
import { loadTopology } from '../../src/lab/topology.js';
import { rootTest } from '../helpers/root.js';

/** A lab from a shipped topology under a unique name, condisd in every host, links up; all removed at teardown. */
async function labWithDaemons(t: ExecutionContext, topologyFile: string): Promise<{ lab: Lab; daemons: Map<string, RunningDaemon> }> {
  const topo = loadTopology(topologyFile);
  topo.name = uniqueName('s');
  const runRoot = mkdtempSync(join(tmpdir(), 'clab-scn-'));
  const daemons = new Map<string, RunningDaemon>();
  let lab: Lab | undefined;
  t.teardown(async () => {
    for (const d of daemons.values()) await d.stop('SIGKILL', 3000).catch(() => {});
    if (lab) await lab.down();
    rmSync(runRoot, { recursive: true, force: true });
  });
  lab = await labUp(topo, { runRoot });
  for (const h of lab.hosts) daemons.set(h.name, await startDaemon(lab, h.name));
  for (const h of lab.hosts) await waitForLinks(daemons.get(h.name)!, lab.hosts.filter((o) => o !== h).map((o) => o.mac));
  return { lab, daemons };
}

for (const [scenarioFile, topologyFile] of [
  ['scripts/labs/scenarios/drop-party.yaml', 'scripts/labs/demo.yaml'],
  ['scripts/labs/scenarios/close-data-too-long.yaml', 'scripts/labs/pair.yaml'],
  ['scripts/labs/scenarios/refused-modify.yaml', 'scripts/labs/pair.yaml'],
] as const) {
  rootTest(`${scenarioFile} passes against condisd in ${topologyFile}`, async (t) => {
    const { lab, daemons } = await labWithDaemons(t, topologyFile);
    const scenario = loadScenario(scenarioFile, lab.hosts.map((h) => h.name));
    const lines: string[] = [];
    // fresh control connections to the running daemons, as `lab run` makes them
    const driver = await connectLabDriver(lab);
    t.teardown(() => driver.close());
    const result = await runScenario(scenario, { driver, hosts: lab.hosts, onStep: (r) => lines.push(formatStepResult(r)) });
    t.log(lines.join('\n'));
    t.true(result.ok, `${lines.join('\n')}\n${result.failure ? daemons.get(String((result.failure.step as { host?: string }).host ?? 'root'))?.logTail(20) ?? '' : ''}`);
    t.is(result.steps.filter((s) => s.status === 'passed').length, scenario.steps.length);
  });
}
