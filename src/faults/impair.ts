/**
 * Impairment of a lab's links in user space, for kernels without sch_netem,
 * and the soak's and fault tests' handle on it (`impairment(lab)`).
 *
 * A relay sits between a host's link and the bridge it ends on (the segment's
 * bridge, or for a host on a port of an ATM switch the port's bridge in that
 * switch's namespace): the host's port link is taken out of the bridge, a veth
 * pair takes its place, and the relay forwards frames between the port link
 * and its end of the veth pair through libpcap. Each direction has its own
 * settings with netem's meaning: frames from the host (`out`, netem on the
 * host's uplink) and frames to the host (`in`, netem on the switch port) are
 * lost, duplicated, delayed with jitter, reordered or corrupted (one flipped
 * bit). The relay only exists inside the lab's own namespaces.
 *
 * `impairment(lab)` (soak, fault tests) uses the kernel's netem on every
 * host's uplink when the kernel has it, otherwise a relay per host impairing
 * frames from the host only, our EtherType only: so, as with netem on the
 * uplink, every frame is impaired once, by its sender's link. `lab up` runs
 * relays for the links a topology impairs in a daemon (src/lab/impairer-daemon.ts).
 */
import { run } from '../common/sh.js';
import { SEGMENT_BRIDGE, type Lab } from '../lab/lab.js';
import { insertRelayLink } from '../lab/system.js';
import { netemActive, netemArgs, type Netem } from '../lab/topology.js';
import { inNetns, loadNative, type NativePcap } from '../miniport/native.js';
import { seededRandom } from '../common/random.js';

export interface Impairment {
  kind: 'netem' | 'relay';
  set(n: Netem | undefined): Promise<void>;
  stats(): { forwarded: number; lost: number; duplicated: number; corrupted: number; reordered: number };
  close(): Promise<void>;
}

/** What a relay did to the frames of one direction. */
export interface DirectionStats {
  /** frames that arrived */
  frames: number;
  /** frames (copies included) handed on */
  sent: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  /** frames sent at once while others waited (netem's reorder) */
  reordered: number;
  /** frames held back for the delay */
  delayed: number;
  /** frames that could not be sent (counted and dropped) */
  errors: number;
}

export function emptyDirectionStats(): DirectionStats {
  return { frames: 0, sent: 0, lost: 0, duplicated: 0, corrupted: 0, reordered: 0, delayed: 0, errors: 0 };
}

/**
 * netem's meaning of settings for one frame: the copies to send and after how
 * many ms (none: lost). In netem's order: loss, then corruption (one random
 * bit), duplication, and per copy the delay with jitter, except a share
 * `reorder` that goes at once. `rand` returns numbers in [0, 1). Counts into `st`.
 */
export function impairFrame(f: Buffer, n: Netem | undefined, rand: () => number, st: DirectionStats): { frame: Buffer; delayMs: number }[] {
  st.frames++;
  if (!netemActive(n)) return [{ frame: f, delayMs: 0 }];
  if ((n.loss ?? 0) > 0 && rand() * 100 < n.loss!) {
    st.lost++;
    return [];
  }
  let out = f;
  if ((n.corrupt ?? 0) > 0 && f.length > 0 && rand() * 100 < n.corrupt!) {
    out = Buffer.from(f);
    const bit = Math.floor(rand() * out.length * 8);
    out[bit >> 3]! ^= 1 << (bit & 7);
    st.corrupted++;
  }
  const copies = (n.duplicate ?? 0) > 0 && rand() * 100 < n.duplicate! ? 2 : 1;
  if (copies === 2) st.duplicated++;
  const res: { frame: Buffer; delayMs: number }[] = [];
  for (let c = 0; c < copies; c++) {
    const delay = n.delay ?? 0;
    if (delay <= 0) res.push({ frame: out, delayMs: 0 });
    else if ((n.reorder ?? 0) > 0 && rand() * 100 < n.reorder!) {
      st.reordered++;
      res.push({ frame: out, delayMs: 0 });
    } else {
      const j = n.jitter ?? 0;
      st.delayed++;
      res.push({ frame: out, delayMs: Math.max(0, delay + (rand() * 2 - 1) * j) });
    }
  }
  return res;
}

/** Where one relay sits: the host's port link `port` in namespace `ns`, normally a port of `bridge`, and the veth pair `a` (the relay's end) / `b` (in the bridge). */
export interface RelayPlace {
  ns: string;
  bridge: string;
  port: string;
  a: string;
  b: string;
}

export interface RelaySettings {
  /** frames from the host */
  out?: Netem;
  /** frames to the host */
  in?: Netem;
}

export interface Relay {
  set(s: RelaySettings): void;
  stats(): { out: DirectionStats; in: DirectionStats };
  close(): void;
}

/**
 * Forward frames between a relay's port link and its veth end (the links must
 * already be in place: insertRelayLink), impairing each direction by its
 * settings. `filter` narrows what is forwarded (default: every frame).
 * `onError` hears of a capture or send failure (counted; the relay goes on).
 */
