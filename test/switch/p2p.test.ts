/**
 * Point-to-point calls through the switch between complete hosts (wire,
 * SSCOP, UNI, CoNDIS) on two of its ports: routing, data switched with
 * VPI/VCI translation, close data and cause end to end, no route (cause 3),
 * and a port link lost (cause 27 to the far side).
 */
import test from 'ava';
import { filter, firstValueFrom } from 'rxjs';
import { Client, S } from '../helpers/nodes.js';
import { names, ready, switchLab, until, type SwitchLab } from './helpers.js';

test('a call through the switch: SETUP routed, data switched both ways, close data carried end to end', async (t) => {
  const lab = switchLab(2);
  t.teardown(() => lab.close());
  await ready(lab);
  const [a, b] = lab.hosts as [NonNullable<(typeof lab.hosts)[0]>, NonNullable<(typeof lab.hosts)[0]>];
  const caller = await Client.open(a, 'caller');
  const callee = await Client.open(b, 'callee');
  await callee.listen('1002');
  const incoming = callee.next('ProtocolClIncomingCall');
  const connected = callee.next('ProtocolClCallConnected');
  const { vc } = await caller.call('1002');
  const offered = await incoming;
  await connected;

  const snap = lab.sw.snapshot();
  t.is(snap.calls.length, 1);
  const legs = snap.calls[0]!.legs;
  t.deepEqual(legs.map((l) => [l.port, l.inbound]), [['p1', true], ['p2', false]], 'one leg per port');
  t.true(legs.every((l) => l.vci !== undefined && l.vci >= 32), 'the switch assigned a VCI on each port');

  const got = callee.next('ProtocolCoReceiveNetBufferLists');
  caller.send(vc, Buffer.from('through the switch'));
  t.is((await got).nbls[0]!.data.toString(), 'through the switch');
  const back = caller.next('ProtocolCoReceiveNetBufferLists');
  callee.send(offered.vcHandle, Buffer.from('and back'));
  t.is((await back).nbls[0]!.data.toString(), 'and back');
  t.is(lab.sw.counters().fabric.framesOut, 2);

  const closeData = Buffer.from('bye across the switch');
  const ic = callee.next('ProtocolClIncomingCloseCall');
  t.not(caller.cl.NdisClCloseCall(vc, undefined, closeData), S.FAILURE);
  const close = await ic;
  t.deepEqual(close.closeData, closeData, 'the close data crossed both links unchanged');
  await until('the switch forgets the call', () => lab.sw.counters().calls.calls === 0 && lab.sw.counters().fabric.entries === 0);

  t.deepEqual(names(lab.wire[0]!), ['SETUP', 'CALL PROCEEDING', 'CONNECT', 'CONNECT ACKNOWLEDGE', 'RELEASE', 'RELEASE COMPLETE']);
  t.deepEqual(names(lab.wire[1]!), ['SETUP', 'CONNECT', 'CONNECT ACKNOWLEDGE', 'RELEASE', 'RELEASE COMPLETE']);
  const rel = lab.wire[1]!.find((m) => m.name === 'RELEASE')!;
  t.is(rel.dir, 'down');
  t.is(rel.closeData, closeData.toString(), 'RELEASE towards the callee carries the User-user IE');
  t.is(rel.cause, lab.wire[0]!.find((m) => m.name === 'RELEASE')!.cause, 'and the caller\'s cause');
  t.not(lab.wire[0]![0]!.callRef, undefined);
});

