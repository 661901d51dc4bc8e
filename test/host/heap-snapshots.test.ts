/**
 * Heap snapshots of the compiled condisd (src/common/heap-snapshots.ts): the
 * build bundles the daemon into one 2 MB script, and V8 writes a snapshot of
 * it quickly only once it has the script's table of line starts. A daemon
 * started to take snapshots builds that table at start-up; the snapshot
 * shows it as the script's `line_ends` (without it: no such edge, and a
 * snapshot of an idle daemon took 5.2 s instead of 0.8).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takesHeapSnapshots } from '../../src/common/heap-snapshots.js';
import { packagePath, packageRoot } from '../../src/common/package-root.js';
import { buildIfStale } from '../helpers/build.js';

test.before('dist/ is the build of the current sources', buildIfStale);

test('a process takes heap snapshots when started with a snapshot or inspector flag, in its arguments or NODE_OPTIONS', (t) => {
  t.true(takesHeapSnapshots(['--heapsnapshot-signal=SIGUSR2'], ''));
  t.true(takesHeapSnapshots([], '--max-old-space-size=512 --heapsnapshot-near-heap-limit=2'));
  t.true(takesHeapSnapshots(['--inspect=127.0.0.1:0'], ''));
  t.true(takesHeapSnapshots(['--inspect-brk'], ''));
  t.false(takesHeapSnapshots([], ''));
  t.false(takesHeapSnapshots(['--max-old-space-size=512', '--enable-source-maps'], '--expose-gc'));
});

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** the named edges of the snapshot's nodes whose name matches `name` (strings left out): edge name -> target's name and size */
function edgesOf(s: Snapshot, name: RegExp): Map<string, { name: string; size: number }>[] {
  const { node_fields: nf, node_types, edge_fields: ef, edge_types } = s.snapshot.meta;
  const [nType, nName, nSize, nEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [number, number, number];
  const named = new Set(['context', 'property', 'internal', 'shortcut', 'weak'].map((k) => edge_types[0].indexOf(k)));
  const found: Map<string, { name: string; size: number }>[] = [];
  let e = 0;
  for (let i = 0; i < s.nodes.length; i += nf.length) {
    const count = s.nodes[i + nEdges]!;
    const wanted = node_types[0][s.nodes[i + nType]!] !== 'string' && name.test(s.strings[s.nodes[i + nName]!]!);
    const edges = new Map<string, { name: string; size: number }>();
    for (let k = 0; k < count; k++, e += ef.length) {
      if (!wanted || !named.has(s.edges[e + eType]!)) continue;
      const to = s.edges[e + eTo]!;
      edges.set(s.strings[s.edges[e + eName]!]!, { name: s.strings[s.nodes[to + nName]!]!, size: s.nodes[to + nSize]! });
    }
    if (wanted) found.push(edges);
  }
  return found;
}

test("condisd started with --heapsnapshot-signal has its bundle's line table built: the snapshot's script has line_ends", async (t) => {
  t.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'condisd-heap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = join(dir, 'c.yaml');
  writeFileSync(cfg, `name: heap\nminiport: {kind: memory, hub: heap-hub-${process.pid}, mac: "02:00:00:00:09:31"}\naddresses: ["9031"]\ncontrol: {socket: ${join(dir, 'c.sock')}}\n`);
  const bundle = packagePath('dist', 'daemons', 'condisd.js');
  const child = spawn(process.execPath, ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`, bundle, '--config', cfg], { cwd: packageRoot(), stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('started')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`condisd exited (${code}): ${err}`)));
  });
  child.kill('SIGUSR2');
  // the daemon writes the snapshot on its main thread, then answers again: once the file parses, it is whole
  let snapshot: Snapshot | undefined;
  while (!snapshot) {
    const file = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot'));
    if (file)
      try {
        snapshot = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Snapshot;
      } catch {
        // still being written
      }
    if (!snapshot) await new Promise((r) => setTimeout(r, 100));
  }
  const scripts = edgesOf(snapshot, new RegExp(`${bundle.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`)).filter((edges) => edges.has('source'));
  t.is(scripts.length, 1, 'one script: the bundle');
  const lineEnds = scripts[0]!.get('line_ends');
  t.truthy(lineEnds, `the bundle's script has no line table; its edges: ${[...scripts[0]!.keys()].join(', ')}`);
  // one entry per line of a 50,000-line bundle: hundreds of KB
  t.true(lineEnds!.size > 100_000, JSON.stringify(lineEnds));
});
