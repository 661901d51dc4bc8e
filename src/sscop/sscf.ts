/**
 * ITU-T Q.2130 SSCF-UNI, pure: `sscfStep(state, event) -> { state, effects }`.
 *
 * SSCF-UNI sits between Q.2931 and SSCOP. It turns the AAL-* primitives of the
 * SAAL service (`service.ts`) into SSCOP AA-* requests and SSCOP signals into
 * SaalSignals, and answers SSCOP's establish, resynchronise and recover
 * indications by itself (Q.2931 only learns "the link was (re)established").
 *
 *   1/1 Released, 2/2 Awaiting Establish, 2/5 Resynchronising,
 *   3/4 Awaiting Release, 4/10 Established
 *
 * (the state names carry the SSCF-UNI state number and the SSCOP state it
 * mirrors, as Q.2130 does). AAL-DATA requests made while the link establishes
 * or resynchronises are held and sent, in order, once it is up; requests made
 * while released or releasing are discarded (and counted), since Q.2931 asks
 * for establishment before sending.
 */
import type { SaalSignal } from './service.js';
import type { SscopEvent, SscopSignal } from './machine.js';
import { dequeue, emptyQueue, enqueue, type PQueue } from './queue.js';

export type SscfStateName = '1/1 Released' | '2/2 Awaiting Establish' | '2/5 Resynchronising' | '3/4 Awaiting Release' | '4/10 Established';

export interface SscfState {
  readonly name: SscfStateName;
  /** AAL-DATA requests held while establishing / resynchronising */
  readonly held: PQueue<Buffer>;
}

export type SscfEvent =
  | { kind: 'AAL-ESTABLISH.request' }
  | { kind: 'AAL-RELEASE.request' }
  | { kind: 'AAL-DATA.request'; data: Buffer }
  | { kind: 'AAL-UNITDATA.request'; data: Buffer }
  /** a signal from SSCOP */
  | { kind: 'sscop'; signal: SscopSignal };

export type SscfEffect =
  /** a request to SSCOP */
  | { kind: 'sscop'; event: SscopEvent }
  /** a signal to Q.2931 */
  | { kind: 'up'; signal: SaalSignal }
  | { kind: 'discard'; reason: string; count: number };

export interface SscfStepResult {
  state: SscfState;
  effects: SscfEffect[];
}

export function initialSscfState(): SscfState {
  return { name: '1/1 Released', held: emptyQueue() };
}

/** effects under construction (a class, not closures: this runs once per SDU) */
class Out {
  readonly effects: SscfEffect[] = [];
  held: PQueue<Buffer>;
  constructor(held: PQueue<Buffer>) {
    this.held = held;
  }
  toSscop(e: SscopEvent): void {
    this.effects.push({ kind: 'sscop', event: e });
  }
  up(s: SaalSignal): void {
    this.effects.push({ kind: 'up', signal: s });
  }
  dropHeld(): void {
    if (this.held.size) this.effects.push({ kind: 'discard', reason: 'held-data-released', count: this.held.size });
    this.held = emptyQueue();
  }
  flush(): void {
    for (let d = dequeue(this.held); d; d = dequeue(d[1])) this.toSscop({ kind: 'AA-DATA.request', data: d[0] });
    this.held = emptyQueue();
  }
}

export function sscfStep(state: SscfState, event: SscfEvent): SscfStepResult {
  // the two steps every SDU takes (down while established, up in any state): no working copy needed
  if (event.kind === 'AAL-DATA.request') {
    if (state.name === '4/10 Established') return { state, effects: [{ kind: 'sscop', event: { kind: 'AA-DATA.request', data: event.data } }] };
  } else if (event.kind === 'sscop' && event.signal.kind === 'AA-DATA.indication') {
    return { state, effects: [{ kind: 'up', signal: { kind: 'data-indication', data: event.signal.data } }] };
  }
  let name = state.name;
  const o = new Out(state.held);
  const effects = o.effects;

  switch (event.kind) {
    case 'AAL-ESTABLISH.request':
      switch (name) {
        case '1/1 Released':
        case '3/4 Awaiting Release':
          o.toSscop({ kind: 'AA-ESTABLISH.request' });
          name = '2/2 Awaiting Establish';
          break;
        case '4/10 Established':
          // re-establishing a live link is a resynchronisation
          o.toSscop({ kind: 'AA-RESYNC.request' });
          name = '2/5 Resynchronising';
          break;
        default:
          break; // already on its way
      }
      break;

    case 'AAL-RELEASE.request':
      switch (name) {
        case '1/1 Released':
          o.up({ kind: 'release-confirm' });
          break;
        case '3/4 Awaiting Release':
          break;
        default:
          o.dropHeld();
          o.toSscop({ kind: 'AA-RELEASE.request' });
          name = '3/4 Awaiting Release';
          break;
      }
      break;

    case 'AAL-DATA.request':
      switch (name) {
        // (4/10 Established: at the top)
        case '2/2 Awaiting Establish':
        case '2/5 Resynchronising':
          o.held = enqueue(o.held, event.data);
          break;
        default:
          effects.push({ kind: 'discard', reason: 'data-while-released', count: 1 });
          break;
      }
      break;

    case 'AAL-UNITDATA.request':
      o.toSscop({ kind: 'AA-UNITDATA.request', data: event.data });
      break;

    case 'sscop': {
      const sig = event.signal;
      switch (sig.kind) {
        case 'AA-ESTABLISH.indication':
          o.toSscop({ kind: 'AA-ESTABLISH.response' });
          if (name === '2/2 Awaiting Establish' || name === '2/5 Resynchronising') {
            o.up({ kind: 'establish-confirm' });
            name = '4/10 Established';
            o.flush();
          } else {
            o.up({ kind: 'establish-indication' });
            name = '4/10 Established';
          }
          break;
        case 'AA-ESTABLISH.confirm':
          if (name === '2/2 Awaiting Establish') {
            o.up({ kind: 'establish-confirm' });
            name = '4/10 Established';
            o.flush();
          }
          break;
        case 'AA-RESYNC.indication':
          o.toSscop({ kind: 'AA-RESYNC.response' });
          if (name === '2/5 Resynchronising') {
            o.up({ kind: 'establish-confirm' });
            o.flush();
          } else o.up({ kind: 'establish-indication' });
          name = '4/10 Established';
          break;
        case 'AA-RESYNC.confirm':
          if (name === '2/5 Resynchronising') {
            o.up({ kind: 'establish-confirm' });
            name = '4/10 Established';
            o.flush();
          }
          break;
        case 'AA-RECOVER.indication':
          o.toSscop({ kind: 'AA-RECOVER.response' });
          if (name === '4/10 Established') o.up({ kind: 'establish-indication' });
          break;
        case 'AA-RELEASE.indication':
          o.dropHeld();
          if (name === '3/4 Awaiting Release') o.up({ kind: 'release-confirm' });
          else if (name !== '1/1 Released') o.up({ kind: 'release-indication', reason: sig.reason });
          name = '1/1 Released';
          break;
        case 'AA-RELEASE.confirm':
          if (name === '3/4 Awaiting Release') o.up({ kind: 'release-confirm' });
          name = '1/1 Released';
          break;
        // (AA-DATA.indication: at the top)
        case 'AA-UNITDATA.indication':
          o.up({ kind: 'unitdata-indication', data: sig.data });
          break;
        case 'MAA-UNITDATA.indication':
          effects.push({ kind: 'discard', reason: 'management-data', count: 1 });
          break;
      }
      break;
    }
  }
  return { state: name === state.name && o.held === state.held ? state : { name, held: o.held }, effects };
}