test('unknown destination: RELEASE COMPLETE with cause 3 (no route to destination), counted', async (t) => {
  // the host routes 3999 to the switch only if told: a static peer entry for the switch's port with that address
  const lab = switchLab(2, { routes: [{ prefix: '2', port: 'p2' }], viaSwitch: [['3999']] });
  t.teardown(() => lab.close());
  await ready(lab);
  const a = lab.hosts[0]!;
  const released = firstValueFrom(a.uni.indications$.pipe(filter((i) => i.kind === 'released' || i.kind === 'release-confirm')));
  const r = a.uni.setup({ called: '3999', multipoint: false });
  t.true(r.ok);
  const ind = await released;
  t.like(ind, { kind: 'released', cause: 3 });
  t.deepEqual(names(lab.wire[0]!), ['SETUP', 'RELEASE COMPLETE']);
  t.is(lab.wire[0]![1]!.cause, 3);
  t.is(lab.sw.counters().calls.noRoute, 1);
  t.is(lab.sw.counters().calls.calls, 0);
  t.deepEqual(names(lab.wire[1]!), [], 'nothing went towards port 2');
});

/** host 1 calls host 2 through the switch; returns host 2 and what host 1's UNI and client will hear when the call goes */
async function callThroughSwitch(lab: SwitchLab) {
  const [a, b] = [lab.hosts[0]!, lab.hosts[1]!];
  const caller = await Client.open(a, 'caller');
  const callee = await Client.open(b, 'callee');
  await callee.listen('1002');
  const connected = callee.next('ProtocolClCallConnected');
  const { vc } = await caller.call('1002');
  await connected;
  const released = firstValueFrom(a.uni.indications$.pipe(filter((i) => i.kind === 'released')));
  const ic = caller.next('ProtocolClIncomingCloseCall', (i) => i.vcHandle === vc);
  return { b, released, ic };
}

test('a port link ended and re-established under T309: STATUS ENQUIRY finds the call gone at the callee and the caller hears cause 101 (Q.2931 5.5.6, 5.6.11)', async (t) => {
  const lab = switchLab(2);
  t.teardown(() => lab.close());
  await ready(lab);
  const { b, released, ic } = await callThroughSwitch(lab);
  // the callee ends its SSCOP association with the switch (END) and clears its calls locally; the switch
  // keeps the active call, re-establishes the link and asks the callee where the call stands
  b.peerList().find((p) => p.link?.established)!.link!.release();
  t.like(await released, { kind: 'released', cause: 101 });
  t.not((await ic).closeStatus, S.SUCCESS, "the caller's client hears an incoming close with a failure status");
  await until('nothing left in the switch', () => lab.sw.counters().calls.calls === 0 && lab.sw.counters().fabric.entries === 0);
  const towardsCallee = lab.wire[1]!.map((m) => `${m.dir} ${m.name}`);
  t.deepEqual(towardsCallee.slice(-2), ['down STATUS ENQUIRY', 'up STATUS'], 'the switch asked, the callee answered');
  const rel = lab.wire[0]!.find((m) => m.name === 'RELEASE' && m.dir === 'down');
  t.is(rel?.cause, 101, 'RELEASE with cause 101 (message not compatible with call state) towards the caller');
});

test('a port link lost for longer than T309: the call through it is cleared and the far side hears cause 27', async (t) => {
  // short SSCOP timers so the switch notices the silent host quickly; T309 shorter than the test timeout
  const lab = switchLab(2, {
    sscop: { timerPoll: 100, timerKeepAlive: 100, timerIdle: 200, timerNoResponse: 500, timerCC: 100, maxCC: 3 },
    uniTimers: { t309: 700 },
  });
  t.teardown(() => lab.close());
  await ready(lab);
  const { b, released, ic } = await callThroughSwitch(lab);
  // the callee goes silent: its interface is gone, nothing answers the switch's polls or BGNs
  await b.miniport.close();
  t.like(await released, { kind: 'released', cause: 27 });
  t.not((await ic).closeStatus, S.SUCCESS, "the caller's client hears an incoming close with a failure status");
  await until('nothing left in the switch', () => lab.sw.counters().calls.calls === 0 && lab.sw.counters().fabric.entries === 0);
  const rel = lab.wire[0]!.find((m) => m.name === 'RELEASE' && m.dir === 'down');
  t.is(rel?.cause, 27, 'RELEASE with cause 27 (destination out of order) towards the caller');
});
