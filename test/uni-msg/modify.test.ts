/**
 * Q.2963.1 connection modification in the codec: the four message types,
 * their mandatory IEs, the broadband report type IE, golden octets of a
 * MODIFY REQUEST, and the peak cell rate rules of the traffic descriptor.
 */
import test from 'ava';
import {
  IeId,
  MsgType,
  checkMessage,
  decodeMessage,
  describeMessage,
  encodeMessage,
  messageName,
  modifyTrafficDescriptor,
  modifyTrafficProblem,
  msgDecl,
  pcrProblem,
  peakCellRates,
  withPeakCellRates,
  type UniMessage,
} from '../../src/uni/msg/index.js';

const cause47 = { id: IeId.CAUSE as const, location: 0, cause: 47, diagnostic: Buffer.alloc(0) };

test('message types and names: MODIFY REQUEST 0x88, ACKNOWLEDGE 0x89, REJECT 0x8a, CONNECTION AVAILABLE 0x8b', (t) => {
  t.is(MsgType.MODIFY_REQUEST, 0x88);
  t.is(MsgType.MODIFY_ACKNOWLEDGE, 0x89);
  t.is(MsgType.MODIFY_REJECT, 0x8a);
  t.is(MsgType.CONNECTION_AVAILABLE, 0x8b);
  t.is(messageName(0x88), 'MODIFY REQUEST');
  t.is(messageName(0x89), 'MODIFY ACKNOWLEDGE');
  t.is(messageName(0x8a), 'MODIFY REJECT');
  t.is(messageName(0x8b), 'CONNECTION AVAILABLE');
  t.is(IeId.BROADBAND_REPORT_TYPE, 0x89);
});

test('mandatory IEs: traffic descriptor in MODIFY REQUEST, cause in MODIFY REJECT, none in the other two', (t) => {
  t.deepEqual(msgDecl(MsgType.MODIFY_REQUEST)!.mandatory, [IeId.ATM_TRAFFIC_DESCRIPTOR]);
  t.deepEqual(msgDecl(MsgType.MODIFY_REJECT)!.mandatory, [IeId.CAUSE]);
  t.deepEqual(msgDecl(MsgType.MODIFY_ACKNOWLEDGE)!.mandatory, []);
  t.deepEqual(msgDecl(MsgType.CONNECTION_AVAILABLE)!.mandatory, []);
  const bare = (type: number): UniMessage => ({ type, callRef: 5, callRefFlag: false, ies: [] });
  t.deepEqual(checkMessage(bare(MsgType.MODIFY_REQUEST)).missing, [IeId.ATM_TRAFFIC_DESCRIPTOR]);
  t.deepEqual(checkMessage(bare(MsgType.MODIFY_REJECT)).missing, [IeId.CAUSE]);
  t.deepEqual(checkMessage(bare(MsgType.MODIFY_ACKNOWLEDGE)).missing, []);
  t.deepEqual(checkMessage(bare(MsgType.CONNECTION_AVAILABLE)).missing, []);
  // report type is allowed in MODIFY ACKNOWLEDGE and CONNECTION AVAILABLE, not in MODIFY REQUEST
  const req: UniMessage = { ...bare(MsgType.MODIFY_REQUEST), ies: [modifyTrafficDescriptor({ forward: 1000 }), { id: IeId.BROADBAND_REPORT_TYPE, reportType: 1 }] };
  const d = decodeMessage(encodeMessage(req));
  t.true(d.ok);
  if (d.ok) t.deepEqual(checkMessage(d.value).unrecognized.map((u) => u.id), [IeId.BROADBAND_REPORT_TYPE]);
});

test('golden octets: MODIFY REQUEST with forward and backward PCR CLP=0+1', (t) => {
  const m: UniMessage = { type: MsgType.MODIFY_REQUEST, callRef: 0x12, callRefFlag: false, ies: [modifyTrafficDescriptor({ forward: 2000, backward: 0x010203 })] };
  const hex = encodeMessage(m).toString('hex');
  // header: PD 09, CR length 3, CR 000012, type 88, ext 80, length 000c; IE 59 80 0008: 84 0007d0 85 010203
  t.is(hex, '0903000012888000' + '0c' + '59800008' + '840007d0' + '85010203');
});

