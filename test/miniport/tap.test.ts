import { rootTest as test } from '../helpers/root.js';
import { createBridgedPair, uniqueName, Netns, type BridgedPair } from '../../src/lab/netns.js';
import { openMiniport, MiniportError, type Miniport } from '../../src/miniport/index.js';
import { collect, frame, openFds, sendOverwritingEach, sendUntilReceived, sleep } from './helpers.js';

const A = '02:00:00:00:01:0a';
const B = '02:00:00:00:01:0b';

async function linkExists(ns: Netns, dev: string): Promise<boolean> {
  return (await ns.ip(['link', 'show', 'dev', dev], { allowFail: true })).code === 0;
}

async function pairOfTaps(t: { teardown(fn: () => Promise<void>): void }, binding?: 'addon' | 'ioctl') {
  const lab: BridgedPair = await createBridgedPair('tp');
  const opened: Miniport[] = [];
  t.teardown(async () => {
    await Promise.all(opened.map((m) => m.close()));
    await lab.destroy();
  });
  const a = await openMiniport({ kind: 'tap', device: uniqueName('tapa'), mac: A, netns: lab.a.ns.name, bridge: lab.a.bridge, binding });
  opened.push(a);
  const b = await openMiniport({ kind: 'tap', device: uniqueName('tapb'), mac: B, netns: lab.b.ns.name, bridge: lab.b.bridge, mtu: 1400, binding });
  opened.push(b);
  return { lab, a, b };
}

for (const binding of ['addon', 'ioctl'] as const) {
  test(`tap (${binding}): frames cross the bridge intact, both ways`, async (t) => {
    const { a, b } = await pairOfTaps(t, binding);
    t.regex(a.name, /^tap:tapa/);
    t.is(a.mac, A);
    t.is(a.mtu, 1500);
    t.is(b.mtu, 1400);
    const ab = frame(B, A, `a-to-b ${'x'.repeat(1300)}`);
    t.deepEqual(await sendUntilReceived(a, b, ab, 'a-to-b'), ab);
    const ba = frame(A, B, 'b-to-a');
    t.deepEqual(await sendUntilReceived(b, a, ba, 'b-to-a'), ba);
    // a burst keeps order and content
    const burst = Array.from({ length: 50 }, (_, i) => frame(B, A, `burst${String(i).padStart(3, '0')}`));
    const got = collect(b.frames$, 50, 'burst');
    for (const f of burst) a.send(f);
    t.deepEqual(await got, burst);
    t.true(a.counters().txFrames >= 51);
    t.true(b.counters().rxFrames >= 51);
  });
}

test('tap: txQueueLen sets the queue the kernel holds for us, a burst that fits it arrives whole while we are busy, a bad one is refused', async (t) => {
  const lab: BridgedPair = await createBridgedPair('tq');
  const opened: Miniport[] = [];
  t.teardown(async () => {
    await Promise.all(opened.map((m) => m.close()));
    await lab.destroy();
  });
  const devA = uniqueName('tapa');
  const devB = uniqueName('tapb');
  const a = await openMiniport({ kind: 'tap', device: devA, mac: A, netns: lab.a.ns.name, bridge: lab.a.bridge });
  opened.push(a);
  const b = await openMiniport({ kind: 'tap', device: devB, mac: B, netns: lab.b.ns.name, bridge: lab.b.bridge, txQueueLen: 4096 });
  opened.push(b);
  const qlen = async (ns: Netns, dev: string) => (JSON.parse((await ns.ip(['-j', 'link', 'show', 'dev', dev])).stdout) as { txqlen: number }[])[0]!.txqlen;
  t.is(await qlen(lab.b.ns, devB), 4096);
  t.is(await qlen(lab.a.ns, devA), 1000, 'unset: the kernel default stays');
  await sendUntilReceived(a, b, frame(B, A, 'warm'), 'warm');
  // 3,000 frames sent in one go: this process reads nothing until the loop is done, so they wait in b's
  // queue (with the kernel's 1,000 the rest would be dropped)
  const got = collect(b.frames$, 3000, 'qburst', 10_000);
  for (let i = 0; i < 3000; i++) a.send(frame(B, A, `qburst${String(i).padStart(4, '0')}`));
  t.is((await got).length, 3000);

  // not a queue length: refused before any device is made
  for (const txQueueLen of [0, 1.5, 2_000_000]) {
    const dev = uniqueName('tapq');
    const e = await t.throwsAsync(openMiniport({ kind: 'tap', device: dev, netns: lab.a.ns.name, txQueueLen }), { instanceOf: MiniportError });
    t.is(e!.code, 'BAD_CONFIG');
    t.regex(e!.message, /txQueueLen .* is not an integer in 1\.\.1000000/);
    t.false(await linkExists(lab.a.ns, dev));
  }
});

