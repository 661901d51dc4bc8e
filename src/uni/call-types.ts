/**
 * The types of one call's Q.2931 machine (call.ts) that its helpers share
 * (modify.ts steps the Q.2963.1 part of the same state): kept apart so the
 * helpers need not import the machine.
 */
import type { TimerName } from './timers.js';
import type { CallPhase, Side } from './states.js';
import type { UniMessage } from './msg/types.js';
import type { PeakCellRates } from './msg/traffic.js';

export type CallKind = 'p2p' | 'root' | 'leaf';

export interface VcId {
  vpi: number;
  vci: number;
}

export interface CallState {
  readonly phase: CallPhase;
  readonly side: Side;
  readonly kind: CallKind;
  /** the VC this call uses; the network side knows it from the start */
  readonly vc?: VcId;
  /** network side: the Connection identifier has gone out (SETUP or first response) */
  readonly vcSent: boolean;
  /** kept for T303's resend */
  readonly setup?: UniMessage;
  /** kept for T308's resend */
  readonly release?: UniMessage;
  /** kept for T322's resend (it may name a party) */
  readonly enquiry?: UniMessage;
  /** sends so far of the messages timers guard */
  readonly sent: { readonly t303: number; readonly t308: number; readonly t322: number };
  /** the host has been told the call is over (released / release-confirm) */
  readonly told: boolean;
  /** the host has been told the call is end-to-end active */
  readonly activeTold: boolean;
  /** we sent the SETUP: the connection owner, the only side that asks for a modification (Q.2963.1) */
  readonly owner?: boolean;
  /** Q.2963.1 modification under way: 'req' we asked (U13/N13, T360 runs), 'rcvd' we were asked (U14/N14) */
  readonly mod?: 'req' | 'rcvd';
  /** the peak cell rates the modification under way asks for */
  readonly modPcr?: PeakCellRates;
  /** Q.2963.1 responder: our MODIFY ACKNOWLEDGE asked for CONNECTION AVAILABLE, T361 runs */
  readonly awaitAvail?: boolean;
  /** Q.2963.1 owner that relays (a switch): CONNECTION AVAILABLE waits for avail-req instead of following the MODIFY ACKNOWLEDGE */
  readonly modDefer?: boolean;
  /** Q.2963.1 owner: the MODIFY ACKNOWLEDGE asked for CONNECTION AVAILABLE and avail-req sends it (modDefer) */
  readonly owesAvail?: boolean;
}

export type CallIndication =
  | { k: 'proceeding' }
  | { k: 'alerting' }
  | { k: 'connected'; vc?: VcId }
  | { k: 'active' }
  | { k: 'released'; cause: number; closeData?: Buffer; remote: boolean }
  | { k: 'release-confirm'; cause: number }
  /** Q.2963.1 responder: the owner asks for these peak cell rates; answer with modify-ack-req / modify-reject-req */
  | { k: 'modify-ind'; pcr: PeakCellRates }
  /** Q.2963.1 owner: our MODIFY REQUEST was acknowledged (no cause) or rejected (cause); `confirm`: the acknowledgement asked for a deferred CONNECTION AVAILABLE */
  | { k: 'modify-confirm'; pcr: PeakCellRates; cause?: number; confirm?: boolean }
  /** Q.2963.1 responder: CONNECTION AVAILABLE arrived (or T361 ran out): the new rates are in force at both ends */
  | { k: 'modify-available' };

export type CallEffect =
  | { t: 'send'; msg: UniMessage }
  | { t: 'start'; timer: TimerName }
  | { t: 'stop'; timer: TimerName }
  | { t: 'ind'; ind: CallIndication }
  /** message illegal in this state: the coordinator answers per Q.2931 5.6.10 (STATUS 101) */
  | { t: 'wrong-state'; msg: UniMessage }
  /** every party of the call leaves with the call */
  | { t: 'parties-gone'; cause: number; closeData?: Buffer; remote: boolean }
  /** the call reference is free again */
  | { t: 'destroy' };

export interface CallStep {
  state: CallState;
  effects: CallEffect[];
}
