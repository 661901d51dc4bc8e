/**
 * The Q.2110 SSCOP state machine, pure: `sscopStep(state, event) -> { state, effects }`.
 *
 * No I/O, no clocks: sending a PDU, starting or stopping a timer, handing an
 * SDU or a signal to the SSCOP user and reporting an MAA-ERROR are all effects
 * (plain data) that `link.ts` carries out. States and state variables carry the
 * standard's names (VT(S) is `vtS`, VR(MR) is `vrMR`, ...), so the code can be
 * read next to the Q.2110 SDLs.
 *
 * Sequence numbers are 24-bit and every comparison is made modulo 2^24 relative
 * to VT(A) (transmitter) or VR(R) (receiver), so nothing breaks when N(S) wraps.
 *
 * Robust mode (`params.robust`, on by default): Q.2110 assumes an ATM
 * connection that may lose cells but never duplicates or reorders them, and
 * treats a duplicated SD, a POLL behind VR(H), or a STAT/USTAT whose N(PS) or
 * N(R) is behind what the transmitter already knows as protocol errors that
 * start error recovery (which may itself lose or duplicate SDUs). Ethernet
 * through bridges and `netem` can duplicate and reorder, so in robust mode
 * such stale or duplicate PDUs are recognised by their position relative to
 * VT(A)/VT(PA)/VR(R) and discarded (counted, effect `discard`) instead; genuine
 * violations (a sequence number ahead of anything sent) still raise the
 * standard's MAA-ERROR and recovery, and so does a STAT that answers our newest
 * POLL with an N(R) behind VT(A) (no reordering explains it: the peer has lost
 * its state). Each deviation is kept because test/sscop/lossy.test.ts fails
 * without it (recovery on every reordered STAT/USTAT duplicates SDUs). With
 * `robust: false` the machine follows Q.2110 to the letter.
 *
 * Buffer release (BR) and buffer retrieval (AA-RETRIEVE) are not implemented:
 * buffers are always cleared on release, resynchronisation and establishment,
 * and error recovery keeps unacknowledged SDUs and sends them again.
 */
import type { SscopPdu } from './pdu.js';
import { dequeue, emptyQueue, enqueue, queueFrom, queueToArray, SnMap, type PQueue, type SnMapEditor } from './queue.js';

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
  /** VT(SQ) a link made by createSaalLink starts from (not a Q.2110 parameter); default random (link.ts) */
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

