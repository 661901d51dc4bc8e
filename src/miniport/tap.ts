/**
 * `tap` backend: a Linux TAP device (created if missing, non-persistent, so
 * it disappears on close unless it existed before), MAC/MTU/up and bridge
 * enslavement with `ip`. Frames are read by our N-API helper: a uv_poll on
 * the non-blocking fd drains up to 64 frames per wake-up (see
 * docs/miniports.md for why, with figures). The `ioctl` binding (npm `ioctl`
 * + fs.read on a blocking fd) is kept for the measurement and as a fallback.
 */
import { closeSync, openSync, read as fsRead, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { Subject } from 'rxjs';
import { macFromBuffer, macNumber, macToBuffer } from '../common/mac.js';
import { run, CommandError } from '../common/sh.js';
import { codeForErrno, MiniportError } from './errors.js';
import { checkEtherType, checkIfName, checkMac, checkMtu, forUs, hasEtherType, newCounters } from './common.js';
import { inNetns, loadNative, type NativeReader } from './native.js';
import { newCap } from './libpcap.js';
import type { Miniport, MiniportConfig } from './types.js';

export type TapConfig = Extract<MiniportConfig, { kind: 'tap' }>;

/** a random locally administered unicast MAC */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfc) | 0x02;
  return macFromBuffer(b);
}

/** a MAC for the kernel's end of the TAP: the host's with the last octets changed */
function otherMac(host: string): string {
  const b = macToBuffer(host);
  b[0] = (b[0]! & 0xfc) | 0x02;
  b[5] = b[5]! ^ 0xff;
  b[4] = b[4]! ^ 0x5a;
  return macFromBuffer(b);
}

const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const TUNSETIFF = 0x400454ca;

/** frames the addon reads per wake-up at most */
const READ_BATCH = 64;
/**
 * The addon's receive slabs: frames are copied into these one after another, and a frame is a view
 * of one. Like Node's own pool for small buffers (8 KiB), a frame kept for long keeps its slab: 16
 * KiB holds a few hundred signalling frames or ten full-size ones, so the allocation is shared
 * widely while what one kept frame can hold stays small. Signalling keeps no views (decoded
 * messages copy what they keep); user data handed to a client keeps its slab until it is let go.
 */
const SLAB_OCTETS = 16 * 1024;
/**
 * With `sendThread`: the frames one turn of the event loop may write itself before the rest of the
 * turn's go to the send thread. A lone frame (signalling: a reply, a keep-alive) is written at
 * once and never waits for a thread to wake; a burst (a data window, a thousand ADD PARTYs) is
 * written beside the JavaScript. Measured in docs/miniports.md.
 */
const INLINE_PER_TURN = 4;
/** what the send thread may hold unwritten; a frame beyond it is refused and counted as an error */
const SEND_QUEUE_OCTETS = 4 * 1024 * 1024;

function ipArgs(netns: string | undefined, args: string[]): string[] {
  return netns ? ['-n', netns, ...args] : args;
}

interface LinkInfo {
  address: string;
  mtu: number;
  kind?: string;
}

async function linkInfo(netns: string | undefined, dev: string): Promise<LinkInfo | undefined> {
  const r = await run('ip', ipArgs(netns, ['-d', '-j', 'link', 'show', 'dev', dev]), { allowFail: true });
  if (r.code !== 0) return undefined;
  const j = JSON.parse(r.stdout) as { address: string; mtu: number; linkinfo?: { info_kind?: string } }[];
  const l = j[0];
  return l ? { address: l.address, mtu: l.mtu, kind: l.linkinfo?.info_kind } : undefined;
}

function tunError(where: string, e: unknown): MiniportError {
  const errno = (e as { code?: string }).code;
  const said = (e as Error).message;
  if (e instanceof MiniportError) return e;
  if (errno === 'EBUSY') return new MiniportError('DEVICE_BUSY', `${where}: the TAP device is already open in another process or instance (kernel: ${said})`, errno, { cause: e });
  if (errno === 'EINVAL') return new MiniportError('WRONG_DEVICE', `${where}: a device of that name exists and is not a TAP device (kernel: ${said})`, errno, { cause: e });
  if (errno === 'EPERM' || errno === 'EACCES') return new MiniportError('PERMISSION', `${where}: not allowed to open or create the TAP device; needs CAP_NET_ADMIN (kernel: ${said})`, errno, { cause: e });
  return new MiniportError(codeForErrno(errno), `${where}: ${said}`, errno, { cause: e });
}

