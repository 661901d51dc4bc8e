/**
 * The live view with a switch: three hosts behind a signalling switch
 * (condisd's `role: switch` code, src/switch), each host and the switch with
 * the daemon's real control backend behind a control socket, all on the
 * in-process memory wire (the network's realism is proven by the lab tests;
 * this one proves the page). In Debian's Chromium the switch is a node of its
 * own kind with its ports and the hosts on them; a call through it shows its
 * legs (one per port link) and parties in the switch's tables, and the
 * messages between each host and the switch are drawn on the ladder.
 */
import test, { type ExecutionContext } from 'ava';
import { viewPage } from '../helpers/browser.js';
import { connectControl } from '../../src/control/client.js';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import { NodeControlBackend } from '../../src/host/control-backend.js';
import { SwitchControlBackend } from '../../src/switch/control.js';
import { startView } from '../../src/view/server.js';
import { socketPath } from '../control/helpers.js';
import { ready, switchLab } from '../switch/helpers.js';

/** `n` hosts behind one switch, each host and the switch behind a control socket, the view serving them */
async function viewOfSwitchLab(t: ExecutionContext, n: number) {
  const lab = switchLab(n);
  const servers: ControlServer[] = [];
  t.teardown(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await lab.close();
  });
  await ready(lab);
  const hosts: { name: string; socket: string }[] = [];
  for (const node of lab.hosts) {
    const path = socketPath();
    servers.push(await startControlServer(await NodeControlBackend.create(node, { version: 'test', miniport: node.miniport.name }), { path }));
    hosts.push({ name: node.name, socket: path });
  }
  const swPath = socketPath();
  servers.push(await startControlServer(new SwitchControlBackend(lab.sw, { version: 'test' }), { path: swPath }));
  hosts.push({ name: 'sw', socket: swPath });
  const view = await startView({ hosts, port: 0, title: 'switch lab' });
  t.teardown(() => view.close());
  return { lab, view, hosts, ...(await viewPage(t, view.url)) };
}

test('a switch is a node of its own kind with its ports; a call through it shows its legs and parties', async (t) => {
  const { lab, hosts, page, errors } = await viewOfSwitchLab(t, 3);

  // the switch: its own kind of node, three ports, a link from each host to it
  t.deepEqual(await page.$$eval('#topo .node.switch .name', (ns) => ns.map((n) => n.textContent)), ['sw']);
  t.regex((await page.textContent('#topo .node.switch')) ?? '', /switch · 3 ports/);
  await page.waitForFunction(() => document.querySelectorAll('#topo .link.up').length === 3);
  t.deepEqual((await page.$$eval('#topo .link.up', (ls) => ls.map((l) => l.getAttribute('data-pair')))).sort(), ['h1|sw', 'h2|sw', 'h3|sw']);
  const swBox = '#hosts .host.switch[data-host=sw]';
  const ports = await page.$$eval(`${swBox} table:nth-of-type(1) tr`, (rs) => rs.slice(1).map((r) => [...r.querySelectorAll('td')].map((d) => d.textContent)));
  t.deepEqual(
    ports.map((r) => [r[0], r[2], r[3], r[4]]),
    [
      ['p1', 'h1', '1001', 'Data Transfer Ready'],
      ['p2', 'h2', '1002', 'Data Transfer Ready'],
      ['p3', 'h3', '1003', 'Data Transfer Ready'],
    ],
  );
  // nothing to call from a switch: the action form lists the hosts only
  t.deepEqual(await page.$$eval('#act select[name=host] option', (os) => os.map((o) => o.textContent)), ['h1', 'h2', 'h3']);

  // a point-to-multipoint call from h1 through the switch to h2 and h3
  const [root, leaf2, leaf3] = await Promise.all(hosts.slice(0, 3).map((h) => connectControl(h.socket)));
  t.teardown(() => [root, leaf2, leaf3].forEach((c) => c!.close()));
  await leaf2!.registerSap();
  await leaf3!.registerSap();
  const call = await root!.makeCall({ parties: ['1002', '1003'] });
  t.deepEqual(call.parties.map((p) => p.status.name), ['SUCCESS', 'SUCCESS']);
  const legsSel = `${swBox} table:nth-of-type(2)`;
  await page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? '').split('Active').length - 1 >= 3, legsSel);
  const legs = await page.$$eval(`${legsSel} tr`, (rs) => rs.slice(1).map((r) => [...r.querySelectorAll('td')].map((d) => d.textContent)));
  t.deepEqual(
    legs.map((r) => [r[1], r[2], r[3], r[7]]),
    [
      ['point-to-multipoint', 'in', 'p1 → h1', '1001'],
      ['point-to-multipoint', 'out', 'p2 → h2', '1002'],
      ['point-to-multipoint', 'out', 'p3 → h3', '1003'],
    ],
  );
  const partiesSel = `${swBox} table:nth-of-type(3)`;
  await page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? '').split('active').length - 1 === 2, partiesSel);
  t.regex((await page.textContent(partiesSel)) ?? '', /1002active.*p2 → h2/);
  t.regex((await page.textContent('#topo .node.switch')) ?? '', /1 call/);

  // the ladder: SETUP from h1 to the switch, and from the switch to each leaf (told by the receiving host)
  await page.waitForFunction(() => document.querySelectorAll('#ladder .row').length > 0);
  const setups = async () =>
    page.$$eval('#ladder .row[data-pair]', (rs) => rs.filter((r) => r.querySelector('text.lbl')?.textContent === 'SETUP').map((r) => r.getAttribute('data-pair')));
  await page.waitForFunction(() => [...document.querySelectorAll('#ladder .row')].filter((r) => r.querySelector('text.lbl')?.textContent === 'SETUP').length >= 3);
  t.deepEqual((await setups()).sort(), ['h1–sw', 'h2–sw', 'h3–sw']);

  // h3's party leaves with close data: gone from the switch's parties, its DROP PARTY / RELEASE on the ladder
  const p3 = call.parties.find((p) => p.address === '1003')!.party!;
  await root!.dropParty({ vc: call.vc, party: p3, closeData: Buffer.from('bye, h3') });
  await page.waitForFunction((sel) => !(document.querySelector(sel)?.textContent ?? '').includes('1003'), partiesSel);
  await page.waitForFunction(() => [...document.querySelectorAll('#ladder .row.clear')].some((r) => r.getAttribute('data-pair') === 'h3–sw' && r.textContent?.includes("close data: 'bye, h3'")));

  await root!.closeCall({ vc: call.vc, closeData: Buffer.from('over') });
  await page.waitForFunction((sel) => /no calls|none/.test(document.querySelector(sel)?.textContent ?? '') || !document.querySelector(sel)?.textContent?.includes('Active'), legsSel);
  t.regex((await page.textContent('#topo .node.switch')) ?? '', /0 calls/);
  t.deepEqual(errors, []);
});

