/**
 * When the live view asks a host for its tables again (server.ts). A status
 * lists every VC and party of a host, so on a host holding thousands it is the
 * costliest thing the view asks for, and a busy host has events that change
 * its tables all the time. So:
 * - nothing is asked while no page watches (a page that connects is sent every
 *   host's tables at once);
 * - at most one status is in flight per host; a change meanwhile asks for one
 *   more after it;
 * - the next one waits `everyMs` after the change that asks for it, and at
 *   least `spacing` times as long as the last one took after that one ended:
 *   a host whose tables take long spends at most 1/(1 + spacing) of its time
 *   answering them.
 */
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';

export interface TablesRefreshOptions {
  /** ms from a change to the status it asks for (changes meanwhile ride along) */
  everyMs: number;
  /** the next status waits at least this many times as long as the last one took */
  spacing: number;
  scheduler: SchedulerLike;
}

export const TABLES_REFRESH: TablesRefreshOptions = { everyMs: 30, spacing: 4, scheduler: asyncScheduler };

export class TablesRefresh {
  private timer: Subscription | undefined;
  private asking = false;
  private again = false;
  /** the last ask's end plus `spacing` times what it took: the next one waits until then */
  private notBefore = -Infinity;
  private disposed = false;

  /**
   * `ask`: fetch the tables and send them to the pages (it does not reject); `watched`: is any page
   * connected
   */
  constructor(
    private readonly ask: () => Promise<void>,
    private readonly watched: () => boolean,
    private readonly opts: TablesRefreshOptions = TABLES_REFRESH,
  ) {}

  /** something changed the host's tables */
  changed(): void {
    if (this.disposed || this.timer || !this.watched()) return;
    if (this.asking) {
      this.again = true;
      return;
    }
    const { everyMs, scheduler } = this.opts;
    const wait = Math.max(everyMs, this.notBefore - scheduler.now());
    this.timer = scheduler.schedule(() => {
      this.timer = undefined;
      void this.run();
    }, wait);
  }

  private async run(): Promise<void> {
    const now = () => this.opts.scheduler.now();
    this.asking = true;
    const started = now();
    try {
      await this.ask();
    } finally {
      const ended = now();
      this.notBefore = ended + this.opts.spacing * (ended - started);
      this.asking = false;
    }
    if (this.again) {
      this.again = false;
      this.changed();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
  }
}
