/**
 * callcontrol/: call control above the UNIs (NgATM's api/cc_conn.c has the same job). It owns the host's
 * calls and parties across links (a multipoint call this host roots has one leg per link), answers for
 * the host's own addresses, queues indications per unit of work, and offers the result to the NDIS call
 * manager as the `UniHost` service of src/uni/api.ts. It talks to each link only through the UNI's port
 * (`UniPort`, src/uni/port.ts).
 *
 * - core.ts          CallCore: what every user of call control keeps (links, calls, legs, parties);
 *                    its users are CallControl here and the switch's SwitchCalls (src/switch/calls.ts)
 * - call-control.ts  CallControl: a host's calls, the requests of the layer above, what the links report
 * - legs.ts          a call's share of one link call, for both users
 * - model.ts         the records: host calls, their legs (one per link) and host parties
 * - modify.ts        Q.2963.1 modification across the legs of a point-to-point call
 */
export { createCallControl, CallControl } from './call-control.js';
export type { CallControlConfig } from './call-control.js';
