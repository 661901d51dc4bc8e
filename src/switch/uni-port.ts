/**
 * The seam between the switch's call control and the UNI machinery of
 * src/uni: the part of one UNI link (src/uni/link.ts `Link`, the per-link
 * coordinator with its call and party machines, 5.6 checks, timers and
 * last-party rule) that the switch uses, and the one place such a link is
 * made. A port link plays the network side towards a host; on a port
 * configured `side: user` (IISP: a link to another switch, which plays the
 * network side there) it plays the user side.
 *
 * - setup(kind, SETUP, owner): a call out on this link (own call reference,
 *   VPI/VCI and, for 'root', the first endpoint reference)
 * - addParty(call, ADD PARTY): a further party on a call we root here
 * - leafAnswer(call, proceeding | alerting | connect): our answer to a SETUP
 * - callEventPublic(call, release-req | reject-req): clearing
 * - partyEventPublic(call, ep, alerting-req | ack-req | reject-req | drop-req): a party's answer or drop
 *
 * What comes back arrives through `LinkSink` (incoming SETUP / ADD PARTY, link
 * up and down) and each call's `CallOwner` (call and party indications).
 */
import type { SchedulerLike } from 'rxjs';
import type { SaalService } from '../sscop/service.js';
import type { PeerId, UniTimers } from '../uni/api.js';
import type { Side } from '../uni/states.js';
import { defaultCodec } from '../uni/codec.js';
import { Link, type LinkSink } from '../uni/link.js';
import { resolveTimers } from '../uni/timers.js';

export type { CallOwner, LinkCall, LinkSink } from '../uni/link.js';
export { ANSWER_LATER } from '../uni/link.js';

export type UniPort = Pick<
  Link,
  'peer' | 'side' | 'established' | 'state' | 'calls' | 'setup' | 'addParty' | 'leafAnswer' | 'callEventPublic' | 'partyEventPublic' | 'dispose'
>;

export function openUniPort(o: {
  peer: PeerId;
  saal: SaalService;
  sink: LinkSink;
  scheduler: SchedulerLike;
  timers?: Partial<UniTimers>;
  partiesPerCall: number;
  /** default 'network'; 'user' on an IISP port */
  side?: Side;
}): UniPort {
  const side = o.side ?? 'network';
  return new Link({
    peer: o.peer,
    saal: o.saal,
    side,
    timers: resolveTimers(side, o.timers),
    codec: defaultCodec,
    scheduler: o.scheduler,
    sink: o.sink,
    partiesPerCall: o.partiesPerCall,
  });
}
