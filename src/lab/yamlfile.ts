/**
 * Loading a YAML file through a zod schema with errors a person can act on:
 * every problem names the file, the path inside the document
 * (`hosts[2].mac`) and, when the YAML still has it, the line and column.
 * Used by lab topologies and scenarios.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

export interface FileIssue {
  /** path inside the document, e.g. ['hosts', 2, 'mac'] */
  path: (string | number)[];
  message: string;
  line?: number;
  column?: number;
}

/** A file that could not be read, parsed or validated; `issues` lists every problem found. */
export class YamlFileError extends Error {
  override readonly name = 'YamlFileError';
  constructor(
    readonly file: string,
    readonly issues: FileIssue[],
    /** what the file was meant to be, for the message ("topology", "scenario") */
    readonly what: string,
  ) {
    super(`invalid ${what} ${file}:\n${issues.map((i) => `  ${formatIssue(file, i)}`).join('\n')}`);
  }
}

/** `hosts[2].mac` */
export function formatPath(path: readonly (string | number | symbol)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(top level)';
}

function formatIssue(file: string, i: FileIssue): string {
  const where = i.line !== undefined ? `${file}:${i.line}:${i.column ?? 1}` : file;
  return `${where}: ${formatPath(i.path)}: ${i.message}`;
}

export interface Parsed<T> {
  value: T;
  /** locate a path in the source (for errors found after schema validation) */
  locate(path: (string | number)[]): { line?: number; column?: number };
}

/** Parse YAML text and validate it; throws YamlFileError naming `file`. */
export function parseYaml<S extends z.ZodType>(text: string, file: string, schema: S, what: string): Parsed<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new YamlFileError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: [], message: `YAML syntax: ${e.message.split('\n')[0]}`, line: pos?.line, column: pos?.col };
      }),
      what,
    );
  }
  const locate = (path: (string | number)[]) => locateIn(doc, lineCounter, path);
  const result = schema.safeParse(doc.toJS());
  if (!result.success) {
    throw new YamlFileError(
      file,
      result.error.issues.map((iss) => {
        const path = iss.path.filter((p): p is string | number => typeof p !== 'symbol');
        return { path, message: iss.message, ...locate(path) };
      }),
      what,
    );
  }
  return { value: result.data as z.output<S>, locate };
}

/** Read and parse a YAML file; a missing or unreadable file is a YamlFileError too. */
export function loadYamlFile<S extends z.ZodType>(file: string, schema: S, what: string): Parsed<z.output<S>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new YamlFileError(file, [{ path: [], message: `cannot read: ${(e as Error).message}` }], what);
  }
  return parseYaml(text, file, schema, what);
}

/** Line/column of the deepest node of `path` that exists in the document. */
function locateIn(doc: Document, lc: LineCounter, path: (string | number)[]): { line?: number; column?: number } {
  let node: unknown = doc.contents;
  let range: [number, number, number] | undefined = (node as { range?: [number, number, number] } | null)?.range;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      node = pair.value ?? pair.key;
      range = (node as { range?: [number, number, number] } | null)?.range ?? (pair.key as { range?: [number, number, number] }).range;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key];
      if (item === undefined) break;
      node = item;
      range = (item as { range?: [number, number, number] } | null)?.range ?? range;
    } else break;
  }
  if (!range) return {};
  const pos = lc.linePos(range[0]);
  return { line: pos.line, column: pos.col };
}
