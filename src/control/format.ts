/**
 * Human-readable rendering of control results and events (condisctl's tables
 * and `watch` lines): names, not numbers.
 */
import { switchEventText, switchReport } from './format-switch.js';
import { table } from './table.js';
import type { ControlEvent, LinkInfo, PartyInfo, PeakRates, PeerInfo, SapInfo, VcInfo } from './backend.js';
import type { StatusInfo } from './errors.js';
import type { StatusResult } from './protocol.js';

export { table } from './table.js';

export function statusText(s: StatusInfo): string {
  return s.name === 'UNKNOWN' ? `NDIS_STATUS 0x${(s.value >>> 0).toString(16).padStart(8, '0')}` : `NDIS_STATUS_${s.name}`;
}

/** quoted text when the bytes are printable UTF-8, else hex (long data shortened) */
export function bytesText(b: Buffer, max = 64): string {
  const s = b.toString('utf8');
  const printable = !s.includes('\uFFFD') && /^[\P{C}\t\n\r]*$/u.test(s);
  if (printable) {
    const shown = s.length > max * 4 ? `${s.slice(0, max * 4)}...` : s;
    return JSON.stringify(shown);
  }
  const hex = b.subarray(0, max).toString('hex').replace(/(..)(?!$)/g, '$1 ');
  return `hex ${hex}${b.length > max ? ' ...' : ''}`;
}

function octets(n: number): string {
  return n === 1 ? '1 octet' : `${n} octets`;
}

function closeDataText(b: Buffer | undefined): string {
  return b && b.length ? `, close data (${octets(b.length)}): ${bytesText(b)}` : ', no close data';
}

function path(v: VcInfo): string | undefined {
  return v.path ? `${v.path.vpi}/${v.path.vci} via ${v.path.peer}` : undefined;
}

export function peersTable(peers: PeerInfo[]): string {
  if (peers.length === 0) return '(no peers)';
  const rows = table(
    ['MAC', 'NAME', 'ADDRESSES', 'SOURCE', 'LINK', 'LAST SEEN'],
    peers.map((p) => [p.mac, p.name, p.addresses.join(','), p.source, p.linked ? 'yes' : 'no', p.lastSeen]),
  );
  const warnings = peers.filter((p) => p.warning).map((p) => `warning: ${p.warning}`);
  return [rows, ...warnings].join('\n');
}

export function linksTable(links: LinkInfo[]): string {
  if (links.length === 0) return '(no links)';
  return table(
    ['PEER', 'NAME', 'SIDE', 'SSCOP STATE', 'UP', 'CALLS'],
    links.map((l) => [l.peer, l.name, l.side, l.state, l.established ? 'yes' : 'no', l.calls]),
  );
}

export function sapsTable(saps: SapInfo[]): string {
  if (saps.length === 0) return '(no SAPs)';
  return table(
    ['SAP', 'ADDRESS', 'POLICY', 'STATE'],
    saps.map((s) => [s.sap, s.address, s.policy === 'reject' && s.rejectCause ? `reject (cause ${s.rejectCause})` : s.policy, s.state]),
  );
}

export function vcsTable(vcs: VcInfo[]): string {
  if (vcs.length === 0) return '(no VCs)';
  return table(
    ['VC', 'CREATOR', 'STATE', 'CALL', 'DIR', 'TYPE', 'CALLED', 'CALLING', 'UNI STATE', 'PCR TX/RX', 'PATH'],
    vcs.map((v) => [
      v.vc,
      v.creator,
      v.state,
      v.call?.state,
      v.call?.direction === 'outgoing' ? 'out' : v.call ? 'in' : undefined,
      v.call ? (v.call.multipoint ? 'p2mp' : 'p2p') : undefined,
      v.call?.called,
      v.call?.calling,
      v.call?.uniState,
      v.call?.pcr ? `${v.call.pcr.transmit ?? '-'}/${v.call.pcr.receive ?? '-'}` : undefined,
      path(v),
    ]),
  );
}

export function partiesTable(parties: PartyInfo[]): string {
  if (parties.length === 0) return '(no parties)';
  return table(
    ['VC', 'PARTY', 'ADDRESS', 'STATE', 'UNI STATE'],
    parties.map((p) => [p.vc, p.party, p.address, p.state, p.uniState]),
  );
}

export function statusReport(s: StatusResult): string {
  if (s.switch) return switchReport(s.switch);
  const i = s.info;
  const head = [
    `condisd ${i.name} (${i.version}): addresses ${i.addresses.join(', ')}, mac ${i.mac}, miniport ${i.miniport}`,
    `call manager ${i.callManager.shape.toUpperCase()}, ${i.callManager.completion} completion; close data ${i.closeData.allowed ? `allowed, at most ${octets(i.closeData.maxOctets)}` : 'not allowed'}`,
  ];
  const section = (title: string, body: string) => `\n${title}\n${body}`;
  return [
    ...head,
    section('PEERS', peersTable(s.peers)),
    section('LINKS', linksTable(s.links)),
    section('SAPS', sapsTable(s.saps)),
    section('VCS', vcsTable(s.vcs)),
    section('PARTIES', partiesTable(s.parties)),
  ].join('\n');
}

