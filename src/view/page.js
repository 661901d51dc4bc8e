// condis-tap live view: plain DOM, fed by /events (Server-Sent Events) and /api/state.
const SVG = 'http://www.w3.org/2000/svg';
const $ = (sel) => document.querySelector(sel);
const hosts = new Map(); // name -> {up, status, error}
const rows = []; // ladder rows in time order: {at, from, to, label, detail, cls, key, note?}
const keys = new Map(); // call filter key -> label

// A busy lab sends thousands of events a second: the page keeps and draws a bounded amount, and redraws
// at most every REDRAW_MS, so that it keeps up whatever the rate.
/** ladder rows kept (the oldest go, PRUNE_ROWS at a time) and drawn (the newest that pass the filter) */
const ROWS_KEPT = 5000;
const PRUNE_ROWS = 500;
const ROWS_DRAWN = 300;
/** rows drawn per table; the rest are counted under it */
const TABLE_ROWS = 100;
const REDRAW_MS = 100;
/** ladder rows no longer kept */
let rowsDropped = 0;
/** data rows whose sender is not known yet (the receiving host's tables tell it) */
const unplaced = new Set();
/** hosts seen in ladder rows that are not hosts of the view (a peer's MAC) */
const extraCols = new Set();

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
function sv(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
const bytesText = (b) => (b ? (b.text !== undefined ? `'${b.text}'` : `0x${b.hex}`) : '');
/** a switch (condisd with role: switch) reports its ports, routes and calls instead of VCs */
const isSwitch = (name) => !!hosts.get(name)?.status?.switch;
/** the MACs a host answers to: its own, or each port's for a switch */
const macsOf = (h) => [h.status?.info?.mac, ...(h.status?.switch?.ports ?? []).map((p) => p.mac)].filter(Boolean).map((m) => m.toLowerCase());
/** every MAC a host was seen with: a host whose daemon has gone keeps its name in the ladder */
const seenMacs = new Map();
const hostByMac = (mac) => {
  const m = String(mac).toLowerCase();
  for (const [name, h] of hosts) if (macsOf(h).includes(m)) return name;
  return seenMacs.get(m);
};
const remember = (h) => {
  for (const m of macsOf(h)) seenMacs.set(m, h.host);
};
const peerName = (mac) => hostByMac(mac) ?? mac;

// ---- redrawing --------------------------------------------------------------------------------
const dirty = new Set();
let drawTimer;
let drawnAt = -Infinity;
/** draw these parts ('topology', 'hosts', 'ladder') soon: together, at most every REDRAW_MS, in an animation frame */
function redraw(...parts) {
  for (const p of parts) dirty.add(p);
  if (drawTimer !== undefined) return;
  drawTimer = setTimeout(() => requestAnimationFrame(drawDirty), Math.max(0, drawnAt + REDRAW_MS - performance.now()));
}
function drawDirty() {
  drawTimer = undefined;
  drawnAt = performance.now();
  if (dirty.has('topology')) drawTopology();
  if (dirty.has('hosts')) drawHosts();
  if (dirty.has('ladder')) drawLadder();
  dirty.clear();
}

// ---- topology ------------------------------------------------------------------------------
/** hosts drawn as full boxes (name, addresses, MAC) up to this many; more are name tags (the rest in a tooltip) */
const FULL_NODES = 6;
/** links listed one per line up to this many; beyond, a summary, then the links that are down or carry calls */
const LINKS_LISTED = 12;
/** past this many nodes (hosts and switches) the topology takes the page's whole width (its column alone would shrink the tags) */
const WIDE_NODES = 12;
/** the widest drawing of hosts on one circle, px; a larger one is mostly empty middle: rings take less room */
const ONE_RING_MAX = 640;

/**
 * Where each host goes: up to FULL_NODES full boxes on an ellipse across the box; more as tags, switches in
 * the middle. The hosts go on one circle large enough that no two tags overlap (their centres are at least a
 * tag's diagonal apart) while that circle fits the box and ONE_RING_MAX; past that, on rings a diagonal
 * apart, each holding as many as fit, the inner ones first, which keeps the drawing (scaled down to the box's
 * width when wider) readable and compact with many more hosts than one circle would.
 */
function layout(names, boxWidth) {
  /** `list` evenly round an ellipse about (cx, cy), the first at the top, turned by `turn` radians */
  const around = (list, cx, cy, rx, ry = rx, turn = 0) =>
    list.map((n, i) => {
      const a = -Math.PI / 2 + turn + (2 * Math.PI * i) / list.length;
      return [n, { x: cx + rx * Math.cos(a), y: cy + ry * Math.sin(a) }];
    });
  if (names.length <= FULL_NODES) {
    const w = boxWidth;
    const h = 200;
    return { compact: false, w, h, pos: new Map(around(names, w / 2, h / 2, Math.max(80, w / 2 - 80), 64)), nodeW: 140, nodeH: 48 };
  }
  const nodeW = Math.max(44, 14 + 7.5 * Math.max(...names.map((n) => n.length)));
  const nodeH = 22;
  const gap = Math.hypot(nodeW, nodeH) + 8;
  // the radius at which k tags around a circle are `gap` apart, and how many fit on a circle of radius r
  const ring = (k) => (k <= 1 ? 0 : gap / (2 * Math.sin(Math.PI / k)));
  const room = (r) => Math.floor(Math.PI / Math.asin(Math.min(1, gap / (2 * r))));
  // switches (the hubs of their hosts' links) in the middle, on a ring of their own when there are several
  const sws = names.filter(isSwitch);
  const hs = names.filter((n) => !isSwitch(n));
  const rIn = sws.length > 1 ? Math.max(ring(sws.length), gap) : 0;
  const r0 = Math.max(90, sws.length ? rIn + 2.5 * gap : 0);
  const one = Math.max(r0, ring(hs.length));
  /** [radius, hosts] from the inside out */
  const rings = [];
  if (hs.length === 0 || 2 * one + nodeW + 16 <= Math.min(boxWidth, ONE_RING_MAX)) rings.push([one, hs]);
  else {
    /** [radius, how many fit] from r0 outwards, until all the hosts fit */
    const radii = [];
    let total = 0;
    for (let r = r0; total < hs.length; r += gap) {
      radii.push([r, room(r)]);
      total += radii[radii.length - 1][1];
    }
    // the hosts shared out in proportion to each ring's room (never more than it holds)
    let upTo = 0;
    let given = 0;
    for (const [i, [r, fits]] of radii.entries()) {
      upTo += fits;
      const end = i === radii.length - 1 ? hs.length : Math.floor((hs.length * upTo) / total);
      rings.push([r, hs.slice(given, end)]);
      given = end;
    }
  }
  const r = rings[rings.length - 1][0];
  const w = Math.max(boxWidth, 2 * r + nodeW + 16);
  const h = 2 * r + nodeH + 16;
  // every other ring turned by half a step, so that the lines to an outer ring pass between the inner tags
  const pos = new Map([...around(sws, w / 2, h / 2, rIn), ...rings.flatMap(([ri, part], i) => around(part, w / 2, h / 2, ri, ri, i % 2 ? Math.PI / part.length : 0))]);
  return { compact: true, w, h, pos, nodeW, nodeH };
}

function linkLabel(name, other, l) {
  return el('li', { class: `link-label ${l.established ? 'up' : 'down'}` }, el('b', {}, `${name} – ${other}`), ` SSCOP: ${l.state}${l.calls ? ` · ${l.calls} call${l.calls > 1 ? 's' : ''}` : ''}`);
}

/** every link one per line in a small lab; in a big one, how many are up, then those that are down or carry calls */
function linkList(links) {
  if (links.length <= LINKS_LISTED) return links.map(([name, other, l]) => linkLabel(name, other, l));
  const up = links.filter(([, , l]) => l.established).length;
  const notable = links.filter(([, , l]) => !l.established || l.calls).sort(([, , a], [, , b]) => Number(a.established) - Number(b.established));
  const out = [el('li', { class: `link-summary ${up === links.length ? 'up' : 'down'}` }, el('b', {}, `${up} of ${links.length} links up`), notable.length ? '; down or carrying calls:' : '')];
  for (const [name, other, l] of notable.slice(0, TABLE_ROWS)) out.push(linkLabel(name, other, l));
  if (notable.length > TABLE_ROWS) out.push(el('li', { class: 'more' }, `… and ${(notable.length - TABLE_ROWS).toLocaleString('en')} more`));
  return out;
}

function drawTopology() {
  const svg = $('#topo');
  svg.replaceChildren();
  const names = [...hosts.keys()];
  $('#topo-box').classList.toggle('wide', names.length > WIDE_NODES);
  const box = svg.clientWidth || 600;
  const { compact, w, h, pos, nodeW, nodeH } = layout(names, box);
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.style.height = `${Math.round((h * Math.min(box, w)) / w)}px`;
  svg.classList.toggle('compact', compact);
  const seen = new Set();
  const links = [];
  for (const [name, hst] of hosts) {
    for (const l of hst.status?.links ?? []) {
      const other = hostByMac(l.peer);
      if (!other || !pos.has(other)) continue;
      const pair = [name, other].sort().join('|');
      if (seen.has(pair)) continue;
      seen.add(pair);
      const a = pos.get(name);
      const b = pos.get(other);
      const g = sv('g', { class: `link ${l.established ? 'up' : 'down'}`, 'data-pair': pair });
      g.append(sv('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y }));
      links.push([name, other, l]);
      svg.append(g);
    }
  }
  for (const [name, hst] of hosts) {
    const p = pos.get(name);
    const sw = hst.status?.switch;
    const info = hst.status?.info;
    const g = sv('g', { class: `node${sw ? ' switch' : ''}`, 'data-host': name });
    g.append(sv('rect', { x: p.x - nodeW / 2, y: p.y - nodeH / 2, width: nodeW, height: nodeH, rx: sw ? nodeH / 3.5 : 6, ...(hst.up ? {} : { style: 'stroke:#c0392b' }) }));
    if (compact) {
      // a tag: the name, what the full box would say in its tooltip
      const what = sw ? `switch, ${sw.ports.length} ports, ${sw.calls.length} calls` : info ? `${info.addresses.join(', ')} · ${info.mac}` : hst.error ?? '';
      g.append(sv('title', {}, `${name}: ${what}`));
      g.append(sv('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle', class: 'name' }, name));
    } else if (sw) {
      g.append(sv('text', { x: p.x, y: p.y - 7, 'text-anchor': 'middle', class: 'name' }, name));
      g.append(sv('text', { x: p.x, y: p.y + 8, 'text-anchor': 'middle', class: 'kind' }, `switch · ${sw.ports.length} port${sw.ports.length === 1 ? '' : 's'}`));
      g.append(sv('text', { x: p.x, y: p.y + 20, 'text-anchor': 'middle', style: 'font-size:10px;fill:#666' }, `${sw.calls.length} call${sw.calls.length === 1 ? '' : 's'} · ${sw.routes.length} route${sw.routes.length === 1 ? '' : 's'}`));
    } else {
      g.append(sv('text', { x: p.x, y: p.y - 7, 'text-anchor': 'middle', class: 'name' }, name));
      g.append(sv('text', { x: p.x, y: p.y + 8, 'text-anchor': 'middle' }, info ? info.addresses.join(', ') : hst.error ?? ''));
      g.append(sv('text', { x: p.x, y: p.y + 20, 'text-anchor': 'middle', style: 'font-size:10px;fill:#666' }, info?.mac ?? ''));
    }
    svg.append(g);
  }
  $('#links').replaceChildren(...linkList(links));
}

// ---- tables --------------------------------------------------------------------------------
/** the first TABLE_ROWS items, then a row that counts the others */
function table(cols, items) {
  if (!items.length) return el('div', { class: 'none' }, 'none');
  const t = el('table', {}, el('tr', {}, ...cols.map(([h]) => el('th', {}, h))));
  for (const it of items.slice(0, TABLE_ROWS)) t.append(el('tr', {}, ...cols.map(([, f]) => el('td', {}, f(it) ?? '-'))));
  const more = items.length - TABLE_ROWS;
  if (more > 0) t.append(el('tr', { class: 'more' }, el('td', { colspan: cols.length }, `… and ${more.toLocaleString('en')} more (condisctl status lists them all)`)));
  return t;
}
function drawHosts() {
  const box = $('#hosts');
  box.replaceChildren();
  // in a lab of many hosts, the hosts that are up and hold no call share one line at the end
  const idle = [];
  for (const [name, h] of hosts) {
    const s = h.status;
    if (hosts.size > FULL_NODES && s && !s.switch && !s.vcs.some((v) => v.call) && !s.parties.length) {
      idle.push(name);
      continue;
    }
    const div = el('div', { class: `host${s?.switch ? ' switch' : ''}`, 'data-host': name });
    if (s?.switch) {
      div.append(el('h3', {}, name, ' ', el('small', {}, `switch · ${s.switch.ports.length} ports · ${s.switch.routes.length} routes`)));
      drawSwitch(div, s.switch);
      box.append(div);
      continue;
    }
    div.append(el('h3', {}, name, ' ', el('small', {}, s ? `${s.info.addresses.join(', ')} · ${s.info.miniport}` : `down: ${h.error ?? ''}`)));
    if (s) {
      const calls = s.vcs.filter((v) => v.call);
      div.append(
        table(
          [
            ['VC', (v) => v.vc],
            ['call', (v) => `${v.call.direction} ${v.call.multipoint ? 'point-to-multipoint' : 'point-to-point'}`],
            ['called', (v) => v.call.called],
            ['calling', (v) => v.call.calling],
            ['CoNDIS', (v) => `${v.state} / ${v.call.state}`],
            ['Q.2931', (v) => v.call.uniState],
            ['path', (v) => (v.path ? `${peerName(v.path.peer)} ${v.path.vpi}/${v.path.vci}` : undefined)],
          ],
          calls,
        ),
      );
      const parties = s.parties;
      if (parties.length)
        div.append(
          table(
            [
              ['VC', (p) => p.vc],
              ['party', (p) => p.party],
              ['address', (p) => p.address],
              ['CoNDIS', (p) => p.state],
              ['Q.2971', (p) => p.uniState],
            ],
            parties,
          ),
        );
    }
    box.append(div);
  }
  if (idle.length) box.append(el('div', { class: 'idle-hosts' }, el('b', {}, `${idle.length} host${idle.length === 1 ? '' : 's'} without calls: `), idle.join(', ')));
  const sel = $('#act select[name=host]');
  const cur = sel.value;
  // a switch has no CoNDIS client: nothing to call from it
  sel.replaceChildren(...[...hosts.keys()].filter((n) => !isSwitch(n)).map((n) => el('option', { value: n }, n)));
  if (cur && hosts.has(cur)) sel.value = cur;
}

/** a switch: its ports with the hosts on them, then its calls (one row per leg) and parties */
function drawSwitch(div, sw) {
  const hostName = (mac, fallback) => hostByMac(mac) ?? fallback ?? mac;
  const ports = sw.ports.flatMap((p) => (p.hosts.length ? p.hosts.map((h) => ({ p, h })) : [{ p, h: undefined }]));
  div.append(
    table(
      [
        ['port', ({ p }) => p.name],
        ['miniport', ({ p }) => p.miniport],
        ['host', ({ h }) => (h ? hostName(h.mac, h.name) : undefined)],
        ['addresses', ({ h }) => h?.addresses.join(', ')],
        ['SSCOP', ({ h }) => h?.sscop],
        ['UNI', ({ h }) => h?.uni],
      ],
      ports,
    ),
  );
  const legs = sw.calls.flatMap((c) => c.legs.map((l) => ({ c, l })));
  div.append(
    table(
      [
        ['call', ({ c }) => c.call],
        ['kind', ({ c }) => (c.multipoint ? 'point-to-multipoint' : 'point-to-point')],
        ['leg', ({ l }) => (l.inbound ? 'in' : 'out')],
        ['port', ({ l }) => `${l.port} → ${hostName(l.peer)}`],
        ['call ref', ({ l }) => l.callRef],
        ['Q.2931', ({ l }) => l.state],
        ['VPI/VCI', ({ l }) => (l.vci !== undefined ? `${l.vpi}/${l.vci}` : undefined)],
        // an outgoing leg of a multipoint call reaches the parties on its port link
        ['address', ({ c, l }) => (l.inbound ? c.calling : c.multipoint ? c.parties.filter((p) => p.port === l.port && p.peer === l.peer).map((p) => p.called).join(', ') || c.called : c.called)],
      ],
      legs,
    ),
  );
  const parties = sw.calls.flatMap((c) => c.parties.map((p) => ({ c, p })));
  if (parties.length)
    div.append(
      table(
        [
          ['call', ({ c }) => c.call],
          ['party', ({ p }) => p.rootEpref],
          ['called', ({ p }) => p.called],
          ['phase', ({ p }) => p.phase],
          ['where', ({ p }) => (p.port ? `${p.port} → ${hostName(p.peer)}` : undefined)],
        ],
        parties,
      ),
    );
}

// ---- ladder --------------------------------------------------------------------------------
const FAMILY = { SETUP: 'setup', 'CALL PROCEEDING': 'setup', CONNECT: 'setup', 'CONNECT ACKNOWLEDGE': 'setup', ALERTING: 'setup', RELEASE: 'clear', 'RELEASE COMPLETE': 'clear' };
const family = (type) => FAMILY[type] ?? (/PARTY/.test(type) ? (/DROP/.test(type) ? 'clear' : 'party') : 'other');

function addRow(r) {
  // in time order: each host's events come over its own connection, so they may arrive a little out of order
  let i = rows.length;
  while (i > 0 && rows[i - 1].at > r.at) i--;
  rows.splice(i, 0, r);
  if (r.from) noteCols(r);
  else if (r.dataVc !== undefined) unplaced.add(r);
  if (rows.length >= ROWS_KEPT + PRUNE_ROWS) {
    const gone = rows.splice(0, rows.length - ROWS_KEPT);
    rowsDropped += gone.length;
    for (const g of gone) unplaced.delete(g);
    pruneKeys();
  }
  if (r.key && !keys.has(r.key)) {
    keys.set(r.key, r.keyLabel);
    $('#filter').append(el('option', { value: r.key }, r.keyLabel));
  }
  redraw('ladder');
}
function noteCols(r) {
  for (const n of [r.from, r.to]) if (!hosts.has(n)) extraCols.add(n);
}
/** the call filter offers the calls that still have rows (the one chosen stays) */
function pruneKeys() {
  const live = new Set(rows.map((r) => r.key));
  const chosen = $('#filter').value;
  for (const k of [...keys.keys()]) if (!live.has(k) && k !== chosen) keys.delete(k);
  $('#filter').replaceChildren(el('option', { value: '' }, 'all'), ...[...keys].map(([k, label]) => el('option', { value: k }, label)));
  $('#filter').value = chosen;
}
function drawLadder() {
  const svg = $('#ladder');
  svg.replaceChildren();
  // a data frame's sender is the other end of the receiving VC's path, known once that host's tables arrived
  for (const r of unplaced) {
    const path = hosts.get(r.to)?.paths?.get(r.dataVc);
    if (!path) continue;
    r.from = peerName(path.peer);
    r.pair = [r.from, r.to].sort().join('–');
    unplaced.delete(r);
    noteCols(r);
  }
  const cols = [...hosts.keys(), ...[...extraCols].filter((n) => !hosts.has(n))];
  const f = $('#filter').value;
  // a message row belongs to its call; a data row (no call reference) to every call of its link
  const matching = rows.filter((r) => r.from && (!f || (r.key ? r.key === f : r.pair && f.startsWith(r.pair + '#'))));
  const shown = matching.slice(-ROWS_DRAWN);
  const earlier = matching.length - shown.length;
  const summary = [earlier ? `${earlier.toLocaleString('en')} earlier rows not drawn` : '', rowsDropped ? `${rowsDropped.toLocaleString('en')} older rows no longer kept` : ''].filter(Boolean).join(' · ');
  const colW = 320;
  const left = 150;
  const rowH = 40;
  const w = left + colW * Math.max(cols.length - 1, 1) + 140;
  const top = summary ? 70 : 50;
  const h = top + rowH * shown.length + 20;
  svg.setAttribute('width', w);
  svg.setAttribute('height', h);
  const x = (n) => left + colW * cols.indexOf(n);
  svg.append(sv('defs', {}));
  if (summary) svg.append(sv('text', { x: 4, y: 44, class: 'time summary' }, `… ${summary}${f ? '' : ' (choose a call to see all of its rows)'}`));
  for (const n of cols) {
    svg.append(sv('text', { x: x(n), y: 18, 'text-anchor': 'middle', class: 'head' }, n));
    svg.append(sv('line', { x1: x(n), y1: 26, x2: x(n), y2: h - 6, class: 'life' }));
  }
  shown.forEach((r, i) => {
    const y = top + i * rowH + 16;
    svg.append(sv('text', { x: 4, y: y + 4, class: 'time' }, r.at.slice(11, 23)));
    const g = sv('g', { class: `row ${r.cls}`, 'data-key': r.key ?? '', 'data-pair': r.pair ?? '' });
    if (r.note) {
      g.append(sv('text', { x: x(r.from) + 8, y: y + 4, class: 'note lbl' }, r.label));
    } else {
      const x1 = x(r.from);
      const x2 = x(r.to);
      const dir = x2 > x1 ? 1 : -1;
      g.append(sv('line', { x1, y1: y, x2: x2 - dir * 7, y2: y, 'stroke-width': 2 }));
      g.append(sv('path', { d: `M${x2},${y} l${-dir * 9},-5 l0,10 z`, stroke: 'none' }));
      const mid = (x1 + x2) / 2;
      g.append(sv('text', { x: mid, y: y - 5, 'text-anchor': 'middle', class: 'lbl' }, r.label));
      if (r.detail) g.append(sv('text', { x: mid, y: y + 13, 'text-anchor': 'middle', class: 'lbl', style: 'font-size:11px' }, r.detail));
    }
    svg.append(g);
  });
}
function onEvent(host, ev) {
  if (ev.kind === 'message') {
    const peer = hostByMac(ev.peer);
    // a message between two hosts of the view is drawn once, when its sender reports it (a switch reports none)
    if (ev.direction === 'in' && peer && !isSwitch(peer)) return;
    const from = ev.direction === 'out' ? host : peer ?? ev.peer;
    const to = ev.direction === 'out' ? peer ?? ev.peer : host;
    const pair = [from, to].sort().join('–');
    const extra = [];
    if (ev.epref !== undefined) extra.push(`ep ${ev.epref}`);
    if (ev.called) extra.push(`to ${ev.called}`);
    if (ev.cause !== undefined) extra.push(`cause ${ev.cause} ${ev.causeName ?? ''}`.trim());
    const detail = [`cref ${ev.callRef}`, ...extra, ...(ev.closeData ? [`${ev.type === 'SETUP' || ev.type === 'ADD PARTY' ? 'uu' : 'close data'}: ${bytesText(ev.closeData)}`] : [])].join(' · ');
    addRow({ at: ev.at, from, to, label: ev.type, detail, cls: family(ev.type), key: `${pair}#${ev.callRef}`, keyLabel: `${pair} call ref ${ev.callRef}`, pair });
  } else if (ev.kind === 'receive') {
    addRow({ at: ev.at, dataVc: ev.vc, from: undefined, to: host, label: `data (${ev.data.hex.length / 2} octets)`, detail: `VC ${ev.vc} · ${bytesText(ev.data)}`, cls: 'data' });
  } else if (ev.kind === 'link-state' && !ev.established) {
    addRow({ at: ev.at, from: host, to: host, note: true, label: `✖ link to ${peerName(ev.peer)} lost: ${ev.reason ?? ev.state}`, cls: 'clear' });
  } else if (ev.kind === 'link-state' && ev.established) {
    addRow({ at: ev.at, from: host, to: host, note: true, label: `link to ${peerName(ev.peer)} up`, cls: 'setup' });
  }
}

// ---- actions -------------------------------------------------------------------------------
function showFields() {
  const op = $('#act select[name=op]').value;
  for (const l of document.querySelectorAll('#act label[data-for]')) l.hidden = !l.dataset.for.split(' ').includes(op);
}
async function runAction(e) {
  e.preventDefault();
  const f = new FormData(e.target);
  const op = f.get('op');
  const num = (k) => Number(f.get(k));
  const text = (k) => String(f.get(k) ?? '').trim();
  const utf8 = (s) => ({ encoding: 'utf8', data: s });
  const to = text('to').split(/[\s,]+/).filter(Boolean);
  let args = {};
  if (op === 'make-call') args = to.length > 1 ? { parties: to } : { called: to[0] ?? '' };
  if (op === 'add-party') args = { vc: num('vc'), address: to[0] ?? '' };
  if (op === 'drop-party') args = { vc: num('vc'), party: num('party'), ...(text('closeData') ? { closeData: utf8(text('closeData')) } : {}) };
  if (op === 'close-call') args = { vc: num('vc'), ...(text('party') ? { party: num('party') } : {}), ...(text('closeData') ? { closeData: utf8(text('closeData')) } : {}) };
  if (op === 'send') args = { vc: num('vc'), data: utf8(text('data')) };
  const out = $('#act-out');
  out.className = '';
  out.textContent = `${f.get('host')}: ${op} …`;
  const r = await fetch('/api/action', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ host: f.get('host'), op, args }) }).then((x) => x.json());
  out.className = r.ok ? '' : 'err';
  out.textContent = `${f.get('host')}: ${op} → ${r.ok ? JSON.stringify(r.result) : `${r.error.code}: ${r.error.message}`}`;
}

