/**
 * Captures as people read them: every Q.2931/Q.2971 message type inside an
 * SSCOP SD, every SSCOP PDU type and a discovery announcement, written as
 *  - an Ethernet pcap, decoded by tshark with wireshark/condis.lua, and
 *  - a SunATM pcap, decoded by stock tshark with no plug-in,
 * asserting per frame the protocol stack, the name Wireshark prints, and that
 * no frame is malformed or carries an error-level expert item.
 *
 * Messages come from the uni/msg codec and SSCOP PDUs from sscop/pdu.ts, the
 * same bytes the daemon sends. tshark runs with HOME pointing at an empty
 * directory so no personal plug-in or preference changes the result.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openAtmCapture } from '../../src/capture/atm-capture.js';
import { LINKTYPE_ETHERNET, LINKTYPE_SUNATM, openPcapWriter, readPcap } from '../../src/capture/pcap.js';
import { emitPdu, type SscopPdu } from '../../src/sscop/pdu.js';
import { encodeMessage, IeId, MsgType, type InfoElement, type UniMessage } from '../../src/uni/msg/index.js';
import { ETHERTYPE_CONDIS, VCI_DISCOVERY, VCI_SIGNALLING, cellHeader, emitAnnouncement, emitFrame } from '../../src/wire/index.js';

const TSHARK = '/usr/bin/tshark';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LUA = join(root, 'wireshark', 'condis.lua');
const dir = mkdtempSync(join(tmpdir(), 'condis-tshark-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------- the frames

const epref = (value: number): InfoElement => ({ id: IeId.ENDPOINT_REFERENCE, type: 0, flag: false, value });
const cause = (c: number): InfoElement => ({ id: IeId.CAUSE, location: 0, cause: c, diagnostic: Buffer.alloc(0) });
const closeData: InfoElement = { id: IeId.USER_USER, protocol: 0, data: Buffer.from('close data from the client') };
const aesa = (last: number) => Buffer.from([0x47, 0x00, 0x05, 0x80, 0xff, 0xe1, 0, 0, 0, 0xf2, 0x1a, 0x2a, 0x7f, 0x02, 0, 0, 0, 0, last, 0]);
const called: InfoElement = { id: IeId.CALLED_PARTY_NUMBER, typeOfNumber: 0, plan: 2, address: aesa(2) };
const calling: InfoElement = { id: IeId.CALLING_PARTY_NUMBER, typeOfNumber: 0, plan: 2, address: aesa(1) };
const aal: InfoElement = { id: IeId.AAL_PARAMETERS, aalType: 5, fwdMaxSdu: 1488, bwdMaxSdu: 1488, sscsType: 0 };
const traffic: InfoElement = { id: IeId.ATM_TRAFFIC_DESCRIPTOR, fields: [{ id: 0x84, value: 10000 }, { id: 0x85, value: 10000 }], bestEffort: false };
const bearer: InfoElement = { id: IeId.BROADBAND_BEARER_CAPABILITY, bearerClass: 0x10, clipping: 0, userPlane: 1 };
const qos: InfoElement = { id: IeId.QOS_PARAMETER, forwardClass: 0, backwardClass: 0 };
const connId: InfoElement = { id: IeId.CONNECTION_IDENTIFIER, vpAssociated: 1, exclusive: 0, vpci: 0, vci: 32 };
const restartAll: InfoElement = { id: IeId.RESTART_INDICATOR, restartClass: 2 };

/** [message, the name Wireshark's q2931 dissector prints, the name with condis.lua] */
const MESSAGES: [UniMessage, string, string][] = (
  [
    [MsgType.SETUP, false, [aal, traffic, bearer, called, calling, qos, epref(0)], 'SETUP'],
    [MsgType.CALL_PROCEEDING, true, [connId, epref(0)], 'CALL PROCEEDING'],
    [MsgType.ALERTING, true, [epref(0)], 'ALERTING'],
    [MsgType.CONNECT, true, [aal, epref(0)], 'CONNECT'],
    [MsgType.CONNECT_ACKNOWLEDGE, false, [], 'CONNECT ACKNOWLEDGE'],
    [MsgType.RELEASE, false, [cause(16), closeData], 'RELEASE'],
    [MsgType.RELEASE_COMPLETE, true, [cause(16)], 'RELEASE COMPLETE'],
    [MsgType.STATUS, true, [cause(30), { id: IeId.CALL_STATE, state: 0x0a }, epref(1), { id: IeId.ENDPOINT_STATE, state: 0x07 }], 'STATUS'],
    [MsgType.STATUS_ENQUIRY, false, [epref(1)], 'STATUS ENQUIRY'],
    [MsgType.RESTART, false, [restartAll], 'RESTART'],
    [MsgType.RESTART_ACKNOWLEDGE, true, [restartAll], 'RESTART ACKNOWLEDGE'],
    [MsgType.NOTIFY, false, [{ id: IeId.NOTIFICATION_INDICATOR, content: Buffer.from([0x01]) }, epref(1)], 'NOTIFY'],
    [MsgType.ADD_PARTY, false, [aal, called, calling, epref(1)], 'ADD PARTY'],
    [MsgType.ADD_PARTY_ACKNOWLEDGE, true, [epref(1)], 'ADD PARTY ACKNOWLEDGE'],
    [MsgType.ADD_PARTY_REJECT, true, [cause(21), epref(2)], 'ADD PARTY REJECT'],
    [MsgType.PARTY_ALERTING, true, [epref(3)], 'PARTY ALERTING'],
    [MsgType.DROP_PARTY, false, [cause(16), epref(1), closeData], 'DROP PARTY'],
    [MsgType.DROP_PARTY_ACKNOWLEDGE, true, [epref(1), cause(16)], 'DROP PARTY ACKNOWLEDGE'],
  ] as const
).map(([type, callRefFlag, ies, name]) => [
  { type, callRef: type === MsgType.RESTART || type === MsgType.RESTART_ACKNOWLEDGE ? 0 : 0x1234, callRefFlag, ies: [...ies] },
  // Wireshark 4.0's q2931 has no name for 0x85 (reference section 3.1): it prints "Unknown"
  type === MsgType.PARTY_ALERTING ? 'Unknown' : name,
  name,
]);

