import test from 'ava';
import type { Socket } from 'node:net';
import { batchWrites } from '../../src/control/batch-writes.js';

/** a socket that records what is done to it */
function recorder(): { socket: Socket; log: string[] } {
  const log: string[] = [];
  const socket = {
    cork: () => log.push('cork'),
    uncork: () => log.push('uncork'),
    write: (line: string) => log.push(line.trim()),
  } as unknown as Socket;
  return { socket, log };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('lines written in one turn are corked together and let go at the end of the turn, in order', async (t) => {
  const { socket, log } = recorder();
  const write = batchWrites(socket);
  write('a\n');
  write('b\n');
  write('c\n');
  t.deepEqual(log, ['cork', 'a', 'b', 'c'], 'held until the turn ends');
  await turn();
  t.deepEqual(log, ['cork', 'a', 'b', 'c', 'uncork']);
  // the next turn is a batch of its own
  write('d\n');
  await turn();
  t.deepEqual(log.slice(5), ['cork', 'd', 'uncork']);
});

test('writes from promise continuations of the same turn join its batch', async (t) => {
  const { socket, log } = recorder();
  const write = batchWrites(socket);
  write('a\n');
  await Promise.resolve();
  write('b\n');
  await Promise.resolve();
  write('c\n');
  await turn();
  t.deepEqual(log, ['cork', 'a', 'b', 'c', 'uncork']);
});
