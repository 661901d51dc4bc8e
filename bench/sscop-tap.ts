/**
 * SSCOP over real TAP devices: assured SDUs per second between two SSCOP
 * ends whose PDUs cross two TAP devices bridged between network namespaces
 * (made and removed here), against the same number of raw frames through the
 * same TAP pair with the same flow-control window (the wire's own limit).
 */
import { performance } from 'node:perf_hooks';
import { Subscription } from 'rxjs';
import type { BenchFigure } from './run.js';
import { openMiniport } from '../src/miniport/index.js';
import type { Miniport } from '../src/miniport/types.js';
import { createSaalLink } from '../src/sscop/index.js';
import { cellHeader, emitFrame, ETHERTYPE_CONDIS, parseFrame, VCI_SIGNALLING } from '../src/wire/index.js';
import { labUp } from '../src/lab/lab.js';
import { topologyFrom } from '../src/lab/topology.js';
import { uniqueName } from '../src/lab/netns.js';
import { canDoNetworking } from '../src/common/sh.js';

function frameTo(from: Miniport, to: Miniport, sdu: Buffer): Buffer {
  return emitFrame({ dst: to.mac, src: from.mac, etherType: ETHERTYPE_CONDIS, cell: cellHeader(0, VCI_SIGNALLING), uu: 0, cpi: 0, sdu });
}

/** raw frames A -> B, at most `window` in flight */
async function rawRate(a: Miniport, b: Miniport, count: number, size: number, window: number): Promise<number> {
  const f = frameTo(a, b, Buffer.alloc(size));
  let sent = 0;
  let got = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const subs = new Subscription();
    const pump = () => {
      while (sent < count && sent - got < window) {
        a.send(f);
        sent++;
      }
    };
    subs.add(
      b.frames$.subscribe(() => {
        if (++got >= count) {
          subs.unsubscribe();
          resolve();
        } else pump();
      }),
    );
    const t = setInterval(() => {
      if (performance.now() - t0 > 20_000) {
        subs.unsubscribe();
        resolve();
      }
      // a frame lost in the kernel would stall the window
      if (sent - got >= window) got = sent - window + 1;
      pump();
    }, 50);
    subs.add(() => clearInterval(t));
    pump();
  });
  return got / ((performance.now() - t0) / 1000);
}

/** assured SDUs A -> B through two SSCOP ends on the TAP pair */
async function sscopRate(a: Miniport, b: Miniport, count: number, size: number): Promise<number> {
  const subs = new Subscription();
  const la = createSaalLink({ send: (pdu) => a.send(frameTo(a, b, pdu)), name: 'a' });
  const lb = createSaalLink({ send: (pdu) => b.send(frameTo(b, a, pdu)), name: 'b' });
  const feed = (m: Miniport, link: typeof la) =>
    subs.add(
      m.frames$.subscribe((buf) => {
        const r = parseFrame(buf);
        if (r.ok && r.value.cell.vci === VCI_SIGNALLING) link.receive(Buffer.from(r.value.sdu));
      }),
    );
  feed(a, la);
  feed(b, lb);
  let got = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      subs.add(
        la.signals$.subscribe((s) => {
          if (s.kind === 'establish-confirm') resolve();
          if (s.kind === 'release-indication') reject(new Error(`SSCOP link released: ${s.reason}`));
        }),
      );
      la.establish();
    });
    const sdu = Buffer.alloc(size, 0x33);
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      subs.add(
        lb.signals$.subscribe((s) => {
          if (s.kind === 'data-indication' && ++got === count) resolve();
        }),
      );
      for (let i = 0; i < count; i++) la.data(sdu);
    });
    return got / ((performance.now() - t0) / 1000);
  } finally {
    subs.unsubscribe();
    la.dispose();
    lb.dispose();
  }
}

export async function benchSscopTap(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const net = canDoNetworking();
  if (!net.ok) {
    console.log(`  (skipped: ${net.reason})`);
    return [];
  }
  const name = uniqueName('bsq');
  const lab = await labUp(
    topologyFrom(
      { name, segment: { kind: 'bridged' }, hosts: [1, 2].map((i) => ({ name: `h${i}`, mac: `02:00:00:00:06:0${i}`, address: `${6000 + i}` })) },
      name,
    ),
  );
  const mps: Miniport[] = [];
  try {
    for (const h of lab.hosts) mps.push(await openMiniport({ kind: 'tap', device: 'tap0', netns: h.nsName, mac: h.mac, bridge: 'br0' }));
    const [a, b] = mps as [Miniport, Miniport];
    await new Promise((r) => setTimeout(r, 300));
    const count = opts.quick ? 5_000 : 30_000;
    const raw = await rawRate(a, b, count, 104, 128);
    const assured = await sscopRate(a, b, count, 100);
    return [{ name: `SSCOP assured 100-octet SDUs over TAP (${count})`, value: assured, unit: 'SDUs/s', baseline: raw, baselineName: 'raw frames/s, same TAP pair, window 128' }];
  } finally {
    await Promise.all(mps.map((m) => m.close().catch(() => {})));
    await lab.down();
  }
}
