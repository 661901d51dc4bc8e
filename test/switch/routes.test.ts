import test from 'ava';
import { RouteTable, canonicalPrefix } from '../../src/switch/routes.js';

test('longest prefix wins; a learned exact address beats a shorter static prefix', (t) => {
  const r = new RouteTable();
  r.addStatic('', 'p0');
  r.addStatic('10', 'p1');
  r.addStatic('100', 'p2');
  r.learn('p3', '02:00:00:00:00:03', ['1001']);
  t.is(r.lookup('1001')?.port, 'p3', 'the learned exact address is the longest match');
  t.is(r.lookup('1002')?.port, 'p2', '100 is longer than 10');
  t.is(r.lookup('1099')?.port, 'p1', '1099 does not start with 100');
  t.is(r.lookup('1050')?.port, 'p1');
  t.is(r.lookup('1200')?.port, 'p0', 'only the default route matches');
  t.is(r.lookup('2000')?.port, 'p0', 'the default route');
  t.is(r.lookup('+1001')?.port, 'p3', 'addresses compare in canonical form');
});

test('no default route: an unknown destination has no route', (t) => {
  const r = new RouteTable();
  r.addStatic('47', 'p1');
  t.is(r.lookup('1001'), undefined);
  t.is(r.lookup('4700')?.port, 'p1');
});

test('a static route of full length wins over a learned one; forgetting withdraws learned routes', (t) => {
  const r = new RouteTable();
  r.learn('p1', '02:00:00:00:00:01', ['1001', '1011']);
  r.addStatic('1001', 'p2');
  t.is(r.lookup('1001')?.port, 'p2');
  t.is(r.lookup('1011')?.port, 'p1');
  t.is(r.announcer('p1', '1011'), '02:00:00:00:00:01');
  t.deepEqual(r.reachableExcept('p2'), ['1001', '1011']);
  t.deepEqual(r.reachableExcept('p1'), []);
  t.true(r.forget('p1', '02:00:00:00:00:01'));
  t.is(r.lookup('1011'), undefined);
  t.false(r.learn('p1', '02:00:00:00:00:01', []), 'nothing changed');
});

test('AESA prefixes: dots and case do not matter', (t) => {
  const r = new RouteTable();
  r.addStatic('47.0005.80FF', 'p1');
  t.is(canonicalPrefix('47.0005.80FF'), '47000580ff');
  t.is(r.lookup('47000580ffe1000000f21a2b3c0020481a2b3c00')?.port, 'p1');
  t.is(r.lookup('39000580ffe1000000f21a2b3c0020481a2b3c00'), undefined);
});
