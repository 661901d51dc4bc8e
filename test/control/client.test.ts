import test from 'ava';
import { firstValueFrom, take, toArray } from 'rxjs';
import { connectControl } from '../../src/control/client.js';
import { ControlError } from '../../src/control/errors.js';
import { socketPath, startFake } from './helpers.js';
import { waitUntil } from '../helpers/wait.js';

test('connectControl to a missing socket says condisd is not running', async (t) => {
  const path = socketPath();
  const e = await t.throwsAsync(connectControl(path), { instanceOf: ControlError });
  t.is(e!.code, 'not-running');
  t.is(e!.message, `condisd is not running (no socket at ${path})`);
});

test('typed methods: multipoint call with parties, add, drop with close data, close with close data', async (t) => {
  const { path, backend } = await startFake(t);
  const ctl = await connectControl(path);
  t.teardown(() => ctl.close());
  t.is(ctl.hello.version, 1);
  const call = await ctl.makeCall({ parties: ['1002', '+1003', '9999'] });
  t.true(call.multipoint);
  t.deepEqual(
    call.parties.map((p) => [p.address, p.status.name, p.party !== undefined]),
    [
      ['1002', 'SUCCESS', true],
      ['1003', 'SUCCESS', true],
      ['9999', 'NO_ROUTE_TO_DESTINATION', false],
    ],
  );
  t.is(call.parties[2]!.error?.code, 'failed');
  const added = await ctl.addParty({ vc: call.vc, address: '1004' });
  t.is(added.status.name, 'SUCCESS');
  await ctl.dropParty({ vc: call.vc, party: call.parties[0]!.party!, closeData: 'bye 1002' });
  await ctl.dropParty({ vc: call.vc, party: call.parties[1]!.party!, closeData: new Uint8Array([0, 255]) });
  await ctl.closeCall({ vc: call.vc, closeData: Buffer.from('the end') });
  const ops = backend.calls.filter((c) => c.op === 'dropParty' || c.op === 'closeCall').map((c) => (c.args as { closeData?: Buffer }).closeData);
  t.deepEqual(ops, [Buffer.from('bye 1002'), Buffer.from([0, 255]), Buffer.from('the end')]);
  const parties = await ctl.parties();
  t.deepEqual(parties, []);
});

test('errors reject with ControlError carrying the NDIS status', async (t) => {
  const { path } = await startFake(t);
  const ctl = await connectControl(path);
  t.teardown(() => ctl.close());
  const { vc } = await ctl.makeCall({ called: '1002' });
  const e = await t.throwsAsync(ctl.addParty({ vc, address: '1003' }), { instanceOf: ControlError });
  t.is(e!.code, 'wrong-state');
  t.deepEqual(e!.ndisStatus, { name: 'INVALID_STATE', value: 0xc0000184 });
  t.is(e!.describe(), `VC ${vc} carries a point-to-point call [NDIS_STATUS_INVALID_STATE (0xc0000184)]`);
  const sent = await ctl.send({ vc, data: 'hello' });
  t.is(sent.bytes, 5);
});

