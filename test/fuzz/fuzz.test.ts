/**
 * Hostile input at a whole host (wire, SSCOP, UNI, CoNDIS over the memory
 * miniport): random frames and mutated valid frames at every layer, and
 * mutated Q.2931 messages over the fuzzer's own SSCOP association. The host
 * throws nothing, counts what it drops by reason, and its established call,
 * new calls and its peers keep working. A smaller, seeded version of
 * `npm run fuzz` (which does the same to condisd over TAP devices).
 */
import test from 'ava';
import { FrameFuzzer, FUZZ_LAYERS, fuzzMessage, mutateBytes, seedMessages } from '../../src/fuzz/frames.js';
import { Prng } from '../../src/fuzz/prng.js';
import { runFuzz } from '../../src/fuzz/peer.js';
import { decodeMessage, encodeMessage } from '../../src/uni/msg/index.js';
import { parsePdu } from '../../src/sscop/pdu.js';
import { parseFrame } from '../../src/wire/index.js';
import { captureUnhandled, fuzzBed, stillWorks } from './helpers.js';

test('fuzz generators are reproducible from the seed and stay within the MTU', (t) => {
  const mk = () => new FrameFuzzer({ seed: 7, target: '02:00:00:00:00:02', source: '02:00:00:00:00:f0', addresses: ['1002'] });
  const a = mk();
  const b = mk();
  const layers = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const x = a.next();
    const y = b.next();
    t.deepEqual(x, y);
    layers.add(x.layer);
    t.true(x.frame.length <= 1514 + 64, `${x.layer} frame of ${x.frame.length}`);
  }
  t.deepEqual([...layers].sort(), [...FUZZ_LAYERS].sort());
});

test('seed messages are valid Q.2931 (they decode), and mutations never throw in the decoders', (t) => {
  const p = new Prng(11);
  for (let i = 0; i < 50; i++) for (const m of seedMessages(p, ['1002'])) t.true(decodeMessage(encodeMessage(m)).ok, `seed ${m.type} decodes`);
  for (let i = 0; i < 3000; i++) {
    const m = fuzzMessage(p, ['1002']);
    t.notThrows(() => decodeMessage(m));
    t.notThrows(() => parsePdu(mutateBytes(p, m)));
    t.notThrows(() => parseFrame(mutateBytes(p, m)));
  }
});


for (const seed of [1, 2]) {
  test(`a host under a hail of hostile frames and messages keeps working (seed ${seed})`, async (t) => {
    const errors = captureUnhandled(t);
    const bed = await fuzzBed(t, { limits: { calls: 64, partiesPerCall: 8, peers: 16 } });
    const report = await runFuzz({
      miniport: bed.port,
      target: bed.target.mac,
      seed,
      frames: 6000,
      addresses: ['1002', '1003', '1001'],
      sscop: { timerCC: 200, timerPoll: 100, timerKeepAlive: 200, timerNoResponse: 1500 },
    });
    t.log(`seed ${seed}: ${report.frames} frames, ${report.messages} Q.2931 messages over ${report.associations} association(s), ${report.framesPerSecond}/s`);
    t.true(report.messages > 0, 'the fuzzer reached call control through its own association');
    t.deepEqual(errors, [], 'nothing threw');

    const c = bed.target.counters();
    const drops = c.drops;
    t.log('node drops', JSON.stringify(drops));
    const sscopDrops: Record<string, number> = {};
    for (const l of bed.target.sscopCounters()) for (const [k, v] of Object.entries(l.drops)) sscopDrops[k] = (sscopDrops[k] ?? 0) + v;
    t.log('sscop drops', JSON.stringify(sscopDrops), 'uni protocol errors', JSON.stringify(bed.target.uni.counters().protocolErrors));
    // every frame the target saw is accounted for: taken by a layer or dropped with a named reason
    for (const k of ['aal5-crc', 'not-our-ethertype', 'not-for-us']) t.true((drops[k] ?? 0) > 0, `drops counted as ${k}`);
    t.true(Object.keys(drops).every((k) => /^[a-z0-9-]+$/.test(k)), 'drop reasons are names');
    t.true(Object.keys(sscopDrops).length > 0, 'SSCOP decode drops counted');
    // peers learned from forged sources stay within the limit
    t.true(bed.target.peerList().length <= 16);

    t.log(`target after the fuzz: ${bed.target.uni.counters().calls} calls (the fuzzer's SETUPs that were accepted), ${bed.target.peerList().length} peers`);
    await stillWorks(t, bed, `fuzz seed ${seed}`);
    t.deepEqual(errors, []);
  });
}
