/**
 * The live view in a real browser: three hosts (namespaces, TAP devices,
 * condisd), `labView` serving the page, Debian's Chromium driven by
 * playwright-core. A call made with condisctl appears on the page (parties with
 * their Q.2971 states, the ladder growing; how long that took is logged, not
 * asserted), a dropped party disappears, and its close data is shown. When the
 * view server goes away and comes back, the page reconnects and shows the
 * full state, including a call made while it was away; a connection with a
 * Last-Event-ID gets exactly the events after it. VIEW_SCREENSHOT=FILE also
 * saves a screenshot.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { viewPage } from '../helpers/browser.js';
import { hostConfigFor } from '../../src/lab/lab.js';
import { labView } from '../../src/view/lab-view.js';
import type { ViewServer } from '../../src/view/server.js';
import { startLab } from '../helpers/lab.js';
import { rootTest } from '../helpers/root.js';

const run = promisify(execFile);

/** the ids of the first `n` events of the view's stream (sent with `lastEventId` as Last-Event-ID) */
async function eventIds(url: string, n: number, lastEventId?: string): Promise<string[]> {
  const ac = new AbortController();
  const res = await fetch(new URL('events', url), { signal: ac.signal, headers: lastEventId ? { 'last-event-id': lastEventId } : {} });
  const ids: string[] = [];
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    const found = [...text.matchAll(/^id: (\S+)\nevent: ev$/gm)].map((m) => m[1]!);
    if (found.length >= n) {
      ids.push(...found.slice(0, n));
      break;
    }
  }
  ac.abort();
  return ids;
}

function condisctl(socket: string, args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'daemons/condisctl.ts', ...args], { env: { ...process.env, CONDIS_SOCKET: socket } });
}

