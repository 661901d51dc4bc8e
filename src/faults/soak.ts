/**
 * The soak (`npm run soak`, the short form in test/faults/soak.test.ts): a
 * lab of N hosts, condisd in each: `switchHosts` of them (s1, s2, ...) on the
 * ports of an ATM switch (condisd with role: switch, sw1), the others (h1,
 * h2, ...) on one bridged segment; every host's link impaired (loss and
 * reordering, src/faults/impair.ts), and `calls` slots that each churn calls
 * for the whole run through the daemons' control sockets, a slot's caller
 * calling hosts of its own kind (segment hosts directly, switch hosts
 * through the switch):
 *
 * - two cycles in three: a point-to-point call to a random host, held, then
 *   closed with close data;
 * - one in three (where the caller has two others to call): a multipoint call
 *   to one host, a second party added, held, that party dropped with close
 *   data, then the call closed with close data.
 *
 * During the run one segment host's uplink is bounced (down for `bounceMs`,
 * shorter than T309, so its calls should survive) and another segment host's
 * daemon is killed (SIGKILL) and started again. The soak checks:
 *
 * - no daemon dies (other than the one it kills, whose successor must live);
 * - every close data arrives exactly once where the call was undisturbed
 *   (neither end the killed host or the bounced host while that was going
 *   on), at most once elsewhere, and never where it was not sent;
 * - every cycle ends in a known state (completed, refused with a status,
 *   cleared by the network), and afterwards every daemon holds no call,
 *   party or VC, and the switch no call and no fabric entry;
 * - memory is flat: V8's collections make a daemon's RSS swing by tens of
 *   MiB between samples, so single samples prove nothing; what a leak does is
 *   raise the ceiling. The highest RSS in the last third of the churn may
 *   exceed the highest between the ramp-up and that third by at most the
 *   bound. The restarted daemon is reported, not judged (it warms up from its
 *   restart). RSS after the run (drained) is reported as well.
 * - with `heap`, the live heap after a full GC of every daemon (a heap
 *   snapshot, heap.ts) once all are linked, before the churn, and again after
 *   the drain: RSS says what the process holds, this what the program keeps.
 *   Its rise is reported with the constructors that grew most; it is judged
 *   against `heapBound` (the restarted daemon is reported from its restart).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { filter } from 'rxjs';
import { connectControl, type ControlClient, type EventSubscription } from '../control/client.js';
import { ControlError } from '../control/errors.js';
import type { ControlEvent } from '../control/backend.js';
import { entryArgs } from '../common/package-root.js';
import { heapGrowers, heapSnapshotFlags, snapshotHeap, type HeapSummary } from './heap.js';
import { seededRandom } from '../common/random.js';
import { neighbourMacs, PROJECT_ROOT, writeDaemonConfig, writeSwitchConfig } from '../demo/daemons.js';
import { labUp, type Lab, type LabProcess } from '../lab/lab.js';
import { uniqueName } from '../lab/netns.js';
import { topologyFrom } from '../lab/topology.js';
import { impairment, type Impairment } from './impair.js';

export interface SoakOptions {
  /** hosts in the lab, on the segment and on the switch (at least 3 on the segment: one bounced, one restarted, the rest steady) */
  hosts: number;
  /** how many of the hosts are on ports of the switch sw1 (0: no switch) */
  switchHosts: number;
  /** call slots churning at once */
  calls: number;
  durationMs: number;
  /** percent of frames lost on every link, and percent sent out of order */
  lossPct: number;
  reorderPct: number;
  /** how long a call is held, ms: uniform in [min, max] */
  holdMs: [number, number];
  /** how long the bounced uplink stays down (keep it under T309, 10 s) */
  bounceMs: number;
  /** allowed rise of a daemon's RSS ceiling, last third of the churn against the part before (after ramp-up), bytes */
  rssBound: number;
  /** measure every daemon's heap after a full GC before the churn and after the drain (heap snapshots) */
  heap: boolean;
  /** allowed rise of that heap from before the churn to after the drain, bytes */
  heapBound: number;
  seed: number;
  /** progress lines */
  log?: (line: string) => void;
  /** lab name (default: a unique one) */
  name?: string;
}

