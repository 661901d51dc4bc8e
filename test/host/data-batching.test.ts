/**
 * NDIS hands NBLs over in chains: receives and send completions that follow
 * one another on the same VC reach the client in one call, each NBL once, in
 * order, and never ahead of an indication queued between them. The full
 * stack in memory.
 */
import test, { type ExecutionContext } from 'ava';
import type { ClIndication } from '../../src/ndis/indications.js';
import type { NetBufferList } from '../../src/ndis/types.js';
import { Client, linksUp, memoryNodes, shutdownAll } from '../helpers/nodes.js';
import { waitUntil } from '../helpers/wait.js';

/** two hosts in memory, a caller and a callee listening on 1002 */
async function twoHosts(t: ExecutionContext): Promise<{ caller: Client; callee: Client }> {
  const nodes = memoryNodes(2);
  t.teardown(() => shutdownAll(nodes));
  await linksUp(nodes);
  const caller = await Client.open(nodes[0]!, 'caller');
  const callee = await Client.open(nodes[1]!, 'callee');
  await callee.listen('1002');
  return { caller, callee };
}

test('a burst of sends: the receiver gets every NBL in order in fewer calls; every send completes once, also in fewer calls', async (t) => {
  const { caller, callee } = await twoHosts(t);
  const { vc } = await caller.call('1002');
  const received: ClIndication[] = [];
  const completed: ClIndication[] = [];
  callee.cl.indications$.subscribe((i) => i.kind === 'ProtocolCoReceiveNetBufferLists' && received.push(i));
  caller.cl.indications$.subscribe((i) => i.kind === 'ProtocolCoSendNetBufferListsComplete' && completed.push(i));
  const nbls: NetBufferList[] = Array.from({ length: 50 }, (_, i) => ({ sourceHandle: vc, data: Buffer.from(`sdu ${i}`) }));
  caller.cl.NdisCoSendNetBufferLists(vc, nbls);
  const nblsOf = (is: ClIndication[]) => is.flatMap((i) => ('nbls' in i ? i.nbls : []));
  await waitUntil('50 NBLs received and 50 completed', () => nblsOf(received).length === 50 && nblsOf(completed).length === 50);
  t.deepEqual(
    nblsOf(received).map((n) => n.data.toString()),
    nbls.map((_, i) => `sdu ${i}`),
    'every SDU once, in order',
  );
  t.true(received.length < 50, `${received.length} receive calls for 50 NBLs`);
  t.deepEqual(new Set(nblsOf(completed)), new Set(nbls), 'each NBL handed back');
  t.is(nblsOf(completed).length, 50, 'once');
  t.true(completed.length < 50, `${completed.length} completion calls for 50 NBLs`);
  t.true(nbls.every((n) => n.status === 0));
});

test('receives on two VCs interleaved on the wire reach the client interleaved: a chain never grows past another indication', async (t) => {
  const { caller, callee } = await twoHosts(t);
  const one = (await caller.call('1002')).vc;
  const two = (await caller.call('1002')).vc;
  const seen: string[] = [];
  callee.cl.indications$.subscribe((i) => {
    if (i.kind === 'ProtocolCoReceiveNetBufferLists') seen.push(i.nbls.map((n) => n.data.toString()).join(','));
  });
  const send = (vc: typeof one, s: string) => caller.cl.NdisCoSendNetBufferLists(vc, [{ sourceHandle: vc, data: Buffer.from(s) }]);
  // in one turn: a, b on the first VC, c on the second, d, e on the first
  send(one, 'a');
  send(one, 'b');
  send(two, 'c');
  send(one, 'd');
  send(one, 'e');
  await waitUntil('5 SDUs received', () => seen.join(',').split(',').length === 5);
  t.deepEqual(seen.join(',').split(','), ['a', 'b', 'c', 'd', 'e'], 'the order of the wire');
  t.true(seen.includes('c'), 'the other VC\'s receive is a call of its own');
  t.false(seen.some((s) => s.includes('b') && s.includes('d')), 'nothing merged across it');
});