/** "transmit PCR 100 cells/s, receive PCR 200 cells/s" ("no peak cell rate" when neither is known) */
export function pcrText(pcr: PeakRates): string {
  const parts = [pcr.transmit !== undefined ? `transmit PCR ${pcr.transmit} cells/s` : '', pcr.receive !== undefined ? `receive PCR ${pcr.receive} cells/s` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no peak cell rate';
}

/** One line per event, e.g. "incoming close call on VC 4: NDIS_STATUS_SUCCESS (remote), close data (3 octets): "bye"". */
export function eventText(ev: ControlEvent): string {
  switch (ev.kind) {
    case 'incoming-call':
      return `incoming ${ev.multipoint ? 'point-to-multipoint' : 'point-to-point'} call on VC ${ev.vc} from ${ev.calling ?? '(unknown)'} to ${ev.called} (SAP ${ev.sap})${ev.awaitingAnswer ? ': waiting for an answer' : ''}`;
    case 'call-connected':
      return `call connected on VC ${ev.vc}`;
    case 'make-call-complete':
      return `make call complete on VC ${ev.vc}${ev.party !== undefined ? ` (party ${ev.party})` : ''}: ${statusText(ev.status)}`;
    case 'add-party-complete':
      return `add party complete on VC ${ev.vc}: party ${ev.party} (${ev.address}) ${statusText(ev.status)}`;
    case 'drop-party-complete':
      return `drop party complete on VC ${ev.vc}: party ${ev.party} ${statusText(ev.status)}`;
    case 'close-call-complete':
      return `close call complete on VC ${ev.vc}: ${statusText(ev.status)}`;
    case 'incoming-drop-party':
      return `incoming drop party on VC ${ev.vc}: party ${ev.party} ${statusText(ev.status)}${ev.status.name === 'SUCCESS' ? ' (remote)' : ' (network)'}${closeDataText(ev.closeData)}`;
    case 'incoming-close-call':
      return `incoming close call on VC ${ev.vc}: ${statusText(ev.status)}${ev.status.name === 'SUCCESS' ? ' (remote)' : ' (network)'}${closeDataText(ev.closeData)}`;
    case 'modify-call-complete':
      return `modify call complete on VC ${ev.vc}: ${statusText(ev.status)}${ev.cause !== undefined ? ` (MODIFY REJECT cause ${ev.cause}${ev.causeName ? ` ${ev.causeName}` : ''})` : ''}, ${pcrText(ev.pcr)}`;
    case 'incoming-qos-change':
      return `incoming QoS change on VC ${ev.vc}: ${pcrText(ev.pcr)}: ${ev.accepted ? 'accepted' : 'refused, closing the call'}`;
    case 'receive':
      return `data on VC ${ev.vc} (${octets(ev.data.length)}): ${bytesText(ev.data)}`;
    case 'send-complete':
      return `send complete on VC ${ev.vc} (${octets(ev.bytes)}): ${statusText(ev.status)}`;
    case 'vc-state':
      return `VC ${ev.vc}: ${ev.previous ? `${ev.previous} -> ` : ''}${ev.state}`;
    case 'party-state':
      return `VC ${ev.vc} party ${ev.party}: ${ev.previous ? `${ev.previous} -> ` : ''}${ev.state}`;
    case 'link-state':
      return `link to ${ev.peer}: ${ev.state}${ev.established ? ' (up)' : ' (down)'}${ev.reason ? `: ${ev.reason}` : ''}`;
    case 'peer':
      return `peer ${ev.peer} ${ev.change}${ev.addresses.length ? ` (${ev.addresses.join(', ')})` : ''}`;
    case 'sap':
      return `SAP ${ev.sap} for ${ev.address} ${ev.change}`;
    case 'switch':
      return switchEventText(ev.event);
    case 'message':
      return `${ev.type} ${ev.direction === 'out' ? 'sent to' : 'received from'} ${ev.peer}: call ref ${ev.callRef}${ev.epref !== undefined ? `, endpoint ref ${ev.epref}` : ''}${ev.called ? `, called ${ev.called}` : ''}${ev.cause !== undefined ? `, cause ${ev.cause} ${ev.causeName ?? ''}` : ''}${closeDataText(ev.closeData)}`;
  }
}

/** "12:34:56.789 " from the event's time stamp (or now) */
export function timeText(at?: string): string {
  const d = at ? new Date(at) : new Date();
  return d.toISOString().slice(11, 23);
}
