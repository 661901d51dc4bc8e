/**
 * uni/: Q.2931 call control and Q.2971 party control over one or more links.
 * `createUniHost` is the service `ndis/` uses (api.ts).
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
export { Link, LinkCall, MAX_CALL_REF, MAX_EPREF } from './link.js';
