/**
 * Compare two V8 heap snapshots (`v8.writeHeapSnapshot`, e.g. from
 * bench/heap-probe.ts --snapshot): the objects the second holds beyond the
 * first, grouped by kind, with count and self size, biggest first. A plain
 * object is named by its constructor and its first property names (so the
 * records of different layers tell apart); an array, a Map's or Set's table
 * and other internals by what holds them (`owner.edge`).
 *
 *   node dist/bench/heap-summary.js BEFORE.heapsnapshot AFTER.heapsnapshot [rows] [--per N]
 *
 * `--per N` also prints bytes per N (e.g. per party).
 */
import { readFileSync } from 'node:fs';

interface Snap {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

function groups(file: string): Map<string, { count: number; size: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snap;
  const m = s.snapshot.meta;
  const nf = m.node_fields.length;
  const ef = m.edge_fields.length;
  const [nType, nName, nSize, nEdges, nId] = ['type', 'name', 'self_size', 'edge_count', 'id'].map((f) => m.node_fields.indexOf(f)) as [number, number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => m.edge_fields.indexOf(f)) as [number, number, number];
  const nodeTypes = m.node_types[0];
  const edgeTypes = m.edge_types[0];
  const n = s.nodes.length / nf;
  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0, e = 0; i < n; i++) {
    firstEdge[i] = e;
    e += s.nodes[i * nf + nEdges]! * ef;
  }
  firstEdge[n] = s.edges.length;
  // a label per object: constructor name + its first property names
  const label: string[] = new Array(n);
  const owner = new Int32Array(n).fill(-1);
  const ownerEdge: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const type = nodeTypes[s.nodes[i * nf + nType]!]!;
    const name = s.strings[s.nodes[i * nf + nName]!]!;
    const props: string[] = [];
    for (let e = firstEdge[i]!; e < firstEdge[i + 1]!; e += ef) {
      const et = edgeTypes[s.edges[e + eType]!]!;
      const to = s.edges[e + eTo]! / nf;
      const en = et === 'element' || et === 'hidden' ? String(s.edges[e + eName]) : s.strings[s.edges[e + eName]!]!;
      if (et === 'property' && props.length < 9 && !en.startsWith('<symbol')) props.push(en);
      if (owner[to] === -1 && et !== 'weak' && et !== 'shortcut') {
        owner[to] = i;
        ownerEdge[to] = et === 'element' ? '[]' : en;
      }
    }
    label[i] = type === 'object' ? `${name}{${props.join(',')}}` : type === 'closure' ? `closure ${name}` : type === 'string' || type === 'concatenated string' || type === 'sliced string' ? 'string' : `${type}:${name.slice(0, 40)}`;
  }
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < n; i++) {
    const type = nodeTypes[s.nodes[i * nf + nType]!]!;
    let key = label[i]!;
    if (type !== 'object' && type !== 'closure' && owner[i]! >= 0) key = `${key} <- ${label[owner[i]!]}.${ownerEdge[i]}`;
    const g = out.get(key) ?? { count: 0, size: 0 };
    g.count++;
    g.size += s.nodes[i * nf + nSize]!;
    out.set(key, g);
    void nId;
  }
  return out;
}

const files = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--per');
const [beforeFile, afterFile, rowsArg] = files;
if (!beforeFile || !afterFile) {
  console.error('usage: heap-summary BEFORE.heapsnapshot AFTER.heapsnapshot [rows] [--per N]');
  process.exit(2);
}
const perAt = process.argv.indexOf('--per');
const per = perAt >= 0 ? Number(process.argv[perAt + 1]) : 0;
const before = groups(beforeFile);
const after = groups(afterFile);
const rows = [...after].map(([k, g]) => {
  const b = before.get(k) ?? { count: 0, size: 0 };
  return { k, count: g.count - b.count, size: g.size - b.size };
});
rows.sort((x, y) => y.size - x.size);
const total = rows.reduce((s, r) => s + r.size, 0);
console.log(`total growth ${total} B${per ? ` = ${(total / per).toFixed(1)} B per ${per}th` : ''}`);
for (const r of rows.slice(0, Number(rowsArg ?? 40))) {
  const perTxt = per ? `${(r.size / per).toFixed(1).padStart(8)} B/each ${(r.count / per).toFixed(2).padStart(6)} obj/each  ` : '';
  console.log(`${String(r.size).padStart(10)} ${String(r.count).padStart(8)}  ${perTxt}${r.k}`);
}
