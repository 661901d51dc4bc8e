/**
 * The promise layer over an NdisClient (src/ndis/requests.ts) on its own: a client whose indications a test
 * pushes by hand, and a virtual clock for the timeouts.
 */
import test from 'ava';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { waitUntil } from '../helpers/wait.js';
import { liveTimers } from '../helpers/timers.js';
import { ClientRequests, NdisStatus, type ClIndication, type NdisClient, type NdisVcHandle, type NetBufferList } from '../../src/ndis/index.js';

const S = NdisStatus;

function fakeClient(over: Partial<NdisClient> = {}): { cl: NdisClient; ind: Subject<ClIndication> } {
  const ind = new Subject<ClIndication>();
  const cl = { name: 'app', indications$: ind.asObservable(), ...over } as unknown as NdisClient;
  return { cl, ind };
}

const closeComplete = (vc: number, status: NdisStatus = S.SUCCESS): ClIndication => ({
  kind: 'ProtocolClCloseCallComplete',
  status,
  vcContext: 'vc',
  vcHandle: vc as NdisVcHandle,
  partyContext: undefined,
  partyHandle: undefined,
});

test('a wait resolves with the first matching indication of its kind; others pass it by', async (t) => {
  const { cl, ind } = fakeClient();
  const req = new ClientRequests(cl, { scheduler: new VirtualTimeScheduler() });
  const w = req.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === (2 as NdisVcHandle));
  ind.next(closeComplete(1));
  t.is(w.value, undefined);
  ind.next(closeComplete(2, S.FAILURE));
  t.is(w.value?.status, S.FAILURE);
  t.is((await w).vcHandle, 2 as NdisVcHandle);
});

test('one subscription serves every wait, and none is left once they are all over', (t) => {
  const { cl, ind } = fakeClient();
  const req = new ClientRequests(cl, { scheduler: new VirtualTimeScheduler() });
  const a = req.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === (1 as NdisVcHandle));
  const b = req.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === (2 as NdisVcHandle));
  t.is((ind as unknown as { observers: unknown[] }).observers.length, 1);
  ind.next(closeComplete(1));
  t.truthy(a.value);
  b.cancel();
  t.false(ind.observed);
});

test('a request that finished at once leaves no wait and no timer behind; a pending one resolves with its completion', async (t) => {
  const clock = new VirtualTimeScheduler();
  let answer: NdisStatus = S.SUCCESS;
  const { cl, ind } = fakeClient({ NdisClCloseCall: () => answer } as Partial<NdisClient>);
  const req = new ClientRequests(cl, { scheduler: clock });
  t.deepEqual(await req.closeCall(5 as NdisVcHandle), { returned: S.SUCCESS, status: S.SUCCESS });
  t.false(ind.observed);
  t.is(clock.actions.filter((a) => !a.closed).length, 0);
  answer = S.PENDING;
  const p = req.closeCall(5 as NdisVcHandle);
  ind.next(closeComplete(5, S.FAILURE));
  const r = await p;
  t.is(r.returned, S.PENDING);
  t.is(r.status, S.FAILURE);
  t.is(r.completion?.kind, 'ProtocolClCloseCallComplete');
  t.is(clock.actions.filter((a) => !a.closed).length, 0);
});

test('a wait that sees nothing fails after its timeout, in virtual time, with the error the owner chose', async (t) => {
  const clock = new VirtualTimeScheduler();
  const { cl } = fakeClient();
  const req = new ClientRequests(cl, { scheduler: clock, timeoutMs: 120_000, timeoutError: (kind, ms) => new RangeError(`${kind} ${ms}`) });
  const w = req.next('ProtocolClMakeCallComplete');
  clock.flush();
  const e = await t.throwsAsync(w);
  t.true(e instanceof RangeError);
  t.is(e?.message, 'ProtocolClMakeCallComplete 120000');
});

test('a predicate that throws fails its wait; dispose fails the others', async (t) => {
  const { cl, ind } = fakeClient();
  const req = new ClientRequests(cl, { scheduler: new VirtualTimeScheduler() });
  const bad = req.next('ProtocolClCloseCallComplete', () => {
    throw new Error('boom');
  });
  const other = req.next('ProtocolClDropPartyComplete');
  ind.next(closeComplete(1));
  await t.throwsAsync(bad, { message: 'boom' });
  req.dispose();
  await t.throwsAsync(other, { message: /disposed/ });
  t.false(ind.observed);
});

const sendComplete = (...nbls: NetBufferList[]): ClIndication => ({ kind: 'ProtocolCoSendNetBufferListsComplete', vcContext: 'vc', vcHandle: 1 as NdisVcHandle, nbls });

