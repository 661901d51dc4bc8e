/**
 * A page that stops reading its event stream (a suspended laptop, a stuck tab)
 * while a host is busy: the view server ends that page's stream once more
 * than `maxBufferedBytes` waits unread for it, instead of holding every event
 * for it, and goes on serving the pages that read. On loopback, against the
 * control server with a fake backend (the host's events are made up).
 */
import test from 'ava';
import { get, type IncomingMessage } from 'node:http';
import { startView } from '../../src/view/server.js';
import { startFake } from '../control/helpers.js';
import { waitUntil } from '../helpers/wait.js';

/** the page's stream: an HTTP response nobody reads from until `resume` */
function openStream(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get(new URL('events', url), resolve).on('error', reject));
}

test('a page that stops reading has its stream ended; the pages that read go on getting every event', async (t) => {
  const { backend, path } = await startFake(t);
  const view = await startView({ hosts: [{ name: 'a', socket: path }], port: 0, maxBufferedBytes: 2 * 2 ** 20 });
  t.teardown(() => view.close());

  const stuck = await openStream(view.url);
  stuck.pause();
  let stuckEnded = false;
  stuck.on('end', () => (stuckEnded = true));

  const reader = await openStream(view.url);
  let read = '';
  let readerEnded = false;
  reader.on('end', () => (readerEnded = true));
  reader.setEncoding('utf8');
  reader.on('data', (d: string) => (read += d));

  // a busy host: 3,000 data events of 4 KiB (8 KiB of hex each on the stream: 24 MB, well past what the
  // kernel's socket buffers and the 2 MiB hold for the stuck page), then a marker; in bursts of 50 (400 KiB,
  // which a page that reads takes in before the next), as the control server wants its own client to keep up
  const data = Buffer.alloc(4096, 0xab);
  for (let i = 0; i < 3000; i++) {
    backend.emit({ kind: 'receive', vc: 1, data });
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
  }
  backend.emit({ kind: 'receive', vc: 2, data: Buffer.from('the last one') });
  await waitUntil('the reading page got the last event', () => read.includes(Buffer.from('the last one').toString('hex')), { ms: 30_000, every: 20 });
  t.is(read.match(/^event: ev$/gm)?.length, 3001, 'the reading page got every event');
  t.false(readerEnded);

  // the stuck page reads again: its stream ends after what was sent before it was cut off
  stuck.resume();
  await waitUntil('the stuck page sees its stream end', () => stuckEnded, { ms: 10_000, every: 20 });
  t.pass();
});
