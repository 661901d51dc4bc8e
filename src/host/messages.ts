/**
 * Signalling messages as control events: every Q.2931/Q.2971 message a host
 * sends or receives on a link, summed up in a few fields (type name, call and
 * endpoint reference, cause, close data, called number) for live views such as
 * `npm run lab -- view`. The UNI layer is not touched: each link's paths report
 * the SDUs crossing them, as steps of their own (`messagesIn` on the way up,
 * link-pipeline.ts; `messagesOut` on the way down, link-down-path.ts).
 */
import type { Mac } from '../common/mac.js';
import { addressOf } from '../uni/call-ies.js';
import { causeName, decodeMessage, findIe, IeId, messageName } from '../uni/msg/index.js';

/** one signalling message on a link, as the `message` control event carries it */
export interface MessageEvent {
  kind: 'message';
  /** out: this host sent it; in: this host received it */
  direction: 'in' | 'out';
  /** the peer's MAC (the other end of the link) */
  peer: Mac;
  /** message type name, e.g. "SETUP", "DROP PARTY" */
  type: string;
  callRef: number;
  /** call reference flag as on the wire (false: sent by the side that allocated the call reference) */
  callRefFlag: boolean;
  /** endpoint reference value (multipoint calls) */
  epref?: number;
  cause?: number;
  causeName?: string;
  /** User-user IE octets: close data on RELEASE / DROP PARTY, user-user information on SETUP */
  closeData?: Buffer;
  /** the called party number (SETUP, ADD PARTY) */
  called?: string;
}

/** the summary of one encoded message; undefined when it does not decode (the UNI's error procedures deal with it) */
export function summarizeMessage(direction: 'in' | 'out', peer: Mac, sdu: Buffer): MessageEvent | undefined {
  const r = decodeMessage(sdu);
  if (!r.ok) return undefined;
  const m = r.value;
  const ev: MessageEvent = { kind: 'message', direction, peer, type: messageName(m.type), callRef: m.callRef, callRefFlag: m.callRefFlag };
  const ep = findIe(m, IeId.ENDPOINT_REFERENCE);
  if (ep) ev.epref = ep.value;
  const cause = findIe(m, IeId.CAUSE);
  if (cause) {
    ev.cause = cause.cause;
    ev.causeName = causeName(cause.cause);
  }
  const uu = findIe(m, IeId.USER_USER);
  if (uu) ev.closeData = Buffer.from(uu.data);
  const called = findIe(m, IeId.CALLED_PARTY_NUMBER);
  if (called) ev.called = addressOf(called);
  return ev;
}
