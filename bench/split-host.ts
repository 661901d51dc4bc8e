/**
 * One bench host in a process of its own, as condisd runs each host: the
 * leaf host of bench/split-process.ts, which starts it with the host's
 * namespace, MAC, address and static peers (BenchTapLab.hostOptions) as its
 * argument. It opens the host's TAP, starts a node, and answers every call
 * and party on its address. Over IPC it says `ready`, answers `cpu` with its
 * CPU time so far, and on `stop` shuts down and exits; it exits too when
 * its parent goes.
 */
import { CondisNode } from '../src/host/node.js';
import { Client } from '../src/host/driver.js';
import { openMiniport } from '../src/miniport/index.js';
import { benchNodeOptions } from './node-options.js';

interface HostSpec {
  nsName: string;
  mac: string;
  address: string;
  peers: { mac: string; addresses: string[] }[];
}

const spec = JSON.parse(process.argv[2] ?? '') as HostSpec;
const send = (m: unknown): void => void process.send?.(m);
process.on('disconnect', () => process.exit(1));

const miniport = await openMiniport({ kind: 'tap', device: 'tap0', netns: spec.nsName, mac: spec.mac, bridge: 'br0' });
const node = new CondisNode(benchNodeOptions('leaf', miniport, spec.address, spec.peers));
const leaf = await Client.open(node, 'leaf', { keepLog: false });
await leaf.listen(spec.address);
process.on('message', (m) => {
  if (m === 'cpu') send({ cpu: process.cpuUsage() });
  else if (m === 'stop')
    void node
      .shutdown(0)
      .finally(() => miniport.close())
      .finally(() => process.exit(0));
});
send('ready');
