/**
 * Flow control for `condisctl pipe` between two condisctl. A VC does not carry
 * data reliably: a caller that sends faster than the receiving host reads
 * overflows that host's device queue, and frames are lost. So the two pipes
 * agree on acknowledgements:
 *
 * - the caller offers them in its SETUP's user-user information (PIPE_OFFER);
 * - a listener that only receives (`--recv-only`, so the way back is free) and
 *   sees the offer sends back, on the same VC, "condisctl pipe ack N" each time
 *   it has received another ACK_EVERY octets (N: all it has received);
 * - the caller, once it has seen an acknowledgement, keeps at most WINDOW
 *   octets unacknowledged. Acknowledgements may be lost too: one that does not
 *   come within ACK_WAIT_MS lets the caller go on with half a window more, so
 *   it slows down but never stops. The caller's tally in its close data still
 *   tells the listener whether anything was lost.
 *
 * A listener that does not acknowledge (one that also sends, an older one, a
 * program of its own) is sent to as before: the caller never waits for an
 * acknowledgement it has not yet seen.
 *
 * Whatever the listener, a caller that hangs up at the end of its input says
 * in its close data how many octets it sent (tallyText), and the listener
 * compares that with what it received.
 */

/** the caller's offer, as SETUP user-user information */
export const PIPE_OFFER = 'condisctl pipe: acks';
/** octets received between two acknowledgements */
export const ACK_EVERY = 64 * 1024;
/** octets the caller keeps unacknowledged: about 375 packets of 1400 octets, well inside a TAP's queue of 1000 frames */
export const WINDOW = 512 * 1024;
/** how long the caller waits for an acknowledgement before it goes on with half a window */
export const ACK_WAIT_MS = 1000;

const ACK = /^condisctl pipe ack (\d+)$/;
const TALLY = /^condisctl pipe: sent (\d+) octets$/;

/** the caller's close data at the end of its input */
export const tallyText = (sent: number): string => `condisctl pipe: sent ${sent} octets`;

/** the count in a caller's tally, or undefined for other close data */
export function parseTally(closeData: Buffer): number | undefined {
  const m = TALLY.exec(closeData.toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

export const ackText = (received: number): string => `condisctl pipe ack ${received}`;

/** the count in an acknowledgement packet, or undefined for any other packet */
export function parseAck(packet: Buffer): number | undefined {
  if (packet.length > 40) return undefined;
  const m = ACK.exec(packet.toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

/** the listener's side: when to acknowledge */
export class AckSender {
  private next = ACK_EVERY;

  /** given all octets received so far, the acknowledgement to send now, if one is due */
  received(total: number): string | undefined {
    if (total < this.next) return undefined;
    this.next = total + ACK_EVERY;
    return ackText(total);
  }
}

/** the caller's side: how far ahead of the acknowledgements it may send */
export class AckWindow {
  private acked = 0;
  private seen = false;
  private wake: (() => void) | undefined;

  /** `wait(ms)` resolves after ms (injected so that tests run in virtual time) */
  constructor(private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms).unref())) {}

  /** whether the listener acknowledges at all */
  get acking(): boolean {
    return this.seen;
  }

  /** an acknowledgement of `total` octets arrived */
  ack(total: number): void {
    this.seen = true;
    if (total > this.acked) this.acked = total;
    this.wake?.();
  }

  /**
   * Resolves when `sent` octets are within the window of what is acknowledged (at once for a
   * listener that has not acknowledged anything). An acknowledgement that does not come within
   * ACK_WAIT_MS counts as one for half a window more.
   */
  async room(sent: number): Promise<void> {
    while (this.seen && sent - this.acked > WINDOW) {
      const acked = this.acked;
      const woken = new Promise<void>((r) => (this.wake = r));
      await Promise.race([woken, this.wait(ACK_WAIT_MS)]);
      this.wake = undefined;
      if (this.acked === acked) this.acked = Math.max(acked, sent - WINDOW / 2);
    }
  }
}
