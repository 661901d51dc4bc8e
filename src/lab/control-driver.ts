/**
 * The scenario driver over condisd's control sockets: each action is one
 * control request to the host's daemon, indications are the daemons' events.
 * `connectLabDriver(lab)` connects to the daemons already running in a lab
 * (their sockets are where `hostConfigFor` puts them).
 */
import { existsSync } from 'node:fs';
import type { Observable } from 'rxjs';
import { connectControl, type ControlClient, type EventSubscription } from '../control/client.js';
import { ControlError } from '../control/errors.js';
import { hostConfigFor, LabError, type Lab } from './lab.js';
import { DriverStatusError, IndicationQueue, indicationFromControlEvent, type ControlEventLike, type ScenarioDriver } from './scenario.js';

/** What the driver needs of one host: its control client and its event stream. */
export interface DriverHost {
  control: Pick<ControlClient, 'registerSap' | 'deregisterSap' | 'answerCall' | 'makeCall' | 'addParty' | 'dropParty' | 'closeCall' | 'send' | 'modifyCall'>;
  events$: Observable<ControlEventLike>;
}

/** event kinds that say nothing a scenario expects (left out of failure messages) */
const NOISE = new Set(['vc-state', 'party-state', 'link-state', 'peer', 'sap', 'send-complete', 'message']);

/** A driver over the given hosts' control clients; `close()` stops listening to their events. */
export function controlDriver(hosts: ReadonlyMap<string, DriverHost>): ScenarioDriver & { close(): void } {
  const queue = new IndicationQueue();
  const subs = [...hosts].map(([host, h]) => h.events$.subscribe((e) => queue.push(indicationFromControlEvent(host, e))));
  const control = (host: string) => {
    const h = hosts.get(host);
    if (!h) throw new LabError(`no daemon for host ${host}`);
    return h.control;
  };
  const saps = new Map<string, number>();
  /** NDIS failures become DriverStatusError (a step may expect them); anything else fails the step as it is */
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
        const sap = await control(h).registerSap({ address: a.sap, policy: a.answer, ...(a.cause ? { rejectCause: a.cause } : {}), ...(a.qos ? { qos: a.qos } : {}) });
        saps.set(`${h}\0${a.sap}`, sap.sap);
      }),
    unlisten: (h, a) =>
      completed(async () => {
        const sap = saps.get(`${h}\0${a.sap}`);
        if (sap === undefined) throw new LabError(`${h} does not listen on ${a.sap}`);
        await control(h).deregisterSap({ sap });
        saps.delete(`${h}\0${a.sap}`);
      }),
    answer: (h, a) => completed(async () => void (await control(h).answerCall({ vc: Number(a.call), accept: a.accept, ...(a.cause ? { cause: a.cause } : {}) }))),
    call: (h, a) =>
      completed(async () => {
        const r = await control(h).makeCall(a.multipoint ? { parties: a.to.map((x) => x.address), multipoint: true, ...(a.uu ? { uu: a.uu } : {}) } : { called: a.to[0]!.address, ...(a.uu ? { uu: a.uu } : {}) });
        return {
          call: r.vc,
          parties: a.to.map((target, i) => {
            const p = r.parties[i];
            return { target, ...(p?.party !== undefined ? { party: p.party } : {}), status: p?.status.name ?? r.status.name };
          }),
        };
      }),
    addParty: (h, a) => completed(async () => ({ party: (await control(h).addParty({ vc: Number(a.call), address: a.to.address, ...(a.uu ? { uu: a.uu } : {}) })).party })),
    dropParty: (h, a) =>
      completed(async () => void (await control(h).dropParty({ vc: Number(a.call), party: Number(a.party), ...(a.closeData ? { closeData: a.closeData } : {}) }))),
    closeCall: (h, a) => completed(async () => void (await control(h).closeCall({ vc: Number(a.call), ...(a.closeData ? { closeData: a.closeData } : {}) }))),
    send: (h, a) => completed(async () => void (await control(h).send({ vc: Number(a.call), data: a.data }))),
    modify: (h, a) => completed(async () => void (await control(h).modifyCall({ vc: Number(a.call), pcr: a.pcr, ...(a.receivePcr !== undefined ? { receivePcr: a.receivePcr } : {}) }))),
    wait: (ms) => new Promise((r) => setTimeout(r, ms)),
    waitFor: (match, ms) => queue.waitFor(match, ms),
    pending: () => queue.pending().filter((i) => !NOISE.has(i.kind)),
    close: () => subs.forEach((s) => s.unsubscribe()),
  };
}

/**
 * Connect to the condisd of every host of a running lab (`hosts`: only
 * these) and build a driver. Throws LabError naming a host whose daemon is
 * not running.
 */
export async function connectLabDriver(lab: Lab, hosts: readonly string[] = lab.hosts.map((h) => h.name)): Promise<ScenarioDriver & { close(): Promise<void> }> {
  const clients: { client: ControlClient; sub: EventSubscription }[] = [];
  const map = new Map<string, DriverHost>();
  try {
    for (const host of hosts) {
      const socket = hostConfigFor(lab, host).controlSocket;
      if (!existsSync(socket)) throw new LabError(`condisd is not running in ${host} (no control socket ${socket})`);
      const client = await connectControl(socket, { helloTimeoutMs: 3000 });
      const sub = await client.subscribe({});
      clients.push({ client, sub });
      map.set(host, { control: client, events$: sub.events$ });
    }
  } catch (e) {
    for (const c of clients) c.client.close();
    if (e instanceof ControlError) throw new LabError(`cannot reach condisd: ${e.message}`);
    throw e;
  }
  const driver = controlDriver(map);
  return {
    ...driver,
    close: async () => {
      driver.close();
      for (const c of clients) {
        await c.sub.close().catch(() => {});
        c.client.close();
      }
    },
  };
}
