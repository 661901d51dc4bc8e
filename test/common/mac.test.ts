import test from 'ava';
import { macAt, macFromBuffer, macNumber, macNumberAt } from '../../src/common/mac.js';

const frameFrom = (dst: string, src: string): Buffer => Buffer.from(`${dst}${src}88b5`.replaceAll(':', ''), 'hex');

// (that macAt hands out one string per MAC is not observable from JavaScript, where equal strings
// are the same value: it is a cost, measured with perf, see the commit that made it)
test('macAt reads the MAC at an offset as macFromBuffer does', (t) => {
  const a = frameFrom('02:00:00:00:01:0a', '02:00:5e:ff:00:01');
  const b = frameFrom('ff:ff:ff:ff:ff:ff', '02:00:5e:ff:00:01');
  t.is(macAt(a, 0), '02:00:00:00:01:0a');
  t.is(macAt(a, 6), '02:00:5e:ff:00:01');
  t.is(macAt(b, 0), 'ff:ff:ff:ff:ff:ff');
  t.is(macAt(b, 6), macFromBuffer(a, 6));
  t.is(macAt(Buffer.from('0000020000000001', 'hex'), 2), '02:00:00:00:00:01');
  t.is(macNumber(macAt(a, 6)), macNumberAt(a, 6));
});

test('macAt stays right past the most strings it keeps (a flood of forged sources)', (t) => {
  const buf = Buffer.alloc(6);
  const seen: string[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    buf.writeUIntBE(0x020000000000 + i * 7919, 0, 6);
    const s = macAt(buf, 0);
    if (s !== macFromBuffer(buf, 0)) wrong.push(i);
    seen.push(s);
  }
  t.deepEqual(wrong, []);
  t.is(new Set(seen).size, 10_000);
  buf.writeUIntBE(0x020000000000, 0, 6);
  t.is(macAt(buf, 0), '02:00:00:00:00:00');
});
