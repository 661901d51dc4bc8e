/**
 * The UNI coordinator as the last operator of its link's path up
 * (`coordinator(link)`, src/uni/uni-link.ts): a UniLink takes its SAAL's signals
 * through it, and the operator works on any source of SaalSignals.
 */
import test from 'ava';
import { Subject } from 'rxjs';
import { coordinator, UniLink } from '../../src/uni/index.js';
import type { SaalService, SaalSignal } from '../../src/sscop/service.js';
import { Clock, MAC_A, MAC_B, makeHost } from './helpers.js';

function saal(): { service: SaalService; signals: Subject<SaalSignal>; sent: Buffer[] } {
  const signals = new Subject<SaalSignal>();
  const sent: Buffer[] = [];
  return {
    signals,
    sent,
    service: { signals$: signals, establish: () => undefined, release: () => undefined, data: (d) => sent.push(d), unitdata: () => undefined, established: false },
  };
}

test("a UniLink runs its SAAL's signals through coordinator(): subscribed while attached, each signal handled synchronously", (t) => {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], {});
  const s = saal();
  a.host.attachLink(MAC_B, s.service, 'network');
  t.true(s.signals.observed, 'the UniLink subscribed to the path it was given');
  s.signals.next({ kind: 'establish-indication' });
  t.true(a.host.linkOf(MAC_B)!.established, 'handled before next() returned');
  t.deepEqual(a.of('link-up'), [{ kind: 'link-up', peer: MAC_B }]);
  a.host.detachLink(MAC_B);
  t.false(s.signals.observed, 'detaching the link ends its subscription');
  a.host.dispose();
});

test('coordinator(link) takes each signal from any source with link.signal(), emits nothing, and ends with its source', (t) => {
  const clock = new Clock();
  const a = makeHost(clock, MAC_A, ['1001'], {});
  const s = saal();
  a.host.attachLink(MAC_B, s.service, 'network');
  const link = a.host.linkOf(MAC_B);
  if (!(link instanceof UniLink)) return t.fail('linkOf gives the UniLink');
  const more = new Subject<SaalSignal>();
  let emitted = 0;
  let completed = false;
  more.pipe(coordinator(link)).subscribe({ next: () => emitted++, complete: () => (completed = true) });
  more.next({ kind: 'establish-confirm' });
  t.true(link.established);
  more.next({ kind: 'release-indication', reason: 'test' });
  t.false(link.established);
  t.deepEqual(
    a.ind.map((i) => i.kind),
    ['link-up', 'link-down'],
  );
  more.complete();
  t.is(emitted, 0);
  t.true(completed);
  a.host.dispose();
});
