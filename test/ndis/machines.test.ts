/** The state-machine tables and guards of machines.ts: the CoNDIS VC, call and party transitions (docs/ndis-api.md). */
import test from 'ava';
import {
  CALL_TRANSITIONS,
  PARTY_TRANSITIONS,
  VC_TRANSITIONS,
  callMayMove,
  closeCallRefusal,
  deleteVcRefusal,
  dropPartyRefusal,
  partyMayMove,
  sendRefusal,
  vcMayMove,
} from '../../src/ndis/machines.js';
import { NdisStatus as S } from '../../src/ndis/status.js';

test('VC: deletion only from CREATED or DEACTIVATED; DELETED is terminal', (t) => {
  for (const [from, tos] of Object.entries(VC_TRANSITIONS)) t.is(tos.includes('DELETED'), from === 'CREATED' || from === 'DEACTIVATED', from);
  t.deepEqual(VC_TRANSITIONS.DELETED, []);
  t.true(vcMayMove('DEACTIVATING', 'DEACTIVATED'));
  t.false(vcMayMove('DEACTIVATING', 'ACTIVE'));
  t.true(vcMayMove('ACTIVE', 'ACTIVE'), 're-activation');
});

test('call: only MAKING, OFFERED lead out of IDLE; a close request ends in IDLE or goes back', (t) => {
  t.deepEqual([...CALL_TRANSITIONS.IDLE].sort(), ['MAKING', 'OFFERED']);
  t.true(callMayMove('CLOSE_REQUESTED', 'IDLE'));
  t.true(callMayMove('CLOSE_REQUESTED', 'CONNECTED'), 'A9');
  t.false(callMayMove('CLOSE_INDICATED', 'CONNECTED'));
  t.false(callMayMove('MAKING', 'CLOSE_REQUESTED'));
});

test('party: DROPPED is terminal and reached only by add failure, drop or close', (t) => {
  t.deepEqual(PARTY_TRANSITIONS.DROPPED, []);
  const into = Object.entries(PARTY_TRANSITIONS).filter(([, tos]) => tos.includes('DROPPED')).map(([f]) => f).sort();
  t.deepEqual(into, ['ADDING', 'CLOSING', 'DROPPING']);
  t.true(partyMayMove('DROPPING', 'CONNECTED'), 'A15');
  t.false(partyMayMove('ADDING', 'DROPPING'), 'R54');
});

test('guards answer with the statuses of the spec', (t) => {
  t.is(dropPartyRefusal('CONNECTED', []), S.FAILURE, 'R51 last party');
  t.is(dropPartyRefusal('CONNECTED', ['DROPPING']), S.FAILURE, 'a party being dropped does not count');
  t.is(dropPartyRefusal('CONNECTED', ['ADDING']), undefined, 'R54 one being added does');
  t.is(dropPartyRefusal('ADDING', ['CONNECTED']), S.INVALID_STATE);
  t.is(closeCallRefusal('CONNECTED', true, 'CONNECTED', ['CONNECTED', 'ADDING']), S.INVALID_STATE, 'R55');
  t.is(closeCallRefusal('CONNECTED', true, 'none', ['CONNECTED']), S.FAILURE);
  t.is(closeCallRefusal('CONNECTED', false, 'none', []), undefined);
  t.is(closeCallRefusal('MAKING', false, 'none', []), S.INVALID_STATE);
  t.is(deleteVcRefusal('ACTIVE', 'CONNECTED', 0), S.NOT_ACCEPTED);
  t.is(deleteVcRefusal('DEACTIVATING', 'CLOSE_REQUESTED', 0), S.CLOSING);
  t.is(deleteVcRefusal('DEACTIVATED', 'IDLE', 0), undefined);
  t.is(sendRefusal('ACTIVE', 'ACCEPTED'), S.VC_NOT_ACTIVATED, 'R33');
  t.is(sendRefusal('CLOSING', 'CLOSE_INDICATED'), S.CLOSING, 'R78');
  t.is(sendRefusal('ACTIVE', 'CONNECTED'), undefined);
});