rootTest('the live view shows a call made with condisctl, a dropped party goes, close data is shown, a lost link is marked', async (t) => {
  const { lab, d } = await startLab(t, 3);
  await d('h2').control.registerSap({});
  await d('h3').control.registerSap({});
  const view = await labView(lab, { port: 0 });
  t.teardown(() => view.close());
  t.regex(view.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

  // actions: JSON only, and only the demo operations
  const post = (body: string, type = 'application/json') => fetch(new URL('api/action', view.url), { method: 'POST', headers: { 'content-type': type }, body });
  t.is((await post('op=make-call', 'application/x-www-form-urlencoded')).status, 415);
  const refused = await post(JSON.stringify({ host: 'h1', op: 'delete-vc', args: { vc: 1 } }));
  t.is(refused.status, 400);
  t.regex(((await refused.json()) as { error: { message: string } }).error.message, /^op: one of make-call/);

  const { page, errors } = await viewPage(t, view.url);
  // the page loads: three hosts with their addresses, three SSCOP links up
  t.deepEqual(await page.$$eval('#topo .node .name', (ns) => ns.map((n) => n.textContent)), ['h1', 'h2', 'h3']);
  t.regex((await page.textContent('#topo .node[data-host=h2]')) ?? '', /3002/);
  await page.waitForFunction(() => document.querySelectorAll('#topo .link.up').length === 3);
  t.deepEqual(await page.$$eval('#links .link-label', (ns) => ns.map((n) => n.textContent?.replace(/^.* SSCOP: /, ''))), Array(3).fill('Data Transfer Ready'));

  // a multipoint call made with condisctl appears (how long after condisctl's answer goes to the log: no timing assertions)
  const h1 = hostConfigFor(lab, 'h1').controlSocket;
  const made = await condisctl(h1, ['call', '3002', '3003', '--data', 'hello, leaves', '--json']);
  const answered = Date.now();
  const call = JSON.parse(made.stdout).call as { vc: number; parties: { address: string; party: number }[] };
  const p3 = call.parties.find((p) => p.address === '3003')!.party;
  const h1Parties = '#hosts .host[data-host=h1] table:nth-of-type(2)';
  await page.waitForFunction(
    (sel) => {
      const txt = document.querySelector(sel)?.textContent ?? '';
      return txt.includes('3002') && txt.includes('3003') && (txt.match(/P7 Active/g) ?? []).length === 2;
    },
    h1Parties,
  );
  t.log(`the call was on the page ${Date.now() - answered} ms after condisctl answered`);
  t.regex((await page.textContent('#hosts .host[data-host=h1]')) ?? '', /outgoing point-to-multipoint/);
  // the ladder grew: each leaf is on its own link, so a SETUP to each
  const labels = await page.$$eval('#ladder .row text.lbl', (ns) => ns.map((n) => n.textContent ?? ''));
  t.true(labels.filter((l) => l === 'SETUP').length >= 2, labels.join(' | '));
  t.true(labels.includes('CONNECT'), labels.join(' | '));

  // drop h3's party with close data: the party leaves h1's table, the ladder shows the close data
  await condisctl(h1, ['drop-party', String(call.vc), String(p3), '--close-data', 'bye, h3']);
  await page.waitForFunction((sel) => !(document.querySelector(sel)?.textContent ?? '').includes('3003'), h1Parties);
  t.regex((await page.textContent(h1Parties)) ?? '', /3002/);
  await page.waitForFunction(() => (document.querySelector('#ladder')?.textContent ?? '').includes("close data: 'bye, h3'"));
  const release = await page.$$eval('#ladder .row.clear', (rs) => rs.map((r) => r.textContent ?? ''));
  t.true(
    release.some((r) => /^(RELEASE|DROP PARTY)/.test(r) && r.includes("close data: 'bye, h3'")),
    release.join(' | '),
  );

  await page.waitForFunction(() => (document.querySelector('#ladder')?.textContent ?? '').includes("'hello, leaves'"));
  if (process.env.VIEW_SCREENSHOT) await page.screenshot({ path: process.env.VIEW_SCREENSHOT, fullPage: true });

  // the demo form goes through the same control protocol: close the call from the page
  await page.selectOption('#act select[name=host]', 'h1');
  await page.selectOption('#act select[name=op]', 'close-call');
  await page.fill('#act input[name=vc]', String(call.vc));
  await page.fill('#act input[name=closeData]', 'over');
  await page.click('#act button[type=submit]');
  await page.waitForFunction(() => /close-call → \{\}/.test(document.querySelector('#act-out')?.textContent ?? ''));
  await page.waitForFunction(() => (document.querySelector('#ladder')?.textContent ?? '').includes("close data: 'over'"));
  await page.waitForFunction((sel) => !document.querySelector(sel), h1Parties);
  t.deepEqual(await d('h1').control.vcs(), []);

  // the call filter keeps one link's call only
  const keys = await page.$$eval('#filter option', (os) => os.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
  t.true(keys.length >= 2, keys.join(', '));
  await page.selectOption('#filter', keys[0]!);
  // (data frames carry no call reference: they show under every call of their link)
  const filtered = await page.$$eval('#ladder .row', (rs) => rs.map((r) => [r.getAttribute('data-key'), r.getAttribute('data-pair')] as const));
  t.true(filtered.length > 0 && filtered.every(([k, pair]) => k === keys[0] || (k === '' && keys[0]!.startsWith(`${pair}#`))), JSON.stringify(filtered));
  t.true(filtered.some(([k]) => k === keys[0]));
  await page.selectOption('#filter', '');

  // link loss is marked: h3's daemon stops, its SSCOP links end, the ladder says so and the topology shows one link up
  await d('h3').stop('SIGTERM', 5000);
  await page.waitForFunction(() => [...document.querySelectorAll('#ladder .row')].some((r) => /✖ link to h3 lost/.test(r.textContent ?? '')));
  await page.waitForFunction(() => document.querySelectorAll('#topo .link.up').length === 1);
  const lost = await page.$$eval('#ladder .row.clear', (rs) => rs.map((r) => r.textContent ?? '').filter((x) => x.includes('✖ link to h3 lost')));
  t.true(lost.length >= 1, lost.join(' | '));

  t.deepEqual(errors, []);
});

rootTest('after the view server went away and came back the page reconnects and shows the full state; Last-Event-ID gets what was missed', async (t) => {
  const { lab, d } = await startLab(t, 2);
  await d('h2').control.registerSap({});
  let view: ViewServer = await labView(lab, { port: 0 });
  t.teardown(() => view.close());
  const { page, errors } = await viewPage(t, view.url);
  t.is(await page.textContent('#conn'), 'live');

  const h1 = hostConfigFor(lab, 'h1').controlSocket;
  const h1Calls = '#hosts .host[data-host=h1] table:nth-of-type(1)';
  const showsVc = (vc: number) =>
    page.waitForFunction(([sel, v]) => [...document.querySelectorAll(`${sel} tr`)].some((r) => r.querySelector('td')?.textContent === String(v)), [h1Calls, vc] as const);
  const first = JSON.parse((await condisctl(h1, ['call', '3002', '--json'])).stdout).call as { vc: number };
  await showsVc(first.vc);

  // a connection that gives a Last-Event-ID gets exactly the events after it
  const [, second, third] = await eventIds(view.url, 3);
  t.is((await eventIds(view.url, 1, second))[0], third);
  // the view server goes away (the page loses its stream), a call is made meanwhile, the server comes back on the same
  // port: the page reconnects by itself and shows that call from the full state it is sent, not only later events
  const port = Number(new URL(view.url).port);
  await view.close();
  await page.waitForFunction(() => document.querySelector('#conn')?.textContent === 'reconnecting…');
  const again = JSON.parse((await condisctl(h1, ['call', '3002', '--json'])).stdout).call as { vc: number };
  view = await labView(lab, { port });
  await page.waitForFunction(() => document.querySelector('#conn')?.getAttribute('data-opens') === '2');
  await showsVc(again.vc);
  t.regex((await page.textContent(h1Calls)) ?? '', new RegExp(`${again.vc}outgoing point-to-point3002`));
  t.is(await page.textContent('#conn'), 'live (reconnected 1×)');
  await condisctl(h1, ['close', String(again.vc)]);
  await condisctl(h1, ['close', String(first.vc)]);
  await page.waitForFunction((sel) => !document.querySelector(sel), h1Calls);
  t.deepEqual(errors, []);
});
