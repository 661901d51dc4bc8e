/**
 * The configuration of each miniport backend (tap, nic, etherip, memory), as plain
 * data. It sits in src/common because both src/config (which loads it) and
 * src/miniport (which opens it) need it, and config must not depend on miniport.
 */
import type { SchedulerLike } from 'rxjs';
import type { Mac } from './mac.js';

export type MiniportConfig =
  | {
      kind: 'tap';
      /** device name; created if missing */
      device: string;
      mac?: Mac;
      mtu?: number;
      /**
       * frames the kernel holds for us to read (the device's txqueuelen); a burst beyond it, arriving
       * while the daemon is busy, is dropped. Unset: the device keeps what it has (the kernel's 1000)
       */
      txQueueLen?: number;
      /** enslave the TAP to this Linux bridge */
      bridge?: string;
      etherType?: number;
      /** named network namespace (`ip netns`) to open the device in; default: where the process runs */
      netns?: string;
      /** how frames are read: 'addon' (our N-API helper, uv_poll; the default) or 'ioctl' (npm `ioctl` + fs.read on a blocking fd) */
      binding?: 'addon' | 'ioctl';
      /**
       * send bursts from a thread of the addon's own (default false): past a few frames in one turn of
       * the event loop, frames are copied onto a queue that thread writes out, so the system calls run
       * on another core. More frames per second for bulk data on an otherwise idle core, at more CPU
       * per frame (docs/miniports.md); signalling alone gains nothing. Addon binding only.
       */
      sendThread?: boolean;
    }
  | {
      kind: 'nic';
      device: string;
      etherType?: number;
      /** named network namespace to open the NIC in; default: where the process runs */
      netns?: string;
      /** receive frames this host sent itself (default false) */
      loopback?: boolean;
      /**
       * libpcap through 'addon' (our N-API helper; the default) or the npm package 'cap'.
       * cap aborts the whole process when the NIC goes down or away (see docs/miniports.md).
       */
      binding?: 'addon' | 'cap';
    }
  | {
      kind: 'etherip';
      /** local IPv4 address to bind */
      local: string;
      /** remote IPv4 addresses of peers (EtherIP is point-to-point per pair) */
      peers: string[];
      mac: Mac;
      etherType?: number;
      /** named network namespace to open the socket in; default: where the process runs */
      netns?: string;
      /** the Ethernet payload size to announce (default 1500 - 20 IP - 2 EtherIP - 14 Ethernet = 1464) */
      mtu?: number;
    }
  | ({ kind: 'memory'; hub: string; mac: Mac } & MemoryWireOptions);

/** Impairments of the in-process wire, applied to every frame a memory port sends. */
export interface MemoryWireOptions {
  /** probability (0..1) that a frame is lost */
  loss?: number;
  /** probability (0..1) that a frame is delivered twice */
  duplicate?: number;
  /** probability (0..1) that a frame is held back and delivered after the next one from the same port */
  reorder?: number;
  /** longest time a reordered frame waits for a successor before it goes anyway (default 10 ms) */
  reorderHoldMs?: number;
  /** delay of every frame in milliseconds, on `scheduler` */
  delayMs?: number;
  /** seed of the pseudo-random choices (same seed, same sequence of frames: same fate) */
  seed?: number;
  /** where deliveries are scheduled (default laterScheduler: asynchronous, never inside send()) */
  scheduler?: SchedulerLike;
  /** Ethernet payload size (default 1500); longer frames are counted as txErrors */
  mtu?: number;
  /** deliver every frame to this port, not only those to its MAC, broadcast and multicast */
  promiscuous?: boolean;
  etherType?: number;
}
