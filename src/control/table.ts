/** condisctl's plain text tables (its own module so format.ts and format-switch.ts both use it without a cycle). */

/**
 * A plain text table: a header row, then rows; columns padded to the widest cell, the last column not
 * padded. An empty or missing cell shows as `empty` ('-'; '' leaves it blank, as under a cell it repeats).
 */
export function table(header: string[], rows: (string | number | undefined)[][], empty = '-'): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === undefined || c === '' ? empty : String(c))))];
  // (a loop, not Math.max(...column): a spread of some 120,000 rows or more overflows the call stack)
  const widths = header.map(() => 0);
  for (const r of cells) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (r[i] ?? '').length);
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}
