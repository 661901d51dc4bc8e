/**
 * uni/: Q.2931 call control and Q.2971 party control on each link, and the contract (api.ts) of the
 * service `ndis/` uses; call control across links (`createCallControl`) is one layer up, in src/callcontrol/.
 *
 * Layout
 * - call.ts   the call machine (one Q.2931 call on one link), pure: stepCall(state, event) -> {state, effects}
 * - party.ts  the party machine (one endpoint reference), pure: stepParty(state, event) -> {state, effects}
 * - states.ts U0..U12 / N0..N12 codes from one phase per call and the side we play; P0..P7
 * - timers.ts defaults (NgATM/Q.2931, T310/T399 by side) and retry counts
 * - link-core.ts  the per-link records and machinery: call references, VCIs and endpoint references, sending,
 *             call and party machines with their effects and timers, the last-party rule, STATUS replies
 * - uni-link.ts   per-link coordinator on link-core.ts: CU0..CU3 with SSCOP loss and T309, dispatch by call reference;
 *             it carries out verify.ts (Q.2931 5.6 / Q.2971 9.5 checks) and restart.ts (RESTART, a pure step)
 * - port.ts   UniPort: what call control may ask of a link, what the link tells it, the call/party records
 * - uni-codec.ts  the one place the binary codec (msg/) is used
 *
 * Choices worth knowing
 * - SSCOP lost (Q.2931 5.5.6, both sides): calls not yet active, and the parties of active multipoint calls that are
 *   not active, are cleared locally at once (cause 27); active calls wait, T309 starts and the link is re-established
 *   (again after each failed attempt) before `link-down` (with the number kept) goes up. Back before T309 expires: the
 *   calls go on, nothing is told above, and each call gets a STATUS ENQUIRY (also after an SSCOP resynchronisation or
 *   recovery) whose answer is handled per 5.6.11 (Null: released locally, 101; impossible state: cleared, 101). T309
 *   expiry clears the kept calls locally with cause 27. A release we asked for clears every call at once.
 * - A received RESTART releases the affected calls locally, tells the host, and is acknowledged at once; with
 *   `manualRestartAck` the host answers with restartAcknowledge(peer) within T317. Our own RESTART runs under T316.
 * - A leaf host answers an ADD PARTY for one of its own addresses itself (ADD PARTY ACK): another endpoint of this
 *   host joins the VC the call already delivers. Such parties are host parties; their DROP PARTY gives `party-dropped`.
 * - Close data moves into the RELEASE when a drop (ours or the peer's) is the last party on its link, both ways.
 * - dropParty of the call's last party releases the call (`release-confirm`); reject gives `release-confirm` too.
 * - One STATUS ENQUIRY per call at a time; a second request is refused (wrong-state) rather than queued.
 * - Parties added for a link whose SETUP is still outstanding wait for it and go as ADD PARTY once it is active.
 */
export type * from './api.js';
export { binaryCodec, defaultCodec } from './uni-codec.js';
export type { UniCodec } from './uni-codec.js';
export { defaultTimers, resolveTimers } from './timers.js';
export { PartyState, callStateCode } from './states.js';
export { stepCall, newCall } from './call.js';
export { stepParty, newParty } from './party.js';
export { ANSWER_LATER, coordinator, UniLink, LinkCall, MAX_CALL_REF, MAX_EPREF } from './uni-link.js';
export type { UniPort, LinkSink, CallOwner } from './port.js';
