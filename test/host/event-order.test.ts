/**
 * Events a control client can trust: on an abnormal close (the remote clears
 * the call with a failure cause) the client of each end sees
 * incoming-close-call, close-call-complete, then vc-state DELETED for that VC,
 * in NDIS order, although the daemon's own policy subscribed to NDIS's
 * indications before the backend did. Whole hosts on an in-memory segment,
 * the daemon's real backend behind a control server, events read through the
 * control socket; both completion modes.
 */
import test from 'ava';
import { filter, firstValueFrom } from 'rxjs';
import { type ControlClient } from '../../src/control/client.js';
import type { ControlEvent } from '../../src/control/backend.js';
import { controlledHosts } from '../control/helpers.js';

const ENDING = new Set(['incoming-close-call', 'close-call-complete', 'vc-state']);

for (const completion of ['pending', 'sync'] as const) {
  for (const closer of ['callee', 'caller'] as const) {
    test(`abnormal close (${completion} completion, the ${closer}'s network clears the call): incoming-close-call, close-call-complete, DELETED in that order at the other end`, async (t) => {
      const { nodes, clients } = await controlledHosts(t, 2, { callManager: { shape: 'mcm', completion } });
      const [caller, callee] = clients as [ControlClient, ControlClient];
      const [callerSub, calleeSub] = await Promise.all([caller.subscribe(), callee.subscribe()]);
      await callee.registerSap({ policy: 'accept' });
      const offered = firstValueFrom(calleeSub.events$.pipe(filter((e): e is Extract<ControlEvent, { kind: 'incoming-call' }> => e.kind === 'incoming-call')));
      const call = await caller.makeCall({ parties: ['1002'] });
      const inVc = (await offered).vc;

      // the end that hears the close: the caller when the callee's side clears, and the other way round
      const [hearer, hearerSub, vc, clearingNode] = closer === 'callee' ? [caller, callerSub, call.vc, nodes[1]!] : [callee, calleeSub, inVc, nodes[0]!];
      const seen: ControlEvent[] = [];
      const deleted = firstValueFrom(
        hearerSub.events$.pipe(
          filter((e) => {
            if (ENDING.has(e.kind) && 'vc' in e && e.vc === vc) seen.push(e);
            return e.kind === 'vc-state' && e.vc === vc && e.state === 'DELETED';
          }),
        ),
      );
      // the clearing side's network ends the call with cause 41 (temporary failure), no client asked
      const uniCall = clearingNode.uni.snapshot().calls[0]!;
      t.true(clearingNode.uni.release(uniCall.call, { cause: 41 }).ok);
      await deleted;

      t.deepEqual(
        seen.map((e) => (e.kind === 'vc-state' ? `vc-state ${e.state}` : e.kind)),
        ['incoming-close-call', 'close-call-complete', 'vc-state DELETED'],
      );
      const close = seen[0] as Extract<ControlEvent, { kind: 'incoming-close-call' }>;
      t.not(close.status.name, 'SUCCESS', 'an abnormal close');
      const done = seen[1] as Extract<ControlEvent, { kind: 'close-call-complete' }>;
      t.is(done.status.name, 'SUCCESS');
      t.deepEqual(await hearer.vcs(), [], 'nothing left at the end that heard the close');
    });
  }
}
