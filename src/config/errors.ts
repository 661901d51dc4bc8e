/**
 * Configuration errors name the file, the path inside it ("timers.uni.t303",
 * "peers[1].mac"), the line and column, and what is wrong.
 */

export interface ConfigIssue {
  /** dotted path inside the document; "" for the document itself */
  path: string;
  /** 1-based; undefined when the file could not be read at all */
  line?: number;
  column?: number;
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

function formatIssue(file: string, i: ConfigIssue): string {
  const where = i.line !== undefined ? `${file}:${i.line}${i.column !== undefined ? `:${i.column}` : ''}` : file;
  return `${where}: ${i.path === '' ? '' : `${i.path}: `}${i.message}`;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** the file name as given to loadConfig / parseConfig */
  readonly file: string;
  /** first issue's path, line, column, message (all issues: `issues`) */
  readonly path: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly detail: string;
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, issues: ConfigIssue[]) {
    const first = issues[0] ?? { path: '', message: 'invalid configuration' };
    super(issues.length <= 1 ? formatIssue(file, first) : `${issues.length} problems in ${file}:\n${issues.map((i) => `  ${formatIssue(file, i)}`).join('\n')}`);
    this.file = file;
    this.path = first.path;
    this.line = first.line;
    this.column = first.column;
    this.detail = first.message;
    this.issues = issues;
  }
}
