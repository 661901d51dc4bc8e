/**
 * Loader for our N-API helper (`native/`, built by `npm ci` through the
 * package's install script). Linux only. `loadNative()` throws a
 * MiniportError('UNAVAILABLE') that says how to build it when it is missing.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { packagePath } from '../common/package-root.js';
import { MiniportError } from './errors.js';

export interface NativeReader {
  stop(): void;
}

export interface NativeWriter {
  /**
   * write(2) the frame now, or (when `mayQueue`, or while frames are queued) copy it onto the queue
   * the writer's thread writes out in order; octets written or queued, or -errno (-ENOBUFS: the
   * queue is full)
   */
  write(frame: Buffer, mayQueue: boolean): number;
  /** queued frames whose write(2) failed, and their octets */
  failed(): [frames: number, octets: number];
  /** write out what is queued and end the thread (the fd stays open) */
  stop(): void;
}

export interface NativePcap {
  /** pcap_inject: bytes sent or -1 */
  send(frame: Buffer): number;
  close(): void;
}

export interface NativeHelper {
  /** move the calling thread into the namespace at `path`; returns a handle for netnsLeave */
  netnsEnter(path: string): number;
  netnsLeave(handle: number): void;
  /** open /dev/net/tun (non-blocking, close-on-exec) and TUNSETIFF; throws an Error with `code` (errno name) */
  tunOpen(name: string, flags: number): { fd: number; name: string };
  /** write(2); bytes written or -errno */
  write(fd: number, buf: Buffer): number;
  /** close(2); 0 or -errno */
  close(fd: number): number;
  /**
   * poll `fd` for readability on the event loop and drain up to maxBatch frames per wake-up, copied
   * into slabs of `slabSize` octets (larger frames: a slab of their own size) that are never written
   * again where filled; each onFrames call names one slab and puts `count` [offset, length] pairs in
   * `meta` (2 * maxBatch elements), valid until the call returns
   */
  Reader: new (
    fd: number,
    maxBatch: number,
    slabSize: number,
    meta: Uint32Array,
    onFrames: (slab: Buffer, count: number) => void,
    onError: (negErrno: number) => void,
  ) => NativeReader;
  /** a sender on `fd` with a thread of its own for bursts (at most maxQueuedOctets queued) */
  Writer: new (fd: number, maxQueuedOctets: number) => NativeWriter;
  /** libpcap on a NIC (immediate, non-blocking, BPF filter); throws an Error saying which pcap call failed */
  PcapReader: new (
    device: string,
    filter: string,
    maxBatch: number,
    onFrames: (frames: Buffer[]) => void,
    onError: (errno: number, message: string, fatal: boolean) => void,
  ) => NativePcap;
  IFF_TAP: number;
  IFF_NO_PI: number;
  IFF_TUN_EXCL: number;
}

const addonPath = packagePath('native', 'build', 'Release', 'condis_tap.node');
let cached: NativeHelper | undefined;

export function loadNative(): NativeHelper {
  if (cached) return cached;
  if (!existsSync(addonPath)) {
    throw new MiniportError('UNAVAILABLE', `native helper not built (${addonPath} missing): run 'npm ci' or 'npm run install' (node-gyp rebuild -C native)`);
  }
  try {
    cached = createRequire(import.meta.url)(addonPath) as NativeHelper;
    return cached;
  } catch (e) {
    throw new MiniportError('UNAVAILABLE', `native helper ${addonPath} failed to load: ${(e as Error).message}`, undefined, { cause: e });
  }
}

/**
 * Run `fn` (synchronous) with the calling thread inside the named network
 * namespace (`ip netns add NAME`), then switch back. Sockets and file
 * descriptors created inside keep that namespace for their lifetime, so a
 * single process can open devices in several namespaces (tests, labs,
 * benchmarks). `undefined` runs `fn` where we are.
 */
export function inNetns<T>(netns: string | undefined, fn: () => T): T {
  if (netns === undefined) return fn();
  const path = netns.includes('/') ? netns : `/run/netns/${netns}`;
  const native = loadNative();
  let handle: number;
  try {
    handle = native.netnsEnter(path);
  } catch (e) {
    const errno = (e as { code?: string }).code;
    throw new MiniportError(errno === 'ENOENT' ? 'NO_DEVICE' : 'SYSTEM', `network namespace '${netns}': ${(e as Error).message}`, errno, { cause: e });
  }
  try {
    return fn();
  } finally {
    native.netnsLeave(handle);
  }
}
