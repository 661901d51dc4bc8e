import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { openAtmCapture } from '../../src/capture/atm-capture.js';
import {
  CATEGORY_INFO,
  CaptureError,
  categoryOf,
  foldSscop,
  wrapText,
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

test("a switch's capture: each port's interface is drawn as the host on it, the switch as self, the port in each detail", (t) => {
  const rows = [
    // frame, time, eth.src, eth.dst, atm.channel, sscop.type, sscop.s, q2931 type, call ref, flag, endpoint, causes, interface, uu data
    ['1', '0.001000000', '', '', '1', '0x08', '0', '0x80', '000001', '0', '2', '', 'p1', ''],
    ['2', '0.002000000', '', '', '0', '0x08', '4', '0x80', '000001', '1', '1', '', 'p3', ''],
    ['3', '0.003000000', '', '', '0', '0x08', '5', '0x83', '000001', '1', '1', '0x1f', 'p3', '627965'],
    ['4', '0.004000000', '', '', '1', '0x08', '1', '0x05', '000002', '0', '', '', 'p9', ''],
  ].map((r) => r.join('\t'));
  const ev = eventsFromTsharkFields(rows.join('\n'), { self: 'sw1', interfaces: { p1: 'root', p3: 'leaf2' }, withLua: true });
  t.deepEqual(ev, [
    { timeMs: 1, from: 'root', to: 'sw1', label: 'ADD PARTY', detail: 'port p1, call ref 1, endpoint 2' },
    { timeMs: 2, from: 'sw1', to: 'leaf2', label: 'ADD PARTY', detail: 'port p3, call ref 1 (to originator), endpoint 1' },
    { timeMs: 3, from: 'sw1', to: 'leaf2', label: "DROP PARTY (close data: 'bye')", detail: 'port p3, call ref 1 (to originator), endpoint 1, cause 31 normal, unspecified' },
    // an interface the mapping does not name stays a column of its own, as in a host's capture
    { timeMs: 4, from: 'p9', to: 'sw1', label: 'SETUP', detail: 'call ref 2' },
  ]);
});

// ---- colours, folding, width ---------------------------------------------------------------

test('colours: every Q.2971 party message is blue, clearing is RELEASE and RELEASE COMPLETE; legend and docs/lab.md agree', (t) => {
  const party = ['ADD PARTY', 'ADD PARTY ACKNOWLEDGE', 'PARTY ALERTING', 'ADD PARTY REJECT', 'DROP PARTY', "DROP PARTY (close data: 'bye')", 'DROP PARTY ACKNOWLEDGE'];
  for (const l of party) t.is(categoryOf(l), 'party', l);
  for (const l of ['RELEASE', "RELEASE (close data: 'x')", 'RELEASE COMPLETE']) t.is(categoryOf(l), 'clear', l);
  for (const l of ['ADD PARTY REJECT', 'DROP PARTY', 'DROP PARTY ACK']) {
    t.true(CATEGORY_INFO.party.name.includes(l), `legend lists ${l} under parties`);
    t.false(CATEGORY_INFO.clear.name.includes(l), `legend does not list ${l} under clearing`);
  }
  t.is(CATEGORY_INFO.party.svg, '#0969da', 'blue');
  const doc = readFileSync(new URL('../../docs/lab.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
  t.regex(doc, /parties \(ADD PARTY, ADD PARTY ACKNOWLEDGE, PARTY ALERTING, ADD PARTY REJECT, DROP PARTY, DROP PARTY ACKNOWLEDGE: blue\)/);
  t.regex(doc, /clearing \(RELEASE, RELEASE COMPLETE: red\)/);
});

const linkUp = (a: string, b: string, t0: number): LadderEvent[] => [
  { timeMs: t0, from: a, to: b, label: 'SSCOP BGN', category: 'sscop' },
  { timeMs: t0 + 0.5, from: b, to: a, label: 'SSCOP BGAK', category: 'sscop' },
];

test('foldSscop: each run of SSCOP link PDUs becomes one note; signalling stays as it was', (t) => {
  const ev: LadderEvent[] = [...linkUp('root', 'leaf1', 0), ...linkUp('root', 'leaf2', 1), ...events.slice(0, 3), ...linkUp('leaf1', 'leaf2', 5), events[3]!];
  const folded = foldSscop(ev);
  t.deepEqual(folded, [
    { timeMs: 0, from: 'root', to: 'root', label: 'SSCOP: 4 link PDUs folded (BGN 2, BGAK 2)', detail: 'links leaf1-root, leaf2-root, 1.500 ms', category: 'sscop' },
    ...events.slice(0, 3),
    { timeMs: 5, from: 'leaf1', to: 'leaf1', label: 'SSCOP: 2 link PDUs folded (BGN 1, BGAK 1)', detail: 'link leaf1-leaf2, 0.500 ms', category: 'sscop' },
    events[3]!,
  ]);
  t.deepEqual(foldSscop(events), events, 'nothing to fold');
  // the renderers take the option
  const text = renderLadderText(ev, { width: 100, foldSscop: true });
  t.false(text.includes('SSCOP BGN'));
  t.true(text.includes('* SSCOP: 4 link PDUs folded (BGN 2, BGAK 2)'));
  t.is((renderLadderSvg(ev, { foldSscop: true }).match(/<g class="event /g) ?? []).length, folded.length);
  t.is((renderLadderSvg(ev).match(/<g class="event /g) ?? []).length, ev.length);
});

test('HTML page with SSCOP traffic: folded by default, a checkbox (CSS only, no script) shows every PDU', (t) => {
  const ev: LadderEvent[] = [...linkUp('root', 'leaf1', 0), ...linkUp('root', 'leaf2', 1), ...events];
  const html = renderLadderHtml(ev, { title: 'demo' });
  const wf = wellFormed(html.replace('<meta charset="utf-8">', '<meta charset="utf-8"/>'));
  t.true(wf.ok, wf.why);
  t.false(html.includes('<script'));
  t.regex(html, /<input type="checkbox" id="show-sscop"\/><label for="show-sscop">show the 4 SSCOP link PDUs/);
  t.regex(html, /\.ladder\.full \{ display: none; \}/);
  t.regex(html, /#show-sscop:checked ~ \.ladder\.full \{ display: block; \}/);
  const svgs = html.split('<svg ').slice(1);
  t.is(svgs.length, 2, 'the folded and the full diagram');
  t.is((svgs[0]!.match(/<g class="event /g) ?? []).length, events.length + 1, 'folded first (shown unless the box is ticked)');
  t.is((svgs[1]!.match(/<g class="event /g) ?? []).length, ev.length);
  // only one diagram when asked, or when there is no SSCOP traffic
  t.is(renderLadderHtml(ev, { title: 'd', sscop: 'fold' }).split('<svg ').length - 1, 1);
  t.false(renderLadderHtml(ev, { title: 'd', sscop: 'show' }).includes('id="show-sscop"'));
  t.false(renderLadderHtml(events, { title: 'd' }).includes('id="show-sscop"'));
});

/** the demo's shape: four hosts, long close-data labels */
const wide: LadderEvent[] = [
  { timeMs: 0, from: 'root', to: 'leaf1', label: 'SETUP', detail: 'call ref 1, endpoint 0' },
  { timeMs: 1, from: 'root', to: 'leaf3', label: 'SETUP', detail: 'call ref 1, endpoint 2' },
  { timeMs: 2, from: 'leaf3', to: 'root', label: "DROP PARTY (close data: 'leaf 3 is leaving the call now')", detail: 'call ref 1 (to originator), endpoint 2, cause 16 normal call clearing' },
  { timeMs: 3, from: 'root', to: 'leaf2', label: "RELEASE (close data: 'bye, leaf 2, and thanks for all the fish')", detail: 'call ref 1, cause 16 normal call clearing' },
  { timeMs: 4, from: 'root', to: 'leaf1', label: "RELEASE (close data: 'the end of the multipoint call, for everyone')", detail: 'call ref 1, cause 16 normal call clearing' },
];
const svgWidth = (svg: string) => Number(/<svg [^>]*width="(\d+)"/.exec(svg)![1]);
/** the text of each event's label and detail, tspans joined with spaces */
const eventTexts = (svg: string) =>
  svg
    .split('<g class="event ')
    .slice(1)
    .map((g) => [...g.matchAll(/<text [^>]*>((?:<tspan[^>]*>[^<]*<\/tspan>)+)<\/text>/g)].map((m) => [...m[1]!.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((x) => x[1]).join(' ')));

test('SVG fits 1200 px (or maxWidth) by narrowing lanes and wrapping labels, never cutting them; it scales with its container', (t) => {
  const svg = renderLadderSvg(wide, { hosts: ['root', 'leaf1', 'leaf2', 'leaf3'] });
  t.true(svgWidth(svg) <= 1200, `width ${svgWidth(svg)}`);
  t.regex(svg, /<svg [^>]*style="max-width:100%;height:auto"/);
  const unxml = (s: string) => s.replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  t.deepEqual(
    eventTexts(svg).map((x) => x.map(unxml)),
    wide.map((e) => [e.label, e.detail]),
    'every label and detail whole',
  );
  t.true((svg.match(/<tspan/g) ?? []).length > wide.length * 2, 'some labels wrapped');
  const narrow = renderLadderSvg(wide, { maxWidth: 800 });
  t.true(svgWidth(narrow) <= 800, `width ${svgWidth(narrow)}`);
  // no narrower than 150 px a lane: seven hosts need more than 800
  const many = Array.from({ length: 7 }, (_, i) => ({ timeMs: i, from: 'h0', to: `h${i + 1}`, label: 'SETUP' }));
  t.is(svgWidth(renderLadderSvg(many, { maxWidth: 800 })), 100 + 8 * 150 + 20);
  t.deepEqual(wrapText('RELEASE (close data: bye)', 12), ['RELEASE', '(close data:', 'bye)']);
  t.deepEqual(wrapText('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
});

// ---- a host with several links --------------------------------------------------------------

const LEAF2 = '02:00:00:00:01:03';

/** root's own capture of two links that share VCI 5, N(S) and call reference 1 */
function writeRootCapture(format: 'pcapng' | 'sunatm'): string {
  const p = join(dir, `root-${format}.${format === 'pcapng' ? 'pcapng' : 'pcap'}`);
  // leaf1 is known by MAC only (mapped through `hosts`), leaf2 by its name
  const cap = openAtmCapture(p, { format, self: 'root', peerName: (mac) => (mac === LEAF2 ? 'leaf2' : undefined) });
  const setup = (ep: number) => q2931(0x05, 1, false, [endpoint(ep)]);
  const rec: [Direction, string, Buffer][] = [
    ['tx', LEAF1, sscop(0x1)],
    ['rx', LEAF1, sscop(0x2)],
    ['tx', LEAF2, sscop(0x1)],
    ['rx', LEAF2, sscop(0x2)],
    ['tx', LEAF1, sd(setup(0), 0)],
    ['tx', LEAF2, sd(setup(0), 0)], // the same octets on the other link: not a retransmission
    ['rx', LEAF1, sd(q2931(0x07, 1, true, [endpoint(0, false)]), 0)],
    ['rx', LEAF2, sd(q2931(0x07, 1, true, [endpoint(0, false)]), 0)],
    ['tx', LEAF1, sd(q2931(0x83, 1, false, [cause(16), endpoint(0)]), 1)],
    ['tx', LEAF1, sd(q2931(0x83, 1, false, [cause(16), endpoint(0)]), 1)], // a real retransmission on leaf1's link
    ['tx', LEAF2, sscop(0x1)], // leaf2's link starts again: its numbers restart
    ['rx', LEAF2, sscop(0x2)],
    ['tx', LEAF2, sd(setup(0), 0)],
  ];
  rec.forEach(([d, peer, sdu], i) => cap.record(d, 0, 5, sdu, peer, T0 + i));
  cap.record('tx', 0, 32, Buffer.from('hello, leaves'), LEAF1, T0 + 20);
  cap.close();
  return p;
}
type Direction = 'tx' | 'rx';

test("a pcapng capture of a host with several links: one column per peer, retransmissions only where they happened", async (t) => {
  const file = writeRootCapture('pcapng');
  const ev = await eventsFromCapture(file, { self: 'root', hosts: [{ name: 'leaf1', mac: LEAF1 }], luaScript: false, sscop: true });
  t.deepEqual(
    ev.map((e) => `${e.from}>${e.to} ${e.label}${e.detail ? ` [${e.detail}]` : ''}`),
    [
      'root>leaf1 SSCOP BGN',
      'leaf1>root SSCOP BGAK',
      'root>leaf2 SSCOP BGN',
      'leaf2>root SSCOP BGAK',
      'root>leaf1 SETUP [call ref 1, endpoint 0]',
      'root>leaf2 SETUP [call ref 1, endpoint 0]',
      'leaf1>root CONNECT [call ref 1 (to originator), endpoint 0]',
      'leaf2>root CONNECT [call ref 1 (to originator), endpoint 0]',
      'root>leaf1 DROP PARTY [call ref 1, endpoint 0, cause 16 normal call clearing]',
      'root>leaf1 DROP PARTY [call ref 1, endpoint 0, cause 16 normal call clearing, retransmitted]',
      'root>leaf2 SSCOP BGN',
      'leaf2>root SSCOP BGAK',
      'root>leaf2 SETUP [call ref 1, endpoint 0]',
    ],
  );
  t.regex(renderLadderText(ev, { width: 100 }).split('\n')[0]!, /^ *time ms +root +leaf1 +leaf2$/);
});

test('a classic SunATM capture of several links: one "network" column and no retransmission claims unless the one peer is named', async (t) => {
  const file = writeRootCapture('sunatm');
  const { text } = await tsharkFields(file, { luaScript: false });
  const ev = eventsFromTsharkFields(text, { self: 'root' });
  t.deepEqual([...new Set(ev.flatMap((e) => [e.from, e.to]))], ['root', 'network']);
  t.deepEqual(
    ev.filter((e) => e.detail?.includes('retransmitted')),
    [],
  );
  t.is(ev.length, 7);
});
