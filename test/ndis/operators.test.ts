/** The typed operators a client program filters its indications with. */
import test from 'ava';
import { Subject } from 'rxjs';
import { ofKind, onVc, type ClIndication, type NdisVcHandle } from '../../src/ndis/index.js';
import { makeNetwork, S } from '../conformance/network.js';

test('ofKind keeps the indications of the kinds named (typed as them), onVc those of one VC', (t) => {
  const src = new Subject<ClIndication>();
  const vc1 = 1 as NdisVcHandle;
  const vc2 = 2 as NdisVcHandle;
  const closes: number[] = [];
  const onOne: string[] = [];
  src.pipe(ofKind('ProtocolClIncomingCloseCall')).subscribe((i) => closes.push(i.size));
  src.pipe(ofKind('ProtocolClCallConnected', 'ProtocolClIncomingCloseCall'), onVc(vc1)).subscribe((i) => onOne.push(i.kind));
  src.next({ kind: 'ProtocolClCallConnected', vcContext: 'a', vcHandle: vc1 });
  src.next({ kind: 'ProtocolClCallConnected', vcContext: 'b', vcHandle: vc2 });
  src.next({ kind: 'ProtocolClIncomingCloseCall', closeStatus: S.SUCCESS, vcContext: 'b', vcHandle: vc2, closeData: undefined, size: 0 });
  src.next({ kind: 'ProtocolClIncomingCloseCall', closeStatus: S.SUCCESS, vcContext: 'a', vcHandle: vc1, closeData: Buffer.from('bye'), size: 3 });
  src.next({ kind: 'ProtocolCoDeleteVc', vcContext: 'a', vcHandle: vc1, result: S.SUCCESS });
  t.deepEqual(closes, [0, 3]);
  t.deepEqual(onOne, ['ProtocolClCallConnected', 'ProtocolClIncomingCloseCall']);
  let done = false;
  src.pipe(ofKind('ProtocolClCallConnected')).subscribe({ complete: () => (done = true) });
  src.complete();
  t.true(done, 'completion passes through');
});

test('on a real stack: the callee sees the incoming close of its VC, with the close data', async (t) => {
  const net = makeNetwork({ hosts: 2, cm: 'mcm', completion: 'pending' });
  const a = net.hosts[0]!.client('a');
  const b = net.hosts[1]!.client('b', { handlers: { ProtocolClIncomingCall: () => S.SUCCESS } });
  await a.openAf();
  await b.registerSap(await b.openAf());
  const vc = a.createVc(a.afs[0]!);
  t.is((await a.makeCall(vc, '1002')).status, S.SUCCESS);
  await net.settle();
  const vcB = b.last('ProtocolClIncomingCall')!.vcHandle;
  const seen: string[] = [];
  b.ndis.indications$.pipe(ofKind('ProtocolClIncomingCloseCall'), onVc(vcB)).subscribe((i) => seen.push(`${i.closeStatus} ${i.closeData?.toString()}`));
  await a.closeCall(vc, undefined, Buffer.from('bye'));
  await net.settle();
  t.deepEqual(seen, [`${S.SUCCESS} bye`]);
  net.dispose();
});