const uu = Buffer.from('uu');
/** [PDU, the PDU Type name Wireshark's sscop dissector prints] */
const PDUS: [SscopPdu, string][] = [
  [{ type: 'BGN', nsq: 1, nmr: 64, uu }, 'Begin'],
  [{ type: 'BGAK', nmr: 64, uu: Buffer.alloc(0) }, 'Begin Acknowledge'],
  [{ type: 'BGREJ', uu }, 'Begin Reject'],
  [{ type: 'END', source: 'user', uu: Buffer.alloc(0) }, 'End'],
  [{ type: 'ENDAK' }, 'End Acknowledge'],
  [{ type: 'RS', nsq: 2, nmr: 64, uu: Buffer.alloc(0) }, 'Resynchronization'],
  [{ type: 'RSAK', nmr: 64 }, 'Resynchronization Acknowledge'],
  [{ type: 'ER', nsq: 3, nmr: 64 }, 'Error Recovery'],
  [{ type: 'ERAK', nmr: 64 }, 'Error Acknowledge'],
  [{ type: 'SD', ns: 99, data: encodeMessage({ type: MsgType.STATUS_ENQUIRY, callRef: 7, callRefFlag: false, ies: [] }) }, 'Sequenced Data'],
  [{ type: 'POLL', nps: 5, ns: 100 }, 'Status Request'],
  [{ type: 'STAT', nps: 5, nmr: 164, nr: 98, list: [98, 99] }, 'Solicited Status Response'],
  [{ type: 'USTAT', nmr: 164, nr: 98, sn1: 98, sn2: 99 }, 'Unsolicited Status Response'],
  [{ type: 'UD', data: Buffer.from('unassured') }, 'Unnumbered Data'],
  [{ type: 'MD', data: Buffer.from('management') }, 'Management Data'],
];

const announcement = emitAnnouncement({
  version: 1,
  mac: '02:00:00:00:00:01',
  role: 'network',
  holdTimeS: 15,
  addresses: ['47.0005.80ffe1000000f21a2a7f.020000000001.00'],
});

interface Expect {
  /** frame.protocols must end with this */
  stack: string;
  /** the SSCOP PDU Type name, when an SSCOP PDU */
  sscop?: string;
  /** the q2931 message type name, when a message */
  q2931?: string;
  /** the condis additions' message type name (Ethernet + Lua only) */
  condis?: string;
  /** what the Info column must be (Ethernet + Lua) */
  info?: string;
}

interface Sdu {
  vci: number;
  sdu: Buffer;
  eth: Expect;
  atm: Expect;
}

