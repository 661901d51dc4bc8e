/**
 * The shipped scenarios against real condisd processes in a lab, through a
 * driver bound to the control client: the scenario runner, the lab and the
 * daemons together, as an instructor would run them.
 */
import type { ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlError } from '../../src/control/errors.js';
import { startDaemon, waitForLinks, type RunningDaemon } from '../../src/demo/daemons.js';
import { labUp, type Lab } from '../../src/lab/lab.js';
import { uniqueName } from '../../src/lab/netns.js';
import {
  DriverStatusError,
  formatStepResult,
  IndicationQueue,
  indicationFromControlEvent,
  loadScenario,
  runScenario,
  type ScenarioDriver,
} from '../../src/lab/scenario.js';
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

/** The scenario driver over condisd's control sockets. */
function controlDriver(daemons: Map<string, RunningDaemon>): ScenarioDriver {
  const queue = new IndicationQueue();
  for (const [host, d] of daemons) d.events$.subscribe((e) => queue.push(indicationFromControlEvent(host, e)));
  const control = (host: string) => daemons.get(host)!.control;
  const saps = new Map<string, number>();
  const completed = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      if (e instanceof ControlError && e.ndisStatus) throw new DriverStatusError(e.ndisStatus.name, e.message);
      throw e;
    }
  };
  return {
    listen: (h, a) =>
      completed(async () => {
        const sap = await control(h).registerSap({ address: a.sap, policy: a.answer, ...(a.cause ? { rejectCause: a.cause } : {}) });
        saps.set(`${h}/${a.sap}`, sap.sap);
      }),
    unlisten: (h, a) => completed(async () => void (await control(h).deregisterSap({ sap: saps.get(`${h}/${a.sap}`)! }))),
    answer: (h, a) => completed(async () => void (await control(h).answerCall({ vc: Number(a.call), accept: a.accept, ...(a.cause ? { cause: a.cause } : {}) }))),
    call: (h, a) =>
      completed(async () => {
        const r = await control(h).makeCall(a.multipoint ? { parties: a.to.map((x) => x.address), multipoint: true } : { called: a.to[0]!.address });
        return {
          call: r.vc,
          parties: a.to.map((target, i) => {
            const p = r.parties[i];
            return { target, ...(p?.party !== undefined ? { party: p.party } : {}), status: p?.status.name ?? r.status.name };
          }),
        };
      }),
    addParty: (h, a) => completed(async () => ({ party: (await control(h).addParty({ vc: Number(a.call), address: a.to.address })).party })),
    dropParty: (h, a) =>
      completed(async () => void (await control(h).dropParty({ vc: Number(a.call), party: Number(a.party), ...(a.closeData ? { closeData: a.closeData } : {}) }))),
    closeCall: (h, a) => completed(async () => void (await control(h).closeCall({ vc: Number(a.call), ...(a.closeData ? { closeData: a.closeData } : {}) }))),
    send: (h, a) => completed(async () => void (await control(h).send({ vc: Number(a.call), data: a.data }))),
    wait: (ms) => new Promise((r) => setTimeout(r, ms)),
    waitFor: (match, ms) => queue.waitFor(match, ms),
    pending: () => queue.pending().filter((i) => !['vc-state', 'party-state', 'link-state', 'peer', 'sap'].includes(i.kind)),
  };
}

for (const [scenarioFile, topologyFile] of [
  ['scripts/labs/scenarios/drop-party.yaml', 'scripts/labs/demo.yaml'],
  ['scripts/labs/scenarios/close-data-too-long.yaml', 'scripts/labs/pair.yaml'],
] as const) {
  rootTest(`${scenarioFile} passes against condisd in ${topologyFile}`, async (t) => {
    const { lab, daemons } = await labWithDaemons(t, topologyFile);
    const scenario = loadScenario(scenarioFile, lab.hosts.map((h) => h.name));
    const lines: string[] = [];
    const result = await runScenario(scenario, { driver: controlDriver(daemons), hosts: lab.hosts, onStep: (r) => lines.push(formatStepResult(r)) });
    t.log(lines.join('\n'));
    t.true(result.ok, `${lines.join('\n')}\n${result.failure ? daemons.get(String((result.failure.step as { host?: string }).host ?? 'root'))?.logTail(20) ?? '' : ''}`);
    t.is(result.steps.filter((s) => s.status === 'passed').length, scenario.steps.length);
  });
}
