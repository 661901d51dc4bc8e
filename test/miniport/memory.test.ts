import test from 'ava';
import { VirtualTimeScheduler } from 'rxjs';
import { openMiniport, openMemorySync, MiniportError, type Miniport } from '../../src/miniport/index.js';
import { memoryHubs } from '../../src/miniport/memory.js';
import { frame, collect } from './helpers.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const C = '02:00:00:00:00:0c';
let hubNo = 0;
const hub = (): string => `memtest-${process.pid}-${hubNo++}`;

/** payload tags (as strings) of everything `mp` receives */
function record(mp: Miniport): string[] {
  const seen: string[] = [];
  mp.frames$.subscribe((f) => seen.push(f.subarray(14, 14 + 8).toString().replace(/\0+$/, '')));
  return seen;
}

test('a frame reaches the port it is addressed to, intact, and not the sender or a third port', async (t) => {
  const h = hub();
  const a = await openMiniport({ kind: 'memory', hub: h, mac: A });
  const b = await openMiniport({ kind: 'memory', hub: h, mac: B });
  const c = await openMiniport({ kind: 'memory', hub: h, mac: C });
  const atA = record(a);
  const atC = record(c);
  const f = frame(B, A, 'hello-b');
  const got = collect(b.frames$, 1, 'hello-b');
  a.send(f);
  t.deepEqual((await got)[0], f);
  t.deepEqual(atA, []);
  t.deepEqual(atC, []);
  t.is(a.name, `memory:${h}`);
  t.is(b.mac, B);
  t.is(b.mtu, 1500);
  t.like(a.counters(), { txFrames: 1, txBytes: f.length });
  t.like(b.counters(), { rxFrames: 1, rxBytes: f.length });
  await Promise.all([a.close(), b.close(), c.close()]);
});

test('both ways, and broadcast reaches every other port', async (t) => {
  const h = hub();
  const [a, b, c] = await Promise.all([A, B, C].map((mac) => openMiniport({ kind: 'memory', hub: h, mac })));
  const toA = collect(a!.frames$, 1, 'b-to-a');
  b!.send(frame(A, B, 'b-to-a'));
  t.is((await toA).length, 1);
  const atB = collect(b!.frames$, 1, 'bcast');
  const atC = collect(c!.frames$, 1, 'bcast');
  a!.send(frame('ff:ff:ff:ff:ff:ff', A, 'bcast'));
  t.is((await atB).length + (await atC).length, 2);
  await Promise.all([a!.close(), b!.close(), c!.close()]);
});

test('delivery is asynchronous: never inside send()', async (t) => {
  const h = hub();
  const a = await openMiniport({ kind: 'memory', hub: h, mac: A });
  const b = await openMiniport({ kind: 'memory', hub: h, mac: B });
  const atB = record(b);
  a.send(frame(B, A, 'x'));
  t.deepEqual(atB, []);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(atB, ['x']);
  await Promise.all([a.close(), b.close()]);
});

test('the sender cannot change a frame after send() (the wire carries a copy)', async (t) => {
  const h = hub();
  const a = await openMiniport({ kind: 'memory', hub: h, mac: A });
  const b = await openMiniport({ kind: 'memory', hub: h, mac: B });
  const f = frame(B, A, 'orig');
  const got = collect(b.frames$, 1, 'orig');
  a.send(f);
  f.write('XXXX', 14);
  t.is((await got)[0]!.subarray(14, 18).toString(), 'orig');
  await Promise.all([a.close(), b.close()]);
});

test('an EtherType filter drops other EtherTypes and counts them', async (t) => {
  const h = hub();
  const a = await openMiniport({ kind: 'memory', hub: h, mac: A });
  const b = await openMiniport({ kind: 'memory', hub: h, mac: B, etherType: 0x88b5 });
  const atB = record(b);
  a.send(frame(B, A, 'ipv4', 0x0800));
  a.send(frame(B, A, 'ours'));
  await new Promise((r) => setImmediate(r));
  t.deepEqual(atB, ['ours']);
  t.like(b.counters(), { rxFrames: 1, rxDropped: 1 });
  await Promise.all([a.close(), b.close()]);
});

test('delay is on the injected scheduler (virtual time)', (t) => {
  const vs = new VirtualTimeScheduler();
  const h = hub();
  const a = openMemorySync({ kind: 'memory', hub: h, mac: A, delayMs: 25, scheduler: vs });
  const b = openMemorySync({ kind: 'memory', hub: h, mac: B, scheduler: vs });
  const at: number[] = [];
  b.frames$.subscribe(() => at.push(vs.now()));
  vs.schedule(() => a.send(frame(B, A, 'one')), 10);
  vs.schedule(() => a.send(frame(B, A, 'two')), 12);
  vs.flush();
  t.deepEqual(at, [35, 37]);
  void a.close();
  void b.close();
});