const SDUS: Sdu[] = [
  ...MESSAGES.map(([m, wsName, name], i): Sdu => ({
    vci: VCI_SIGNALLING,
    sdu: emitPdu({ type: 'SD', ns: i, data: encodeMessage(m) }),
    eth: {
      stack: 'eth:ethertype:condis:sscop:q2931',
      sscop: 'Sequenced Data',
      q2931: wsName,
      condis: name,
      info: m.ies.some((ie) => ie.id === IeId.USER_USER) ? `${name} [close data: 'close data from the client']` : name,
    },
    atm: { stack: 'atm:sscop:q2931', sscop: 'Sequenced Data', q2931: wsName },
  })),
  ...PDUS.map(([p, name]): Sdu => {
    const sd = p.type === 'SD';
    return {
      vci: VCI_SIGNALLING,
      sdu: emitPdu(p),
      eth: sd
        ? { stack: 'eth:ethertype:condis:sscop:q2931', sscop: name, q2931: 'STATUS ENQUIRY', condis: 'STATUS ENQUIRY', info: 'STATUS ENQUIRY' }
        : { stack: 'eth:ethertype:condis:sscop', sscop: name, info: name },
      atm: sd ? { stack: 'atm:sscop:q2931', sscop: name, q2931: 'STATUS ENQUIRY' } : { stack: 'atm:sscop', sscop: name },
    };
  }),
  {
    vci: VCI_DISCOVERY,
    sdu: announcement,
    eth: { stack: 'eth:ethertype:condis', info: 'Discovery announcement from 02:00:00:00:00:01, network, hold 15 s, 47.0005.80ffe1000000f21a2a7f.020000000001.00' },
    atm: { stack: 'atm:data' },
  },
];

const frameOf = (vci: number, sdu: Buffer) =>
  emitFrame({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', etherType: ETHERTYPE_CONDIS, cell: cellHeader(0, vci), uu: 0, cpi: 0, sdu });

// ---------------------------------------------------------------- tshark

function tshark(args: string[]): string {
  if (!existsSync(TSHARK)) throw new Error(`${TSHARK} is missing: install tshark (scripts/ensure-deps.mjs does)`);
  const home = mkdtempSync(join(dir, 'home-'));
  return execFileSync(TSHARK, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface Decoded {
  protocols: string;
  sscop?: string;
  q2931?: string;
  condis?: string;
  malformed: boolean;
  errors: string[];
}

const unxml = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** Per packet of a PDML document: the stack, the printed names, malformed and error-level expert items. */
function parsePdml(xml: string): Decoded[] {
  return xml
    .split('<packet>')
    .slice(1)
    .map((p) => {
      const showname = (field: string, re: RegExp) => {
        const m = new RegExp(`name="${field.replace(/\./g, '\\.')}" showname="([^"]*)"`).exec(p);
        const n = m ? re.exec(unxml(m[1]!)) : null;
        return n ? n[1] : undefined;
      };
      const errors: string[] = [];
      const expert = /<field name="_ws\.expert" showname="([^"]*)"[^>]*>([\s\S]*?)<\/field>/g;
      for (let m = expert.exec(p); m; m = expert.exec(p)) {
        if (/name="_ws\.expert\.severity"[^>]*show="8388608"/.test(m[2]!)) errors.push(unxml(m[1]!));
      }
      return {
        protocols: /name="frame\.protocols"[^>]*show="([^"]*)"/.exec(p)?.[1] ?? '',
        sscop: showname('sscop.type', /PDU Type: (.+) \(0x[0-9a-f]+\)$/),
        q2931: showname('q2931.message_type', /^Message type: (.+) \(0x[0-9a-f]+\)$/),
        condis: showname('condis_q2931.message_type', /^Message type: (.+) \(0x[0-9a-f]+\)$/),
        malformed: p.includes('name="_ws.malformed"'),
        errors,
      };
    });
}

