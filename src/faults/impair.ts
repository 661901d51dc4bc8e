/**
 * Impairment of a lab's segment for the fault tests and the soak (scripts/soak.ts): the kernel's netem
 * (`tc qdisc ... netem` on every host's uplink) when the kernel has sch_netem,
 * otherwise the same impairments done in user space by a relay in the
 * segment's namespace (for a host on a port of an ATM switch: in that
 * switch's namespace, on the port's bridge). The relay takes each host's
 * port link out of its bridge, puts a veth pair in its place, and forwards our EtherType
 * between the two through libpcap: frames from the host are lost,
 * duplicated, delayed with jitter, reordered or corrupted (one flipped bit)
 * with netem's meaning of the settings; frames to the host pass unchanged. So,
 * as with netem on the uplink, every frame is impaired once, by its sender's
 * link. The relay only exists inside the lab's own namespaces.
 */
import { run } from '../lab/sh.js';
import { SEGMENT_BRIDGE, type Lab } from '../lab/lab.js';
import { netemArgs, type Netem } from '../lab/topology.js';
import { newCap, type CapHandle } from '../miniport/pcap.js';
import { inNetns } from '../miniport/native.js';
import { seededRandom } from '../common/random.js';

export interface Impairment {
  kind: 'netem' | 'relay';
  set(n: Netem | undefined): Promise<void>;
  stats(): { forwarded: number; lost: number; duplicated: number; corrupted: number; reordered: number };
  close(): Promise<void>;
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

async function relayImpairment(lab: Lab, seed: number): Promise<Impairment> {
  const rand = seededRandom(seed);
  let settings: Netem | undefined;
  const st = { forwarded: 0, lost: 0, duplicated: 0, corrupted: 0, reordered: 0 };
  const caps: CapHandle[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const relays: { ns: string; bridge: string; port: string; a: string; b: string }[] = [];
  let closed = false;

  const open = (ns: string, dev: string, onFrame: (f: Buffer) => void): CapHandle => {
    const cap = newCap(`impair ${dev}`);
    const buf = Buffer.alloc(65535);
    inNetns(ns, () => cap.open(dev, 'ether proto 0x88b5 and inbound', 4 << 20, buf));
    cap.on('packet', (n) => onFrame(Buffer.from(buf.subarray(0, n))));
    caps.push(cap);
    return cap;
  };

  lab.hosts.forEach((h, i) => {
    // a host on an ATM switch port: its link ends on the port's bridge in the switch's namespace
    const at = h.atmSwitch ? lab.atmSwitch(h.atmSwitch.name) : undefined;
    const bridge = at ? at.ports.find((p) => p.name === h.atmSwitch!.port)!.bridge : SEGMENT_BRIDGE;
    relays.push({ ns: at ? at.nsName : lab.switchNs.name, bridge, port: h.switchPort, a: `ia${i}`, b: `ib${i}` });
  });
  for (const r of relays) {
    await run('ip', ['-n', r.ns, 'link', 'set', r.port, 'nomaster']);
    await run('ip', ['-n', r.ns, 'link', 'add', r.a, 'type', 'veth', 'peer', 'name', r.b]);
    await run('ip', ['-n', r.ns, 'link', 'set', r.b, 'master', r.bridge]);
    for (const d of [r.a, r.b, r.port]) await run('ip', ['-n', r.ns, 'link', 'set', d, 'up']);
  }
  for (const r of relays) {
    // toHost: the switch port (what is sent there goes to the host; what it captures came from the host)
    // toSeg: our end of the veth into the segment bridge (sent: to the segment; captured: from the segment)
    let toSeg: CapHandle | undefined;
    const later = (ms: number, fn: () => void) => {
      const tm = setTimeout(() => {
        timers.delete(tm);
        if (!closed) fn();
      }, ms);
      timers.add(tm);
    };
    const emit = (f: Buffer) => {
      const n = settings;
      st.forwarded++;
      if (!toSeg) return;
      const seg = toSeg;
      if (!n) return seg.send(f, f.length);
      if ((n.loss ?? 0) > 0 && rand() * 100 < n.loss!) return void st.lost++;
      let out = f;
      if ((n.corrupt ?? 0) > 0 && rand() * 100 < n.corrupt!) {
        out = Buffer.from(f);
        const bit = Math.floor(rand() * out.length * 8);
        out[bit >> 3]! ^= 1 << (bit & 7);
        st.corrupted++;
      }
      const copies = (n.duplicate ?? 0) > 0 && rand() * 100 < n.duplicate! ? 2 : 1;
      if (copies === 2) st.duplicated++;
      for (let c = 0; c < copies; c++) {
        const delay = n.delay ?? 0;
        if (delay <= 0) {
          seg.send(out, out.length);
          continue;
        }
        // netem: a share `reorder` goes at once, the others wait delay +- jitter
        if ((n.reorder ?? 0) > 0 && rand() * 100 < n.reorder!) {
          st.reordered++;
          seg.send(out, out.length);
          continue;
        }
        const j = n.jitter ?? 0;
        const frame = out;
        later(Math.max(0, delay + (rand() * 2 - 1) * j), () => seg.send(frame, frame.length));
      }
    };
    const toHost = open(r.ns, r.port, (f) => emit(f));
    toSeg = open(r.ns, r.a, (f) => toHost.send(f, f.length));
  }

  return {
    kind: 'relay',
    async set(n) {
      settings = n;
    },
    stats: () => ({ ...st }),
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      for (const c of caps) {
        c.removeAllListeners();
        c.close();
      }
      for (const r of relays) {
        await run('ip', ['-n', r.ns, 'link', 'del', r.a], { allowFail: true });
        await run('ip', ['-n', r.ns, 'link', 'set', r.port, 'master', r.bridge], { allowFail: true });
      }
    },
  };
}
