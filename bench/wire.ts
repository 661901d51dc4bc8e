/**
 * Wire codec throughput: frames parsed + emitted per second, each figure next
 * to a Buffer copy of the same frames measured in the same run (the cheapest
 * thing anything that touches every frame could do), so the ratio reads the
 * same on any machine. `npm run bench -- --only wire`.
 */
import { ETHERTYPE_CONDIS, VCI_SIGNALLING, cellHeader, crc32Aal5, emitFrame, parseFrame, peekVc, type Frame } from '../src/wire/index.js';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  baselineName?: string;
}

let sink = 0;

/** Operations per second of `op` run in batches for about `ms` milliseconds (after a warm-up). */
function rate(ms: number, batch: number, op: () => void): number {
  const warm = performance.now() + ms / 5;
  while (performance.now() < warm) for (let i = 0; i < batch; i++) op();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < batch; i++) op();
    n += batch;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

function frameOf(sduLen: number): Frame {
  const sdu = Buffer.alloc(sduLen);
  for (let i = 0; i < sduLen; i++) sdu[i] = (i * 31 + 7) & 0xff;
  return { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', etherType: ETHERTYPE_CONDIS, cell: cellHeader(0, VCI_SIGNALLING), uu: 0, cpi: 0, sdu };
}

export async function benchWire(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const ms = opts.quick ? 150 : 1000;
  const out: BenchFigure[] = [];
  const copyName = 'Buffer copy of the frame';
  for (const [label, sduLen] of [
    ['padded SSCOP PDU (8 B SDU, 60 B frame)', 8],
    ['Q.2931 message (120 B SDU)', 120],
    ['full frame (1488 B SDU)', 1488],
  ] as const) {
    const f = frameOf(sduLen);
    const wire = emitFrame(f);
    const copy = rate(ms, 1000, () => {
      const c = Buffer.allocUnsafe(wire.length);
      wire.copy(c);
      sink += c[17]!;
    });
    const both = rate(ms, 1000, () => {
      const r = parseFrame(emitFrame(f));
      if (r.ok) sink += r.value.sdu.length;
    });
    const parse = rate(ms, 1000, () => {
      const r = parseFrame(wire);
      if (r.ok) sink += r.value.cell.vci;
    });
    out.push({ name: `parse+emit, ${label}`, value: both, unit: 'frames/s', baseline: copy, baselineName: copyName });
    out.push({ name: `parse only, ${label}`, value: parse, unit: 'frames/s', baseline: copy, baselineName: copyName });
  }
  const big = emitFrame(frameOf(1488));
  const copyMB = (rate(ms, 1000, () => {
    const c = Buffer.allocUnsafe(1488);
    big.copy(c, 0, 18, 18 + 1488);
    sink += c[0]!;
  }) * 1488) / 1e6;
  const crcMB = (rate(ms, 100, () => {
    sink += crc32Aal5(big, 18, 18 + 1488 + 4);
  }) * 1492) / 1e6;
  out.push({ name: 'AAL5 CRC-32', value: crcMB, unit: 'MB/s', baseline: copyMB, baselineName: 'Buffer copy, MB/s' });
  const small = emitFrame(frameOf(8));
  const peek = rate(ms, 1000, () => {
    const v = peekVc(small);
    if (v) sink += v.vci;
  });
  const copySmall = rate(ms, 1000, () => {
    const c = Buffer.allocUnsafe(small.length);
    small.copy(c);
    sink += c[17]!;
  });
  out.push({ name: 'peekVc (routing fast path)', value: peek, unit: 'frames/s', baseline: copySmall, baselineName: copyName });
  if (sink === 42) console.log('');
  return out;
}