function check(t: import('ava').ExecutionContext, decoded: Decoded[], expects: Expect[], infos?: string[]) {
  t.is(decoded.length, expects.length, 'one decoded packet per frame written');
  expects.forEach((e, i) => {
    const d = decoded[i]!;
    const at = `frame ${i + 1} (${e.condis ?? e.q2931 ?? e.sscop ?? e.stack})`;
    t.true(d.protocols.endsWith(e.stack), `${at}: protocols ${d.protocols}, expected ...${e.stack}`);
    t.is(d.sscop, e.sscop, `${at}: SSCOP PDU type`);
    t.is(d.q2931, e.q2931, `${at}: Q.2931 message type`);
    if ('condis' in e || infos) t.is(d.condis, e.condis, `${at}: condis message type`);
    t.false(d.malformed, `${at}: malformed`);
    t.deepEqual(d.errors, [], `${at}: error-level expert items`);
    if (infos && e.info !== undefined) t.is(infos[i], e.info, `${at}: Info column`);
  });
}

test('Ethernet capture with condis.lua: every message and PDU type decodes by name, nothing malformed', (t) => {
  const path = join(dir, 'all.pcap');
  const w = openPcapWriter(path, LINKTYPE_ETHERNET);
  SDUS.forEach((s, i) => w.writeEthernet(frameOf(s.vci, s.sdu), 1_700_000_000_000 + i));
  w.close();
  const lua = ['-X', `lua_script:${LUA}`, '-n', '-r', path];
  const decoded = parsePdml(tshark([...lua, '-T', 'pdml']));
  const infos = tshark([...lua, '-T', 'fields', '-e', '_ws.col.Info']).split('\n').slice(0, SDUS.length);
  check(t, decoded, SDUS.map((s) => s.eth), infos);
});

test('Ethernet capture: close data (User-user IE) and party/call states are decoded by condis.lua', (t) => {
  const path = join(dir, 'uu.pcap');
  const w = openPcapWriter(path, LINKTYPE_ETHERNET);
  const drop = MESSAGES.find(([m]) => m.type === MsgType.DROP_PARTY)![0];
  const status = MESSAGES.find(([m]) => m.type === MsgType.STATUS)![0];
  w.writeEthernet(frameOf(VCI_SIGNALLING, emitPdu({ type: 'SD', ns: 1, data: encodeMessage(drop) })), 1);
  w.writeEthernet(frameOf(VCI_SIGNALLING, emitPdu({ type: 'SD', ns: 2, data: encodeMessage(status) })), 2);
  w.close();
  const out = tshark(['-X', `lua_script:${LUA}`, '-n', '-r', path, '-T', 'fields', '-E', 'separator=|',
    '-e', 'condis_q2931.uu.pd', '-e', 'condis_q2931.uu.data', '-e', 'condis_q2931.call_state', '-e', 'condis_q2931.endpoint_state']);
  const [a, b] = out.trim().split('\n');
  t.is(a, `0x00|${Buffer.from('close data from the client').toString('hex')}||`);
  t.is(b, '||0x0a|0x07');
});

test('Ethernet capture: a wrong CRC-32 is an error-level expert item (the check works)', (t) => {
  const path = join(dir, 'badcrc.pcap');
  const w = openPcapWriter(path, LINKTYPE_ETHERNET);
  const f = frameOf(VCI_SIGNALLING, emitPdu({ type: 'ENDAK' }));
  f[20]! ^= 0x10;
  w.writeEthernet(f, 1);
  w.close();
  const [d] = parsePdml(tshark(['-X', `lua_script:${LUA}`, '-n', '-r', path, '-T', 'pdml']));
  t.truthy(d);
  t.false(d!.malformed);
  t.is(d!.errors.length, 1);
  t.regex(d!.errors[0]!, /AAL5 CRC-32 wrong/);
});

test('condis.lua survives random and mutated frames without a Lua error', (t) => {
  // a small deterministic generator: the same frames on every run
  let seed = 0x2545f491;
  const rnd = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => rnd(256)));
  const path = join(dir, 'fuzz.pcap');
  const w = openPcapWriter(path, LINKTYPE_ETHERNET);
  const valid = SDUS.map((s) => frameOf(s.vci, s.sdu));
  let n = 0;
  for (let i = 0; i < 400; i++) {
    let f: Buffer;
    switch (i % 4) {
      case 0: // garbage after our EtherType, any length
        f = Buffer.concat([frameOf(5, Buffer.alloc(0)).subarray(0, 14), bytes(rnd(80))]);
        break;
      case 1: // a valid frame with a few octets changed and maybe cut short
        f = Buffer.from(valid[rnd(valid.length)]!);
        for (let k = 0; k <= rnd(3); k++) f[14 + rnd(f.length - 14)] = rnd(256);
        if (rnd(2)) f = f.subarray(0, 14 + rnd(f.length - 13));
        break;
      case 2: // garbage with a correct CRC on the signalling VC: sscop and the additions see it
        f = frameOf(5, rnd(2) ? bytes(rnd(60)) : Buffer.concat([bytes(rnd(40)), Buffer.from([0x08, 0, 0, 0])]));
        break;
      default: // garbage announcements with a correct CRC
        f = frameOf(16, Buffer.concat([Buffer.from([1, rnd(4)]), bytes(rnd(40))]));
    }
    w.writeEthernet(f, i);
    n++;
  }
  w.close();
  const out = tshark(['-X', `lua_script:${LUA}`, '-n', '-r', path, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.expert.message']);
  const lines = out.trim().split('\n');
  t.is(lines.length, n);
  t.deepEqual(lines.filter((l) => /Lua Error/i.test(l)), []);
});

