/**
 * Where a call to an address goes as discovery changes who holds it: one
 * whole node over the memory miniport in virtual time, with made-up hosts
 * announcing, changing, withdrawing and letting lapse their addresses. The
 * peer table answers from an index by address (src/host/peers.ts), so every
 * change must reach that index: a stale entry would send a SETUP to a host
 * that no longer has the address, a missing one would refuse a reachable call.
 */
import test from 'ava';
import { CondisNode } from '../../src/host/node.js';
import { openMemorySync } from '../../src/miniport/index.js';
import { cellHeader, emitAnnouncement, emitFrame, VCI_DISCOVERY } from '../../src/wire/index.js';
import { Clock } from '../uni/helpers.js';
import { nodeOptions } from '../helpers/nodes.js';
import { peerWarning, warnPeerConflicts } from '../../src/host/peer-conflicts.js';

const X = '02:00:00:00:0a:01';
const Y = '02:00:00:00:0a:02';
const S = '02:00:00:00:0a:03';
let hubs = 0;

function setup(t: { teardown(f: () => unknown): void }) {
  const clock = new Clock();
  const hub = `peer-addr-${process.pid}-${hubs++}`;
  const discovery = { enabled: true, intervalMs: 1000, holdTimeMs: 5000 };
  const mp = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:00:01', scheduler: clock.scheduler });
  const others = openMemorySync({ kind: 'memory', hub, mac: '02:00:00:00:0a:ff', scheduler: clock.scheduler, promiscuous: true });
  const node = new CondisNode(nodeOptions('h1', mp, '1001', { scheduler: clock.scheduler, discovery, peers: [{ mac: S, addresses: ['5009'] }] }));
  t.teardown(async () => {
    await node.shutdown(0);
    await mp.close();
    await others.close();
  });
  const announce = (mac: string, addresses: string[], holdTimeS = 5) => {
    others.send(emitFrame({ dst: 'ff:ff:ff:ff:ff:ff', src: mac, etherType: 0x88b5, cell: cellHeader(0, VCI_DISCOVERY), uu: 0, cpi: 0, sdu: emitAnnouncement({ version: 1, mac, role: 'auto', holdTimeS, addresses }) }));
    clock.advance(1);
  };
  const table = (node as unknown as { peers: { resolve(a: string): string | undefined } }).peers;
  return { node, clock, announce, resolve: (a: string) => table.resolve(a) };
}

test('a call goes to whoever holds the address now, through every discovery change', (t) => {
  const s = setup(t);
  t.is(s.resolve('5001'), undefined, 'nobody has it yet');
  t.is(s.resolve('5009'), S, 'a configured peer');

  s.announce(X, ['5001', '5002']);
  t.is(s.resolve('5001'), X);
  t.is(s.resolve('5002'), X);

  s.announce(X, ['5002', '5003']);
  t.is(s.resolve('5001'), undefined, 'X no longer announces 5001');
  t.is(s.resolve('5003'), X, 'and announces 5003 now');

  s.announce(Y, ['5003', '5004']);
  t.is(s.resolve('5003'), X, 'two hosts announce 5003, neither linked: the one that has held it longer');
  t.is(s.resolve('5004'), Y);
  s.announce(X, ['5003', '5005']);
  t.is(s.resolve('5003'), X, 'X changed its other addresses: it has still held 5003 longer');
  t.is(s.resolve('5005'), X);
  s.announce(X, ['5002', '5003']);

  s.announce(X, [], 0);
  t.is(s.resolve('5002'), undefined, 'X leaves (hold time 0): its addresses go with it');
  t.is(s.resolve('5003'), Y, 'Y still has 5003');

  s.announce(X, ['5002']);
  t.is(s.resolve('5002'), X, 'X is back');

  s.announce(S, ['5009', '5010']);
  t.is(s.resolve('5010'), S, 'a configured peer adds what it announces');
  t.is(s.resolve('5009'), S, 'and keeps what it was configured with');

  // Y stops announcing; X and S keep on: after the hold time Y's addresses lapse, the others stay
  for (let i = 0; i < 7; i++) {
    s.announce(X, ['5002']);
    s.announce(S, ['5009', '5010']);
    s.clock.advance(998);
  }
  t.is(s.resolve('5003'), undefined, "Y's addresses lapsed");
  t.is(s.resolve('5004'), undefined);
  t.is(s.resolve('5002'), X, "X's did not");
  t.is(s.resolve('5010'), S);
});

test('a configured address heard from another MAC is warned about once per pair, and shows in the peer entry', (t) => {
  const s = setup(t);
  const warnings: string[] = [];
  const sub = warnPeerConflicts(s.node, { warn: (_o, msg) => warnings.push(msg) });
  t.teardown(() => sub.unsubscribe());
  const table = s.node.peerIndex();
  const warningOfS = () => peerWarning(table, table.get(S)!);
  t.deepEqual(warnings, []);
  t.is(warningOfS(), undefined);

  s.announce(X, ['5001']);
  t.deepEqual(warnings, [], 'an address nobody is configured with is no conflict');
  s.announce(X, ['5001', '5009']);
  t.is(warnings.length, 1, 'X now announces the address configured at S');
  t.regex(warnings[0]!, /address 5009 is configured \(peers:\) at 02:00:00:00:0a:03, which never answered, but discovery hears it from 02:00:00:00:0a:01/);
  s.announce(X, ['5009', '5001']);
  t.is(warnings.length, 1, 'told once');

  s.announce(Y, ['5010']);
  s.announce(S, ['5010']);
  t.is(warnings.length, 2, "S's own announcement merges 5010 into its configured addresses, which Y announces");
  t.regex(warnings[1]!, /address 5010 .* discovery hears it from 02:00:00:00:0a:02/);
  t.regex(warningOfS()!, /address 5009 .*0a:01.*; address 5010 .*0a:02/, "both in S's status entry");
  t.is(peerWarning(table, table.get(X)!), undefined, 'only a configured peer carries the warning');

  s.announce(X, [], 0);
  t.regex(warningOfS()!, /^address 5010 /, 'X left: the conflict with Y stays');
  t.false(warningOfS()!.includes('5009'), 'and the one with X went');
});
