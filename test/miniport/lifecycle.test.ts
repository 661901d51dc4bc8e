import { rootTest as test } from '../helpers/root.js';
import { openMiniportPair, type PairKind } from '../../src/lab/miniports.js';
import { openMiniport } from '../../src/miniport/index.js';
import { Netns, uniqueName } from '../../src/lab/netns.js';
import { frame, openFds, sendOverwritingEach, sendUntilReceived } from './helpers.js';

/** make the garbage collector run the way it does in a busy daemon: from allocation */
function churn(): void {
  let junk: unknown[] = [];
  for (let j = 0; j < 200_000; j++) junk.push({ j });
  junk = [];
  void junk;
}

for (const kind of ['tap', 'nic', 'etherip', 'memory'] as const satisfies readonly PairKind[]) {
  test(`${kind}: openMiniportPair gives a working link both ways, and close() leaves nothing behind`, async (t) => {
    const fds = openFds();
    const link = await openMiniportPair(kind);
    let closed = false;
    t.teardown(async () => {
      if (!closed) await link.close();
    });
    const ab = frame(link.b.mac, link.a.mac, 'pair-a-to-b');
    t.deepEqual(await sendUntilReceived(link.a, link.b, ab, 'pair-a-to-b'), ab);
    const ba = frame(link.a.mac, link.b.mac, 'pair-b-to-a');
    t.deepEqual(await sendUntilReceived(link.b, link.a, ba, 'pair-b-to-a'), ba);
    await link.close();
    closed = true;
    t.is(openFds(), fds);
    if (link.nsA) t.false((await import('node:fs')).existsSync(`/run/netns/${link.nsA.name}`));
  });
}

for (const kind of ['tap', 'nic', 'etherip', 'memory'] as const satisfies readonly PairKind[]) {
  test(`${kind}: send is done with a frame when it returns (sendCopies): the sender may build the next one in the same buffer`, async (t) => {
    const link = await openMiniportPair(kind);
    t.teardown(() => link.close());
    t.true(link.a.sendCopies);
    await sendUntilReceived(link.a, link.b, frame(link.b.mac, link.a.mac, 'warm'), 'warm');
    const { arrived, sent } = await sendOverwritingEach(link.a, link.b);
    t.deepEqual(arrived, sent);
  });
}

test('open/close cycles with garbage collection in between do not crash the process or leak fds', async (t) => {
  // cap's native destructor crashed Node when the GC ran it; every backend is cycled here
  const ns = await Netns.create(uniqueName('lcy'));
  t.teardown(() => ns.destroy());
  const v = uniqueName('lcv');
  await ns.ip(['link', 'add', v, 'type', 'veth', 'peer', 'name', uniqueName('lcw')]);
  await ns.ip(['addr', 'add', '10.7.0.1/24', 'dev', v]);
  await ns.ip(['link', 'set', v, 'up']);
  const fds = openFds();
  for (let i = 0; i < 24; i++) {
    const mps = [
      await openMiniport({ kind: 'nic', device: v, netns: ns.name }),
      await openMiniport({ kind: 'nic', device: v, netns: ns.name, binding: 'cap' }),
      await openMiniport({ kind: 'etherip', local: '10.7.0.1', peers: ['10.7.0.2'], mac: '02:00:00:00:07:01', netns: ns.name }),
    ];
    if (i % 4 === 0) {
      mps.push(await openMiniport({ kind: 'tap', device: uniqueName('lct'), netns: ns.name }));
      mps.push(await openMiniport({ kind: 'tap', device: uniqueName('lct'), netns: ns.name, binding: 'ioctl' }));
    }
    for (const m of mps) await m.close();
    churn();
    await new Promise((r) => setImmediate(r));
  }
  t.is(openFds(), fds);
});
