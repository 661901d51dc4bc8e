/** Plain-text tables for the lab CLI (`lab status`, `lab up`). */
import type { Lab, LabStatus } from './lab.js';
import { describeNetem } from './topology.js';
import { table as textTable } from '../control/table.js';

/** the lab's tables leave an empty cell blank (under a cell it repeats) */
const table = (header: string[], rows: string[][]): string => textTable(header, rows, '');

export function formatStatus(s: LabStatus): string {
  const out: string[] = [];
  out.push(`lab ${s.name}: ${s.state}${s.kind ? ` (${s.kind})` : ''}   run dir ${s.runDir}${s.topologyFile ? `   topology ${s.topologyFile}` : ''}`);
  if (s.namespaces.length) {
    const rows: string[][] = [];
    for (const n of s.namespaces) {
      const first = [n.ns, n.role, n.host ?? ''];
      const blank = ['', '', ''];
      if (!n.exists) {
        rows.push([...first, '(missing)', '', '', '', '', '']);
        continue;
      }
      if (!n.links.length) rows.push([...first, '(no links)', '', '', '', '', '']);
      n.links.forEach((l, i) => rows.push([...(i === 0 ? first : blank), l.name, l.state, l.master ?? '', l.mac, l.addresses.join(' ') || '-', l.netem ?? '-']));
    }
    out.push('', table(['NAMESPACE', 'ROLE', 'HOST', 'LINK', 'STATE', 'MASTER', 'MAC', 'ADDRESSES', 'NETEM'], rows));
  }
  if (s.netem.some((n) => n.out !== '-' || n.in !== '-')) {
    out.push('', table(['HOST', 'NETEM OUT (frames it sends)', 'NETEM IN (frames to it)'], s.netem.map((n) => [n.host, n.out, n.in])));
  }
  out.push('');
  if (s.processes.length) {
    out.push(
      table(
        ['PID', 'HOST', 'NAME', 'ALIVE', 'COMMAND'],
        s.processes.map((p) => [String(p.pid), p.host ?? p.ns ?? '', p.name ?? '-', p.alive ? 'yes' : 'no', p.command]),
      ),
    );
  } else out.push('no processes');
  if (s.problems.length) out.push('', 'problems:', ...s.problems.map((p) => `  - ${p}`));
  return out.join('\n');
}

export function formatLab(lab: Lab): string {
  const switches = lab.switches.length
    ? [
        '',
        table(
          ['SWITCH', 'NAMESPACE', 'PORT', 'MAC', 'CONNECTED TO'],
          lab.switches.flatMap((s) =>
            s.ports.map((p, i) => [i === 0 ? s.name : '', i === 0 ? s.nsName : '', p.name, p.mac, p.host ? `host ${p.host}` : p.peerSwitch ? `switch ${p.peerSwitch.name} port ${p.peerSwitch.port}` : '-']),
          ),
        ),
      ]
    : [];
  return [
    `lab ${lab.name} is up (${lab.kind}), run dir ${lab.runDir}`,
    '',
    table(
      ['HOST', 'NAMESPACE', 'MAC', 'ADDRESS', lab.kind === 'routed' ? 'IP / GATEWAY' : 'IP', 'NETEM OUT', 'NETEM IN'],
      lab.hosts.map((h) => [
        h.name,
        h.nsName,
        h.mac,
        h.address,
        h.ip ? `${h.ip}${h.gateway ? ` via ${h.gateway}` : ''}` : '-',
        describeNetem(h.netemOut),
        describeNetem(h.netemIn),
      ]),
    ),
    ...switches,
  ].join('\n');
}
