/**
 * `memory` backend: an in-process wire. Ports that name the same hub share a
 * segment that behaves like a learning-free switch: a frame reaches every
 * other port whose MAC is its destination, or all of them for broadcast and
 * multicast (or every frame, for a promiscuous port). Each sending port may
 * impair its frames (loss, duplication, reordering, delay) from a seeded
 * pseudo-random sequence, so a run is reproducible; deliveries are scheduled
 * on an injectable RxJS scheduler (TestScheduler in virtual-time tests) and
 * never happen inside send().
 */
import { Subject, type SchedulerLike } from 'rxjs';
import { laterScheduler } from '../common/later-scheduler.js';
import { macNumber, macNumberAt, type MacNumber } from '../common/mac.js';
import { MiniportError } from './errors.js';
import { admitFrame, checkEtherType, checkMac, checkMtu, hasEtherType, newCounters } from './common.js';
import type { MemoryWireOptions, Miniport, MiniportConfig, MiniportCounters } from './types.js';

export type MemoryConfig = Extract<MiniportConfig, { kind: 'memory' }>;

import { seededRandom } from '../common/random.js';

export { seededRandom };

interface Port {
  /** the port's MAC as a 48-bit number: a frame's destination is compared with it per frame */
  mac: MacNumber;
  promiscuous: boolean;
  deliver(frame: Buffer): void;
}

const hubs = new Map<string, Set<Port>>();

/** Names of hubs with at least one open port (for tests that check nothing leaks). */
export function memoryHubs(): string[] {
  return [...hubs.keys()];
}

function checkProbability(p: number | undefined, what: string, where: string): number {
  if (p === undefined) return 0;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new MiniportError('BAD_CONFIG', `${where}: ${what} ${String(p)} is not a probability in 0..1`);
  return p;
}

export async function openMemory(cfg: MemoryConfig): Promise<Miniport> {
  return openMemorySync(cfg);
}

/** The same as openMemory, synchronously (handy inside TestScheduler.run). */
export function openMemorySync(cfg: MemoryConfig & MemoryWireOptions): Miniport {
  if (typeof cfg.hub !== 'string' || cfg.hub === '') throw new MiniportError('BAD_CONFIG', `memory: hub name '${String(cfg.hub)}' is empty`);
  const where = `memory hub '${cfg.hub}'`;
  const mac = checkMac(cfg.mac, where);
  if (mac === undefined) throw new MiniportError('BAD_CONFIG', `${where}: a memory port needs a MAC`);
  const mtu = checkMtu(cfg.mtu, where, 1500);
  const loss = checkProbability(cfg.loss, 'loss', where);
  const duplicate = checkProbability(cfg.duplicate, 'duplicate', where);
  const reorder = checkProbability(cfg.reorder, 'reorder', where);
  const delayMs = cfg.delayMs ?? 0;
  if (!(delayMs >= 0) || !Number.isFinite(delayMs)) throw new MiniportError('BAD_CONFIG', `${where}: delayMs ${String(cfg.delayMs)} is not a finite number >= 0`);
  const etherType = cfg.etherType === undefined ? undefined : checkEtherType(cfg.etherType, where);
  const holdMs = cfg.reorderHoldMs ?? 10;
  if (!(holdMs >= 0) || !Number.isFinite(holdMs)) throw new MiniportError('BAD_CONFIG', `${where}: reorderHoldMs ${String(cfg.reorderHoldMs)} is not a finite number >= 0`);
  const scheduler: SchedulerLike = cfg.scheduler ?? laterScheduler;
  const random = seededRandom(cfg.seed ?? 1);

  let segment = hubs.get(cfg.hub);
  if (!segment) hubs.set(cfg.hub, (segment = new Set()));
  const myMac = macNumber(mac);
  for (const p of segment) {
    if (myMac === p.mac) throw new MiniportError('BAD_CONFIG', `${where}: MAC ${mac} is already used by another port on this hub`);
  }

  const counters: MiniportCounters = newCounters();
  const frames = new Subject<Buffer>();
  let closed = false;
  const self: Port = {
    mac: myMac,
    promiscuous: cfg.promiscuous ?? false,
    deliver(frame) {
      if (closed) return;
      if (etherType !== undefined && !hasEtherType(frame, etherType)) {
        counters.rxDropped++;
        return;
      }
      counters.rxFrames++;
      counters.rxBytes += frame.length;
      frames.next(frame);
    },
  };
  segment.add(self);
  const ports = segment;

  /**
   * put the frame on the wire now: to every other port it is addressed to, each its own buffer
   * (`owned`: this one is nobody else's, the first receiver gets it without a copy)
   */
  const transmit = (frame: Buffer, owned = false): void => {
    const group = (frame[0]! & 1) === 1;
    const dst = macNumberAt(frame, 0);
    for (const p of ports) {
      if (p === self) continue;
      if (group || p.promiscuous || dst === p.mac) {
        p.deliver(owned ? frame : Buffer.from(frame));
        owned = false;
      }
    }
  };
  const later = (frame: Buffer, extra = 0): void => {
    scheduler.schedule(() => transmit(frame), delayMs + extra);
  };
  let held: Buffer | undefined;
  // No impairment and the default scheduler: the frames sent in one turn leave together on the
  // next later-turn batch (one scheduled action per batch, not per frame), in the order sent.
  const plain = cfg.scheduler === undefined && loss === 0 && duplicate === 0 && reorder === 0 && delayMs === 0;
  let batch: Buffer[] = [];
  const flush = (): void => {
    const out = batch;
    batch = [];
    for (let i = 0; i < out.length; i++) transmit(out[i]!, true);
  };

  return {
    name: `memory:${cfg.hub}`,
    mac,
    mtu,
    ownedFrames: true,
    // each frame is copied before send returns (delivered on a later turn, it must not change meanwhile)
    sendCopies: true,
    frames$: frames.asObservable(),
    send(frame: Buffer): void {
      if (!admitFrame(frame, mtu, closed, counters)) return;
      if (plain) {
        // (no draws: with every probability 0 the fate of a frame does not depend on them)
        batch.push(Buffer.from(frame));
        if (batch.length === 1) laterScheduler.post(flush);
        return;
      }
      // the same three draws for every frame keep a seed's fate sequence stable
      const lost = random() < loss;
      const dup = random() < duplicate;
      const hold = random() < reorder;
      if (lost) return;
      const copy = Buffer.from(frame);
      if (hold && held === undefined) {
        held = copy;
        // never held forever: released after the next frame or after reorderHoldMs
        const mine = copy;
        scheduler.schedule(() => {
          if (held === mine) {
            held = undefined;
            transmit(mine);
          }
        }, delayMs + holdMs);
        if (dup) later(copy);
        return;
      }
      later(copy);
      if (dup) later(copy);
      if (held !== undefined) {
        const h = held;
        held = undefined;
        later(h);
      }
    },
    counters: () => ({ ...counters }),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      ports.delete(self);
      if (ports.size === 0 && hubs.get(cfg.hub) === ports) hubs.delete(cfg.hub);
      frames.complete();
    },
  };
}
