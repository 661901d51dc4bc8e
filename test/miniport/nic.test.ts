import { rootTest as test } from '../helpers/root.js';
import { createVeth, uniqueName, Netns } from '../../src/lab/netns.js';
import { openMiniport, MiniportError, type Miniport } from '../../src/miniport/index.js';
import { collect, frame, openFds, sendOverwritingEach, sendUntilReceived, sleep } from './helpers.js';

async function vethPair(t: { teardown(fn: () => Promise<void>): void }, binding?: 'addon' | 'cap') {
  const nsA = await Netns.create(uniqueName('nca'));
  const nsB = await Netns.create(uniqueName('ncb'));
  const opened: Miniport[] = [];
  t.teardown(async () => {
    await Promise.all(opened.map((m) => m.close()));
    await nsA.destroy();
    await nsB.destroy();
  });
  const va = uniqueName('nva');
  const vb = uniqueName('nvb');
  await createVeth({ ns: nsA, name: va }, { ns: nsB, name: vb });
  const a = await openMiniport({ kind: 'nic', device: va, netns: nsA.name, binding });
  opened.push(a);
  const b = await openMiniport({ kind: 'nic', device: vb, netns: nsB.name, binding });
  opened.push(b);
  return { nsA, nsB, va, vb, a, b };
}

for (const binding of ['addon', 'cap'] as const) test(`nic (${binding}): frames cross a veth pair intact, both ways, with the NIC MACs`, async (t) => {
  const { nsA, va, a, b } = await vethPair(t, binding);
  const kernelMac = JSON.parse((await nsA.ip(['-j', 'link', 'show', 'dev', va])).stdout)[0].address;
  t.is(a.mac, kernelMac);
  t.is(a.name, `nic:${va}`);
  t.is(a.mtu, 1500);
  const ab = frame(b.mac, a.mac, `a-to-b ${'y'.repeat(1400)}`);
  t.deepEqual(await sendUntilReceived(a, b, ab, 'a-to-b'), ab);
  const ba = frame(a.mac, b.mac, 'b-to-a');
  t.deepEqual(await sendUntilReceived(b, a, ba, 'b-to-a'), ba);
  // a burst sent at once arrives whole and in order. Our helper sizes libpcap's capture ring by the MTU: it holds
  // 1,000 frames and more. cap fixes the snap length at 65535, so its 4 MiB ring has 64 slots (docs/miniports.md)
  const n = binding === 'addon' ? 1000 : 50;
  const burst = Array.from({ length: n }, (_, i) => frame(b.mac, a.mac, `burst${String(i).padStart(4, '0')}`));
  const got = collect(b.frames$, n, 'burst');
  for (const f of burst) a.send(f);
  t.deepEqual(await got, burst);
});

// (the addon binding: test/miniport/lifecycle.test.ts, with every backend)
for (const binding of ['cap'] as const) test(`nic (${binding}): send is done with a frame when it returns (sendCopies): the sender may build the next one in the same buffer`, async (t) => {
  const { a, b } = await vethPair(t, binding);
  t.true(a.sendCopies);
  await sendUntilReceived(a, b, frame(b.mac, a.mac, 'warm'), 'warm');
  const { arrived, sent } = await sendOverwritingEach(a, b);
  t.deepEqual(arrived, sent);
});

test('nic: other EtherTypes, other MACs and our own frames are filtered', async (t) => {
  const { a, b } = await vethPair(t);
  await sendUntilReceived(a, b, frame(b.mac, a.mac, 'warmup'), 'warmup');
  const atA: string[] = [];
  a.frames$.subscribe((f) => atA.push(f.subarray(14, 20).toString()));
  const atB: string[] = [];
  b.frames$.subscribe((f) => atB.push(f.subarray(14, 20).toString()));
  a.send(frame(b.mac, a.mac, 'ether1', 0x0801));
  a.send(frame('02:00:00:00:02:0c', a.mac, 'other1'));
  a.send(frame('ff:ff:ff:ff:ff:ff', a.mac, 'bcast1'));
  a.send(frame(b.mac, a.mac, 'ours01'));
  await collect(b.frames$, 1, 'ours01');
  t.deepEqual(atB, ['bcast1', 'ours01']);
  t.deepEqual(atA, []);
});

