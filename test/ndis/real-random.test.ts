/**
 * Random client requests and hang-ups on three complete hosts (real SSCOP and
 * UNI over the memory wire), every client with the built-in policy: nothing
 * throws, every answer is a known status, and after everyone tears down no VC,
 * party, call-manager context or UNI call is left on any host.
 */
import test from 'ava';
import fc from 'fast-check';
import type { CondisNode } from '../../src/host/node.js';
import { statusKey } from '../../src/ndis/status.js';
import { attachClientPolicy } from '../../src/ndis/policy.js';
import { q2931CallParameters, type NdisPartyHandle } from '../../src/ndis/types.js';
import { Client, linksUp, memoryNodes, S, shutdownAll } from '../helpers/nodes.js';

type Op =
  | { kind: 'call'; from: number; to: number; multipoint: boolean }
  | { kind: 'add'; from: number; to: number; pick: number }
  | { kind: 'drop'; from: number; pick: number; closeData: number }
  | { kind: 'close'; from: number; pick: number; closeData: number }
  | { kind: 'wait' };

const host = fc.integer({ min: 0, max: 2 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('call' as const), from: host, to: host, multipoint: fc.boolean() }),
  fc.record({ kind: fc.constant('add' as const), from: host, to: host, pick: fc.nat(9) }),
  fc.record({ kind: fc.constant('drop' as const), from: host, pick: fc.nat(9), closeData: fc.integer({ min: -1, max: 130 }) }),
  fc.record({ kind: fc.constant('close' as const), from: host, pick: fc.nat(9), closeData: fc.integer({ min: -1, max: 130 }) }),
  fc.constant({ kind: 'wait' as const }),
);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function quiet(nodes: CondisNode[]): Promise<void> {
  let last = '';
  for (let stable = 0, i = 0; stable < 5 && i < 300; i++) {
    await sleep(10);
    const now = JSON.stringify(nodes.map((n) => [n.ndis.counters(), n.uni.counters().calls, n.uni.counters().parties]));
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
}

test('random requests and hang-ups over the real stack leave nothing behind', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('cm' as const, 'mcm' as const), fc.constantFrom('sync' as const, 'pending' as const), fc.array(op, { minLength: 1, maxLength: 14 }), async (shape, completion, ops) => {
      const nodes = memoryNodes(3, { callManager: { shape, completion } });
      try {
        await linksUp(nodes);
        const clients: Client[] = [];
        for (const [i, n] of nodes.entries()) {
          const c = await Client.open(n, `c${i}`);
          await c.listen(`${1001 + i}`);
          clients.push(c);
        }
        const known = (st: number): void => {
          if (statusKey(st) === undefined) throw new Error(`unknown status ${st}`);
        };
        for (const o of ops) {
          const c = o.kind === 'wait' ? undefined : clients[o.from]!;
          switch (o.kind) {
            case 'call': {
              if (o.from === o.to) break;
              const vc = c!.cl.NdisCoCreateVc(c!.af, 'v');
              known(c!.cl.NdisClMakeCall(vc.vcHandle!, q2931CallParameters(`${1001 + o.to}`), o.multipoint ? 'p' : undefined).status);
              break;
            }
            case 'add': {
              const vcs = c!.cl.vcs().filter((v) => v.multipoint);
              const vc = vcs[o.pick % Math.max(1, vcs.length)];
              if (vc && o.from !== o.to) known(c!.cl.NdisClAddParty(vc.handle, 'p', q2931CallParameters(`${1001 + o.to}`)).status);
              break;
            }
            case 'drop': {
              const ps = c!.cl.vcs().flatMap((v) => v.parties.map((p) => p.handle));
              const p = ps[o.pick % Math.max(1, ps.length)];
              if (p) known(c!.cl.NdisClDropParty(p as NdisPartyHandle, o.closeData < 0 ? undefined : Buffer.alloc(o.closeData, 1)));
              break;
            }
            case 'close': {
              const vcs = c!.cl.vcs();
              const vc = vcs[o.pick % Math.max(1, vcs.length)];
              if (vc) known(c!.cl.NdisClCloseCall(vc.handle, vc.multipoint ? vc.parties.find((p) => p.state === 'CONNECTED')?.handle : undefined, o.closeData < 0 ? undefined : Buffer.alloc(o.closeData, 2)));
              break;
            }
            case 'wait':
              await quiet(nodes);
              break;
          }
        }
        await quiet(nodes);
        // everyone tears down what is left with the policy
        for (let round = 0; round < 3; round++) {
          for (const c of clients) {
            const policy = attachClientPolicy(c.cl);
            for (const v of c.cl.vcs()) {
              if (v.call === 'CONNECTED' || v.call === 'CLOSE_INDICATED') policy.closeCall(v.handle, undefined, v.creator === 'client');
              else if (v.call === 'IDLE' && v.creator === 'client') c.cl.NdisCoDeleteVc(v.handle);
            }
          }
          await quiet(nodes);
        }
        for (const n of nodes) {
          const c = n.ndis.counters();
          const u = n.uni.counters();
          if (c.vcs || c.parties || c.sendsOutstanding || u.calls || u.parties || c.cmContexts !== 2) {
            throw new Error(`${n.name} not empty: ${JSON.stringify({ ndis: c, uni: { calls: u.calls, parties: u.parties }, vcs: n.ndis.snapshot().vcs.filter((v) => !v.signalling) })}`);
          }
        }
      } finally {
        await shutdownAll(nodes);
      }
    }),
    { numRuns: Number(process.env.NDIS_RANDOM_RUNS ?? 12) },
  );
  t.pass();
});