/** The raw device under a tap miniport: whichever binding, the same four operations. */
interface TapIo {
  fd: number;
  /** `onFrame` is called once per frame received, each a buffer the receiver may keep (see `ownedFrames`) */
  start(onFrame: (frame: Buffer) => void, onError: (err: MiniportError) => void): void;
  /** bytes written (or queued to be) or a negative errno */
  write(frame: Buffer): number;
  /** frames `write` queued whose write(2) failed later (the send thread's), and their octets */
  failed(): [frames: number, octets: number];
  /** stop reading and close the fd; for the ioctl binding, `kick` is awaited to unblock a pending read */
  close(kick: () => Promise<void>): Promise<void>;
}

function openAddon(cfg: TapConfig, where: string): TapIo {
  const native = loadNative();
  let fd: number;
  try {
    fd = inNetns(cfg.netns, () => native.tunOpen(cfg.device, native.IFF_TAP | native.IFF_NO_PI).fd);
  } catch (e) {
    throw tunError(where, e);
  }
  let reader: NativeReader | undefined;
  const writer = cfg.sendThread === true ? new native.Writer(fd, SEND_QUEUE_OCTETS) : undefined;
  let turnWrites = 0;
  const endTurn = (): void => {
    turnWrites = 0;
  };
  return {
    fd,
    start(onFrame, onError) {
      const meta = new Uint32Array(2 * READ_BATCH);
      const onFrames = (slab: Buffer, count: number): void => {
        for (let i = 0; i < 2 * count; i += 2) onFrame(slab.subarray(meta[i]!, meta[i]! + meta[i + 1]!));
      };
      // a TAP deleted under us reads as EBADFD (77), EBADF (9) or, mid-unregister, EFAULT (14)
      reader = new native.Reader(fd, READ_BATCH, SLAB_OCTETS, meta, onFrames, (neg) => {
        const names: Record<number, string> = { 77: 'EBADFD', 9: 'EBADF', 14: 'EFAULT' };
        const gone = names[-neg];
        onError(new MiniportError(gone ? 'NO_DEVICE' : 'SYSTEM', `${where}: read failed (errno ${-neg}${gone ? ` ${gone}: the device was deleted or moved away` : ''})`, gone));
      });
    },
    write: writer
      ? (frame) => {
          if (turnWrites++ === 0) setImmediate(endTurn);
          return writer.write(frame, turnWrites > INLINE_PER_TURN);
        }
      : (frame) => native.write(fd, frame),
    failed: () => writer?.failed() ?? [0, 0],
    async close() {
      reader?.stop();
      writer?.stop(); // writes out what is queued
      native.close(fd);
    },
  };
}

