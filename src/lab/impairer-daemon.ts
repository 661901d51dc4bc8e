/**
 * The impairer daemon of a lab: when the kernel has no netem, `lab up` starts
 * it (detached, in the lab's segment namespace, `pids/lab.impairer.pid`) to
 * impair the links the topology impairs with the user-space relay
 * (src/faults/impair.ts), each direction by its own settings. It logs to
 * stdout (`lab up` sends that to `impairer.log` in the lab's run directory),
 * writes its counters to `impairer.stats.json` there (`ready: true` once
 * every relay forwards), and exits on SIGTERM or when its lab goes away
 * (state file gone or replaced, or a namespace of its relays deleted).
 *
 *   node src/lab/impairer-daemon.ts --run-dir /run/condis-lab/NAME [--seed N]
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { startRelay, type DirectionStats, type Relay } from '../faults/impair.js';
import { seededRandom } from '../common/random.js';
import { readState } from './lab-file.js';
import { describeNetem } from './topology.js';

export const IMPAIRER_STATS = 'impairer.stats.json';

export interface ImpairerStats {
  pid: number;
  ready: boolean;
  /** when the daemon stopped (absent while it runs) */
  stopped?: string;
  links: { host: string; ns: string; port: string; out: string; in: string; stats: { out: DirectionStats; in: DirectionStats } }[];
}

const program = new Command()
  .name('impairer-daemon')
  .requiredOption('--run-dir <dir>', "the lab's run directory (its lab.json lists the links to impair)")
  .option('--seed <n>', 'seed of the random choices (default: from the clock)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number of 0 or more');
    return n;
  })
  .parse();
const o = program.opts<{ runDir: string; seed?: number }>();
const log = pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });

const state = readState(o.runDir);
if (!state?.relays?.length) {
  log.error({ runDir: o.runDir }, 'no lab state with relayed links in the run directory: nothing to do');
  process.exit(2);
}
const createdAt = state.createdAt;
const rand = seededRandom(o.seed ?? Date.now() % 2 ** 31);
const statsFile = join(o.runDir, IMPAIRER_STATS);
const relays: { link: (typeof state.relays)[number]; relay: Relay }[] = [];
let ready = false;
let stopping = false;

function writeStats(stopped?: string): void {
  const s: ImpairerStats = {
    pid: process.pid,
    ready,
    ...(stopped ? { stopped } : {}),
    links: relays.map(({ link, relay }) => ({ host: link.host, ns: link.ns, port: link.port, out: describeNetem(link.out), in: describeNetem(link.in), stats: relay.stats() })),
  };
  try {
    const tmp = `${statsFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`);
    renameSync(tmp, statsFile);
  } catch (e) {
    if (!stopping) log.warn({ err: (e as Error).message }, 'cannot write the stats file');
  }
}

function stop(why: string, code = 0): void {
  if (stopping) return;
  stopping = true;
  log.info({ why }, 'stopping');
  for (const r of relays) r.relay.close();
  if (existsSync(o.runDir)) writeStats(new Date().toISOString());
  log.info({ links: relays.map(({ link, relay }) => ({ host: link.host, ...relay.stats() })) }, 'stopped');
  // pino writes stdout synchronously to a file; exit once it is written
  setImmediate(() => process.exit(code));
}

process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
process.on('uncaughtException', (e) => {
  log.error({ err: e.stack ?? String(e) }, 'unexpected error');
  stop('unexpected error', 1);
});

let errorsLogged = 0;
try {
  for (const link of state.relays) {
    const relay = startRelay(link, { ...(link.out ? { out: link.out } : {}), ...(link.in ? { in: link.in } : {}) }, {
      rand,
      onError: (where, e) => {
        // counted in the stats; the log gets the first few
        if (errorsLogged++ < 20) log.warn({ err: e.message }, where);
      },
    });
    relays.push({ link, relay });
    log.info({ host: link.host, ns: link.ns, port: link.port, out: describeNetem(link.out), in: describeNetem(link.in) }, `relay on ${link.port} (${link.host}'s link)`);
  }
} catch (e) {
  log.error({ err: (e as Error).message }, 'cannot start the relays');
  stop('cannot start the relays', 1);
}
if (!stopping) {
  ready = true;
  writeStats();
  // the lab went away (down, or up again with a new state) or a relay's namespace was deleted: exit
  setInterval(() => {
    const now = readState(o.runDir);
    if (!now || now.createdAt !== createdAt) return stop('the lab is gone');
    const gone = relays.find(({ link }) => !existsSync(`/run/netns/${link.ns}`));
    if (gone) return stop(`namespace ${gone.link.ns} is gone`);
    writeStats();
  }, 1000);
}
