/**
 * Links that fell back to Idle are tried again with a bounded exponential
 * back-off, logged once and then in summaries; a discovered peer is no longer
 * tried once its announcement has expired, a static peer is tried for ever at
 * the longest delay. Whole nodes over the memory miniport, in virtual time.
 */
import test from 'ava';
import { CondisNode, type NodeLog } from '../../src/host/node.js';
import { openMemorySync } from '../../src/miniport/index.js';
import type { Miniport } from '../../src/miniport/types.js';
import { parseFrame, VCI_SIGNALLING } from '../../src/wire/index.js';
import { parsePdu } from '../../src/sscop/pdu.js';
import { Clock } from '../uni/helpers.js';
import { nodeOptions } from '../helpers/nodes.js';

const A = '02:00:00:00:00:01';
const B = '02:00:00:00:00:02';
const DEAD = '02:00:00:00:00:99';
let hubs = 0;

interface Line {
  at: number;
  level: 'info' | 'warn' | 'debug';
  msg: string;
  obj: Record<string, unknown>;
}

function recordingLog(clock: Clock, lines: Line[]): NodeLog {
  const at = (level: Line['level']) => (obj: object, msg: string) => lines.push({ at: clock.now, level, msg, obj: obj as Record<string, unknown> });
  return { info: at('info'), warn: at('warn'), debug: at('debug') };
}

/** times (virtual ms) of the BGN PDUs a port receives */
function bgnTimes(port: Miniport, clock: Clock): number[] {
  const out: number[] = [];
  port.frames$.subscribe((buf) => {
    const f = parseFrame(buf);
    if (!f.ok || f.value.cell.vci !== VCI_SIGNALLING) return;
    const pdu = parsePdu(Buffer.from(f.value.sdu));
    if (pdu.ok && pdu.value.type === 'BGN') out.push(clock.now);
  });
  return out;
}

/** the first BGN of each attempt: BGNs of one attempt are Timer_CC apart */
function attemptStarts(bgns: number[], cc: number): number[] {
  return bgns.filter((t, i) => i === 0 || t - bgns[i - 1]! > cc);
}

test('a static peer that never answers is tried with a doubling delay up to the bound, for ever, and logged once then in summaries', (t) => {
  const clock = new Clock();
  const hub = `retry-${process.pid}-${hubs++}`;
  const lines: Line[] = [];
  const dead = openMemorySync({ kind: 'memory', hub, mac: DEAD, scheduler: clock.scheduler });
  const bgns = bgnTimes(dead, clock);
  const mp = openMemorySync({ kind: 'memory', hub, mac: A, scheduler: clock.scheduler });
  const node = new CondisNode(
    nodeOptions('a', mp, '1001', {
      scheduler: clock.scheduler,
      discovery: { enabled: false, intervalMs: 1000, holdTimeMs: 3500 },
      peers: [{ mac: DEAD, name: 'dead', addresses: ['1099'] }],
      linkRetry: { initialMs: 1000, maxMs: 16_000, summaryEveryMs: 60_000 },
      log: recordingLog(clock, lines),
    }),
  );
  clock.advance(10 * 60_000);

  // an attempt is MaxCC (4) BGNs Timer_CC (1 s) apart, failing 1 s after the last: 4 s
  const starts = attemptStarts(bgns, 1000);
  const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
  t.deepEqual(gaps.slice(0, 6), [4000 + 2000, 4000 + 4000, 4000 + 8000, 4000 + 16_000, 4000 + 16_000, 4000 + 16_000], 'the delay doubles from 2 s and stops at maxMs');
  t.true(gaps.every((g) => g <= 4000 + 16_000), 'never longer than the bound');
  t.true(starts.at(-1)! >= 10 * 60_000 - 20_000, 'a static peer is still tried at the end');
  t.is(bgns.length, starts.length * 4, 'every attempt sends MaxCC BGNs and no more');

  const warns = lines.filter((l) => l.level === 'warn');
  t.regex(warns[0]!.msg, /could not be established; retrying with back-off/);
  t.is(warns[0]!.obj.peer, DEAD);
  for (let i = 1; i < warns.length; i++) {
    t.regex(warns[i]!.msg, /^still no link: \d+ attempts failed$/);
    t.true(warns[i]!.at - warns[i - 1]!.at >= 60_000, 'summaries at most once a minute');
  }
  t.true(warns.length >= 8 && warns.length <= 11, `one warning, then a summary a minute (${warns.length} warnings for ${starts.length} attempts)`);
  // the last attempt has failed when its 4 s are over; otherwise it is still running
  t.like(node.linkRetry(DEAD), { failures: clock.now - starts.at(-1)! >= 4000 ? starts.length : starts.length - 1 });
  void node.shutdown(0);
  void dead.close();
});

