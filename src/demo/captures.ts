/**
 * Checking captures with tshark: no frame malformed or carrying an
 * error-level expert item; the Q.2931 messages on each link exactly the
 * expected sequence (from the Ethernet captures of the segment or of each
 * switch port, decoded with our Lua dissector, which knows which MAC sent
 * what); each daemon's own capture (`HOST.pcapng`: an interface per link,
 * signalling as SunATM, read with stock tshark) exactly the expected sequence
 * of its host; a switch's capture (`SWITCH.pcapng`, an interface per port)
 * exactly the expected sequence per port; and the close data in the
 * User-user IEs where it must be.
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
  /** per host's own capture (HOST.pcapng, or HOST-sunatm.pcap when that is there): messages in order as "tx TYPE" / "rx TYPE" */
  sunatm: Record<string, string[]>;
  /** per switch's capture (SWITCH.pcapng), per interface (port): messages in order as "tx TYPE" / "rx TYPE" (+ " uu='text'") */
  switches?: Record<string, Record<string, string[]>>;
}

export interface CheckOptions {
  /** the Ethernet captures to read the links from (default: segment-ethernet.pcap) */
  ethernet?: string[];
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
 * Stock Wireshark 4.0's q2931 reads an ATM traffic descriptor one octet past
 * its IE; in a MODIFY REQUEST (Q.2963.1) the descriptor is the last IE, so
 * q2931 marks every MODIFY REQUEST malformed (pinned down by
 * test/capture/modify-tshark.test.ts; docs/wireshark.md). Such a frame is not
 * counted as bad: with condis.lua only when the plug-in read the peak cell
 * rates from that IE, in stock tshark (a daemon's own capture) by its type.
 */
const MODIFY_REQUEST = '(q2931.message_type == 0x88)';
const MODIFY_REQUEST_READ = '(q2931.message_type == 0x88 && (condis_q2931.pcr.forward || condis_q2931.pcr.backward))';

/**
 * Frames that are malformed or carry an error-level expert item (but see MODIFY_REQUEST above). In SunATM
 * files only the signalling and discovery channels count: the pseudo-header
 * has no "raw data" traffic type, and for AAL5 of unknown type Wireshark's ATM
 * dissector guesses IPv4/IPv6 from the first nibble of user data (any text
 * starting with A-O or a-o), which says nothing about our frames. User data is
 * checked in the Ethernet capture, where the condis dissector shows it as data.
 */
async function badFrames(file: string, lua: boolean, signallingOnly = false): Promise<string[]> {
  const bad = `${BAD} && !${lua ? MODIFY_REQUEST_READ : MODIFY_REQUEST}`;
  const filter = signallingOnly ? `atm.vci < 32 && ${bad}` : bad;
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

const uuText = (uu: string | undefined) => (uu ? ` uu='${Buffer.from(uu.replace(/:/g, ''), 'hex').toString('utf8')}'` : '');

/** `hosts`: names for MACs (a switch's port MACs all named for the switch) */
export async function checkCaptures(dir: string, hosts: { name: string; mac: string }[], expect: CaptureExpectations, opts: CheckOptions = {}): Promise<CaptureReport> {
  const report: CaptureReport = { summary: [], problems: [] };
  const nameOf = new Map(hosts.map((h) => [h.mac.toLowerCase(), h.name]));

  // the Ethernet segment(s), per link
  const ethFiles = opts.ethernet ?? ['segment-ethernet.pcap'];
  const missing = ethFiles.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) report.problems.push(ethFiles.length === 1 && !opts.ethernet ? 'no Ethernet capture of the segment' : `no Ethernet capture ${missing.join(', ')}`);
  else {
    const perLink = new Map<string, string[]>();
    let total = 0;
    let frames = 0;
    for (const f of ethFiles) {
      const eth = join(dir, f);
      frames += frameCount(eth);
      for (const b of await badFrames(eth, true)) report.problems.push(`${f}: frame ${b}`);
      const out = await tshark(['-r', eth, ...LUA(), '-Y', 'q2931', '-T', 'fields', '-E', 'occurrence=f', '-e', 'eth.src', '-e', 'eth.dst', '-e', 'q2931.message_type', '-e', 'condis_q2931.uu.data']);
      for (const l of lines(out)) {
        const [src, dst, type, uu] = l.split('\t');
        const from = nameOf.get(src!) ?? src!;
        const to = nameOf.get(dst!) ?? dst!;
        const key = [from, to].sort().join('-');
        if (!perLink.has(key)) perLink.set(key, []);
        perLink.get(key)!.push(`${msgName(type!)} ${from}>${to}${uuText(uu)}`);
        total++;
      }
    }
    for (const [link, want] of Object.entries(expect.links)) {
      const key = link.split('-').sort().join('-');
      report.problems.push(...diff(`link ${link}`, want, perLink.get(key) ?? []));
      perLink.delete(key);
    }
    for (const [key, got] of perLink) report.problems.push(`link ${key}: unexpected signalling: ${got.join(', ')}`);
    report.summary.push(`${ethFiles.join(', ')}: ${frames} frames, ${total} Q.2931 messages on ${Object.keys(expect.links).length} links as expected (tshark + wireshark/condis.lua)`);
  }

  // each daemon's own capture, stock tshark
  for (const h of [...new Set(hosts.map((x) => x.name))]) {
    if (expect.switches?.[h]) continue;
    const ng = join(dir, `${h}.pcapng`);
    const file = existsSync(ng) ? ng : join(dir, `${h}-sunatm.pcap`);
    const base = file.slice(dir.length + 1);
    if (!existsSync(file)) {
      if (expect.sunatm[h]) report.problems.push(`${h}: no capture of its own (${h}.pcapng)`);
      else if (Object.keys(expect.sunatm).length === 0) report.problems.push(`${h}: no SunATM capture`);
      continue;
    }
    const bad = await badFrames(file, false, true);
    for (const b of bad) report.problems.push(`${base}: frame ${b}`);
    const out = await tshark(['-r', file, '-Y', 'q2931', '-T', 'fields', '-E', 'occurrence=f', '-e', 'atm.channel', '-e', 'q2931.message_type']);
    // atm.channel 0 = DTE->DCE: what this host sent
    const got = lines(out).map((l) => {
      const [channel, type] = l.split('\t');
      return `${channel === '0' ? 'tx' : 'rx'} ${msgName(type!)}`;
    });
    const want = expect.sunatm[h];
    if (want) report.problems.push(...diff(base, want, got));
    report.summary.push(`${base}: ${frameCount(file)} frames, ${got.length} Q.2931 messages${want ? ' as expected' : ''}, signalling none malformed (stock tshark, no plug-in)`);
  }

  // each switch's capture: an interface per port
  for (const [sw, ports] of Object.entries(expect.switches ?? {})) {
    const file = join(dir, `${sw}.pcapng`);
    if (!existsSync(file)) {
      report.problems.push(`switch ${sw}: no capture (${sw}.pcapng)`);
      continue;
    }
    for (const b of await badFrames(file, false, true)) report.problems.push(`${sw}.pcapng: frame ${b}`);
    const out = await tshark(['-r', file, ...LUA(), '-Y', 'q2931', '-T', 'fields', '-E', 'occurrence=f', '-e', 'frame.interface_name', '-e', 'atm.channel', '-e', 'q2931.message_type', '-e', 'condis_q2931.uu.data']);
    const perPort = new Map<string, string[]>();
    let total = 0;
    for (const l of lines(out)) {
      const [iface, channel, type, uu] = l.split('\t');
      if (!perPort.has(iface!)) perPort.set(iface!, []);
      perPort.get(iface!)!.push(`${channel === '0' ? 'tx' : 'rx'} ${msgName(type!)}${uuText(uu)}`);
      total++;
    }
    for (const [port, want] of Object.entries(ports)) {
      report.problems.push(...diff(`${sw}.pcapng interface ${port}`, want, perPort.get(port) ?? []));
      perPort.delete(port);
    }
    for (const [port, got] of perPort) report.problems.push(`${sw}.pcapng interface ${port}: unexpected signalling: ${got.join(', ')}`);
    report.summary.push(`${sw}.pcapng: ${frameCount(file)} frames, ${total} Q.2931 messages on ${Object.keys(ports).length} port interfaces as expected`);
  }
  return report;
}
