/**
 * Wire codec throughput: frames parsed + emitted per second, and read through
 * the FrameView the hosts' path up uses (wrap, check, VC key, SDU), each figure next
 * to a Buffer copy of the same frames measured in the same run, in
 * alternating windows (the cheapest thing anything that touches every frame
 * could do), so the ratio reads the same on any machine.
 * `npm run bench -- --only wire [--quick]`.
 */
import { ETHERTYPE_CONDIS, FrameView, VCI_SIGNALLING, cellHeader, crc32Aal5, emitFrame, parseFrame, peekVc, type Frame } from '../src/wire/index.js';
import { paired } from './measure.js';
import type { BenchFigure } from './run.js';


let sink = 0;


function frameOf(sduLen: number): Frame {
  const sdu = Buffer.alloc(sduLen);
  for (let i = 0; i < sduLen; i++) sdu[i] = (i * 31 + 7) & 0xff;
  return { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', etherType: ETHERTYPE_CONDIS, cell: cellHeader(0, VCI_SIGNALLING), uu: 0, cpi: 0, sdu };
}

export async function benchWire(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const ms = opts.quick ? 150 : 1000;
  const rounds = opts.quick ? 3 : 7;
  const out: BenchFigure[] = [];
  const copyName = 'Buffer copy of the frame';
  for (const [label, sduLen] of [
    ['padded SSCOP PDU (8 B SDU, 60 B frame)', 8],
    ['Q.2931 message (120 B SDU)', 120],
    ['full frame (1488 B SDU)', 1488],
  ] as const) {
    const f = frameOf(sduLen);
    const wire = emitFrame(f);
    const copy = () => {
      const c = Buffer.allocUnsafe(wire.length);
      wire.copy(c);
      sink += c[17]!;
    };
    const [both, copy1] = paired(ms, rounds, 1000, () => {
      const r = parseFrame(emitFrame(f));
      if (r.ok) sink += r.value.sdu.length;
    }, copy);
    const [parse, copy2] = paired(ms, rounds, 1000, () => {
      const r = parseFrame(wire);
      if (r.ok) sink += r.value.cell.vci;
    }, copy);
    out.push({ name: `parse+emit, ${label}`, value: both, unit: 'frames/s', baseline: copy1, baselineName: copyName });
    out.push({ name: `parse only, ${label}`, value: parse, unit: 'frames/s', baseline: copy2, baselineName: copyName });
    // what a host's path up does per frame (link-pipeline.ts): one view re-pointed, trailer and CRC checked, SDU as a view
    const view = new FrameView(ETHERTYPE_CONDIS);
    const [viewed, copy3] = paired(ms, rounds, 1000, () => {
      const v = view.wrap(wire);
      if (v.check()) sink += v.vcKey + v.sdu.length;
    }, copy);
    out.push({ name: `FrameView wrap+check+SDU, ${label}`, value: viewed, unit: 'frames/s', baseline: copy3, baselineName: copyName });
  }
  const big = emitFrame(frameOf(1488));
  const [crc, copyBig] = paired(ms, rounds, 100, () => {
    sink += crc32Aal5(big, 18, 18 + 1488 + 4);
  }, () => {
    const c = Buffer.allocUnsafe(1492);
    big.copy(c, 0, 18, 18 + 1492);
    sink += c[0]!;
  });
  out.push({ name: 'AAL5 CRC-32 over 1492 B', value: (crc * 1492) / 1e6, unit: 'MB/s', baseline: (copyBig * 1492) / 1e6, baselineName: 'Buffer copy, MB/s' });
  const small = emitFrame(frameOf(8));
  const [peek, copySmall] = paired(ms, rounds, 1000, () => {
    const v = peekVc(small);
    if (v) sink += v.vci;
  }, () => {
    const c = Buffer.allocUnsafe(small.length);
    small.copy(c);
    sink += c[17]!;
  });
  out.push({ name: 'peekVc (routing fast path)', value: peek, unit: 'frames/s', baseline: copySmall, baselineName: copyName });
  if (sink === 42) console.log('');
  return out;
}
