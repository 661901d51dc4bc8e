import test from 'ava';
import { NdisStatus, causeFromStatus, failureFromCause, statusFromCause, statusKey, statusName } from '../../src/ndis/status.js';
import { CallFlags, MediaFlags, NDIS_AF, Q2931_AF } from '../../src/ndis/types.js';

test('status values are the ndis.h numbers', (t) => {
  t.is(NdisStatus.SUCCESS, 0);
  t.is(NdisStatus.PENDING, 0x103);
  t.is(NdisStatus.NOT_ACCEPTED, 0x00010003);
  t.is(NdisStatus.FAILURE, 0xc0000001);
  t.is(NdisStatus.RESOURCES, 0xc000009a);
  t.is(NdisStatus.NOT_SUPPORTED, 0xc00000bb);
  t.is(NdisStatus.CLOSING, 0xc0010002);
  t.is(NdisStatus.INVALID_DATA, 0xc0010015);
  t.is(NdisStatus.INVALID_SAP, 0xc0010020);
  t.is(NdisStatus.VC_NOT_ACTIVATED, 0xc0010023);
  t.is(NdisStatus.DEST_OUT_OF_ORDER, 0xc0010024);
  t.is(NdisStatus.NO_ROUTE_TO_DESTINATION, 0xc0010029);
});

test('every status has a printable name; unknown values print as hex', (t) => {
  t.is(statusName(NdisStatus.INVALID_DATA), 'NDIS_STATUS_INVALID_DATA (0xc0010015)');
  t.is(statusKey(NdisStatus.PENDING), 'PENDING');
  t.is(statusName(0x12345678), '0x12345678');
  const values = Object.values(NdisStatus);
  t.is(new Set(values).size, values.length, 'no two names share a value');
});

test('Q.2931 causes map to statuses as the ndis.h comments say', (t) => {
  t.is(statusFromCause(27), NdisStatus.DEST_OUT_OF_ORDER);
  t.is(statusFromCause(3), NdisStatus.NO_ROUTE_TO_DESTINATION);
  t.is(statusFromCause(35), NdisStatus.VC_NOT_AVAILABLE);
  t.is(statusFromCause(45), NdisStatus.VC_NOT_AVAILABLE);
  t.is(statusFromCause(37), NdisStatus.CELLRATE_NOT_AVAILABLE);
  t.is(statusFromCause(49), NdisStatus.INCOMPATABLE_QOS);
  t.is(statusFromCause(93), NdisStatus.AAL_PARAMS_UNSUPPORTED);
  t.is(statusFromCause(16), NdisStatus.SUCCESS);
  t.is(statusFromCause(31), NdisStatus.SUCCESS);
  t.is(failureFromCause(16), NdisStatus.FAILURE, 'a failed request never reports SUCCESS');
  t.is(causeFromStatus(NdisStatus.SUCCESS), 16);
  t.is(statusFromCause(causeFromStatus(NdisStatus.VC_NOT_AVAILABLE)), NdisStatus.VC_NOT_AVAILABLE);
});

test('structure constants are the ndis.h values', (t) => {
  t.is(CallFlags.MULTIPOINT_VC, 0x10);
  t.is(CallFlags.CALL_PARAMETERS_CHANGED, 0x2);
  t.is(MediaFlags.ROUND_UP_FLOW, 0x100);
  t.is(NDIS_AF.CO_ADDRESS_FAMILY_Q2931, 1);
  t.is(NDIS_AF.CO_ADDRESS_FAMILY_TAPI_PROXY, 0x801);
  t.deepEqual({ ...Q2931_AF }, { addressFamily: 1, majorVersion: 3, minorVersion: 1 });
});
