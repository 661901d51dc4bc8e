/**
 * switch/: the signalling ATM switch (docs/switch.md).
 *
 * - switch.ts    AtmSwitch: ports, routes, call control and fabric assembled
 * - switch-port.ts one port: a miniport, its hosts' SSCOP associations, discovery both ways
 * - guard.ts     the lab key (signed announcements) and the allow-list, as a host has them
 * - calls.ts     call control with only UNI legs (the network side on every port link), a user of
 *                call control's core (src/callcontrol/core.ts) as a host's call control is
 * - routes.ts    prefix routes, static and learned; longest prefix wins
 * - fabric.ts    the data plane: (port, host, VPI/VCI) -> hops, header rewrite, replication
 * - capture.ts   the switch's capture: one pcapng file, an interface per port
 */
export { AtmSwitch, createSwitch } from './switch.js';
export type { SwitchOptions, SwitchPortConfig, SwitchCounters } from './switch.js';
export { RouteTable, canonicalPrefix } from './routes.js';
export type { Route } from './routes.js';
export type * from './types.js';
export { openSwitchCapture } from './capture.js';
export type { SwitchCapture, SwitchCaptureHook } from './capture.js';
