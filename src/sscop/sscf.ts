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

export function sscfStep(state: SscfState, event: SscfEvent): SscfStepResult {
  const effects: SscfEffect[] = [];
  let name = state.name;
  let held = state.held;
  const toSscop = (e: SscopEvent) => effects.push({ kind: 'sscop', event: e });
  const up = (s: SaalSignal) => effects.push({ kind: 'up', signal: s });
  const dropHeld = () => {
    if (held.size) effects.push({ kind: 'discard', reason: 'held-data-released', count: held.size });
    held = emptyQueue();
  };
  const flush = () => {
    for (let d = dequeue(held); d; d = dequeue(d[1])) toSscop({ kind: 'AA-DATA.request', data: d[0] });
    held = emptyQueue();
  };

  switch (event.kind) {
    case 'AAL-ESTABLISH.request':
      switch (name) {
        case '1/1 Released':
        case '3/4 Awaiting Release':
          toSscop({ kind: 'AA-ESTABLISH.request' });
          name = '2/2 Awaiting Establish';
          break;
        case '4/10 Established':
          // re-establishing a live link is a resynchronisation
          toSscop({ kind: 'AA-RESYNC.request' });
          name = '2/5 Resynchronising';
          break;
        default:
          break; // already on its way
      }
      break;

    case 'AAL-RELEASE.request':
      switch (name) {
        case '1/1 Released':
          up({ kind: 'release-confirm' });
          break;
        case '3/4 Awaiting Release':
          break;
        default:
          dropHeld();
          toSscop({ kind: 'AA-RELEASE.request' });
          name = '3/4 Awaiting Release';
          break;
      }
      break;

    case 'AAL-DATA.request':
      switch (name) {
        case '4/10 Established':
          toSscop({ kind: 'AA-DATA.request', data: event.data });
          break;
        case '2/2 Awaiting Establish':
        case '2/5 Resynchronising':
          held = enqueue(held, event.data);
          break;
        default:
          effects.push({ kind: 'discard', reason: 'data-while-released', count: 1 });
          break;
      }
      break;

    case 'AAL-UNITDATA.request':
      toSscop({ kind: 'AA-UNITDATA.request', data: event.data });
      break;

    case 'sscop': {
      const sig = event.signal;
      switch (sig.kind) {
        case 'AA-ESTABLISH.indication':
          toSscop({ kind: 'AA-ESTABLISH.response' });
          if (name === '2/2 Awaiting Establish' || name === '2/5 Resynchronising') {
            up({ kind: 'establish-confirm' });
            name = '4/10 Established';
            flush();
          } else {
            up({ kind: 'establish-indication' });
            name = '4/10 Established';
          }
          break;
        case 'AA-ESTABLISH.confirm':
          if (name === '2/2 Awaiting Establish') {
            up({ kind: 'establish-confirm' });
            name = '4/10 Established';
            flush();
          }
          break;
        case 'AA-RESYNC.indication':
          toSscop({ kind: 'AA-RESYNC.response' });
          if (name === '2/5 Resynchronising') {
            up({ kind: 'establish-confirm' });
            flush();
          } else up({ kind: 'establish-indication' });
          name = '4/10 Established';
          break;
        case 'AA-RESYNC.confirm':
          if (name === '2/5 Resynchronising') {
            up({ kind: 'establish-confirm' });
            name = '4/10 Established';
            flush();
          }
          break;
        case 'AA-RECOVER.indication':
          toSscop({ kind: 'AA-RECOVER.response' });
          if (name === '4/10 Established') up({ kind: 'establish-indication' });
          break;
        case 'AA-RELEASE.indication':
          dropHeld();
          if (name === '3/4 Awaiting Release') up({ kind: 'release-confirm' });
          else if (name !== '1/1 Released') up({ kind: 'release-indication', reason: sig.reason });
          name = '1/1 Released';
          break;
        case 'AA-RELEASE.confirm':
          if (name === '3/4 Awaiting Release') up({ kind: 'release-confirm' });
          name = '1/1 Released';
          break;
        case 'AA-DATA.indication':
          up({ kind: 'data-indication', data: sig.data });
          break;
        case 'AA-UNITDATA.indication':
          up({ kind: 'unitdata-indication', data: sig.data });
          break;
        case 'MAA-UNITDATA.indication':
          effects.push({ kind: 'discard', reason: 'management-data', count: 1 });
          break;
      }
      break;
    }
  }
  return { state: name === state.name && held === state.held ? state : { name, held }, effects };
}
