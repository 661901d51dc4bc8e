/** src/common/sh.ts: running a command */
import test from 'ava';
import { CommandError, run } from '../../src/common/sh.js';

test('run: `input` is the command\'s standard input (lab down feeds `ip -batch -` this way)', async (t) => {
  const r = await run('sh', ['-c', 'wc -l; cat >/dev/null'], { input: 'netns del a\nnetns del b\n' });
  t.is(r.stdout.trim(), '2');
  t.is(r.code, 0);
});

test('run: a failure rejects with a CommandError naming the command, or resolves with its code when allowed', async (t) => {
  const e = await t.throwsAsync(run('sh', ['-c', 'echo bad >&2; exit 3']), { instanceOf: CommandError });
  t.regex(e!.message, /sh -c/);
  t.regex(e!.message, /bad/);
  const r = await run('sh', ['-c', 'exit 3'], { allowFail: true });
  t.is(r.code, 3);
});
