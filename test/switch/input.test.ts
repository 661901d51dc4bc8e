/**
 * Bad input on a switch port is counted by reason and dropped; the switch
 * keeps working (a call through it afterwards still connects).
 */
import test from 'ava';
import { openMemorySync } from '../../src/miniport/index.js';
import { cellHeader, emitFrame } from '../../src/wire/index.js';
import { Client } from '../helpers/nodes.js';
import { ready, switchLab, until } from './helpers.js';

test('bad CRCs, unknown VCs and junk signalling are counted and dropped; calls still work', async (t) => {
  const lab = switchLab(2);
  const evil = openMemorySync({ kind: 'memory', hub: lab.sw.portList()[0]!.miniport.name.replace('memory:', ''), mac: '02:00:00:00:66:66' });
  t.teardown(async () => {
    await evil.close();
    await lab.close();
  });
  await ready(lab);
  const port = lab.sw.portList()[0]!;
  const frame = (vci: number, sdu: Buffer) => emitFrame({ dst: port.mac, src: '02:00:00:00:66:66', etherType: 0x88b5, cell: cellHeader(0, vci), uu: 0, cpi: 0, sdu });
  const bad = frame(40, Buffer.from('data on a VC nobody has'));
  evil.send(bad);
  const crc = Buffer.from(frame(40, Buffer.from('broken')));
  crc[18]! ^= 0xff; // a flipped SDU bit: the AAL5 CRC no longer holds
  evil.send(crc);
  evil.send(frame(5, Buffer.from([1, 2, 3])));
  evil.send(frame(16, Buffer.from([9, 9, 9])));
  await until('the port counted them', () => Object.values(port.counters().drops).reduce((a, b) => a + b, 0) >= 3);
  const drops = port.counters().drops;
  t.true((drops['unknown-vc'] ?? 0) >= 1, JSON.stringify(drops));
  t.true((drops['aal5-crc'] ?? 0) >= 1, JSON.stringify(drops));
  t.true((drops['discovery-short'] ?? 0) >= 1, JSON.stringify(drops));

  const caller = await Client.open(lab.hosts[0]!, 'caller');
  const callee = await Client.open(lab.hosts[1]!, 'callee');
  await callee.listen('1002');
  const connected = callee.next('ProtocolClCallConnected');
  await caller.call('1002');
  await connected;
  t.is(lab.sw.counters().calls.calls, 1);
});