for (const binding of ['ioctl'] as const) {
  // (the addon binding: test/miniport/lifecycle.test.ts, with every backend)
  test(`tap (${binding}): send is done with a frame when it returns (sendCopies): the sender may build the next one in the same buffer`, async (t) => {
    const { a, b } = await pairOfTaps(t, binding);
    t.true(a.sendCopies);
    await sendUntilReceived(a, b, frame(B, A, 'warm'), 'warm');
    const { arrived, sent } = await sendOverwritingEach(a, b);
    t.deepEqual(arrived, sent);
  });
}

test('tap: other EtherTypes and frames for other MACs are filtered and counted', async (t) => {
  const { a, b } = await pairOfTaps(t);
  await sendUntilReceived(a, b, frame(B, A, 'warmup'), 'warmup');
  const seen: string[] = [];
  b.frames$.subscribe((f) => seen.push(f.subarray(14, 20).toString()));
  const before = b.counters().rxDropped;
  a.send(frame(B, A, 'ether1', 0x88b6));
  a.send(frame('02:00:00:00:01:0c', A, 'other1'));
  a.send(frame('ff:ff:ff:ff:ff:ff', A, 'bcast1'));
  a.send(frame(B, A, 'ours01'));
  await collect(b.frames$, 1, 'ours01');
  t.deepEqual(seen.filter((s) => !s.startsWith('warmup')), ['bcast1', 'ours01']);
  t.true(b.counters().rxDropped >= before + 2);
});

test('tap: close() completes frames$, removes the device, leaks no fd, and the name can be opened again', async (t) => {
  const ns = await Netns.create(uniqueName('tpc'));
  t.teardown(() => ns.destroy());
  const dev = uniqueName('tapc');
  const fds = openFds();
  const mp = await openMiniport({ kind: 'tap', device: dev, mac: A, netns: ns.name });
  t.true(await linkExists(ns, dev));
  t.is(openFds(), fds + 1);
  let completed = false;
  mp.frames$.subscribe({ complete: () => (completed = true) });
  await mp.close();
  t.true(completed);
  t.false(await linkExists(ns, dev));
  t.is(openFds(), fds);
  await mp.close(); // idempotent
  const again = await openMiniport({ kind: 'tap', device: dev, mac: A, netns: ns.name });
  t.true(await linkExists(ns, dev));
  await again.close();
  t.false(await linkExists(ns, dev));
  mp.send(frame(B, A, 'late'));
  t.is(mp.counters().txErrors, 1);
});

test('tap (ioctl): close() with a read pending releases the device and the fd', async (t) => {
  const ns = await Netns.create(uniqueName('tpi'));
  t.teardown(() => ns.destroy());
  const dev = uniqueName('tapi');
  const fds = openFds();
  const mp = await openMiniport({ kind: 'tap', device: dev, mac: A, netns: ns.name, binding: 'ioctl' });
  await sleep(50);
  await mp.close();
  t.false(await linkExists(ns, dev));
  t.is(openFds(), fds);
});

test('tap: a second open of the same TAP refuses with DEVICE_BUSY and names the device', async (t) => {
  const ns = await Netns.create(uniqueName('tpb'));
  t.teardown(() => ns.destroy());
  const dev = uniqueName('tapx');
  const first = await openMiniport({ kind: 'tap', device: dev, mac: A, netns: ns.name });
  t.teardown(() => first.close());
  for (const binding of ['addon', 'ioctl'] as const) {
    const e = await t.throwsAsync(openMiniport({ kind: 'tap', device: dev, mac: B, netns: ns.name, binding }), { instanceOf: MiniportError });
    t.is(e?.code, 'DEVICE_BUSY');
    t.regex(e!.message, new RegExp(`tap '${dev}'.*already open.*busy`, 'i'));
  }
  // the first instance is unharmed
  t.true(await linkExists(ns, dev));
  // and another process is refused too
  const other = await ns.exec('node', ['--import', 'tsx', '-e', `
    import('${new URL('../../src/miniport/index.ts', import.meta.url).pathname}').then((m) =>
      m.openMiniport({ kind: 'tap', device: '${dev}', mac: '${B}' })
    ).then(() => console.log('opened'), (e) => console.log(e.code + ' ' + e.message));`], { allowFail: true });
  t.regex(other.stdout, /^DEVICE_BUSY tap/);
});

