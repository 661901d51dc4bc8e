/**
 * The regression corpus (test/fuzz/corpus/*.hex): inputs that once broke a
 * host, and edge cases at every layer worth keeping. Each file is replayed at
 * a whole host over the memory miniport (frames from the fuzz port; Q.2931
 * messages over the fuzzer's own SSCOP association); nothing throws, and the
 * host's established call, new calls and its peers still work afterwards.
 * Add a file when `npm run fuzz -- --record` catches something.
 */
import test from 'ava';
import { FuzzAssociation } from '../../src/fuzz/peer.js';
import { captureUnhandled, corpusFiles, fuzzBed, parseCorpus, readCorpus, stillWorks } from './helpers.js';

test('the corpus format: frame/q2931 lines of hex, comments, nothing else', (t) => {
  t.deepEqual(parseCorpus('# c\nframe 00ff\n\nq2931 0903  # tail\n'), [
    { kind: 'frame', bytes: Buffer.from([0, 0xff]) },
    { kind: 'q2931', bytes: Buffer.from([9, 3]) },
  ]);
  t.throws(() => parseCorpus('frame xyz'), { message: /not hex/ });
  t.throws(() => parseCorpus('pdu 00'), { message: /expected/ });
  t.true(corpusFiles().length > 0);
});

for (const file of corpusFiles()) {
  test(`corpus ${file}: replayed at a host, which keeps working`, async (t) => {
    const errors = captureUnhandled(t);
    const entries = readCorpus(file);
    const bed = await fuzzBed(t, { limits: { calls: 64, partiesPerCall: 8, peers: 4 } });
    const assoc = new FuzzAssociation(bed.port, bed.target.mac, { sscop: { timerCC: 200, timerPoll: 100, timerKeepAlive: 200, timerNoResponse: 1500 } });
    t.teardown(() => assoc.dispose());
    if (entries.some((e) => e.kind === 'q2931')) {
      assoc.kick();
      for (let i = 0; i < 500 && !assoc.link.established; i++) await new Promise((r) => setTimeout(r, 10));
      t.true(assoc.link.established, 'the fuzzer has its association');
    }
    for (const e of entries) {
      if (e.kind === 'frame') bed.port.send(e.bytes);
      else {
        if (!assoc.link.established) {
          assoc.kick();
          for (let i = 0; i < 500 && !assoc.link.established; i++) await new Promise((r) => setTimeout(r, 10));
        }
        assoc.send(e.bytes);
      }
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 100));
    t.deepEqual(errors, []);
    await stillWorks(t, bed, file);
    t.deepEqual(errors, []);
  });
}