// ---- start ---------------------------------------------------------------------------------
/** a host's state as the server sends it, with its VCs' paths by VC (for placing data rows) */
function keepHost(h) {
  h.paths = new Map((h.status?.vcs ?? []).filter((v) => v.path).map((v) => [v.vc, v.path]));
  hosts.set(h.host, h);
  extraCols.delete(h.host);
  remember(h);
}
function setHost(h) {
  keepHost(h);
  redraw('topology', 'hosts');
  if (unplaced.size) redraw('ladder');
}
async function start() {
  const st = await fetch('/api/state').then((r) => r.json());
  document.title = `${st.title} · live view`;
  $('#title').textContent = `${st.title} · live view`;
  for (const h of st.hosts) keepHost(h);
  drawTopology();
  drawHosts();
  drawLadder();
  // (re)connecting: the server first sends what this page missed (after its last event id) and every host's tables
  const es = new EventSource('/events');
  let opens = 0;
  es.addEventListener('open', () => {
    opens++;
    $('#conn').textContent = opens > 1 ? `live (reconnected ${opens - 1}×)` : 'live';
    $('#conn').dataset.opens = String(opens);
  });
  es.addEventListener('error', () => ($('#conn').textContent = 'reconnecting…'));
  es.addEventListener('state', (m) => setHost(JSON.parse(m.data)));
  es.addEventListener('ev', (m) => {
    const { host, event } = JSON.parse(m.data);
    onEvent(host, event);
  });
  $('#act select[name=op]').addEventListener('change', showFields);
  $('#act').addEventListener('submit', runAction);
  $('#filter').addEventListener('change', drawLadder);
  window.addEventListener('resize', drawTopology);
  showFields();
  document.body.dataset.ready = 'true';
}
start();