interface TxEntry {
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
  /** SDs sent and not yet acknowledged, by N(S) */
  readonly txBuf: SnMap<TxEntry>;
  /** N(S) of SDs to send again, ascending relative to VT(A) */
  readonly rtx: readonly number[];
  /** SDs received out of sequence, by N(S) */
  readonly rxBuf: SnMap<Buffer>;
  /** false after lack of credit was reported (W), until credit returns (X) */
  readonly credit: boolean;
  /** which timers run */
  readonly timers: Readonly<Record<SscopTimer, boolean>>;
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

const MASK = 0xffffff;
const HALF = 0x800000;
const EMPTY = Buffer.alloc(0);
const NO_TIMERS: Readonly<Record<SscopTimer, boolean>> = Object.freeze({ CC: false, POLL: false, NO_RESPONSE: false, KEEP_ALIVE: false, IDLE: false });

/** x - base modulo 2^24: the distance of x ahead of base */
export function seqRel(x: number, base: number): number {
  return (x - base) & MASK;
}
const inc = (x: number) => (x + 1) & MASK;
const add = (x: number, n: number) => (x + n) & MASK;
/** x lies strictly behind base (within half the sequence space) */
const behind = (x: number, base: number) => {
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
  return {
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
    txBuf: SnMap.empty(),
    rtx: [],
    rxBuf: SnMap.empty(),
    credit: true,
    timers: NO_TIMERS,
    ccUu: EMPTY,
    crossing: false,
  };
}

/** SDUs held by the transmitter: queued, unacknowledged and waiting for retransmission. */
export function sscopQueued(s: SscopState): { queued: number; unacknowledged: number; retransmit: number; outOfOrder: number } {
  return { queued: s.txQueue.size, unacknowledged: s.txBuf.size, retransmit: s.rtx.length, outOfOrder: s.rxBuf.size };
}

// ---------------------------------------------------------------- the step context

type Draft = { -readonly [K in keyof SscopState]: SscopState[K] };

class Ctx {
  readonly s: Draft;
  readonly effects: SscopEffect[] = [];
  private txE: SnMapEditor<TxEntry> | undefined;
  private rxE: SnMapEditor<Buffer> | undefined;
  constructor(state: SscopState) {
    this.s = { ...state };
  }
  get p(): SscopParams {
    return this.s.params;
  }
  send(pdu: SscopPdu, retransmission = false): void {
    this.effects.push({ kind: 'send', pdu, retransmission });
  }
  start(timer: SscopTimer): void {
    const ms = TIMER_MS[timer](this.p);
    this.effects.push({ kind: 'start-timer', timer, ms });
    if (!this.s.timers[timer]) this.s.timers = { ...this.s.timers, [timer]: true };
  }
  stop(timer: SscopTimer): void {
    if (!this.s.timers[timer]) return;
    this.effects.push({ kind: 'stop-timer', timer });
    this.s.timers = { ...this.s.timers, [timer]: false };
  }
  stopAll(): void {
    for (const t of SSCOP_TIMERS) this.stop(t);
  }
  stopDataTimers(): void {
    this.stop('POLL');
    this.stop('NO_RESPONSE');
    this.stop('KEEP_ALIVE');
    this.stop('IDLE');
  }
  signal(signal: SscopSignal): void {
    this.effects.push({ kind: 'signal', signal });
  }
  maa(code: MaaErrorCode, count?: number): void {
    this.effects.push(count === undefined ? { kind: 'maa-error', code } : { kind: 'maa-error', code, count });
  }
  discard(reason: string, count = 1): void {
    this.effects.push({ kind: 'discard', reason, count });
  }
  /** the transmit buffer as of now in this step (read and write through this, never s.txBuf) */
  tx(): SnMapEditor<TxEntry> {
    return (this.txE ??= this.s.txBuf.edit());
  }
  /** the receive buffer as of now in this step */
  rx(): SnMapEditor<Buffer> {
    return (this.rxE ??= this.s.rxBuf.edit());
  }
  go(name: SscopStateName): void {
    this.s.name = name;
  }
  result(): SscopStepResult {
    if (this.txE) this.s.txBuf = this.txE.done();
    if (this.rxE) this.s.rxBuf = this.rxE.done();
    return { state: this.s, effects: this.effects };
  }
}

const TIMER_MS: Record<SscopTimer, (p: SscopParams) => number> = {
  CC: (p) => p.timerCC,
  POLL: (p) => p.timerPoll,
  NO_RESPONSE: (p) => p.timerNoResponse,
  KEEP_ALIVE: (p) => p.timerKeepAlive,
  IDLE: (p) => p.timerIdle,
};

// ---------------------------------------------------------------- shared procedures

/** "Initialize state variables" (after BGAK/RSAK/ERAK and their responses) */
function initVars(c: Ctx, nmr: number): void {
  const s = c.s;
  s.vtS = 0;
  s.vtPS = 0;
  s.vtA = 0;
  s.vtPA = 1;
  s.vtPD = 0;
  s.vtMS = nmr & MASK;
  s.vrR = 0;
  s.vrH = 0;
  s.vrMR = c.p.window;
  s.credit = true;
  s.crossing = false;
  s.rtx = [];
  c.tx().clear();
  c.rx().clear();
}

function clearTransmitter(c: Ctx): void {
  const s = c.s;
  const lost = s.txQueue.size + c.tx().size;
  if (lost) c.discard('buffers-cleared', lost);
  s.txQueue = emptyQueue();
  c.tx().clear();
  s.rtx = [];
}

function clearReceiver(c: Ctx): void {
  const rx = c.rx();
  if (rx.size) {
    c.discard('receive-buffer-cleared', rx.size);
    rx.clear();
  }
}

/** Error recovery keeps unacknowledged SDs: they go back to the head of the queue, to be numbered afresh. */
function prepareRecovery(c: Ctx): void {
  const s = c.s;
  const again: Buffer[] = [];
  for (let sn = s.vtA; sn !== s.vtS; sn = inc(sn)) {
    const e = c.tx().get(sn);
    if (e) again.push(e.data);
  }
  if (again.length) s.txQueue = queueFrom(again.concat(queueToArray(s.txQueue)));
  c.tx().clear();
  s.rtx = [];
  clearReceiver(c);
}

function sendBgn(c: Ctx, retransmission: boolean): void {
  c.send({ type: 'BGN', nsq: c.s.vtSQ, nmr: c.p.window, uu: c.s.ccUu }, retransmission);
}
function sendRs(c: Ctx, retransmission: boolean): void {
  c.send({ type: 'RS', nsq: c.s.vtSQ, nmr: c.p.window, uu: c.s.ccUu }, retransmission);
}
function sendEr(c: Ctx, retransmission: boolean): void {
  c.send({ type: 'ER', nsq: c.s.vtSQ, nmr: c.p.window }, retransmission);
}
function sendEnd(c: Ctx, source: 'user' | 'sscop', uu: Buffer, retransmission = false): void {
  c.send({ type: 'END', source, uu }, retransmission);
}

/** AA-ESTABLISH.request from Idle or Outgoing Disconnection Pending */
function beginEstablish(c: Ctx, uu: Buffer | undefined): void {
  c.stopAll();
  clearTransmitter(c);
  clearReceiver(c);
  c.s.ccUu = uu ?? EMPTY;
  c.s.vtCC = 1;
  c.s.vtSQ = (c.s.vtSQ + 1) & 0xff;
  sendBgn(c, false);
  c.start('CC');
  c.go('Outgoing Connection Pending');
}

/** AA-RELEASE.request from a connected or pending state: END, Timer_CC, state 4 */
function beginRelease(c: Ctx, uu: Buffer | undefined): void {
  c.stopAll();
  clearTransmitter(c);
  clearReceiver(c);
  c.s.ccUu = uu ?? EMPTY;
  c.s.vtCC = 1;
  sendEnd(c, 'user', c.s.ccUu);
  c.start('CC');
  c.go('Outgoing Disconnection Pending');
}

/** AA-RESYNC.request */
function beginResync(c: Ctx, uu: Buffer | undefined): void {
  c.stopAll();
  clearTransmitter(c);
  clearReceiver(c);
  c.s.ccUu = uu ?? EMPTY;
  c.s.vtCC = 1;
  c.s.vtSQ = (c.s.vtSQ + 1) & 0xff;
  sendRs(c, false);
  c.start('CC');
  c.go('Outgoing Resynchronization Pending');
}

/** a protocol error in Data Transfer Ready: MAA-ERROR, ER, Timer_CC, state 7 */
function beginRecovery(c: Ctx, code: MaaErrorCode): void {
  c.maa(code);
  c.stopDataTimers();
  c.s.vtCC = 1;
  c.s.vtSQ = (c.s.vtSQ + 1) & 0xff;
  sendEr(c, false);
  c.start('CC');
  c.go('Outgoing Recovery Pending');
}

/** SSCOP gives up on the connection: END(S=1), AA-RELEASE.indication, Idle */
function abort(c: Ctx, code: MaaErrorCode | undefined, reason: string, sendEndPdu = true): void {
  if (code) c.maa(code);
  c.stopAll();
  if (sendEndPdu) sendEnd(c, 'sscop', EMPTY);
  clearTransmitter(c);
  clearReceiver(c);
  c.signal({ kind: 'AA-RELEASE.indication', source: 'sscop', reason, uu: EMPTY });
  c.go('Idle');
}

/** END received in a connected or pending state */
function peerEnd(c: Ctx, pdu: Extract<SscopPdu, { type: 'END' }>): void {
  c.stopAll();
  c.send({ type: 'ENDAK' });
  clearTransmitter(c);
  clearReceiver(c);
  c.signal({ kind: 'AA-RELEASE.indication', source: pdu.source, reason: pdu.source === 'sscop' ? 'peer SSCOP ended the connection' : 'peer released', uu: pdu.uu });
  c.go('Idle');
}

/** a new BGN (not a retransmission) while connected or pending: the peer starts over */
function peerRestart(c: Ctx, pdu: Extract<SscopPdu, { type: 'BGN' }>, confirmRelease: boolean): void {
  c.stopAll();
  clearTransmitter(c);
  clearReceiver(c);
  c.s.vrSQ = pdu.nsq;
  c.s.vtMS = pdu.nmr;
  if (confirmRelease) c.signal({ kind: 'AA-RELEASE.confirm' });
  else c.signal({ kind: 'AA-RELEASE.indication', source: 'sscop', reason: 'peer re-established the connection', uu: EMPTY });
  c.signal({ kind: 'AA-ESTABLISH.indication', uu: pdu.uu });
  c.go('Incoming Connection Pending');
}

/** a new RS while pending recovery: the peer resynchronises */
function peerResync(c: Ctx, pdu: Extract<SscopPdu, { type: 'RS' }>): void {
  c.stopAll();
  c.s.vrSQ = pdu.nsq;
  c.s.vtMS = pdu.nmr;
  c.signal({ kind: 'AA-RESYNC.indication', uu: pdu.uu });
  c.go('Incoming Resynchronization Pending');
}

function enterDataTransfer(c: Ctx): void {
  c.start('POLL');
  c.start('NO_RESPONSE');
  c.go('Data Transfer Ready');
}

/** the BGN/END/RS/ER under Timer_CC went unanswered MaxCC times? */
function ccExhausted(c: Ctx): boolean {
  return c.s.vtCC >= c.p.maxCC;
}

// ---------------------------------------------------------------- data transfer (state 10)

function windowOpen(s: Draft): boolean {
  const span = seqRel(s.vtMS, s.vtA);
  return span < HALF && seqRel(s.vtS, s.vtA) < span;
}

function sendPoll(c: Ctx): void {
  const s = c.s;
  s.vtPS = inc(s.vtPS);
  c.send({ type: 'POLL', nps: s.vtPS, ns: s.vtS });
  s.vtPD = 0;
}

/** timer bookkeeping after an SD went out: leave the idle or transient phase, force a POLL at MaxPD */
function afterSd(c: Ctx): void {
  const s = c.s;
  s.vtPD++;
  if (s.timers.IDLE) {
    c.stop('IDLE');
    c.start('NO_RESPONSE');
    c.start('POLL');
  } else if (s.timers.KEEP_ALIVE) {
    c.stop('KEEP_ALIVE');
    c.start('POLL');
  } else if (!s.timers.POLL) {
    c.start('POLL');
  }
  if (s.vtPD >= c.p.maxPD) {
    sendPoll(c);
    c.start('POLL');
  }
}

/** send what may be sent: retransmissions first, then new SDs while the window is open */
function transmit(c: Ctx): void {
  const s = c.s;
  let retransmitted = 0;
  for (;;) {
    if (s.rtx.length) {
      const sn = s.rtx[0]!;
      s.rtx = s.rtx.slice(1);
      const e = c.tx().get(sn);
      if (!e) continue;
      c.tx().set(sn, { data: e.data, ps: s.vtPS });
      c.send({ type: 'SD', ns: sn, data: e.data }, true);
      retransmitted++;
      afterSd(c);
      continue;
    }
    if (s.txQueue.size === 0) break;
    if (!windowOpen(s)) {
      if (s.credit) {
        s.credit = false;
        c.maa('W');
        // ask for the receiver's state now rather than at the next Timer_POLL
        if (s.timers.IDLE) {
          c.stop('IDLE');
          c.start('NO_RESPONSE');
        }
        c.stop('KEEP_ALIVE');
        sendPoll(c);
        c.start('POLL');
      }
      break;
    }
    const [data, rest] = dequeue(s.txQueue)!;
    s.txQueue = rest;
    const sn = s.vtS;
    c.tx().set(sn, { data, ps: s.vtPS });
    s.vtS = inc(sn);
    c.send({ type: 'SD', ns: sn, data });
    afterSd(c);
  }
  if (retransmitted && c.p.pollAfterRetransmission && s.vtPD !== 0) {
    sendPoll(c);
    c.start('POLL');
  }
}

function deliver(c: Ctx, sn: number, data: Buffer): void {
  c.signal({ kind: 'AA-DATA.indication', data, sn });
}

function ustat(c: Ctx, sn1: number, sn2: number): void {
  const s = c.s;
  c.send({ type: 'USTAT', nmr: s.vrMR, nr: s.vrR, sn1, sn2 });
}

function receiveSd(c: Ctx, pdu: Extract<SscopPdu, { type: 'SD' }>): void {
  const s = c.s;
  const ns = pdu.ns;
  const r = seqRel(ns, s.vrR);
  const mr = seqRel(s.vrMR, s.vrR);
  const h = seqRel(s.vrH, s.vrR);
  if (r >= mr) {
    if (c.p.robust && behind(ns, s.vrR)) {
      c.discard('duplicate-sd');
      return;
    }
    if (h < mr) {
      ustat(c, s.vrH, s.vrMR);
      s.vrH = s.vrMR;
    }
    c.discard('sd-outside-window');
    return;
  }
  if (r === 0) {
    const start = s.vrR;
    deliver(c, ns, pdu.data);
    s.vrR = inc(s.vrR);
    if (c.rx().size) {
      const rx = c.rx();
      for (let d = rx.get(s.vrR); d !== undefined; d = rx.get(s.vrR)) {
        rx.delete(s.vrR);
        deliver(c, s.vrR, d);
        s.vrR = inc(s.vrR);
      }
    }
    if (seqRel(s.vrH, start) < seqRel(s.vrR, start)) s.vrH = s.vrR;
    s.vrMR = add(s.vrR, c.p.window);
    return;
  }
  if (r < h) {
    if (c.rx().has(ns)) {
      if (c.p.robust) c.discard('duplicate-sd');
      else beginRecovery(c, 'Q');
      return;
    }
    c.rx().set(ns, pdu.data);
    return;
  }
  c.rx().set(ns, pdu.data);
  if (r > h) ustat(c, s.vrH, ns);
  s.vrH = inc(ns);
}

function receivePoll(c: Ctx, pdu: Extract<SscopPdu, { type: 'POLL' }>): void {
  const s = c.s;
  const r = seqRel(pdu.ns, s.vrR);
  const h = seqRel(s.vrH, s.vrR);
  const mr = seqRel(s.vrMR, s.vrR);
  if (c.p.robust) {
    // a POLL overtaken by later SDs (or a stale copy) must not lower VR(H)
    if (!behind(pdu.ns, s.vrR) && r > h) s.vrH = r > mr ? s.vrMR : pdu.ns;
  } else {
    if (r < h) {
      beginRecovery(c, 'Q');
      return;
    }
    s.vrH = r > mr ? s.vrMR : pdu.ns;
  }
  sendStat(c, pdu.nps);
}

/** answer a POLL: the missing/received runs from VR(R) to VR(H), split at MaxSTAT elements */
function sendStat(c: Ctx, nps: number): void {
  const s = c.s;
  const max = c.p.maxSTAT;
  let list: number[] = [];
  const rx = c.rx();
  let n = s.vrR;
  while (n !== s.vrH) {
    if (rx.has(n)) {
      n = inc(n);
      continue;
    }
    // start of a missing run ...
    list.push(n);
    if (list.length === max) list = statFull(c, nps, list);
    while (n !== s.vrH && !rx.has(n)) n = inc(n);
    // ... and start of the next received run (or VR(H))
    list.push(n);
    if (list.length === max) list = statFull(c, nps, list);
    while (n !== s.vrH && rx.has(n)) n = inc(n);
  }
  c.send({ type: 'STAT', nps, nmr: s.vrMR, nr: s.vrR, list });
}

/** a STAT list reached MaxSTAT (odd): send it, continue the next one from its last element */
function statFull(c: Ctx, nps: number, list: number[]): number[] {
  c.send({ type: 'STAT', nps, nmr: c.s.vrMR, nr: c.s.vrR, list });
  return [list[list.length - 1]!];
}

/** acknowledge everything below N(R) */
function acknowledge(c: Ctx, nr: number): void {
  const s = c.s;
  if (nr === s.vtA) return;
  const tx = c.tx();
  for (let sn = s.vtA; sn !== nr; sn = inc(sn)) tx.delete(sn);
  s.vtA = nr;
  if (s.rtx.length) {
    const span = seqRel(s.vtS, nr);
    s.rtx = s.rtx.filter((sn) => seqRel(sn, nr) < span);
  }
}

function takeCredit(c: Ctx, nmr: number): void {
  const s = c.s;
  // in robust mode a reordered STAT/USTAT never takes back credit already given
  if (!c.p.robust || seqRel(nmr, s.vtA) >= seqRel(s.vtMS, s.vtA) || seqRel(s.vtMS, s.vtA) >= HALF) s.vtMS = nmr;
  if (!s.credit && windowOpen(s)) {
    s.credit = true;
    c.maa('X');
  }
}

/** queue [from, to) for retransmission; `gate` = only SDs last sent before poll N(PS) */
function queueRetransmissions(c: Ctx, from: number, to: number, gate: number | undefined): number {
  const s = c.s;
  let n = 0;
  const queued = s.rtx.length ? new Set(s.rtx) : undefined;
  const add: number[] = [];
  for (let sn = from; sn !== to; sn = inc(sn)) {
    const e = c.tx().get(sn);
    if (!e || queued?.has(sn)) continue;
    if (gate !== undefined && !behind(e.ps, gate)) continue;
    add.push(sn);
    n++;
  }
  if (n) {
    const base = s.vtA;
    s.rtx = s.rtx.concat(add).sort((a, b) => seqRel(a, base) - seqRel(b, base));
  }
  return n;
}

function receiveStat(c: Ctx, pdu: Extract<SscopPdu, { type: 'STAT' }>): void {
  const s = c.s;
  const psSpan = seqRel(s.vtPS, s.vtPA);
  if (!(psSpan < HALF && seqRel(pdu.nps, s.vtPA) <= psSpan)) {
    if (c.p.robust && behind(pdu.nps, s.vtPA)) c.discard('stale-stat');
    else beginRecovery(c, 'R');
    return;
  }
  const span = seqRel(s.vtS, s.vtA);
  const nr = seqRel(pdu.nr, s.vtA);
  if (nr > span) {
    // Q.2110: N(R) outside [VT(A), VT(S)] is error S. Robust mode discards such a STAT when duplication or
    // reordering explains it: it answers an older POLL than our newest (POLLs and STATs overtake one another,
    // and a STAT sent before the one that moved VT(A) may arrive after it), or a POLL already answered (a
    // duplicated POLL is answered twice). A STAT answering our newest POLL for the first time with an N(R)
    // behind VT(A) comes from a peer that has lost its state (a restart whose BGN reused N(SQ) and was taken
    // for a retransmission): error S and recovery, as Q.2110 says, put both ends in step again.
    if (c.p.robust && behind(pdu.nr, s.vtA) && (pdu.nps !== s.vtPS || pdu.nps === s.vtPA)) c.discard('stale-stat');
    else beginRecovery(c, 'S');
    return;
  }
  let prev = -1;
  for (const e of pdu.list) {
    const r = seqRel(e, s.vtA);
    if (r < nr || r > span || r <= prev) {
      beginRecovery(c, 'S');
      return;
    }
    prev = r;
  }
  acknowledge(c, pdu.nr);
  let count = 0;
  for (let i = 0; i + 1 < pdu.list.length; i += 2) count += queueRetransmissions(c, pdu.list[i]!, pdu.list[i + 1]!, pdu.nps);
  if (count) c.maa('V', count);
  s.vtPA = pdu.nps;
  takeCredit(c, pdu.nmr);
  if (s.timers.POLL) c.start('NO_RESPONSE');
  else if (!s.timers.IDLE) {
    c.stop('KEEP_ALIVE');
    c.stop('NO_RESPONSE');
    c.start('IDLE');
  }
  transmit(c);
}

function receiveUstat(c: Ctx, pdu: Extract<SscopPdu, { type: 'USTAT' }>): void {
  const s = c.s;
  const span = seqRel(s.vtS, s.vtA);
  const nr = seqRel(pdu.nr, s.vtA);
  if (nr > span) {
    // robust mode: a USTAT carries no N(PS) to tell a reordered one from a peer that lost its state, so one
    // whose N(R) is behind VT(A) is discarded; a peer that lost its state is found by the next STAT
    if (c.p.robust && behind(pdu.nr, s.vtA)) c.discard('stale-ustat');
    else beginRecovery(c, 'T');
    return;
  }
  const a = seqRel(pdu.sn1, s.vtA);
  const b = seqRel(pdu.sn2, s.vtA);
  if (!(nr <= a && a < b && b < span)) {
    beginRecovery(c, 'T');
    return;
  }
  acknowledge(c, pdu.nr);
  takeCredit(c, pdu.nmr);
  const count = queueRetransmissions(c, pdu.sn1, pdu.sn2, undefined);
  if (count) c.maa('V', count);
  transmit(c);
}

/** after a timer-driven POLL: Timer_POLL while SDs are outstanding or queued, else Timer_KEEP_ALIVE */
function setPollTimer(c: Ctx): void {
  const s = c.s;
  if (s.vtA !== s.vtS || s.txQueue.size || s.rtx.length) {
    c.stop('KEEP_ALIVE');
    c.start('POLL');
  } else {
    c.stop('POLL');
    c.start('KEEP_ALIVE');
  }
}

function dataTransferTimer(c: Ctx, timer: SscopTimer): void {
  const s = c.s;
  s.crossing = false;
  switch (timer) {
    case 'POLL':
    case 'KEEP_ALIVE':
      c.s.timers = { ...s.timers, [timer]: false };
      sendPoll(c);
      setPollTimer(c);
      return;
    case 'IDLE':
      c.s.timers = { ...s.timers, IDLE: false };
      c.start('NO_RESPONSE');
      sendPoll(c);
      setPollTimer(c);
      return;
    case 'NO_RESPONSE':
      c.s.timers = { ...s.timers, NO_RESPONSE: false };
      abort(c, 'P', 'no-response');
      return;
    case 'CC':
      return;
  }
}

// ---------------------------------------------------------------- per-state PDU handling

const UNEXPECTED: Partial<Record<SscopPdu['type'], MaaErrorCode>> = {
  SD: 'A',
  BGN: 'B',
  BGAK: 'C',
  BGREJ: 'D',
  END: 'E',
  ENDAK: 'F',
  POLL: 'G',
  STAT: 'H',
  USTAT: 'I',
  RS: 'J',
  RSAK: 'K',
  ER: 'L',
  ERAK: 'M',
};

function pduIdle(c: Ctx, pdu: SscopPdu): void {
  const s = c.s;
  switch (pdu.type) {
    case 'BGN':
      if (pdu.nsq === s.vrSQ) {
        // a retransmission of a BGN this end has already refused or finished with
        c.send({ type: 'BGREJ', uu: EMPTY });
        return;
      }
      s.vrSQ = pdu.nsq;
      s.vtMS = pdu.nmr;
      c.signal({ kind: 'AA-ESTABLISH.indication', uu: pdu.uu });
      c.go('Incoming Connection Pending');
      return;
    case 'END':
      c.send({ type: 'ENDAK' });
      return;
    case 'ENDAK':
      c.discard('ignored-in-state');
      return;
    case 'BGREJ':
      c.maa('D');
      return;
    case 'UD':
    case 'MD':
      return unnumbered(c, pdu);
    default:
      c.maa(UNEXPECTED[pdu.type]!);
      sendEnd(c, 'sscop', EMPTY);
      return;
  }
}

function pduOutgoingConnectionPending(c: Ctx, pdu: SscopPdu): void {
  const s = c.s;
  switch (pdu.type) {
    case 'BGAK':
      c.stop('CC');
      initVars(c, pdu.nmr);
      s.crossing = c.p.robust;
      c.signal({ kind: 'AA-ESTABLISH.confirm', uu: pdu.uu });
      enterDataTransfer(c);
      transmit(c);
      return;
    case 'BGN':
      if (pdu.nsq === s.vrSQ) return c.discard('retransmitted-bgn');
      // both ends sent BGN at once: acknowledge theirs and count ours as acknowledged too
      c.stop('CC');
      s.vrSQ = pdu.nsq;
      c.send({ type: 'BGAK', nmr: c.p.window, uu: EMPTY });
      initVars(c, pdu.nmr);
      c.signal({ kind: 'AA-ESTABLISH.confirm', uu: pdu.uu });
      enterDataTransfer(c);
      transmit(c);
      return;
    case 'BGREJ':
      c.stop('CC');
      c.signal({ kind: 'AA-RELEASE.indication', source: 'user', reason: 'peer rejected the connection (BGREJ)', uu: pdu.uu });
      c.go('Idle');
      return;
    case 'UD':
    case 'MD':
      return unnumbered(c, pdu);
    default:
      // END included: it belongs to an earlier connection (a refusal comes as BGREJ)
      return c.discard('ignored-in-state');
  }
}

/**
 * A PDU that is a protocol error in this state: MAA-ERROR, then (per the SDL cell) either nothing
 * more, or a release indication, or END(S=1) and a release indication.
 */
function unexpected(c: Ctx, pdu: SscopPdu, then: 'ignore' | 'release' | 'end-and-release'): void {
  const code = UNEXPECTED[pdu.type]!;
  if (then === 'ignore') return c.maa(code);
  abort(c, code, `unexpected ${pdu.type} in ${c.s.name}`, then === 'end-and-release');
}

/** state 3: the user has been asked (SSCF answers at once) */
function pduIncomingConnectionPending(c: Ctx, pdu: SscopPdu): void {
  const s = c.s;
  switch (pdu.type) {
    case 'BGN':
      if (pdu.nsq === s.vrSQ) return c.discard('retransmitted-bgn');
      // a new BGN replaces the one being answered
      s.vrSQ = pdu.nsq;
      s.vtMS = pdu.nmr;
      c.signal({ kind: 'AA-RELEASE.indication', source: 'sscop', reason: 'peer sent a new BGN', uu: EMPTY });
      c.signal({ kind: 'AA-ESTABLISH.indication', uu: pdu.uu });
      return;
    case 'END':
      return peerEnd(c, pdu);
    case 'UD':
    case 'MD':
      return unnumbered(c, pdu);
    case 'ENDAK':
    case 'BGREJ':
      return unexpected(c, pdu, 'release');
    case 'SD':
    case 'POLL':
    case 'STAT':
    case 'USTAT':
      return unexpected(c, pdu, 'end-and-release');
    default: // BGAK, RS, RSAK, ER, ERAK
      return unexpected(c, pdu, 'ignore');
  }
}

/** state 4 */
function pduOutgoingDisconnectionPending(c: Ctx, pdu: SscopPdu): void {
  const s = c.s;
  switch (pdu.type) {
    case 'ENDAK':
    case 'BGREJ':
      c.stop('CC');
      c.signal({ kind: 'AA-RELEASE.confirm' });
      c.go('Idle');
      return;
    case 'END':
      c.stop('CC');
      c.send({ type: 'ENDAK' });
      c.signal({ kind: 'AA-RELEASE.confirm' });
      c.go('Idle');
      return;
    case 'BGN':
      if (pdu.nsq === s.vrSQ) {
        // the peer never heard our BGAK: acknowledge, then end again
        c.send({ type: 'BGAK', nmr: c.p.window, uu: EMPTY });
        sendEnd(c, 'user', s.ccUu, true);
        return;
      }
      return peerRestart(c, pdu, true);
    case 'UD':
    case 'MD':
      return unnumbered(c, pdu);
    default:
      return c.discard('ignored-in-state');
  }
}

/** END, ENDAK, BGREJ and new BGN/RS are handled alike in states 5..9 */
function pduPendingCommon(c: Ctx, pdu: SscopPdu): boolean {
  const s = c.s;
  switch (pdu.type) {
    case 'END':
      peerEnd(c, pdu);
      return true;
    case 'ENDAK':
    case 'BGREJ':
      unexpected(c, pdu, 'release');
      return true;
    case 'BGN':
      if (pdu.nsq === s.vrSQ) {
        if (s.name === 'Outgoing Resynchronization Pending') {
          // the peer never heard our BGAK: acknowledge, then resynchronise again
          c.send({ type: 'BGAK', nmr: c.p.window, uu: EMPTY });
          sendRs(c, true);
        } else c.maa('B');
      } else peerRestart(c, pdu, false);
      return true;
    case 'UD':
    case 'MD':
      unnumbered(c, pdu);
      return true;
    default:
      return false;
  }
}

/** state 5 */
function pduOutgoingResyncPending(c: Ctx, pdu: SscopPdu): void {
  if (pduPendingCommon(c, pdu)) return;
  const s = c.s;
  switch (pdu.type) {
    case 'RSAK':
      c.stop('CC');
      initVars(c, pdu.nmr);
      c.signal({ kind: 'AA-RESYNC.confirm' });
      enterDataTransfer(c);
      transmit(c);
      return;
    case 'RS':
      if (pdu.nsq === s.vrSQ) return c.discard('retransmitted-rs');
      // both ends resynchronise at once
      c.stop('CC');
      s.vrSQ = pdu.nsq;
      c.send({ type: 'RSAK', nmr: c.p.window });
      initVars(c, pdu.nmr);
      c.signal({ kind: 'AA-RESYNC.confirm' });
      enterDataTransfer(c);
      transmit(c);
      return;
    default:
      // SD, POLL, STAT, USTAT sent before the peer saw our RS; BGAK, ER, ERAK
      return c.discard('ignored-in-state');
  }
}

/** state 6 (transient: SSCF answers the indication at once) */
function pduIncomingResyncPending(c: Ctx, pdu: SscopPdu): void {
  if (pduPendingCommon(c, pdu)) return;
  switch (pdu.type) {
    case 'RS':
      if (pdu.nsq === c.s.vrSQ) return c.discard('retransmitted-rs');
      return c.maa('J');
    case 'SD':
    case 'POLL':
    case 'STAT':
    case 'USTAT':
      return unexpected(c, pdu, 'end-and-release');
    default: // BGAK, RSAK, ER, ERAK
      return unexpected(c, pdu, 'ignore');
  }
}

/** state 7 */
function pduOutgoingRecoveryPending(c: Ctx, pdu: SscopPdu): void {
  if (pduPendingCommon(c, pdu)) return;
  const s = c.s;
  switch (pdu.type) {
    case 'ERAK':
      c.stop('CC');
      prepareRecovery(c);
      initVars(c, pdu.nmr);
      c.signal({ kind: 'AA-RECOVER.indication' });
      c.go('Recovery Response Pending');
      return;
    case 'ER':
      if (pdu.nsq === s.vrSQ) return c.maa('L');
      // both ends start recovery at once
      c.stop('CC');
      s.vrSQ = pdu.nsq;
      c.send({ type: 'ERAK', nmr: c.p.window });
      prepareRecovery(c);
      initVars(c, pdu.nmr);
      c.signal({ kind: 'AA-RECOVER.indication' });
      c.go('Recovery Response Pending');
      return;
    case 'RS':
      if (pdu.nsq === s.vrSQ) return c.maa('J');
      return peerResync(c, pdu);
    case 'BGAK':
    case 'RSAK':
      return unexpected(c, pdu, 'ignore');
    default:
      // SD, POLL, STAT, USTAT sent before the peer saw our ER
      return c.discard('ignored-in-state');
  }
}

/** state 8 (transient: SSCF answers the indication at once) */
function pduRecoveryResponsePending(c: Ctx, pdu: SscopPdu): void {
  if (pduPendingCommon(c, pdu)) return;
  const s = c.s;
  switch (pdu.type) {
    case 'RS':
      if (pdu.nsq === s.vrSQ) return c.maa('J');
      return peerResync(c, pdu);
    case 'ER':
      // our ERAK was lost and the peer asks again
      if (pdu.nsq === s.vrSQ) return c.send({ type: 'ERAK', nmr: c.p.window });
      return c.maa('L');
    case 'STAT':
    case 'USTAT':
      return unexpected(c, pdu, 'end-and-release');
    case 'BGAK':
    case 'RSAK':
      return unexpected(c, pdu, 'ignore');
    default:
      return c.discard('ignored-in-state');
  }
}

/** state 9 (transient: SSCF answers the indication at once) */
function pduIncomingRecoveryPending(c: Ctx, pdu: SscopPdu): void {
  if (pduPendingCommon(c, pdu)) return;
  const s = c.s;
  switch (pdu.type) {
    case 'RS':
      if (pdu.nsq === s.vrSQ) return c.maa('J');
      return peerResync(c, pdu);
    case 'ER':
      if (pdu.nsq === s.vrSQ) return c.discard('retransmitted-er');
      return c.maa('L');
    case 'SD':
    case 'POLL':
    case 'STAT':
    case 'USTAT':
      return unexpected(c, pdu, 'end-and-release');
    default: // BGAK, RSAK, ERAK
      return unexpected(c, pdu, 'ignore');
  }
}

/** a retransmitted BGN/RS/ER in Data Transfer Ready: answer again, and count it as a sign of life */
function answerAgain(c: Ctx, ack: SscopPdu): void {
  if (c.s.timers.NO_RESPONSE) c.start('NO_RESPONSE');
  c.send(ack);
}

/** state 10 */
function pduDataTransferReady(c: Ctx, pdu: SscopPdu): void {
  const s = c.s;
  switch (pdu.type) {
    case 'SD':
      return receiveSd(c, pdu);
    case 'POLL':
      return receivePoll(c, pdu);
    case 'STAT':
      return receiveStat(c, pdu);
    case 'USTAT':
      return receiveUstat(c, pdu);
    case 'UD':
    case 'MD':
      return unnumbered(c, pdu);
    case 'BGN':
      if (pdu.nsq === s.vrSQ) return answerAgain(c, { type: 'BGAK', nmr: s.vrMR, uu: EMPTY });
      if (s.crossing) {
        // the peer's own BGN of a collision, overtaken by its BGAK: both ends are already up
        s.crossing = false;
        s.vrSQ = pdu.nsq;
        c.send({ type: 'BGAK', nmr: s.vrMR, uu: EMPTY });
        return c.discard('crossing-bgn');
      }
      return peerRestart(c, pdu, false);
    case 'RS':
      if (pdu.nsq === s.vrSQ) return answerAgain(c, { type: 'RSAK', nmr: s.vrMR });
      c.stopDataTimers();
      s.vrSQ = pdu.nsq;
      s.vtMS = pdu.nmr;
      c.signal({ kind: 'AA-RESYNC.indication', uu: pdu.uu });
      c.go('Incoming Resynchronization Pending');
      return;
    case 'ER':
      if (pdu.nsq === s.vrSQ) return answerAgain(c, { type: 'ERAK', nmr: s.vrMR });
      c.stopDataTimers();
      s.vrSQ = pdu.nsq;
      s.vtMS = pdu.nmr;
      c.signal({ kind: 'AA-RECOVER.indication' });
      c.go('Incoming Recovery Pending');
      return;
    case 'END':
      return peerEnd(c, pdu);
    case 'ENDAK':
    case 'BGREJ':
      return unexpected(c, pdu, 'release');
    case 'BGAK':
    case 'RSAK':
    case 'ERAK':
      return unexpected(c, pdu, 'ignore');
  }
}

function unnumbered(c: Ctx, pdu: Extract<SscopPdu, { type: 'UD' | 'MD' }>): void {
  c.signal(pdu.type === 'UD' ? { kind: 'AA-UNITDATA.indication', data: pdu.data } : { kind: 'MAA-UNITDATA.indication', data: pdu.data });
}

const PDU_HANDLERS: Record<SscopStateName, (c: Ctx, pdu: SscopPdu) => void> = {
  Idle: pduIdle,
  'Outgoing Connection Pending': pduOutgoingConnectionPending,
  'Incoming Connection Pending': pduIncomingConnectionPending,
  'Outgoing Disconnection Pending': pduOutgoingDisconnectionPending,
  'Outgoing Resynchronization Pending': pduOutgoingResyncPending,
  'Incoming Resynchronization Pending': pduIncomingResyncPending,
  'Outgoing Recovery Pending': pduOutgoingRecoveryPending,
  'Recovery Response Pending': pduRecoveryResponsePending,
  'Incoming Recovery Pending': pduIncomingRecoveryPending,
  'Data Transfer Ready': pduDataTransferReady,
};

// ---------------------------------------------------------------- timers outside data transfer

function ccExpiry(c: Ctx): void {
  const s = c.s;
  c.s.timers = { ...s.timers, CC: false };
  switch (s.name) {
    case 'Outgoing Connection Pending':
      if (ccExhausted(c)) return abort(c, 'O', 'max-cc: no answer to BGN');
      s.vtCC++;
      sendBgn(c, true);
      c.start('CC');
      return;
    case 'Outgoing Disconnection Pending':
      if (ccExhausted(c)) {
        c.maa('O');
        c.signal({ kind: 'AA-RELEASE.confirm' });
        c.go('Idle');
        return;
      }
      s.vtCC++;
      sendEnd(c, 'user', s.ccUu, true);
      c.start('CC');
      return;
    case 'Outgoing Resynchronization Pending':
      if (ccExhausted(c)) return abort(c, 'O', 'max-cc: no answer to RS');
      s.vtCC++;
      sendRs(c, true);
      c.start('CC');
      return;
    case 'Outgoing Recovery Pending':
      if (ccExhausted(c)) return abort(c, 'O', 'max-cc: no answer to ER');
      s.vtCC++;
      sendEr(c, true);
      c.start('CC');
      return;
    default:
      return;
  }
}

// ---------------------------------------------------------------- user requests

function request(c: Ctx, ev: Exclude<SscopEvent, { kind: 'pdu' | 'bad-pdu' | 'timer' }>): void {
  const s = c.s;
  const st = s.name;
  switch (ev.kind) {
    case 'AA-UNITDATA.request':
      if (ev.data.length > c.p.maxK) return c.discard('sdu-too-long');
      c.send({ type: 'UD', data: ev.data });
      return;
    case 'MAA-UNITDATA.request':
      if (ev.data.length > c.p.maxK) return c.discard('sdu-too-long');
      c.send({ type: 'MD', data: ev.data });
      return;
    case 'AA-ESTABLISH.request':
      if (st === 'Outgoing Connection Pending' || st === 'Incoming Connection Pending') return c.discard('request-ignored-in-state');
      return beginEstablish(c, ev.uu);
    case 'AA-ESTABLISH.response':
      if (st !== 'Incoming Connection Pending') return c.discard('request-ignored-in-state');
      clearTransmitter(c);
      initVars(c, s.vtMS);
      c.send({ type: 'BGAK', nmr: c.p.window, uu: ev.uu ?? EMPTY });
      enterDataTransfer(c);
      return;
    case 'AA-RELEASE.request':
      if (st === 'Idle' || st === 'Outgoing Disconnection Pending') return c.discard('request-ignored-in-state');
      if (st === 'Incoming Connection Pending') {
        c.send({ type: 'BGREJ', uu: ev.uu ?? EMPTY });
        c.go('Idle');
        return;
      }
      return beginRelease(c, ev.uu);
    case 'AA-RESYNC.request':
      if (st === 'Idle' || st === 'Outgoing Connection Pending' || st === 'Incoming Connection Pending' || st === 'Outgoing Disconnection Pending')
        return c.discard('request-ignored-in-state');
      return beginResync(c, ev.uu);
    case 'AA-RESYNC.response':
      if (st !== 'Incoming Resynchronization Pending') return c.discard('request-ignored-in-state');
      clearTransmitter(c);
      clearReceiver(c);
      initVars(c, s.vtMS);
      c.send({ type: 'RSAK', nmr: c.p.window });
      enterDataTransfer(c);
      return;
    case 'AA-RECOVER.response':
      if (st === 'Recovery Response Pending') {
        enterDataTransfer(c);
        transmit(c);
      } else if (st === 'Incoming Recovery Pending') {
        prepareRecovery(c);
        initVars(c, s.vtMS);
        c.send({ type: 'ERAK', nmr: c.p.window });
        enterDataTransfer(c);
        transmit(c);
      } else c.discard('request-ignored-in-state');
      return;
    case 'AA-DATA.request':
      // the peer would drop an SD over MaxK (MAA-ERROR U) and we would resend it forever
      if (ev.data.length > c.p.maxK) return c.discard('sdu-too-long');
      switch (st) {
        case 'Idle':
        case 'Outgoing Connection Pending':
        case 'Incoming Connection Pending':
        case 'Outgoing Disconnection Pending':
          return c.discard('data-while-not-connected');
        default:
          s.txQueue = enqueue(s.txQueue, ev.data);
          if (st === 'Data Transfer Ready') transmit(c);
          return;
      }
  }
}

// ---------------------------------------------------------------- step

/** One transition. Never throws for any event (PDUs come from the network). */
export function sscopStep(state: SscopState, event: SscopEvent): SscopStepResult {
  const c = new Ctx(state);
  switch (event.kind) {
    case 'pdu':
      PDU_HANDLERS[state.name](c, event.pdu);
      break;
    case 'bad-pdu':
      c.maa('U');
      c.discard(`decode:${event.code}`);
      break;
    case 'timer':
      if (!state.timers[event.timer]) break; // stopped meanwhile: a stale expiry
      if (event.timer === 'CC') ccExpiry(c);
      else if (state.name === 'Data Transfer Ready') dataTransferTimer(c, event.timer);
      else c.s.timers = { ...c.s.timers, [event.timer]: false };
      break;
    default:
      request(c, event);
      break;
  }
  return c.result();
}
