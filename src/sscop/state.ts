/**
 * SSCOP (Q.2110) names and records: the ten states, the timers, the MAA-ERROR codes, the
 * parameters, the state variables (VT(S) is `vtS`, VR(MR) is `vrMR`, ...), the events a
 * transition takes and the effects it returns, and the modulo-2^24 sequence arithmetic.
 * Plain data only; the transitions are in machine.ts and the files it imports.
 */
import type { SscopPdu } from './pdu.js';
import { emptyQueue, SnLog, SnMap, type PQueue } from './queue.js';

// ---------------------------------------------------------------- names

/** The ten Q.2110 states, spelled as in the standard. */
export type SscopStateName =
  | 'Idle'
  | 'Outgoing Connection Pending'
  | 'Incoming Connection Pending'
  | 'Outgoing Disconnection Pending'
  | 'Outgoing Resynchronization Pending'
  | 'Incoming Resynchronization Pending'
  | 'Outgoing Recovery Pending'
  | 'Recovery Response Pending'
  | 'Incoming Recovery Pending'
  | 'Data Transfer Ready';

/** Q.2110 state numbers (1 Idle ... 10 Data Transfer Ready). */
export const SSCOP_STATE_NUMBER: Readonly<Record<SscopStateName, number>> = {
  Idle: 1,
  'Outgoing Connection Pending': 2,
  'Incoming Connection Pending': 3,
  'Outgoing Disconnection Pending': 4,
  'Outgoing Resynchronization Pending': 5,
  'Incoming Resynchronization Pending': 6,
  'Outgoing Recovery Pending': 7,
  'Recovery Response Pending': 8,
  'Incoming Recovery Pending': 9,
  'Data Transfer Ready': 10,
};

export type SscopTimer = 'CC' | 'POLL' | 'NO_RESPONSE' | 'KEEP_ALIVE' | 'IDLE';
export const SSCOP_TIMERS: readonly SscopTimer[] = ['CC', 'POLL', 'NO_RESPONSE', 'KEEP_ALIVE', 'IDLE'];

/** Q.2110 layer-management error codes (MAA-ERROR.indication). */
export type MaaErrorCode = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'O' | 'P' | 'Q' | 'R' | 'S' | 'T' | 'U' | 'V' | 'W' | 'X';

export const MAA_ERROR_NAMES: Readonly<Record<MaaErrorCode, string>> = {
  A: 'SD PDU unexpected',
  B: 'BGN PDU unexpected',
  C: 'BGAK PDU unexpected',
  D: 'BGREJ PDU unexpected',
  E: 'END PDU unexpected',
  F: 'ENDAK PDU unexpected',
  G: 'POLL PDU unexpected',
  H: 'STAT PDU unexpected',
  I: 'USTAT PDU unexpected',
  J: 'RS PDU unexpected',
  K: 'RSAK PDU unexpected',
  L: 'ER PDU unexpected',
  M: 'ERAK PDU unexpected',
  O: 'VT(CC) >= MaxCC',
  P: 'Timer_NO_RESPONSE expiry',
  Q: 'SD or POLL N(S) error',
  R: 'STAT N(PS) error',
  S: 'STAT N(R) or list elements error',
  T: 'USTAT N(R) or list elements error',
  U: 'PDU length violation',
  V: 'SD PDUs must be retransmitted',
  W: 'lack of credit',
  X: 'credit obtained',
};

// ---------------------------------------------------------------- parameters

export interface SscopParams {
  /** Timer_CC, ms: retransmission of BGN, END, RS, ER */
  timerCC: number;
  /** Timer_POLL, ms: polling interval while SDs are outstanding */
  timerPoll: number;
  /** Timer_KEEP_ALIVE, ms: polling interval when nothing is outstanding */
  timerKeepAlive: number;
  /** Timer_IDLE, ms: length of the idle phase without polls */
  timerIdle: number;
  /** Timer_NO_RESPONSE, ms: longest time without a STAT while polling */
  timerNoResponse: number;
  /** MaxCC: transmissions of BGN/END/RS/ER before giving up */
  maxCC: number;
  /** MaxPD: SDs sent before a POLL is forced */
  maxPD: number;
  /** MaxSTAT: list elements per STAT (odd, >= 3) */
  maxSTAT: number;
  /** the receive window offered to the peer: VR(MR) = VR(R) + window */
  window: number;
  /** MaxK: max SD/UD/MD payload octets */
  maxK: number;
  /** MaxJ: max UU octets */
  maxJ: number;
  /** tolerate duplicated and reordered PDUs (see the module comment); default true */
  robust: boolean;
  /** send a POLL as soon as the retransmission queue empties; default true */
  pollAfterRetransmission: boolean;
  /** VT(SQ) a link made by createSaalLink starts from (not a Q.2110 parameter); default random (saal-link.ts) */
  initialSequence?: number;
}

