/**
 * The seam test: two complete hosts (wire codec, SSCOP, UNI, CoNDIS with the
 * client policy) on one in-memory segment. A point-to-point call with data,
 * closed by the caller with close data that the callee's client receives
 * unchanged, then everything back to zero on both sides.
 */
import test from 'ava';
import { Client, linksUp, memoryNodes, S, shutdownAll } from '../helpers/nodes.js';

for (const shape of ['mcm', 'cm'] as const) {
  for (const completion of ['pending', 'sync'] as const) {
    test(`point-to-point call with data and close data over the full stack (${shape}, ${completion})`, async (t) => {
      const [a, b] = memoryNodes(2, { callManager: { shape, completion } });
      t.teardown(() => shutdownAll([a!, b!]));
      await linksUp([a!, b!]);
      const caller = await Client.open(a!, 'caller');
      const callee = await Client.open(b!, 'callee');
      await callee.listen('1002');

      const incoming = callee.next('ProtocolClIncomingCall');
      const connected = callee.next('ProtocolClCallConnected');
      const { vc } = await caller.call('1002');
      const offered = await incoming;
      await connected;

      const got = callee.next('ProtocolCoReceiveNetBufferLists');
      caller.send(vc, Buffer.from('hello over SSCOP'));
      t.is((await got).nbls[0]!.data.toString(), 'hello over SSCOP');
      t.is(a!.counters().dataOut, 1, 'the data frame is counted where it left');
      t.is(b!.counters().dataIn, 1, 'and where it arrived');

      const closeData = Buffer.from('goodbye: close data crosses before the call goes');
      const incomingClose = callee.next('ProtocolClIncomingCloseCall');
      const closed = caller.next('ProtocolClCloseCallComplete', (i) => i.vcHandle === vc);
      const st = caller.cl.NdisClCloseCall(vc, undefined, closeData);
      t.true(st === S.PENDING || st === S.SUCCESS, `close returned ${st}`);
      const ic = await incomingClose;
      t.is(ic.closeStatus, S.SUCCESS);
      t.deepEqual(ic.closeData, closeData);
      t.is(ic.vcHandle, offered.vcHandle);
      if (st === S.PENDING) t.is((await closed).status, S.SUCCESS);
      t.is(caller.cl.NdisCoDeleteVc(vc), S.SUCCESS);

      // the callee's policy answered the incoming close; the CM deletes its VC
      for (let i = 0; i < 200 && (a!.ndis.counters().vcs + b!.ndis.counters().vcs > 0 || a!.uni.counters().calls + b!.uni.counters().calls > 0); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      t.like(a!.ndis.counters(), { vcs: 0, parties: 0 });
      t.like(b!.ndis.counters(), { vcs: 0, parties: 0 });
      t.is(a!.uni.counters().calls, 0);
      t.is(b!.uni.counters().calls, 0);
    });
  }
}