test('tap: a pre-existing persistent TAP is attached and left in place on close', async (t) => {
  const ns = await Netns.create(uniqueName('tpp'));
  t.teardown(() => ns.destroy());
  const dev = uniqueName('tapp');
  await ns.ip(['tuntap', 'add', 'dev', dev, 'mode', 'tap']);
  for (const binding of ['addon', 'ioctl'] as const) {
    const fds = openFds();
    const mp = await openMiniport({ kind: 'tap', device: dev, mac: A, netns: ns.name, binding });
    await sleep(50);
    await mp.close();
    t.true(await linkExists(ns, dev));
    t.is(openFds(), fds, binding);
  }
});

test('tap: bad configuration gives clear typed errors and leaves nothing behind', async (t) => {
  const ns = await Netns.create(uniqueName('tpe'));
  t.teardown(() => ns.destroy());
  const dev = uniqueName('tape');
  const cases: [Record<string, unknown>, MiniportError['code'], RegExp][] = [
    [{ mac: '02:00:00:00:01' }, 'BAD_CONFIG', /MAC '02:00:00:00:01' is not/],
    [{ mac: '03:00:00:00:00:01' }, 'BAD_CONFIG', /multicast/],
    [{ mtu: 20 }, 'BAD_CONFIG', /MTU 20/],
    [{ device: 'a-name-that-is-too-long' }, 'BAD_CONFIG', /not a Linux interface name/],
    [{ bridge: 'nobridge0' }, 'NO_DEVICE', /bridge 'nobridge0' does not exist/],
    [{ netns: 'no-such-ns-ctap' }, 'NO_DEVICE', /namespace 'no-such-ns-ctap'/],
  ];
  for (const [extra, code, re] of cases) {
    const e = await t.throwsAsync(openMiniport({ kind: 'tap', device: dev, mac: A, netns: ns.name, ...extra } as never), { instanceOf: MiniportError });
    t.is(e?.code, code, e?.message);
    t.regex(e!.message, re);
    t.false(await linkExists(ns, dev));
  }
  // a device of that name that is not a TAP
  await ns.ip(['link', 'add', dev, 'type', 'bridge']);
  const e = await t.throwsAsync(openMiniport({ kind: 'tap', device: dev, netns: ns.name }), { instanceOf: MiniportError });
  t.is(e?.code, 'WRONG_DEVICE');
  t.regex(e!.message, new RegExp(`tap '${dev}'.*not a TAP.*bridge`));
  // a bridge name that is not a bridge
  const notBridge = uniqueName('tapn');
  await ns.ip(['tuntap', 'add', 'dev', notBridge, 'mode', 'tap']);
  const e2 = await t.throwsAsync(openMiniport({ kind: 'tap', device: uniqueName('tapf'), netns: ns.name, bridge: notBridge }), { instanceOf: MiniportError });
  t.is(e2?.code, 'WRONG_DEVICE');
  t.regex(e2!.message, /not a Linux bridge/);
});

test('tap: without a MAC the host gets a random locally administered one, different from the kernel side', async (t) => {
  const ns = await Netns.create(uniqueName('tpm'));
  t.teardown(() => ns.destroy());
  const dev = uniqueName('tapm');
  const mp = await openMiniport({ kind: 'tap', device: dev, netns: ns.name });
  t.teardown(() => mp.close());
  t.regex(mp.mac, /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/);
  const kernel = JSON.parse((await ns.ip(['-j', 'link', 'show', 'dev', dev])).stdout)[0].address;
  t.not(kernel, mp.mac);
});

