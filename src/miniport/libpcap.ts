/**
 * Access to npm `cap` (libpcap) for the nic backend and the ioctl binding's
 * wake-up. Every Cap object is pinned for the life of the process: cap's
 * native destructor, when the garbage collector runs it, crashes Node 20
 * (segfault in AsyncWrap::EmitDestroy from Pcap::~Pcap, seen with gdb after a
 * few open/close cycles). A closed Cap keeps only its small native state and
 * the buffer it was given, so give closed-and-forgotten ones small buffers.
 */
import { createRequire } from 'node:module';
import { MiniportError } from './errors.js';

export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  send(buffer: Buffer, nBytes?: number): void;
  on(event: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(): void;
}

interface CapModule {
  Cap: new () => CapHandle;
}

const pinned: CapHandle[] = [];
let mod: CapModule | undefined;

/** A new Cap object, pinned (see above); throws MiniportError('UNAVAILABLE') when `cap` does not load. */
export function newCap(where: string): CapHandle {
  if (!mod) {
    try {
      mod = createRequire(import.meta.url)('cap') as CapModule;
    } catch (e) {
      throw new MiniportError('UNAVAILABLE', `${where}: npm package 'cap' (libpcap) failed to load: ${(e as Error).message}`, undefined, { cause: e });
    }
  }
  const cap = new mod.Cap();
  pinned.push(cap);
  return cap;
}
