/**
 * `f` over `items` with at most `limit` calls in flight, results in the
 * items' order: for a lab's per-namespace queries (`ip`, `tc`), which are
 * independent processes, and its daemons' start-ups, so a lab of a few
 * hundred namespaces is read in a fraction of the time one after another
 * takes, without starting hundreds of processes at once. rxjs's mergeMap does
 * the bounding; a rejection rejects the whole (as Promise.all).
 */
import { from, lastValueFrom, mergeMap, toArray } from 'rxjs';

export async function mapConcurrent<T, R>(items: readonly T[], limit: number, f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (items.length === 0) return [];
  const done = await lastValueFrom(
    from(items.map((item, i) => [item, i] as const)).pipe(
      mergeMap(async ([item, i]) => [i, await f(item, i)] as const, limit),
      toArray(),
    ),
  );
  const out = new Array<R>(items.length);
  for (const [i, r] of done) out[i] = r;
  return out;
}
