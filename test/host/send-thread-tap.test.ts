/**
 * `miniport.sendThread` in a real daemon: two condisd over TAP devices in
 * namespaces, each configured with it, carry a call's data both ways and its
 * close data; each daemon has the send thread (named condis-send) while its
 * TAP is open.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { rootTest } from '../helpers/root.js';
import { startLab } from '../helpers/lab.js';

const threadNames = (pid: number): string[] =>
  readdirSync(`/proc/${pid}/task`).map((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      return ''; // a thread that ended meanwhile
    }
  });

rootTest('condisd with miniport.sendThread: a call carries data both ways and its close data; the daemon has its send thread', async (t) => {
  const { d } = await startLab(t, 2, { tap: { sendThread: true } });
  const a = d('h1');
  const b = d('h2');
  for (const x of [a, b]) t.is(threadNames(x.process.pid).filter((n) => n === 'condis-send').length, 1, `${x.host}: one send thread`);
  await b.control.registerSap({ address: '3002' });
  const incoming = b.next('incoming-call');
  const call = await a.control.makeCall({ called: '3002' });
  const offered = await incoming;
  await b.seen('call-connected', (e) => e.vc === offered.vc);

  const atB = b.next('receive');
  await a.control.send({ vc: call.vc, data: 'root to leaf' });
  t.is((await atB).data.toString(), 'root to leaf');
  const atA = a.next('receive');
  await b.control.send({ vc: offered.vc, data: 'and back' });
  t.is((await atA).data.toString(), 'and back');

  const closeData = Buffer.from('close data, sent from a thread or not');
  const ic = b.next('incoming-close-call');
  await a.control.closeCall({ vc: call.vc, closeData });
  t.deepEqual((await ic).closeData, closeData);
  t.true(await a.stop('SIGTERM'), 'h1 exits on SIGTERM');
  t.true(await b.stop('SIGTERM'), 'h2 exits on SIGTERM');
});

rootTest('condisd without sendThread has no send thread', async (t) => {
  const { d } = await startLab(t, 1);
  t.deepEqual(threadNames(d('h1').process.pid).filter((n) => n === 'condis-send'), []);
});
