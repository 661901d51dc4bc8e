/**
 * Ladder (sequence) diagrams of signalling: who sent which message to whom,
 * and when. Input is a list of events; output is terminal text, a
 * self-contained SVG, or an HTML page around the SVG. `eventsFromCapture`
 * turns a capture into events with tshark (Ethernet captures with
 * wireshark/condis.lua, SunATM captures with stock tshark).
 *
 * ```
 *   time ms      root                leaf1
 *                 |                    |
 *     0.000       |------ SETUP ------>|
 *     1.203       |<- CALL PROCEEDING -|
 * ```
 */
import { execFile } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { packagePath } from '../common/package-root.js';
import { causeName, messageName } from '../uni/msg/names.js';

export interface LadderEvent {
  /** time of the event (ms from the start of the capture) */
  timeMs: number;
  /** host names; from === to draws a note on that host's lifeline */
  from: string;
  to: string;
  /** "SETUP", "DROP PARTY (close data: 'bye')" */
  label: string;
  /** a second, smaller line: call reference, endpoint, cause ... */
  detail?: string;
  /** colour family; default: from the label (see `categoryOf`) */
  category?: Category;
}

/** Colour families of signalling messages. */
export type Category = 'setup' | 'party' | 'clear' | 'status' | 'sscop' | 'data' | 'other';

export const CATEGORY_INFO: Readonly<Record<Category, { name: string; ansi: string; svg: string }>> = {
  setup: { name: 'call setup (SETUP, CALL PROCEEDING, ALERTING, CONNECT, CONNECT ACK)', ansi: '\x1b[32m', svg: '#1a7f37' },
  party: { name: 'parties (ADD PARTY, ADD PARTY ACK, PARTY ALERTING, ADD PARTY REJECT, DROP PARTY, DROP PARTY ACK)', ansi: '\x1b[36m', svg: '#0969da' },
  clear: { name: 'clearing (RELEASE, RELEASE COMPLETE)', ansi: '\x1b[31m', svg: '#cf222e' },
  status: { name: 'status and restart (STATUS, STATUS ENQUIRY, RESTART, NOTIFY)', ansi: '\x1b[33m', svg: '#9a6700' },
  sscop: { name: 'SSCOP link control (BGN, BGAK, END, RS, ER, POLL, STAT ...)', ansi: '\x1b[90m', svg: '#6e7781' },
  data: { name: 'user data on a VC', ansi: '\x1b[34m', svg: '#8250df' },
  other: { name: 'other', ansi: '', svg: '#24292f' },
};

/** The colour family of a message label: every Q.2971 party message is a party message (blue), clearing is RELEASE / RELEASE COMPLETE (red). */
export function categoryOf(label: string): Category {
  const l = label.toUpperCase();
  if (l.startsWith('SSCOP')) return 'sscop';
  if (/^(ADD PARTY|DROP PARTY|PARTY ALERTING)/.test(l)) return 'party';
  if (/^RELEASE/.test(l)) return 'clear';
  if (/^(SETUP|CALL PROCEEDING|ALERTING|CONNECT)/.test(l)) return 'setup';
  if (/^(STATUS|RESTART|NOTIFY)/.test(l)) return 'status';
  if (/^DATA/.test(l)) return 'data';
  return 'other';
}

/**
 * Fold SSCOP link traffic: each run of consecutive SSCOP events (any links)
 * becomes one note on the first lane of the run, saying how many PDUs of
 * which types on which links were folded. Signalling messages are untouched.
 */
export function foldSscop(events: readonly LadderEvent[]): LadderEvent[] {
  const out: LadderEvent[] = [];
  let run: LadderEvent[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const types = new Map<string, number>();
    const links: string[] = [];
    for (const e of run) {
      const t = e.label.replace(/^SSCOP /i, '');
      types.set(t, (types.get(t) ?? 0) + 1);
      const link = [e.from, e.to].sort().join('-');
      if (!links.includes(link)) links.push(link);
    }
    const first = run[0]!;
    out.push({
      timeMs: first.timeMs,
      from: first.from,
      to: first.from,
      label: `SSCOP: ${run.length} link PDU${run.length === 1 ? '' : 's'} folded (${[...types].map(([t, n]) => `${t} ${n}`).join(', ')})`,
      detail: `${links.length === 1 ? 'link' : 'links'} ${links.join(', ')}, ${(run[run.length - 1]!.timeMs - first.timeMs).toFixed(3)} ms`,
      category: 'sscop',
    });
    run = [];
  };
  for (const e of events) {
    if ((e.category ?? categoryOf(e.label)) === 'sscop') run.push(e);
    else {
      flush();
      out.push(e);
    }
  }
  flush();
  return out;
}

