/**
 * The shape every step of the path up has (src/host/link-pipeline.ts draws
 * the path): an RxJS operator that hands each value of its source to one
 * layer's step, synchronously, with nothing between one step and the next.
 * It lives here because three layers build operators this way (the host's
 * frame steps, SSCOP and SSCF in src/sscop/operators.ts, the UNI coordinator
 * in src/uni/uni-link.ts) and none of them may import another's folder.
 */
import { Observable, Subscriber, type OperatorFunction } from 'rxjs';

/**
 * A step that threw has a bug (bad input is counted and dropped, not thrown):
 * reported the way RxJS reports an error thrown by a subscriber (unhandled,
 * on a later turn), so that the path goes on with the next value.
 */
export function reportBug(e: unknown): void {
  setTimeout(() => {
    throw e;
  });
}

/**
 * The subscriber of one step: RxJS's own operators are built the same way (a
 * Subscriber whose destination is the next one), so a value costs one call
 * per step, no wrapper, no closure per value; errors, completion and
 * unsubscription pass through to the destination. Nothing here schedules a
 * value: the one timer is for reporting a bug.
 */
export class StepSubscriber<T, R> extends Subscriber<T> {
  constructor(
    private readonly out: Subscriber<R>,
    private readonly step: (value: T, out: Subscriber<R>) => void,
  ) {
    super(out);
  }

  protected override _next(value: T): void {
    try {
      this.step(value, this.out);
    } catch (e) {
      reportBug(e);
    }
  }
}

/** an operator that hands each value of its source to `step`, which passes on what it emits with `out.next` (none, one, ...) */
export function stepOperator<T, R>(step: (value: T, out: Subscriber<R>) => void): OperatorFunction<T, R> {
  return (source) => new Observable<R>((out) => source.subscribe(new StepSubscriber(out, step)));
}