test('nic: close() completes frames$ and releases the capture fd; the NIC can be opened again', async (t) => {
  const ns = await Netns.create(uniqueName('ncc'));
  t.teardown(() => ns.destroy());
  const v = uniqueName('ncv');
  await createVeth({ ns, name: v }, { ns, name: uniqueName('ncw') });
  const fds = openFds();
  const mp = await openMiniport({ kind: 'nic', device: v, netns: ns.name });
  t.true(openFds() > fds);
  let completed = false;
  mp.frames$.subscribe({ complete: () => (completed = true) });
  await mp.close();
  t.true(completed);
  t.is(openFds(), fds);
  const again = await openMiniport({ kind: 'nic', device: v, netns: ns.name });
  await again.close();
  t.is(openFds(), fds);
});

test('nic: an unknown device or a non-Ethernet one gives a typed error naming it', async (t) => {
  const ns = await Netns.create(uniqueName('nce'));
  t.teardown(() => ns.destroy());
  const e = await t.throwsAsync(openMiniport({ kind: 'nic', device: 'nosuchnic0', netns: ns.name }), { instanceOf: MiniportError });
  t.is(e?.code, 'NO_DEVICE');
  t.regex(e!.message, /nic 'nosuchnic0'.*no such network device/);
  const lo = await t.throwsAsync(openMiniport({ kind: 'nic', device: 'lo', netns: ns.name }), { instanceOf: MiniportError });
  t.is(lo?.code, 'WRONG_DEVICE');
  t.regex(lo!.message, /nic 'lo'.*not an Ethernet device/);
  const bad = await t.throwsAsync(openMiniport({ kind: 'nic', device: 'bad/name', netns: ns.name }), { instanceOf: MiniportError });
  t.is(bad?.code, 'BAD_CONFIG');
  const et = await t.throwsAsync(openMiniport({ kind: 'nic', device: 'lo', etherType: 5, netns: ns.name }), { instanceOf: MiniportError });
  t.is(et?.code, 'BAD_CONFIG');
});

test('nic: the link going down and up again is survived; frames flow again', async (t) => {
  const { nsA, va, a, b } = await vethPair(t);
  await sendUntilReceived(a, b, frame(b.mac, a.mac, 'before'), 'before');
  let ended = false;
  b.frames$.subscribe({ error: () => (ended = true), complete: () => (ended = true) });
  await nsA.ip(['link', 'set', va, 'down']);
  await sleep(200);
  a.send(frame(b.mac, a.mac, 'while-down'));
  await nsA.ip(['link', 'set', va, 'up']);
  await sleep(200);
  t.false(ended);
  const back = frame(b.mac, a.mac, 'after-up');
  t.deepEqual(await sendUntilReceived(a, b, back, 'after-up'), back);
  const ba = frame(a.mac, b.mac, 'after-up-ba');
  t.deepEqual(await sendUntilReceived(b, a, ba, 'after-up-ba'), ba);
});

test('nic: a NIC removed under the miniport ends frames$ with NO_DEVICE; the process lives on', async (t) => {
  const { nsB, vb, b } = await vethPair(t);
  const ended = new Promise<unknown>((resolve) => b.frames$.subscribe({ error: resolve, complete: () => resolve('completed') }));
  await nsB.ip(['link', 'del', vb]);
  const e = (await ended) as MiniportError;
  t.true(e instanceof MiniportError);
  t.is(e.code, 'NO_DEVICE');
  t.regex(e.message, new RegExp(`nic '${vb}'.*went away`));
  b.send(frame(b.mac, b.mac, 'gone'));
  t.is(b.counters().txErrors, 1);
  await b.close();
});