/** Hosts in diagram order: the given ones first, then the others in order of appearance. */
export function hostOrder(events: readonly LadderEvent[], hosts: readonly string[] = []): string[] {
  const out = [...hosts];
  for (const e of events) for (const h of [e.from, e.to]) if (!out.includes(h)) out.push(h);
  return out;
}

// ---------------------------------------------------------------------------------------------
// text

export interface TextOptions {
  /** lane order (others are appended in order of appearance) */
  hosts?: string[];
  /** total width to fit (default 110) */
  width?: number;
  /** ANSI colours (default false) */
  color?: boolean;
  /** decimals of the time column (default 3) */
  timeDecimals?: number;
  /** fold each run of SSCOP link PDUs into one note (`foldSscop`) */
  foldSscop?: boolean;
}

interface Cell {
  ch: string;
  style?: string;
}

const DIM = '\x1b[2m';
const BOLD = '\x1b[1m';
const RESET = '\x1b[0m';

function truncate(s: string, n: number): string {
  if (n <= 0) return '';
  return s.length <= n ? s : n === 1 ? '…' : `${s.slice(0, n - 1)}…`;
}

/**
 * The ladder as text: a time column, one lane per host, one line per message
 * (the label inside the arrow when it fits, on a line of its own above the
 * arrow when it does not) and a line for its detail.
 */
