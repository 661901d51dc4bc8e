/**
 * The far end of the minimal TAP loop in a process of its own
 * (bench/split-process.ts): it opens its host's TAP and sends every frame it
 * receives straight back to `peer`. Over IPC it says `ready`, answers `cpu`
 * with its CPU time so far, and on `stop` closes the TAP and exits; it exits
 * too when its parent goes.
 */
import { openMiniport } from '../src/miniport/index.js';
import { cellHeader, emitFrame, ETHERTYPE_CONDIS } from '../src/wire/index.js';

const spec = JSON.parse(process.argv[2] ?? '') as { nsName: string; mac: string; peer: string };
const send = (m: unknown): void => void process.send?.(m);
process.on('disconnect', () => process.exit(1));

const miniport = await openMiniport({ kind: 'tap', device: 'tap0', netns: spec.nsName, mac: spec.mac, bridge: 'br0' });
const back = emitFrame({ dst: spec.peer, src: spec.mac, etherType: ETHERTYPE_CONDIS, cell: cellHeader(0, 99), uu: 0, cpi: 0, sdu: Buffer.alloc(16) });
miniport.frames$.subscribe(() => miniport.send(back));
process.on('message', (m) => {
  if (m === 'cpu') send({ cpu: process.cpuUsage() });
  else if (m === 'stop') void miniport.close().finally(() => process.exit(0));
});
send('ready');
