/**
 * Q.2931 message codec throughput: SETUP (p2mp, 9 IEs), RELEASE (cause + close
 * data) and DROP PARTY (cause, endpoint reference, close data) encoded and
 * decoded per second, and decode alone, each next to `Buffer.from` of the
 * same bytes measured in the same run, so the ratio reads the same on any
 * machine. `npm run bench -- --only codec`.
 */
import { IeId, MsgType, decodeMessage, encodeMessage, type UniMessage } from '../src/uni/msg/index.js';
import { bestOf } from './measure.js';
import type { BenchFigure } from './run.js';


let sink = 0;


const aesa = (last: number) => Buffer.from([0x47, 0, 5, 0x80, 0xff, 0xe1, 0, 0, 0, 0xf2, 0x1a, 0x2b, 0x3c, 0, 0x11, 0x22, 0x33, 0x44, last, 0]);
const closeData = Buffer.from('condis-tap close data: the client said goodbye');

const SETUP: UniMessage = {
  type: MsgType.SETUP,
  callRef: 42,
  callRefFlag: false,
  ies: [
    { id: IeId.AAL_PARAMETERS, aalType: 5, fwdMaxSdu: 9188, bwdMaxSdu: 9188, sscsType: 0 },
    {
      id: IeId.ATM_TRAFFIC_DESCRIPTOR,
      fields: [
        { id: 0x84, value: 353207 },
        { id: 0x85, value: 0 },
      ],
      bestEffort: true,
    },
    { id: IeId.BROADBAND_BEARER_CAPABILITY, bearerClass: 0x10, transferCapability: 0x0a, clipping: 0, userPlane: 1 },
    { id: IeId.CALLED_PARTY_NUMBER, typeOfNumber: 0, plan: 2, address: aesa(0x55) },
    { id: IeId.CALLING_PARTY_NUMBER, typeOfNumber: 0, plan: 2, presentation: 0, screening: 0, address: aesa(0x66) },
    { id: IeId.CONNECTION_IDENTIFIER, vpAssociated: 1, exclusive: 0, vpci: 0, vci: 32 },
    { id: IeId.QOS_PARAMETER, forwardClass: 0, backwardClass: 0 },
    { id: IeId.BROADBAND_SENDING_COMPLETE },
    { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 0 },
  ],
};

const RELEASE: UniMessage = {
  type: MsgType.RELEASE,
  callRef: 42,
  callRefFlag: true,
  ies: [
    { id: IeId.CAUSE, location: 0, cause: 16, diagnostic: Buffer.alloc(0) },
    { id: IeId.USER_USER, protocol: 0, data: closeData },
  ],
};

const DROP_PARTY: UniMessage = {
  type: MsgType.DROP_PARTY,
  callRef: 42,
  callRefFlag: false,
  ies: [
    { id: IeId.CAUSE, location: 0, cause: 16, diagnostic: Buffer.alloc(0) },
    { id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value: 7 },
    { id: IeId.USER_USER, protocol: 0, data: closeData },
  ],
};


export async function benchCodec(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const rounds = opts.quick ? 3 : 8;
  const ms = opts.quick ? 60 : 150;
  const out: BenchFigure[] = [];
  for (const [label, msg] of [
    ['SETUP p2mp', SETUP],
    ['RELEASE + close data', RELEASE],
    ['DROP PARTY + close data', DROP_PARTY],
  ] as const) {
    const bytes = encodeMessage(msg);
    const baselineName = `Buffer.from copy of the same ${bytes.length} B`;
    const [copy, both, dec, enc] = bestOf(rounds, ms, [
      () => {
        sink += Buffer.from(bytes)[5];
      },
      () => {
        const r = decodeMessage(encodeMessage(msg));
        if (r.ok) sink += r.value.ies.length;
      },
      () => {
        const r = decodeMessage(bytes);
        if (r.ok) sink += r.value.ies.length;
      },
      () => {
        sink += encodeMessage(msg).length;
      },
    ]);
    out.push({ name: `encode+decode, ${label} (${bytes.length} B)`, value: both, unit: 'msgs/s', baseline: copy, baselineName });
    out.push({ name: `decode only, ${label}`, value: dec, unit: 'msgs/s', baseline: copy, baselineName });
    out.push({ name: `encode only, ${label}`, value: enc, unit: 'msgs/s', baseline: copy, baselineName });
  }
  if (sink === 0.5) console.log(sink); // keep the work observable
  return out;
}
