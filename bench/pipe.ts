/**
 * A file through `condisctl pipe` as a user sends one: two condisd over TAP
 * devices in a two-host lab (namespaces, a bridge; the lab's configuration,
 * capture file included), a listener `condisctl pipe --listen --recv-only >
 * file` on one, `condisctl pipe ADDRESS < file` on the other, every process
 * compiled. The VC does not carry data reliably: a receiving daemon that
 * cannot keep up loses frames at its TAP, and the listener then exits 1
 * saying how many octets are missing (the caller's tally in its close data).
 * Such a run is counted, not timed; a run whose listener exits 0 must have
 * the whole file.
 *
 * Figures: octets per second from the sender's start to the listener's exit
 * (median of the runs), against the minimal TAP loop on the same TAPs with
 * frames of the pipe's packet size (1400 octets), measured in the same run
 * before the daemons start; each daemon's CPU per MB sent; and the rate again
 * with the daemons' captures written in batches (capture.flush 20ms).
 *
 *   npm run bench -- --only pipe
 *   node dist/bench/pipe.js [MB] [runs]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canDoNetworking } from '../src/common/sh.js';
import { entryArgs } from '../src/common/package-root.js';
import { startLabDaemons, stopLabDaemons, waitForLinks } from '../src/demo/daemons.js';
import { labUp } from '../src/lab/lab.js';
import { uniqueName } from '../src/lab/netns.js';
import { topologyFrom } from '../src/lab/topology.js';
import { openMiniport } from '../src/miniport/index.js';
import type { Miniport } from '../src/miniport/types.js';
import { median } from './ab-table.js';
import type { BenchFigure } from './run.js';
import { frameStream } from './stack.js';

const PACKET = 1400; // condisctl pipe's default --chunk

/** CPU seconds (user + system) a process has used so far */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14, 15), in clock ticks
}

/** condisctl processes still running (a run that fails kills its listener) */
const running = new Set<ChildProcess>();

/** run condisctl with `args`; stdin and stdout are file descriptors (or ignored); resolves at exit, rejects on a non-zero one */
function condisctl(args: string[], stdin: number | 'ignore', stdout: number | 'ignore', onStderr?: (text: string) => void): Promise<void> {
  const p = spawn(process.execPath, [...entryArgs('daemons/condisctl'), ...args], { stdio: [stdin, stdout, 'pipe'] });
  let err = '';
  p.stderr!.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    onStderr?.(err);
  });
  running.add(p);
  p.on('exit', () => running.delete(p));
  return new Promise((resolve, reject) => {
    p.on('error', reject);
    p.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`condisctl ${args.join(' ')}: exit ${code ?? signal}: ${err.trim()}`))));
  });
}

