/**
 * `npm run fuzz -- --seconds N --seed S`: fuzz a running condisd over real TAP
 * devices for a bounded time, then report.
 *
 * A lab of three namespaces on one bridged segment: `target` and `peer` run
 * condisd; `fuzz` runs scripts/fuzz-worker.ts on its own TAP device, which
 * sends random and mutated frames at every layer to the target and mutated
 * Q.2931 messages over an SSCOP association of its own. Before: the target
 * listens, the peer calls it (the call stays up), RSS is read. After: is the
 * daemon alive, does the call still carry data both ways, do new calls work,
 * what did it drop and why (frames, SSCOP, Q.2931 protocol errors), RSS.
 *
 *   npm run fuzz -- [--seconds 30] [--seed 1] [--rate N] [--message-rate 0..1] [--record] [--keep] [--memory]
 *
 * --memory fuzzes an in-process host over the memory miniport instead (no root,
 * many seeds quickly: --seeds 1-50 --frames 20000).
 * Exit 0 when the daemon survived and calls still work.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { labUp, type Lab } from '../src/lab/lab.js';
import { topologyFrom } from '../src/lab/topology.js';
import { uniqueName } from '../src/lab/netns.js';
import { RunningDaemon, startDaemon, waitForLinks, PROJECT_ROOT } from '../src/demo/daemons.js';
import { connectControl } from '../src/control/client.js';
import { entryArgs } from '../src/common/package-root.js';

interface Args {
  seconds: number;
  seed: number;
  seeds?: [number, number];
  frames: number;
  record: boolean;
  keep: boolean;
  memory: boolean;
  rate?: number;
  messageRate?: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seconds: 30, seed: 1, frames: 20000, record: false, keep: false, memory: false };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) die(`${x} needs a number`);
      return v;
    };
    if (x === '--seconds') a.seconds = num();
    else if (x === '--seed') a.seed = num();
    else if (x === '--frames') a.frames = num();
    else if (x === '--rate') a.rate = num();
    else if (x === '--message-rate') a.messageRate = num();
    else if (x === '--seeds') {
      const m = /^(\d+)-(\d+)$/.exec(argv[++i] ?? '');
      if (!m) die('--seeds FROM-TO');
      a.seeds = [Number(m![1]), Number(m![2])];
    } else if (x === '--record') a.record = true;
    else if (x === '--keep') a.keep = true;
    else if (x === '--memory') a.memory = true;
    else if (x === '--help' || x === '-h') {
      console.log('usage: npm run fuzz -- [--seconds N] [--seed S] [--rate N] [--message-rate P] [--record] [--keep] | --memory [--seeds A-B] [--frames N]');
      process.exit(0);
    } else die(`unknown argument ${x} (try --help)`);
  }
  return a;
}

function die(msg: string): never {
  console.error(`fuzz: ${msg}`);
  process.exit(2);
}

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function dropsOf(c: Record<string, Record<string, number>>): { frames: Record<string, number>; sscop: Record<string, number>; uni: Record<string, number> } {
  const pick = (o: Record<string, number> | undefined, prefix: string) =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([k, v]) => k.startsWith(prefix) && v > 0).map(([k, v]) => [k.slice(prefix.length), v]));
  return { frames: pick(c.frames, 'drops.'), sscop: pick(c.sscop, 'drops.'), uni: pick(c.uni, 'protocolErrors.') };
}

async function labRun(args: Args): Promise<number> {
  if (process.getuid?.() !== 0) die('the lab needs root (namespaces, TAP devices); --memory runs without');
  const name = uniqueName('fz');
  const topology = topologyFrom(
    {
      name,
      segment: { kind: 'bridged' },
      hosts: [
        { name: 'target', mac: '02:00:00:00:0f:01', address: '4001' },
        { name: 'peer', mac: '02:00:00:00:0f:02', address: '4002' },
        { name: 'fuzz', mac: '02:00:00:00:0f:03', address: '4003' },
      ],
    },
    name,
  );
  let lab: Lab | undefined;
  const daemons: RunningDaemon[] = [];
  const cleanup = async () => {
    for (const d of daemons) if (d.alive()) await d.stop('SIGTERM', 5000).catch(() => false);
    if (lab && !args.keep) await lab.down();
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    lab = await labUp(topology);
    const opts = { timers: { sscop: { keepAlive: '500ms', idle: '1s', noResponse: '3s' } }, logLevel: 'warn' };
    const [target, peer] = await Promise.all([startDaemon(lab, 'target', opts), startDaemon(lab, 'peer', opts)]);
    daemons.push(target!, peer!);
    await waitForLinks(target!, [lab.host('peer').mac]);
    await target!.control.registerSap({ address: '4001', policy: 'accept' });
    await peer!.control.registerSap({ address: '4002', policy: 'accept' });
    const inc = target!.next('incoming-call');
    const call = (await peer!.control.makeCall({ called: '4001' })) as { vc: number };
    const targetVc = (await inc).vc;
    await target!.seen('call-connected', (e) => e.vc === targetVc);
    const rssBefore = rssKb(target!.process.pid);
    console.log(`lab ${name} up; call peer -> target on VC ${call.vc} (target VC ${targetVc}); target condisd pid ${target!.process.pid}, RSS ${mb(rssBefore)}`);

    const fz = lab.host('fuzz');
    const record = args.record ? join(fz.runDir, 'inputs.txt') : undefined;
    console.log(`fuzzing ${lab.host('target').mac} for ${args.seconds} s with seed ${args.seed}${record ? ` (inputs in ${record})` : ''}`);
    const proc = lab.spawn(
      'fuzz',
      process.execPath,
      [
        ...entryArgs('scripts/fuzz-worker'),
        '--device', fz.tap, '--bridge', fz.bridge!, '--mac', fz.mac, '--target', lab.host('target').mac,
        '--seed', String(args.seed), '--seconds', String(args.seconds), '--addresses', '4001,4002,4003',
        ...(record ? ['--record', record] : []),
        ...(args.rate ? ['--rate', String(args.rate)] : []),
        ...(args.messageRate !== undefined ? ['--message-rate', String(args.messageRate)] : []),
      ],
      { name: 'fuzzer', cwd: PROJECT_ROOT },
    );
    let peakRss = rssBefore;
    const deadline = Date.now() + args.seconds * 1000 + 60_000;
    for (;;) {
      let alive = true;
      try {
        process.kill(proc.pid, 0);
      } catch {
        alive = false;
      }
      if (target!.alive()) peakRss = Math.max(peakRss, rssKb(target!.process.pid));
      if (!alive || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const log = existsSync(proc.logFile) ? readFileSync(proc.logFile, 'utf8') : '';
    const line = log.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`the fuzzer did not report; its log:\n${log.slice(-2000)}`);
    const report = JSON.parse(line) as { frames: number; messages: number; ms: number; byLayer: Record<string, number>; associations: number; framesPerSecond: number };

    const alive = target!.alive();
    console.log(`\nfuzzer: ${report.frames} frames + ${report.messages} Q.2931 messages in ${(report.ms / 1000).toFixed(1)} s = ${report.framesPerSecond}/s; its SSCOP association came up ${report.associations} time(s)`);
    console.log(`  frames by layer: ${JSON.stringify(report.byLayer)}`);
    console.log(`target condisd: ${alive ? 'alive' : 'DEAD'}`);
    if (!alive) {
      console.log(target!.logTail(40));
      return 1;
    }
    // let the aftermath settle (the fuzzer's association times out, forged peers fail)
    await new Promise((r) => setTimeout(r, 4000));
    // a fresh control connection: the test's own may have been closed for not keeping up with the event storm
    const ctl = await connectControl(target!.socket, { helloTimeoutMs: 10_000 });
    const tgt = new RunningDaemon('target', lab, target!.process, target!.configFile, target!.socket, target!.capture, ctl, await ctl.subscribe({}));
    if (target!.control.isClosed) console.log('  (the first control connection was closed by the daemon during the fuzz: see its log)');
    const counters = (await ctl.counters()) as Record<string, Record<string, number>>;
    const drops = dropsOf(counters);
    console.log(`  frames dropped by reason: ${JSON.stringify(drops.frames)}`);
    console.log(`  SSCOP PDUs dropped by reason: ${JSON.stringify(drops.sscop)}`);
    console.log(`  Q.2931 protocol errors by cause: ${JSON.stringify(drops.uni)}`);
    console.log(`  frames in ${counters.frames?.framesIn}, miniport rx ${counters.miniport?.rxFrames}; uni calls ${counters.uni?.calls}, ndis vcs ${counters.ndis?.vcs}`);

    // the call still works both ways, and new calls do
    let ok1 = false;
    try {
      const fwd = tgt.next('receive', (e) => e.vc === targetVc, 10_000);
      await peer!.control.send({ vc: call.vc, data: 'after the fuzz: forward' });
      const f = await fwd;
      const back = peer!.next('receive', (e) => e.vc === call.vc, 10_000);
      await tgt.control.send({ vc: targetVc, data: 'after the fuzz: backward' });
      const b = await back;
      ok1 = f.data.toString() === 'after the fuzz: forward' && b.data.toString() === 'after the fuzz: backward';
    } catch (e) {
      console.log(`  the established call is gone: ${(e as Error).message}`);
      const lines = readFileSync(target!.process.logFile, 'utf8').split('\n').filter((l) => /link down|overrun|released|does not read/.test(l));
      for (const l of lines.slice(0, 8)) console.log(`  log: ${l.slice(0, 300)}`);
    }
    const inc2 = peer!.next('incoming-call', () => true, 10_000);
    const c2 = (await tgt.control.makeCall({ called: '4002' })) as { vc: number };
    await inc2;
    await tgt.control.closeCall({ vc: c2.vc, closeData: 'bye' });
    await peer!.control.closeCall({ vc: call.vc }).catch(() => undefined);
    const rssAfter = rssKb(target!.process.pid);
    ctl.close();
    console.log(`\nestablished call after the fuzz: ${ok1 ? 'data both ways ok' : 'BROKEN'}; new call target -> peer: ok`);
    console.log(`target RSS: before ${mb(rssBefore)}, peak ${mb(peakRss)}, after ${mb(rssAfter)}`);
    return ok1 ? 0 : 1;
  } finally {
    await cleanup();
  }
}

async function memoryRun(args: Args): Promise<number> {
  const { config } = await import('rxjs');
  const { memoryNodes, linksUp, Client, shutdownAll } = await import('../test/helpers/nodes.js');
  const { openMemorySync } = await import('../src/miniport/index.js');
  const { runFuzz } = await import('../src/fuzz/peer.js');
  const [from, to] = args.seeds ?? [args.seed, args.seed];
  let failed = 0;
  const errors: unknown[] = [];
  config.onUnhandledError = (e) => errors.push(e);
  for (let seed = from; seed <= to; seed++) {
    const nodes = memoryNodes(2, { limits: { calls: 64, partiesPerCall: 8, peers: 16 } });
    const port = openMemorySync({ kind: 'memory', hub: nodes[0]!.miniport.name.replace(/^memory:/, ''), mac: '02:00:00:00:00:f0', promiscuous: true });
    await linksUp(nodes);
    const a = await Client.open(nodes[0]!, 'a');
    const b = await Client.open(nodes[1]!, 'b');
    await b.listen('1002');
    const { vc } = await a.call('1002');
    const heap0 = process.memoryUsage().heapUsed;
    const report = await runFuzz({ miniport: port, target: nodes[1]!.mac, seed, frames: args.frames, addresses: ['1001', '1002'], sscop: { timerCC: 200, timerPoll: 100, timerKeepAlive: 200, timerNoResponse: 1500 } });
    const got = b.next('ProtocolCoReceiveNetBufferLists', () => true, 5000);
    a.send(vc, Buffer.from('still there?'));
    const ok = await got.then(() => true, () => false);
    const heap1 = process.memoryUsage().heapUsed;
    console.log(`seed ${seed}: ${report.frames + report.messages} inputs at ${report.framesPerSecond}/s, ${errors.length} error(s), call ${ok ? 'ok' : 'BROKEN'}, heap ${((heap1 - heap0) / 1e6).toFixed(1)} MB, drops ${JSON.stringify(nodes[1]!.counters().drops)}`);
    if (!ok || errors.length) {
      failed++;
      for (const e of errors.splice(0)) console.log(`  ${(e as Error)?.stack ?? String(e)}`);
    }
    await shutdownAll(nodes);
    await port.close();
  }
  return failed ? 1 : 0;
}

const args = parseArgs(process.argv.slice(2));
process.exit(args.memory ? await memoryRun(args) : await labRun(args));
