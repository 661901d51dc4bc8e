/**
 * The shape of src/ that docs/architecture.md describes, checked on every run:
 * which folder may import which, no import cycle between files, no source file
 * over 800 lines, no frame offsets read outside the wire layer. Imports are
 * read with the TypeScript parser (static imports, re-exports and `import()`
 * with a literal path; `import type` counts too).
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_LINES = 800;

/**
 * Files still over the limit while another change splits them (issue 13). Each entry names the
 * change that removes it; empty this list as those land. An entry that is no longer over the
 * limit is only logged, so a split can land without waiting for this list.
 */
const OVERSIZE_BEING_SPLIT: readonly string[] = [];

/**
 * Import cycles that exist today and are removed by a change in progress (issue 13 item 1: the
 * per-link coordinator). Each is the sorted list of files of one strongly connected component.
 */
const CYCLES_BEING_REMOVED: readonly (readonly string[])[] = [
];

/** The lowest layers, by allow-list: a folder imports only from itself and these. */
const MAY_IMPORT_ONLY: Readonly<Record<string, readonly string[]>> = {
  common: [],
  wire: ['common'],
  sscop: ['common'],
  'uni/msg': ['common'],
  miniport: ['common'],
  uni: ['common', 'sscop', 'uni/msg'],
  capture: ['common', 'wire', 'sscop', 'uni/msg'],
  config: ['common', 'sscop', 'uni', 'uni/msg'],
  callcontrol: ['common', 'sscop', 'uni', 'uni/msg'],
  ndis: ['common', 'config', 'uni', 'uni/msg'],
};

/**
 * File names that may appear in several folders because they play the same
 * role in each (issue 13: one meaning per word; two files of one name in
 * different layers only when they are the same role). Any other name is one
 * file under src/.
 */
const SAME_ROLE_NAMES: Readonly<Record<string, string>> = {
  'index.ts': "a folder's public face",
  'types.ts': "a folder's records and interfaces",
  'errors.ts': "a folder's typed errors",
  'modify.ts': "a layer's share of Q.2963.1 connection modification",
  'records.ts': "a layer's records (NDIS's, and the Q.2931 call manager's contexts)",
  'operators.ts': "a layer's RxJS operators",
  'format.ts': "a folder's text for people (tables, lines)",
  'server.ts': "a folder's server (the control socket, the view's HTTP)",
};

/** The upper layers, by deny-list: nothing imports a layer above it. */
const MUST_NOT_IMPORT: Readonly<Record<string, readonly string[]>> = {
  control: ['host', 'lab', 'view', 'demo', 'fuzz', 'miniport'],
  switch: ['host', 'lab', 'view', 'demo', 'fuzz', 'ndis'],
  host: ['lab', 'view', 'demo', 'fuzz'],
};

interface Edge {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out.sort();
}

/** relative import paths of one file, resolved to repository paths (`src/x/y.ts`) */
function importsOf(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const specs: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) specs.push(n.moduleSpecifier.text);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) specs.push(n.arguments[0].text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return specs.filter((s) => s.startsWith('.')).map((s) => normalize(join(dirname(file), s)).replace(/\.js$/, '.ts'));
}

/** the folder a file belongs to for the layering rules: `uni/msg` apart from `uni`, else the first level */
function layerOf(file: string): string {
  const parts = file.split('/');
  if (parts[1] === 'uni' && parts[2] === 'msg') return 'uni/msg';
  return parts.length > 2 ? parts[1]! : '(root)';
}

