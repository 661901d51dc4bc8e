/**
 * The control seam end to end: four complete hosts on an in-memory segment,
 * each with the daemon's real ControlBackend (src/host/control-backend.ts) behind a
 * control server, driven through the client library and the CLI as a
 * program or a person would: a point-to-multipoint call from the root to three
 * leaves, data, drop-party and close-call with close data that the leaves
 * receive unchanged.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { firstValueFrom, filter } from 'rxjs';
import { type ControlClient, type EventSubscription } from '../../src/control/client.js';
import { ControlError } from '../../src/control/errors.js';
import type { ControlEvent } from '../../src/control/backend.js';
import { controlledHosts } from './helpers.js';

function next<K extends ControlEvent['kind']>(sub: EventSubscription, kind: K, pred: (e: Extract<ControlEvent, { kind: K }>) => boolean = () => true) {
  return firstValueFrom(sub.events$.pipe(filter((e): e is Extract<ControlEvent, { kind: K }> => e.kind === kind && pred(e as Extract<ControlEvent, { kind: K }>))));
}

test('multipoint call, data, drop party and close call with close data, through control sockets', async (t) => {
  const { clients, paths } = await controlledHosts(t, 4);
  const [root, ...leaves] = clients as [ControlClient, ControlClient, ControlClient, ControlClient];
  const leafSubs = await Promise.all(leaves.map((l) => l.subscribe()));
  for (const l of leaves) await l.registerSap();

  const incoming = leafSubs.map((s) => next(s, 'incoming-call'));
  const call = await root.makeCall({ parties: ['1002', '1003', '1004'] });
  t.true(call.multipoint);
  t.deepEqual(
    call.parties.map((p) => [p.address, p.status.name]),
    [
      ['1002', 'SUCCESS'],
      ['1003', 'SUCCESS'],
      ['1004', 'SUCCESS'],
    ],
  );
  const offered = await Promise.all(incoming);
  t.true(offered.every((o) => o.calling === '1001'));

  // data from the root reaches every leaf
  const got = leafSubs.map((s, i) => next(s, 'receive', (e) => e.vc === offered[i]!.vc));
  await root.send({ vc: call.vc, data: 'to all leaves' });
  for (const r of await Promise.all(got)) t.is(r.data.toString(), 'to all leaves');

  // closing with three parties up is refused with the status NDIS gives
  const refused = await t.throwsAsync(root.closeCall({ vc: call.vc }), { instanceOf: ControlError });
  t.truthy(refused!.ndisStatus, refused!.message);

  // drop the middle party with close data: that leaf sees its call closed, with the data
  const leaf2Closed = next(leafSubs[1]!, 'incoming-close-call', (e) => e.vc === offered[1]!.vc);
  await root.dropParty({ vc: call.vc, party: call.parties[1]!.party!, closeData: 'bye 1003' });
  const c2 = await leaf2Closed;
  t.is(c2.status.name, 'SUCCESS');
  t.deepEqual(c2.closeData, Buffer.from('bye 1003'));

  // drop one more, then close the call with binary close data on the last party
  await root.dropParty({ vc: call.vc, party: call.parties[0]!.party! });
  const leaf3Closed = next(leafSubs[2]!, 'incoming-close-call', (e) => e.vc === offered[2]!.vc);
  const closeData = Buffer.from([0, 1, 2, 0xfe, 0xff]);
  await root.closeCall({ vc: call.vc, closeData });
  t.deepEqual((await leaf3Closed).closeData, closeData);

  // close data longer than the wire carries: INVALID_DATA, nothing sent
  const p2p = await root.makeCall({ called: '1002' });
  const tooLong = await t.throwsAsync(root.closeCall({ vc: p2p.vc, closeData: Buffer.alloc(128, 1) }), { instanceOf: ControlError });
  t.is(tooLong!.ndisStatus?.name, 'INVALID_DATA');
  await root.closeCall({ vc: p2p.vc, closeData: Buffer.alloc(127, 1) });

  const st = await root.status();
  t.is(st.info.addresses[0], '1001');
  t.is(st.links.length, 3);
  t.true(st.links.every((l) => l.established));

  // the CLI against the real backend
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'daemons/condisctl.ts', '--socket', paths[0]!, 'status']);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  t.is(out.code, 0, out.stderr);
  t.regex(out.stdout, /^condisd h1 \(test\): addresses 1001, mac 02:00:00:00:00:01/);
  t.regex(out.stdout, /\nLINKS\nPEER .*\n02:00:00:00:00:02 .*yes/);
});
