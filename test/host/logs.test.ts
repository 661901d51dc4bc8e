/**
 * condisd's logs as people read them: JSON lines with each key once (the
 * host's `name` from pino and a peer's name used to share a key), and
 * `--pretty` one line per event, fields included.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { entryArgs, packageRoot } from '../../src/common/package-root.js';
import { CondisNode } from '../../src/host/node.js';
import { openMemorySync } from '../../src/miniport/memory.js';
import { linksUp, nodeOptions, shutdownAll } from '../helpers/nodes.js';
import { Client } from '../../src/host/driver.js';

/** the top-level keys of a JSON object line, repeats kept (JSON.parse keeps only the last) */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && line[j + 1] === ':') keys.push(line.slice(i + 1, j));
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

/** a stream that keeps each line written to it */
function lineSink(): { lines: string[]; sink: Writable } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, sink };
}

test('a host log line names the host once and a peer under its own key', async (t) => {
  const { lines, sink } = lineSink();
  // as condisd makes it: pino's name is the host's
  const log = pino({ name: 'h-test', level: 'info', base: { host: 'h-test' } }, sink).child({ layer: 'node' });
  const hub = `logs-${process.pid}`;
  const macs = ['02:00:00:00:00:01', '02:00:00:00:00:02'];
  // each a static peer of the other, named, as in a configuration's peer list
  const nodes = macs.map((mac, i) =>
    new CondisNode(
      nodeOptions(`h${i + 1}`, openMemorySync({ kind: 'memory', hub, mac }), `${1001 + i}`, {
        log,
        peers: [{ mac: macs[1 - i]!, name: `far-end-${2 - i}`, addresses: [`${1002 - i}`] }],
      }),
    ),
  );
  t.teardown(() => shutdownAll(nodes));
  await linksUp(nodes);
  const peerLines = lines.filter((l) => /"msg":"(peer added|link up)/.test(l));
  t.true(peerLines.length >= 2, lines.join('\n'));
  for (const l of lines) {
    const keys = topLevelKeys(l);
    t.deepEqual(keys, [...new Set(keys)], `a key twice in ${l}`);
  }
  for (const l of peerLines) {
    const o = JSON.parse(l) as { name: string; peerName?: string };
    t.is(o.name, 'h-test', l);
    t.regex(o.peerName ?? '', /^far-end-[12]$/, l);
  }
});

test('condisd --pretty prints one line per event, its fields on the same line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'condisd-pretty-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = join(dir, 'c.yaml');
  writeFileSync(cfg, `name: pretty\nminiport: {kind: memory, hub: pretty-hub, mac: "02:00:00:00:09:01"}\naddresses: ["9001"]\ncontrol: {socket: ${join(dir, 'c.sock')}}\n`);
  const child = spawn(process.execPath, [...entryArgs('daemons/condisd'), '--config', cfg, '--pretty'], { cwd: packageRoot(), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
    if (err.includes('started') && !err.includes('stopped')) child.kill('SIGTERM');
  });
  t.teardown(() => child.kill('SIGKILL'));
  t.is(await exited, 0, err);
  const lines = err.split('\n').filter(Boolean);
  t.true(lines.length >= 3, err);
  for (const l of lines) t.regex(l, /^\[\d\d:\d\d:\d\d\.\d{3}\] [A-Z]+ /, `each line is an event of its own: ${l}`);
  const started = lines.find((l) => l.includes('started'));
  t.regex(started ?? '', /socket.*c\.sock/, 'the event fields are on its line');
});

test("what call control reports while it is disposed at shutdown still reaches the host's log (calls the grace period left, cleared locally)", async (t) => {
  const { lines, sink } = lineSink();
  const log = pino({ name: 'h-shut', level: 'debug' }, sink);
  const hub = `logs-shut-${process.pid}`;
  const macs = ['02:00:00:00:00:11', '02:00:00:00:00:12'];
  const nodes = macs.map((mac, i) =>
    new CondisNode(nodeOptions(`h${i + 1}`, openMemorySync({ kind: 'memory', hub, mac }), `${1001 + i}`, { ...(i === 0 ? { log } : {}), peers: [{ mac: macs[1 - i]!, addresses: [`${1002 - i}`] }] })),
  );
  t.teardown(() => shutdownAll(nodes));
  await linksUp(nodes);
  const [caller, callee] = await Promise.all(nodes.map((n, i) => Client.open(n, `c${i}`)));
  await callee!.listen('1002');
  const { vc } = await caller!.call('1002');
  t.truthy(vc);
  const before = lines.length;
  // no grace: the call is still being released when call control is disposed, which clears it locally
  await nodes[0]!.shutdown(0);
  const after = lines.slice(before).map((l) => JSON.parse(l) as { msg: string; kind?: string });
  t.true(
    after.some((l) => l.msg === 'uni release-confirm' || l.msg === 'uni released'),
    `no call end logged after shutdown began:\n${after.map((l) => l.msg).join('\n')}`,
  );
});
