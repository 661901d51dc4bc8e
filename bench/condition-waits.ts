/** A wait on counts a bench keeps in a subscription (bench/stack.ts, bench/heap-probe.ts). */

/**
 * Waits on counts a subscription keeps: `until(cond)` settles once `cond()` holds, checked again at each
 * `wake()` the subscription calls (one wait at a time, as a run awaits each before the next).
 */
export function conditionWaits(): { wake(): void; until(cond: () => boolean): Promise<void> } {
  let check = (): void => {};
  return {
    wake: () => check(),
    until: (cond) =>
      new Promise((resolve) => {
        if (cond()) return resolve();
        check = () => {
          if (cond()) {
            check = () => {};
            resolve();
          }
        };
      }),
  };
}
