/**
 * uni/: Q.2931 call control and Q.2971 party control over one or more links.
 * `createUniHost` is the service `ndis/` uses (api.ts).
 *
 * Layout
 * - call.ts   the call machine (one Q.2931 call on one link), pure: stepCall(state, event) -> {state, effects}
 * - party.ts  the party machine (one endpoint reference), pure: stepParty(state, event) -> {state, effects}
 * - states.ts U0..U12 / N0..N12 codes from one phase per call and the side we play; P0..P7
 * - timers.ts defaults (NgATM/Q.2931, T310/T399 by side) and retry counts
 * - link.ts   per-link coordinator: CU0..CU3, call references and VCIs, the global call reference (RESTART),
 *             the Q.2931 5.6 / Q.2971 9.5 checks, the last-party rule, timers on the injected scheduler
 * - host.ts   UniHost: host calls spanning links (fan-out for multipoint roots), indications queued per unit of work
 * - codec.ts  the one place the binary codec (msg/) is used
 *
 * Choices worth knowing
 * - SSCOP lost: every call on the link is cleared locally (cause 27) before `link-down`; calls do not wait out T309.
 *   When SSCOP comes back under live calls (resynchronisation), each call gets a STATUS ENQUIRY.
 * - A received RESTART releases the affected calls locally, tells the host, and is acknowledged at once; with
 *   `manualRestartAck` the host answers with restartAcknowledge(peer) within T317. Our own RESTART runs under T316.
 * - A leaf host answers an ADD PARTY for one of its own addresses itself (ADD PARTY ACK): another endpoint of this
 *   host joins the VC the call already delivers. Such parties are host parties; their DROP PARTY gives `party-dropped`.
 * - Close data moves into the RELEASE when a drop (ours or the peer's) is the last party on its link, both ways.
 * - dropParty of the call's last party releases the call (`release-confirm`); reject gives `release-confirm` too.
 * - One STATUS ENQUIRY per call at a time; a second request is refused (wrong-state) rather than queued.
 * - Parties added for a link whose SETUP is still outstanding wait for it and go as ADD PARTY once it is active.
 */
export { createUniHost, Host } from './host.js';
export type { UniHostConfig } from './host.js';
export type * from './api.js';
export { binaryCodec, defaultCodec } from './codec.js';
export type { UniCodec } from './codec.js';
export { defaultTimers, resolveTimers } from './timers.js';
export { PartyState, callStateCode } from './states.js';
export { stepCall, newCall } from './call.js';
export { stepParty, newParty } from './party.js';
export { ANSWER_LATER, Link, LinkCall, MAX_CALL_REF, MAX_EPREF } from './link.js';
