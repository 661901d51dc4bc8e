/**
 * The control op modify-call against the daemon's real ControlBackend on
 * complete hosts (in-memory segment): NdisClModifyCallQoS through the
 * Q.2963.1 call manager, a change the called SAP accepts (the new peak cell
 * rate stands on both sides, on the wire and in NDIS), one it refuses by
 * closing the call (MODIFY REJECT 37, then the close), and the requests the
 * backend refuses before anything is sent.
 */
import test from 'ava';
import { filter, firstValueFrom } from 'rxjs';
import { type ControlClient, type EventSubscription } from '../../src/control/client.js';
import { ControlError } from '../../src/control/errors.js';
import type { ControlEvent } from '../../src/control/backend.js';
import { controlledHosts } from './helpers.js';

function next<K extends ControlEvent['kind']>(sub: EventSubscription, kind: K, pred: (e: Extract<ControlEvent, { kind: K }>) => boolean = () => true) {
  return firstValueFrom(sub.events$.pipe(filter((e): e is Extract<ControlEvent, { kind: K }> => e.kind === kind && pred(e as Extract<ControlEvent, { kind: K }>))));
}

async function hosts(t: import('ava').ExecutionContext, n: number): Promise<ControlClient[]> {
  return (await controlledHosts(t, n)).clients;
}

test('modify-call accepted: MODIFY REQUEST / ACKNOWLEDGE, the new peak cell rates on both sides', async (t) => {
  const [a, b] = (await hosts(t, 2)) as [ControlClient, ControlClient];
  const subA = await a.subscribe();
  const subB = await b.subscribe();
  await b.registerSap({ address: '1002' });
  const offered = next(subB, 'incoming-call');
  const call = await a.makeCall({ called: '1002' });
  const vcB = (await offered).vc;
  const before = (await a.vcs()).find((v) => v.vc === call.vc)!;
  t.deepEqual(before.call?.pcr, { transmit: 353207, receive: 353207 }, 'the SETUP asked for the best-effort line rate');

  const told = next(subB, 'incoming-qos-change');
  const completed = next(subA, 'modify-call-complete');
  const r = await a.modifyCall({ vc: call.vc, pcr: 1000, receivePcr: 2000 });
  t.is(r.status.name, 'SUCCESS');
  t.deepEqual(r.pcr, { transmit: 1000, receive: 2000 });
  t.deepEqual((await completed).pcr, { transmit: 1000, receive: 2000 });
  const inc = await told;
  t.is(inc.vc, vcB);
  t.true(inc.accepted);
  t.deepEqual(inc.pcr, { transmit: 2000, receive: 1000 }, 'the called side sees the directions turned round');

  // the wire's traffic descriptor changed at both ends; both calls stay up
  const va = (await a.vcs()).find((v) => v.vc === call.vc)!;
  const vb = (await b.vcs()).find((v) => v.vc === vcB)!;
  t.deepEqual(va.call?.pcr, { transmit: 1000, receive: 2000 });
  t.deepEqual(vb.call?.pcr, { transmit: 2000, receive: 1000 });
  t.is(va.call?.state, 'CONNECTED');
  t.is(vb.call?.state, 'CONNECTED');
  t.regex(va.call?.uniState ?? '', /^[UN]10 Active/);

  // data still flows on the call
  const got = next(subB, 'receive', (e) => e.vc === vcB);
  await a.send({ vc: call.vc, data: 'after the change' });
  t.is((await got).data.toString(), 'after the change');
});

test('modify-call refused by the called SAP (qos: refuse): MODIFY REJECT 37, the caller completes FAILURE, then the call closes', async (t) => {
  const [a, b] = (await hosts(t, 2)) as [ControlClient, ControlClient];
  const subA = await a.subscribe();
  const subB = await b.subscribe();
  const sap = await b.registerSap({ address: '1002', qos: 'refuse' });
  t.is(sap.qos, 'refuse');
  const offered = next(subB, 'incoming-call');
  const call = await a.makeCall({ called: '1002' });
  const vcB = (await offered).vc;

  const kindsA: string[] = [];
  const s = subA.events$.subscribe((e) => {
    if ((e as { vc?: number }).vc === call.vc && (e.kind === 'modify-call-complete' || e.kind === 'incoming-close-call')) kindsA.push(e.kind);
  });
  t.teardown(() => s.unsubscribe());
  const told = next(subB, 'incoming-qos-change');
  const closedB = next(subB, 'close-call-complete', (e) => e.vc === vcB);
  const closedA = next(subA, 'incoming-close-call', (e) => e.vc === call.vc);
  const e = await t.throwsAsync(a.modifyCall({ vc: call.vc, pcr: 500 }), { instanceOf: ControlError });
  t.is(e!.code, 'failed');
  t.is(e!.ndisStatus?.name, 'FAILURE');
  t.regex(e!.message, /^modify call on VC \d+: refused by .* with MODIFY REJECT cause 37 user cell rate not available; the old rates stay$/);
  const inc = await told;
  t.false(inc.accepted);
  t.is((await closedB).status.name, 'SUCCESS');
  t.is((await closedA).status.name, 'SUCCESS', 'a normal clearing by the remote');
  t.deepEqual(kindsA, ['modify-call-complete', 'incoming-close-call'], 'the completion before the incoming close');
});

test('modify-call refused before anything is sent: the called side, a multipoint call, an unknown VC, no call', async (t) => {
  const [a, b, c] = (await hosts(t, 3)) as [ControlClient, ControlClient, ControlClient];
  const subB = await b.subscribe();
  await b.registerSap();
  await c.registerSap();
  const offered = next(subB, 'incoming-call');
  await a.makeCall({ called: '1002' });
  const vcB = (await offered).vc;
  const called = await t.throwsAsync(b.modifyCall({ vc: vcB, pcr: 100 }), { instanceOf: ControlError });
  t.is(called!.code, 'wrong-state');
  t.regex(called!.message, /only the calling side/);

  const mp = await a.makeCall({ parties: ['1002', '1003'] });
  const multi = await t.throwsAsync(a.modifyCall({ vc: mp.vc, pcr: 100 }), { instanceOf: ControlError });
  t.is(multi!.code, 'unsupported');
  t.regex(multi!.message, /point-to-point calls only/);

  const unknown = await t.throwsAsync(a.modifyCall({ vc: 4242, pcr: 100 }), { instanceOf: ControlError });
  t.is(unknown!.code, 'not-found');
  const idle = await a.createVc();
  const none = await t.throwsAsync(a.modifyCall({ vc: idle.vc, pcr: 100 }), { instanceOf: ControlError });
  t.is(none!.code, 'wrong-state');
  // and a rate the protocol cannot carry is refused by the control protocol's schema
  const big = await t.throwsAsync(a.modifyCall({ vc: mp.vc, pcr: 0x1000000 }), { instanceOf: ControlError });
  t.is(big!.code, 'bad-args');
});