test('a discovered peer that died is retried until its announcement expires, then no more; a peer that comes back is linked at once', async (t) => {
  const clock = new Clock();
  const hub = `retry-${process.pid}-${hubs++}`;
  const lines: Line[] = [];
  const fast = { timerCC: 200, timerPoll: 100, timerKeepAlive: 200, timerIdle: 500, timerNoResponse: 1000 };
  const discovery = { enabled: true, intervalMs: 1000, holdTimeMs: 10_000 };
  const mpA = openMemorySync({ kind: 'memory', hub, mac: A, scheduler: clock.scheduler });
  const a = new CondisNode(nodeOptions('a', mpA, '1001', { scheduler: clock.scheduler, discovery, sscop: fast, log: recordingLog(clock, lines) }));
  let mpB = openMemorySync({ kind: 'memory', hub, mac: B, scheduler: clock.scheduler });
  let b = new CondisNode(nodeOptions('b', mpB, '1002', { scheduler: clock.scheduler, discovery, sscop: fast }));
  clock.advance(3000);
  const peerB = () => a.peerList().find((p) => p.mac === B);
  t.true(peerB()?.link?.established, 'linked');

  // b dies without a word: its frames stop
  await b.miniport.close();
  void b.shutdown(0);
  const diedAt = clock.now;
  clock.advance(5000);
  t.false(peerB()!.link!.established, 'the silent peer is noticed');
  const down = lines.filter((l) => l.msg === 'link down');
  t.is(down.length, 1);

  // a listens where b was: BGNs still come while b's announcement is valid, none after
  const ear = openMemorySync({ kind: 'memory', hub, mac: B, scheduler: clock.scheduler });
  const bgns = bgnTimes(ear, clock);
  clock.advance(10 * 60_000);
  t.true(bgns.length > 0, 'retried while the announcement was valid');
  t.true(bgns.at(-1)! <= diedAt + discovery.holdTimeMs + 1000, `no BGN after the announcement expired (last at ${bgns.at(-1)! - diedAt} ms)`);
  const gaveUp = lines.filter((l) => /no more link attempts/.test(l.msg));
  t.is(gaveUp.length, 1, 'stopping is logged once');
  t.is(lines.filter((l) => l.level === 'warn').length, 2, 'link down, first failed attempt: nothing more at warn');
  t.is(a.linkRetry(B), undefined);
  await ear.close();

  // b restarts: its first announcement brings the link back at once
  mpB = openMemorySync({ kind: 'memory', hub, mac: B, scheduler: clock.scheduler });
  b = new CondisNode(nodeOptions('b', mpB, '1002', { scheduler: clock.scheduler, discovery, sscop: fast }));
  clock.advance(1000);
  t.true(peerB()!.link!.established, 'linked again within one announcement');
  void a.shutdown(0);
  void b.shutdown(0);
});

test('link-state events report the state the link is in: an incoming establishment is Data Transfer Ready, not Incoming Connection Pending', async (t) => {
  const clock = new Clock();
  const hub = `retry-${process.pid}-${hubs++}`;
  const mpA = openMemorySync({ kind: 'memory', hub, mac: A, scheduler: clock.scheduler });
  const mpB = openMemorySync({ kind: 'memory', hub, mac: B, scheduler: clock.scheduler });
  const discovery = { enabled: false, intervalMs: 1000, holdTimeMs: 3500 };
  const a = new CondisNode(nodeOptions('a', mpA, '1001', { scheduler: clock.scheduler, discovery, peers: [{ mac: B, addresses: ['1002'] }] }));
  const b = new CondisNode(nodeOptions('b', mpB, '1002', { scheduler: clock.scheduler, discovery, peers: [{ mac: A, addresses: ['1001'] }] }));
  clock.advance(100);
  const linkOf = (n: CondisNode) => n.peerList()[0]!.link!;
  t.true(linkOf(a).established && linkOf(b).established);
  // a ends the association and begins a new one at once: b, Idle, meets a BGN (an establish indication)
  linkOf(a).release();
  clock.advance(50);
  t.is(linkOf(b).state, 'Idle');
  await Promise.resolve();
  const seen: { state: string; established: boolean; reason?: string }[] = [];
  b.events$.subscribe((e) => {
    if (e.kind === 'link-state') seen.push({ state: e.state, established: e.established, ...(e.reason ? { reason: e.reason } : {}) });
  });
  linkOf(a).establish();
  clock.advance(50);
  await Promise.resolve();
  t.deepEqual(seen, [{ state: 'Data Transfer Ready', established: true }]);
  t.is(linkOf(b).state, 'Data Transfer Ready');
  void a.shutdown(0);
  void b.shutdown(0);
});
