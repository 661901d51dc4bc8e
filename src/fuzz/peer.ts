/**
 * A fuzzing peer on a miniport: it blasts hostile frames (FrameFuzzer) at a
 * target host and, over an SSCOP association of its own with the target
 * (a real createSaalLink, so sequence numbers are right), sends mutated
 * Q.2931 messages that reach the target's call control. Bounded by a frame
 * count or a duration; yields to the event loop between bursts so the target
 * (in the same process, over the memory miniport) gets to run.
 */
import { Subscription, type SchedulerLike } from 'rxjs';
import type { Miniport } from '../miniport/types.js';
import { cellHeader, emitFrame, ETHERTYPE_CONDIS, parseFrame, VCI_SIGNALLING } from '../wire/index.js';
import { createSaalLink, type SaalLink, type SscopParams } from '../sscop/index.js';
import type { Mac } from '../common/mac.js';
import { FrameFuzzer, fuzzMessage, type FuzzLayer } from './frames.js';

export interface FuzzRunOptions {
  miniport: Miniport;
  target: Mac;
  seed: number;
  /** stop after this many frames (whichever comes first with `ms`) */
  frames?: number;
  /** stop after this many milliseconds */
  ms?: number;
  /** frames per burst before yielding (default 64) */
  burst?: number;
  /** share of iterations that send a Q.2931 message over the association instead of a raw frame (default 0.25) */
  messageRate?: number;
  addresses?: string[];
  randomSourceRate?: number;
  weights?: Partial<Record<FuzzLayer, number>>;
  sscop?: Partial<SscopParams>;
  scheduler?: SchedulerLike;
  /** every input sent, for writing a reproducer when something breaks */
  record?: (kind: 'frame' | 'q2931', bytes: Buffer) => void;
  /** source MAC of the raw frames (default: the port's MAC with the last octet's top bit flipped); the association uses the port's own */
  rawSource?: Mac;
  /** wait this long for the fuzzer's own SSCOP association before blasting (default 3000 ms) */
  establishMs?: number;
  /** at most this many inputs per second (default: as fast as the port takes them) */
  maxRate?: number;
  /** checked after each burst; true stops the run */
  stop?: () => boolean;
}

export interface FuzzRunReport {
  seed: number;
  ms: number;
  frames: number;
  byLayer: Record<string, number>;
  messages: number;
  /** times the fuzzer's own SSCOP association with the target came up */
  associations: number;
  framesPerSecond: number;
}

/** The fuzzer's own SSCOP association with the target (VCI 5 on the miniport). */
export class FuzzAssociation {
  readonly link: SaalLink;
  /** the source MAC the association uses (the target sees it as a peer) */
  readonly mac: Mac;
  established = 0;
  /** call references the target used in messages to us (header octets 2..4, flag included), newest last */
  readonly callRefs: number[] = [];
  private readonly sub = new Subscription();

  constructor(
    readonly miniport: Miniport,
    readonly target: Mac,
    opts: { sscop?: Partial<SscopParams>; scheduler?: SchedulerLike; etherType?: number; mac?: Mac } = {},
  ) {
    const etherType = opts.etherType ?? ETHERTYPE_CONDIS;
    const mac = (opts.mac ?? miniport.mac).toLowerCase();
    this.mac = mac;
    this.link = createSaalLink({
      send: (pdu) => miniport.send(emitFrame({ dst: target, src: mac, etherType, cell: cellHeader(0, VCI_SIGNALLING), uu: 0, cpi: 0, sdu: pdu })),
      params: opts.sscop,
      scheduler: opts.scheduler,
      name: `fuzz/${target}`,
    });
    this.sub.add(
      miniport.frames$.subscribe((buf) => {
        const r = parseFrame(buf, { etherType });
        if (!r.ok || r.value.src !== target || r.value.dst !== mac || r.value.cell.vpi !== 0 || r.value.cell.vci !== VCI_SIGNALLING) return;
        this.link.receive(Buffer.from(r.value.sdu));
      }),
    );
    this.sub.add(
      this.link.signals$.subscribe((s) => {
        if (s.kind === 'establish-confirm' || s.kind === 'establish-indication') this.established++;
        else if (s.kind === 'data-indication' && s.data.length >= 5 && s.data[1] === 3) {
          // answer on the target's calls: same value, flag flipped (we are the other side)
          this.callRefs.push(((s.data[2]! << 16) | (s.data[3]! << 8) | s.data[4]!) ^ 0x800000);
          if (this.callRefs.length > 64) this.callRefs.shift();
        }
      }),
    );
  }

