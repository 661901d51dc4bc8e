/**
 * Random sequences of client requests, remote hang-ups and link failures on
 * three hosts, every client running the built-in policy: no request throws,
 * every answer is a known NDIS_STATUS, no driver breaks the state machines
 * (NdisProtocolError), counters$ agrees with a count of the VCs after every
 * step, and once everyone tears down, nothing is left anywhere.
 */
import test from 'ava';
import fc from 'fast-check';
import { statusKey } from '../../src/ndis/status.js';
import { q2931CallParameters, type NdisPartyHandle, type NdisVcHandle } from '../../src/ndis/types.js';
import type { NdisCounters } from '../../src/ndis/ndis.js';
import { makeNetwork, S, type TestClient } from '../conformance/network.js';

type Op =
  | { kind: 'call'; from: number; to: number; multipoint: boolean }
  | { kind: 'add'; from: number; to: number; pick: number }
  | { kind: 'drop'; from: number; pick: number; closeData: number }
  | { kind: 'close'; from: number; pick: number; closeData: number }
  | { kind: 'send'; from: number; pick: number }
  | { kind: 'fail'; a: number; b: number }
  | { kind: 'settle' };

const host = fc.integer({ min: 0, max: 2 });
const pick = fc.nat(20);
const cd = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 140 }));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('call' as const), from: host, to: host, multipoint: fc.boolean() }),
  fc.record({ kind: fc.constant('add' as const), from: host, to: host, pick }),
  fc.record({ kind: fc.constant('drop' as const), from: host, pick, closeData: cd }),
  fc.record({ kind: fc.constant('close' as const), from: host, pick, closeData: cd }),
  fc.record({ kind: fc.constant('send' as const), from: host, pick }),
  fc.record({ kind: fc.constant('fail' as const), a: host, b: host }),
  fc.constant({ kind: 'settle' as const }),
);

function choose<T>(xs: T[], i: number): T | undefined {
  return xs.length ? xs[i % xs.length] : undefined;
}

test('random requests, hang-ups and link failures never break CoNDIS and leave nothing behind', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('cm' as const, 'mcm' as const), fc.constantFrom('sync' as const, 'pending' as const), fc.array(op, { minLength: 1, maxLength: 30 }), async (shape, completion, ops) => {
      const net = makeNetwork({ hosts: 3, cm: shape, completion });
      try {
        const clients: TestClient[] = [];
        for (const h of net.hosts) {
          const c = h.client(`c${h.index}`, { policy: true });
          await c.registerSap(await c.openAf());
          clients.push(c);
        }
        const known = (st: number): void => {
          if (statusKey(st) === undefined) throw new Error(`unknown status ${st}`);
        };
        // counters$ keeps its VC counts as requests change them; after every step they must be what a
        // walk over the VCs counts now (counters())
        const watched = net.hosts.map((h) => {
          let last: NdisCounters | undefined;
          h.ndis.counters$.subscribe((c) => (last = c));
          return () => last!;
        });
        const vcCounts = (c: NdisCounters) => [c.vcs, c.signallingVcs, c.sendsOutstanding, c.receivesOutstanding].join(' ');
        const countsAgree = (after: string): void => {
          for (const [i, h] of net.hosts.entries())
            if (vcCounts(watched[i]!()) !== vcCounts(h.ndis.counters()))
              throw new Error(`host ${i} after ${after}: counters$ says ${vcCounts(watched[i]!())}, counting the VCs gives ${vcCounts(h.ndis.counters())} (vcs, signalling VCs, sends, receives)`);
        };
        for (const o of ops) {
          switch (o.kind) {
            case 'call': {
              if (o.from === o.to) break;
              const c = clients[o.from]!;
              const vc = c.ndis.NdisCoCreateVc(c.afs[0]!, 'v');
              if (vc.status !== S.SUCCESS) break;
              known(c.ndis.NdisClMakeCall(vc.vcHandle!, q2931CallParameters(net.hosts[o.to]!.address), o.multipoint ? 'p' : undefined).status);
              break;
            }
            case 'add': {
              const c = clients[o.from]!;
              const vc = choose(c.ndis.vcs().filter((v) => v.multipoint), o.pick);
              if (vc && o.from !== o.to) known(c.ndis.NdisClAddParty(vc.handle, 'p', q2931CallParameters(net.hosts[o.to]!.address)).status);
              break;
            }
            case 'drop': {
              const c = clients[o.from]!;
              const parties = c.ndis.vcs().flatMap((v) => v.parties.map((p) => p.handle));
              const p = choose(parties, o.pick);
              if (p) known(c.ndis.NdisClDropParty(p as NdisPartyHandle, o.closeData < 0 ? undefined : Buffer.alloc(o.closeData, 1)));
              break;
            }
            case 'close': {
              const c = clients[o.from]!;
              const vc = choose(c.ndis.vcs(), o.pick);
              if (!vc) break;
              const party = vc.parties.find((p) => p.state === 'CONNECTED')?.handle;
              known(c.ndis.NdisClCloseCall(vc.handle as NdisVcHandle, vc.multipoint ? party : undefined, o.closeData < 0 ? undefined : Buffer.alloc(o.closeData, 2)));
              break;
            }
            case 'send': {
              const c = clients[o.from]!;
              const vc = choose(c.ndis.vcs(), o.pick);
              if (vc) c.ndis.NdisCoSendNetBufferLists(vc.handle, [{ sourceHandle: vc.handle, data: Buffer.from('r') }]);
              break;
            }
            case 'fail':
              if (o.a !== o.b) {
                net.fake.failLink(net.hosts[o.a]!.mac, net.hosts[o.b]!.mac);
                await net.settle();
                net.fake.restoreLink(net.hosts[o.a]!.mac, net.hosts[o.b]!.mac);
              }
              break;
            case 'settle':
              await net.settle();
              break;
          }
          countsAgree(JSON.stringify(o));
        }
        await net.settle();
        countsAgree('the last settle');
        // fail by throwing, so fast-check shrinks to the smallest sequence that leaves something behind
        const strict = {
          deepEqual(actual: unknown, expected: unknown, msg: string) {
            if (JSON.stringify(actual) !== JSON.stringify(expected)) {
              const snaps = net.hosts.map((h) => ({ vcs: h.ndis.snapshot().vcs.filter((v) => !v.signalling).map((v) => ({ h: v.handle, st: v.state, call: v.call, creator: v.creator, client: v.client })) }));
              throw new Error(`${msg}: ${JSON.stringify(actual)} ${JSON.stringify(snaps)}`);
            }
          },
        };
        await net.cleanupAndCheck(strict as never);
      } finally {
        net.dispose();
      }
    }),
    { numRuns: Number(process.env.NDIS_RANDOM_RUNS ?? 40) },
  );
  t.pass();
});
