/**
 * The Q.2963.1 connection modification messages as Wireshark shows them:
 * the codec's bytes in an Ethernet pcap, decoded by real tshark with
 * wireshark/condis.lua (names, report type, peak cell rates, Info column,
 * no Lua error), and what stock tshark makes of them without it (a SunATM
 * capture, atm -> sscop -> q2931).
 *
 * Stock Wireshark 4.0's q2931 reads the ATM traffic descriptor one octet past
 * its IE (test/capture/tshark.test.ts shows it on SETUP): in a SETUP the
 * extra octet is the next IE's identifier and becomes a warning; in a MODIFY
 * REQUEST the traffic descriptor is the last IE, so the read runs off the
 * message and q2931 marks that frame malformed. The tests pin this down as
 * Wireshark's and show every other frame clean.
 * tshark runs with HOME pointing at an empty directory (no personal plug-ins).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LINKTYPE_ETHERNET, LINKTYPE_SUNATM, openPcapWriter } from '../../src/capture/pcap.js';
import { emitPdu } from '../../src/sscop/pdu.js';
import { encodeMessage, IeId, modifyTrafficDescriptor, MsgType, type UniMessage } from '../../src/uni/msg/index.js';
import { ETHERTYPE_CONDIS, VCI_SIGNALLING, cellHeader, emitFrame } from '../../src/wire/index.js';

const TSHARK = '/usr/bin/tshark';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LUA = join(root, 'wireshark', 'condis.lua');
const dir = mkdtempSync(join(tmpdir(), 'condis-modify-tshark-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function tshark(args: string[]): string {
  if (!existsSync(TSHARK)) throw new Error(`${TSHARK} is missing: install tshark (scripts/ensure-deps.mjs does)`);
  const home = mkdtempSync(join(dir, 'home-'));
  return execFileSync(TSHARK, args, {
    encoding: 'utf8',
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const MSGS: UniMessage[] = [
  { type: MsgType.MODIFY_REQUEST, callRef: 0x21, callRefFlag: false, ies: [modifyTrafficDescriptor({ forward: 2000, backward: 1500 })] },
  { type: MsgType.MODIFY_ACKNOWLEDGE, callRef: 0x21, callRefFlag: true, ies: [{ id: IeId.BROADBAND_REPORT_TYPE, reportType: 1 }] },
  { type: MsgType.MODIFY_REJECT, callRef: 0x21, callRefFlag: true, ies: [{ id: IeId.CAUSE, location: 0, cause: 47, diagnostic: Buffer.alloc(0) }] },
  { type: MsgType.CONNECTION_AVAILABLE, callRef: 0x21, callRefFlag: false, ies: [] },
  { type: MsgType.STATUS, callRef: 0x21, callRefFlag: true, ies: [{ id: IeId.CALL_STATE, state: 0x0d }, { id: IeId.CAUSE, location: 0, cause: 30, diagnostic: Buffer.alloc(0) }] },
];

function capture(name: string): string {
  const path = join(dir, name);
  const w = openPcapWriter(path, LINKTYPE_ETHERNET);
  MSGS.forEach((m, i) =>
    w.writeEthernet(
      emitFrame({
        dst: '02:00:00:00:00:02',
        src: '02:00:00:00:00:01',
        etherType: ETHERTYPE_CONDIS,
        cell: cellHeader(0, VCI_SIGNALLING),
        uu: 0,
        cpi: 0,
        sdu: emitPdu({ type: 'SD', ns: i, data: encodeMessage(m) }),
      }),
      1_700_000_000_000 + i,
    ),
  );
  w.close();
  return path;
}

test('condis.lua names the four Q.2963.1 messages, their report type and peak cell rates, and the modify call states', (t) => {
  const path = capture('modify.pcap');
  const out = tshark(['-X', `lua_script:${LUA}`, '-n', '-r', path, '-T', 'fields', '-E', 'separator=|',
    '-e', '_ws.col.Info', '-e', 'condis_q2931.message_type', '-e', 'condis_q2931.report_type',
    '-e', 'condis_q2931.pcr.forward', '-e', 'condis_q2931.pcr.backward', '-e', 'condis_q2931.call_state', '-e', 'frame.protocols']);
  const rows = out.trim().split('\n').map((l) => l.split('|'));
  t.is(rows.length, MSGS.length);
  t.deepEqual(rows.map((r) => r.slice(0, 6)), [
    ['MODIFY REQUEST [PCR fwd 2000, bwd 1500 cells/s]', '0x88', '', '2000', '1500', ''],
    ['MODIFY ACKNOWLEDGE', '0x89', '0x01', '', '', ''],
    ['MODIFY REJECT', '0x8a', '', '', '', ''],
    ['CONNECTION AVAILABLE', '0x8b', '', '', '', ''],
    ['STATUS', '0x7d', '', '', '', '0x0d'],
  ]);
  for (const r of rows) t.true(r[6]!.endsWith('condis:sscop:q2931'), r[6]);
  const verbose = tshark(['-X', `lua_script:${LUA}`, '-n', '-r', path, '-V']);
  t.regex(verbose, /Broadband report type: modification confirmation \(0x01\)/);
  t.regex(verbose, /Call state: U13\/N13 Modify Request \(0x0d\)/);
  t.notRegex(verbose, /Lua Error/i);
  // only the MODIFY REQUEST: stock q2931's traffic descriptor reader (see the top of this file)
  t.deepEqual(malformedFrames(tshark(['-X', `lua_script:${LUA}`, '-n', '-r', path, '-T', 'pdml'])), [true, false, false, false, false]);
});

/** Per frame of a PDML document: malformed or not, and the Lua errors. */
function malformedFrames(pdml: string): boolean[] {
  return pdml.split('<packet>').slice(1).map((p) => p.includes('name="_ws.malformed"'));
}

test('stock tshark (no plug-in, SunATM): q2931 has no name for 0x88..0x8b; only the MODIFY REQUEST is malformed, by its own traffic descriptor reader', (t) => {
  const path = join(dir, 'modify-sunatm.pcap');
  const w = openPcapWriter(path, LINKTYPE_SUNATM);
  MSGS.forEach((m, i) => w.writeSunAtm({ direction: 'tx', vpi: 0, vci: VCI_SIGNALLING, sdu: emitPdu({ type: 'SD', ns: i, data: encodeMessage(m) }) }, i + 1));
  w.close();
  const out = tshark(['-n', '-r', path, '-T', 'fields', '-E', 'separator=|', '-e', 'q2931.message_type', '-e', '_ws.col.Info', '-e', 'frame.protocols']);
  const rows = out.trim().split('\n').map((l) => l.split('|'));
  t.deepEqual(rows.map((r) => r[0]), ['0x88', '0x89', '0x8a', '0x8b', '0x7d']);
  for (const r of rows.slice(0, 4)) t.notRegex(r[1]!, /MODIFY|CONNECTION AVAILABLE/);
  for (const r of rows) t.true(r[2]!.endsWith('atm:sscop:q2931'), r[2]);
  const pdml = tshark(['-n', '-r', path, '-T', 'pdml']);
  t.deepEqual(malformedFrames(pdml), [true, false, false, false, false]);
  // the rates were read right before q2931 ran past the end of the message
  const first = pdml.split('<packet>')[1]!;
  t.regex(first, /Value: 2000 cells\/s/);
  t.regex(first, /Value: 1500 cells\/s/);
});