const FILES = sourceFiles('src');
const TEXT = new Map(FILES.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
const EDGES: Edge[] = FILES.flatMap((f) => importsOf(f, TEXT.get(f)!).map((to) => ({ from: f, to })));

test('the scan sees the source tree and its imports', (t) => {
  t.true(FILES.length > 50, `only ${FILES.length} files under src/`);
  t.true(
    EDGES.some((e) => e.from === 'src/sscop/machine.ts' && e.to === 'src/sscop/state.ts'),
    'a known import (sscop/machine.ts -> sscop/state.ts) was not found: the scan is broken',
  );
  const missing = EDGES.filter((e) => e.to.startsWith('src/') && !TEXT.has(e.to));
  t.deepEqual(missing, [], 'imports that name no file under src/');
});

test('no two files under src/ share a name unless they play the same role (listed with the role)', (t) => {
  const byName = new Map<string, string[]>();
  for (const f of FILES) {
    const name = f.slice(f.lastIndexOf('/') + 1);
    byName.set(name, [...(byName.get(name) ?? []), f]);
  }
  const clashes = [...byName].filter(([name, files]) => files.length > 1 && !(name in SAME_ROLE_NAMES)).map(([name, files]) => `${name}: ${files.join(', ')}`);
  t.deepEqual(clashes, [], 'rename one of each pair after its role, or list the name with the role both files share');
  t.true([...byName].some(([name, files]) => name === 'index.ts' && files.length > 1), 'the check sees names used in several folders');
});

test(`no file under src/ is longer than ${MAX_LINES} lines (except those being split, listed here)`, (t) => {
  const long = FILES.map((f) => ({ f, lines: TEXT.get(f)!.split('\n').length - (TEXT.get(f)!.endsWith('\n') ? 1 : 0) })).filter((x) => x.lines > MAX_LINES);
  const unexpected = long.filter((x) => !OVERSIZE_BEING_SPLIT.includes(x.f)).map((x) => `${x.f}: ${x.lines} lines`);
  t.deepEqual(unexpected, [], 'split these by job (docs/contributing.md)');
  for (const f of OVERSIZE_BEING_SPLIT) if (!long.some((x) => x.f === f)) t.log(`${f} is within ${MAX_LINES} lines now: remove it from OVERSIZE_BEING_SPLIT`);
});

test('the lowest layers import only the layers below them', (t) => {
  const bad = EDGES.filter((e) => {
    const allowed = MAY_IMPORT_ONLY[layerOf(e.from)];
    const to = layerOf(e.to);
    return allowed !== undefined && to !== layerOf(e.from) && !allowed.includes(to);
  }).map((e) => `${e.from} -> ${e.to}`);
  t.deepEqual(bad, []);
});

test('nothing imports a layer above it (lab, host, control, ...)', (t) => {
  const bad = EDGES.filter((e) => MUST_NOT_IMPORT[layerOf(e.from)]?.includes(layerOf(e.to))).map((e) => `${e.from} -> ${e.to}`);
  t.deepEqual(bad, []);
});

test('no import cycle between files under src/ (except those being removed, listed here)', (t) => {
  // Tarjan's strongly connected components over the file graph
  const next = new Map<string, string[]>(FILES.map((f) => [f, []]));
  for (const e of EDGES) if (next.has(e.to)) next.get(e.from)!.push(e.to);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) cycles.push(scc.sort());
    }
  };
  for (const f of FILES) if (!index.has(f)) connect(f);
  const known = new Set(CYCLES_BEING_REMOVED.map((c) => c.join(' ')));
  t.deepEqual(
    cycles.filter((c) => !known.has(c.join(' '))).map((c) => c.map((f) => relative('src', f)).join(' <-> ')),
    [],
  );
});

/**
 * The codecs: the only files that read or write integers at offsets of a buffer (the read and
 * write methods of Buffer). A frame is read through src/wire (its view and codec) everywhere else.
 */
const CODECS: Readonly<Record<string, string>> = {
  'src/wire/': 'the frame codec, its view and the discovery announcement',
  'src/capture/': 'pcap and pcapng file records',
  'src/sscop/pdu.ts': 'SSCOP PDUs',
  'src/uni/msg/': 'Q.2931 messages and their diagnostics',
  'src/miniport/etherip.ts': 'the IPv4 header of the raw EtherIP socket',
  'src/miniport/tap.ts': "the kernel's ifreq, and a frame of another EtherType that wakes a pending read",
  'src/fuzz/': 'forges malformed frames and messages on purpose',
};

/** Buffer's integer accessors: readUInt32BE, writeUInt16LE, readUIntBE, readBigUInt64LE, ... */
const INT_ACCESS = /\.(read|write)(U?Int(8|16|32)(BE|LE)?|U?Int(BE|LE)|BigU?Int64(BE|LE)|(Float|Double)(BE|LE))\(/;

/** Names of the frame layout that only the wire layer needs. */
const FRAME_LAYOUT = /\b(SDU_OFFSET|CELL_OFFSET|ETH_HEADER_LEN)\b/;

test('no frame offsets are read outside src/wire/: Buffer integer accessors only in the codecs', (t) => {
  const isCodec = (f: string) => Object.keys(CODECS).some((c) => (c.endsWith('/') ? f.startsWith(c) : f === c));
  const bad: string[] = [];
  for (const f of FILES) {
    if (isCodec(f)) continue;
    TEXT.get(f)!.split('\n').forEach((line, i) => {
      if (INT_ACCESS.test(line) || FRAME_LAYOUT.test(line)) bad.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  t.deepEqual(bad, [], 'read frames through src/wire (FrameView, parseFrame, reframe), or add a codec here with its reason');
  // the check sees what it looks for
  t.true(INT_ACCESS.test('const vc = (buf.readUInt32BE(14) >>> 4) & 0xffffff;'));
  t.true(INT_ACCESS.test('buf.readUIntBE(6, 6)'));
  t.true(FRAME_LAYOUT.test('header.copy(frame, 0, 0, SDU_OFFSET);'));
  t.true(FILES.filter(isCodec).some((f) => INT_ACCESS.test(TEXT.get(f)!)), 'no codec reads an integer: the pattern is broken');
});

test("call control is one layer with two users: only its core makes UNI links, and both the host's and the switch's call control are built on it", (t) => {
  const makers = FILES.filter((f) => /\bnew UniLink\(/.test(TEXT.get(f)!));
  t.deepEqual(makers, ['src/callcontrol/core.ts'], 'UNI links are made by call control\'s core (src/callcontrol/core.ts) for its users');
  for (const user of ['src/callcontrol/call-control.ts', 'src/switch/calls.ts']) {
    t.true(
      EDGES.some((e) => e.from === user && e.to === 'src/callcontrol/core.ts'),
      `${user} does not import the call-control core`,
    );
    t.regex(TEXT.get(user)!, /implements [^{]*\bCallUser</, `${user} is not a CallUser of the core`);
  }
});
