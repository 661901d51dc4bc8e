/**
 * `etherip` backend: whole Ethernet frames inside EtherIP (RFC 3378, IP
 * protocol 97) over raw IPv4 sockets (npm `raw-socket`), for hosts on
 * different IP subnets. On the wire: IPv4 header (ours, IP_HDRINCL, so the
 * source is always `local`), the 2-octet EtherIP header (version 3 in the
 * top four bits, the rest reserved zero), then the Ethernet frame.
 *
 * One frame is sent to every peer whose MAC we do not know yet, or to all for
 * a group destination; once a peer's frame was received, unicast to its MAC
 * goes only to that peer's address. Received datagrams must come from a
 * configured peer, be addressed to `local`, carry version 3 and our EtherType.
 */
import { isIPv4 } from 'node:net';
import { createRequire } from 'node:module';
import { Subject } from 'rxjs';
import { run } from '../common/sh.js';
import { macFromBuffer, macNumber } from '../common/mac.js';
import { admitFrame, checkEtherType, checkMac, checkMtu, ETH_HEADER, forUs, hasEtherType, newCounters } from './common.js';
import { MiniportError } from './errors.js';
import { inNetns } from './native.js';
import type { Miniport, MiniportConfig } from './types.js';

export type EtherIpConfig = Extract<MiniportConfig, { kind: 'etherip' }>;

export const IPPROTO_ETHERIP = 97;
/** version 3, reserved bits zero (RFC 3378 section 3) */
export const ETHERIP_HEADER = 0x3000;
const IP_HEADER = 20;
/** at most this many datagrams wait in raw-socket's queue; beyond it sends are counted as errors */
const MAX_QUEUED = 4096;

interface RawSocket {
  on(ev: 'message', fn: (buf: Buffer, source: string) => void): void;
  on(ev: 'error', fn: (e: Error) => void): void;
  on(ev: 'close', fn: () => void): void;
  send(buf: Buffer, offset: number, length: number, address: string, cb: (err: Error | null, bytes: number) => void): void;
  setOption(level: number, option: number, value: number): void;
  close(): void;
  removeAllListeners(): void;
}
interface RawModule {
  createSocket(opts: { protocol: number; addressFamily?: number; bufferSize?: number }): RawSocket;
  SocketLevel: Record<string, number>;
  SocketOption: Record<string, number>;
  AddressFamily: Record<string, number>;
}

function ipToBuf(ip: string, out: Buffer, off: number): void {
  const p = ip.split('.');
  for (let i = 0; i < 4; i++) out[off + i] = Number(p[i]);
}

/** Wrap one Ethernet frame: IPv4 header (checksum and id filled in by the kernel) + EtherIP header + frame. */
export function encapEtherIp(frame: Buffer, src: string, dst: string): Buffer {
  const out = Buffer.allocUnsafe(IP_HEADER + 2 + frame.length);
  out[0] = 0x45;
  out[1] = 0;
  out.writeUInt16BE(out.length, 2);
  out.writeUInt32BE(0, 4); // id 0: the kernel picks one; no fragment flags
  out[8] = 64;
  out[9] = IPPROTO_ETHERIP;
  out.writeUInt16BE(0, 10);
  ipToBuf(src, out, 12);
  ipToBuf(dst, out, 16);
  out.writeUInt16BE(ETHERIP_HEADER, IP_HEADER);
  frame.copy(out, IP_HEADER + 2);
  return out;
}

export type EtherIpDecode = { ok: true; src: string; dst: string; frame: Buffer } | { ok: false; reason: string };

/** Unwrap one received IPv4 datagram (header included, as raw sockets deliver it). */
export function decapEtherIp(dgram: Buffer): EtherIpDecode {
  if (dgram.length < IP_HEADER || dgram[0]! >> 4 !== 4) return { ok: false, reason: 'not IPv4' };
  const ihl = (dgram[0]! & 0x0f) * 4;
  if (ihl < IP_HEADER || dgram.length < ihl + 2) return { ok: false, reason: 'truncated' };
  if (dgram[9] !== IPPROTO_ETHERIP) return { ok: false, reason: 'not EtherIP' };
  const hdr = dgram.readUInt16BE(ihl);
  if (hdr !== ETHERIP_HEADER) return { ok: false, reason: `EtherIP header 0x${hdr.toString(16)}, not version 3` };
  const frame = dgram.subarray(ihl + 2);
  if (frame.length < ETH_HEADER) return { ok: false, reason: 'frame shorter than an Ethernet header' };
  const src = `${dgram[12]}.${dgram[13]}.${dgram[14]}.${dgram[15]}`;
  const dst = `${dgram[16]}.${dgram[17]}.${dgram[18]}.${dgram[19]}`;
  return { ok: true, src, dst, frame };
}

