import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CaptureError,
  eventsFromCapture,
  eventsFromTsharkFields,
  renderLadderHtml,
  renderLadderSvg,
  renderLadderText,
  tsharkFields,
  type LadderEvent,
} from '../../src/capture/ladder.js';
import { encodeSunAtm, LINKTYPE_ETHERNET, LINKTYPE_SUNATM, pcapGlobalHeader, pcapRecord } from '../../src/capture/pcap.js';
import { emitFrame } from '../../src/wire/frame.js';

const events: LadderEvent[] = [
  { timeMs: 0, from: 'root', to: 'leaf1', label: 'SETUP', detail: 'call ref 1, endpoint 0' },
  { timeMs: 1.203, from: 'leaf1', to: 'root', label: 'CALL PROCEEDING' },
  { timeMs: 3.5, from: 'leaf1', to: 'root', label: 'CONNECT' },
  { timeMs: 20, from: 'root', to: 'leaf2', label: 'ADD PARTY', detail: 'call ref 1, endpoint 1' },
  { timeMs: 21, from: 'leaf2', to: 'root', label: 'ADD PARTY ACKNOWLEDGE' },
  { timeMs: 30, from: 'root', to: 'leaf2', label: "DROP PARTY (close data: 'bye')", detail: 'call ref 1, endpoint 1, cause 16 normal call clearing' },
  { timeMs: 30.4, from: 'leaf2', to: 'root', label: 'DROP PARTY ACKNOWLEDGE' },
  { timeMs: 31, from: 'root', to: 'root', label: 'T398 stopped' },
  { timeMs: 40, from: 'root', to: 'leaf1', label: "RELEASE (close data: 'the end')", detail: 'cause 16 normal call clearing' },
  { timeMs: 1234.5, from: 'leaf1', to: 'root', label: 'RELEASE COMPLETE' },
];

const EXPECTED_TEXT = ` time ms   root                                   leaf1                                  leaf2
             |                                      |                                      |
   0.000     |--------------- SETUP --------------->|                                      |
             | call ref 1, endpoint 0               |                                      |
   1.203     |<--------- CALL PROCEEDING -----------|                                      |
   3.500     |<------------- CONNECT ---------------|                                      |
  20.000     |--------------------------------- ADD PARTY -------------------------------->|
             | call ref 1, endpoint 1               |                                      |
  21.000     |<-------------------------- ADD PARTY ACKNOWLEDGE ---------------------------|
  30.000     |---------------------- DROP PARTY (close data: 'bye') ---------------------->|
             | call ref 1, endpoint 1, cause 16 normal call clearing                       |
  30.400     |<------------------------- DROP PARTY ACKNOWLEDGE ---------------------------|
  31.000     * T398 stopped                         |                                      |
  40.000     |-- RELEASE (close data: 'the end') -->|                                      |
             | cause 16 normal call clearing        |                                      |
1234.500     |<--------- RELEASE COMPLETE ----------|                                      |
             |                                      |                                      |
`;

test('text ladder of a known event list', (t) => {
  const text = renderLadderText(events, { width: 100 });
  t.is(text, EXPECTED_TEXT);
  t.true(
    text.split('\n').every((l) => l.length <= 100),
    'fits the width',
  );
});

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

test('text ladder: narrow widths put long labels above the arrow; colour changes nothing but colours', (t) => {
  const narrow = renderLadderText(events, { width: 60 });
  t.true(
    narrow.split('\n').every((l) => l.length <= 60),
    narrow,
  );
  t.true(narrow.includes("| RELEASE (close data: 'the end')"), narrow);
  const coloured = renderLadderText(events, { width: 60, color: true });
  t.not(coloured, narrow);
  t.true(coloured.includes('\x1b[31m'), 'clearing messages are red');
  t.is(stripAnsi(coloured), narrow);
  // host order can be given; unknown hosts are appended
  const ordered = renderLadderText(events, { hosts: ['leaf2', 'root'] });
  t.regex(ordered.split('\n')[0]!, /^ *time ms +leaf2 +root +leaf1$/);
});

