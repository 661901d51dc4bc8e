import test from 'ava';
import { rootTest } from '../helpers/root.js';
import { createRoutedPair, uniqueName, Netns, type RoutedPair } from '../../src/lab/netns.js';
import { openMiniport, MiniportError, type Miniport } from '../../src/miniport/index.js';
import { decapEtherIp, encapEtherIp } from '../../src/miniport/etherip.js';
import { collect, frame, openFds, sendUntilReceived, sleep } from './helpers.js';

const A = '02:00:00:00:03:0a';
const B = '02:00:00:00:03:0b';

test('etherip: encapsulation is IPv4 protocol 97, EtherIP version 3, then the frame', (t) => {
  const f = frame(B, A, 'payload');
  const d = encapEtherIp(f, '10.1.0.2', '10.2.0.2');
  t.is(d[0], 0x45);
  t.is(d.readUInt16BE(2), 20 + 2 + f.length);
  t.is(d[9], 97);
  t.deepEqual([...d.subarray(12, 20)], [10, 1, 0, 2, 10, 2, 0, 2]);
  t.deepEqual([...d.subarray(20, 22)], [0x30, 0x00]);
  t.deepEqual(d.subarray(22), f);
  t.deepEqual(decapEtherIp(d), { ok: true, src: '10.1.0.2', dst: '10.2.0.2', frame: f });
});

test('etherip: decapsulation refuses other versions, protocols and truncated datagrams', (t) => {
  const d = encapEtherIp(frame(B, A, 'x'), '10.1.0.2', '10.2.0.2');
  const v4 = Buffer.from(d);
  v4[20] = 0x40;
  t.like(decapEtherIp(v4), { ok: false, reason: 'EtherIP header 0x4000, not version 3' });
  const gre = Buffer.from(d);
  gre[9] = 47;
  t.like(decapEtherIp(gre), { ok: false, reason: 'not EtherIP' });
  t.like(decapEtherIp(d.subarray(0, 30)), { ok: false });
  t.like(decapEtherIp(Buffer.alloc(3)), { ok: false, reason: 'not IPv4' });
  // IP options move the EtherIP header
  const opt = Buffer.concat([d.subarray(0, 20), Buffer.alloc(4), d.subarray(20)]);
  opt[0] = 0x46;
  t.like(decapEtherIp(opt), { ok: true, src: '10.1.0.2' });
});

async function routed(t: { teardown(fn: () => Promise<void>): void }) {
  const lab: RoutedPair = await createRoutedPair('ei');
  const opened: Miniport[] = [];
  t.teardown(async () => {
    await Promise.all(opened.map((m) => m.close()));
    await lab.destroy();
  });
  const a = await openMiniport({ kind: 'etherip', local: lab.a.addr, peers: [lab.b.addr], mac: A, netns: lab.a.ns.name });
  opened.push(a);
  const b = await openMiniport({ kind: 'etherip', local: lab.b.addr, peers: [lab.a.addr], mac: B, netns: lab.b.ns.name });
  opened.push(b);
  return { lab, a, b, opened };
}

rootTest('etherip: frames cross a router between two subnets intact, both ways', async (t) => {
  const { lab, a, b } = await routed(t);
  t.is(a.name, `etherip:${lab.a.addr}`);
  t.is(a.mac, A);
  t.is(a.mtu, 1464);
  const ab = frame(B, A, `a-to-b ${'z'.repeat(1400)}`);
  t.deepEqual(await sendUntilReceived(a, b, ab, 'a-to-b'), ab);
  const ba = frame(A, B, 'b-to-a');
  t.deepEqual(await sendUntilReceived(b, a, ba, 'b-to-a'), ba);
  const burst = Array.from({ length: 50 }, (_, i) => frame(B, A, `burst${String(i).padStart(3, '0')}`));
  const got = collect(b.frames$, 50, 'burst');
  for (const f of burst) a.send(f);
  t.deepEqual(await got, burst);
  // a frame longer than the MTU is refused, not fragmented
  a.send(frame(B, A, 'big'.repeat(600)));
  t.is(a.counters().txErrors, 1);
});