function openIoctl(cfg: TapConfig, where: string): TapIo {
  const req = createRequire(import.meta.url);
  let ioctl: (fd: number, request: number, arg: Buffer) => number;
  try {
    ioctl = req('ioctl') as typeof ioctl;
  } catch (e) {
    throw new MiniportError('UNAVAILABLE', `${where}: npm package 'ioctl' failed to load: ${(e as Error).message}`, undefined, { cause: e });
  }
  let fd: number;
  try {
    fd = inNetns(cfg.netns, () => openSync('/dev/net/tun', 'r+'));
  } catch (e) {
    throw tunError(where, e);
  }
  const ifr = Buffer.alloc(40);
  ifr.write(cfg.device, 0, 15, 'latin1');
  ifr.writeUInt16LE(IFF_TAP | IFF_NO_PI, 16);
  try {
    ioctl(fd, TUNSETIFF, ifr);
  } catch (e) {
    closeSync(fd);
    const msg = (e as Error).message;
    const errno = /busy/i.test(msg) ? 'EBUSY' : /invalid/i.test(msg) ? 'EINVAL' : /not permitted|denied/i.test(msg) ? 'EPERM' : undefined;
    throw tunError(where, Object.assign(new Error(`ioctl(TUNSETIFF): ${msg}`), { code: errno }));
  }
  let stopped = false;
  let pending: Promise<void> | undefined;
  return {
    fd,
    start(onFrame, onError) {
      // one outstanding read at a time: each pending read holds a libuv threadpool thread
      const loop = (): void => {
        if (stopped) return;
        const buf = Buffer.allocUnsafe(65536);
        pending = new Promise((done) => {
          fsRead(fd, buf, 0, buf.length, null, (err, n) => {
            pending = undefined;
            done();
            if (stopped) return;
            if (err) {
              // a read blocked while the device is unregistered returns EFAULT; later ones EBADFD
              // (libuv may not name EBADFD: match the errno numbers too; ENODEV/ENXIO mean the same here)
              const gone =
                ['EBADFD', 'EBADF', 'EFAULT', 'ENODEV', 'ENXIO'].includes(err.code ?? '') || [-77, -9, -14, -19, -6].includes(err.errno ?? 0);
              onError(new MiniportError(gone ? 'NO_DEVICE' : 'SYSTEM', `${where}: read failed: ${err.message}${gone ? ': the device was deleted or moved away' : ''}`, err.code));
              return;
            }
            onFrame(buf.subarray(0, n));
            loop();
          });
        });
      };
      loop();
    },
    write(frame) {
      try {
        return writeSync(fd, frame);
      } catch (e) {
        return -((e as NodeJS.ErrnoException).errno ?? 5);
      }
    },
    failed: () => [0, 0],
    async close(kick) {
      stopped = true;
      if (pending) {
        // a blocking read only returns when a frame arrives or the device goes away
        await kick();
        // if nothing woke it, the fd is closed anyway; the read keeps its thread until a frame comes
        await Promise.race([pending, new Promise((r) => setTimeout(r, 1000).unref())]);
      }
      closeSync(fd);
    },
  };
}

/** Make the kernel send one frame (EtherType 0x88b6, to `dst`) out of the TAP, so a pending read returns. */
function wakeByInjection(netns: string | undefined, device: string, dst: string): boolean {
  try {
    const cap = newCap(`tap '${device}'`);
    inNetns(netns, () => cap.open(device, 'ether proto 0x88b6 and ether src 00:00:00:00:00:00', 65536, Buffer.alloc(128)));
    try {
      const f = Buffer.alloc(60);
      macToBuffer(dst, f, 0);
      f.writeUInt16BE(0x88b6, 12);
      cap.send(f);
    } finally {
      cap.close();
    }
    return true;
  } catch {
    return false;
  }
}