test('a completion awaited by key ends only the wait for that key, among thousands, each with its own', async (t) => {
  const { cl, ind } = fakeClient();
  const req = new ClientRequests(cl, { scheduler: new VirtualTimeScheduler() });
  const waits = Array.from({ length: 3000 }, (_, k) => req.completionOf('ProtocolClCloseCallComplete', (k + 1) as NdisVcHandle));
  ind.next(closeComplete(0));
  t.true(waits.every((w) => w.value === undefined), 'a completion for no open wait ends none');
  for (let k = 3000; k >= 1; k--) ind.next(closeComplete(k, k % 7 === 0 ? S.FAILURE : S.SUCCESS));
  const got = await Promise.all(waits);
  t.deepEqual(
    got.map((c) => c.vcHandle),
    waits.map((_, k) => (k + 1) as NdisVcHandle),
  );
  t.true(got.every((c) => c.status === (c.vcHandle % 7 === 0 ? S.FAILURE : S.SUCCESS)));
  t.false(ind.observed, 'no wait is left');
});

test('one indication ends the waits it matches in the order they were armed, keyed or not', async (t) => {
  const { cl, ind } = fakeClient();
  const req = new ClientRequests(cl, { scheduler: new VirtualTimeScheduler() });
  const order: string[] = [];
  const [a, b] = [{ data: Buffer.from('a') }, { data: Buffer.from('b') }] as NetBufferList[];
  const track = (name: string, w: Promise<unknown>) => void w.then(() => order.push(name));
  track('b by key', req.completionOf('ProtocolCoSendNetBufferListsComplete', b));
  track('any send', req.next('ProtocolCoSendNetBufferListsComplete'));
  track('a by key', req.completionOf('ProtocolCoSendNetBufferListsComplete', a));
  const later = req.completionOf('ProtocolCoSendNetBufferListsComplete', { data: Buffer.from('c') } as NetBufferList);
  ind.next(sendComplete(a!, b!));
  await Promise.resolve();
  t.deepEqual(order, ['b by key', 'any send', 'a by key'], 'each NBL of the chain ends its wait, in arming order');
  t.is(later.value, undefined);
  later.cancel();
  t.false(ind.observed);
});

test('a wait by key times out in virtual time and goes with dispose like any other', async (t) => {
  const clock = new VirtualTimeScheduler();
  const { cl, ind } = fakeClient();
  const req = new ClientRequests(cl, { scheduler: clock, timeoutMs: 1000 });
  const early = req.completionOf('ProtocolClDropPartyComplete', 7, 500);
  const kept = req.completionOf('ProtocolClDropPartyComplete', 8, 5000);
  clock.schedule(() => req.dispose(new Error('going away')), 2000);
  clock.flush();
  await t.throwsAsync(early, { message: /no ProtocolClDropPartyComplete within 500 ms/ });
  await t.throwsAsync(kept, { message: 'going away' });
  t.false(ind.observed);
});

test.serial("on Node's own timers (no scheduler given) an open wait holds the process, and a finished one does not", async (t) => {
  let answer: NdisStatus = S.SUCCESS;
  const { cl, ind } = fakeClient({ NdisClCloseCall: () => answer } as Partial<NdisClient>);
  const req = new ClientRequests(cl);
  const before = liveTimers();
  await req.closeCall(5 as NdisVcHandle);
  t.is(liveTimers(), before, 'a request that finished at once leaves nothing holding the process');
  answer = S.PENDING;
  const p = req.closeCall(5 as NdisVcHandle);
  t.is(liveTimers(), before + 1, 'a pending request holds it until its completion or timeout');
  ind.next(closeComplete(5));
  t.is((await p).status, S.SUCCESS);
  t.is(liveTimers(), before);
});

test.serial("on Node's own timers a wait that sees nothing fails after its timeout", async (t) => {
  const { cl } = fakeClient();
  const req = new ClientRequests(cl, { timeoutMs: 10 });
  await t.throwsAsync(req.next('ProtocolClMakeCallComplete'), { message: 'app: no ProtocolClMakeCallComplete within 10 ms' });
});

test.serial("on Node's own timers the subscription outlives the last wait until the timeout has passed, without holding the process", async (t) => {
  const { cl, ind } = fakeClient({ NdisClCloseCall: () => S.PENDING } as Partial<NdisClient>);
  const req = new ClientRequests(cl, { timeoutMs: 30 });
  const before = liveTimers();
  const first = req.closeCall(5 as NdisVcHandle);
  ind.next(closeComplete(5));
  await first;
  t.true(ind.observed, 'kept for the next wait');
  t.is(liveTimers(), before, 'but nothing holds the process');
  const second = req.closeCall(6 as NdisVcHandle);
  t.is((ind as unknown as { observers: unknown[] }).observers.length, 1, 'the same subscription serves the next wait');
  ind.next(closeComplete(6));
  t.is((await second).status, S.SUCCESS);
  await waitUntil('the subscription is dropped once the timeout has passed with no wait open', () => !ind.observed, { ms: 5000, every: 5 });
  t.pass();
});