rootTest('etherip: other EtherTypes, other MACs and datagrams from non-peers are dropped', async (t) => {
  const { lab, a, b, opened } = await routed(t);
  await sendUntilReceived(a, b, frame(B, A, 'warmup'), 'warmup');
  // a third host in a's namespace with another address, not a peer of b
  await lab.a.ns.ip(['addr', 'add', '10.1.0.3/24', 'dev', lab.a.dev]);
  const stranger = await openMiniport({ kind: 'etherip', local: '10.1.0.3', peers: [lab.b.addr], mac: '02:00:00:00:03:0c', netns: lab.a.ns.name });
  opened.push(stranger);
  const atB: string[] = [];
  b.frames$.subscribe((f) => atB.push(f.subarray(14, 20).toString()));
  const dropped = b.counters().rxDropped;
  stranger.send(frame(B, '02:00:00:00:03:0c', 'strng1'));
  a.send(frame(B, A, 'ether1', 0x0800));
  a.send(frame('02:00:00:00:03:0d', A, 'other1'));
  a.send(frame('ff:ff:ff:ff:ff:ff', A, 'bcast1'));
  a.send(frame(B, A, 'ours01'));
  await collect(b.frames$, 1, 'ours01');
  await sleep(50);
  t.deepEqual(atB, ['bcast1', 'ours01']);
  t.true(b.counters().rxDropped >= dropped + 3);
});

rootTest('etherip: close() completes frames$ and releases the socket', async (t) => {
  const lab = await createRoutedPair('ec');
  t.teardown(() => lab.destroy());
  const fds = openFds();
  const mp = await openMiniport({ kind: 'etherip', local: lab.a.addr, peers: [lab.b.addr], mac: A, netns: lab.a.ns.name });
  t.is(openFds(), fds + 1);
  let completed = false;
  mp.frames$.subscribe({ complete: () => (completed = true) });
  await mp.close();
  t.true(completed);
  t.is(openFds(), fds);
});

rootTest('etherip: bad configuration gives clear typed errors', async (t) => {
  const ns = await Netns.create(uniqueName('eie'));
  t.teardown(() => ns.destroy());
  const base = { kind: 'etherip', local: '10.9.0.1', peers: ['10.9.0.2'], mac: A, netns: ns.name } as const;
  const cases: [Record<string, unknown>, MiniportError['code'], RegExp][] = [
    [{}, 'NO_DEVICE', /10\.9\.0\.1 is not assigned to any interface/],
    [{ local: '10.9.0' }, 'BAD_CONFIG', /local address is not an IPv4 address/],
    [{ peers: [] }, 'BAD_CONFIG', /no peers/],
    [{ peers: ['fe80::1'] }, 'BAD_CONFIG', /peer 'fe80::1' is not an IPv4 address/],
    [{ mac: 'nope' }, 'BAD_CONFIG', /MAC 'nope'/],
    [{ mtu: 1 }, 'BAD_CONFIG', /MTU 1/],
  ];
  for (const [extra, code, re] of cases) {
    const e = await t.throwsAsync(openMiniport({ ...base, ...extra } as never), { instanceOf: MiniportError });
    t.is(e?.code, code, e?.message);
    t.regex(e!.message, re);
  }
});

rootTest('etherip: the router losing a link for a while is survived; frames flow again', async (t) => {
  const { lab, a, b } = await routed(t);
  await sendUntilReceived(a, b, frame(B, A, 'before'), 'before');
  let ended = false;
  b.frames$.subscribe({ error: () => (ended = true), complete: () => (ended = true) });
  const routerSide = JSON.parse((await lab.router.ip(['-j', 'addr', 'show', 'to', '10.2.0.1'])).stdout)[0].ifname as string;
  await lab.router.ip(['link', 'set', routerSide, 'down']);
  for (let i = 0; i < 5; i++) a.send(frame(B, A, 'lost'));
  await sleep(200);
  await lab.router.ip(['link', 'set', routerSide, 'up']);
  const back = frame(B, A, 'after-up');
  t.deepEqual(await sendUntilReceived(a, b, back, 'after-up'), back);
  const ba = frame(A, B, 'after-up-ba');
  t.deepEqual(await sendUntilReceived(b, a, ba, 'after-up-ba'), ba);
  t.false(ended);
});
