/**
 * Shared by the fuzz tests: a small lab of real stacks over the memory
 * miniport with an established call to keep an eye on, a promiscuous fuzz
 * port on the same hub, uncaught-error capture (RxJS reports a throwing
 * subscriber asynchronously), and the regression corpus format.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { config } from 'rxjs';
import type { ExecutionContext } from 'ava';
import type { CondisNode } from '../../src/host/node.js';
import { openMemorySync } from '../../src/miniport/index.js';
import type { Miniport } from '../../src/miniport/types.js';
import type { NdisVcHandle } from '../../src/ndis/index.js';
import { Client, linksUp, memoryNodes, shutdownAll } from '../helpers/nodes.js';

export const CORPUS_DIR = join(import.meta.dirname, 'corpus');

export interface CorpusEntry {
  kind: 'frame' | 'q2931';
  bytes: Buffer;
}

/** `frame <hex>` (a whole Ethernet frame to the target) or `q2931 <hex>` (a message over an established SSCOP association); `#` comments */
export function parseCorpus(text: string): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [kind, hex = ''] = line.split(/\s+/, 2);
    if (kind !== 'frame' && kind !== 'q2931') throw new Error(`corpus line ${JSON.stringify(raw)}: expected "frame <hex>" or "q2931 <hex>"`);
    if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error(`corpus line ${JSON.stringify(raw)}: not hex`);
    out.push({ kind, bytes: Buffer.from(hex, 'hex') });
  }
  return out;
}

export function corpusFiles(): string[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.hex'))
    .sort();
}

export function readCorpus(file: string): CorpusEntry[] {
  return parseCorpus(readFileSync(join(CORPUS_DIR, file), 'utf8'));
}

/** collect errors RxJS would otherwise throw on a later turn (a subscriber that threw) */
export function captureUnhandled(t: ExecutionContext): unknown[] {
  const errors: unknown[] = [];
  const before = config.onUnhandledError;
  config.onUnhandledError = (e) => errors.push(e);
  t.teardown(() => {
    config.onUnhandledError = before;
  });
  return errors;
}

export interface FuzzBed {
  nodes: CondisNode[];
  target: CondisNode;
  caller: Client;
  callee: Client;
  /** the established call from h1 to the target (h2) */
  vc: NdisVcHandle;
  calleeVc: () => NdisVcHandle;
  port: Miniport;
}

/** h1, h2 (the target, listening on 1002), h3 (listening on 1003); a call h1 -> h2 up; a promiscuous fuzz port on the hub */
export async function fuzzBed(t: ExecutionContext, overrides: Parameters<typeof memoryNodes>[1] = {}): Promise<FuzzBed> {
  const nodes = memoryNodes(3, overrides);
  const port = openMemorySync({ kind: 'memory', hub: hubOf(nodes[0]!), mac: '02:00:00:00:00:f0', promiscuous: true });
  t.teardown(async () => {
    await shutdownAll(nodes);
    await port.close();
  });
  await linksUp(nodes);
  const [h1, h2, h3] = nodes as [CondisNode, CondisNode, CondisNode];
  const caller = await Client.open(h1, 'caller');
  const callee = await Client.open(h2, 'callee');
  const other = await Client.open(h3, 'other');
  await callee.listen('1002');
  await other.listen('1003');
  const incoming = callee.next('ProtocolClIncomingCall');
  const { vc } = await caller.call('1002');
  const calleeVcH = (await incoming).vcHandle;
  return { nodes, target: h2, caller, callee, vc, calleeVc: () => calleeVcH, port };
}

/** memory miniports are named "memory:<hub>" */
function hubOf(n: CondisNode): string {
  return n.miniport.name.replace(/^memory:/, '');
}

/** data still flows both ways on the call, and new calls to and from the target work */
export async function stillWorks(t: ExecutionContext, bed: FuzzBed, tag: string): Promise<void> {
  const { caller, callee, vc } = bed;
  const got = callee.next('ProtocolCoReceiveNetBufferLists', (i) => i.vcHandle === bed.calleeVc());
  caller.send(vc, Buffer.from(`after ${tag}: forward`));
  t.is((await got).nbls[0]!.data.toString(), `after ${tag}: forward`);
  const back = caller.next('ProtocolCoReceiveNetBufferLists', (i) => i.vcHandle === vc);
  callee.send(bed.calleeVc(), Buffer.from(`after ${tag}: backward`));
  t.is((await back).nbls[0]!.data.toString(), `after ${tag}: backward`);
  // a new call to the target, and one from it
  const c2 = await caller.call('1002');
  t.truthy(c2.vc);
  const c3 = await callee.call('1003');
  t.truthy(c3.vc);
  await linksUp(bed.nodes);
}