export async function openEtherIp(cfg: EtherIpConfig): Promise<Miniport> {
  const where = `etherip '${String(cfg.local)}'${cfg.netns ? ` in namespace '${cfg.netns}'` : ''}`;
  if (typeof cfg.local !== 'string' || !isIPv4(cfg.local)) throw new MiniportError('BAD_CONFIG', `${where}: local address is not an IPv4 address`);
  if (!Array.isArray(cfg.peers) || cfg.peers.length === 0) throw new MiniportError('BAD_CONFIG', `${where}: no peers (EtherIP needs the IPv4 address of at least one peer)`);
  for (const p of cfg.peers) {
    if (typeof p !== 'string' || !isIPv4(p)) throw new MiniportError('BAD_CONFIG', `${where}: peer '${String(p)}' is not an IPv4 address`);
    if (p === cfg.local) throw new MiniportError('BAD_CONFIG', `${where}: peer '${p}' is our own local address`);
  }
  const mac = checkMac(cfg.mac, where);
  if (mac === undefined) throw new MiniportError('BAD_CONFIG', `${where}: EtherIP needs a MAC in the configuration`);
  const etherType = checkEtherType(cfg.etherType, where);
  const mtu = checkMtu(cfg.mtu, where, 1500 - IP_HEADER - 2 - ETH_HEADER);

  const r = await run('ip', [...(cfg.netns ? ['-n', cfg.netns] : []), '-j', '-4', 'addr', 'show'], { allowFail: true });
  if (r.code !== 0) throw new MiniportError('NO_DEVICE', `${where}: cannot list addresses (ip said: ${r.stderr.trim()})`);
  const addrs = (JSON.parse(r.stdout) as { addr_info?: { local?: string }[] }[]).flatMap((l) => (l.addr_info ?? []).map((a) => a.local));
  if (!addrs.includes(cfg.local)) throw new MiniportError('NO_DEVICE', `${where}: ${cfg.local} is not assigned to any interface here (have: ${addrs.join(', ') || 'none'})`);

  let raw: RawModule;
  try {
    raw = createRequire(import.meta.url)('raw-socket') as RawModule;
  } catch (e) {
    throw new MiniportError('UNAVAILABLE', `${where}: npm package 'raw-socket' failed to load: ${(e as Error).message}`, undefined, { cause: e });
  }
  let sock: RawSocket;
  try {
    sock = inNetns(cfg.netns, () => raw.createSocket({ protocol: IPPROTO_ETHERIP, addressFamily: raw.AddressFamily.IPv4, bufferSize: 65536 }));
    sock.setOption(raw.SocketLevel.IPPROTO_IP!, raw.SocketOption.IP_HDRINCL!, 1);
  } catch (e) {
    if (e instanceof MiniportError) throw e;
    const said = (e as Error).message;
    throw new MiniportError(/permit/i.test(said) ? 'PERMISSION' : 'SYSTEM', `${where}: raw IPv4 socket (protocol 97): ${said}`, undefined, { cause: e });
  }

  const myMac = macNumber(mac);
  const peers = new Set(cfg.peers);
  /** MAC -> peer address, learned from received frames */
  const learned = new Map<string, string>();
  const counters = newCounters();
  const frames = new Subject<Buffer>();
  let closed = false;
  let queued = 0;

  sock.on('message', (dgram) => {
    const d = decapEtherIp(dgram);
    if (!d.ok || d.dst !== cfg.local || !peers.has(d.src) || !hasEtherType(d.frame, etherType)) {
      counters.rxDropped++;
      return;
    }
    const f = d.frame;
    if (!forUs(f, myMac)) {
      counters.rxDropped++;
      return;
    }
    learned.set(macFromBuffer(f, 6), d.src);
    counters.rxFrames++;
    counters.rxBytes += f.length;
    frames.next(Buffer.from(f));
  });
  // raw-socket reports a poll error with an 'error' event and then closes the socket itself
  sock.on('error', () => {
    if (closed) return;
    counters.txErrors++;
  });
  sock.on('close', () => {
    if (closed) return;
    closed = true;
    frames.error(new MiniportError('SYSTEM', `${where}: the raw IPv4 socket failed and was closed by raw-socket`));
  });

  const sendTo = (frame: Buffer, peer: string): void => {
    if (queued >= MAX_QUEUED) {
      counters.txErrors++;
      return;
    }
    queued++;
    const dgram = encapEtherIp(frame, cfg.local, peer);
    sock.send(dgram, 0, dgram.length, peer, (err) => {
      queued--;
      if (err) counters.txErrors++;
    });
  };

  return {
    name: `etherip:${cfg.local}`,
    mac,
    // each frame is copied into its datagram (encapEtherIp) before send returns
    sendCopies: true,
    mtu,
    frames$: frames.asObservable(),
    send(frame: Buffer): void {
      if (!admitFrame(frame, mtu, closed, counters)) return;
      const group = (frame[0]! & 1) === 1;
      const known = group ? undefined : learned.get(macFromBuffer(frame, 0));
      if (known) sendTo(frame, known);
      else for (const p of peers) sendTo(frame, p);
    },
    counters: () => ({ ...counters }),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      sock.removeAllListeners();
      sock.close();
      frames.complete();
    },
  };
}