/** Q.2130 SSCF-UNI values (as NgATM and linux-atm's SSCF use them), window 128. */
export const DEFAULT_SSCOP_PARAMS: Readonly<SscopParams> = Object.freeze({
  timerCC: 1000,
  timerPoll: 750,
  timerKeepAlive: 2000,
  timerIdle: 15000,
  timerNoResponse: 7000,
  maxCC: 4,
  maxPD: 25,
  maxSTAT: 67,
  window: 128,
  maxK: 4096,
  maxJ: 4096,
  robust: true,
  pollAfterRetransmission: true,
});

/** Problems with a parameter set, as readable sentences; empty when valid. */
export function checkSscopParams(p: SscopParams): string[] {
  const problems: string[] = [];
  for (const k of ['timerCC', 'timerPoll', 'timerKeepAlive', 'timerIdle', 'timerNoResponse'] as const) {
    if (!(Number.isFinite(p[k]) && p[k] > 0)) problems.push(`${k} must be a positive number of milliseconds (got ${p[k]})`);
  }
  const int = (k: keyof SscopParams, lo: number, hi: number) => {
    const v = p[k] as number;
    if (!Number.isInteger(v) || v < lo || v > hi) problems.push(`${k} must be an integer in ${lo}..${hi} (got ${v})`);
  };
  int('maxCC', 1, 255);
  int('maxPD', 1, 0x7fffff);
  int('maxSTAT', 3, 65535);
  int('window', 1, 0x7fffff);
  int('maxK', 0, 65528);
  int('maxJ', 0, 65524);
  if (Number.isInteger(p.maxSTAT) && p.maxSTAT % 2 === 0) problems.push(`maxSTAT must be odd (got ${p.maxSTAT})`);
  if (p.timerNoResponse <= p.timerPoll) problems.push('timerNoResponse must exceed timerPoll');
  if (p.timerNoResponse <= p.timerKeepAlive) problems.push('timerNoResponse must exceed timerKeepAlive');
  return problems;
}

/** Defaults overlaid with `over`; throws a RangeError naming every problem. */
export function sscopParams(over: Partial<SscopParams> = {}): SscopParams {
  const p: SscopParams = { ...DEFAULT_SSCOP_PARAMS, ...over };
  const problems = checkSscopParams(p);
  if (problems.length) throw new RangeError(`invalid SSCOP parameters: ${problems.join('; ')}`);
  return p;
}

// ---------------------------------------------------------------- state, events, effects

/** an SD in the transmit buffer (internal to the machine) */
export interface TxEntry {
  readonly data: Buffer;
  /** VT(PS) when this SD was (last) sent: a STAT retransmits it only if its N(PS) is later */
  readonly ps: number;
}

