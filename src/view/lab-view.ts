/** The live view of a lab: every switch and host whose condisd runs (its control socket exists); a switch shows as a node linked to its hosts. */
import { existsSync } from 'node:fs';
import { controlSocketOf, LabError, type Lab } from '../lab/lab.js';
import { startView, type ViewServer } from './server.js';

export async function labView(lab: Lab, opts: { port?: number; listen?: string } = {}): Promise<ViewServer> {
  const hosts = [...lab.switches, ...lab.hosts].map((h) => ({ name: h.name, socket: controlSocketOf(lab, h.name) })).filter((h) => existsSync(h.socket));
  if (!hosts.length) throw new LabError(`lab ${lab.name}: condisd runs in no host (no control socket under ${lab.runDir ?? 'the run directory'}); start the daemons first (e.g. npm run demo -- --keep)`);
  try {
    return await startView({ hosts, title: `lab ${lab.name}`, ...opts });
  } catch (e) {
    throw new LabError((e as Error).message);
  }
}
