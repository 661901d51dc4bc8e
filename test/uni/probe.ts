/**
 * A UniHost on one side of a link and a bare probe on the other: the test
 * speaks Q.2931 records to the host and reads what it answers.
 */
import { Clock, makeHost, saalPair, type MemSaal, type TestHost } from './helpers.js';
import { encodeMessage } from '../../src/uni/msg/index.js';
import { IeId, MsgType, type InfoElement, type UniMessage } from '../../src/uni/msg/types.js';
import type { UniHostOptions } from '../../src/uni/api.js';
import type { CallPhase, Side } from '../../src/uni/states.js';

export const PROBE_MAC = '02:00:00:00:00:99';
export const HOST_MAC = '02:00:00:00:00:10';

export interface Probe {
  clock: Clock;
  h: TestHost;
  /** the host's end (its `sent` is what the host said) */
  sa: MemSaal;
  /** the probe's end */
  sp: MemSaal;
  side: Side;
  /** send a record to the host and let it answer; returns what it sent meanwhile */
  send(m: UniMessage): UniMessage[];
}

export function probe(side: Side, extra: Partial<UniHostOptions> = {}): Probe {
  const clock = new Clock();
  const h = makeHost(clock, HOST_MAC, ['1001', '1011'], { '9009': PROBE_MAC, '9019': PROBE_MAC }, extra);
  const [sa, sp] = saalPair(clock, 1);
  h.host.attachLink(PROBE_MAC, sa, side);
  clock.advance(1);
  return {
    clock,
    h,
    sa,
    sp,
    side,
    send(m) {
      const before = sa.sent.length;
      sp.data(encodeMessage(m));
      clock.advance(2);
      return sa.sent.slice(before);
    },
  };
}

export const ep = (value: number, flag: boolean): InfoElement => ({ id: IeId.ENDPOINT_REFERENCE, type: 0, flag, value });
export const cause = (c: number): InfoElement => ({ id: IeId.CAUSE, location: 0, cause: c, diagnostic: Buffer.alloc(0) });
export const connId = (vci: number): InfoElement => ({ id: IeId.CONNECTION_IDENTIFIER, vpAssociated: 1, exclusive: 0, vpci: 0, vci });

export function setupIes(multipoint: boolean, called = '1001', withConnId = true, epref = 0): InfoElement[] {
  const ies: InfoElement[] = [
    { id: IeId.AAL_PARAMETERS, aalType: 5, fwdMaxSdu: 1484, bwdMaxSdu: 1484, sscsType: 0 },
    { id: IeId.ATM_TRAFFIC_DESCRIPTOR, fields: [{ id: 0x84, value: 1000 }, { id: 0x85, value: 1000 }], bestEffort: true },
    { id: IeId.BROADBAND_BEARER_CAPABILITY, bearerClass: 0x10, clipping: 0, userPlane: multipoint ? 1 : 0 },
    { id: IeId.CALLED_PARTY_NUMBER, typeOfNumber: 1, plan: 1, address: Buffer.from(called) },
    { id: IeId.QOS_PARAMETER, forwardClass: 0, backwardClass: 0 },
  ];
  if (withConnId) ies.push(connId(40));
  if (multipoint) ies.push(ep(epref, false));
  return ies;
}

/** a call between host and probe, brought to a phase */
export interface Driven {
  p: Probe;
  cref: number;
  /** the flag the probe's messages on this call carry */
  flag: boolean;
  /** the first party's endpoint reference and the flag the probe uses for it */
  ep: number;
  epFlag: boolean;
  call: number;
}

export const PHASES: CallPhase[] = ['out-setup', 'out-proceeding', 'out-alerting', 'active', 'rel-sent', 'in-setup', 'in-proceeding', 'in-alerting', 'in-connect'];

/** `active` is reached as caller; `active-in` as called side */
export function drive(side: Side, multipoint: boolean, phase: CallPhase | 'active-in'): Driven {
  const p = probe(side);
  const outgoing = phase.startsWith('out-') || phase === 'active' || phase === 'rel-sent';
  const answerIes = (): InfoElement[] => [...(side === 'user' ? [connId(41)] : []), ...(multipoint ? [ep(0, true)] : [])];
  if (outgoing) {
    const r = p.h.host.setup({ called: '9009', multipoint });
    if (!r.ok) throw new Error(r.error.message);
    p.clock.advance(2);
    const s = p.sa.sent[0]!;
    const d: Driven = { p, cref: s.callRef, flag: true, ep: 0, epFlag: true, call: r.value.call };
    const m = (type: MsgType): UniMessage => ({ type, callRef: d.cref, callRefFlag: true, ies: answerIes() });
    if (phase === 'out-proceeding') p.send(m(MsgType.CALL_PROCEEDING));
    if (phase === 'out-alerting') p.send(m(MsgType.ALERTING));
    if (phase === 'active' || phase === 'rel-sent') p.send(m(MsgType.CONNECT));
    if (phase === 'rel-sent') {
      p.h.host.release(d.call);
      p.clock.advance(2);
    }
    return d;
  }
  p.send({ type: MsgType.SETUP, callRef: 500, callRefFlag: false, ies: setupIes(multipoint, '1001', side === 'user') });
  const s = p.h.of('setup')[0];
  if (!s) throw new Error(`no setup indication: ${JSON.stringify(p.h.ind)}`);
  const d: Driven = { p, cref: 500, flag: false, ep: 0, epFlag: false, call: s.call };
  if (phase === 'in-proceeding') p.h.host.proceeding(d.call);
  if (phase === 'in-alerting') p.h.host.alerting(d.call);
  if (phase === 'in-connect' || phase === 'active-in') p.h.host.accept(d.call);
  p.clock.advance(2);
  if (phase === 'active-in' && side === 'user') p.send({ type: MsgType.CONNECT_ACKNOWLEDGE, callRef: 500, callRefFlag: false, ies: [] });
  return d;
}
