/**
 * A switch behind the control socket: `status` (and the text condisctl prints)
 * shows its ports, hosts, routes, calls and parties; the event stream carries
 * its call and route events; requests a switch cannot serve are refused.
 */
import test from 'ava';
import { filter, firstValueFrom } from 'rxjs';
import { connectControl } from '../../src/control/client.js';
import { ControlError } from '../../src/control/errors.js';
import { statusReport } from '../../src/control/format.js';
import { startControlServer } from '../../src/control/server.js';
import { SwitchControlBackend } from '../../src/switch/control.js';
import { Client } from '../helpers/nodes.js';
import { socketPath } from '../control/helpers.js';
import { ready, switchLab, until } from './helpers.js';

test('status and events of a switch through its control socket', async (t) => {
  const lab = switchLab(3, { routes: [{ prefix: '9', port: 'p3' }] });
  const path = socketPath();
  const server = await startControlServer(new SwitchControlBackend(lab.sw, { version: 'test' }), { path });
  const ctl = await connectControl(path);
  t.teardown(async () => {
    ctl.close();
    await server.close();
    await lab.close();
  });
  const sub = await ctl.subscribe({ kinds: ['switch'] });
  await ready(lab);
  const root = await Client.open(lab.hosts[0]!, 'root');
  const leaf2 = await Client.open(lab.hosts[1]!, 'leaf2');
  const leaf3 = await Client.open(lab.hosts[2]!, 'leaf3');
  await leaf2.listen('1002');
  await leaf3.listen('1003');
  const connected = firstValueFrom(sub.events$.pipe(filter((e) => e.kind === 'switch' && e.event.kind === 'switch-call' && e.event.change === 'connected')));
  const { vc, party: first } = await root.call('1002', true);
  const p3 = await root.addParty(vc, '1003');
  t.like(await connected, { kind: 'switch', event: { kind: 'switch-call', called: '1002' } });

  const s = await ctl.status();
  t.truthy(s.switch);
  t.deepEqual(s.switch!.ports.map((p) => [p.name, p.hosts.map((h) => h.addresses.join(','))]), [
    ['p1', ['1001']],
    ['p2', ['1002']],
    ['p3', ['1003']],
  ]);
  t.deepEqual(
    s.switch!.routes.map((r) => [r.prefix, r.port, r.source]),
    [
      ['9', 'p3', 'static'],
      ['1001', 'p1', 'learned'],
      ['1002', 'p2', 'learned'],
      ['1003', 'p3', 'learned'],
    ],
  );
  t.is(s.switch!.calls.length, 1);
  t.is(s.switch!.calls[0]!.legs.length, 3, 'the root leg and one leg per leaf port');
  t.is(s.switch!.calls[0]!.parties.length, 2);
  // each host's link carries one leg of the call
  t.deepEqual(
    s.links.map((l) => [l.name, l.calls]),
    [
      ['p1', 1],
      ['p2', 1],
      ['p3', 1],
    ],
  );
  const text = statusReport(s);
  for (const heading of ['SWITCH PORTS', 'ROUTES', 'SWITCH CALLS', 'SWITCH PARTIES']) t.true(text.includes(heading), heading);
  t.regex(text, /1003\s+active\s+p3/, 'the party table names the party, its phase and port');
  t.true(s.counters.switch !== undefined && s.counters.switch.calls === 1);

  await t.throwsAsync(ctl.makeCall({ called: '1002', multipoint: false }), { instanceOf: ControlError, message: /switch/ });

  const dropped = root.next('ProtocolClDropPartyComplete');
  root.cl.NdisClDropParty(p3, Buffer.from('bye 1003'));
  await dropped;
  root.cl.NdisClCloseCall(vc, first, Buffer.from('bye'));
  await until('the call is gone', () => lab.sw.counters().calls.calls === 0);
  t.is((await ctl.status()).switch!.calls.length, 0);
});
