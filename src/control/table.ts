/** condisctl's plain text tables (its own module so format.ts and format-switch.ts both use it without a cycle). */

/** A plain text table: a header row, then rows; columns padded to the widest cell. */
export function table(header: string[], rows: (string | number | undefined)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === undefined || c === '' ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}
