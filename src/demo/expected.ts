/**
 * What the demo's captures must show, message by message, in both of its
 * forms: through a switch (the default: root -- switch -- leaves) and direct
 * (every host on one segment). The per-link sequences are written out; each
 * daemon's own capture and the switch's capture follow from them (what a
 * host sent on a link is `tx` in its capture, what it received `rx`).
 */
import type { CaptureExpectations } from './captures.js';

/** "RELEASE root>sw1 uu='bye'" -> the parts */
function parse(m: string): { type: string; from: string; to: string; uu: string } {
  const r = /^(.+) (\S+)>(\S+)((?: uu='.*')?)$/.exec(m);
  if (!r) throw new Error(`bad expected message ${m}`);
  return { type: r[1]!, from: r[2]!, to: r[3]!, uu: r[4]! };
}

/** each host's own capture, from the links: `tx TYPE` for what it sent, `rx TYPE` for what it received (close data is not read there) */
export function hostCapturesFromLinks(links: Record<string, string[]>, hosts: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.fromEntries(hosts.map((h) => [h, [] as string[]]));
  // in order only for hosts with one link (behind a switch, every host has one)
  for (const msgs of Object.values(links))
    for (const m of msgs) {
      const p = parse(m);
      out[p.from]?.push(`tx ${p.type}`);
      out[p.to]?.push(`rx ${p.type}`);
    }
  return out;
}

/** a switch's capture per port interface, from the links between the switch and the host on each port */
export function switchCaptureFromLinks(links: Record<string, string[]>, sw: string, portOf: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [link, msgs] of Object.entries(links)) {
    const host = link.split('-').find((x) => x !== sw)!;
    out[portOf[host]!] = msgs.map((m) => {
      const p = parse(m);
      return `${p.from === sw ? 'tx' : 'rx'} ${p.type}${p.uu}`;
    });
  }
  return out;
}

export interface SwitchDemoData {
  /** the close data of each step that carries some */
  leaf2bDrop: string;
  leaf2Drop: string;
  closeData: string;
  hangUp: string;
}

/**
 * Through the switch. root's link carries the whole multipoint call: SETUP,
 * ADD PARTY for each further party, DROP PARTY both ways with close data,
 * RELEASE with close data. leaf2 holds two addresses, so its link carries
 * two parties: the first arrives by SETUP, the second by ADD PARTY, and the
 * root's drop of the second crosses as DROP PARTY (the last one leaves by
 * RELEASE). A point-to-point call to leaf3 then has its peak cell rate
 * changed by root (MODIFY REQUEST, relayed by the switch) and refused by
 * leaf3, which closes it (MODIFY REJECT, then RELEASE).
 */
export function expectedThroughSwitch(sw: string, portOf: Record<string, string>, d: SwitchDemoData): CaptureExpectations {
  const connectIn = (h: string) => [`SETUP ${sw}>${h}`, `CONNECT ${h}>${sw}`, `CONNECT ACKNOWLEDGE ${sw}>${h}`];
  const callOut = [`SETUP root>${sw}`, `CALL PROCEEDING ${sw}>root`, `CONNECT ${sw}>root`, `CONNECT ACKNOWLEDGE root>${sw}`];
  const addParty = [`ADD PARTY root>${sw}`, `ADD PARTY ACKNOWLEDGE ${sw}>root`];
  const links: Record<string, string[]> = {
    [`root-${sw}`]: [
      ...callOut, // leaf1 by make call
      ...addParty, // leaf2's first address
      ...addParty, // leaf2's second address
      ...addParty, // leaf3
      `DROP PARTY ${sw}>root`, `DROP PARTY ACKNOWLEDGE root>${sw}`, // leaf3 leaves
      `DROP PARTY root>${sw} uu='${d.leaf2bDrop}'`, `DROP PARTY ACKNOWLEDGE ${sw}>root`, // root drops leaf2's second party
      `DROP PARTY root>${sw} uu='${d.leaf2Drop}'`, `DROP PARTY ACKNOWLEDGE ${sw}>root`, // ... and its first
      `RELEASE root>${sw} uu='${d.closeData}'`, `RELEASE COMPLETE ${sw}>root`, // root closes naming leaf1
      ...callOut, `RELEASE ${sw}>root uu='${d.hangUp}'`, `RELEASE COMPLETE root>${sw}`, // leaf1 hangs up a point-to-point call
      ...callOut, `MODIFY REQUEST root>${sw}`, `MODIFY REJECT ${sw}>root`, `RELEASE ${sw}>root`, `RELEASE COMPLETE root>${sw}`, // leaf3 refuses a new peak cell rate by closing
      ...callOut, `RELEASE ${sw}>root`, `RELEASE COMPLETE root>${sw}`, // leaf2 killed: the switch clears after T309
    ],
    [`${sw}-leaf1`]: [
      ...connectIn('leaf1'), `RELEASE ${sw}>leaf1 uu='${d.closeData}'`, `RELEASE COMPLETE leaf1>${sw}`,
      ...connectIn('leaf1'), `RELEASE leaf1>${sw} uu='${d.hangUp}'`, `RELEASE COMPLETE ${sw}>leaf1`,
    ],
    [`${sw}-leaf2`]: [
      ...connectIn('leaf2'),
      `ADD PARTY ${sw}>leaf2`, `ADD PARTY ACKNOWLEDGE leaf2>${sw}`,
      `DROP PARTY ${sw}>leaf2 uu='${d.leaf2bDrop}'`, `DROP PARTY ACKNOWLEDGE leaf2>${sw}`,
      `RELEASE ${sw}>leaf2 uu='${d.leaf2Drop}'`, `RELEASE COMPLETE leaf2>${sw}`,
      ...connectIn('leaf2'), // then leaf2's condisd is killed
    ],
    [`${sw}-leaf3`]: [
      ...connectIn('leaf3'), `RELEASE leaf3>${sw}`, `RELEASE COMPLETE ${sw}>leaf3`,
      ...connectIn('leaf3'), `MODIFY REQUEST ${sw}>leaf3`, `MODIFY REJECT leaf3>${sw}`, `RELEASE leaf3>${sw}`, `RELEASE COMPLETE ${sw}>leaf3`,
    ],
  };
  return {
    links,
    sunatm: hostCapturesFromLinks(links, ['root', 'leaf1', 'leaf2', 'leaf3']),
    switches: { [sw]: switchCaptureFromLinks(links, sw, portOf) },
  };
}