export const SOAK_DEFAULTS: Readonly<SoakOptions> = Object.freeze({
  hosts: 8,
  switchHosts: 3,
  calls: 1000,
  durationMs: 10 * 60_000,
  lossPct: 10,
  reorderPct: 10,
  holdMs: [1000, 5000] as [number, number],
  bounceMs: 3000,
  rssBound: 48 * 1048576,
  heap: true,
  heapBound: 8 * 1048576,
  seed: 1,
});

/** SSCOP timers for a lossy segment: frequent polls and a long NO_RESPONSE, so 10% loss does not end links */
export const SOAK_TIMERS = { sscop: { cc: '500ms', poll: '300ms', keepAlive: '1s', idle: '2s', noResponse: '6s', maxCC: 10 } };

export type Outcome = 'completed' | 'make-refused' | 'add-refused' | 'drop-refused' | 'close-refused' | 'cleared-by-network' | 'caller-killed' | 'control-error';

export interface RssSample {
  atS: number;
  /** MiB by host */
  mib: Record<string, number>;
}

export interface SoakReport {
  options: Omit<SoakOptions, 'log'>;
  impairment: string;
  seconds: number;
  cycles: number;
  outcomes: Record<Outcome, number>;
  cyclesPerS: number;
  /** calls up at once: the largest count seen, and the mean over the churn phase */
  concurrentMax: number;
  concurrentMean: number;
  closeData: { sent: number; sentUndisturbed: number; arrivedOnce: number; missingUndisturbed: number; missingDisturbed: number; duplicated: number; unknown: number };
  events: { bounce?: { host: string; atS: number; downMs: number }; restart?: { host: string; atS: number; backAfterS: number } };
  crashed: string[];
  leftBehind: string[];
  rss: {
    samples: RssSample[];
    afterRampMiB: Record<string, number>;
    afterRunMiB: Record<string, number>;
    /** highest RSS from the ramp-up to the last third, and in the last third, MiB */
    peakBeforeMiB: Record<string, number>;
    peakLastThirdMiB: Record<string, number>;
    growthMiB: Record<string, number>;
  };
  /** live heap after a full GC, MiB by daemon: before the churn, after the drain, the rise, and what grew most */
  heap?: {
    startMiB: Record<string, number>;
    endMiB: Record<string, number>;
    growthMiB: Record<string, number>;
    growers: Record<string, { name: string; count: number; bytes: number }[]>;
  };
  /** cycles whose caller and callees are hosts on the switch (every call of theirs crosses sw1): all, and completed */
  throughSwitch?: { cycles: number; completed: number };
  relay: ReturnType<Impairment['stats']>;
  failures: string[];
  ok: boolean;
}

interface Daemon {
  host: string;
  address: string;
  proc: LabProcess;
  socket: string;
  control: ControlClient;
  sub: EventSubscription;
  /** set while the daemon is being restarted: no requests to it */
  down: boolean;
}

interface SwitchDaemon {
  host: string;
  proc: LabProcess;
  control: ControlClient;
}

/** the soak's ATM switch */
const SWITCH = 'sw1';

const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

