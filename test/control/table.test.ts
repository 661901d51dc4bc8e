/** condisctl's plain text tables (src/control/table.ts) */
import test from 'ava';
import { table } from '../../src/control/table.js';
import { partiesTable } from '../../src/control/format.js';

test('columns are padded to their widest cell, empty cells show as -, the last column is not padded', (t) => {
  t.is(table(['VC', 'NAME'], [[1, 'a'], [22, undefined], [3, '']]), ['VC  NAME', '1   a', '22  -', '3   -'].join('\n'));
});

test("empty cells as the caller says: the lab's tables leave them blank under a cell they repeat", (t) => {
  t.is(table(['NS', 'LINK'], [['h1', 'tap0'], ['', 'veth1'], ['h2', '']], ''), ['NS  LINK', 'h1  tap0', '    veth1', 'h2'].join('\n'));
});

test('a table of 300,000 rows (limits.calls allows a million): every row, aligned, no stack overflow', (t) => {
  const n = 300_000;
  const text = partiesTable(Array.from({ length: n }, (_, i) => ({ vc: 7, party: i + 1, address: '1002', state: 'CONNECTED', uniState: 'P7 Active' })));
  const lines = text.split('\n');
  t.is(lines.length, n + 1);
  t.is(lines[n], `7   ${String(n).padEnd(6)}  1002     CONNECTED  P7 Active`);
  t.true(lines.every((l) => l.length === lines[n]!.length), 'every row as wide as the last');
});