export function startRelay(
  place: RelayPlace,
  settings: RelaySettings,
  o: { rand: () => number; filter?: string; onError?: (where: string, e: Error) => void },
): Relay {
  let cur = settings;
  const st = { out: emptyDirectionStats(), in: emptyDirectionStats() };
  const readers: NativePcap[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const filter = o.filter ? `(${o.filter}) and inbound` : 'inbound';
  const native = loadNative();
  // our helper's libpcap reader (immediate mode; a link going down is reported, not fatal)
  const open = (dev: string, onFrame: (f: Buffer) => void): NativePcap => {
    const reader = inNetns(place.ns, () =>
      new native.PcapReader(
        dev,
        filter,
        64,
        (batch) => {
          if (!closed) for (const f of batch) onFrame(f);
        },
        (_errno, message) => {
          if (!closed) o.onError?.(`capturing on ${place.ns} ${dev}`, new Error(message));
        },
      ),
    );
    readers.push(reader);
    return reader;
  };
  const send = (to: NativePcap, f: Buffer, ds: DirectionStats, dir: string) => {
    if (closed) return;
    let ok = false;
    let err: Error | undefined;
    try {
      ok = to.send(f) >= 0;
    } catch (e) {
      err = e as Error;
    }
    if (ok) ds.sent++;
    else {
      ds.errors++;
      o.onError?.(`sending a ${f.length}-byte frame ${dir} on ${place.ns} ${dir === 'from the host' ? place.a : place.port}`, err ?? new Error('pcap_inject failed'));
    }
  };
  const forward = (to: NativePcap, f: Buffer, n: Netem | undefined, ds: DirectionStats, dir: string) => {
    for (const c of impairFrame(f, n, o.rand, ds)) {
      if (c.delayMs <= 0) send(to, c.frame, ds, dir);
      else {
        const tm = setTimeout(() => {
          timers.delete(tm);
          send(to, c.frame, ds, dir);
        }, c.delayMs);
        timers.add(tm);
      }
    }
  };
  function closeAll() {
    closed = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const r of readers.splice(0)) {
      try {
        r.close();
      } catch {
        /* closed already */
      }
    }
  }
  try {
    // the port link: what is sent there goes to the host; what it captures came from the host.
    // our veth end: sent there, a frame enters the bridge; captured there, it came from the bridge.
    const toSeg: { r?: NativePcap } = {};
    const toHost = open(place.port, (f) => toSeg.r && forward(toSeg.r, f, cur.out, st.out, 'from the host'));
    toSeg.r = open(place.a, (f) => forward(toHost, f, cur.in, st.in, 'to the host'));
  } catch (e) {
    closeAll();
    throw e;
  }
  return {
    set(s) {
      cur = s;
    },
    stats: () => ({ out: { ...st.out }, in: { ...st.in } }),
    close: closeAll,
  };
}

export async function kernelHasNetem(lab: Lab): Promise<boolean> {
  const h = lab.hosts[0]!;
  const r = await h.ns.exec('tc', ['qdisc', 'replace', 'dev', h.uplink, 'root', 'netem', 'delay', '0ms'], { allowFail: true });
  if (r.code === 0) await h.ns.exec('tc', ['qdisc', 'del', 'dev', h.uplink, 'root'], { allowFail: true });
  return r.code === 0;
}

export async function impairment(lab: Lab, seed = 1): Promise<Impairment> {
  if (await kernelHasNetem(lab)) return netemImpairment(lab);
  return relayImpairment(lab, seed);
}

function netemImpairment(lab: Lab): Impairment {
  return {
    kind: 'netem',
    async set(n) {
      for (const h of lab.hosts) {
        if (n) await h.ns.exec('tc', ['qdisc', 'replace', 'dev', h.uplink, 'root', 'netem', ...netemArgs(n)]);
        else await h.ns.exec('tc', ['qdisc', 'del', 'dev', h.uplink, 'root'], { allowFail: true });
      }
    },
    stats: () => ({ forwarded: 0, lost: 0, duplicated: 0, corrupted: 0, reordered: 0 }),
    async close() {
      await this.set(undefined);
    },
  };
}

/** The relay's place for each host of a lab (`ia<i>`/`ib<i>` by the host's index). */
export function relayPlaceOf(lab: Pick<Lab, 'hosts' | 'atmSwitch' | 'switchNs'>, hostIndex: number): RelayPlace {
  const h = lab.hosts[hostIndex]!;
  const at = h.atmSwitch ? lab.atmSwitch(h.atmSwitch.name) : undefined;
  const bridge = at ? at.ports.find((p) => p.name === h.atmSwitch!.port)!.bridge : SEGMENT_BRIDGE;
  return { ns: at ? at.nsName : lab.switchNs.name, bridge, port: h.switchPort, a: `ia${hostIndex}`, b: `ib${hostIndex}` };
}

async function relayImpairment(lab: Lab, seed: number): Promise<Impairment> {
  const rand = seededRandom(seed);
  const places = lab.hosts.map((_, i) => relayPlaceOf(lab, i));
  for (const p of places) await insertRelayLink(p);
  // frames from each host only: every frame is impaired once, by its sender's link
  const relays = places.map((p) => startRelay(p, {}, { rand, filter: 'ether proto 0x88b5' }));
  const sum = () => {
    const s = { forwarded: 0, lost: 0, duplicated: 0, corrupted: 0, reordered: 0 };
    for (const r of relays) {
      const o = r.stats().out;
      s.forwarded += o.frames;
      s.lost += o.lost;
      s.duplicated += o.duplicated;
      s.corrupted += o.corrupted;
      s.reordered += o.reordered;
    }
    return s;
  };
  return {
    kind: 'relay',
    async set(n) {
      for (const r of relays) r.set(n ? { out: n } : {});
    },
    stats: sum,
    async close() {
      for (const r of relays) r.close();
      for (const p of places) {
        await run('ip', ['-n', p.ns, 'link', 'del', p.a], { allowFail: true });
        await run('ip', ['-n', p.ns, 'link', 'set', p.port, 'master', p.bridge], { allowFail: true });
      }
    },
  };
}