export async function openTap(cfg: TapConfig): Promise<Miniport> {
  const device = checkIfName(cfg.device, 'tap', 'TAP device');
  const where = `tap '${device}'${cfg.netns ? ` in namespace '${cfg.netns}'` : ''}`;
  const mac = checkMac(cfg.mac, where);
  const mtu = cfg.mtu === undefined ? undefined : checkMtu(cfg.mtu, where, 1500);
  const txQueueLen = cfg.txQueueLen;
  if (txQueueLen !== undefined && (!Number.isInteger(txQueueLen) || txQueueLen < 1 || txQueueLen > 1_000_000))
    throw new MiniportError('BAD_CONFIG', `${where}: txQueueLen ${String(txQueueLen)} is not an integer in 1..1000000`);
  const etherType = checkEtherType(cfg.etherType, where);
  if (cfg.bridge !== undefined) checkIfName(cfg.bridge, where, 'bridge');
  if (cfg.binding !== undefined && cfg.binding !== 'addon' && cfg.binding !== 'ioctl') {
    throw new MiniportError('BAD_CONFIG', `${where}: binding '${String(cfg.binding)}' is neither 'addon' nor 'ioctl'`);
  }
  if (cfg.sendThread !== undefined && typeof cfg.sendThread !== 'boolean') {
    throw new MiniportError('BAD_CONFIG', `${where}: sendThread ${String(cfg.sendThread)} is neither true nor false`);
  }
  if (cfg.sendThread === true && cfg.binding === 'ioctl') {
    throw new MiniportError('BAD_CONFIG', `${where}: sendThread needs the addon binding (binding 'ioctl' writes with fs.writeSync)`);
  }

  const before = await linkInfo(cfg.netns, device);
  const preExisted = before !== undefined;
  if (before && before.kind !== 'tun') {
    throw new MiniportError('WRONG_DEVICE', `${where}: a device of that name exists and is not a TAP device (it is ${before.kind ? `a '${before.kind}'` : 'a physical or unnamed-kind device'})`);
  }
  if (cfg.bridge !== undefined) {
    const br = await linkInfo(cfg.netns, cfg.bridge);
    if (!br) throw new MiniportError('NO_DEVICE', `${where}: bridge '${cfg.bridge}' does not exist`);
    if (br.kind !== 'bridge') throw new MiniportError('WRONG_DEVICE', `${where}: '${cfg.bridge}' is not a Linux bridge (it is a '${br.kind ?? 'physical'}' device)`);
  }

  const hostMac = mac ?? randomMac();
  const io = cfg.binding === 'ioctl' ? openIoctl(cfg, where) : openAddon(cfg, where);
  const deleteDevice = async (): Promise<void> => {
    await run('ip', ipArgs(cfg.netns, ['link', 'del', 'dev', device]), { allowFail: true });
  };
  // only the ioctl binding needs this: wake a blocking read by making the kernel transmit
  // one frame on the TAP (a pcap injection); failing that, a device we made can be deleted
  const kick = async (): Promise<void> => {
    if (!wakeByInjection(cfg.netns, device, hostMac) && !preExisted) await deleteDevice();
  };

  let info: LinkInfo | undefined;
  try {
    const set = ['link', 'set', 'dev', device];
    // The TAP interface is the kernel's end of the wire; our host sits behind it with its
    // own MAC. They must differ: a bridge keeps each port's MAC as its own (local) address
    // and never forwards frames for it to the port.
    if (before && before.address.toLowerCase() === hostMac) set.push('address', otherMac(hostMac));
    else if (!before) set.push('address', otherMac(hostMac));
    if (mtu !== undefined) set.push('mtu', String(mtu));
    if (txQueueLen !== undefined) set.push('txqueuelen', String(txQueueLen));
    set.push('up');
    await run('ip', ipArgs(cfg.netns, set));
    if (cfg.bridge !== undefined) await run('ip', ipArgs(cfg.netns, ['link', 'set', 'dev', device, 'master', cfg.bridge]));
    info = await linkInfo(cfg.netns, device);
    if (!info) throw new MiniportError('NO_DEVICE', `${where}: the device vanished while it was being configured`);
  } catch (e) {
    await io.close(kick);
    if (e instanceof MiniportError) throw e;
    const said = e instanceof CommandError ? e.stderr.trim() : (e as Error).message;
    throw new MiniportError('SYSTEM', `${where}: configuring the device failed: ${said}`, undefined, { cause: e });
  }

  const counters = newCounters();
  const hostMacNumber = macNumber(hostMac);
  const frames = new Subject<Buffer>();
  let closed = false;
  /** the release started when reading failed; close() waits for it */
  let closing: Promise<void> | undefined;
  io.start(
    (f) => {
      if (!hasEtherType(f, etherType) || !forUs(f, hostMacNumber)) {
        counters.rxDropped++;
        return;
      }
      counters.rxFrames++;
      counters.rxBytes += f.length;
      frames.next(f);
    },
    (err) => {
      if (closed) return;
      closed = true;
      closing = io.close(kick);
      frames.error(err);
    },
  );

  const mp: Miniport = {
    name: `tap:${device}`,
    mac: hostMac,
    mtu: info.mtu,
    // the addon's frames are views of slabs it never writes again where filled (SLAB_OCTETS); the
    // ioctl binding's frames are views into a 64 KiB read buffer each, which a kept view would pin
    ownedFrames: cfg.binding !== 'ioctl',
    // both bindings write(2) each frame before send returns, or (sendThread) copy it onto the queue
    sendCopies: true,
    frames$: frames.asObservable(),
    send(frame: Buffer): void {
      if (closed) {
        counters.txErrors++;
        return;
      }
      const n = io.write(frame);
      if (n < 0) counters.txErrors++;
      else {
        counters.txFrames++;
        counters.txBytes += frame.length;
      }
    },
    counters: () => {
      // a queued frame was counted as sent when it was taken; the thread's failures move over
      const [frames, octets] = io.failed();
      return { ...counters, txFrames: counters.txFrames - frames, txBytes: counters.txBytes - octets, txErrors: counters.txErrors + frames };
    },
    async close(): Promise<void> {
      if (closed) return closing;
      closed = true;
      closing = io.close(kick);
      await closing;
      frames.complete();
    },
  };
  return mp;
}
