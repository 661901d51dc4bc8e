/**
 * The real daemon's capture, read as a person would: three hosts on TAP
 * devices, h1 calls h2 and h3 (a multipoint call: one link each), sends data
 * that the classic SunATM form would show as IPv6 [Malformed Packet], drops
 * h3 with close data and closes. h1's capture (the default form, pcapng) is
 * decoded with stock tshark: one interface per link named for the peer, user
 * data as data, nothing malformed; and the ladder draws one lane per peer
 * with no false retransmissions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventsFromCapture } from '../../src/capture/ladder.js';
import { rootTest } from '../helpers/root.js';
import { startLab } from '../helpers/lab.js';

function tshark(args: string[]): string {
  const home = mkdtempSync(join(tmpdir(), 'condis-tshark-home-'));
  try {
    return execFileSync('/usr/bin/tshark', args, { encoding: 'utf8', env: { ...process.env, HOME: home, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

rootTest("condisd's own capture of a multipoint call over two links: one interface per peer, user data clean in stock tshark, one ladder lane per peer", async (t) => {
  const { d } = await startLab(t, 3);
  const h1 = d('h1');
  await d('h2').control.registerSap({ address: '3002' });
  await d('h3').control.registerSap({ address: '3003' });
  const call = (await h1.control.makeCall({ parties: ['3002', '3003'] })) as { vc: number; parties: { party?: number; address: string }[] };
  await h1.control.send({ vc: call.vc, data: 'hello, leaves' });
  const p3 = call.parties.find((p) => p.address === '3003')!;
  await h1.control.dropParty({ vc: call.vc, party: p3.party!, closeData: 'bye, h3' });
  await h1.control.closeCall({ vc: call.vc, closeData: 'bye, h2' });
  t.true(await h1.stop('SIGTERM'), 'h1 stops cleanly (its capture closed)');

  const rows = tshark(['-n', '-r', h1.capture, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.interface_name', '-e', 'frame.protocols', '-e', 'q2931.message_type', '-e', 'data.data', '-e', '_ws.malformed'])
    .trim()
    .split('\n')
    .map((l) => l.split('|'));
  const ifaces = new Set(rows.map((r) => r[0]!));
  t.true(ifaces.has('h2') && ifaces.has('h3'), `one interface per link, named for the peer: ${[...ifaces].join(', ')}`);
  t.deepEqual([...ifaces].filter((i) => !/^(h2|h3|discovery)( VC \d+\/\d+)?$/.test(i)), []);
  const data = rows.filter((r) => r[0]!.includes(' VC '));
  t.deepEqual(rows.filter((r) => r[3] && !r[0]!.includes(' VC ') && r[0] !== 'discovery'), [], 'data only on VC interfaces (and announcements)');
  t.true(data.length >= 2, 'the data went to both leaves');
  for (const r of data) {
    t.is(r[1], 'exported_pdu:data');
    t.is(r[3], Buffer.from('hello, leaves').toString('hex'));
  }
  t.deepEqual(
    rows.filter((r) => r[4]).map((r) => r.join('|')),
    [],
    'nothing malformed',
  );
  // each link carries its own SETUP
  for (const leaf of ['h2', 'h3']) t.true(rows.some((r) => r[0] === leaf && r[2] === '0x05'), `SETUP on ${leaf}'s link`);

  const ev = await eventsFromCapture(h1.capture, { self: 'h1', luaScript: false });
  t.deepEqual([...new Set(ev.flatMap((e) => [e.from, e.to]))].sort(), ['h1', 'h2', 'h3']);
  t.deepEqual(
    ev.filter((e) => e.detail?.includes('retransmitted')),
    [],
    'a lossless lab has no retransmissions',
  );
  t.true(ev.some((e) => e.from === 'h1' && e.to === 'h3' && /^(DROP PARTY|RELEASE)/.test(e.label)));
});
