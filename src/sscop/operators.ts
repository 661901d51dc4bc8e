/**
 * The SAAL of one link as RxJS operators, one per layer and direction, for
 * the path up (src/host/link-pipeline.ts) and the path down
 * (src/host/link-down-path.ts):
 *
 * ```
 * pdus$.pipe(sscop(link), sscf(link))
 *   sscop      encoded SSCOP PDUs in (the AAL5 SDUs of VCI 5): each decoded and
 *              stepped through SSCOP; SSCOP's signals (AA-*.indication/confirm) out
 *   sscf       SSCOP's signals in: each stepped through SSCF-UNI; the SaalSignals
 *              for Q.2931 out
 * requests$.pipe(sscfDown(link), sscopDown(link))
 *   sscfDown   the requests from above (AAL-*.request) in: each stepped through
 *              SSCF-UNI; SSCF's requests to SSCOP (AA-*.request/response) out
 *   sscopDown  SSCF's requests in: each stepped through SSCOP; the end of the
 *              chain: the PDUs SSCOP sends go out through the link's `send`,
 *              the path to the wire that was built before the link
 * ```
 *
 * Going down, a step that throws throws back to whoever made the request (as
 * the calls it stands for would), and SSCOP's PDUs do not come out of an
 * operator: a link sends PDUs from its first request on, and from timers and
 * received PDUs too, so their path cannot wait for a subscription; it is the
 * link's `send`, there before the link is (saal-link.ts, SaalMuxOptions.pathTo).
 *
 * Both steps run on the link's one run queue (saal-link.ts, src/common/run-queue.ts)
 * with the requests from above and the timer expiries, in the order they run
 * without the operators: a PDU is an SSCOP item; SSCOP's signal is queued as
 * an 'up' item, and when its turn comes the signal goes down this chain, so
 * that SSCF steps on it inside that item. A subscriber that answers a signal
 * at once (data(), release()) only queues its request behind it.
 *
 * What SSCOP and SSCF emit does not all come from the values going in: a
 * timer, a request from above or a PDU looped back also make signals, and
 * they come out of the same operators. So each operator attaches its
 * subscriber to the link while subscribed (one subscriber per layer at a
 * time) and detaches it on unsubscribe; the link's own wiring (SSCOP straight
 * to SSCF, signals$) takes over again. Both outputs complete when the link is
 * disposed; the PDUs' source completing does not complete `sscop` (timers
 * and requests still make signals). Nothing is scheduled, and nothing is
 * allocated per value beyond what the machines need.
 */
import { Observable, Subscriber, type OperatorFunction } from 'rxjs';
import { reportBug } from '../common/step-operator.js';
import type { SaalSignal } from './service.js';
import type { SscopSignal } from './machine.js';
import type { SaalLink, SaalRequest, SscopRequest } from './saal-link.js';

/** the PDUs into SSCOP: errors pass to the output, the end of the PDUs does not end it */
class PduFeed extends Subscriber<Buffer> {
  constructor(
    out: Subscriber<SscopSignal>,
    private readonly link: SaalLink,
  ) {
    super(out);
  }

  protected override _next(pdu: Buffer): void {
    try {
      this.link.receive(pdu);
    } catch (e) {
      // receive never throws; an event that did has a bug: reported, and the next PDU goes on
      reportBug(e);
    }
  }

  protected override _complete(): void {
    this.unsubscribe();
  }
}

/**
 * One layer's input: each value the source emits goes to `step` (one of the
 * link's layer ports), which runs the layer; what the layer makes goes out
 * through the port `attach` gave it, not through this subscriber. A throw
 * goes where the port sends it: SSCOP's signals into SSCF and SSCF's
 * requests into SSCOP run on the link's queue (a bug there drops what was
 * queued behind it); a request from above throws back to whoever made it.
 */
class LayerFeed<T, R> extends Subscriber<T> {
  constructor(
    out: Subscriber<R>,
    private readonly step: (value: T) => void,
  ) {
    super(out);
  }

  protected override _next(value: T): void {
    this.step(value);
  }
}

/**
 * An operator that plugs one layer of the link into the chain while
 * subscribed: `attach` routes the layer's output to the subscriber (and
 * returns the detach, run on unsubscribe), `feed` is what takes the source's
 * values into the layer.
 */
function layerOperator<T, R>(attach: (out: Subscriber<R>) => () => void, feed: (out: Subscriber<R>) => Subscriber<T>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((out) => {
      out.add(attach(out));
      source.subscribe(feed(out));
    });
}

/**
 * SSCOP of `link`: each received PDU decoded and stepped (SaalLink.receive),
 * and every signal SSCOP makes for its user out, whatever caused it. While
 * subscribed, those signals reach the link's SSCF only through whoever
 * subscribes (normally `sscf(link)`); unsubscribing detaches the link from
 * the PDUs and gives its signals back to its own SSCF.
 */
export function sscop(link: SaalLink): OperatorFunction<Buffer, SscopSignal> {
  return layerOperator(
    (out) => link.layers.sscopTo(out),
    (out) => new PduFeed(out, link),
  );
}

/**
 * SSCF-UNI of `link`: each SSCOP signal stepped through SSCF (at its place in
 * the link's queue: at once when it comes straight from the 'up' item that
 * handed it down the chain, else queued), and every SaalSignal SSCF makes out,
 * those the requests from above cause included, before signals$ has it.
 */
export function sscf(link: SaalLink): OperatorFunction<SscopSignal, SaalSignal> {
  return layerOperator(
    (out) => link.layers.sscfTo(out),
    (out) => new LayerFeed(out, link.layers.fromSscop),
  );
}

/**
 * SSCF-UNI of `link`, going down: each request from above (AAL-*.request)
 * queued and stepped through SSCF, and every request SSCF makes of SSCOP out,
 * whatever caused it (an SSCOP signal SSCF answers too). While subscribed,
 * those requests reach SSCOP only through whoever subscribes (normally
 * `sscopDown(link)`); unsubscribing gives them back to the link's own SSCOP.
 */
export function sscfDown(link: SaalLink): OperatorFunction<SaalRequest, SscopRequest> {
  return layerOperator(
    (out) => link.layers.sscfDownTo(out),
    (out) => new LayerFeed(out, link.layers.toSscf),
  );
}

/**
 * SSCOP of `link`, going down: each request of SSCF stepped through SSCOP (at
 * once when it comes straight from the 'down' item that handed it along the
 * chain, else queued). Emits nothing: the PDUs SSCOP sends leave through the
 * link's `send`. Completes when the link is disposed (its source does).
 */
export function sscopDown(link: SaalLink): OperatorFunction<SscopRequest, never> {
  return (source) => new Observable<never>((out) => source.subscribe(new LayerFeed(out, link.layers.fromSscf)));
}
