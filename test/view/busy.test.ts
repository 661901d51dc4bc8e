/**
 * The live view of a busy host, in a real browser: two hosts (namespaces, TAP
 * devices, condisd), `labView` serving the page, Debian's Chromium driven by
 * playwright-core. h1 holds 300 calls at once, then makes and clears 1,500 more
 * one after another: thousands of events. The page keeps up and stays
 * bounded: its tables draw the first TABLE_ROWS rows and count the rest, the
 * ladder draws the newest ROWS_DRAWN rows and says how many it leaves out,
 * and rows beyond ROWS_KEPT are let go (src/view/page.js). One call chosen in
 * the filter still shows all of its rows. How long the page took to catch up
 * goes to the log, not into an assertion.
 */
import { viewPage } from '../helpers/browser.js';
import { labView } from '../../src/view/lab-view.js';
import { startLab } from '../helpers/lab.js';
import { rootTest } from '../helpers/root.js';
import { mapConcurrent } from '../../src/common/map-concurrent.js';

/** `n` jobs, `width` at a time */
const windowed = (n: number, width: number, job: (k: number) => Promise<unknown>) => mapConcurrent(Array.from({ length: n }, (_, k) => k), width, job);

rootTest('the live view keeps up with a busy host: tables count what they do not draw, the ladder keeps and draws a bounded part', async (t) => {
  const { lab, d } = await startLab(t, 2, { logLevel: 'warn' });
  await d('h2').control.registerSap({});
  const view = await labView(lab, { port: 0 });
  t.teardown(() => view.close());
  const { page, errors } = await viewPage(t, view.url);

  // 300 calls held at once: the call table draws 100 and counts the other 200
  const ctl = d('h1').control;
  const vcs: number[] = [];
  const started = Date.now();
  await windowed(300, 32, async () => vcs.push((await ctl.makeCall({ called: '3002' })).vc));
  const made = Date.now();
  const h1Calls = '#hosts .host[data-host=h1] table:nth-of-type(1)';
  await page.waitForFunction((sel) => /… and 200 more/.test(document.querySelector(`${sel} tr.more`)?.textContent ?? ''), h1Calls, { timeout: 60_000 });
  t.log(`300 calls made in ${made - started} ms; on the page ${Date.now() - made} ms after the last`);
  t.is(await page.$$eval(`${h1Calls} tr`, (rs) => rs.length), 1 + 100 + 1, 'a header, 100 calls, the count of the rest');

  // the ladder draws the newest 300 rows of the 1,000 or so and says so
  const ladder = () => page.$$eval('#ladder .row', (rs) => rs.length);
  await page.waitForFunction(() => /earlier rows not drawn/.test(document.querySelector('#ladder .summary')?.textContent ?? ''));
  t.is(await ladder(), 300);

  // one call chosen in the filter: every row of it, nothing left out
  const key = await page.$$eval('#filter option', (os) => (os as HTMLOptionElement[]).map((o) => o.value).filter(Boolean)[0]!);
  await page.selectOption('#filter', key);
  await page.waitForFunction(() => !document.querySelector('#ladder .summary'));
  const rows = await page.$$eval('#ladder .row', (rs) => rs.map((r) => [r.getAttribute('data-key'), r.querySelector('text.lbl')?.textContent]));
  t.true(rows.length >= 3 && rows.every(([k]) => k === key), JSON.stringify(rows));
  t.deepEqual(rows.slice(0, 1).map(([, label]) => label), ['SETUP']);
  await page.selectOption('#filter', '');

  // all cleared, then 1,500 more calls made and cleared (some four rows each): well past the 5,000 rows the page keeps
  await windowed(vcs.length, 32, (k) => ctl.closeCall({ vc: vcs[k]! }));
  await windowed(1_500, 16, async () => {
    const { vc } = await ctl.makeCall({ called: '3002' });
    await ctl.closeCall({ vc });
  });
  const cleared = Date.now();
  t.log(await page.evaluate(() => document.querySelector('#ladder .summary')?.textContent));
  await page.waitForFunction((sel) => !document.querySelector(sel), h1Calls, { timeout: 60_000 });
  await page.waitForFunction(() => /older rows no longer kept/.test(document.querySelector('#ladder .summary')?.textContent ?? ''), undefined, { timeout: 60_000 });
  t.log(`the page showed h1 without calls ${Date.now() - cleared} ms after the last was cleared`);
  t.is(await ladder(), 300);
  // the filter offers only calls that still have rows: the first call's went with the oldest rows
  const offered = await page.$$eval('#filter option', (os) => (os as HTMLOptionElement[]).map((o) => o.value));
  t.false(offered.includes(key), 'a call whose rows are all gone is no longer offered');
  t.deepEqual(await ctl.vcs(), []);
  t.deepEqual(errors, []);
});