/** Minimal XML well-formedness: balanced tags, quoted attributes, escaped text. */
function wellFormed(xml: string): { ok: boolean; why?: string; tags: Map<string, number> } {
  const tags = new Map<string, number>();
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<!DOCTYPE[^>]*>|([<>])/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(xml))) {
    if (m[5]) return { ok: false, why: `stray ${m[5]} at ${m.index}: ${xml.slice(m.index - 20, m.index + 20)}`, tags };
    if (!m[2]) continue;
    const [, close, name, , self] = m;
    if (close) {
      const open = stack.pop();
      if (open !== name) return { ok: false, why: `</${name}> closes <${open}>`, tags };
    } else {
      tags.set(name!, (tags.get(name!) ?? 0) + 1);
      if (!self) stack.push(name!);
    }
  }
  if (xml.replace(/&(lt|gt|amp|quot|#39);/g, '').includes('&')) return { ok: false, why: 'unescaped &', tags };
  return stack.length ? { ok: false, why: `unclosed ${stack.join(',')}`, tags } : { ok: true, tags };
}

test('SVG ladder: well-formed, self-contained, one arrow per message', (t) => {
  const tricky: LadderEvent[] = [...events, { timeMs: 50, from: 'leaf1', to: 'root', label: 'STATUS <cause & "state">' }];
  const svg = renderLadderSvg(tricky, { title: 'a & b', hostNotes: { root: '1001' } });
  const wf = wellFormed(svg);
  t.true(wf.ok, wf.why);
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  t.is((svg.match(/class="arrow"/g) ?? []).length, tricky.length);
  t.is((svg.match(/<g class="event /g) ?? []).length, tricky.length);
  t.is((svg.match(/class="lifeline"/g) ?? []).length, 3);
  t.true(svg.includes('STATUS &lt;cause &amp; &quot;state&quot;&gt;'));
  t.false(/(href|src)=|@import|<script/.test(svg), 'no external resources, no scripts');
  // every arrow head used is defined
  for (const [, id] of svg.matchAll(/url\(#([\w-]+)\)/g)) t.true(svg.includes(`<marker id="${id}"`), id);
});

test('HTML page: title, embedded SVG and a legend of the colours used', (t) => {
  const html = renderLadderHtml(events, { title: 'Drop party <demo>', subtitle: 'lab demo' });
  t.true(html.startsWith('<!DOCTYPE html>'));
  t.true(html.includes('<title>Drop party &lt;demo&gt;</title>'));
  t.true(html.includes('<svg xmlns='));
  const wf = wellFormed(html.replace('<meta charset="utf-8">', '<meta charset="utf-8"/>'));
  t.true(wf.ok, wf.why);
  t.is((html.match(/<li>/g) ?? []).length, 4, 'setup, party, clear, other');
  t.regex(html, /clearing \(RELEASE/);
});

// ---- captures -------------------------------------------------------------------------------

const ROOT = '02:00:00:00:01:01';
const LEAF1 = '02:00:00:00:01:02';

function q2931(type: number, callRef: number, toOriginator: boolean, ies: Buffer[]): Buffer {
  const body = Buffer.concat(ies);
  return Buffer.concat([
    Buffer.from([0x09, 0x03, (toOriginator ? 0x80 : 0) | ((callRef >> 16) & 0x7f), (callRef >> 8) & 0xff, callRef & 0xff, type, 0x80, body.length >> 8, body.length & 0xff]),
    body,
  ]);
}
const ie = (id: number, data: number[]) => Buffer.from([id, 0x80, 0, data.length, ...data]);
const endpoint = (n: number, fromOriginator = true) => ie(0x54, [0, fromOriginator ? 0 : 0x80, n]);
const cause = (v: number) => ie(0x08, [0x80, 0x80 | v]);
/** SSCOP SD PDU: payload, padding to 4 octets, trailer (pad length, type 8, N(S)) */
function sd(payload: Buffer, ns: number): Buffer {
  const pad = (4 - (payload.length % 4)) % 4;
  return Buffer.concat([payload, Buffer.alloc(pad), Buffer.from([(pad << 6) | 0x08, 0, 0, ns])]);
}
const sscop = (type: number, word: number[] = [0, 0, 0, 0]) => Buffer.from([...word, type, 0, 0, 0x10]);

/** root sets up a call to leaf1, drops the party with close data (sent twice: an SSCOP retransmission), leaf1 acknowledges. */
const capture: { t: number; src: string; dst: string; vci?: number; sdu: Buffer }[] = [
  { t: 0, src: ROOT, dst: LEAF1, sdu: sscop(0x1) }, // BGN
  { t: 0.5, src: LEAF1, dst: ROOT, sdu: sscop(0x2) }, // BGAK
  { t: 1.5, src: ROOT, dst: LEAF1, sdu: sd(q2931(0x05, 1, false, [endpoint(0)]), 0) },
  { t: 2, src: LEAF1, dst: ROOT, vci: 16, sdu: Buffer.from([1, 0, 0, 30]) }, // discovery: not signalling
  { t: 3.25, src: LEAF1, dst: ROOT, sdu: sd(q2931(0x07, 1, true, [endpoint(0, false)]), 0) },
  { t: 4, src: ROOT, dst: LEAF1, sdu: sscop(0xa, [0, 0, 0, 1]) }, // POLL
  { t: 4.5, src: LEAF1, dst: ROOT, sdu: sscop(0xb) }, // STAT
  { t: 10, src: ROOT, dst: LEAF1, sdu: sd(q2931(0x83, 1, false, [cause(16), endpoint(0), ie(0x7e, [0x00, 0x62, 0x79, 0x65])]), 1) },
  { t: 510, src: ROOT, dst: LEAF1, sdu: sd(q2931(0x83, 1, false, [cause(16), endpoint(0), ie(0x7e, [0x00, 0x62, 0x79, 0x65])]), 1) },
  { t: 511, src: LEAF1, dst: ROOT, sdu: sd(q2931(0x84, 1, true, [endpoint(0, false), cause(16)]), 1) },
];

const dir = mkdtempSync(join(tmpdir(), 'ladder-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const T0 = 1_763_000_000_000;

function writeEthernetCapture(): string {
  const recs = capture.map((c) =>
    pcapRecord(emitFrame({ dst: c.dst, src: c.src, etherType: 0x88b5, cell: { gfc: 0, vpi: 0, vci: c.vci ?? 5, pti: 1, clp: 0 }, uu: 0, cpi: 0, sdu: c.sdu }), T0 + c.t),
  );
  const p = join(dir, 'eth.pcap');
  writeFileSync(p, Buffer.concat([pcapGlobalHeader(LINKTYPE_ETHERNET), ...recs]));
  return p;
}

/** The same exchange as root's daemon would write it: SunATM, direction from root's point of view. */
function writeSunAtmCapture(): string {
  const recs = capture
    .filter((c) => (c.vci ?? 5) === 5)
    .map((c) => pcapRecord(encodeSunAtm({ direction: c.src === ROOT ? 'tx' : 'rx', vpi: 0, vci: 5, sdu: c.sdu }), T0 + c.t));
  const p = join(dir, 'sunatm.pcap');
  writeFileSync(p, Buffer.concat([pcapGlobalHeader(LINKTYPE_SUNATM), ...recs]));
  return p;
}

const expectedSignalling = (closeData: boolean): Omit<LadderEvent, 'timeMs'>[] => [
  { from: 'root', to: 'leaf1', label: 'SETUP', detail: 'call ref 1, endpoint 0' },
  { from: 'leaf1', to: 'root', label: 'CONNECT', detail: 'call ref 1 (to originator), endpoint 0' },
  { from: 'root', to: 'leaf1', label: `DROP PARTY${closeData ? " (close data: 'bye')" : ''}`, detail: 'call ref 1, endpoint 0, cause 16 normal call clearing' },
  { from: 'root', to: 'leaf1', label: `DROP PARTY${closeData ? " (close data: 'bye')" : ''}`, detail: 'call ref 1, endpoint 0, cause 16 normal call clearing, retransmitted' },
  { from: 'leaf1', to: 'root', label: 'DROP PARTY ACKNOWLEDGE', detail: 'call ref 1 (to originator), endpoint 0, cause 16 normal call clearing' },
];
const withoutTime = (e: LadderEvent[]) => e.map(({ timeMs: _t, ...rest }) => rest);

test('Ethernet capture through tshark and the Lua dissector: MACs become host names, close data shows', async (t) => {
  const file = writeEthernetCapture();
  const hosts = [
    { name: 'root', mac: ROOT },
    { name: 'leaf1', mac: LEAF1 },
  ];
  const ev = await eventsFromCapture(file, { hosts });
  t.deepEqual(withoutTime(ev), expectedSignalling(true));
  t.deepEqual(
    ev.map((e) => Number(e.timeMs.toFixed(3))),
    [1.5, 3.25, 10, 510, 511],
  );
  // the same rows under other options (tshark is slow to start: run it once)
  const { text, withLua } = await tsharkFields(file);
  t.true(withLua);
  const withLink = eventsFromTsharkFields(text, { hosts, withLua, sscop: true });
  t.deepEqual(
    withLink.filter((e) => e.category === 'sscop').map((e) => `${e.from}>${e.to} ${e.label}`),
    ['root>leaf1 SSCOP BGN', 'leaf1>root SSCOP BGAK'],
  );
  const all = eventsFromTsharkFields(text, { hosts, withLua, sscop: 'all' });
  t.deepEqual(
    all.filter((e) => e.category === 'sscop').map((e) => e.label),
    ['SSCOP BGN', 'SSCOP BGAK', 'SSCOP POLL', 'SSCOP STAT'],
  );
  // a MAC not in the list stays a MAC
  const anon = eventsFromTsharkFields(text, { hosts: [{ name: 'root', mac: ROOT }], withLua });
  t.is(anon[0]!.to, LEAF1);
  // and the events draw
  t.regex(renderLadderText(ev), /\|-+ DROP PARTY \(close data: 'bye'\) -+>\|/);
});

test('SunATM capture with stock tshark: directions from the capturing host, no plug-in needed', async (t) => {
  const file = writeSunAtmCapture();
  const stock = await eventsFromCapture(file, { self: 'root', peer: 'leaf1', luaScript: false });
  t.deepEqual(withoutTime(stock), expectedSignalling(false));
  const withLua = await eventsFromCapture(file, { self: 'root', peer: 'leaf1' });
  t.deepEqual(withoutTime(withLua), expectedSignalling(true));
});

test('an Ethernet capture without the Lua dissector, or no file, is a clear error', async (t) => {
  const file = writeEthernetCapture();
  await t.throwsAsync(eventsFromCapture(file, { luaScript: false }), { instanceOf: CaptureError, message: /Ethernet capture: tshark needs the condis Lua dissector/ });
  await t.throwsAsync(eventsFromCapture(join(dir, 'none.pcap')), { instanceOf: CaptureError, message: /no capture file/ });
});

test('tshark field rows map to events without running tshark', (t) => {
  const rows = [
    // frame, time, eth.src, eth.dst, atm.channel, sscop.type, sscop.s, q2931 type, call ref, flag, endpoint, causes, interface, uu data
    ['1', '0.000100000', ROOT, LEAF1, '', '0x08', '0', '0x80', '000007', '0', '3', '', '', ''],
    ['2', '0.002000000', LEAF1, ROOT, '', '0x08', '0', '0x82', '000007', '1', '3', '0x2f,0x03', '', ''],
    ['3', '0.003000000', LEAF1, ROOT, '', '0x08', '1', '0x4d', '000007', '1', '', '0x10', '', '00ff10'],
    ['4', '0.004000000', '', '', '1', '0x03', '', '', '', '', '', '', '', ''],
  ].map((r) => r.join('\t'));
  const ev = eventsFromTsharkFields(rows.join('\n'), { hosts: [{ name: 'root', mac: ROOT }], withLua: true, sscop: true, self: 'me', peer: 'them' });
  t.deepEqual(ev, [
    { timeMs: 0.1, from: 'root', to: LEAF1, label: 'ADD PARTY', detail: 'call ref 7, endpoint 3' },
    { timeMs: 2, from: LEAF1, to: 'root', label: 'ADD PARTY REJECT', detail: 'call ref 7 (to originator), endpoint 3, cause 47 resource unavailable, unspecified, cause 3 no route to destination' },
    { timeMs: 3, from: LEAF1, to: 'root', label: 'RELEASE (close data: 0x00ff10 (3 octets))', detail: 'call ref 7 (to originator), cause 16 normal call clearing' },
    { timeMs: 4, from: 'them', to: 'me', label: 'SSCOP END', category: 'sscop' },
  ]);
});