export interface SscopState {
  readonly name: SscopStateName;
  readonly params: SscopParams;
  /** VT(S): next new SD sequence number */
  readonly vtS: number;
  /** VT(PS): current poll sequence number */
  readonly vtPS: number;
  /** VT(A): next in-sequence SD expected to be acknowledged */
  readonly vtA: number;
  /** VT(PA): poll sequence the last accepted STAT answered */
  readonly vtPA: number;
  /** VT(MS): transmit window limit (first SN the peer does not accept) */
  readonly vtMS: number;
  /** VT(PD): SDs sent since the last POLL */
  readonly vtPD: number;
  /** VT(CC): transmissions of the current BGN/END/RS/ER */
  readonly vtCC: number;
  /** VT(SQ): connection sequence number of our BGN/RS/ER (8 bits) */
  readonly vtSQ: number;
  /** VR(R): next in-sequence SD expected */
  readonly vrR: number;
  /** VR(H): highest expected SD (one past the highest known to have been sent) */
  readonly vrH: number;
  /** VR(MR): receive window limit */
  readonly vrMR: number;
  /** VR(SQ): N(SQ) of the last BGN/RS/ER accepted from the peer */
  readonly vrSQ: number;
  /** SDUs accepted from the user but not yet sent */
  readonly txQueue: PQueue<Buffer>;
  /** SDs sent and not yet acknowledged, by N(S): exactly VT(A) .. VT(S)-1 */
  readonly txBuf: SnLog<TxEntry>;
  /** N(S) of SDs to send again, ascending relative to VT(A) */
  readonly rtx: readonly number[];
  /** SDs received out of sequence, by N(S) */
  readonly rxBuf: SnMap<Buffer>;
  /** false after lack of credit was reported (W), until credit returns (X) */
  readonly credit: boolean;
  /** which timers run */
  readonly timers: SscopTimerSet;
  /** UU of the BGN/END/RS being retransmitted under Timer_CC */
  readonly ccUu: Buffer;
  /**
   * Robust mode: Data Transfer Ready was entered on a BGAK while a crossing BGN from the
   * peer (both ends establishing at once) may still be on its way, reordered behind the
   * BGAK. Until the first polling timer expires, a BGN with a new N(SQ) is taken as that
   * crossing BGN (acknowledged, no reset) rather than as the peer starting over.
   */
  readonly crossing: boolean;
}

export type SscopEvent =
  | { kind: 'AA-ESTABLISH.request'; uu?: Buffer }
  | { kind: 'AA-ESTABLISH.response'; uu?: Buffer }
  | { kind: 'AA-RELEASE.request'; uu?: Buffer }
  | { kind: 'AA-DATA.request'; data: Buffer }
  | { kind: 'AA-RESYNC.request'; uu?: Buffer }
  | { kind: 'AA-RESYNC.response' }
  | { kind: 'AA-RECOVER.response' }
  | { kind: 'AA-UNITDATA.request'; data: Buffer }
  | { kind: 'MAA-UNITDATA.request'; data: Buffer }
  /** a PDU received from the peer */
  | { kind: 'pdu'; pdu: SscopPdu }
  /** a PDU that failed to decode (size or type violation): MAA-ERROR U */
  | { kind: 'bad-pdu'; code: string }
  | { kind: 'timer'; timer: SscopTimer };

/** Signals to the SSCOP user (SSCF). */
export type SscopSignal =
  | { kind: 'AA-ESTABLISH.indication'; uu: Buffer }
  | { kind: 'AA-ESTABLISH.confirm'; uu: Buffer }
  /** `source` is who released: the peer SSCOP user ('user') or an SSCOP ('sscop'); `reason` names why */
  | { kind: 'AA-RELEASE.indication'; source: 'user' | 'sscop'; reason: string; uu: Buffer }
  | { kind: 'AA-RELEASE.confirm' }
  | { kind: 'AA-DATA.indication'; data: Buffer; sn: number }
  | { kind: 'AA-RESYNC.indication'; uu: Buffer }
  | { kind: 'AA-RESYNC.confirm' }
  | { kind: 'AA-RECOVER.indication' }
  | { kind: 'AA-UNITDATA.indication'; data: Buffer }
  | { kind: 'MAA-UNITDATA.indication'; data: Buffer };

export type SscopEffect =
  | { kind: 'send'; pdu: SscopPdu; retransmission: boolean }
  /** start (or restart, if running) a timer */
  | { kind: 'start-timer'; timer: SscopTimer; ms: number }
  | { kind: 'stop-timer'; timer: SscopTimer }
  | { kind: 'signal'; signal: SscopSignal }
  /** MAA-ERROR.indication; `count` for V (SDs retransmitted) */
  | { kind: 'maa-error'; code: MaaErrorCode; count?: number }
  /** a PDU or SDUs dropped without a protocol error (stale, duplicate, ignored in this state, buffers cleared) */
  | { kind: 'discard'; reason: string; count: number };

export interface SscopStepResult {
  state: SscopState;
  effects: SscopEffect[];
}

// ---------------------------------------------------------------- sequence arithmetic

/** @internal sequence-number modulus mask */
export const MASK = 0xffffff;
/** @internal half the sequence space */
export const HALF = 0x800000;
/** @internal */
export const EMPTY = Buffer.alloc(0);

