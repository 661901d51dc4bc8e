/**
 * The path down through one host, as RxJS compositions: what each request of
 * a UNI coordinator and each PDU of a SAAL link goes through, one operator per
 * layer step, the mirror of the path up (link-pipeline.ts); docs/architecture.md
 * ("The path of one frame") draws both.
 *
 * ```
 * per link (one peer MAC): the requests of its UNI coordinator (SaalService's calls)
 *   messagesOut     host      each Q.2931 message reported as a `message` event (before SSCF has it)
 *   sscfDown        SSCF      each AAL-*.request stepped through SSCF-UNI: SSCF's requests to SSCOP (src/sscop/operators.ts)
 *   sscopDown       SSCOP     each request stepped through SSCOP; the PDUs SSCOP sends leave through the
 *                             link's `send`, which is the link's part of the path below, built before the link
 *
 * per link, built before it (SaalMux's pathTo -> FrameRouter.signallingTo, pduPath): every PDU
 * the link sends, whatever caused it (a request, a timer, a POLL to answer)
 *   the link's TxFrame (peer MAC, VPI 0 / VCI 5) re-pointed at the PDU, into the host-wide path
 *
 * host-wide: the link's PDUs, discovery announcements, NDIS's user data frames
 *   framed          wire      the frame, from the header prepared once per destination (user data comes framed)
 *   counted         host      framesOut
 *   capturedTx      capture   the tx capture sees each frame (absent: no step at all)
 *   toMiniport      miniport  send(frame)
 * ```
 *
 * Both paths are composed and subscribed before anything can go down them
 * (`sinkOf`): the host-wide one when the router is made, before the SAAL mux
 * and so before any link; a link's request path when its SAAL service is made,
 * before the UNI coordinator has it. A PDU a link sends at its first request
 * (the BGN of `establish()`) therefore always finds its path: nothing is
 * lost for want of a subscription.
 *
 * As on the way up, a value goes through every step synchronously, to
 * completion (no scheduler between steps), and nothing is allocated per frame
 * beyond the frame itself: one TxFrame per destination is re-pointed at each
 * SDU. Unlike the way up, a step that throws throws back to whoever sent (the
 * calls these steps replace did that): SSCOP counts a PDU whose send threw as
 * lost (`sendErrors`), a request that throws throws to the UNI.
 */
import { Observable, Subscriber, type OperatorFunction, type MonoTypeOperatorFunction } from 'rxjs';
import type { Mac } from '../common/mac.js';
import type { Miniport } from '../miniport/types.js';
import { cellHeader, emitFrameAfter, frameHeader } from '../wire/index.js';
import { sscfDown, sscopDown, type SaalLink, type SaalRequest, type SaalService, type SaalSignal } from '../sscop/index.js';

/** one step going down: one call per value, errors, completion and unsubscription passed on; a throw goes back to the sender */
class DownStep<T, R> extends Subscriber<T> {
  constructor(
    private readonly out: Subscriber<R>,
    private readonly step: (value: T, out: Subscriber<R>) => void,
  ) {
    super(out);
  }

  protected override _next(value: T): void {
    this.step(value, this.out);
  }
}

/** an operator that hands each value to `step`, which passes on what it emits with `out.next`; a throw goes back to the sender */
export function downStep<T, R>(step: (value: T, out: Subscriber<R>) => void): OperatorFunction<T, R> {
  return (source) => new Observable<R>((out) => source.subscribe(new DownStep(out, step)));
}

/**
 * `path`, subscribed now, and its head: each `next` on the head runs the
 * whole path before it returns. Unsubscribing the head takes the path down
 * (the operators detach from their link).
 */
export function sinkOf<T>(path: OperatorFunction<T, never>): Subscriber<T> {
  let head: Subscriber<T> | undefined;
  const sub = path(new Observable<T>((s) => void (head = s))).subscribe();
  if (!head) throw new Error('sinkOf: the path did not subscribe to its source at once');
  head.add(sub);
  return head;
}

// ---- per link: the requests -------------------------------------------------

/** Host: each Q.2931 message sent on the link, reported before SSCF has it (so before the PDU that carries it) */
export function messagesOut(report: (direction: 'out', sdu: Buffer) => void): MonoTypeOperatorFunction<SaalRequest> {
  return downStep<SaalRequest, SaalRequest>((r, out) => {
    if (r.kind === 'AAL-DATA.request') report('out', r.data);
    out.next(r);
  });
}

