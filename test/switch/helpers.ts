/**
 * A switch with complete endpoint hosts on its ports, all over the memory
 * miniport: each port has its own segment (hub) with one host on it, and a
 * promiscuous listener on every segment that decodes the Q.2931 messages
 * crossing it (what a capture on that wire would show).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CondisNode } from '../../src/host/node.js';
import type { Netns } from '../../src/lab/netns.js';
import { readPcap } from '../../src/capture/pcap.js';
import { openMemorySync } from '../../src/miniport/index.js';
import { parsePdu } from '../../src/sscop/index.js';
import { createSwitch, type AtmSwitch, type SwitchOptions } from '../../src/switch/index.js';
import { closeDataOf } from '../../src/uni/call-ies.js';
import { decodeMessage, messageName, findIe, IeId } from '../../src/uni/msg/index.js';
import { parseFrame, VCI_SIGNALLING } from '../../src/wire/index.js';
import type { Miniport } from '../../src/miniport/types.js';
import { nodeOptions } from '../helpers/nodes.js';
import { waitUntil } from '../helpers/wait.js';

let counter = 0;

export interface WireMessage {
  /** 'up': host -> switch; 'down': switch -> host */
  dir: 'up' | 'down';
  name: string;
  callRef: number;
  epref?: number;
  cause?: number;
  closeData?: string;
}

export interface SwitchLab {
  sw: AtmSwitch;
  hosts: CondisNode[];
  /** Q.2931 messages seen on each port's segment, in order */
  wire: WireMessage[][];
  close(): Promise<void>;
}

/**
 * Decode every Q.2931 message `tap` (a promiscuous listener) sees on its segment into `seen`;
 * 'down' when it comes from `downFrom` (the switch port), else 'up'.
 */
export function recordSignalling(tap: Miniport, downFrom: string, seen: WireMessage[]): void {
  tap.frames$.subscribe((buf) => {
    const f = parseFrame(buf);
    if (!f.ok || f.value.cell.vci !== VCI_SIGNALLING) return;
    const pdu = parsePdu(Buffer.from(f.value.sdu));
    if (!pdu.ok || pdu.value.type !== 'SD') return;
    const m = decodeMessage(pdu.value.data);
    if (!m.ok) return;
    const ep = findIe(m.value, IeId.ENDPOINT_REFERENCE);
    const cause = findIe(m.value, IeId.CAUSE);
    const cd = closeDataOf(m.value);
    seen.push({
      dir: f.value.src === downFrom ? 'down' : 'up',
      name: messageName(m.value.type),
      callRef: m.value.callRef,
      ...(ep ? { epref: ep.value } : {}),
      ...(cause ? { cause: cause.cause } : {}),
      ...(cd ? { closeData: cd.toString() } : {}),
    });
  });
}

/** One host per port; host i has address 1001+i (and any `extra[i]` addresses). */
export function switchLab(
  n: number,
  opts: {
    extra?: string[][];
    /** addresses host i sends to the switch though the switch does not announce them (a static peer entry for its port) */
    viaSwitch?: string[][];
    routes?: SwitchOptions['routes'];
    sscop?: SwitchOptions['sscop'];
    uniTimers?: SwitchOptions['uniTimers'];
  } = {},
): SwitchLab {
  const tag = `sw${process.pid}-${counter++}`;
  const taps: Miniport[] = [];
  const wire: WireMessage[][] = [];
  const ports: SwitchOptions['ports'] = [];
  const hosts: CondisNode[] = [];
  for (let i = 0; i < n; i++) {
    const hub = `${tag}-p${i + 1}`;
    const swMac = `02:00:00:00:aa:${(i + 1).toString(16).padStart(2, '0')}`;
    ports.push({ name: `p${i + 1}`, miniport: openMemorySync({ kind: 'memory', hub, mac: swMac }) });
    const seen: WireMessage[] = [];
    wire.push(seen);
    const tap = openMemorySync({ kind: 'memory', hub, mac: `02:00:00:00:ee:${(i + 1).toString(16).padStart(2, '0')}`, promiscuous: true });
    recordSignalling(tap, swMac, seen);
    taps.push(tap);
    const mp = openMemorySync({ kind: 'memory', hub, mac: `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}` });
    const addresses = [`${1001 + i}`, ...(opts.extra?.[i] ?? [])];
    const via = opts.viaSwitch?.[i];
    // the switch takes the network side; a static entry must say so (an announced role is only read from a newcomer)
    const peers = via ? [{ mac: swMac, addresses: via, role: 'user' as const }] : [];
    hosts.push(new CondisNode({ ...nodeOptions(`h${i + 1}`, mp, addresses[0]!, { peers }), addresses }));
  }
  const sw = createSwitch({
    name: 'sw',
    ports,
    routes: opts.routes,
    sscop: opts.sscop,
    uniTimers: opts.uniTimers,
    discovery: { enabled: true, intervalMs: 200, holdTimeMs: 700 },
  });
  return {
    sw,
    hosts,
    wire,
    async close() {
      await Promise.all(hosts.map((h) => h.shutdown(1000)));
      await sw.shutdown(1000);
      await Promise.all([...hosts.map((h) => h.miniport.close()), ...sw.portList().map((p) => p.miniport.close()), ...taps.map((t) => t.close())]);
    },
  };
}

/** until every host has its link to the switch up and knows every other host's addresses through it */
export async function ready(lab: SwitchLab, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  const all = lab.hosts.map((h) => h.addresses);
  for (;;) {
    const ok = lab.hosts.every((h, i) => {
      const peer = h.peerList().find((p) => p.link?.established);
      return peer !== undefined && all.every((a, j) => j === i || a.every((x) => peer.addresses.includes(x)));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error('the hosts did not come up behind the switch');
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  await waitUntil(what, cond, { ms });
}

export function names(msgs: WireMessage[], dir?: 'up' | 'down'): string[] {
  return msgs.filter((m) => !dir || m.dir === dir).map((m) => m.name);
}

export { messageName };

/** tshark capturing our EtherType on `br0` inside `ns` into `file`; resolves once it captures */
export function capture(ns: Netns, file: string): Promise<ChildProcess> {
  const [cmd, args] = ns.spawnArgs('tshark', ['-q', '-i', 'br0', '-f', 'ether proto 0x88b5', '-w', file]);
  const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('Capturing on')) resolve(p);
    });
    p.on('exit', (code) => reject(new Error(`tshark exited (${code}): ${err}`)));
  });
}

/** stop a capture started by capture() and wait for it to write its file */
export function stopCapture(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGINT');
  });
}

/**
 * until the capture file holds a frame captured after `sinceMs` (epoch ms): tshark writes in batches, and
 * frames still in its buffer are lost when it is stopped. The segment's periodic announcements guarantee
 * a later frame comes; once one is on file, everything before it is too.
 */
export async function captureCaughtUp(file: string, sinceMs: number, ms = 15_000): Promise<void> {
  await until(
    `${file} to hold a frame from after the test's last step`,
    () => {
      const r = readPcap(file);
      return r.ok && r.value.records.some((rec) => rec.tsMs > sinceMs);
    },
    ms,
  );
}
