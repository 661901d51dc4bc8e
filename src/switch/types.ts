/**
 * What the switch's parts share: the log they write to, and the views of the
 * switch's state that status displays and the control socket read.
 */
import type { Mac } from '../common/mac.js';
import type { AtmAddress } from '../uni/api.js';

/** The few log calls the switch makes; pino's logger fits. */
export interface SwitchLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export const silentLog: SwitchLog = { info() {}, warn() {}, debug() {} };

/** One Q.2931 call on one port link, as a status display shows it. */
export interface SwitchLegView {
  port: string;
  peer: Mac;
  /** the leg towards the caller (point-to-point) or the root (point-to-multipoint) */
  inbound: boolean;
  callRef: number;
  state: string;
  vpi?: number;
  vci?: number;
}

export interface SwitchPartyView {
  /** the endpoint reference on the root's link */
  rootEpref: number;
  called: AtmAddress;
  phase: 'adding' | 'alerting' | 'active' | 'dropping';
  /** where the party is: port, host and endpoint reference there (absent while it waits for its link's SETUP) */
  port?: string;
  peer?: Mac;
  epref?: number;
}

export interface SwitchCallView {
  call: number;
  multipoint: boolean;
  called: AtmAddress;
  calling?: AtmAddress;
  legs: SwitchLegView[];
  parties: SwitchPartyView[];
}

export interface SwitchRouteView {
  prefix: string;
  port: string;
  peer?: Mac;
  source: 'static' | 'learned';
}

export interface SwitchPortView {
  name: string;
  miniport: string;
  mac: Mac;
  /** the UNI side the switch plays on this port: network towards hosts, user on an IISP link to another switch */
  side: 'network' | 'user';
  hosts: { mac: Mac; name?: string; addresses: AtmAddress[]; source: 'static' | 'discovery'; sscop?: string; uni?: string }[];
}

export interface SwitchSnapshot {
  name: string;
  ports: SwitchPortView[];
  routes: SwitchRouteView[];
  calls: SwitchCallView[];
}

/** What the switch tells listeners (the control socket's event stream). */
export type SwitchEvent =
  | { kind: 'switch-route'; port: string; peer: Mac; addresses: AtmAddress[] }
  | { kind: 'switch-link'; port: string; peer: Mac; up: boolean; reason?: string }
  | { kind: 'switch-call'; call: number; change: 'setup' | 'connected' | 'cleared'; called: AtmAddress; cause?: number }
  | { kind: 'switch-party'; call: number; rootEpref: number; change: 'adding' | 'added' | 'rejected' | 'dropped'; called: AtmAddress; cause?: number }
  | { kind: 'switch-no-route'; port: string; peer: Mac; called: AtmAddress };