test('SunATM capture with stock tshark (no plug-in): atm -> sscop -> q2931 by name, nothing malformed', (t) => {
  const path = join(dir, 'all-sunatm.pcap');
  const w = openPcapWriter(path, LINKTYPE_SUNATM);
  SDUS.forEach((s, i) => w.writeSunAtm({ direction: i % 2 ? 'rx' : 'tx', vpi: 0, vci: s.vci, sdu: s.sdu }, 1_700_000_000_000 + i));
  w.close();
  const decoded = parsePdml(tshark(['-n', '-r', path, '-T', 'pdml']));
  check(t, decoded, SDUS.map((s) => s.atm));
  t.false(decoded.some((d) => d.condis !== undefined), 'no condis additions without the plug-in');
});

test('SunATM capture opened with condis.lua gets the Q.2931 additions too', (t) => {
  const path = join(dir, 'pa-sunatm.pcap');
  const w = openPcapWriter(path, LINKTYPE_SUNATM);
  const pa = MESSAGES.find(([m]) => m.type === MsgType.PARTY_ALERTING)![0];
  w.writeSunAtm({ direction: 'rx', vpi: 0, vci: VCI_SIGNALLING, sdu: emitPdu({ type: 'SD', ns: 0, data: encodeMessage(pa) }) }, 1);
  w.close();
  const out = tshark(['-X', `lua_script:${LUA}`, '-n', '-r', path, '-T', 'fields', '-E', 'separator=|', '-e', '_ws.col.Info', '-e', 'condis_q2931.message_type']);
  t.is(out.trim(), 'PARTY ALERTING|0x85');
});

test('condis.lua: printable close data shows as text and in the Info column; other close data stays octets', (t) => {
  const path = join(dir, 'uu-text.pcap');
  const w = openPcapWriter(path, LINKTYPE_ETHERNET);
  const uu = (data: Buffer): InfoElement => ({ id: IeId.USER_USER, protocol: 0, data });
  const msgs: UniMessage[] = [
    { type: MsgType.DROP_PARTY, callRef: 0x1234, callRefFlag: false, ies: [cause(16), epref(1), uu(Buffer.from('bye'))] },
    { type: MsgType.RELEASE, callRef: 0x1234, callRefFlag: false, ies: [cause(16), uu(Buffer.from([0x00, 0xff, 0x10]))] },
    { type: MsgType.RELEASE, callRef: 0x1234, callRefFlag: false, ies: [cause(16), uu(Buffer.from('a rather long goodbye that does not fit in the Info column'))] },
  ];
  msgs.forEach((m, i) => w.writeEthernet(frameOf(VCI_SIGNALLING, emitPdu({ type: 'SD', ns: i, data: encodeMessage(m) })), i));
  w.close();
  const out = tshark(['-X', `lua_script:${LUA}`, '-n', '-r', path, '-T', 'fields', '-E', 'separator=|', '-e', '_ws.col.Info', '-e', 'condis_q2931.uu.text', '-e', 'condis_q2931.uu.data']);
  t.deepEqual(out.trim().split('\n'), [
    "DROP PARTY [close data: 'bye']|bye|627965",
    'RELEASE [close data, 3 octets]||00ff10',
    "RELEASE [close data: 'a rather long goodbye that does not fit…']|a rather long goodbye that does not fit in the Info column|" +
      Buffer.from('a rather long goodbye that does not fit in the Info column').toString('hex'),
  ]);
});

// ---------------------------------------------------------------- the daemon's capture forms

