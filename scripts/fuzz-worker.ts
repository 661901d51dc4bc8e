/**
 * The fuzzing side of `npm run fuzz`, started by scripts/fuzz.ts inside a lab
 * host's namespace: it opens that host's TAP device (bridged onto the lab's
 * segment, as condisd would) and fuzzes the target MAC for a bounded time,
 * then prints its report as one JSON line. Inputs it sent are appended to
 * `--record FILE` (corpus format: `frame <hex>` / `q2931 <hex>`), so a run
 * that breaks the target can be replayed.
 *
 *   fuzz-worker.ts --device tap0 --bridge br0 --mac M --target T --seed S --seconds N [--addresses a,b] [--record FILE]
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { openMiniport } from '../src/miniport/index.js';
import { runFuzz } from '../src/fuzz/peer.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const need = (k: string) => {
  const v = args.get(k);
  if (!v) {
    process.stderr.write(`fuzz-worker: --${k} is required\n`);
    process.exit(2);
  }
  return v;
};

const record = args.get('record');
if (record) writeFileSync(record, `# fuzz inputs, seed ${need('seed')}, target ${need('target')}\n`);
let pending: string[] = [];
const flush = () => {
  if (record && pending.length) appendFileSync(record, pending.join(''));
  pending = [];
};

const miniport = await openMiniport({ kind: 'tap', device: need('device'), mac: need('mac'), ...(args.get('bridge') ? { bridge: args.get('bridge')! } : {}) });
const report = await runFuzz({
  miniport,
  target: need('target').toLowerCase(),
  seed: Number(need('seed')),
  ms: Number(need('seconds')) * 1000,
  burst: Number(args.get('burst') ?? 32),
  ...(args.get('rate') ? { maxRate: Number(args.get('rate')) } : {}),
  ...(args.get('message-rate') !== undefined ? { messageRate: Number(args.get('message-rate')) } : {}),
  addresses: (args.get('addresses') ?? '').split(',').filter(Boolean),
  // forged sources look like new peers; a few, to exercise the peer limit, not to fill it at once
  randomSourceRate: 0.005,
  sscop: { timerCC: 200, timerPoll: 100, timerKeepAlive: 200, timerNoResponse: 1500 },
  ...(record
    ? {
        record: (kind: 'frame' | 'q2931', bytes: Buffer) => {
          pending.push(`${kind} ${bytes.toString('hex')}\n`);
          if (pending.length >= 512) flush();
        },
      }
    : {}),
});
flush();
const counters = miniport.counters();
await miniport.close();
process.stdout.write(`${JSON.stringify({ ...report, miniport: counters })}\n`);
process.exit(0);
