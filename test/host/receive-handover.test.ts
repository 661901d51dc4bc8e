/**
 * Received user data handed over instead of copied (wire-datapath.ts, NDIS's
 * receive side): a miniport that hands its frames over (Miniport.ownedFrames:
 * the memory miniport here) lets the client of the one VC on a path get the
 * SDU as a view into the received frame; several VCs on one path (endpoints
 * of one multipoint call at the leaf host) each get data of their own, so a
 * client that scribbles over what it was given changes nobody else's; and a
 * client in 'return' mode still has every receive counted until it returns it.
 */
import test from 'ava';
import { Client, linksUp, memoryNodes, S, shutdownAll } from '../helpers/nodes.js';
import { attachClientPolicy, NDIS_RECEIVE_FLAGS_RESOURCES, Q2931_AF, type ClIndicationOf, type NetBufferList } from '../../src/ndis/index.js';

type Receive = ClIndicationOf<'ProtocolCoReceiveNetBufferLists'>;

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** does `data` lie inside one of `frames` (a view, not a copy)? */
const inside = (data: Buffer, frames: Buffer[]) => frames.some((f) => f.buffer === data.buffer && data.byteOffset >= f.byteOffset && data.byteOffset + data.length <= f.byteOffset + f.length);

test('one VC on the path: the client gets the SDU as a view into the frame the miniport handed over, flagged RESOURCES', async (t) => {
  const nodes = memoryNodes(2);
  t.teardown(() => shutdownAll(nodes));
  await linksUp(nodes);
  t.true(nodes[1]!.miniport.ownedFrames);
  const frames: Buffer[] = [];
  nodes[1]!.miniport.frames$.subscribe((f) => frames.push(f));
  const root = await Client.open(nodes[0]!, 'root');
  const leaf = await Client.open(nodes[1]!, 'leaf');
  await leaf.listen('1002');
  const { vc } = await root.call('1002');
  const got: Receive[] = [];
  leaf.cl.indications$.subscribe((i) => {
    if (i.kind === 'ProtocolCoReceiveNetBufferLists') got.push(i);
  });
  const sent = Buffer.from('handed over');
  root.send(vc, sent);
  await until(() => got.length === 1);
  const data = got[0]!.nbls[0]!.data;
  t.is(data.toString(), 'handed over');
  t.true(inside(data, frames), 'a view into the received frame');
  t.false(inside(data, [sent]));
  t.is(got[0]!.flags & NDIS_RECEIVE_FLAGS_RESOURCES, NDIS_RECEIVE_FLAGS_RESOURCES);
  t.is(nodes[1]!.ndis.counters().receivesOutstanding, 0);
});

test('several VCs on one path: each endpoint gets its own data; one scribbling over it changes no other', async (t) => {
  const nodes = memoryNodes(2);
  t.teardown(() => shutdownAll(nodes));
  await linksUp(nodes);
  const frames: Buffer[] = [];
  nodes[1]!.miniport.frames$.subscribe((f) => frames.push(f));
  const root = await Client.open(nodes[0]!, 'root');
  const leaf = await Client.open(nodes[1]!, 'leaf');
  await leaf.listen('1002');
  const { vc } = await root.call('1002', true);
  await root.addParty(vc, '1002');
  await root.addParty(vc, '1002');
  await until(() => leaf.log.filter((i) => i.kind === 'ProtocolClCallConnected').length === 3);
  const seen: string[] = [];
  const datas: Buffer[] = [];
  leaf.cl.indications$.subscribe((i) => {
    if (i.kind !== 'ProtocolCoReceiveNetBufferLists') return;
    for (const n of i.nbls) {
      seen.push(n.data.toString());
      datas.push(n.data);
      n.data.fill(0x21); // the client reuses what it was given
    }
  });
  root.send(vc, Buffer.from('to every endpoint'));
  await until(() => seen.length === 3);
  t.deepEqual(seen, ['to every endpoint', 'to every endpoint', 'to every endpoint']);
  t.is(new Set(datas.map((d) => d.buffer === datas[0]!.buffer && d.byteOffset === datas[0]!.byteOffset)).size, 2, 'no two endpoints share their data');
  t.is(datas.filter((d) => inside(d, frames)).length, 1, 'only one endpoint has the frame itself');
});

test("a client in 'return' mode: each receive counts as outstanding until it is returned", async (t) => {
  const nodes = memoryNodes(2);
  t.teardown(() => shutdownAll(nodes));
  await linksUp(nodes);
  const root = await Client.open(nodes[0]!, 'root');
  const cl = nodes[1]!.ndis.registerClient({ name: 'returner', receiveMode: 'return' });
  attachClientPolicy(cl);
  const leaf = new Client(nodes[1]!, cl);
  const r = await leaf.requests.openAf(Q2931_AF, 'af');
  t.is(r.status, S.SUCCESS);
  leaf.af = r.afHandle!;
  await leaf.listen('1002');
  const { vc } = await root.call('1002');
  await until(() => leaf.log.some((i) => i.kind === 'ProtocolClCallConnected'));
  // counters() counts now; counters$ keeps the count as receives come and go: both say the same
  const watched: number[] = [];
  const sub = nodes[1]!.ndis.counters$.subscribe((c) => watched.push(c.receivesOutstanding));
  t.teardown(() => sub.unsubscribe());
  const outstanding = (n: number): void => {
    t.is(nodes[1]!.ndis.counters().receivesOutstanding, n);
    t.is(watched.at(-1), n);
  };
  for (const s of ['a', 'b', 'c']) root.send(vc, Buffer.from(s));
  await until(() => leaf.received().length === 3);
  const nbls: NetBufferList[] = leaf.log.flatMap((i) => (i.kind === 'ProtocolCoReceiveNetBufferLists' ? (t.is(i.flags & NDIS_RECEIVE_FLAGS_RESOURCES, 0), i.nbls) : []));
  t.deepEqual(
    nbls.map((n) => n.data.toString()),
    ['a', 'b', 'c'],
  );
  outstanding(3);
  cl.NdisReturnNetBufferLists(nbls.slice(0, 2));
  outstanding(1);
  cl.NdisReturnNetBufferLists(nbls.slice(0, 2)); // returned twice: counted once
  outstanding(1);
  cl.NdisReturnNetBufferLists(nbls.slice(2));
  outstanding(0);
});
