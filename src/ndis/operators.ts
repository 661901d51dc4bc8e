/**
 * Typed RxJS operators over a client's `indications$`, for programs: keep the
 * indications of some kinds (typed as those kinds), or those about one VC.
 *
 *   client.indications$.pipe(ofKind('ProtocolClIncomingCloseCall'), onVc(vcHandle))
 *     .subscribe((i) => i.closeData)   // i is ClIndicationOf<'ProtocolClIncomingCloseCall'>
 *
 * Plain operators (`(source) => new Observable(...)`): nothing is scheduled,
 * nothing allocated per indication.
 */
import { Observable, type MonoTypeOperatorFunction, type OperatorFunction } from 'rxjs';
import type { ClIndication, ClIndicationKind, ClIndicationOf } from './indications.js';
import type { NdisVcHandle } from './types.js';

function keep<T, R extends T>(pass: (v: T) => v is R): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((out) =>
      source.subscribe({
        next: (v) => {
          if (pass(v)) out.next(v);
        },
        error: (e: unknown) => out.error(e),
        complete: () => out.complete(),
      }),
    );
}

/** the indications of these kinds, typed as such */
export function ofKind<K extends ClIndicationKind>(...kinds: K[]): OperatorFunction<ClIndication, ClIndicationOf<K>> {
  if (kinds.length === 1) {
    const k = kinds[0];
    return keep((i: ClIndication): i is ClIndicationOf<K> => i.kind === k);
  }
  const set = new Set<ClIndicationKind>(kinds);
  return keep((i: ClIndication): i is ClIndicationOf<K> => set.has(i.kind));
}

/** the indications about one VC (those that carry its handle) */
export function onVc<T extends ClIndication>(vcHandle: NdisVcHandle): MonoTypeOperatorFunction<T> {
  return keep((i: T): i is T => 'vcHandle' in i && i.vcHandle === vcHandle);
}
