/**
 * How both daemons (a host, daemons/condisd.ts; a switch, daemons/switchd.ts)
 * stop: SIGTERM, SIGINT and SIGHUP each start one clean shutdown (a second
 * signal while it runs changes nothing); a shutdown that takes longer than
 * `hardMs` exits 1; a finished one logs `stopped` and exits 0. SIGHUP is a
 * stop, not a reload: the configuration names devices, addresses and the
 * socket, which cannot change under live calls.
 */
import type { Logger } from 'pino';

export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

export interface StopOptions {
  log: Pick<Logger, 'info' | 'warn'> & { flush?: () => void };
  /** releases everything (calls, SSCOP, devices, socket); may return fields for the `stopped` line */
  shutdown: () => Promise<object | void>;
  /** give up and exit 1 after this long (default 8 s) */
  hardMs?: number;
}

export function stopOnSignals(o: StopOptions): void {
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    o.log.info({ signal }, 'shutting down: releasing calls, ending SSCOP associations');
    const hard = setTimeout(() => {
      o.log.warn({}, 'shutdown took too long; exiting');
      process.exit(1);
    }, o.hardMs ?? 8000);
    hard.unref();
    const fields = await o.shutdown();
    o.log.info(fields ?? {}, 'stopped');
    o.log.flush?.();
    process.exit(0);
  };
  for (const s of STOP_SIGNALS) process.on(s, () => void stop(s));
}
