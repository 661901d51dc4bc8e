/**
 * The path up through one host, as RxJS compositions: what each received
 * frame goes through, one operator per layer step, in the order
 * docs/architecture.md ("The path of one frame") draws it.
 *
 * ```
 * miniport.frames$                         every frame the medium delivers
 *   frameViews      wire      read through one FrameView; trailer and CRC checked once; refused frames counted
 *   addressedTo     host      own frames and other hosts' unicast dropped
 *   captured        capture   the rx capture sees each accepted frame (absent: no step at all)
 *   demuxVc         host      VCI 5 -> the SAAL path of the source MAC (below), VCI 16 -> discovery,
 *                             any other VC -> NDIS's data path (wire-datapath.ts)
 *
 * per link (one peer MAC): the SSCOP PDUs demuxVc hands it
 *   sscop           SSCOP     each PDU decoded and stepped through SSCOP: SSCOP's signals (src/sscop/operators.ts)
 *   sscf            SSCF      each SSCOP signal stepped through SSCF-UNI: the SaalSignals for Q.2931
 *   messagesIn      host      each Q.2931 message reported as a `message` event (only while someone listens)
 *   coordinator     UNI       the UNI coordinator of that peer (a UniLink, src/uni/uni-link.ts) takes each signal;
 *                             it adds this step itself and subscribes, which runs the path (linkUpPath, below)
 *   -> the coordinator hands call and party events to call control (src/callcontrol/), whose
 *      indications$ NDIS's call manager takes
 * ```
 *
 * The operators are plain `(source) => new Observable(...)` functions: each
 * frame is handled synchronously, to completion, before the next (no
 * scheduler between steps), and nothing is allocated per frame beyond what a
 * step itself needs (one FrameView serves every frame; the SDU handed on is a
 * view into the frame). Each step's subscriber is a `StepSubscriber`
 * (src/common/step-operator.ts), shared with the layers below and above.
 *
 * SSCOP and SSCF run on their link's run queue, with the requests from above
 * and the timer expiries: `sscop` posts each PDU as an SSCOP item; a signal
 * SSCOP makes is queued as an 'up' item, which, when its turn comes, hands it
 * down this chain, so `sscf` steps SSCF inside that item, at the place in the
 * queue where SSCF steps without the operators. A subscriber further up that
 * answers at once (data(), release()) is queued behind the item.
 *
 * Effects go down the same way, in link-down-path.ts beside this file: per
 * link, the coordinator's requests -> messagesOut -> sscfDown -> sscopDown,
 * and every PDU SSCOP sends -> the link's TxFrame -> framed -> counted ->
 * capturedTx -> toMiniport, composed before the link exists.
 */
import type { MonoTypeOperatorFunction, Observable, OperatorFunction } from 'rxjs';
import type { Mac } from '../common/mac.js';
import { stepOperator } from '../common/step-operator.js';
import { FrameView, VCI_DISCOVERY, VCI_SIGNALLING, type MacNumber } from '../wire/index.js';
import { sscf, sscop, type SaalLink, type SaalSignal } from '../sscop/index.js';

/** ff:ff:ff:ff:ff:ff */
export const BROADCAST_MAC_NUMBER: MacNumber = 2 ** 48 - 1;

type Drop = (reason: string) => void;

/**
 * Wire: each frame read through `view` (re-pointed at every frame: the view
 * a later step gets is valid until the next frame), its AAL5 trailer located
 * and its CRC-32 checked once; `received` counts every frame, `drop` the
 * refused ones by their decode error code.
 */
export function frameViews(view: FrameView, received: () => void, drop: Drop): OperatorFunction<Buffer, FrameView> {
  return stepOperator<Buffer, FrameView>((buf, out) => {
    received();
    const v = view.wrap(buf);
    if (v.check()) out.next(v);
    else drop(v.errorCode());
  });
}

/** Host: a frame this host sent (echoed back by the medium) and unicast for another host are dropped. */
export function addressedTo(me: MacNumber, drop: Drop): MonoTypeOperatorFunction<FrameView> {
  return stepOperator<FrameView, FrameView>((v, out) => {
    if (v.src === me) return drop('own-frame');
    const dst = v.dst;
    if (dst !== me && dst !== BROADCAST_MAC_NUMBER) return drop('not-for-us');
    out.next(v);
  });
}

/** Capture: each frame that got this far, to the capture (VPI, VCI, SDU, source MAC); no step without a capture. */
export function captured(capture?: (dir: 'rx', vpi: number, vci: number, sdu: Buffer, peer: Mac) => void): MonoTypeOperatorFunction<FrameView> {
  if (!capture) return (source) => source;
  return stepOperator<FrameView, FrameView>((v, out) => {
    capture('rx', v.vpi, v.vci, v.sdu, v.srcMac);
    out.next(v);
  });
}

/** Where demuxVc hands each kind of channel. */
export interface VcRoutes {
  /** VPI 0 / VCI 5: Q.2931 signalling in SSCOP PDUs */
  signalling(v: FrameView): void;
  /** VPI 0 / VCI 16: discovery announcements */
  discovery(v: FrameView): void;
  /** every other VC: user data */
  data(v: FrameView): void;
}

/** Host: the VC demux; the end of the host-wide path (each route goes on to its layer). */
export function demuxVc(routes: VcRoutes): OperatorFunction<FrameView, never> {
  return stepOperator<FrameView, never>((v) => {
    const vc = v.vcKey;
    if (vc === VCI_SIGNALLING) routes.signalling(v);
    else if (vc === VCI_DISCOVERY) routes.discovery(v);
    else routes.data(v);
  });
}

export interface HostUpPath {
  me: MacNumber;
  etherType: number;
  received(): void;
  drop: Drop;
  capture?: (dir: 'rx', vpi: number, vci: number, sdu: Buffer, peer: Mac) => void;
  routes: VcRoutes;
}

/** The host-wide part of the path up: frames to the VC demux. Subscribe to run it. */
export function hostUpPath(frames$: Observable<Buffer>, h: HostUpPath): Observable<never> {
  return frames$.pipe(
    frameViews(new FrameView(h.etherType), h.received, h.drop),
    addressedTo(h.me, h.drop),
    captured(h.capture),
    demuxVc(h.routes),
  );
}

/** Host: each Q.2931 message received on the link, reported before the UNI handles it (so before the answer it causes). */
export function messagesIn(report: (direction: 'in', sdu: Buffer) => void): MonoTypeOperatorFunction<SaalSignal> {
  return stepOperator<SaalSignal, SaalSignal>((s, out) => {
    if (s.kind === 'data-indication') report('in', s.data);
    out.next(s);
  });
}

/**
 * The per-link part of the path up: the SSCOP PDUs of one peer (what demuxVc
 * hands that peer) to the SaalSignals its UNI coordinator takes. Whole, the
 * path of one link reads
 *
 * ```
 * pdus$.pipe(sscop(link), sscf(link), messagesIn(report), coordinator(uniLink))
 * ```
 *
 * where the last step is the coordinator's own: what this returns is the
 * `signals$` of the SaalService the coordinator is given (UniHost.attachLink,
 * peers.ts), and the coordinator (a UniLink, made by call control) adds
 * `coordinator(this)` and subscribes, which runs the path. Unsubscribing
 * (detachLink) detaches the SAAL link from its PDUs and gives SSCOP's signals
 * back to the link's own SSCF.
 */
export function linkUpPath(pdus$: Observable<Buffer>, link: SaalLink, report: (direction: 'in', sdu: Buffer) => void): Observable<SaalSignal> {
  return pdus$.pipe(sscop(link), sscf(link), messagesIn(report));
}