/**
 * Direct (no switch): each leaf sits behind its own link, so the root's host
 * fans the multipoint call out as one Q.2931 call per link (as a network
 * would): parties join by SETUP and leave by RELEASE on their link, with the
 * close data in the RELEASE's User-user IE.
 */
export function expectedDirect(dropData: string, closeData: string): CaptureExpectations {
  const setup = (leaf: string) => [`SETUP root>${leaf}`, `CONNECT ${leaf}>root`, `CONNECT ACKNOWLEDGE root>${leaf}`];
  const sunSetup = ['tx SETUP', 'rx CONNECT', 'tx CONNECT ACKNOWLEDGE'];
  return {
    links: {
      'root-leaf1': [...setup('leaf1'), `RELEASE root>leaf1 uu='${closeData}'`, 'RELEASE COMPLETE leaf1>root', ...setup('leaf1'), "RELEASE leaf1>root uu='leaf1 hangs up'", 'RELEASE COMPLETE root>leaf1'],
      'root-leaf2': [...setup('leaf2'), `RELEASE root>leaf2 uu='${dropData}'`, 'RELEASE COMPLETE leaf2>root', ...setup('leaf2')],
      'root-leaf3': [...setup('leaf3'), 'RELEASE leaf3>root', 'RELEASE COMPLETE root>leaf3'],
    },
    sunatm: {
      root: [
        ...sunSetup, ...sunSetup, ...sunSetup, // leaf1 by make call, leaf2 and leaf3 by add party
        'rx RELEASE', 'tx RELEASE COMPLETE', // leaf3 leaves
        'tx RELEASE', 'rx RELEASE COMPLETE', // root drops leaf2 (close data)
        'tx RELEASE', 'rx RELEASE COMPLETE', // root closes naming leaf1 (close data)
        ...sunSetup, 'rx RELEASE', 'tx RELEASE COMPLETE', // leaf1 closes the point-to-point call
        ...sunSetup, // leaf2 is killed: nothing more on the wire
      ],
      leaf1: ['rx SETUP', 'tx CONNECT', 'rx CONNECT ACKNOWLEDGE', 'rx RELEASE', 'tx RELEASE COMPLETE', 'rx SETUP', 'tx CONNECT', 'rx CONNECT ACKNOWLEDGE', 'tx RELEASE', 'rx RELEASE COMPLETE'],
      leaf2: ['rx SETUP', 'tx CONNECT', 'rx CONNECT ACKNOWLEDGE', 'rx RELEASE', 'tx RELEASE COMPLETE', 'rx SETUP', 'tx CONNECT', 'rx CONNECT ACKNOWLEDGE'],
      leaf3: ['rx SETUP', 'tx CONNECT', 'rx CONNECT ACKNOWLEDGE', 'tx RELEASE', 'rx RELEASE COMPLETE'],
    },
  };
}