/**
 * The per-link part of the path down, subscribed: the head its UNI
 * coordinator's requests go into. Whole, it reads
 *
 * ```
 * requests.pipe(messagesOut(report), sscfDown(link), sscopDown(link))   -> the link's send (below)
 * ```
 *
 * While it is up, every request SSCF makes of SSCOP, whatever caused it (a
 * timer, a received PDU, a request from the peer table), goes through
 * `sscfDown` and `sscopDown`; unsubscribing the head gives them back to the
 * link's own wiring.
 */
export function linkDownPath(link: SaalLink, report: (direction: 'out', sdu: Buffer) => void): Subscriber<SaalRequest> {
  return sinkOf((requests: Observable<SaalRequest>) => requests.pipe(messagesOut(report), sscfDown(link), sscopDown(link)));
}

/**
 * The SAAL service a link's UNI coordinator is given: `signals$` is the
 * link's path up (link-pipeline.ts, linkUpPath), each request goes into the
 * link's path down (`linkDownPath`).
 */
export function linkService(link: SaalLink, signals$: Observable<SaalSignal>, requests: Subscriber<SaalRequest>): SaalService {
  return {
    signals$,
    establish: () => requests.next({ kind: 'AAL-ESTABLISH.request' }),
    release: () => requests.next({ kind: 'AAL-RELEASE.request' }),
    data: (sdu) => requests.next({ kind: 'AAL-DATA.request', data: sdu }),
    unitdata: (sdu) => requests.next({ kind: 'AAL-UNITDATA.request', data: sdu }),
    get established() {
      return link.established;
    },
  };
}

// ---- host-wide: the frames ----------------------------------------------------

const EMPTY = Buffer.alloc(0);

/**
 * One frame on its way down, re-pointed at each SDU or frame that goes to one
 * destination (one per link, one for discovery, one for user data): valid
 * until the next. `header` is the 18 octets before the SDU, encoded on the
 * first frame; `frame` is set by `framed`, or given (user data).
 */
export class TxFrame {
  sdu: Buffer = EMPTY;
  frame: Buffer | undefined = undefined;
  header: Buffer | undefined = undefined;

  constructor(
    public peer: Mac,
    public vpi: number,
    public vci: number,
  ) {}
}

/** Wire: the SDU in a frame from this host (header encoded once per TxFrame); a frame given already passes as it is */
export function framed(src: Mac, etherType: number): MonoTypeOperatorFunction<TxFrame> {
  return downStep<TxFrame, TxFrame>((tx, out) => {
    if (tx.frame === undefined) tx.frame = emitFrameAfter((tx.header ??= frameHeader(tx.peer, src, etherType, cellHeader(tx.vpi, tx.vci))), tx.sdu);
    out.next(tx);
  });
}

/** Host: each frame sent, counted */
export function counted(sent: () => void): MonoTypeOperatorFunction<TxFrame> {
  return downStep<TxFrame, TxFrame>((tx, out) => {
    sent();
    out.next(tx);
  });
}

/** Capture: each frame sent, to the capture (VPI, VCI, SDU, destination MAC); no step without a capture */
export function capturedTx(capture?: (dir: 'tx', vpi: number, vci: number, sdu: Buffer, peer: Mac) => void): MonoTypeOperatorFunction<TxFrame> {
  if (!capture) return (source) => source;
  return downStep<TxFrame, TxFrame>((tx, out) => {
    capture('tx', tx.vpi, tx.vci, tx.sdu, tx.peer);
    out.next(tx);
  });
}

/** Miniport: the frame onto the medium; the end of the path */
export function toMiniport(miniport: Pick<Miniport, 'send'>): OperatorFunction<TxFrame, never> {
  return downStep<TxFrame, never>((tx) => miniport.send(tx.frame!));
}

export interface HostDownPath {
  mac: Mac;
  etherType: number;
  sent(): void;
  capture?: (dir: 'tx', vpi: number, vci: number, sdu: Buffer, peer: Mac) => void;
  miniport: Pick<Miniport, 'send'>;
}

/** The host-wide part of the path down, subscribed: the head every frame this host sends goes into. */
export function hostDownPath(h: HostDownPath): Subscriber<TxFrame> {
  return sinkOf((frames: Observable<TxFrame>) => frames.pipe(framed(h.mac, h.etherType), counted(h.sent), capturedTx(h.capture), toMiniport(h.miniport)));
}

/**
 * The join of a link's path to the host's: the link's `send`, made before the
 * link (SaalMux's pathTo). Each PDU re-points the link's TxFrame and goes on
 * down the host-wide path before this returns.
 */
export function pduPath(tx: TxFrame, host: Subscriber<TxFrame>): (pdu: Buffer) => void {
  return (pdu) => {
    tx.sdu = pdu;
    tx.frame = undefined;
    host.next(tx);
  };
}
