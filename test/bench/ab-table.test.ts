import test from 'ava';
import { abMarkdown, abTable, best, betterOf, median, type AbFigure } from '../../bench/ab-table.js';

const fig = (name: string, unit: string, value: number, section = 'stack'): AbFigure => ({ section, name, unit, value });

test('which way is better follows from the unit', (t) => {
  for (const u of ['cycles/s', 'frames/s', 'SDU/vs', 'cycles/CPU-s', 'MB/s', 'msgs/s']) t.is(betterOf(u), 'higher', u);
  for (const u of ['ms', 'us', 'us/frame', 'CPU ms', 'bytes', 'MiB', 'x']) t.is(betterOf(u), 'lower', u);
  for (const u of ['%', 'parties', '']) t.is(betterOf(u), 'neither', u);
});

test('median of odd and even counts, ignoring what is not a number', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.is(median([NaN, 5]), 5);
  t.true(Number.isNaN(median([])));
});

test('a rate that fell and a time that rose by more than 5% are worse; within 5% is not', (t) => {
  const base = [
    [fig('cycles', 'cycles/s', 1000), fig('cpu', 'us', 100), fig('setup', 'ms', 1.0), fig('heap', 'bytes', 500)],
    [fig('cycles', 'cycles/s', 1100), fig('cpu', 'us', 110), fig('setup', 'ms', 1.0), fig('heap', 'bytes', 500)],
  ];
  const head = [
    [fig('cycles', 'cycles/s', 900), fig('cpu', 'us', 90), fig('setup', 'ms', 1.04), fig('heap', 'bytes', 400)],
    [fig('cycles', 'cycles/s', 950), fig('cpu', 'us', 100), fig('setup', 'ms', 1.04), fig('heap', 'bytes', 400)],
  ];
  const { rows } = abTable(base, head);
  const by = new Map(rows.map((r) => [r.name, r]));
  // cycles: median 1050 -> 925, 11.9% fewer per second
  t.is(by.get('cycles')!.baseMedian, 1050);
  t.is(by.get('cycles')!.headMedian, 925);
  t.true(by.get('cycles')!.worse);
  t.is(Math.round(by.get('cycles')!.gain * 1000), -119);
  // cpu: 105 -> 95 us, better
  t.false(by.get('cpu')!.worse);
  t.true(by.get('cpu')!.gain > 0);
  // setup: 4% slower: within the tolerance
  t.false(by.get('setup')!.worse);
  t.is(Math.round(by.get('setup')!.gain * 100), -4);
  // heap: 20% smaller
  t.is(Math.round(by.get('heap')!.gain * 100), 20);
  t.deepEqual(by.get('cycles')!.base, [1000, 1100]);
  t.deepEqual(by.get('cycles')!.head, [900, 950]);
});

test('a time that rose by 6% is worse at the default tolerance and not at 10%', (t) => {
  const base = [[fig('cpu', 'us', 100)]];
  const head = [[fig('cpu', 'us', 106)]];
  t.true(abTable(base, head).rows[0]!.worse);
  t.false(abTable(base, head, 0.1).rows[0]!.worse);
});

test('figures only one side measured are listed, not compared; figures of the same name in two sections are two rows', (t) => {
  const base = [[fig('a', 'ms', 1), fig('old', 'ms', 1), fig('a', 'ms', 5, 'switch')]];
  const head = [[fig('a', 'ms', 1), fig('new', 'ms', 1), fig('a', 'ms', 10, 'switch')]];
  const r = abTable(base, head);
  t.deepEqual(
    r.rows.map((x) => [x.section, x.name, x.worse]),
    [
      ['stack', 'a', false],
      ['switch', 'a', true],
    ],
  );
  t.deepEqual(r.onlyBase, ['stack: old']);
  t.deepEqual(r.onlyHead, ['stack: new']);
});

test('a unit without a direction is reported as a ratio and never judged worse', (t) => {
  const { rows } = abTable([[fig('share', '%', 50)]], [[fig('share', '%', 10)]]);
  t.is(rows[0]!.better, 'neither');
  t.false(rows[0]!.worse);
  t.regex(abMarkdown(rows, { base: 'b', head: 'h' }), /\| x0\.20 \|/);
});

test('a count without a direction that is 0 on both sides is the same, and one that leaves 0 says from what', (t) => {
  const { rows } = abTable([[fig('lossy', 'runs', 0), fig('errors', 'runs', 0)]], [[fig('lossy', 'runs', 0), fig('errors', 'runs', 2)]]);
  const md = abMarkdown(rows, { base: 'b', head: 'h' });
  t.regex(md, /\| lossy \| runs \|.*\| same \|/);
  t.regex(md, /\| errors \| runs \|.*\| from 0(\.0+)? \|/);
});

test('the Markdown table gives every run, both medians and the change, marking the worse ones', (t) => {
  const { rows } = abTable([[fig('cycles', 'cycles/s', 2000)], [fig('cycles', 'cycles/s', 2200)]], [[fig('cycles', 'cycles/s', 1000)], [fig('cycles', 'cycles/s', 1100)]]);
  const md = abMarkdown(rows, { base: 'abc123', head: 'head' }).split('\n');
  t.is(md.length, 3);
  t.regex(md[0]!, /median abc123 \| median head \| change \| best runs/);
  t.is(md[2], '| stack | cycles | cycles/s | 2000, 2200 | 1000, 1100 | 2100 | 1050 | -50.0% **worse, confirmed** | -50.0% |');
});

test('the best run is the highest rate and the lowest time; a unit without a direction takes the median', (t) => {
  t.is(best([3, 9, 5], 'higher'), 9);
  t.is(best([3, 9, 5, NaN], 'lower'), 3);
  t.is(best([3, 9, 5], 'neither'), 5);
  t.true(Number.isNaN(best([], 'higher')));
});

test('a median made worse by one disturbed run is worse but not confirmed; worse in the best runs too is confirmed', (t) => {
  // noise: head's best run equals base's; one slow head run drags its median down
  const noisy = abTable([[fig('cycles', 'cycles/s', 1000)], [fig('cycles', 'cycles/s', 990)], [fig('cycles', 'cycles/s', 1010)]], [[fig('cycles', 'cycles/s', 1010)], [fig('cycles', 'cycles/s', 600)], [fig('cycles', 'cycles/s', 700)]]).rows[0]!;
  t.true(noisy.worse);
  t.false(noisy.confirmed);
  t.is(noisy.baseBest, 1010);
  t.is(noisy.headBest, 1010);
  t.is(noisy.bestGain, 0);
  t.regex(abMarkdown([noisy], { base: 'b', head: 'h' }), /\*\*worse\*\* \| \+0\.0% \|$/);
  // a real slowdown: every head run, the best included, takes 20% longer
  const real = abTable([[fig('cpu', 'us', 100)], [fig('cpu', 'us', 104)]], [[fig('cpu', 'us', 120)], [fig('cpu', 'us', 125)]]).rows[0]!;
  t.true(real.confirmed);
  t.is(Math.round(real.bestGain * 100), -20);
  // one run a side: worse, but nothing to confirm it with
  const once = abTable([[fig('cpu', 'us', 100)]], [[fig('cpu', 'us', 120)]]).rows[0]!;
  t.true(once.worse);
  t.false(once.confirmed);
});
