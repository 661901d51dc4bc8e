import test from 'ava';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { settle } from '../../src/common/settle.js';

test('settle: nothing to wait for (done already, or no time left) is undefined, so the caller goes on at once', (t) => {
  const clock = new VirtualTimeScheduler();
  t.is(settle(() => true, new Subject(), 1000, clock), undefined);
  t.is(settle(() => false, new Subject(), 0, clock), undefined);
});

test('settle: resolves once a change makes the condition true, checked after the step that made it', async (t) => {
  const clock = new VirtualTimeScheduler();
  const changes = new Subject<string>();
  let n = 0;
  let resolved = false;
  const p = settle(() => n >= 2, changes, 1000, clock)!;
  void p.then(() => (resolved = true));
  n = 1;
  changes.next('one');
  await Promise.resolve();
  await Promise.resolve();
  t.false(resolved, 'one change, the condition still false');
  n = 2;
  changes.next('two');
  n = 3; // (still inside the step that made the change: the check comes after it)
  await p;
  t.true(resolved);
  t.is(clock.now(), 0, 'no time had to pass');
});

test('settle: gives up after the time on the given scheduler (virtual time here)', async (t) => {
  const clock = new VirtualTimeScheduler();
  let resolved = false;
  const p = settle(() => false, new Subject(), 500, clock)!;
  void p.then(() => (resolved = true));
  clock.maxFrames = 499;
  clock.flush();
  await Promise.resolve();
  t.false(resolved);
  clock.maxFrames = 500;
  clock.flush();
  await p;
  t.true(resolved);
});
