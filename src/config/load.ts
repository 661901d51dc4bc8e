/**
 * Loading a host configuration: YAML (parsed with source positions) validated
 * by the zod schema; every problem is reported with file, path, line and what
 * is wrong (ConfigError). All problems are collected, not just the first.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatPath, type ConfigIssue } from './errors.js';
import { finishConfig, hostConfigSchema } from './schema.js';
import type { HostConfig } from './types.js';

type Seg = string | number;

interface Located {
  line: number;
  column: number;
}

/**
 * Where `path` is in the document: the value's node, or for `key: true` the key
 * itself; when the path does not exist (a missing key), the deepest existing
 * ancestor (the mapping that lacks the key).
 */
export function locate(doc: Document, lc: LineCounter, path: readonly Seg[], key = false): Located | undefined {
  let node: unknown = doc.contents;
  let best: unknown = node;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) break;
      if (last && (key || pair.value === null || pair.value === undefined)) {
        best = pair.key;
        break;
      }
      node = pair.value;
      best = node ?? best;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      node = item;
      best = item;
    } else break;
  }
  const range = (best as { range?: [number, number, number] } | null)?.range;
  if (!range) return doc.contents ? undefined : { line: 1, column: 1 };
  const pos = lc.linePos(range[0]);
  return { line: pos.line, column: pos.col };
}

function valueAt(data: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object' || !(String(seg) in (v as object))) return { found: false, value: undefined };
    v = (v as Record<string, unknown>)[seg as string];
  }
  return { found: true, value: v };
}

// ---- "did you mean": the keys the schema allows at a path -------------------------------------

interface ZodLike {
  _zod: { def: Record<string, unknown> & { type: string } };
}

function unwrap(s: ZodLike): ZodLike {
  for (let n = 0; n < 20; n++) {
    const d = s._zod.def;
    if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(d.type)) s = d.innerType as ZodLike;
    else if (d.type === 'pipe') s = d.in as ZodLike;
    else break;
  }
  return s;
}

function pickUnion(s: ZodLike, v: unknown): ZodLike | undefined {
  const d = s._zod.def;
  if (d.type !== 'union') return s;
  const disc = d.discriminator as string | undefined;
  const options = d.options as ZodLike[];
  if (!disc || v === null || typeof v !== 'object') return undefined;
  const want = (v as Record<string, unknown>)[disc];
  return options.find((o) => {
    const lit = (unwrap(o)._zod.def.shape as Record<string, ZodLike> | undefined)?.[disc];
    return lit !== undefined && (lit._zod.def.values as unknown[] | undefined)?.includes(want);
  });
}

export function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] | undefined {
  let s: ZodLike | undefined = unwrap(schema as unknown as ZodLike);
  let v = data;
  for (const seg of [...path, undefined]) {
    s = pickUnion(s, v);
    if (!s) return undefined;
    s = unwrap(s);
    const d = s._zod.def;
    if (seg === undefined) return d.type === 'object' ? Object.keys(d.shape as object) : undefined;
    if (d.type === 'object') s = (d.shape as Record<string, ZodLike>)[String(seg)];
    else if (d.type === 'array') s = d.element as ZodLike;
    else return undefined;
    if (!s) return undefined;
    s = unwrap(s);
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg as string] : undefined;
  }
  return undefined;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

function suggest(key: string, allowed: string[] | undefined): string {
  if (!allowed || allowed.length === 0) return '';
  const near = allowed.filter((k) => k.toLowerCase() === key.toLowerCase() || distance(k.toLowerCase(), key.toLowerCase()) <= 2);
  const list = `allowed here: ${allowed.join(', ')}`;
  return near.length ? ` (did you mean "${near[0]}"? ${list})` : ` (${list})`;
}

// ---- zod issues -> ConfigIssues ---------------------------------------------------------------

function typeName(t: string): string {
  return t === 'array' ? 'a list' : t === 'object' ? 'a mapping' : t === 'boolean' ? 'true or false' : `a ${t}`;
}