test('events: subscription as an async iterator and as an Observable, bytes as Buffers', async (t) => {
  const { path, backend } = await startFake(t);
  const ctl = await connectControl(path);
  t.teardown(() => ctl.close());
  const sub = await ctl.subscribe({ kinds: ['incoming-call', 'receive', 'incoming-close-call'] });
  const sap = await ctl.registerSap({ address: '1001' });
  const vc = backend.incomingCall('1001', '1002');
  backend.emit({ kind: 'receive', vc, data: Buffer.from([0xde, 0xad]) });
  backend.remoteClose(vc, Buffer.from('bye'));
  const seen = [];
  for await (const ev of sub) {
    seen.push(ev);
    if (ev.kind === 'incoming-close-call') break;
  }
  t.deepEqual(
    seen.map((e) => e.kind),
    ['incoming-call', 'receive', 'incoming-close-call'],
  );
  t.like(seen[0], { kind: 'incoming-call', sap: sap.sap, vc, calling: '1002' });
  const rx = seen[1]!;
  t.true(rx.kind === 'receive' && Buffer.isBuffer(rx.data) && rx.data.equals(Buffer.from([0xde, 0xad])));
  const close = seen[2]!;
  t.true(close.kind === 'incoming-close-call' && close.closeData!.equals(Buffer.from('bye')));

  // the cold Observable: it subscribes on the server while someone listens. That reaches the server
  // asynchronously, so probe with 'updated' events until one comes back, then send the two that count
  const got: string[] = [];
  const obs = ctl.events({ kinds: ['peer'] }).subscribe((e) => got.push(e.kind === 'peer' ? e.change : e.kind));
  t.teardown(() => obs.unsubscribe());
  await waitUntil(
    'the first probe event through the cold Observable',
    () => {
      if (got.length > 0) return true;
      backend.emit({ kind: 'peer', peer: '02:00:00:00:00:01', change: 'updated', addresses: [] });
      return false;
    },
    { every: 20 },
  );
  const two = firstValueFrom(ctl.events({ kinds: ['peer'] }).pipe(take(0), toArray())); // a second, immediately finished subscription must not disturb the first
  await two;
  got.length = 0;
  backend.emit({ kind: 'call-connected', vc: 1 });
  backend.emit({ kind: 'peer', peer: '02:00:00:00:00:01', change: 'discovered', addresses: ['1005'] });
  backend.emit({ kind: 'peer', peer: '02:00:00:00:00:01', change: 'lost', addresses: [] });
  await waitUntil('two peer events behind the probes', () => got.filter((g) => g !== 'updated').length >= 2);
  t.deepEqual(
    got.filter((g) => g !== 'updated'),
    ['discovered', 'lost'],
  );
});

test('pending requests reject with closed when the server goes away', async (t) => {
  const { path, backend, server } = await startFake(t);
  backend.makeCallGate = new Promise(() => {});
  const ctl = await connectControl(path);
  const pending = ctl.makeCall({ called: '1002' });
  // the request is in the backend (held by the gate) before the server goes away
  await waitUntil('the make-call request at the backend', () => backend.calls.some((c) => c.op === 'makeCall'));
  await server.close();
  const e = await t.throwsAsync(pending, { instanceOf: ControlError });
  t.is(e!.code, 'closed');
  await ctl.whenClosed();
  t.true(ctl.isClosed);
  t.is((await t.throwsAsync(ctl.peers(), { instanceOf: ControlError }))!.code, 'closed');
});

test('events that arrive right behind the subscribe response are not lost', async (t) => {
  const { path } = await startFake(t);
  const ctl = await connectControl(path);
  t.teardown(() => ctl.close());
  // both requests in one write: the server answers subscribe, then register-sap emits at once
  const [sub, sap] = await Promise.all([ctl.subscribe({ kinds: ['sap'] }), ctl.registerSap({ address: '1001' })]);
  // one more round trip: the server answers in order, so the event line has been read by now (and sits in the buffer)
  await ctl.peers();
  const first = await firstValueFrom(sub.events$);
  t.like(first, { kind: 'sap', sap: sap.sap, change: 'registered', address: '1001' });
  await sub.close();
});

test('a response line that arrives in a thousand chunks is read whole', async (t) => {
  const { createServer } = await import('node:net');
  const { PROTOCOL_NAME, PROTOCOL_VERSION, OPS } = await import('../../src/control/protocol.js');
  const path = socketPath();
  const big = 'x'.repeat(2_000_000);
  const server = createServer((s) => {
    s.write(JSON.stringify({ type: 'hello', protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION, server: 'raw', ops: OPS, maxLineBytes: 65536 }) + '\n');
    let got = '';
    s.on('data', async (d) => {
      got += d.toString();
      const nl = got.indexOf('\n');
      if (nl < 0) return;
      const { id } = JSON.parse(got.slice(0, nl)) as { id: number };
      got = got.slice(nl + 1);
      // the answer to the first request in 1,000 pieces, written one by one
      const line = JSON.stringify({ type: 'response', id, ok: true, result: { name: big } }) + '\n';
      const step = Math.ceil(line.length / 1000);
      for (let i = 0; i < line.length; i += step) {
        s.write(line.slice(i, i + step));
        await new Promise((r) => setImmediate(r));
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const ctl = await connectControl(path);
  t.teardown(() => ctl.close());
  const info = (await ctl.info()) as unknown as { name: string };
  t.is(info.name.length, big.length);
  t.is(info.name, big);
});