export function renderLadderText(input: readonly LadderEvent[], opts: TextOptions = {}): string {
  const events = opts.foldSscop ? foldSscop(input) : input;
  const width = opts.width ?? 110;
  const decimals = opts.timeDecimals ?? 3;
  const hosts = hostOrder(events, opts.hosts);
  const times = events.map((e) => e.timeMs.toFixed(decimals));
  const timeHeader = 'time ms';
  const timeW = Math.max(timeHeader.length, ...times.map((t) => t.length));
  const n = hosts.length;
  const first = Math.ceil((hosts[0]?.length ?? 1) / 2);
  const lastHalf = Math.ceil((hosts[n - 1]?.length ?? 1) / 2);
  const left = timeW + 3 + Math.max(first, 1);
  // wide enough for every label inside its arrow and its detail below (an arrow over k lanes has k lanes of room)
  const wanted = Math.max(
    16,
    ...events
      .filter((e) => e.from !== e.to)
      .map((e) => Math.ceil(Math.max(e.label.length + 8, (e.detail?.length ?? 0) + 5) / Math.abs(hosts.indexOf(e.from) - hosts.indexOf(e.to)))),
    ...hosts.map((h) => h.length + 2),
  );
  const room = n > 1 ? Math.floor((width - left - lastHalf - 1) / (n - 1)) : wanted;
  const spacing = Math.max(10, Math.min(wanted, room));
  const lane = hosts.map((_, i) => left + i * spacing);
  const lineW = Math.max(lane[n - 1]! + lastHalf + 1, width);

  const blank = (): Cell[] => {
    const row: Cell[] = Array.from({ length: lineW }, () => ({ ch: ' ' }));
    for (const x of lane) row[x] = { ch: '|', ...(opts.color ? { style: DIM } : {}) };
    return row;
  };
  const put = (row: Cell[], x: number, s: string, style?: string) => {
    for (let i = 0; i < s.length && x + i < lineW; i++) if (x + i >= 0) row[x + i] = { ch: s[i]!, ...(style && opts.color ? { style } : {}) };
  };
  const putTime = (row: Cell[], t: string) => put(row, 0, t.padStart(timeW), DIM);
  const show = (row: Cell[]): string => {
    let out = '';
    let cur: string | undefined;
    for (const c of row) {
      if (c.style !== cur) {
        if (cur) out += RESET;
        if (c.style) out += c.style;
        cur = c.style;
      }
      out += c.ch;
    }
    if (cur) out += RESET;
    return out.trimEnd();
  };

  const lines: string[] = [];
  const header = Array.from({ length: lineW }, () => ({ ch: ' ' }) as Cell);
  put(header, 0, timeHeader.padStart(timeW));
  hosts.forEach((h, i) => put(header, lane[i]! - Math.floor(h.length / 2), h, BOLD));
  lines.push(show(header), show(blank()));

  events.forEach((e, k) => {
    const a = hosts.indexOf(e.from);
    const b = hosts.indexOf(e.to);
    const style = opts.color ? CATEGORY_INFO[e.category ?? categoryOf(e.label)].ansi || undefined : undefined;
    if (a === b) {
      // a note on one lifeline
      const row = blank();
      putTime(row, times[k]!);
      put(row, lane[a]!, '*', style);
      put(row, lane[a]! + 2, truncate(e.label, lineW - lane[a]! - 2), style);
      lines.push(show(row));
      if (e.detail) {
        const d = blank();
        put(d, lane[a]! + 2, truncate(e.detail, lineW - lane[a]! - 2), DIM);
        lines.push(show(d));
      }
      return;
    }
    const lo = Math.min(lane[a]!, lane[b]!);
    const hi = Math.max(lane[a]!, lane[b]!);
    const inner = hi - lo - 1; // cells between the two lifelines
    const arrow = '-'.repeat(inner).split('');
    if (b > a) arrow[inner - 1] = '>';
    else arrow[0] = '<';
    const label = ` ${e.label} `;
    const fits = label.length <= inner - 4;
    if (fits) {
      const at = Math.floor((inner - label.length) / 2);
      for (let i = 0; i < label.length; i++) arrow[at + i] = label[i]!;
    } else {
      const row = blank();
      put(row, lo + 2, truncate(e.label, lineW - lo - 2), style);
      lines.push(show(row));
    }
    const row = blank();
    putTime(row, times[k]!);
    put(row, lo + 1, arrow.join(''), style);
    lines.push(show(row));
    if (e.detail) {
      const d = blank();
      // inside the span when it has room, else on to the right edge
      const span = inner - 3;
      put(d, lo + 2, truncate(e.detail, span >= 16 ? span : lineW - lo - 2), DIM);
      lines.push(show(d));
    }
  });
  lines.push(show(blank()));
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// SVG and HTML

export interface SvgOptions {
  hosts?: string[];
  /** shown above the diagram inside the SVG (the HTML page shows its own) */
  title?: string;
  /** a line under each host's name (its MAC or ATM address) */
  hostNotes?: Record<string, string>;
  timeDecimals?: number;
  /**
   * the width (px) the diagram aims to fit (default 1200): lanes get narrower
   * (down to 150 px) and labels that do not fit wrap onto more lines. The SVG
   * also scales down with its container (max-width: 100%).
   */
  maxWidth?: number;
  /** fold each run of SSCOP link PDUs into one note (`foldSscop`) */
  foldSscop?: boolean;
}

function xml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const FONT = "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace";
/** approximate advance of one character at 13px in the monospace font */
const CHAR_W = 7.9;
/** ... and at 11px (details) */
const SMALL_W = 6.7;
const LINE_H = 15;
const SMALL_H = 13;

/** Greedy word wrap to lines of at most `max` characters (a longer word is cut); at least one line. */
export function wrapText(s: string, max: number): string[] {
  const n = Math.max(4, Math.floor(max));
  const lines: string[] = [];
  let cur = '';
  for (let word of s.split(' ')) {
    while (word.length > n) {
      if (cur) {
        lines.push(cur);
        cur = '';
      }
      lines.push(word.slice(0, n));
      word = word.slice(n);
    }
    if (!cur) cur = word;
    else if (cur.length + 1 + word.length <= n) cur += ` ${word}`;
    else {
      lines.push(cur);
      cur = word;
    }
  }
  lines.push(cur);
  return lines;
}

/**
 * A self-contained SVG (no external fonts, styles or scripts): one lane per
 * host, one arrow per message (`class="arrow"`), its label above and detail
 * below (wrapped when the lanes are too narrow for them), times on the left.
 * Hovering a message shows its full text.
 */
export function renderLadderSvg(input: readonly LadderEvent[], opts: SvgOptions = {}): string {
  const events = opts.foldSscop ? foldSscop(input) : input;
  const hosts = hostOrder(events, opts.hosts);
  const n = Math.max(1, hosts.length);
  const decimals = opts.timeDecimals ?? 3;
  const timeCol = 100;
  // wide enough for every label above its arrow (an arrow over k lanes has k lanes of room) ...
  const need = Math.max(
    ...events.filter((e) => e.from !== e.to).map((e) => (e.label.length * CHAR_W + 40) / Math.abs(hosts.indexOf(e.from) - hosts.indexOf(e.to))),
    ...hosts.map((h) => (h.length + 4) * CHAR_W),
  );
  // ... but no wider than maxWidth allows: then labels wrap
  const fit = Math.floor(((opts.maxWidth ?? 1200) - timeCol - 20) / n);
  const spacing = Math.max(150, Math.min(460, Math.round(need), fit));
  const marginL = timeCol + spacing / 2;
  const titleH = opts.title ? 34 : 0;
  const headH = opts.hostNotes ? 52 : 40;
  const top = 16 + titleH + headH + 18;
  const lane = hosts.map((_, i) => marginL + i * spacing);
  const right = lane[hosts.length - 1]! + spacing / 2;
  const width = Math.round(right + 20);

  // lay out every row: label and detail lines
  const rows = events.map((e) => {
    const a = lane[hosts.indexOf(e.from)]!;
    const b = lane[hosts.indexOf(e.to)]!;
    // notes run from their lane to the right edge; arrows have the room between their lanes
    const room = a === b ? Math.max(right - a - 36, spacing - 36) : Math.abs(b - a) - 16;
    const label = wrapText(e.label, room / CHAR_W);
    const detail = e.detail ? wrapText(e.detail, room / SMALL_W) : [];
    const h = a === b ? Math.max(32, 12 + label.length * LINE_H + detail.length * SMALL_H) : 18 + label.length * LINE_H + (detail.length ? 2 + detail.length * SMALL_H : 0);
    return { e, a, b, label, detail, h };
  });
  const height = Math.round(top + rows.reduce((s, r) => s + r.h, 0) + 30);
  const cats = [...new Set(events.map((e) => e.category ?? categoryOf(e.label)))];

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" style="max-width:100%;height:auto" font-family="${xml(FONT)}" font-size="13">`,
  );
  out.push(`<title>${xml(opts.title ?? 'signalling ladder')}</title>`);
  out.push('<defs>');
  for (const c of cats) {
    out.push(
      `<marker id="head-${c}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${CATEGORY_INFO[c].svg}"/></marker>`,
    );
  }
  out.push('</defs>');
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (opts.title) out.push(`<text x="16" y="${16 + 18}" font-size="17" font-weight="bold" fill="#24292f">${xml(opts.title)}</text>`);
  const headY = 16 + titleH;
  out.push(`<text x="${timeCol - 12}" y="${headY + 24}" text-anchor="end" fill="#57606a">time (ms)</text>`);
  hosts.forEach((h, i) => {
    const x = lane[i]!;
    const note = opts.hostNotes?.[h];
    const w = Math.min(spacing - 8, Math.max(90, h.length * CHAR_W + 28, (note?.length ?? 0) * SMALL_W + 16));
    const name = wrapText(h, (w - 12) / CHAR_W)[0]!;
    out.push(`<g class="host"><title>${xml(h)}</title><rect x="${(x - w / 2).toFixed(1)}" y="${headY}" width="${w.toFixed(1)}" height="${headH}" rx="6" fill="#f6f8fa" stroke="#57606a"/>`);
    out.push(`<text x="${x}" y="${headY + 24}" text-anchor="middle" font-weight="bold" fill="#24292f">${xml(name)}</text>`);
    if (note) out.push(`<text x="${x}" y="${headY + 42}" text-anchor="middle" font-size="11" fill="#57606a">${xml(truncate(note, Math.floor((w - 8) / SMALL_W)))}</text>`);
    out.push(`<line class="lifeline" x1="${x}" y1="${headY + headH}" x2="${x}" y2="${height - 12}" stroke="#8c959f" stroke-dasharray="4 4"/></g>`);
  });

  const halo = 'stroke="#ffffff" stroke-width="3" paint-order="stroke"';
  const tspans = (lines: string[], x: number, y0: number, lh: number) => lines.map((l, i) => `<tspan x="${x}" y="${y0 + i * lh}">${xml(l)}</tspan>`).join('');
  let y = top;
  for (const { e, a, b, label, detail, h } of rows) {
    const cat = e.category ?? categoryOf(e.label);
    const colour = CATEGORY_INFO[cat].svg;
    const full = `${e.timeMs.toFixed(decimals)} ms  ${e.from} → ${e.to}: ${e.label}${e.detail ? ` (${e.detail})` : ''}`;
    out.push(`<g class="event ${cat}"><title>${xml(full)}</title>`);
    if (a === b) {
      const lineY = y + 18;
      out.push(`<text x="${timeCol - 12}" y="${lineY + 4}" text-anchor="end" fill="#57606a">${xml(e.timeMs.toFixed(decimals))}</text>`);
      out.push(`<path class="arrow" d="M${a},${lineY - 8} h28 v16 h-26" fill="none" stroke="${colour}" stroke-width="1.6" marker-end="url(#head-${cat})"/>`);
      out.push(`<text fill="${colour}" font-weight="bold" ${halo}>${tspans(label, a + 36, lineY + 4, LINE_H)}</text>`);
      if (detail.length) out.push(`<text font-size="11" fill="#57606a" ${halo}>${tspans(detail, a + 36, lineY + 4 + label.length * LINE_H, SMALL_H)}</text>`);
    } else {
      // label lines above the arrow, detail lines below
      const lineY = y + 12 + label.length * LINE_H;
      out.push(`<text x="${timeCol - 12}" y="${lineY + 4}" text-anchor="end" fill="#57606a">${xml(e.timeMs.toFixed(decimals))}</text>`);
      const dir = b > a ? 1 : -1;
      out.push(`<line class="arrow" x1="${a}" y1="${lineY}" x2="${b - dir * 1}" y2="${lineY}" stroke="${colour}" stroke-width="1.6" marker-end="url(#head-${cat})"/>`);
      const mid = (a + b) / 2;
      out.push(`<text text-anchor="middle" fill="${colour}" font-weight="bold" ${halo}>${tspans(label, mid, lineY - 6 - (label.length - 1) * LINE_H, LINE_H)}</text>`);
      if (detail.length) out.push(`<text text-anchor="middle" font-size="11" fill="#57606a" ${halo}>${tspans(detail, mid, lineY + 16, SMALL_H)}</text>`);
    }
    out.push('</g>');
    y += h;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export interface HtmlOptions extends SvgOptions {
  title: string;
  /** a paragraph under the title (capture file, lab, date ...) */
  subtitle?: string;
  /**
   * SSCOP link traffic: 'toggle' (default) draws it folded with a checkbox
   * that shows every PDU (CSS only, no script); 'fold' only folded; 'show'
   * only unfolded. Without SSCOP events there is nothing to fold.
   */
  sscop?: 'toggle' | 'fold' | 'show';
}

/** A standalone HTML page: title, the SVG, and a legend of the colours used. */
export function renderLadderHtml(events: readonly LadderEvent[], opts: HtmlOptions): string {
  const { title, subtitle, sscop: sscopMode = 'toggle', foldSscop: _f, ...svgOpts } = opts;
  const hasSscop = events.some((e) => (e.category ?? categoryOf(e.label)) === 'sscop');
  const mode = hasSscop ? (opts.foldSscop ? 'fold' : sscopMode) : 'show';
  const full = mode === 'fold' ? '' : renderLadderSvg(events, svgOpts);
  const folded = mode === 'show' ? '' : renderLadderSvg(events, { ...svgOpts, foldSscop: true });
  const nSscop = events.filter((e) => (e.category ?? categoryOf(e.label)) === 'sscop').length;
  const cats = [...new Set(events.map((e) => e.category ?? categoryOf(e.label)))];
  const legend = cats
    .map((c) => `<li><span class="swatch" style="background:${CATEGORY_INFO[c].svg}"></span>${xml(CATEGORY_INFO[c].name)}</li>`)
    .join('\n');
  const body =
    mode === 'toggle'
      ? `<input type="checkbox" id="show-sscop"/><label for="show-sscop">show the ${nSscop} SSCOP link PDUs (BGN, BGAK ...) one by one</label>
<div class="ladder folded">
${folded}</div>
<div class="ladder full">
${full}</div>`
      : `<div class="ladder">
${mode === 'fold' ? folded : full}</div>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>${xml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 16px; color: #24292f; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
p.sub { color: #57606a; margin: 0 0 12px; }
.ladder { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 6px; max-width: 100%; box-sizing: border-box; }
.ladder svg { display: block; }
#show-sscop { margin: 0 6px 12px 0; }
label[for="show-sscop"] { color: #57606a; }
.ladder.full { display: none; }
#show-sscop:checked ~ .ladder.full { display: block; }
#show-sscop:checked ~ .ladder.folded { display: none; }
ul.legend { list-style: none; padding: 0; margin: 16px 0; }
ul.legend li { margin: 4px 0; }
.swatch { display: inline-block; width: 28px; height: 4px; vertical-align: middle; margin-right: 8px; border-radius: 2px; }
</style>
</head>
<body>
<h1>${xml(title)}</h1>
${subtitle ? `<p class="sub">${xml(subtitle)}</p>\n` : ''}${body}
<h2 style="font-size:15px">Legend</h2>
<ul class="legend">
${legend}
</ul>
<p class="sub">${events.length} message(s); hover over a message for its full text.</p>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// from captures (tshark)

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
}

export interface CaptureHost {
  name: string;
  mac?: string;
}

export interface CaptureOptions {
  /** Ethernet captures: hosts by MAC (unknown MACs stay MACs) */
  hosts?: CaptureHost[];
  /** SunATM captures: the host that wrote the capture (default "host") ... */
  self?: string;
  /**
   * ... and, for a classic SunATM pcap (no interface per link), the other end
   * of its links (default "network"). Naming the peer says the file holds one
   * link, so repeated SSCOP sequence numbers are marked as retransmissions;
   * without it they are not (several links share VCI 5 and their numbers).
   * pcapng captures of condisd name the peer of each link in the interface
   * name, which takes precedence (a MAC there is mapped through `hosts`).
   */
  peer?: string;
  /**
   * pcapng captures: the column for each interface name (a switch's capture
   * names its interfaces for its ports: `{p1: 'root', p2: 'leaf1'}` draws the
   * switch's column against its hosts', and each message's detail says the port)
   */
  interfaces?: Record<string, string>;
  /** the condis Lua dissector: needed for Ethernet captures, adds close data to SunATM ones. Default: wireshark/condis.lua of this checkout when present; false: stock tshark only */
  luaScript?: string | false;
  /** SSCOP PDUs other than SD: true adds link control (BGN, BGAK, END, ENDAK, RS, RSAK, ER, ERAK, BGREJ), 'all' also POLL/STAT/USTAT */
  sscop?: boolean | 'all';
  /** tshark binary (default "tshark") */
  tshark?: string;
}

/** The fields `eventsFromTsharkFields` reads, in order (tab-separated, all occurrences, comma-aggregated); `frame.interface_name` is a pcapng capture's link. */
export const TSHARK_FIELDS = [
  'frame.number',
  'frame.time_relative',
  'eth.src',
  'eth.dst',
  'atm.channel',
  'sscop.type',
  'sscop.s',
  'q2931.message_type',
  'q2931.call_ref',
  'q2931.call_ref_flag',
  'q2931.endpoint_reference.identifier_value',
  'q2931.cause.value',
  'frame.interface_name',
] as const;
/** added when the Lua dissector is loaded */
export const TSHARK_LUA_FIELDS = ['condis_q2931.uu.data'] as const;

const SSCOP_NAMES: Record<number, string> = {
  0x1: 'BGN',
  0x2: 'BGAK',
  0x3: 'END',
  0x4: 'ENDAK',
  0x5: 'RS',
  0x6: 'RSAK',
  0x7: 'BGREJ',
  0x8: 'SD',
  0x9: 'ER',
  0xa: 'POLL',
  0xb: 'STAT',
  0xc: 'USTAT',
  0xd: 'UD',
  0xe: 'MD',
  0xf: 'ERAK',
};
const SSCOP_POLLING = new Set([0xa, 0xb, 0xc]);
/** BGN, BGAK, RS, RSAK, ER, ERAK: the link's sequence numbers start again */
const SSCOP_RESTART = new Set([0x1, 0x2, 0x5, 0x6, 0x9, 0xf]);

function defaultLuaScript(): string | undefined {
  const p = packagePath('wireshark', 'condis.lua');
  return existsSync(p) ? p : undefined;
}

/** tshark arguments for `file` (the Lua script, if any, is loaded with -X). */
export function tsharkArgs(file: string, luaScript: string | undefined): string[] {
  const fields = [...TSHARK_FIELDS, ...(luaScript ? TSHARK_LUA_FIELDS : [])];
  return [
    '-r',
    file,
    ...(luaScript ? ['-X', `lua_script:${luaScript}`] : []),
    '-Y',
    'sscop',
    '-T',
    'fields',
    '-E',
    'separator=/t',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=,',
    ...fields.flatMap((f) => ['-e', f]),
  ];
}

/** Close data for a label: 'bye' when it is printable text, else hex. */
export function showCloseData(b: Buffer): string {
  const s = b.toString('latin1');
  if (/^[\x20-\x7e]*$/.test(s)) return `'${s.length > 40 ? `${s.slice(0, 39)}…` : s}'`;
  const hex = b.subarray(0, 16).toString('hex');
  return `0x${hex}${b.length > 16 ? '…' : ''} (${b.length} octets)`;
}

function num(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  const n = s.startsWith('0x') ? parseInt(s, 16) : Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Events from tshark's `-T fields` output (the columns of TSHARK_FIELDS, then
 * TSHARK_LUA_FIELDS when `withLua`). Pure: tests feed it text.
 */
export function eventsFromTsharkFields(text: string, opts: Omit<CaptureOptions, 'luaScript' | 'tshark'> & { withLua?: boolean } = {}): LadderEvent[] {
  const byMac = new Map((opts.hosts ?? []).filter((h) => h.mac).map((h) => [h.mac!.toLowerCase(), h.name]));
  const self = opts.self ?? 'host';
  const events: LadderEvent[] = [];
  // SD PDUs seen per direction of a link (N(S) + what the message says); an SSCOP connection
  // (re)established on the link (BGN, RS, ER and their acknowledgements) starts numbering afresh
  const seenSd = new Map<string, Set<string>>();
  const linkKey = (a: string, b: string) => [a, b].sort().join('\0');
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const c = line.split('\t');
    const [, time, ethSrc, ethDst, channel, sscopType, sscopS, msgType, callRef, callRefFlag, endpoint, causes, iface, uuData] = c;
    const timeMs = Number(time) * 1000;
    let from: string;
    let to: string;
    // whether this row's link is known (Ethernet MACs, a pcapng interface per link, or a classic file the caller says has one peer)
    let linkKnown = true;
    let port: string | undefined;
    if (ethSrc) {
      from = byMac.get(ethSrc.toLowerCase()) ?? ethSrc.toLowerCase();
      to = byMac.get((ethDst ?? '').toLowerCase()) ?? (ethDst ?? '?').toLowerCase();
    } else if (channel !== undefined && channel !== '') {
      // SunATM: channel 0 = DTE->DCE = sent by the host that wrote the capture
      let peer: string;
      if (iface && opts.interfaces?.[iface] !== undefined) {
        peer = opts.interfaces[iface]!;
        port = iface;
      } else if (iface) peer = byMac.get(iface.toLowerCase()) ?? iface;
      else {
        peer = opts.peer ?? 'network';
        linkKnown = opts.peer !== undefined;
      }
      [from, to] = channel === '0' ? [self, peer] : [peer, self];
    } else continue;
    const type = num(sscopType?.split(',')[0]);
    const mt = num(msgType?.split(',')[0]);
    if (mt === undefined) {
      if (type === undefined || type === 0x8) continue;
      if (SSCOP_RESTART.has(type)) seenSd.delete(linkKey(from, to));
      if (!opts.sscop || (SSCOP_POLLING.has(type) && opts.sscop !== 'all')) continue;
      events.push({ timeMs, from, to, label: `SSCOP ${SSCOP_NAMES[type] ?? type}`, category: 'sscop' });
      continue;
    }
    let label = messageName(mt);
    if (uuData) {
      const data = Buffer.from(uuData.split(',')[0]!, 'hex');
      label += ` (close data: ${showCloseData(data)})`;
    }
    const parts: string[] = port ? [`port ${port}`] : [];
    const cref = num(callRef ? `0x${callRef.replace(/[^0-9a-f]/gi, '')}` : undefined);
    if (cref !== undefined) parts.push(`call ref ${cref}${callRefFlag === '1' || callRefFlag === 'True' ? ' (to originator)' : ''}`);
    const ep = num(endpoint?.split(',')[0]);
    if (ep !== undefined) parts.push(`endpoint ${ep}`);
    for (const cv of (causes ?? '').split(',').filter(Boolean)) {
      const v = num(cv);
      if (v !== undefined) parts.push(`cause ${v} ${causeName(v)}`);
    }
    // SSCOP retransmits an SD with the same N(S) and the same message: mark the copy
    if (sscopS && linkKnown) {
      const key = linkKey(from, to);
      const seen = seenSd.get(key) ?? new Set<string>();
      seenSd.set(key, seen);
      const sd = `${from}\0${sscopS}\0${label}\0${parts.join(',')}`;
      if (seen.has(sd)) parts.push('retransmitted');
      seen.add(sd);
    }
    events.push({ timeMs, from, to, label, ...(parts.length ? { detail: parts.join(', ') } : {}) });
  }
  return events;
}

function linkTypeOf(file: string): number | undefined {
  try {
    const fd = openSync(file, 'r');
    const b = Buffer.alloc(24);
    const n = readSync(fd, b, 0, 24, 0);
    closeSync(fd);
    if (n < 24) return undefined;
    const magic = b.readUInt32LE(0);
    if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) return b.readUInt32LE(20);
    if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) return b.readUInt32BE(20);
    return undefined; // pcapng or unknown: let tshark decide
  } catch {
    return undefined;
  }
}

/**
 * Run tshark on a capture and turn its signalling into ladder events.
 * Ethernet captures need the Lua dissector; SunATM captures decode with stock
 * tshark (close data only with the Lua script).
 */
export async function eventsFromCapture(file: string, opts: CaptureOptions = {}): Promise<LadderEvent[]> {
  const { text, withLua } = await tsharkFields(file, opts);
  return eventsFromTsharkFields(text, { ...opts, withLua });
}

/** tshark's field rows for a capture (TSHARK_FIELDS, then TSHARK_LUA_FIELDS when the Lua script was loaded): map them with `eventsFromTsharkFields`. */
export async function tsharkFields(file: string, opts: Pick<CaptureOptions, 'luaScript' | 'tshark'> = {}): Promise<{ text: string; withLua: boolean }> {
  if (!existsSync(file)) throw new CaptureError(`no capture file ${file}`);
  const lua = opts.luaScript === false ? undefined : (opts.luaScript ?? defaultLuaScript());
  if (lua && !existsSync(lua)) throw new CaptureError(`no Lua dissector at ${lua}`);
  if (!lua && linkTypeOf(file) === 1) throw new CaptureError(`${file} is an Ethernet capture: tshark needs the condis Lua dissector (wireshark/condis.lua) to decode it`);
  const args = tsharkArgs(file, lua);
  const stdout = await new Promise<string>((res, rej) => {
    execFile(opts.tshark ?? 'tshark', args, { maxBuffer: 256 << 20, timeout: 120_000 }, (error, out, err) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        rej(new CaptureError(code === 'ENOENT' ? 'tshark is not installed (apt-get install tshark)' : `tshark failed on ${file}: ${String(err || error.message).trim()}`));
      } else res(String(out));
    });
  });
  return { text: stdout, withLua: !!lua };
}

/** A file of the package (for scripts): `repoPath('wireshark', 'condis.lua')`. */
export function repoPath(...parts: string[]): string {
  return packagePath(...parts);
}