/** user data that stock Wireshark's ATM dissector would take for IPv6, IPv4, PPP, Ethernet, LLC ... in a classic SunATM file */
const TRICKY_DATA = ['hello, leaves', 'E is for IPv4', '`backtick', 'a!ppp here', '\u0000\u0000zeros here', 'Hi', '\u00aa\u00aa\u0003snap'].map((s) => Buffer.from(s, 'latin1'));

test('pcapng capture (the default): one interface per link named for the peer, user data shown as data, nothing malformed, stock tshark', (t) => {
  const path = join(dir, 'links.pcapng');
  const names: Record<string, string> = { '02:00:00:00:00:02': 'leaf1', '02:00:00:00:00:03': 'leaf2' };
  const cap = openAtmCapture(path, { self: 'root', peerName: (mac) => names[mac] });
  const enquiry = (ns: number) => emitPdu({ type: 'SD', ns, data: encodeMessage({ type: MsgType.STATUS_ENQUIRY, callRef: 1, callRefFlag: false, ies: [epref(0)] }) });
  let ts = 1_700_000_000_000;
  // both links use VCI 5, N(S) 0 and call reference 1: only the interface tells them apart
  cap.record('tx', 0, VCI_SIGNALLING, enquiry(0), '02:00:00:00:00:02', ts++);
  cap.record('tx', 0, VCI_SIGNALLING, enquiry(0), '02:00:00:00:00:03', ts++);
  cap.record('rx', 0, VCI_SIGNALLING, emitPdu({ type: 'ENDAK' }), '02:00:00:00:00:03', ts++);
  cap.record('tx', 0, VCI_DISCOVERY, announcement, 'ff:ff:ff:ff:ff:ff', ts++);
  TRICKY_DATA.forEach((d, i) => cap.record(i % 2 ? 'rx' : 'tx', 0, 32 + (i % 2), d, i % 3 ? '02:00:00:00:00:02' : '02:00:00:00:00:03', ts++));
  cap.close();
  t.is(cap.records, 4 + TRICKY_DATA.length);
  // our reader sees every record, with the interface's link type
  const back = readPcap(path);
  t.true(back.ok);
  if (back.ok) t.deepEqual([...new Set(back.value.records.map((r) => r.linkType))], [LINKTYPE_SUNATM, 252]);
  const rows = tshark(['-n', '-r', path, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.interface_name', '-e', 'frame.protocols', '-e', 'frame.packet_flags_direction', '-e', 'atm.channel', '-e', 'atm.vci', '-e', 'data.data', '-e', '_ws.malformed', '-e', '_ws.expert.severity'])
    .trim()
    .split('\n')
    .map((l) => l.split('|'));
  t.is(rows.length, cap.records);
  t.deepEqual(
    rows.slice(0, 4).map((r) => r.slice(0, 5)),
    [
      ['leaf1', 'atm:sscop:q2931', '0x00000002', '0', '5'],
      ['leaf2', 'atm:sscop:q2931', '0x00000002', '0', '5'],
      ['leaf2', 'atm:sscop', '0x00000001', '1', '5'],
      ['discovery', 'atm:data', '0x00000002', '0', '16'],
    ],
  );
  TRICKY_DATA.forEach((d, i) => {
    const r = rows[4 + i]!;
    t.is(r[0], `${i % 3 ? 'leaf1' : 'leaf2'} VC 0/${32 + (i % 2)}`, `data ${i}: interface`);
    t.is(r[1], 'exported_pdu:data', `data ${i}: shown as data, not guessed at`);
    t.is(r[2], i % 2 ? '0x00000001' : '0x00000002', `data ${i}: direction`);
    t.is(r[5], d.toString('hex'), `data ${i}: the octets`);
  });
  t.deepEqual(
    rows.filter((r) => r[6] || r[7]).map((r) => r.join('|')),
    [],
    'nothing malformed, no expert items',
  );
});

test('classic SunATM form: stock Wireshark guesses IPv6/IPv4/PPP/Ethernet/LLC from user data (why pcapng is the default)', (t) => {
  const path = join(dir, 'classic.pcap');
  const cap = openAtmCapture(path, { format: 'sunatm' });
  TRICKY_DATA.forEach((d, i) => cap.record('tx', 0, 32, d, '02:00:00:00:00:02', i));
  cap.close();
  const protocols = tshark(['-n', '-r', path, '-T', 'fields', '-e', 'frame.protocols']).trim().split('\n');
  t.deepEqual(protocols.slice(0, 5), ['atm:ip:ipv6', 'atm:ip', 'atm:ip:ipv6', 'atm:ppp:crtp', 'atm:eth']);
  // and no SunATM traffic type shows it as plain data: 1 LANE, 2 LLC, 5 ILMI and 6 Q.SAAL hand the octets to those
  // dissectors (LANE and ILMI malformed, LLC and SSCOP nonsense), every other type guesses as type 0 does
  const w = openPcapWriter(join(dir, 'types.pcap'), LINKTYPE_SUNATM);
  for (let type = 0; type < 16; type++) w.writeSunAtm({ direction: 'tx', vpi: 0, vci: 32, sdu: TRICKY_DATA[0]!, type }, type);
  w.close();
  const byType = tshark(['-n', '-r', join(dir, 'types.pcap'), '-T', 'fields', '-e', 'frame.protocols']).trim().split('\n');
  t.is(byType.length, 16);
  t.deepEqual(
    byType.map((p, type) => [type, p]).filter(([, p]) => p === 'atm:data'),
    [],
  );
  t.is(byType[2], 'atm:llc:data');
  t.is(byType[6], 'atm:sscop');
});

test('SETUP warnings in stock Wireshark 4.0 come from its parser: AAL parameters and ATM traffic descriptor are read one octet past their IE', (t) => {
  const setup = encodeMessage({ type: MsgType.SETUP, callRef: 1, callRefFlag: false, ies: [aal, traffic, bearer] });
  // decode our octets by hand against Q.2931's layouts: header (9), then IEs of id, compatibility, 16-bit length, contents
  t.is(setup.readUInt16BE(7), setup.length - 9, 'message length');
  const ies: { id: number; at: number; content: Buffer }[] = [];
  for (let o = 9; o < setup.length; ) {
    const len = setup.readUInt16BE(o + 2);
    ies.push({ id: setup[o]!, at: o, content: setup.subarray(o + 4, o + 4 + len) });
    o += 4 + len;
    t.true(o <= setup.length, 'every IE ends inside the message');
  }
  t.deepEqual(
    ies.map((i) => i.id),
    [IeId.AAL_PARAMETERS, IeId.ATM_TRAFFIC_DESCRIPTOR, IeId.BROADBAND_BEARER_CAPABILITY],
  );
  // AAL type 5; 0x8C forward max CPCS-SDU (16 bits); 0x81 backward (16 bits); 0x84 SSCS type (1 octet)
  t.deepEqual([...ies[0]!.content], [0x05, 0x8c, 0x05, 0xd0, 0x81, 0x05, 0xd0, 0x84, 0x00]);
  // 0x84 forward and 0x85 backward peak cell rate CLP 0+1, 24 bits each
  t.deepEqual([...ies[1]!.content], [0x84, 0x00, 0x27, 0x10, 0x85, 0x00, 0x27, 0x10]);

  const path = join(dir, 'setup.pcap');
  const w = openPcapWriter(path, LINKTYPE_SUNATM);
  w.writeSunAtm({ direction: 'tx', vpi: 0, vci: VCI_SIGNALLING, sdu: emitPdu({ type: 'SD', ns: 0, data: setup }) }, 1);
  w.close();
  const pdml = tshark(['-n', '-r', path, '-T', 'pdml']);
  // each warning hangs on an "identifier" Wireshark read at the first octet of the NEXT IE
  const warned = [...pdml.matchAll(/<field name="(q2931\.[a-z_.]+)" showname="[^"]*" size="1" pos="(\d+)" show="[^"]*" value="([0-9a-f]{2})">\s*<field name="_ws\.expert" showname="Expert Info \(Warning\/Protocol\): ([^"]+)"/g)].map(
    (m) => ({ field: m[1], pos: Number(m[2]), octet: parseInt(m[3]!, 16), message: m[4] }),
  );
  t.deepEqual(warned, [
    { field: 'q2931.aal.parameter_identifier', pos: ies[1]!.at, octet: IeId.ATM_TRAFFIC_DESCRIPTOR, message: 'Unknown AAL parameter' },
    { field: 'q2931.atm_identifier', pos: ies[2]!.at, octet: IeId.BROADBAND_BEARER_CAPABILITY, message: 'Unknown ATM traffic descriptor element' },
  ]);
  t.false(pdml.includes('name="_ws.malformed"'));
});