test('nine hosts behind a switch: a star, the switch in the middle, no two tags overlapping', async (t) => {
  const { page, errors } = await viewOfSwitchLab(t, 9);
  await page.waitForFunction(() => document.querySelectorAll('#topo .link.up').length === 9);
  t.true(await page.$eval('#topo', (s) => s.classList.contains('compact')), 'ten nodes: tags');
  t.false(await page.$eval('#topo-box', (b) => b.classList.contains('wide')), 'ten nodes: the topology keeps its column');
  const tags = await page.$$eval('#topo .node', (gs) => gs.map((g) => {
    const r = g.querySelector('rect')!.getBoundingClientRect();
    return { host: g.getAttribute('data-host')!, x: (r.left + r.right) / 2, y: (r.top + r.bottom) / 2, left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  }));
  const svg = await page.$eval('#topo', (s) => {
    const r = s.getBoundingClientRect();
    return { x: (r.left + r.right) / 2, y: (r.top + r.bottom) / 2 };
  });
  const sw = tags.find((g) => g.host === 'sw')!;
  t.true(Math.abs(sw.x - svg.x) < 1 && Math.abs(sw.y - svg.y) < 1, `the switch is in the middle: ${JSON.stringify({ sw, svg })}`);
  for (const [i, a] of tags.entries())
    for (const b of tags.slice(i + 1)) t.false(a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom, `${a.host} and ${b.host} overlap`);
  // the hosts around it at one distance
  const d = tags.filter((g) => g !== sw).map((g) => Math.hypot(g.x - sw.x, g.y - sw.y));
  t.true(Math.max(...d) - Math.min(...d) < 1, JSON.stringify(d));
  t.deepEqual(errors, []);
});

test('forty hosts behind a switch: the topology takes the whole width, tags on rings round the switch, none overlapping, at full size', async (t) => {
  t.timeout(180_000);
  // (forty: more than one ring holds within ONE_RING_MAX; each host is a node in this process, with a control socket)
  const n = 40;
  const { page, errors } = await viewOfSwitchLab(t, n);
  await page.waitForFunction((k) => document.querySelectorAll('#topo .link.up').length === k, n, { timeout: 120_000 });
  // a big lab: the topology spans both columns of the page
  const widths = await page.evaluate(() => ({ box: document.querySelector('#topo-box')!.getBoundingClientRect().width, main: document.querySelector('main')!.clientWidth }));
  t.true(widths.box > 0.9 * widths.main, `the topology is ${widths.box.toFixed(0)} px of a ${widths.main} px page`);
  const tags = await page.$$eval('#topo .node', (gs) => gs.map((g) => {
    const r = g.querySelector('rect')!.getBoundingClientRect();
    return { host: g.getAttribute('data-host')!, x: (r.left + r.right) / 2, y: (r.top + r.bottom) / 2, left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height };
  }));
  t.is(tags.length, n + 1);
  for (const [i, a] of tags.entries())
    for (const b of tags.slice(i + 1)) t.false(a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom, `${a.host} and ${b.host} overlap`);
  const svg = await page.$eval('#topo', (s) => {
    const r = s.getBoundingClientRect();
    return { x: (r.left + r.right) / 2, y: (r.top + r.bottom) / 2, right: r.right, boxRight: s.parentElement!.getBoundingClientRect().right };
  });
  t.true(svg.right <= svg.boxRight, 'the drawing fits its box');
  const sw = tags.find((g) => g.host === 'sw')!;
  t.true(Math.abs(sw.x - svg.x) < 1 && Math.abs(sw.y - svg.y) < 1, 'the switch in the middle');
  // a tag is 22 units high: drawn at full size (on one circle in the page's left column, forty tags were 15 px high)
  for (const g of tags) t.true(g.height >= 21, `${g.host}'s tag is ${g.height.toFixed(1)} px high`);
  const d = tags.filter((g) => g !== sw).map((g) => Math.hypot(g.x - sw.x, g.y - sw.y)).sort((a, b) => a - b);
  const rings = 1 + d.filter((x, i) => i > 0 && x - d[i - 1]! > 10).length;
  t.true(rings > 1, `${rings} ring(s) at ${d[0]!.toFixed(0)}..${d[d.length - 1]!.toFixed(0)} px`);
  t.deepEqual(errors, []);
});