for (const binding of ['addon', 'ioctl'] as const) test(`tap (${binding}): a device deleted under the miniport ends frames$ with a NO_DEVICE error and later sends count as errors`, async (t) => {
  const ns = await Netns.create(uniqueName('tpd'));
  t.teardown(() => ns.destroy());
  const dev = uniqueName('tapd');
  const fds = openFds();
  const mp = await openMiniport({ kind: 'tap', device: dev, mac: A, netns: ns.name, binding });
  const ended = new Promise<unknown>((resolve) => mp.frames$.subscribe({ error: resolve, complete: () => resolve('completed') }));
  await ns.ip(['link', 'del', 'dev', dev]);
  const e = (await ended) as MiniportError;
  t.true(e instanceof MiniportError);
  t.is(e.code, 'NO_DEVICE', e.message);
  t.regex(e.message, new RegExp(`tap '${dev}'.*deleted`));
  mp.send(frame(B, A, 'gone'));
  t.is(mp.counters().txErrors, 1);
  await mp.close();
  t.is(openFds(), fds);
});

test('tap: the TAP set down and up again is survived; sends while down are counted as errors', async (t) => {
  const { lab, a, b } = await pairOfTaps(t);
  await sendUntilReceived(a, b, frame(B, A, 'before'), 'before');
  let ended = false;
  a.frames$.subscribe({ error: () => (ended = true), complete: () => (ended = true) });
  const dev = a.name.slice('tap:'.length);
  await lab.a.ns.ip(['link', 'set', dev, 'down']);
  const errors = a.counters().txErrors;
  a.send(frame(B, A, 'while-down'));
  t.is(a.counters().txErrors, errors + 1);
  await lab.a.ns.ip(['link', 'set', dev, 'up']);
  const back = frame(B, A, 'after-up');
  t.deepEqual(await sendUntilReceived(a, b, back, 'after-up'), back);
  const ba = frame(A, B, 'after-up-ba');
  t.deepEqual(await sendUntilReceived(b, a, ba, 'after-up-ba'), ba);
  t.false(ended);
});

test('tap (addon): frames kept while later ones arrive stay intact, small ones sharing slabs and jumbo ones larger than a slab', async (t) => {
  const lab = await createBridgedPair('tj');
  const opened: Miniport[] = [];
  t.teardown(async () => {
    await Promise.all(opened.map((m) => m.close()));
    await lab.destroy();
  });
  const JUMBO = 30_000;
  for (const side of [lab.a, lab.b]) {
    for (const dev of (await side.ns.ip(['-o', 'link', 'show', 'type', 'veth'])).stdout.matchAll(/^\d+: ([^@:]+)/gm)) {
      await side.ns.ip(['link', 'set', dev[1]!, 'mtu', String(JUMBO)]);
    }
  }
  const a = await openMiniport({ kind: 'tap', device: uniqueName('tapa'), mac: A, netns: lab.a.ns.name, bridge: lab.a.bridge, mtu: JUMBO });
  opened.push(a);
  const b = await openMiniport({ kind: 'tap', device: uniqueName('tapb'), mac: B, netns: lab.b.ns.name, bridge: lab.b.bridge, mtu: JUMBO });
  opened.push(b);
  for (const side of [lab.a, lab.b]) await side.ns.ip(['link', 'set', side.bridge, 'mtu', String(JUMBO)]);
  await sendUntilReceived(a, b, frame(B, A, 'warmup'), 'warmup');

  // sizes around and past the addon's 16 KiB receive slab, in one burst: slabs fill and are
  // replaced within one wake-up, and a frame larger than a slab gets one of its own
  const sizes = [60, 1514, 333, 20_000, 9018, 64, 16_384, 61, 4096];
  const sent = Array.from({ length: 150 }, (_, i) => {
    const body = Buffer.alloc(sizes[i % sizes.length]! - 14, i & 0xff);
    body.write(`seq${String(i).padStart(4, '0')}`);
    return frame(B, A, body);
  });
  const got = collect(b.frames$, sent.length, 'seq', 10_000);
  for (const f of sent) a.send(f);
  const kept = await got;
  t.is(kept.length, sent.length);
  kept.forEach((f, i) => t.true(f.equals(sent[i]!), `frame ${i} (${sent[i]!.length} octets) arrived or stayed intact`));
  // what the slab is for: small frames share one allocation
  const small = kept.filter((f) => f.length <= 64);
  t.true(new Set(small.map((f) => f.buffer)).size < small.length);
});
