import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { asapScheduler, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { laterScheduler, runLater } from '../../src/common/later-scheduler.js';

/** what runs when, for a script of schedules (some nested) and promise reactions, on one scheduler */
async function trace(s: SchedulerLike): Promise<string[]> {
  const seen: string[] = [];
  s.schedule(() => {
    seen.push('a');
    s.schedule(() => seen.push('a.1'));
    void Promise.resolve().then(() => seen.push('a.promise'));
  });
  void Promise.resolve().then(() => seen.push('promise'));
  s.schedule(() => {
    seen.push('b');
    s.schedule(() => {
      seen.push('b.1');
      s.schedule(() => seen.push('b.1.1'));
    });
  });
  const cancelled = s.schedule(() => seen.push('cancelled'));
  cancelled.unsubscribe();
  s.schedule(function (this: { schedule(state?: string): unknown }, state?: string) {
    seen.push(`c:${state}`);
    if (state === 'first') this.schedule('again');
  }, 0, 'first');
  seen.push('sync');
  await new Promise((r) => setTimeout(r, 5));
  return seen;
}

test('runs what it is given in the order asapScheduler does, promise reactions included', async (t) => {
  const asap = await trace(asapScheduler);
  const later = await trace(laterScheduler);
  t.deepEqual(later, asap);
  // the order spelled out: nothing inside the call, FIFO, nested ones in a later batch, a cancelled one never
  t.deepEqual(later, ['sync', 'a', 'b', 'c:first', 'promise', 'a.1', 'b.1', 'c:again', 'a.promise', 'b.1.1']);
});

test('a delayed action waits for its delay, and can be cancelled', async (t) => {
  const seen: string[] = [];
  const t0 = Date.now();
  laterScheduler.schedule(() => seen.push(`late after ${Date.now() - t0 >= 20 ? '>=' : '<'} 20 ms`), 20);
  laterScheduler.schedule(() => seen.push('cancelled'), 10).unsubscribe();
  laterScheduler.schedule(() => seen.push('now'));
  await new Promise((r) => setTimeout(r, 60));
  t.deepEqual(seen, ['now', 'late after >= 20 ms']);
});

test('an action that throws: the rest of its batch runs, and the error reaches the process', (t) => {
  const module = fileURLToPath(new URL('../../src/common/later-scheduler.ts', import.meta.url));
  const script = `
    const { laterScheduler } = await import(${JSON.stringify(module)});
    process.on('uncaughtException', (e) => { console.log('uncaught: ' + e.message); });
    laterScheduler.schedule(() => console.log('first'));
    laterScheduler.schedule(() => { throw new Error('boom'); });
    laterScheduler.schedule(() => console.log('after'));
    setTimeout(() => laterScheduler.schedule(() => console.log('next batch')), 5);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), ['first', 'after', 'uncaught: boom', 'next batch']);
});

test('runLater: in one line with scheduled actions on laterScheduler; an ordinary schedule on any other', async (t) => {
  const seen: string[] = [];
  runLater(laterScheduler, () => {
    seen.push('run 1');
    runLater(laterScheduler, () => seen.push('run 1.1'));
  });
  laterScheduler.schedule(() => seen.push('action'));
  runLater(laterScheduler, () => seen.push('run 2'));
  seen.push('sync');
  await new Promise((r) => setTimeout(r, 5));
  t.deepEqual(seen, ['sync', 'run 1', 'action', 'run 2', 'run 1.1']);

  const virtual = new TestScheduler(() => {});
  let ran = false;
  runLater(virtual, () => (ran = true));
  await new Promise((r) => setTimeout(r, 5));
  t.false(ran, 'a virtual clock runs it only when flushed');
  virtual.flush();
  t.true(ran);
});