export async function pipeRuns(
  mb: number,
  runs: number,
  captureFlushMs = 0,
): Promise<{ loopMBps: number; pipeMBps: number[]; cpuPerMB: { sender: number[]; receiver: number[] }; lossy: number }> {
  const name = uniqueName('bpipe');
  const lab = await labUp(
    topologyFrom({ name, segment: { kind: 'bridged' }, hosts: [1, 2].map((i) => ({ name: `h${i}`, mac: `02:00:00:00:08:0${i}`, address: `${8000 + i}` })) }, name),
  );
  const dir = mkdtempSync(join(tmpdir(), 'bench-pipe-'));
  try {
    // the baseline: the minimal loop on the TAPs the daemons will use
    const ports: Miniport[] = [];
    let loopFps: number;
    try {
      for (const h of lab.hosts) ports.push(await openMiniport({ kind: 'tap', device: h.tap, netns: h.nsName, mac: h.mac, bridge: h.bridge }));
      await new Promise((r) => setTimeout(r, 300)); // bridge ports forwarding
      await frameStream(ports[0]!, [ports[1]!], 0.3, PACKET);
      loopFps = await frameStream(ports[0]!, [ports[1]!], 2, PACKET);
    } finally {
      await Promise.all(ports.map((p) => p.close()));
    }
    const input = join(dir, 'in.bin');
    const output = join(dir, 'out.bin');
    const octets = Math.round(mb * 1e6);
    const data = randomBytes(octets);
    writeFileSync(input, data);
    const daemons = await startLabDaemons(lab, { logLevel: 'warn', captureFlushMs });
    try {
      const [a, b] = daemons as [(typeof daemons)[0], (typeof daemons)[0]];
      await waitForLinks(a, [lab.hosts[1]!.mac]);
      const called = lab.hosts[1]!.address;
      const result = { pipeMBps: [] as number[], cpuPerMB: { sender: [] as number[], receiver: [] as number[] }, lossy: 0 };
      for (let i = 0; result.pipeMBps.length < runs; i++) {
        if (i > 2 * runs) throw new Error(`bench/pipe: ${result.lossy} of ${i} runs lost data; the machine is too busy to measure`);
        const out = openSync(output, 'w');
        const inp = openSync(input, 'r');
        try {
          let listening!: () => void;
          const ready = new Promise<void>((r) => (listening = r));
          const receiver = condisctl(['--socket', b.socket, 'pipe', '--listen', called, '--recv-only'], 'ignore', out, (s) => s.includes('waiting for a call') && listening());
          await Promise.race([ready, receiver]);
          const cpu0 = [cpuSeconds(a.process.pid), cpuSeconds(b.process.pid)];
          const t0 = performance.now();
          await condisctl(['--socket', a.socket, 'pipe', called], inp, 'ignore');
          const whole = await receiver.then(
            () => true,
            (e: Error) => {
              if (!/ lost \d+ of the \d+ octets/.test(e.message)) throw e;
              return false;
            },
          );
          if (!whole) {
            result.lossy++;
            continue;
          }
          const secs = (performance.now() - t0) / 1000;
          const cpu = [cpuSeconds(a.process.pid) - cpu0[0]!, cpuSeconds(b.process.pid) - cpu0[1]!];
          if (!readFileSync(output).equals(data)) throw new Error(`bench/pipe: run ${i}: the listener exited 0 but the file did not arrive whole`);
          if (i === 0) continue; // warm-up
          result.pipeMBps.push(octets / 1e6 / secs);
          result.cpuPerMB.sender.push((1000 * cpu[0]!) / (octets / 1e6));
          result.cpuPerMB.receiver.push((1000 * cpu[1]!) / (octets / 1e6));
        } finally {
          closeSync(out);
          closeSync(inp);
        }
      }
      return { loopMBps: (loopFps * PACKET) / 1e6, ...result };
    } finally {
      for (const p of running) p.kill('SIGKILL');
      await stopLabDaemons(lab, daemons);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await lab.down();
  }
}

export async function benchPipe(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const net = canDoNetworking();
  if (!net.ok) {
    console.log(`  (pipe figures skipped: ${net.reason})`);
    return [];
  }
  const r = await pipeRuns(opts.quick ? 5 : 20, opts.quick ? 1 : 3);
  // the daemons' captures written in batches of 20 ms (capture.flush) instead of a write per record
  const batched = await pipeRuns(opts.quick ? 5 : 20, opts.quick ? 1 : 3, 20);
  return [
    {
      name: 'a file through condisctl pipe between two condisd over TAP, 1400-octet packets (median)',
      value: median(r.pipeMBps),
      unit: 'MB/s',
      baseline: r.loopMBps,
      baselineName: 'minimal TAP loop, 1400-octet frames, MB/s',
    },
    { name: '  CPU of the sending condisd per MB (median)', value: median(r.cpuPerMB.sender), unit: 'ms' },
    { name: '  CPU of the receiving condisd per MB (median)', value: median(r.cpuPerMB.receiver), unit: 'ms' },
    { name: '  runs the listener found octets missing in (not timed; frames lost at a busy receiver)', value: r.lossy, unit: 'runs' },
    { name: 'the same with the daemons\' capture.flush 20ms (median)', value: median(batched.pipeMBps), unit: 'MB/s', baseline: median(r.pipeMBps), baselineName: 'capture records written one by one, MB/s' },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mb, runs] = process.argv.slice(2).map(Number);
  const r = await pipeRuns(mb || 20, runs || 3);
  console.log(JSON.stringify(r));
}