function toIssues(schema: z.ZodType, error: z.ZodError, data: unknown, doc: Document, lc: LineCounter): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is Seg => typeof p === 'string' || typeof p === 'number');
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(schema, path, data);
      for (const k of issue.keys) {
        const at = locate(doc, lc, [...path, k], true);
        out.push({ path: formatPath([...path, k]), line: at?.line, column: at?.column, message: `unknown key "${k}"${suggest(k, allowed)}` });
      }
      continue;
    }
    const { found, value } = valueAt(data, path);
    let message = issue.message;
    const key = path[path.length - 1];
    if (issue.code === 'invalid_union' && 'discriminator' in issue) {
      const options = ((issue as { options?: unknown[] }).options ?? []).join(', ');
      message = found && value !== undefined ? `unknown ${String(path[path.length - 2] ?? '')} ${String(key)} ${JSON.stringify(value)} (one of: ${options})` : `missing required key "${String(key)}" (one of: ${options})`;
    } else if (!found || value === undefined) {
      const expected = issue.code === 'invalid_type' ? ` (expected ${typeName(issue.expected)})` : '';
      message = `missing required key "${String(key)}"${expected}`;
    } else if (issue.code === 'invalid_type') {
      message = `expected ${typeName(issue.expected)}, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`}`;
    } else if (issue.code === 'too_big' || issue.code === 'too_small') {
      const bound = issue.code === 'too_big' ? `at most ${String(issue.maximum)}` : `at least ${String(issue.minimum)}`;
      const what = issue.origin === 'array' ? `${(value as unknown[]).length} entries` : issue.origin === 'string' ? `${String(value).length} characters` : `${JSON.stringify(value)}`;
      const unit = issue.origin === 'array' ? ' entries' : issue.origin === 'string' ? ' characters' : '';
      message = `${what} is out of range: must be ${bound}${unit}`;
    } else if (issue.code === 'invalid_value') {
      message = `${JSON.stringify(value)} is not allowed (one of: ${issue.values.map((x) => String(x)).join(', ')})`;
    }
    const at = locate(doc, lc, path);
    out.push({ path: formatPath(path), line: at?.line, column: at?.column, message });
  }
  return out;
}

/**
 * Parse YAML text and validate it with `schema`; every problem becomes a
 * ConfigIssue with path and line. `what` names the top-level keys for the
 * "must be a mapping" message.
 */
export function parseYamlWith<S extends z.ZodType>(schema: S, text: string, fileName: string, what: string): z.output<S> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      fileName,
      doc.errors.map((e) => {
        const pos = lc.linePos(e.pos[0]);
        return { path: '', line: pos.line, column: pos.col, message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  const data: unknown = doc.toJS() ?? {};
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    const at = locate(doc, lc, []);
    throw new ConfigError(fileName, [{ path: '', line: at?.line ?? 1, column: at?.column ?? 1, message: `the file must be a mapping of keys (${what})` }]);
  }
  const r = schema.safeParse(data);
  if (!r.success) {
    const issues = toIssues(schema, r.error, data, doc, lc).sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new ConfigError(fileName, issues);
  }
  return r.data;
}

/** Parse and validate configuration text. `fileName` is used in errors and as the default host name. */
export function parseConfig(text: string, fileName = '<config>'): HostConfig {
  const parsed = parseYamlWith(hostConfigSchema, text, fileName, 'miniport:, addresses:, ...');
  const base = basename(fileName, extname(fileName));
  return finishConfig(parsed, base === '' || base.startsWith('<') ? 'condis' : base);
}

export async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new ConfigError(path, [{ path: '', message: `cannot read the configuration file: ${why}` }]);
  }
}

/** Read, parse and validate a configuration file. Throws ConfigError (also when the file cannot be read). */
export async function loadConfig(path: string): Promise<HostConfig> {
  return parseConfig(await readConfigText(path), path);
}
