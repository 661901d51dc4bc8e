/**
 * Lines written to a control socket in one turn of the event loop leave in one
 * system call: the first write of a turn corks the socket, and it is uncorked
 * when the turn's I/O is done (setImmediate), so Node hands every line of the
 * turn to the kernel with one writev. A request or event alone waits only for
 * the end of its turn; a client that pipelines (condisctl pipe) or a daemon
 * answering many requests of one read stops paying a write per line.
 */
import type { Socket } from 'node:net';

export function batchWrites(socket: Socket): (line: string) => void {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  return (line) => {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    socket.write(line);
  };
}
