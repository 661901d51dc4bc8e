/**
 * The live view of a lab with many hosts, in a real browser: twelve hosts
 * (namespaces, TAP devices, condisd, each linked to the eleven others),
 * `labView` serving the page, Debian's Chromium driven by playwright-core.
 * Past FULL_NODES hosts the topology draws name tags on a ring sized so that
 * none overlaps another, scaled to the box; past LINKS_LISTED links the list
 * under it says how many are up and lists only those down or carrying calls
 * (src/view/page.js); the hosts without calls share one line under the
 * tables. Before, twelve full boxes piled up on one small ellipse and 66
 * lines of "Data Transfer Ready" pushed everything else down.
 */
import { viewPage } from '../helpers/browser.js';
import { labView } from '../../src/view/lab-view.js';
import { startLab } from '../helpers/lab.js';
import { rootTest } from '../helpers/root.js';

rootTest('a twelve-host lab: the topology is readable (tags that do not overlap, inside the box) and the link list is a summary', async (t) => {
  t.timeout(240_000);
  const { lab, d } = await startLab(t, 12, { logLevel: 'warn' });
  const view = await labView(lab, { port: 0 });
  t.teardown(() => view.close());
  const { page, errors } = await viewPage(t, view.url);

  await page.waitForFunction(() => document.querySelector('#links .link-summary')?.textContent === '66 of 66 links up', undefined, { timeout: 60_000 });
  t.is(await page.$$eval('#links li', (ls) => ls.length), 1, 'all up, no call: the summary alone');
  t.true(await page.$eval('#topo', (s) => s.classList.contains('compact')));

  const boxes = await page.$$eval('#topo .node', (gs) => gs.map((g) => {
    const r = g.querySelector('rect')!.getBoundingClientRect();
    return { host: g.getAttribute('data-host'), left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  }));
  t.deepEqual(boxes.map((b) => b.host), lab.hosts.map((h) => h.name));
  for (const [i, a] of boxes.entries())
    for (const b of boxes.slice(i + 1)) t.false(a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom, `${a.host} and ${b.host} overlap: ${JSON.stringify([a, b])}`);
  const svg = await page.$eval('#topo', (s) => {
    const r = s.getBoundingClientRect();
    const box = s.parentElement!.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, boxRight: box.right };
  });
  t.true(svg.right <= svg.boxRight, 'the drawing fits its box');
  for (const b of boxes) t.true(b.left >= svg.left && b.right <= svg.right && b.top >= svg.top && b.bottom <= svg.bottom, `${b.host} is inside the drawing`);
  t.regex((await page.textContent('#topo .node[data-host=h2] title')) ?? '', /^h2: 3002 · 02:00:00:00:03:02$/, 'what a full box shows is in the tag\'s tooltip');

  // a call: its link is listed under the summary
  await d('h2').control.registerSap({});
  await d('h1').control.makeCall({ called: '3002' });
  await page.waitForFunction(() => [...document.querySelectorAll('#links .link-label')].some((l) => l.textContent === 'h1 – h2 SSCOP: Data Transfer Ready · 1 call'));
  t.is(await page.$$eval('#links li', (ls) => ls.length), 2);
  // the two hosts with the call have their tables; the ten without share one line
  await page.waitForFunction(() => document.querySelectorAll('#hosts .host').length === 2);
  t.deepEqual(await page.$$eval('#hosts .host', (hs) => hs.map((h) => h.getAttribute('data-host'))), ['h1', 'h2']);
  t.is(await page.textContent('#hosts .idle-hosts'), '10 hosts without calls: h3, h4, h5, h6, h7, h8, h9, h10, h11, h12');

  // a host goes: its eleven links are down and listed first
  await d('h12').stop('SIGTERM', 5000);
  await page.waitForFunction(() => document.querySelector('#links .link-summary')?.textContent?.startsWith('55 of 66 links up') ?? false, undefined, { timeout: 30_000 });
  const listed = await page.$$eval('#links .link-label', (ls) => ls.map((l) => [l.classList.contains('down'), l.textContent]));
  t.is(listed.length, 12);
  t.true(listed.slice(0, 11).every(([down, text]) => down && /h12/.test(String(text))), JSON.stringify(listed));
  t.deepEqual(listed[11], [false, 'h1 – h2 SSCOP: Data Transfer Ready · 1 call']);
  t.deepEqual(errors, []);
});
