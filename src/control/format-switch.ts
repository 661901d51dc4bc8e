/**
 * condisctl's text for a switch daemon: its ports and their hosts, routes,
 * calls (one line per leg) and parties, and one line per switch event.
 */
import type { SwitchCallView, SwitchEvent, SwitchLegView, SwitchSnapshot } from '../switch/types.js';
import { causeName } from '../uni/msg/names.js';
import { table } from './table.js';

export function switchReport(s: SwitchSnapshot): string {
  const hosts = s.ports.flatMap((p) =>
    p.hosts.length === 0
      ? [[p.name, p.miniport, p.mac, p.side, undefined, undefined, undefined, undefined, undefined]]
      : p.hosts.map((h) => [p.name, p.miniport, p.mac, p.side, h.mac, h.name, h.addresses.join(','), h.sscop, h.uni]),
  );
  const legs = s.calls.flatMap((c) =>
    c.legs.map((l) => [c.call, c.multipoint ? 'p2mp' : 'p2p', l.inbound ? 'in' : 'out', l.port, l.peer, l.callRef, l.state, l.vci !== undefined ? `${l.vpi}/${l.vci}` : undefined, legAddress(c, l)]),
  );
  const parties = s.calls.flatMap((c) => c.parties.map((p) => [c.call, p.rootEpref, p.called, p.phase, p.port, p.peer, p.epref]));
  return [
    `switch ${s.name}: ${s.ports.length} port(s), ${s.routes.length} route(s), ${s.calls.length} call(s)`,
    '',
    'SWITCH PORTS',
    table(['PORT', 'MINIPORT', 'MAC', 'SIDE', 'HOST', 'NAME', 'ADDRESSES', 'SSCOP', 'UNI'], hosts),
    '',
    'ROUTES',
    s.routes.length ? table(['PREFIX', 'PORT', 'HOST', 'SOURCE'], s.routes.map((r) => [r.prefix === '' ? '*' : r.prefix, r.port, r.peer, r.source])) : '(no routes)',
    '',
    'SWITCH CALLS',
    legs.length ? table(['CALL', 'KIND', 'LEG', 'PORT', 'HOST', 'CALL REF', 'STATE', 'VPI/VCI', 'ADDRESS'], legs) : '(no calls)',
    '',
    'SWITCH PARTIES',
    parties.length ? table(['CALL', 'ROOT EPREF', 'CALLED', 'PHASE', 'PORT', 'HOST', 'EPREF'], parties) : '(no parties)',
  ].join('\n');
}

/**
 * The address a leg serves: the caller's on the inbound leg; on an outgoing leg of a
 * point-to-multipoint call, the called addresses of the parties on that leg (each leaf
 * its own, several when one host holds several parties); a point-to-point call's
 * outgoing leg serves the call's called address.
 */
function legAddress(c: SwitchCallView, l: SwitchLegView): string | undefined {
  if (l.inbound) return c.calling;
  if (!c.multipoint) return c.called;
  const here = c.parties.filter((p) => p.port === l.port && p.peer === l.peer).map((p) => p.called);
  return here.length ? [...new Set(here)].join(',') : undefined;
}

function cause(c?: number): string {
  return c === undefined ? '' : `: ${causeName(c)} (${c})`;
}

export function switchEventText(e: SwitchEvent): string {
  switch (e.kind) {
    case 'switch-route':
      return `switch: host ${e.peer} on port ${e.port} ${e.addresses.length ? `announces ${e.addresses.join(', ')}` : 'has no addresses any more'}`;
    case 'switch-link':
      return `switch: port ${e.port} link to ${e.peer} ${e.up ? 'up' : 'down'}${e.reason ? `: ${e.reason}` : ''}`;
    case 'switch-call':
      return `switch: call ${e.call} to ${e.called} ${e.change}${cause(e.cause)}`;
    case 'switch-party':
      return `switch: call ${e.call} party ${e.rootEpref} (${e.called}) ${e.change}${cause(e.cause)}`;
    case 'switch-no-route':
      return `switch: no route to ${e.called || '(no address)'} (from ${e.peer} on port ${e.port}): refused with cause 3`;
  }
}