interface SentTag {
  to: string;
  /** both ends steady while the cycle ran */
  disturbed: boolean;
  ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssOf(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const errText = (e: unknown) => (e instanceof ControlError ? `${e.code}${e.ndisStatus ? ` ${e.ndisStatus.name}` : ''}` : (e as Error).message);

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const log = opts.log ?? (() => {});
  const segmentHosts = opts.hosts - opts.switchHosts;
  if (segmentHosts < 3) throw new RangeError(`the soak needs at least 3 hosts on the segment (${opts.hosts} hosts, ${opts.switchHosts} of them on the switch)`);
  if (opts.switchHosts === 1) throw new RangeError('hosts on the switch: 0, or at least 2 (they call each other through it)');
  const rand = seededRandom(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const name = opts.name ?? uniqueName('soak');
  const topology = topologyFrom(
    {
      name,
      segment: { kind: 'bridged' },
      ...(opts.switchHosts ? { switches: [{ name: SWITCH }] } : {}),
      hosts: [
        ...Array.from({ length: segmentHosts }, (_, i) => ({ name: `h${i + 1}`, mac: `02:00:00:00:50:${(i + 1).toString(16).padStart(2, '0')}`, address: `${5001 + i}` })),
        ...Array.from({ length: opts.switchHosts }, (_, i) => ({ name: `s${i + 1}`, mac: `02:00:00:00:51:${(i + 1).toString(16).padStart(2, '0')}`, address: `${5101 + i}`, switch: SWITCH })),
      ],
    },
    name,
  );
  const failures: string[] = [];
  const lab = await labUp(topology);
  const daemons = new Map<string, Daemon>();
  let imp: Impairment | undefined;
  const received = new Map<string, number>();
  const sent = new Map<string, SentTag>();
  let unknownTags = 0;
  const t0 = Date.now();
  const at = () => (Date.now() - t0) / 1000;
  /** hosts disturbed now (bounced or restarting), and until when their calls count as disturbed */
  const disturbed = new Map<string, number>();
  const isDisturbed = (h: string) => (disturbed.get(h) ?? 0) > Date.now();
  const report: Partial<SoakReport> & { events: SoakReport['events'] } = { events: {} };
  const crashed: string[] = [];
  const runDirOf = (name: string) => (name === SWITCH ? lab.atmSwitch(name).runDir : lab.host(name).runDir);
  const nodeArgs = (name: string) => (opts.heap ? heapSnapshotFlags(runDirOf(name)) : []);
  let sw: SwitchDaemon | undefined;

  const startSwitch = async (): Promise<SwitchDaemon> => {
    const { file, socket } = writeSwitchConfig(lab, SWITCH, { timers: SOAK_TIMERS, logLevel: 'warn' });
    writeFileSync(file, `${readFileSync(file, 'utf8')}limits:\n  calls: 8192\n  partiesPerCall: 64\n`);
    const proc = lab.spawn(SWITCH, process.execPath, [...nodeArgs(SWITCH), ...entryArgs('daemons/condisd'), '--config', file], { name: 'condisd', cwd: PROJECT_ROOT });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (existsSync(socket)) {
        try {
          return { host: SWITCH, proc, control: await connectControl(socket, { helloTimeoutMs: 5000 }) };
        } catch {
          // not ready yet
        }
      }
      if (!alive(proc.pid) || Date.now() > deadline) {
        const tail = existsSync(proc.logFile) ? readFileSync(proc.logFile, 'utf8').slice(-2000) : '';
        throw new Error(`the switch's condisd did not come up; log:\n${tail}`);
      }
      await sleep(100);
    }
  };

  const start = async (host: string): Promise<Daemon> => {
    const { file, socket } = writeDaemonConfig(lab, host, { timers: SOAK_TIMERS, logLevel: 'warn' });
    // limits sized for the slots: every call is counted at both ends, parties at the root
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, `${text}limits:\n  calls: 8192\n  partiesPerCall: 64\n  pendingRequests: 8192\n`);
    const proc = lab.spawn(host, process.execPath, [...nodeArgs(host), ...entryArgs('daemons/condisd'), '--config', file], { name: 'condisd', cwd: PROJECT_ROOT });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (existsSync(socket)) {
        try {
          const control = await connectControl(socket, { helloTimeoutMs: 5000 });
          const sub = await control.subscribe({ kinds: ['incoming-close-call'] });
          const address = lab.host(host).address;
          await control.registerSap({ address, policy: 'accept' });
          const d: Daemon = { host, address, proc, socket, control, sub, down: false };
          sub.events$.pipe(filter((e): e is Extract<ControlEvent, { kind: 'incoming-close-call' }> => e.kind === 'incoming-close-call')).subscribe((e) => {
            const tag = e.closeData?.toString('latin1');
            if (!tag?.startsWith('soak:')) return;
            if (!sent.has(tag) && !pendingTags.has(tag)) unknownTags++;
            received.set(tag, (received.get(tag) ?? 0) + 1);
          });
          return d;
        } catch {
          // not ready yet
        }
      }
      if (!alive(proc.pid) || Date.now() > deadline) {
        const tail = existsSync(proc.logFile) ? readFileSync(proc.logFile, 'utf8').slice(-2000) : '';
        throw new Error(`condisd in ${host} did not come up; log:\n${tail}`);
      }
      await sleep(100);
    }
  };
  /** close data about to be sent (a request in flight): a tag arriving before its request returns is not unknown */
  const pendingTags = new Set<string>();

  try {
    log(
      `soak ${name}: ${opts.hosts} hosts (${opts.switchHosts ? `${opts.switchHosts} on switch ${SWITCH}` : 'no switch'}), ${opts.calls} call slots, ${opts.durationMs / 1000} s, loss ${opts.lossPct}%, reorder ${opts.reorderPct}%`,
    );
    if (opts.switchHosts) sw = await startSwitch();
    for (const h of lab.hosts) daemons.set(h.name, await start(h.name));
    const waitLinks = async (d: Daemon, ms = 60_000) => {
      const deadline = Date.now() + ms;
      // segment hosts: every other segment host; a host on the switch: its switch port
      const want = neighbourMacs(lab, d.host);
      for (;;) {
        const links = (await d.control.links()) as { peer: string; established: boolean }[];
        if (want.every((m) => links.some((l) => l.peer === m && l.established))) return;
        if (Date.now() > deadline) throw new Error(`${d.host}: links not up after ${ms / 1000} s`);
        await sleep(200);
      }
    };
    for (const d of daemons.values()) await waitLinks(d);
    // the heap of every daemon after a full GC, linked and idle: the baseline of the end's figure
    const heapStart = new Map<string, HeapSummary>();
    const measureHeap = async (into: Map<string, HeapSummary>) => {
      for (const d of [...(sw ? [sw] : []), ...daemons.values()]) {
        if (!alive(d.proc.pid)) continue;
        into.set(d.host, await snapshotHeap(d.proc.pid, runDirOf(d.host), () => d.control.info()));
      }
    };
    if (opts.heap) {
      await measureHeap(heapStart);
      log(`${at().toFixed(0)} s: heap after GC (MiB): ${[...heapStart].map(([h, x]) => `${h} ${mib(x.bytes)}`).join(', ')}`);
    }
    imp = await impairment(lab, opts.seed);
    await imp.set({ loss: opts.lossPct, reorder: opts.reorderPct, delay: 10, jitter: 5 });
    log(`${at().toFixed(0)} s: daemons up and linked; impairment: ${imp.kind}`);

    // ---- the churn
    const outcomes: Record<Outcome, number> = { completed: 0, 'make-refused': 0, 'add-refused': 0, 'drop-refused': 0, 'close-refused': 0, 'cleared-by-network': 0, 'caller-killed': 0, 'control-error': 0 };
    let cycles = 0;
    let up = 0;
    let upMax = 0;
    let upSum = 0;
    let upN = 0;
    const endAt = Date.now() + opts.durationMs;
    const names = lab.hosts.map((h) => h.name);
    const onSwitch = (h: string) => lab.host(h).atmSwitch !== undefined;
    const segment = names.filter((h) => !onSwitch(h));
    const bounced = segment[1]!;
    const restarted = segment[2]!;
    const throughSwitch = { cycles: 0, completed: 0 };
    const hold = () => opts.holdMs[0] + rand() * (opts.holdMs[1] - opts.holdMs[0]);

    const cycle = async (slot: number, n: number): Promise<void> => {
      const caller = daemons.get(names[slot % names.length]!)!;
      if (caller.down) {
        await sleep(500);
        return;
      }
      // hosts of the caller's kind: on the segment, or behind the switch (every such call crosses it)
      const switched = onSwitch(caller.host);
      const others = names.filter((o) => o !== caller.host && onSwitch(o) === switched);
      const x = pick(others);
      const multipoint = others.length >= 2 && rand() < 1 / 3;
      const y = multipoint ? pick(others.filter((o) => o !== x)) : x;
      const hosts = multipoint ? [caller.host, x, y] : [caller.host, x];
      if (switched) throughSwitch.cycles++;
      let dist = hosts.some(isDisturbed);
      const ctl = caller.control;
      const tag = (k: string) => `soak:${slot}:${n}:${k}`;
      const addrOf = (h: string) => daemons.get(h)!.address;
      const send = async (t: string, to: string, req: () => Promise<unknown>): Promise<boolean> => {
        pendingTags.add(t);
        try {
          await req();
          sent.set(t, { to, disturbed: dist || hosts.some(isDisturbed), ok: true });
          return true;
        } catch (e) {
          sent.set(t, { to, disturbed: true, ok: false });
          throw e;
        } finally {
          pendingTags.delete(t);
        }
      };
      let vc: number | undefined;
      let made = false;
      let stage: Outcome = 'make-refused';
      try {
        const call = (await (multipoint ? ctl.makeCall({ parties: [addrOf(x)] }) : ctl.makeCall({ called: addrOf(x) }))) as { vc: number };
        vc = call.vc;
        made = true;
        up++;
        upMax = Math.max(upMax, up);
        let party: number | undefined;
        if (multipoint) {
          stage = 'add-refused';
          party = ((await ctl.addParty({ vc, address: addrOf(y) })) as { party: number }).party;
        }
        await sleep(hold());
        dist ||= hosts.some(isDisturbed);
        if (party !== undefined) {
          stage = 'drop-refused';
          await send(tag('d'), y, () => ctl.dropParty({ vc: vc!, party: party!, closeData: tag('d') }));
        }
        stage = 'close-refused';
        await send(tag('c'), x, () => ctl.closeCall({ vc: vc!, closeData: tag('c') }));
        vc = undefined;
        outcomes.completed++;
        if (switched) throughSwitch.completed++;
      } catch (e) {
        const known = e instanceof ControlError && ['wrong-state', 'not-found', 'failed', 'unsupported'].includes(e.code);
        // a call the network cleared under us: its VC is gone or closing (the daemon's policy answered)
        const gone = known && (e.code === 'wrong-state' || e.code === 'not-found');
        if (known) outcomes[gone && stage !== 'make-refused' ? 'cleared-by-network' : stage]++;
        else if (caller.down) outcomes['caller-killed']++;
        else {
          outcomes['control-error']++;
          if (failures.length < 20) failures.push(`slot ${slot} cycle ${n}: ${stage}: ${errText(e)}`);
        }
        if (vc !== undefined && !caller.down) await ctl.closeCall({ vc }).catch(() => {});
      } finally {
        if (made) up--;
        cycles++;
      }
    };

    const slotLoop = async (slot: number): Promise<void> => {
      await sleep((slot / opts.calls) * Math.min(20_000, opts.durationMs / 4)); // ramp up
      for (let n = 0; Date.now() < endAt; n++) await cycle(slot, n);
    };
    const churn = Promise.all(Array.from({ length: opts.calls }, (_, i) => slotLoop(i)));

    // ---- sampling, the bounce and the restart
    const samples: RssSample[] = [];
    let afterRamp: Record<string, number> | undefined;
    const sample = () => {
      const mib: Record<string, number> = {};
      for (const d of [...daemons.values(), ...(sw ? [sw] : [])]) {
        const r = rssOf(d.proc.pid);
        if (r !== undefined) mib[d.host] = Math.round((r / 1048576) * 10) / 10;
      }
      samples.push({ atS: Math.round(at()), mib });
      return mib;
    };
    const churnStart = Date.now();
    const rampMs = Math.min(20_000, opts.durationMs / 4) + opts.holdMs[1];
    const sampler = setInterval(() => {
      sample();
      upSum += up;
      upN++;
      for (const d of daemons.values()) if (!d.down && !alive(d.proc.pid) && !crashed.includes(d.host)) crashed.push(d.host);
      if (sw && !alive(sw.proc.pid) && !crashed.includes(SWITCH)) crashed.push(SWITCH);
      if (!afterRamp && Date.now() - churnStart > rampMs) afterRamp = samples.at(-1)!.mib;
      log(`${at().toFixed(0)} s: ${cycles} cycles, ${up} calls up, outcomes ${JSON.stringify(outcomes)}`);
    }, Math.max(1000, Math.min(10_000, opts.durationMs / 30)));

    const disruptions = (async () => {
      await sleep(opts.durationMs / 3);
      if (Date.now() >= endAt) return;
      const h = lab.host(bounced);
      disturbed.set(bounced, Date.now() + opts.bounceMs + 15_000);
      report.events.bounce = { host: bounced, atS: Math.round(at()), downMs: opts.bounceMs };
      log(`${at().toFixed(0)} s: ${bounced} uplink down for ${opts.bounceMs} ms`);
      await h.ns.ip(['link', 'set', h.uplink, 'down']);
      await sleep(opts.bounceMs);
      await h.ns.ip(['link', 'set', h.uplink, 'up']);
      await sleep(Math.max(0, t0 + (2 * (endAt - t0)) / 3 - Date.now()));
      if (Date.now() >= endAt) return;
      const old = daemons.get(restarted)!;
      old.down = true;
      disturbed.set(restarted, Number.POSITIVE_INFINITY);
      const killedAt = at();
      log(`${killedAt.toFixed(0)} s: SIGKILL condisd in ${restarted}`);
      old.control.close();
      process.kill(old.proc.pid, 'SIGKILL');
      for (let i = 0; i < 100 && alive(old.proc.pid); i++) await sleep(50);
      await lab.stop(restarted, 'condisd');
      const fresh = await start(restarted);
      daemons.set(restarted, fresh);
      await waitLinks(fresh, 60_000).catch((e: Error) => failures.push(`after the restart: ${e.message}`));
      disturbed.set(restarted, Date.now() + 15_000);
      report.events.restart = { host: restarted, atS: Math.round(killedAt), backAfterS: Math.round(at() - killedAt) };
      log(`${at().toFixed(0)} s: ${restarted} back and linked`);
    })();

    await churn;
    await disruptions;
    clearInterval(sampler);
    const seconds = (Date.now() - churnStart) / 1000;
    log(`${at().toFixed(0)} s: churn over, ${cycles} cycles; draining`);

    // ---- afterwards: no impairment, everything drained, close data counted
    await imp.set(undefined);
    const leftBehind: string[] = [];
    for (const d of daemons.values()) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const c = (await d.control.counters()) as Record<string, Record<string, number>>;
        const left = { vcs: c.ndis?.vcs ?? -1, parties: c.ndis?.parties ?? -1, calls: c.uni?.calls ?? -1, activeVcs: c.datapath?.activeVcs ?? -1 };
        if (Object.values(left).every((v) => v === 0)) break;
        if (Date.now() > deadline) {
          leftBehind.push(`${d.host}: ${JSON.stringify(left)}`);
          break;
        }
        await sleep(500);
      }
    }
    if (sw) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const c = (await sw.control.counters()) as Record<string, Record<string, number>>;
        const left = { calls: c.switch?.calls ?? -1, parties: c.switch?.parties ?? -1, connections: c.fabric?.entries ?? -1 };
        if (Object.values(left).every((v) => v === 0)) break;
        if (Date.now() > deadline) {
          leftBehind.push(`${SWITCH}: ${JSON.stringify(left)}`);
          break;
        }
        await sleep(500);
      }
    }
    await sleep(2000); // late close data
    const afterRun = sample();
    for (const d of daemons.values()) if (!alive(d.proc.pid) && !crashed.includes(d.host)) crashed.push(d.host);
    if (sw && !alive(sw.proc.pid) && !crashed.includes(SWITCH)) crashed.push(SWITCH);

    // the heap after the drain, against the baseline (the restarted daemon: a new process, no baseline)
    let heap: SoakReport['heap'];
    if (opts.heap) {
      const heapEnd = new Map<string, HeapSummary>();
      await measureHeap(heapEnd);
      heap = { startMiB: {}, endMiB: {}, growthMiB: {}, growers: {} };
      for (const [h, end] of heapEnd) {
        heap.endMiB[h] = mib(end.bytes);
        const start = h === restarted && report.events.restart ? undefined : heapStart.get(h);
        if (!start) continue;
        heap.startMiB[h] = mib(start.bytes);
        heap.growthMiB[h] = mib(end.bytes - start.bytes);
        heap.growers[h] = heapGrowers(start, end, 6);
        if (end.bytes - start.bytes > opts.heapBound) failures.push(`${h}: heap after GC rose ${heap.growthMiB[h]} MiB over the run (${heap.growers[h].map((g) => `${g.name} +${g.count}`).join(', ')})`);
      }
      log(`${at().toFixed(0)} s: heap after GC (MiB) before -> after: ${Object.keys(heap.endMiB).map((h) => `${h} ${heap!.startMiB[h] ?? '(restarted)'} -> ${heap!.endMiB[h]}`).join(', ')}`);
    }

    let arrivedOnce = 0;
    let missingUndisturbed = 0;
    let missingDisturbed = 0;
    let duplicated = 0;
    let sentUndisturbed = 0;
    for (const [t, s] of sent) {
      const n = received.get(t) ?? 0;
      if (n === 1) arrivedOnce++;
      if (n > 1) duplicated++;
      const strict = s.ok && !s.disturbed;
      if (strict) sentUndisturbed++;
      if (n === 0 && strict) missingUndisturbed++;
      if (n === 0 && !strict) missingDisturbed++;
    }
    for (const t of received.keys()) if (!sent.has(t)) unknownTags++;

    const growth: Record<string, number> = {};
    const peakBefore: Record<string, number> = {};
    const peakLast: Record<string, number> = {};
    const ramp = afterRamp ?? samples[0]?.mib ?? {};
    const churnSamples = samples.slice(0, -1); // the last one is after the drain
    const rampAt = churnSamples.findIndex((x) => x.mib === afterRamp);
    const steady = churnSamples.slice(Math.max(0, rampAt));
    const cut = Math.floor((steady.length * 2) / 3);
    for (const h of Object.keys(afterRun)) {
      const before = steady.slice(0, cut).map((x) => x.mib[h]).filter((v): v is number => v !== undefined);
      const last = steady.slice(cut).map((x) => x.mib[h]).filter((v): v is number => v !== undefined);
      if (!before.length || !last.length) continue;
      peakBefore[h] = Math.max(...before);
      peakLast[h] = Math.max(...last);
      growth[h] = Math.round((peakLast[h]! - peakBefore[h]!) * 10) / 10;
    }
    if (crashed.length) failures.push(`daemons died: ${crashed.join(', ')}`);
    if (leftBehind.length) failures.push(`left behind: ${leftBehind.join('; ')}`);
    if (missingUndisturbed) failures.push(`${missingUndisturbed} close data of undisturbed calls never arrived`);
    if (duplicated) failures.push(`${duplicated} close data arrived more than once`);
    if (unknownTags) failures.push(`${unknownTags} close data arrived that was never sent`);
    if (outcomes['control-error']) failures.push(`${outcomes['control-error']} cycles ended in a control error (not a known state)`);
    // (the restarted daemon is reported, not judged: it is still warming up from its restart)
    for (const [h, g] of Object.entries(growth)) if (h !== restarted && g * 1048576 > opts.rssBound) failures.push(`${h}: RSS ceiling rose ${g} MiB in the last third of the run`);
    if (outcomes.completed === 0) failures.push('no cycle completed');

    const { log: _log, ...options } = opts;
    return {
      options,
      impairment: imp.kind,
      seconds: Math.round(seconds),
      cycles,
      outcomes,
      cyclesPerS: Math.round((cycles / seconds) * 10) / 10,
      concurrentMax: upMax,
      concurrentMean: upN ? Math.round(upSum / upN) : 0,
      closeData: { sent: sent.size, sentUndisturbed, arrivedOnce, missingUndisturbed, missingDisturbed, duplicated, unknown: unknownTags },
      events: report.events,
      crashed,
      leftBehind,
      rss: { samples, afterRampMiB: ramp, afterRunMiB: afterRun, peakBeforeMiB: peakBefore, peakLastThirdMiB: peakLast, growthMiB: growth },
      ...(heap ? { heap } : {}),
      ...(sw ? { throughSwitch } : {}),
      relay: imp.stats(),
      failures,
      ok: failures.length === 0,
    };
  } finally {
    for (const d of daemons.values()) d.control.close();
    sw?.control.close();
    await imp?.close().catch(() => {});
    await lab.down().catch(() => {});
  }
}