  /** (re-)establish when idle */
  kick(): void {
    if (this.link.state === 'Idle') this.link.establish();
  }

  send(msg: Buffer): boolean {
    if (!this.link.established) return false;
    this.link.data(msg);
    return true;
  }

  dispose(): void {
    this.sub.unsubscribe();
    this.link.dispose();
  }
}

export async function runFuzz(o: FuzzRunOptions): Promise<FuzzRunReport> {
  const fz = new FrameFuzzer({
    seed: o.seed,
    target: o.target,
    // raw frames come from a second MAC: answers to them are not needed, and SSCOP garbage from it does not keep
    // resetting the association, which speaks from the port's own MAC (a TAP only hands up frames to that MAC)
    source: o.rawSource ?? associationMacFor(o.miniport.mac),
    mtu: o.miniport.mtu,
    ...(o.addresses ? { addresses: o.addresses } : {}),
    ...(o.randomSourceRate !== undefined ? { randomSourceRate: o.randomSourceRate } : {}),
    ...(o.weights ? { weights: o.weights } : {}),
  });
  const p = fz.prng;
  const assoc = new FuzzAssociation(o.miniport, o.target, { sscop: o.sscop, scheduler: o.scheduler });
  const byLayer: Record<string, number> = {};
  let frames = 0;
  let messages = 0;
  const t0 = Date.now();
  const maxFrames = o.frames ?? Number.POSITIVE_INFINITY;
  const maxMs = o.ms ?? Number.POSITIVE_INFINITY;
  const burst = o.burst ?? 64;
  const messageRate = o.messageRate ?? 0.25;
  assoc.kick();
  // the association first (before the target drowns in garbage), so mutated messages reach call control
  for (let waited = 0; !assoc.link.established && waited < (o.establishMs ?? 3000); waited += 10) await new Promise((r) => setTimeout(r, 10));
  try {
    while (frames + messages < maxFrames && Date.now() - t0 < maxMs && !o.stop?.()) {
      for (let i = 0; i < burst && frames + messages < maxFrames; i++) {
        if (p.chance(messageRate) && assoc.link.established) {
          const m = fuzzMessage(p, o.addresses ?? []);
          // half the time on a call the target knows, so messages meet calls in every state, not only the null state
          if (assoc.callRefs.length && p.chance(0.5) && m.length >= 5 && m[1] === 3) {
            const cr = p.pick(assoc.callRefs);
            m[2] = cr >> 16;
            m[3] = (cr >> 8) & 0xff;
            m[4] = cr & 0xff;
          }
          o.record?.('q2931', m);
          assoc.send(m);
          messages++;
          continue;
        }
        const f = fz.next();
        o.record?.('frame', f.frame);
        o.miniport.send(f.frame);
        byLayer[f.layer] = (byLayer[f.layer] ?? 0) + 1;
        frames++;
      }
      assoc.kick();
      if (o.maxRate) {
        // pace: no faster than maxRate inputs per second on average
        const ahead = ((frames + messages) * 1000) / o.maxRate - (Date.now() - t0);
        if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
      }
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    assoc.dispose();
  }
  const ms = Date.now() - t0;
  return { seed: o.seed, ms, frames, byLayer, messages, associations: assoc.established, framesPerSecond: Math.round(((frames + messages) * 1000) / Math.max(1, ms)) };
}

/** the port's MAC with the top bit of the last octet flipped */
export function associationMacFor(mac: Mac): Mac {
  const last = parseInt(mac.slice(15), 16) ^ 0x80;
  return `${mac.slice(0, 15)}${last.toString(16).padStart(2, '0')}`.toLowerCase();
}
