/**
 * Waiting on what a test expects instead of a fixed time (docs/testing-timers.md).
 * `waitUntil` polls a condition (synchronous or not) until it holds and fails
 * with the name of what it waited for once `ms` has passed, so a broken
 * implementation fails the test instead of hanging it or passing by luck.
 * The bound is generous on purpose: it only decides how long a failure takes.
 */
export interface WaitOptions {
  /** the failure bound in milliseconds (default 10 s) */
  ms?: number;
  /** how often to look again in milliseconds (default 10) */
  every?: number;
}

/** until `cond()` returns something other than undefined/false; resolves with that value */
export async function waitUntil<T>(what: string, cond: () => T | undefined | false | Promise<T | undefined | false>, opts: WaitOptions = {}): Promise<T> {
  const ms = opts.ms ?? 10_000;
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, opts.every ?? 10));
  }
}

/** `p`, or a rejection naming `what` once `ms` has passed */
export function within<T>(what: string, p: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for: ${what}`)), ms);
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}