/** which timers run: each of the 32 possible records exists once, frozen, so a step never copies one */
export type SscopTimerSet = Readonly<Record<SscopTimer, boolean>>;
const TIMER_SETS: readonly SscopTimerSet[] = Array.from({ length: 32 }, (_, m) =>
  Object.freeze({ CC: (m & 1) !== 0, POLL: (m & 2) !== 0, NO_RESPONSE: (m & 4) !== 0, KEEP_ALIVE: (m & 8) !== 0, IDLE: (m & 16) !== 0 }),
);
const NO_TIMERS = TIMER_SETS[0]!;

function timerBit(t: SscopTimer): number {
  switch (t) {
    case 'CC':
      return 1;
    case 'POLL':
      return 2;
    case 'NO_RESPONSE':
      return 4;
    case 'KEEP_ALIVE':
      return 8;
    case 'IDLE':
      return 16;
  }
}

/** @internal `timers` with `timer` running (`on`) or not: one of the 32 shared records */
export function withTimer(timers: SscopTimerSet, timer: SscopTimer, on: boolean): SscopTimerSet {
  const m = (timers.CC ? 1 : 0) | (timers.POLL ? 2 : 0) | (timers.NO_RESPONSE ? 4 : 0) | (timers.KEEP_ALIVE ? 8 : 0) | (timers.IDLE ? 16 : 0);
  const b = timerBit(timer);
  return TIMER_SETS[on ? m | b : m & ~b]!;
}

/** x - base modulo 2^24: the distance of x ahead of base */
export function seqRel(x: number, base: number): number {
  return (x - base) & MASK;
}
/** @internal x + 1 modulo 2^24 */
export const inc = (x: number) => (x + 1) & MASK;
/** @internal x + n modulo 2^24 */
export const add = (x: number, n: number) => (x + n) & MASK;
/** @internal x lies strictly behind base (within half the sequence space) */
export const behind = (x: number, base: number) => {
  const d = seqRel(base, x);
  return d > 0 && d < HALF;
};

// ---------------------------------------------------------------- initial state

/**
 * A fresh association in Idle. `connectionSequence` is the initial VT(SQ): N(SQ) values
 * are only ever compared for equality, so any start is valid, and a random one (as
 * `createSaalLink` picks) keeps a restarted host's first BGN from looking like a
 * retransmission of its previous life's BGN to a peer that still remembers it.
 */
export function initialSscopState(params: Partial<SscopParams> | SscopParams = {}, connectionSequence = 0): SscopState {
  const p = sscopParams(params);
  return copyState({
    name: 'Idle',
    params: p,
    vtS: 0,
    vtPS: 0,
    vtA: 0,
    vtPA: 1,
    vtMS: 0,
    vtPD: 0,
    vtCC: 0,
    vtSQ: connectionSequence & 0xff,
    vrR: 0,
    vrH: 0,
    vrMR: p.window,
    vrSQ: 0,
    txQueue: emptyQueue(),
    txBuf: SnLog.empty(),
    rtx: [],
    rxBuf: SnMap.empty(),
    credit: true,
    timers: NO_TIMERS,
    ccUu: EMPTY,
    crossing: false,
  });
}

/**
 * A field-by-field copy of a state (what each step edits). Written out rather than
 * `{ ...s }`: every state then has one object shape, and V8 copies it several times
 * faster than a spread of a spread (the step's largest cost before).
 */
export function copyState(s: SscopState): { -readonly [K in keyof SscopState]: SscopState[K] } {
  return {
    name: s.name,
    params: s.params,
    vtS: s.vtS,
    vtPS: s.vtPS,
    vtA: s.vtA,
    vtPA: s.vtPA,
    vtMS: s.vtMS,
    vtPD: s.vtPD,
    vtCC: s.vtCC,
    vtSQ: s.vtSQ,
    vrR: s.vrR,
    vrH: s.vrH,
    vrMR: s.vrMR,
    vrSQ: s.vrSQ,
    txQueue: s.txQueue,
    txBuf: s.txBuf,
    rtx: s.rtx,
    rxBuf: s.rxBuf,
    credit: s.credit,
    timers: s.timers,
    ccUu: s.ccUu,
    crossing: s.crossing,
  };
}

/** SDUs held by the transmitter: queued, unacknowledged and waiting for retransmission. */
export function sscopQueued(s: SscopState): { queued: number; unacknowledged: number; retransmit: number; outOfOrder: number } {
  return { queued: s.txQueue.size, unacknowledged: s.txBuf.size, retransmit: s.rtx.length, outOfOrder: s.rxBuf.size };
}

