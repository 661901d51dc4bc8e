/** Shared pieces of the miniport tests: frames, waiting for frames, fd counts. */
import { readdirSync } from 'node:fs';
import { firstValueFrom, filter, take, toArray, timeout, type Observable } from 'rxjs';
import { macToBuffer } from '../../src/common/mac.js';
import type { Miniport } from '../../src/miniport/index.js';

/** An Ethernet II frame: dst, src, EtherType, payload (padded to 60 octets). */
export function frame(dst: string, src: string, payload: string | Buffer, etherType = 0x88b5): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const f = Buffer.alloc(Math.max(60, 14 + body.length));
  macToBuffer(dst, f, 0);
  macToBuffer(src, f, 6);
  f.writeUInt16BE(etherType, 12);
  body.copy(f, 14);
  return f;
}

/** The first `n` frames of `frames$` whose payload starts with `tag` (others, e.g. retries, are skipped). */
export function collect(frames$: Observable<Buffer>, n: number, tag: string, ms = 5000): Promise<Buffer[]> {
  return firstValueFrom(
    frames$.pipe(
      filter((f) => f.subarray(14, 14 + tag.length).toString() === tag),
      take(n),
      toArray(),
      timeout(ms),
    ),
  );
}

/**
 * Send `f` from `from` until `to` receives a frame with the same payload tag
 * (a fresh bridge or veth may lose the first frames); resolves with what
 * arrived.
 */
export async function sendUntilReceived(from: Miniport, to: Miniport, f: Buffer, tag: string, ms = 10_000): Promise<Buffer> {
  const got = collect(to.frames$, 1, tag, ms);
  let done = false;
  void got.finally(() => (done = true)).catch(() => {});
  const t0 = Date.now();
  while (!done && Date.now() - t0 < ms) {
    from.send(f);
    await new Promise((r) => setTimeout(r, 50));
  }
  return (await got)[0]!;
}

export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * What Miniport.sendCopies promises: once `send` returns, the sender may write over the frame. A
 * burst goes out from one buffer, each frame's body written over after its send (its tag left as it
 * was): every frame that arrives must carry the body it had when it was sent. Resolves with the
 * frames that arrived and a copy of each as it was sent (the caller's link is warm: all of them arrive).
 */
export async function sendOverwritingEach(from: Miniport, to: Miniport, count = 30): Promise<{ arrived: Buffer[]; sent: Buffer[] }> {
  const buf = frame(to.mac, from.mac, `reuse000 ${'o'.repeat(900)}`);
  const sent: Buffer[] = [];
  const got = collect(to.frames$, count, 'reuse', 5000);
  for (let i = 0; i < count; i++) {
    buf.write(`reuse${String(i).padStart(3, '0')} `, 14);
    buf.fill(0x61 + (i % 26), 23, 23 + 900);
    from.send(buf);
    sent.push(Buffer.from(buf));
    buf.fill(0x23, 23, 23 + 900); // the body written over at once: a backend that kept the buffer sends '#'
  }
  return { arrived: await got, sent };
}
