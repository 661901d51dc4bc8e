import test from 'ava';
import { goalMet } from '../../bench/goals.js';
import type { BenchFigure } from '../../bench/run.js';

const fig = (value: number, unit: string, goal: string, baseline?: number): BenchFigure => ({ name: 'f', value, unit, goal, ...(baseline !== undefined ? { baseline } : {}) });

test('a percentage is on the ratio to the same-run baseline', (t) => {
  t.true(goalMet(fig(16_000, 'cycles/s', '>= 25%', 60_000)));
  t.false(goalMet(fig(7_913, 'cycles/s', '>= 25%', 59_200)));
  t.true(goalMet(fig(22_300, 'cycles/s', '>= 100%', 8_212)));
  t.false(goalMet(fig(152_400, 'frames/s', '>= 80%', 197_800)), '77 % against 80');
});

test('a percentage with no baseline is on the value when the figure is a percentage', (t) => {
  t.true(goalMet(fig(81.2, '%', '>= 80%')));
  t.false(goalMet(fig(68.5, '%', '>= 70%')));
  t.is(goalMet(fig(3, 'ms', '>= 80%')), undefined, 'no ratio and not a percentage: no verdict');
});

test('a value with a unit converts: us, ms; B, KiB against bytes', (t) => {
  t.false(goalMet(fig(122, 'us', '<= 40 us', 38.8)), 'the baseline does not matter to a value goal');
  t.true(goalMet(fig(39.9, 'us', '<= 40 us')));
  t.true(goalMet(fig(0.153, 'ms', '< 0.2 ms', 0.049)));
  t.false(goalMet(fig(0.2, 'ms', '< 0.2 ms')), 'strictly less');
  t.true(goalMet(fig(0.0001, 's', '< 0.2 ms')));
  t.true(goalMet(fig(655, 'bytes', '<= 1 KiB', 1024)));
  t.false(goalMet(fig(1025, 'bytes', '<= 1 KiB')));
  t.true(goalMet(fig(243, 'bytes', '<= 512 B', 512)));
  t.is(goalMet(fig(3, 'cycles/s', '<= 40 us')), undefined, 'a rate against a time: no verdict');
});

test('every clause must hold; a named multiple is on the ratio', (t) => {
  t.false(goalMet(fig(680, 'ms', '< 400 ms, 10k/1k <= 10x', 101)), 'linear but too slow');
  t.true(goalMet(fig(380, 'ms', '< 400 ms, 10k/1k <= 10x', 40)));
  t.false(goalMet(fig(380, 'ms', '< 400 ms, 10k/1k <= 10x', 30)), 'fast but 12.7x');
});

test('no goal, or one these rules do not read, gets no verdict', (t) => {
  t.is(goalMet({ name: 'f', value: 1, unit: 'ms' }), undefined);
  t.is(goalMet(fig(1, 'ms', 'as fast as possible')), undefined);
  t.is(goalMet(fig(1, 'ms', '< 2 ms, somehow')), undefined, 'one clause not read: no verdict on the whole');
});
