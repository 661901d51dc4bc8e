/**
 * Where the switch opens its UNI links: a port link plays the network side
 * towards a host; on a port configured `side: user` (IISP: a link to another
 * switch, which plays the network side there) it plays the user side. The
 * switch's call control (calls.ts) sees each link only through the UNI's port
 * (`UniPort`, src/uni/port.ts), as a host's call control does.
 */
import type { SchedulerLike } from 'rxjs';
import type { SaalService } from '../sscop/service.js';
import type { PeerId, UniTimers } from '../uni/api.js';
import type { Side } from '../uni/states.js';
import { defaultCodec } from '../uni/uni-codec.js';
import { UniLink } from '../uni/uni-link.js';
import type { LinkSink, UniPort } from '../uni/port.js';
import { resolveTimers } from '../uni/timers.js';

export type { CallOwner, LinkCall, LinkSink, UniPort } from '../uni/port.js';
export { ANSWER_LATER } from '../uni/port.js';

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
  return new UniLink({
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
