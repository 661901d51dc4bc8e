/**
 * The tables of `status` (what condisctl and the live view show) against the
 * daemon's real backend on in-memory hosts: each VC and each party carries the
 * Q.2931/Q.2971 state of its own call and party in the UNI, also when several
 * parties of a call have the same address (a leaf host may answer several
 * parties of one call) and are in different states.
 */
import test from 'ava';
import { firstValueFrom, filter } from 'rxjs';
import type { ControlEvent } from '../../src/control/backend.js';
import { controlledHosts } from './helpers.js';

test("the party table gives each party its own Q.2971 state, also beside another party with the same address", async (t) => {
  const { clients } = await controlledHosts(t, 3);
  const [root, leaf2, leaf3] = clients as [(typeof clients)[0], (typeof clients)[0], (typeof clients)[0]];
  const sap2 = await leaf2.registerSap({ policy: 'accept' });
  await leaf3.registerSap({ policy: 'accept' });
  const call = await root.makeCall({ parties: ['1002', '1002', '1003'] });
  t.true(call.parties.every((p) => p.status.name === 'SUCCESS'));

  // leaf 1002 now asks its user: one more party to 1002 waits there, beside the two it answered
  await leaf2.setIncomingPolicy({ sap: sap2.sap, policy: 'ask' });
  const events = await leaf2.subscribe();
  const offered = firstValueFrom(events.events$.pipe(filter((e): e is Extract<ControlEvent, { kind: 'incoming-call' }> => e.kind === 'incoming-call')));
  const adding = root.addParty({ vc: call.vc, address: '1002' });
  adding.catch(() => {}); // awaited below; a failure before then is the test's own
  const offer = await offered;

  const parties = await root.parties();
  t.is(parties.length, 4);
  const states = parties.map((p) => [p.address, p.uniState]);
  t.log(states);
  const active = states[0]![1];
  t.regex(String(active), /^P7\b/, 'the first party is active');
  t.deepEqual(states.slice(0, 3), [
    ['1002', active],
    ['1002', active],
    ['1003', active],
  ]);
  const waiting = parties[3]!;
  t.is(waiting.address, '1002');
  t.truthy(waiting.uniState, 'the waiting party has a Q.2971 state');
  t.notRegex(String(waiting.uniState), /^P7\b/, 'the party still being added is not active, whatever the other parties to its address are');

  // the VC table: the root's VC and its call's state
  const vcs = await root.vcs();
  const rootVc = vcs.find((v) => v.vc === call.vc);
  t.regex(String(rootVc?.call?.uniState), /^[UN]10 Active$/, 'the root call is active (U10 or N10: the side this host takes on the link)');

  // answered: now all four are active
  await leaf2.answerCall({ vc: offer.vc, accept: true });
  await adding;
  t.deepEqual(
    (await root.parties()).map((p) => p.uniState),
    Array(4).fill(active),
  );
});
