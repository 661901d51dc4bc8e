/**
 * Q.2963.1 over real interfaces: two condisd processes in their own network
 * namespaces, each over a TAP device bridged onto one segment, driven through
 * their control sockets. A point-to-point call's peak cell rate is changed
 * and the called SAP accepts (the wire's traffic descriptor changes on both
 * sides, data still flows); a second call to a SAP that refuses QoS changes
 * gets MODIFY REJECT and is closed. The caller's own capture is then read
 * with real tshark and wireshark/condis.lua: MODIFY REQUEST, MODIFY
 * ACKNOWLEDGE and MODIFY REJECT by name, the rates and the cause.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlError } from '../../src/control/errors.js';
import { rootTest } from '../helpers/root.js';
import { startLab } from '../helpers/lab.js';

const LUA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'wireshark', 'condis.lua');

function tshark(args: string[]): string {
  const home = mkdtempSync(join(tmpdir(), 'condis-tshark-home-'));
  try {
    return execFileSync('/usr/bin/tshark', args, { encoding: 'utf8', env: { ...process.env, HOME: home, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

rootTest('a peak cell rate change accepted, then one refused and the call closed, between two condisd over TAP devices; the capture decodes in tshark with condis.lua', async (t) => {
  const { d } = await startLab(t, 2);
  const h1 = d('h1');
  const h2 = d('h2');
  const sap = await h2.control.registerSap({ address: '3002' });

  // 1. accepted: the new rates stand at both ends
  let incoming = h2.next('incoming-call');
  const call = await h1.control.makeCall({ called: '3002' });
  const vc2 = (await incoming).vc;
  await h2.seen('call-connected', (e) => e.vc === vc2);
  const told = h2.next('incoming-qos-change');
  const r = await h1.control.modifyCall({ vc: call.vc, pcr: 2000, receivePcr: 1500 });
  t.is(r.status.name, 'SUCCESS');
  t.deepEqual(r.pcr, { transmit: 2000, receive: 1500 });
  const inc = await told;
  t.true(inc.accepted);
  t.deepEqual(inc.pcr, { transmit: 1500, receive: 2000 });
  const v1 = (await h1.control.vcs()).find((v) => v.vc === call.vc)!;
  const v2 = (await h2.control.vcs()).find((v) => v.vc === vc2)!;
  t.deepEqual(v1.call?.pcr, { transmit: 2000, receive: 1500 }, 'the caller: forward 2000, backward 1500');
  t.deepEqual(v2.call?.pcr, { transmit: 1500, receive: 2000 }, 'the called side: the same descriptor from its end');
  const got = h2.next('receive');
  await h1.control.send({ vc: call.vc, data: 'at the new rate' });
  t.is((await got).data.toString(), 'at the new rate');

  // 2. refused: a SAP that refuses QoS changes closes the call (MODIFY REJECT 37, then RELEASE)
  await h2.control.deregisterSap({ sap: sap.sap });
  await h2.control.registerSap({ address: '3002', qos: 'refuse' });
  incoming = h2.next('incoming-call');
  const second = await h1.control.makeCall({ called: '3002' });
  const vc2b = (await incoming).vc;
  await h2.seen('call-connected', (e) => e.vc === vc2b);
  const closed = h1.next('incoming-close-call');
  const refused = await t.throwsAsync(h1.control.modifyCall({ vc: second.vc, pcr: 100 }), { instanceOf: ControlError });
  t.regex(refused!.message, /MODIFY REJECT cause 37 user cell rate not available/);
  t.is((await closed).vc, second.vc);
  await h2.seen('incoming-qos-change', (e) => e.vc === vc2b && !e.accepted);

  // the first call is still up at the rate agreed; close it
  t.deepEqual((await h1.control.vcs()).find((v) => v.vc === call.vc)?.call?.pcr, { transmit: 2000, receive: 1500 });
  await h1.control.closeCall({ vc: call.vc });
  t.true(await h1.stop('SIGTERM'), 'h1 stops cleanly (its capture closed)');

  // 3. the caller's capture in tshark with condis.lua: the modification messages by name, rates and cause
  const rows = tshark(['-X', `lua_script:${LUA}`, '-n', '-r', h1.capture, '-Y', 'q2931', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=f',
    '-e', 'frame.interface_name', '-e', '_ws.col.Info', '-e', 'condis_q2931.message_type', '-e', 'q2931.cause.value', '-e', 'condis_q2931.pcr.forward', '-e', 'condis_q2931.pcr.backward'])
    .trim()
    .split('\n')
    .map((l) => l.split('|'));
  const mod = rows.filter((x) => /^0x8[89ab]$/.test(x[2]!));
  t.deepEqual(
    mod.map((x) => [x[0], x[1]!.replace(/ \[.*$/, ''), x[2], x[3], x[4], x[5]]),
    [
      ['h2', 'MODIFY REQUEST', '0x88', '', '2000', '1500'],
      ['h2', 'MODIFY ACKNOWLEDGE', '0x89', '', '', ''],
      ['h2', 'MODIFY REQUEST', '0x88', '', '100', ''],
      ['h2', 'MODIFY REJECT', '0x8a', '0x25', '', ''], // cause 37 (tshark prints it in hex)
    ],
    `the modification messages on h1's link: ${rows.map((x) => x[1]).join(', ')}`,
  );
  // the refusal is followed by the clearing of that call, from h2
  const afterReject = rows.slice(rows.findIndex((x) => x[2] === '0x8a') + 1).map((x) => x[1]!.replace(/ \[.*$/, ''));
  t.deepEqual(afterReject.slice(0, 2), ['RELEASE', 'RELEASE COMPLETE']);
  const verbose = tshark(['-X', `lua_script:${LUA}`, '-n', '-r', h1.capture, '-V', '-Y', 'condis_q2931.message_type == 0x8a']);
  t.regex(verbose, /Q.2931 additions \(condis\): MODIFY REJECT\n\s+Message type: MODIFY REJECT \(0x8a\)/);
  t.regex(verbose, /Cause value: User cell rate not available \(0x25\)/);
  t.notRegex(verbose, /Lua Error/i);
  t.true(await h2.stop('SIGTERM'), 'h2 exits on SIGTERM');
});