function fate(opts: { loss?: number; duplicate?: number; reorder?: number; seed?: number; reorderHoldMs?: number }, n = 200, spacingMs = 3): string[] {
  const vs = new VirtualTimeScheduler();
  const h = hub();
  const a = openMemorySync({ kind: 'memory', hub: h, mac: A, scheduler: vs, ...opts });
  const b = openMemorySync({ kind: 'memory', hub: h, mac: B, scheduler: vs });
  const seen = record(b);
  for (let i = 0; i < n; i++) vs.schedule(() => a.send(frame(B, A, String(i))), i * spacingMs);
  vs.flush();
  void a.close();
  void b.close();
  return seen;
}

test('loss, duplication and reordering are seeded: same seed, same outcome', (t) => {
  const opts = { loss: 0.2, duplicate: 0.1, reorder: 0.1, seed: 42 };
  const one = fate(opts);
  t.deepEqual(fate(opts), one);
  t.notDeepEqual(fate({ ...opts, seed: 43 }), one);
});

test('loss drops about the given share; loss 1 drops everything', (t) => {
  const got = fate({ loss: 0.3, seed: 7 }, 1000);
  t.true(got.length > 600 && got.length < 800, `${got.length} of 1000 arrived`);
  t.deepEqual(fate({ loss: 1 }, 50), []);
});

test('duplicate 1 delivers every frame twice, in order', (t) => {
  const got = fate({ duplicate: 1 }, 5);
  t.deepEqual(got, ['0', '0', '1', '1', '2', '2', '3', '3', '4', '4']);
});

test('reordering swaps frames but loses none', (t) => {
  const got = fate({ reorder: 0.3, seed: 3 }, 100);
  t.is(got.length, 100);
  t.deepEqual([...got].sort((x, y) => Number(x) - Number(y)), Array.from({ length: 100 }, (_, i) => String(i)));
  t.notDeepEqual(got, Array.from({ length: 100 }, (_, i) => String(i)));
});

test('a held frame follows its successor, or goes alone after reorderHoldMs', (t) => {
  // reorder 1: every other frame is held and follows its successor
  t.deepEqual(fate({ reorder: 1 }, 4), ['1', '0', '3', '2']);
  // successors too late: every frame waits the hold time, order is kept
  t.deepEqual(fate({ reorder: 1, reorderHoldMs: 2 }, 4, 5), ['0', '1', '2', '3']);
});

test('close completes frames$, stops delivery and removes an empty hub', async (t) => {
  const h = hub();
  const a = await openMiniport({ kind: 'memory', hub: h, mac: A });
  const b = await openMiniport({ kind: 'memory', hub: h, mac: B });
  let completed = false;
  b.frames$.subscribe({ complete: () => (completed = true) });
  await b.close();
  t.true(completed);
  a.send(frame(B, A, 'late'));
  await new Promise((r) => setImmediate(r));
  t.is(b.counters().rxFrames, 0);
  await a.close();
  t.false(memoryHubs().includes(h));
  a.send(frame(B, A, 'after'));
  t.is(a.counters().txErrors, 1);
});

test('bad configuration gives a MiniportError with BAD_CONFIG', async (t) => {
  const h = hub();
  const bad = [
    { kind: 'memory', hub: h, mac: 'not-a-mac' },
    { kind: 'memory', hub: h, mac: '01:00:5e:00:00:01' },
    { kind: 'memory', hub: h, mac: A, loss: 2 },
    { kind: 'memory', hub: '', mac: A },
    { kind: 'warp', hub: h },
  ];
  for (const cfg of bad) {
    const e = await t.throwsAsync(openMiniport(cfg as never), { instanceOf: MiniportError });
    t.is(e?.code, 'BAD_CONFIG', e?.message);
  }
  const e = await t.throwsAsync(openMiniport({ kind: 'memory', hub: h, mac: 'zz:00:00:00:00:01' }));
  t.regex(e!.message, /zz:00:00:00:00:01/);
  const a = await openMiniport({ kind: 'memory', hub: h, mac: A });
  const dup = await t.throwsAsync(openMiniport({ kind: 'memory', hub: h, mac: A }), { instanceOf: MiniportError });
  t.regex(dup!.message, /already used/);
  await a.close();
});

test('frames longer than the MTU are refused and counted', async (t) => {
  const h = hub();
  const a = await openMiniport({ kind: 'memory', hub: h, mac: A, mtu: 100 });
  a.send(Buffer.alloc(200));
  a.send(Buffer.alloc(5));
  t.like(a.counters(), { txErrors: 2, txFrames: 0 });
  await a.close();
});
