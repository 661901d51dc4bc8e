/**
 * R62, the other order: a call manager that completes a close before it
 * deactivates the VC (seed 001 says it completes the close and deactivates,
 * not in which order). NDIS must accept it: no NdisProtocolError into the
 * client's NdisClCloseCall (synchronous completion) nor into the call
 * manager's completion call (PENDING), and the client's close completes once
 * both have happened, leaving a VC its creator can delete. A small call
 * manager written for this test plays that order on an NDIS with the fake
 * network's data path, for both shapes and both completion modes.
 */
import test from 'ava';
import { asapScheduler } from 'rxjs';
import { FakeUniNetwork } from '../helpers/fake-uni.js';
import {
  NdisHost,
  NdisStatus as S,
  Q2931_AF,
  q2931CallParameters,
  type CallManagerHandlers,
  type ClIndication,
  type CoCallParameters,
  type NdisCmApi,
  type NdisMcmApi,
  type NdisVcHandle,
} from '../../src/ndis/index.js';

type Shape = 'cm' | 'mcm';
type Completion = 'sync' | 'pending';

/** connects at once (no network); closes by completing first and deactivating on a later turn */
class CompletesFirst implements CallManagerHandlers {
  readonly cmApi?: NdisCmApi;
  readonly mcmApi?: NdisMcmApi;
  /** what the call manager's own calls into NDIS threw (must stay empty) */
  readonly thrown: unknown[] = [];

  constructor(
    readonly ndis: NdisHost,
    readonly shape: Shape,
    readonly completion: Completion,
  ) {
    if (shape === 'cm') {
      this.cmApi = ndis.registerCallManager(this, 'cm');
      this.cmApi.NdisCmRegisterAddressFamilyEx(Q2931_AF);
    } else {
      this.mcmApi = ndis.registerCallManager(this, 'mcm');
      this.mcmApi.NdisMCmRegisterAddressFamilyEx(Q2931_AF);
    }
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.thrown.push(e);
    }
  }

  ProtocolCmOpenAf(): { status: S; callMgrAfContext?: unknown } {
    return { status: S.SUCCESS, callMgrAfContext: 'af' };
  }
  ProtocolCmCloseAf(): S {
    return S.SUCCESS;
  }
  ProtocolCmRegisterSap(): { status: S } {
    return { status: S.NOT_SUPPORTED };
  }
  ProtocolCmDeregisterSap(): S {
    return S.SUCCESS;
  }
  ProtocolCoCreateVc(_af: unknown, vcHandle: NdisVcHandle): { status: S; callMgrVcContext?: unknown } {
    return { status: S.SUCCESS, callMgrVcContext: vcHandle };
  }
  ProtocolCoDeleteVc(): S {
    return S.SUCCESS;
  }
  ProtocolCmMakeCall(ctx: unknown, params: CoCallParameters): { status: S } {
    const h = ctx as NdisVcHandle;
    const p = { ...params, mediaParameters: { flags: 0, receivePriority: 0, receiveSizeHint: 0, mediaSpecific: { paths: [{ peer: '02:00:00:00:00:02', vpi: 0, vci: 40 }] } } };
    const st = this.shape === 'cm' ? this.cmApi!.NdisCmActivateVc(h, p) : (this.ndis.dataPath.activate(h, p.mediaParameters.mediaSpecific.paths, p), this.mcmApi!.NdisMCmActivateVc(h, p));
    return { status: st };
  }
  ProtocolCmCloseCall(ctx: unknown): S {
    const h = ctx as NdisVcHandle;
    // the VC is deactivated only on a later turn, after the close is finished
    const deactivate = (): void =>
      this.guard(() => {
        if (this.shape === 'cm') this.cmApi!.NdisCmDeactivateVc(h);
        else {
          this.ndis.dataPath.deactivate(h);
          this.mcmApi!.NdisMCmDeactivateVc(h);
        }
      });
    if (this.completion === 'sync') {
      asapScheduler.schedule(deactivate);
      return S.SUCCESS;
    }
    asapScheduler.schedule(() => {
      this.guard(() => (this.shape === 'cm' ? this.cmApi!.NdisCmCloseCallComplete(S.SUCCESS, h, undefined) : this.mcmApi!.NdisMCmCloseCallComplete(S.SUCCESS, h, undefined)));
      asapScheduler.schedule(deactivate);
    });
    return S.PENDING;
  }
  ProtocolCmAddParty(): { status: S } {
    return { status: S.NOT_SUPPORTED };
  }
  ProtocolCmDropParty(): S {
    return S.NOT_SUPPORTED;
  }
  ProtocolCmIncomingCallComplete(): void {}
  ProtocolCmActivateVcComplete(): void {}
  ProtocolCmDeactivateVcComplete(): void {}
  ProtocolCmModifyCallQoS(): S {
    return S.NOT_SUPPORTED;
  }
  ProtocolCmNotifyCloseAfComplete(): void {}
  liveContexts(): number {
    return 0;
  }
}

for (const shape of ['cm', 'mcm'] as Shape[])
  for (const completion of ['sync', 'pending'] as Completion[])
    test(`R62 a call manager that completes the close before it deactivates: nothing throws, the client's close completes after the deactivation, the VC can be deleted [${shape}/${completion}]`, async (t) => {
      const fake = new FakeUniNetwork();
      const dataPath = fake.addHost('02:00:00:00:00:01', ['1001'], { completion: 'sync' }).data;
      const ndis = new NdisHost({ dataPath, name: 'h0' });
      const cm = new CompletesFirst(ndis, shape, completion);
      const cl = ndis.registerClient({ name: 'a' });
      const seen: { kind: ClIndication['kind']; state: string | undefined; status?: S }[] = [];
      cl.indications$.subscribe((i) => {
        if (i.kind === 'ProtocolClCloseCallComplete') seen.push({ kind: i.kind, state: cl.vcInfo(i.vcHandle)?.state, status: i.status });
      });
      const af = cl.NdisClOpenAddressFamilyEx(Q2931_AF, 'af').afHandle!;
      const vc = cl.NdisCoCreateVc(af, 'vc').vcHandle!;
      t.is(cl.NdisClMakeCall(vc, q2931CallParameters('1002')).status, S.SUCCESS);
      t.is(cl.vcInfo(vc)?.call, 'CONNECTED');

      let r: S | undefined;
      t.notThrows(() => {
        r = cl.NdisClCloseCall(vc);
      }, 'no NdisProtocolError into the client');
      t.is(r, S.PENDING, 'the close is not over before the VC is deactivated');
      for (let i = 0; i < 5; i++) await new Promise<void>((res) => setImmediate(res));
      t.deepEqual(cm.thrown, [], 'nothing thrown into the call manager');
      t.deepEqual(seen, [{ kind: 'ProtocolClCloseCallComplete', state: 'DEACTIVATED', status: S.SUCCESS }], 'one completion, after the deactivation');
      t.like(cl.vcInfo(vc), { call: 'IDLE', state: 'DEACTIVATED' });
      t.false(dataPath.active.has(vc));
      t.is(cl.NdisCoDeleteVc(vc), S.SUCCESS, 'not stranded: its creator deletes it');
      t.is(cl.NdisClCloseAddressFamily(af), S.SUCCESS);
      t.like(ndis.counters(), { vcs: 0, afs: 0, parties: 0 });
      ndis.dispose();
    });