/** the report as the lines docs/robustness.md quotes */
export function formatSoak(r: SoakReport): string {
  const lines = [
    `soak: ${r.options.hosts} hosts, ${r.options.calls} call slots, ${r.seconds} s of churn, loss ${r.options.lossPct}% and reorder ${r.options.reorderPct}% on every link (${r.impairment})`,
    `cycles: ${r.cycles} (${r.cyclesPerS}/s); calls up at once: max ${r.concurrentMax}, mean ${r.concurrentMean}${r.throughSwitch ? `; through switch ${SWITCH}: ${r.throughSwitch.cycles} cycles, ${r.throughSwitch.completed} completed` : ''}`,
    `outcomes: ${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `close data: sent ${r.closeData.sent}, arrived exactly once ${r.closeData.arrivedOnce}; undisturbed ${r.closeData.sentUndisturbed}, missing ${r.closeData.missingUndisturbed}; disturbed missing ${r.closeData.missingDisturbed}; duplicated ${r.closeData.duplicated}; unknown ${r.closeData.unknown}`,
    `bounce: ${r.events.bounce ? `${r.events.bounce.host} at ${r.events.bounce.atS} s for ${r.events.bounce.downMs} ms` : 'not reached'}; restart: ${r.events.restart ? `${r.events.restart.host} killed at ${r.events.restart.atS} s, linked again after ${r.events.restart.backAfterS} s` : 'not reached'}`,
    `relay: ${JSON.stringify(r.relay)}`,
    `RSS MiB after ramp-up: ${JSON.stringify(r.rss.afterRampMiB)}`,
    `RSS MiB after the run (drained): ${JSON.stringify(r.rss.afterRunMiB)}`,
    `RSS ceiling MiB before the last third: ${JSON.stringify(r.rss.peakBeforeMiB)}; in the last third: ${JSON.stringify(r.rss.peakLastThirdMiB)}; rise ${JSON.stringify(r.rss.growthMiB)}`,
    `RSS over time (s: MiB by host): ${r.rss.samples.map((s) => `${s.atS}: ${Object.values(s.mib).join('/')}`).join('; ')}`,
    ...(r.heap
      ? [
          `heap after a full GC, MiB, before the churn -> after the drain: ${Object.keys(r.heap.endMiB).map((h) => `${h} ${r.heap!.startMiB[h] ?? '(restarted)'} -> ${r.heap!.endMiB[h]}`).join(', ')}`,
          `heap rise MiB: ${JSON.stringify(r.heap.growthMiB)}; grew most: ${Object.entries(r.heap.growers)
            .map(([h, gs]) => `${h}: ${gs.slice(0, 3).map((g) => `${g.name} +${g.count} (${Math.round(g.bytes / 1024)} KiB)`).join(', ') || '-'}`)
            .join('; ')}`,
        ]
      : []),
    r.ok ? 'soak: ok' : `soak: FAILED\n  ${r.failures.join('\n  ')}`,
  ];
  return lines.join('\n');
}
