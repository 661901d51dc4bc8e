/**
 * Checking captures with tshark: no frame malformed or carrying an
 * error-level expert item; the Q.2931 messages on each link exactly the
 * expected sequence (from the Ethernet capture of the segment, decoded with
 * our Lua dissector, which knows which MAC sent what); each SunATM capture
 * (stock tshark, no plug-in) exactly the expected sequence of its host; and
 * the close data in the User-user IEs where it must be.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../capture/ladder.js';
import { readPcap } from '../capture/pcap.js';
import { messageName } from '../uni/msg/names.js';

/** One expected message: "SETUP root>leaf1", with close data: "RELEASE root>leaf2 uu='bye'" */
export interface CaptureExpectations {
  /** per link, named "a-b" with hosts in any order: messages in order as "TYPE from>to" (+ " uu='text'" to require close data) */
  links: Record<string, string[]>;
  /** per host's SunATM file: messages in order as "tx TYPE" / "rx TYPE" */
  sunatm: Record<string, string[]>;
}

export interface CaptureReport {
  summary: string[];
  problems: string[];
}

function tshark(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tshark', args, { maxBuffer: 256 << 20, timeout: 120_000 }, (e, out, err) =>
      e ? reject(new Error(`tshark ${args.join(' ')}: ${String(err || e.message).trim()}`)) : resolve(String(out)),
    );
  });
}

const LUA = () => ['-X', `lua_script:${repoPath('wireshark', 'condis.lua')}`];
const lines = (s: string) => s.split('\n').filter((l) => l.trim());
const msgName = (hex: string) => messageName(parseInt(hex, 16));

const BAD = '(_ws.malformed || _ws.expert.severity >= 8388608)';

/**
 * Frames that are malformed or carry an error-level expert item. In SunATM
 * files only the signalling and discovery channels count: the pseudo-header
 * has no "raw data" traffic type, and for AAL5 of unknown type Wireshark's ATM
 * dissector guesses IPv4/IPv6 from the first nibble of user data (any text
 * starting with A-O or a-o), which says nothing about our frames. User data is
 * checked in the Ethernet capture, where the condis dissector shows it as data.
 */
async function badFrames(file: string, lua: boolean, signallingOnly = false): Promise<string[]> {
  const filter = signallingOnly ? `atm.vci < 32 && ${BAD}` : BAD;
  const out = await tshark(['-r', file, ...(lua ? LUA() : []), '-Y', filter, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Info']);
  return lines(out);
}

/** records in a capture, by our own pcap reader (tshark is for what only tshark can say) */
function frameCount(file: string): number {
  const r = readPcap(file);
  return r.ok ? r.value.records.length : 0;
}

function diff(where: string, want: string[], got: string[]): string[] {
  if (want.length === got.length && want.every((w, i) => w === got[i])) return [];
  const at = want.findIndex((w, i) => w !== got[i]);
  const i = at < 0 ? Math.min(want.length, got.length) : at;
  return [`${where}: message ${i + 1} expected ${want[i] ?? '(end)'}, got ${got[i] ?? '(end)'}\n       expected: ${want.join(', ')}\n       got:      ${got.join(', ')}`];
}

export async function checkCaptures(dir: string, hosts: { name: string; mac: string }[], expect: CaptureExpectations): Promise<CaptureReport> {
  const report: CaptureReport = { summary: [], problems: [] };
  const nameOf = new Map(hosts.map((h) => [h.mac.toLowerCase(), h.name]));

  // the Ethernet segment, per link
  const eth = join(dir, 'segment-ethernet.pcap');
  if (!existsSync(eth)) report.problems.push('no Ethernet capture of the segment');
  else {
    for (const b of await badFrames(eth, true)) report.problems.push(`segment-ethernet.pcap: frame ${b}`);
    const out = await tshark(['-r', eth, ...LUA(), '-Y', 'q2931', '-T', 'fields', '-E', 'occurrence=f', '-e', 'eth.src', '-e', 'eth.dst', '-e', 'q2931.message_type', '-e', 'condis_q2931.uu.data']);
    const perLink = new Map<string, string[]>();
    let total = 0;
    for (const l of lines(out)) {
      const [src, dst, type, uu] = l.split('\t');
      const from = nameOf.get(src!) ?? src!;
      const to = nameOf.get(dst!) ?? dst!;
      const key = [from, to].sort().join('-');
      const uuText = uu ? ` uu='${Buffer.from(uu.replace(/:/g, ''), 'hex').toString('utf8')}'` : '';
      if (!perLink.has(key)) perLink.set(key, []);
      perLink.get(key)!.push(`${msgName(type!)} ${from}>${to}${uuText}`);
      total++;
    }
    for (const [link, want] of Object.entries(expect.links)) {
      const key = link.split('-').sort().join('-');
      report.problems.push(...diff(`link ${link}`, want, perLink.get(key) ?? []));
      perLink.delete(key);
    }
    for (const [key, got] of perLink) report.problems.push(`link ${key}: unexpected signalling: ${got.join(', ')}`);
    report.summary.push(`segment-ethernet.pcap: ${frameCount(eth)} frames, ${total} Q.2931 messages on ${Object.keys(expect.links).length} links as expected (tshark + wireshark/condis.lua)`);
  }

  // each daemon's SunATM capture, stock tshark
  for (const h of hosts) {
    const file = join(dir, `${h.name}-sunatm.pcap`);
    if (!existsSync(file)) {
      report.problems.push(`${h.name}: no SunATM capture`);
      continue;
    }
    const bad = await badFrames(file, false, true);
    for (const b of bad) report.problems.push(`${h.name}-sunatm.pcap: frame ${b}`);
    const out = await tshark(['-r', file, '-Y', 'q2931', '-T', 'fields', '-E', 'occurrence=f', '-e', 'atm.channel', '-e', 'q2931.message_type']);
    // atm.channel 0 = DTE->DCE: what this host sent
    const got = lines(out).map((l) => {
      const [channel, type] = l.split('\t');
      return `${channel === '0' ? 'tx' : 'rx'} ${msgName(type!)}`;
    });
    const want = expect.sunatm[h.name];
    if (want) report.problems.push(...diff(`${h.name}-sunatm.pcap`, want, got));
    report.summary.push(`${h.name}-sunatm.pcap: ${frameCount(file)} frames, ${got.length} Q.2931 messages${want ? ' as expected' : ''}, signalling none malformed (stock tshark, no plug-in)`);
  }
  return report;
}
