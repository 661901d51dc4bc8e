/**
 * The choice of a learned peer to forget when the peer table is full
 * (src/host/peer-eviction.ts), in virtual time: the stalest candidate goes,
 * a peer that no longer qualifies is passed over, and a full table without
 * candidates is walked at most once per rescan interval however many frames
 * ask.
 */
import test from 'ava';
import { PeerEviction } from '../../src/host/peer-eviction.js';
import type { PeerState } from '../../src/host/node-types.js';

function table(n: number, linked: (i: number) => boolean) {
  const peers = new Map<string, PeerState & { linked: boolean }>();
  for (let i = 0; i < n; i++) {
    const mac = `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    peers.set(mac, { mac, addresses: [], source: 'discovery', lastSeen: i, linked: linked(i) });
  }
  let clock = 0;
  let looks = 0;
  const eviction = new PeerEviction({
    peers: () => peers.values(),
    holds: (p) => peers.get(p.mac) === p,
    mayForget: (p) => {
      looks++;
      return !(p as PeerState & { linked: boolean }).linked;
    },
    now: () => clock,
    rescanMs: 100,
  });
  return {
    peers,
    eviction,
    advance: (ms: number) => (clock += ms),
    looks: () => looks,
  };
}

test('learned peers are taken in the order they came, passing over those gone or linked since', (t) => {
  const s = table(0, () => false);
  const a: PeerState & { linked: boolean } = { mac: 'a', addresses: [], source: 'discovery', lastSeen: 1, linked: false };
  const b = { ...a, mac: 'b', lastSeen: 2 };
  const c = { ...a, mac: 'c', lastSeen: 3 };
  const d = { ...a, mac: 'd', lastSeen: 4 };
  for (const p of [a, b, c, d]) {
    s.peers.set(p.mac, p);
    s.eviction.learned(p);
  }
  t.is(s.eviction.take(), a);
  s.peers.delete('a'); // forgotten, as the peer table does with the one it is given
  s.peers.delete('b');
  c.linked = true;
  t.is(s.eviction.take(), d, 'b left the table and c linked up: both are passed over');
  s.peers.delete('d');
  t.is(s.eviction.take(), undefined, 'the queue is empty and the walk finds only c, linked');
});

test('a full table of linked peers is walked once per rescan interval, not once per asking frame', (t) => {
  const s = table(4096, () => true);
  for (let i = 0; i < 1000; i++) t.is(s.eviction.take(), undefined);
  t.is(s.looks(), 4096, 'one walk for 1,000 frames inside one interval');
  s.advance(99);
  t.is(s.eviction.take(), undefined);
  t.is(s.looks(), 4096, 'no walk before the interval is over');
  s.advance(1);
  t.is(s.eviction.take(), undefined);
  t.is(s.looks(), 2 * 4096, 'the next walk once it is');
});

test('a peer that became a candidate after the last walk is found by the next one, stalest first', (t) => {
  const s = table(300, () => true);
  t.is(s.eviction.take(), undefined);
  // two peers lose their links (say, no response): they are not queued, the table walk finds them
  s.peers.get('02:00:00:00:00:c8')!.linked = false; // lastSeen 200
  s.peers.get('02:00:00:00:00:32')!.linked = false; // lastSeen 50
  t.is(s.eviction.take(), undefined, 'not before the rescan interval is over');
  s.advance(100);
  t.is(s.eviction.take()?.lastSeen, 50, 'the stalest of the two');
  t.is(s.eviction.take()?.lastSeen, 200, 'then the other, from the queue the walk filled');
  t.is(s.eviction.take(), undefined);
});

test('under a flood of newcomers each one costs a look at the front of the queue, not a walk', (t) => {
  const s = table(4096, (i) => i < 4000);
  // the 96 unlinked ones are found by the first walk; every later frame's peer is queued as it is learned
  let learnedAt = 10_000;
  for (let i = 0; i < 10_000; i++) {
    const victim = s.eviction.take();
    t.truthy(victim, `frame ${i} finds room`);
    s.peers.delete(victim!.mac);
    const p: PeerState & { linked: boolean } = { mac: `forged-${i}`, addresses: [], source: 'discovery', lastSeen: learnedAt++, linked: false };
    s.peers.set(p.mac, p);
    s.eviction.learned(p);
  }
  t.true(s.looks() < 4096 + 2 * 10_000, `${s.looks()} looks for 10,000 frames`);
  t.is([...s.peers.values()].filter((p) => p.linked).length, 4000, 'no linked peer was taken');
});