test('round trip: each of the four messages with its IEs, described by name', (t) => {
  const msgs: UniMessage[] = [
    { type: MsgType.MODIFY_REQUEST, callRef: 7, callRefFlag: false, ies: [modifyTrafficDescriptor({ forward: 1, backward: 0xffffff })] },
    {
      type: MsgType.MODIFY_ACKNOWLEDGE,
      callRef: 7,
      callRefFlag: true,
      ies: [{ id: IeId.BROADBAND_REPORT_TYPE, reportType: 1 }, modifyTrafficDescriptor({ forward: 5000 })],
    },
    { type: MsgType.MODIFY_REJECT, callRef: 7, callRefFlag: true, ies: [cause47] },
    { type: MsgType.CONNECTION_AVAILABLE, callRef: 7, callRefFlag: false, ies: [{ id: IeId.NOTIFICATION_INDICATOR, content: Buffer.from([1]) }] },
  ];
  for (const m of msgs) {
    const d = decodeMessage(encodeMessage(m));
    t.true(d.ok);
    if (!d.ok) continue;
    t.deepEqual(d.value, m);
    t.deepEqual(checkMessage(d.value), { missing: [], unrecognized: [], errored: [] });
  }
  t.is(describeMessage(msgs[1]!), 'MODIFY ACKNOWLEDGE cr 7 (to origin) [report type modification confirmation; traffic 0x84=5000]');
  t.regex(describeMessage(msgs[2]!), /^MODIFY REJECT cr 7 \(to origin\) \[cause 47 /);
});

test('report type IE: one octet; longer contents are a content error', (t) => {
  const good = Buffer.from('0903000007898000' + '05' + '89800001' + '01', 'hex');
  const d = decodeMessage(good);
  t.true(d.ok);
  if (d.ok) t.deepEqual(d.value.ies, [{ id: IeId.BROADBAND_REPORT_TYPE, reportType: 1 }]);
  const long = Buffer.from('0903000007898000' + '06' + '89800002' + '0101', 'hex');
  const e = decodeMessage(long);
  t.true(e.ok);
  if (e.ok) t.deepEqual(e.value.errored?.map((x) => [x.id, x.problem]), [[IeId.BROADBAND_REPORT_TYPE, 'ie-too-long']]);
});

test('peak cell rate rules: only PCR CLP=0+1, each once, at least one, 1..2^24-1, no best effort or TM options', (t) => {
  t.is(modifyTrafficProblem(modifyTrafficDescriptor({ forward: 10 })), undefined);
  t.is(modifyTrafficProblem(modifyTrafficDescriptor({ backward: 10 })), undefined);
  t.is(modifyTrafficProblem(modifyTrafficDescriptor({ forward: 10, backward: 20 })), undefined);
  const td = (fields: { id: number; value: number }[], extra: object = {}) => ({ id: IeId.ATM_TRAFFIC_DESCRIPTOR as const, fields, bestEffort: false, ...extra });
  t.regex(modifyTrafficProblem(td([]))!, /no peak cell rate/);
  t.regex(modifyTrafficProblem(td([{ id: 0x90, value: 5 }]))!, /0x90 is not a peak cell rate/);
  t.regex(modifyTrafficProblem(td([{ id: 0x82, value: 5 }]))!, /0x82/);
  t.regex(modifyTrafficProblem(td([{ id: 0x84, value: 5 }, { id: 0x84, value: 6 }]))!, /twice/);
  t.regex(modifyTrafficProblem(td([{ id: 0x84, value: 0 }]))!, /forward peak cell rate 0/);
  t.regex(modifyTrafficProblem(td([{ id: 0x84, value: 5 }], { bestEffort: true }))!, /best-effort/);
  t.regex(modifyTrafficProblem(td([{ id: 0x85, value: 5 }], { tmOptions: 1 }))!, /management/);
  t.regex(pcrProblem({ forward: 0x1000000 })!, /1\.\.16777215/);
  t.regex(pcrProblem({ backward: 1.5 })!, /backward/);
  t.regex(pcrProblem({})!, /no peak cell rate/);
});

test('peak cell rates read and replaced: other subfields and the best-effort indicator are kept', (t) => {
  const call = { id: IeId.ATM_TRAFFIC_DESCRIPTOR as const, fields: [{ id: 0x84, value: 100 }, { id: 0x85, value: 200 }, { id: 0x90, value: 50 }], bestEffort: true };
  t.deepEqual(peakCellRates(call), { forward: 100, backward: 200 });
  t.deepEqual(peakCellRates(undefined), {});
  const next = withPeakCellRates(call, { forward: 300 });
  t.deepEqual(next.fields, [{ id: 0x84, value: 300 }, { id: 0x85, value: 200 }, { id: 0x90, value: 50 }]);
  t.true(next.bestEffort);
  t.deepEqual(call.fields[0], { id: 0x84, value: 100 }, 'the old record is not changed');
  const added = withPeakCellRates({ id: IeId.ATM_TRAFFIC_DESCRIPTOR, fields: [{ id: 0x90, value: 50 }], bestEffort: false }, { forward: 1, backward: 2 });
  t.deepEqual(added.fields, [{ id: 0x84, value: 1 }, { id: 0x90, value: 50 }, { id: 0x85, value: 2 }]);
});
