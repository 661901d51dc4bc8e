/**
 * The seam test on real interfaces: two condisd processes in their own
 * network namespaces, each over a TAP device bridged onto a shared segment
 * (as two VMs with tap0 bridged to eth1), driven through their control
 * sockets. A point-to-point call carries data both ways and is closed with
 * close data that reaches the remote client unchanged; SIGTERM then stops
 * both daemons cleanly and nothing is left. The same again with the TAP
 * miniports' sendThread (docs/miniports.md): each daemon then has its send
 * thread, named condis-send, and none without.
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

for (const sendThread of [false, true]) {
  rootTest(`point-to-point call with data and close data between two condisd over TAP devices in namespaces${sendThread ? ', with miniport.sendThread' : ''}`, async (t) => {
    const { d } = await startLab(t, 2, sendThread ? { tap: { sendThread } } : {});
    const a = d('h1');
    const b = d('h2');
    for (const x of [a, b]) t.is(threadNames(x.process.pid).filter((n) => n === 'condis-send').length, sendThread ? 1 : 0, `${x.host}: send threads`);
    await b.control.registerSap({ address: '3002' });

    const incoming = b.next('incoming-call');
    const call = await a.control.makeCall({ called: '3002' });
    const offered = await incoming;
    t.is(offered.called, '3002');
    await b.seen('call-connected', (e) => e.vc === offered.vc);

    const atB = b.next('receive');
    await a.control.send({ vc: call.vc, data: 'root to leaf' });
    t.is((await atB).data.toString(), 'root to leaf');
    const atA = a.next('receive');
    await b.control.send({ vc: offered.vc, data: 'and back' });
    t.is((await atA).data.toString(), 'and back');

    const closeData = Buffer.from([0x00, 0xff, 0x10, ...Buffer.from(' binary close data survives')]);
    const ic = b.next('incoming-close-call');
    await a.control.closeCall({ vc: call.vc, closeData });
    const e = await ic;
    t.is(e.status.name, 'SUCCESS');
    t.deepEqual(e.closeData, closeData);

    // the daemon's policy answered; nothing is left on either side
    for (let i = 0; i < 100; i++) {
      const [va, vb] = [await a.control.vcs(), await b.control.vcs()];
      if (va.length === 0 && vb.length === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    t.deepEqual(await a.control.vcs(), []);
    t.deepEqual(await b.control.vcs(), []);
    const ca = (await a.control.counters()) as Record<string, Record<string, number>>;
    t.is(ca.uni!.calls, 0);
    t.is(ca.ndis!.parties, 0);

    t.true(await a.stop('SIGTERM'), 'h1 exits on SIGTERM');
    t.true(await b.stop('SIGTERM'), 'h2 exits on SIGTERM');
  });
}
