/**
 * `npm run demo`: the main job. A lab of four hosts in network namespaces (a
 * root and three leaves, each with condisd on a TAP device bridged onto one
 * segment, as four VMs would be) plays a point-to-multipoint scenario with
 * printed steps, checks every step, verifies the captures with tshark, draws
 * the signalling as a ladder diagram, and tears everything down, also when
 * interrupted. Exit 0 only if every check passed.
 *
 *   npm run demo [-- --keep] [-- --out DIR] [-- --cm cm|mcm] [-- --completion sync|pending]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { labUp, type Lab } from '../src/lab/lab.js';
import { topologyFrom } from '../src/lab/topology.js';
import { startDaemon, waitForLinks, PROJECT_ROOT, type RunningDaemon } from '../src/demo/daemons.js';
import { checkCaptures, type CaptureExpectations, type CaptureReport } from '../src/demo/captures.js';
import { eventsFromCapture, renderLadderHtml, renderLadderText } from '../src/capture/ladder.js';

interface Args {
  out: string;
  /** lab name (namespaces and run directory are named after it) */
  name: string;
  keep: boolean;
  shape: 'cm' | 'mcm';
  completion: 'sync' | 'pending';
  color: boolean;
}

function parseArgs(argv: string[]): Args {
  const choice = (name: string, allowed: string[]) => (v: string) => {
    if (!allowed.includes(v)) throw new InvalidArgumentError(`expected ${allowed.join(' or ')}, got '${v}'.`);
    return v;
  };
  const program = new Command('demo')
    .usage('[options]   (npm run demo -- [options])')
    .description(
      'The main job: four hosts in network namespaces (a root and three leaves, condisd on a TAP device bridged onto one segment in each) play a ' +
        'point-to-multipoint scenario with close data; every step is checked, the captures are verified with tshark, the signalling is drawn as a ' +
        'ladder diagram, and everything is torn down (also when interrupted). Exit 0 only if every check passed. Needs root.',
    )
    .option('--out <dir>', 'where the ladder, captures and logs go', 'demo-output')
    .option('--name <lab>', 'lab name (namespaces clab.LAB.*): lower-case letters, digits and -, at most 16, starting with a letter', (v: string) => {
      if (!/^[a-z][a-z0-9-]{0,15}$/.test(v)) throw new InvalidArgumentError(`lower-case letters, digits and -, at most 16, starting with a letter (got '${v}').`);
      return v;
    }, 'condis-demo')
    .option('--keep', 'leave the lab and its daemons running at the end (take it down with: npm run lab -- down LAB)')
    .option('--cm <shape>', 'call manager shape: mcm (integrated miniport call manager) or cm (stand-alone)', choice('cm', ['cm', 'mcm']), 'mcm')
    .option('--completion <mode>', 'request completion: pending (as real call managers) or sync', choice('completion', ['sync', 'pending']), 'pending')
    .option('--no-color', 'no ANSI colours (default: colours when the output is a terminal)')
    .addHelpText('after', '\nExamples:\n  $ npm run demo\n  $ npm run demo -- --keep --out /tmp/demo\n  $ npm run demo -- --cm cm --completion sync\n')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'demo: ')) })
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ out: string; name: string; keep?: boolean; cm: 'cm' | 'mcm'; completion: 'sync' | 'pending'; color: boolean }>();
  return { out: resolve(o.out), name: o.name, keep: !!o.keep, shape: o.cm, completion: o.completion, color: o.color && (process.stdout.isTTY ?? false) };
}

function fail(msg: string): never {
  console.error(`demo: ${msg}`);
  process.exit(2);
}

class CheckFailed extends Error {}

function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new CheckFailed(what);
}

const args = parseArgs(process.argv.slice(2));
const bold = (s: string) => (args.color ? `\x1b[1m${s}\x1b[0m` : s);
const green = (s: string) => (args.color ? `\x1b[32m${s}\x1b[0m` : s);
const red = (s: string) => (args.color ? `\x1b[31m${s}\x1b[0m` : s);
const dim = (s: string) => (args.color ? `\x1b[2m${s}\x1b[0m` : s);

if (process.getuid?.() !== 0) fail('the demo builds network namespaces and TAP devices: run it as root');

const topology = topologyFrom(
  {
    name: args.name,
    description: 'root + leaf1..3 on one bridged segment',
    segment: { kind: 'bridged' },
    hosts: [
      { name: 'root', mac: '02:00:00:00:01:01', address: '1001' },
      { name: 'leaf1', mac: '02:00:00:00:01:02', address: '1002' },
      { name: 'leaf2', mac: '02:00:00:00:01:03', address: '1003' },
      { name: 'leaf3', mac: '02:00:00:00:01:04', address: '1004' },
    ],
  },
  args.name,
);

let lab: Lab | undefined;
let bridgeCapture: ChildProcess | undefined;
const daemons = new Map<string, RunningDaemon>();
let teardownDone: Promise<void> | undefined;
let interruptedBy: string | undefined;

/** stop everything the demo started; every caller waits for the one teardown */
function teardown(): Promise<void> {
  // each part runs even when an earlier one failed; a failure is reported, never thrown
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      console.error(red(`teardown: ${what}: ${(e as Error).message}`));
    }
  };
  teardownDone ??= (async () => {
    await attempt('stopping condisd', () => Promise.all([...daemons.values()].map((dmn) => (dmn.alive() ? dmn.stop('SIGTERM', 5000) : true))));
    await attempt('stopping the segment capture', async () => {
      if (!bridgeCapture || bridgeCapture.exitCode !== null) return;
      bridgeCapture.kill('SIGINT');
      await new Promise((r) => {
        bridgeCapture!.once('exit', r);
        setTimeout(r, 3000);
      });
    });
    if (lab && !args.keep) {
      const l = lab;
      await attempt('removing the lab', () => l.down());
    }
  })();
  return teardownDone;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (interruptedBy) return;
    interruptedBy = sig;
    console.log(`\n${red(`interrupted (${sig})`)}: tearing the lab down`);
    void teardown().then(() => process.exit(130));
  });
}

let stepNo = 0;
const results: { title: string; ok: boolean; detail?: string }[] = [];

async function step(title: string, run: () => Promise<string | void>): Promise<void> {
  stepNo++;
  const label = `[${String(stepNo).padStart(2)}] ${title}`;
  process.stdout.write(`${label}\n`);
  const t0 = Date.now();
  try {
    const detail = await run();
    const ms = Date.now() - t0;
    results.push({ title, ok: true, ...(detail ? { detail } : {}) });
    if (detail) for (const line of detail.split('\n')) process.stdout.write(`     ${dim(line)}\n`);
    process.stdout.write(`     ${green('ok')} ${dim(`(${ms} ms)`)}\n`);
  } catch (e) {
    results.push({ title, ok: false, detail: (e as Error).message });
    process.stdout.write(`     ${red('FAILED')}: ${(e as Error).message}\n`);
    throw e;
  }
}

function d(host: string): RunningDaemon {
  return daemons.get(host)!;
}

const show = (b: Buffer | undefined) => (b ? `"${b.toString('utf8')}"` : '(none)');

async function main(): Promise<number> {
  console.log(bold('condis-tap demo: CoNDIS point-to-multipoint calls over Q.2931/Q.2971 + SSCOP on TAP devices'));
  console.log(dim(`call manager: ${args.shape}, completion: ${args.completion}; output: ${args.out}\n`));
  rmSync(args.out, { recursive: true, force: true });
  mkdirSync(args.out, { recursive: true });
  const ethCapture = join(args.out, 'segment-ethernet.pcap');

  await step('build the lab: 4 network namespaces bridged onto one segment (root, leaf1, leaf2, leaf3)', async () => {
    lab = await labUp(topology);
    // capture the Ethernet segment itself, as tcpdump on the VMs' bridge would
    const [cmd, cargs] = lab.switchNs.spawnArgs('tshark', ['-q', '-i', 'seg0', '-f', 'ether proto 0x88b5', '-w', ethCapture]);
    bridgeCapture = spawn(cmd, cargs, { stdio: ['ignore', 'ignore', 'pipe'] });
    const started = Date.now();
    while (!existsSync(ethCapture) && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
    check(existsSync(ethCapture), 'tshark did not start capturing on the segment bridge');
    return lab.hosts.map((h) => `${h.name.padEnd(6)} ns ${h.nsName}  mac ${h.mac}  ATM address ${h.address}`).join('\n');
  });

  await step('start condisd on each host (tap0 created and enslaved to br0) and wait for SSCOP links', async () => {
    const started = await Promise.all(
      lab!.hosts.map((h) =>
        startDaemon(lab!, h.name, {
          callManager: { shape: args.shape, completion: args.completion },
          discoveryIntervalMs: 1000,
          // quick failure detection for the killed-daemon step: IDLE 1 s, then NO-RESPONSE 2 s
          timers: { sscop: { keepAlive: '500ms', idle: '1s', noResponse: '2s' } },
        }),
      ),
    );
    for (const dmn of started) daemons.set(dmn.host, dmn);
    const root = lab!.host('root');
    await waitForLinks(d('root'), lab!.hosts.filter((h) => h !== root).map((h) => h.mac));
    const links = (await d('root').control.links()) as { peer: string; side: string; state: string; name?: string }[];
    return links.map((l) => `root -> ${l.name ?? l.peer}: ${l.state}, root is the ${l.side} side`).join('\n');
  });

  await step('the leaves register SAPs on their own addresses (NdisClRegisterSap) and accept calls', async () => {
    for (const leaf of ['leaf1', 'leaf2', 'leaf3']) await d(leaf).control.registerSap({ address: lab!.host(leaf).address, policy: 'accept' });
    return 'leaf1: 1002, leaf2: 1003, leaf3: 1004';
  });

  let vc = 0;
  const parties = new Map<string, number>();
  const leafVc = new Map<string, number>();

  await step('root makes a multipoint call to leaf1 (NdisClMakeCall with a party context)', async () => {
    const inc = d('leaf1').next('incoming-call');
    const r = (await d('root').control.makeCall({ called: '1002', multipoint: true })) as { vc: number; parties?: { party: number }[]; party?: number };
    vc = r.vc;
    const party = r.party ?? r.parties?.[0]?.party;
    check(party !== undefined, 'make call returned no party handle for the first party');
    parties.set('leaf1', party);
    const e = await inc;
    leafVc.set('leaf1', e.vc);
    check(e.called === '1002', `leaf1 was offered a call for ${e.called}`);
    await d('leaf1').seen('call-connected', (c) => c.vc === e.vc);
    return `root VC ${vc}, party ${party}; leaf1 sees an ordinary incoming call on its VC ${e.vc} and is connected`;
  });

  for (const leaf of ['leaf2', 'leaf3']) {
    await step(`root adds ${leaf} (NdisClAddParty)`, async () => {
      const inc = d(leaf).next('incoming-call');
      const r = (await d('root').control.addParty({ vc, address: lab!.host(leaf).address })) as { party: number };
      parties.set(leaf, r.party);
      const e = await inc;
      leafVc.set(leaf, e.vc);
      await d(leaf).seen('call-connected', (c) => c.vc === e.vc);
      return `party ${r.party}; ${leaf} connected on its VC ${e.vc}`;
    });
  }

  await step('root sends data on the multipoint VC: it reaches all three leaves', async () => {
    const waits = ['leaf1', 'leaf2', 'leaf3'].map((l) => d(l).next('receive', (e) => e.vc === leafVc.get(l)));
    await d('root').control.send({ vc, data: 'hello, leaves' });
    const got = await Promise.all(waits);
    for (const g of got) check(g.data.toString() === 'hello, leaves', `a leaf received ${JSON.stringify(g.data.toString())}`);
    return got.map((g, i) => `leaf${i + 1} received "${g.data.toString()}"`).join('\n');
  });

  await step('leaf3 leaves (NdisClCloseCall on its VC): root sees an incoming drop party and drops it', async () => {
    const idp = d('root').next('incoming-drop-party', (e) => e.party === parties.get('leaf3'));
    const dropped = d('root').next('drop-party-complete', (e) => e.party === parties.get('leaf3'));
    await d('leaf3').control.closeCall({ vc: leafVc.get('leaf3')! });
    const e = await idp;
    check(e.status.name === 'SUCCESS', `incoming drop party status ${e.status.name}`);
    const c = await dropped;
    check(c.status.name === 'SUCCESS', `root's answering drop completed with ${c.status.name}`);
    return `root: ProtocolClIncomingDropParty(party ${e.party}, ${e.status.name}); the policy answered with NdisClDropParty -> ${c.status.name}`;
  });

  const dropData = 'leaf2: thanks for joining, goodbye';
  await step('root drops leaf2 with close data (NdisClDropParty): leaf2 receives the close data', async () => {
    const ic = d('leaf2').next('incoming-close-call', (e) => e.vc === leafVc.get('leaf2'));
    await d('root').control.dropParty({ vc, party: parties.get('leaf2')!, closeData: dropData });
    const e = await ic;
    check(e.closeData?.toString() === dropData, `leaf2 got close data ${show(e.closeData)}`);
    return `leaf2: ProtocolClIncomingCloseCall(${e.status.name}, close data ${show(e.closeData)})`;
  });

  const closeData = 'leaf1: the call is over';
  await step('root closes the call naming leaf1, its last party, with close data (NdisClCloseCall)', async () => {
    const ic = d('leaf1').next('incoming-close-call', (e) => e.vc === leafVc.get('leaf1'));
    await d('root').control.closeCall({ vc, party: parties.get('leaf1')!, closeData });
    const e = await ic;
    check(e.closeData?.toString() === closeData, `leaf1 got close data ${show(e.closeData)}`);
    return `leaf1: ProtocolClIncomingCloseCall(${e.status.name}, close data ${show(e.closeData)})`;
  });

  await step('a point-to-point call root -> leaf1 that leaf1 closes: root sees an incoming close (SUCCESS)', async () => {
    const inc = d('leaf1').next('incoming-call');
    const r = (await d('root').control.makeCall({ called: '1002' })) as { vc: number };
    const e = await inc;
    await d('leaf1').seen('call-connected', (c) => c.vc === e.vc);
    const ic = d('root').next('incoming-close-call', (x) => x.vc === r.vc);
    await d('leaf1').control.closeCall({ vc: e.vc, closeData: 'leaf1 hangs up' });
    const got = await ic;
    check(got.status.name === 'SUCCESS', `root's incoming close status ${got.status.name}`);
    check(got.closeData?.toString() === 'leaf1 hangs up', `root got close data ${show(got.closeData)}`);
    return `root: ProtocolClIncomingCloseCall(${got.status.name}, close data ${show(got.closeData)}); the policy closed its side`;
  });

  await step('a point-to-point call root -> leaf2, then leaf2\'s condisd is killed (SIGKILL)', async () => {
    const inc = d('leaf2').next('incoming-call');
    const r = (await d('root').control.makeCall({ called: '1003' })) as { vc: number };
    const offered = await inc;
    await d('leaf2').seen('call-connected', (c) => c.vc === offered.vc);
    const ic = d('root').next('incoming-close-call', (x) => x.vc === r.vc, 30_000);
    const deleted = d('root').seen('vc-state', (x) => x.vc === r.vc && x.state === 'DELETED', 30_000);
    const t0 = Date.now();
    check(await d('leaf2').stop('SIGKILL', 5000), 'leaf2 did not die');
    const got = await ic;
    check(got.status.name !== 'SUCCESS', 'the incoming close after a dead peer must carry a failure status');
    await deleted;
    const vcs = (await d('root').control.vcs()) as { vc: number }[];
    check(!vcs.some((v) => v.vc === r.vc), 'root still has the VC of the dead call');
    return `root noticed after ${((Date.now() - t0) / 1000).toFixed(1)} s: ProtocolClIncomingCloseCall(${got.status.name}); the policy closed and deleted VC ${r.vc} (NdisCoDeleteVc)`;
  });

  await step('nothing is left: no VCs, parties or calls on the surviving hosts', async () => {
    const lines: string[] = [];
    for (const h of ['root', 'leaf1', 'leaf3']) {
      let c: Record<string, Record<string, number>> = {};
      for (let i = 0; i < 60; i++) {
        c = (await d(h).control.counters()) as typeof c;
        if (c.ndis!.vcs === 0 && c.ndis!.parties === 0 && c.uni!.calls === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      check(c.ndis!.vcs === 0 && c.ndis!.parties === 0 && c.uni!.calls === 0, `${h}: vcs ${c.ndis!.vcs}, parties ${c.ndis!.parties}, calls ${c.uni!.calls}`);
      const drops = Object.entries(c.frames ?? {}).filter(([k]) => k.startsWith('drops.'));
      lines.push(`${h}: vcs 0, parties 0, UNI calls 0, frames dropped ${JSON.stringify(Object.fromEntries(drops))}`);
    }
    return lines.join('\n');
  });

  await step('stop the daemons (SIGTERM): calls released, SSCOP ended, TAPs released', async () => {
    const stopped = await Promise.all(['root', 'leaf1', 'leaf3'].map(async (h) => [h, await d(h).stop('SIGTERM', 10_000)] as const));
    for (const [h, ok] of stopped) check(ok, `${h}'s condisd did not exit on SIGTERM`);
    bridgeCapture?.kill('SIGINT');
    await new Promise((r) => {
      if (!bridgeCapture || bridgeCapture.exitCode !== null) return r(undefined);
      bridgeCapture.once('exit', r);
      setTimeout(r, 5000);
    });
    for (const h of lab!.hosts) {
      const src = join(h.runDir, 'condisd.pcap');
      if (existsSync(src)) copyFileSync(src, join(args.out, `${h.name}-sunatm.pcap`));
    }
    return `captures: ${lab!.hosts.map((h) => `${h.name}-sunatm.pcap`).join(', ')}, segment-ethernet.pcap (${statSync(ethCapture).size} octets)`;
  });

  let report: CaptureReport | undefined;
  await step('check the captures with tshark: exact message sequence, nothing malformed', async () => {
    report = await checkCaptures(args.out, lab!.hosts.map((h) => ({ name: h.name, mac: h.mac })), expectedSignalling(dropData, closeData));
    for (const p of report.problems) console.log(`     ${red('problem')}: ${p}`);
    check(report.problems.length === 0, `${report.problems.length} problem(s) in the captures`);
    return report.summary.join('\n');
  });

  await step('draw the signalling as a ladder diagram', async () => {
    const hosts = lab!.hosts.map((h) => ({ name: h.name, mac: h.mac }));
    const events = await eventsFromCapture(ethCapture, { hosts, sscop: true });
    const text = renderLadderText(events, { hosts: hosts.map((h) => h.name), color: args.color, width: 110 });
    writeFileSync(join(args.out, 'ladder.txt'), renderLadderText(events, { hosts: hosts.map((h) => h.name), width: 110 }));
    writeFileSync(join(args.out, 'ladder.html'), renderLadderHtml(events, { title: 'condis-tap demo: signalling on the segment', hosts: hosts.map((h) => h.name) }));
    console.log(text);
    return `${events.length} signalling messages drawn`;
  });

  return 0;
}

/**
 * What the wire must show. Each leaf sits behind its own link, so the root's
 * host fans the multipoint call out as one Q.2931 call per link (as a network
 * would): parties join by SETUP and leave by RELEASE on their link, with the
 * close data in the RELEASE's User-user IE. (ADD PARTY / DROP PARTY appear
 * when parties share a link; the UNI tests cover those.)
 */
function expectedSignalling(dropData: string, closeData: string): CaptureExpectations {
  const setup = (leaf: string) => [`SETUP root>${leaf}`, `CONNECT ${leaf}>root`, `CONNECT ACKNOWLEDGE root>${leaf}`];
  const sunSetup = ['tx SETUP', 'rx CONNECT', 'tx CONNECT ACKNOWLEDGE'];
  return {
    links: {
      'root-leaf1': [...setup('leaf1'), `RELEASE root>leaf1 uu='${closeData}'`, 'RELEASE COMPLETE leaf1>root', ...setup('leaf1'), "RELEASE leaf1>root uu='leaf1 hangs up'", 'RELEASE COMPLETE root>leaf1'],
      'root-leaf2': [...setup('leaf2'), `RELEASE root>leaf2 uu='${dropData}'`, 'RELEASE COMPLETE leaf2>root', ...setup('leaf2')],
      'root-leaf3': [...setup('leaf3'), 'RELEASE leaf3>root', 'RELEASE COMPLETE root>leaf3'],
    },
    sunatm: {
      root: [
        ...sunSetup, ...sunSetup, ...sunSetup, // leaf1 by make call, leaf2 and leaf3 by add party
        'rx RELEASE', 'tx RELEASE COMPLETE', // leaf3 leaves
        'tx RELEASE', 'rx RELEASE COMPLETE', // root drops leaf2 (close data)
        'tx RELEASE', 'rx RELEASE COMPLETE', // root closes naming leaf1 (close data)
        ...sunSetup, 'rx RELEASE', 'tx RELEASE COMPLETE', // leaf1 closes the point-to-point call
        ...sunSetup, // leaf2 is killed: nothing more on the wire
      ],
      leaf1: ['rx SETUP', 'tx CONNECT', 'rx CONNECT ACKNOWLEDGE', 'rx RELEASE', 'tx RELEASE COMPLETE', 'rx SETUP', 'tx CONNECT', 'rx CONNECT ACKNOWLEDGE', 'tx RELEASE', 'rx RELEASE COMPLETE'],
      leaf2: ['rx SETUP', 'tx CONNECT', 'rx CONNECT ACKNOWLEDGE', 'rx RELEASE', 'tx RELEASE COMPLETE', 'rx SETUP', 'tx CONNECT', 'rx CONNECT ACKNOWLEDGE'],
      leaf3: ['rx SETUP', 'tx CONNECT', 'rx CONNECT ACKNOWLEDGE', 'tx RELEASE', 'rx RELEASE COMPLETE'],
    },
  };
}

let code = 1;
try {
  code = await main();
} catch (e) {
  if (interruptedBy) {
    await teardown();
    process.exit(130);
  }
  if (!(e instanceof CheckFailed)) console.error(red(`demo error: ${(e as Error).stack ?? e}`));
  for (const dmn of daemons.values()) {
    const tail = dmn.logTail(12);
    if (tail) console.error(dim(`--- ${dmn.host} condisd log (last lines) ---\n${tail}`));
  }
  code = 1;
} finally {
  await teardown();
}
if (interruptedBy) process.exit(130);
const passed = results.filter((r) => r.ok).length;
if (existsSync(args.out)) writeFileSync(join(args.out, 'summary.json'), JSON.stringify({ passed: code === 0, steps: results }, null, 2));
console.log(`\n${code === 0 ? green(bold('demo passed')) : red(bold('demo FAILED'))}: ${passed} of ${results.length} steps checked out${code === 0 ? '' : ''}`);
if (code === 0) {
  console.log(`
outputs in ${args.out}:
  ladder.html              the signalling as a ladder diagram: open it in a browser
  ladder.txt               the same in text
  segment-ethernet.pcap    the Ethernet segment; open in Wireshark with the condis dissector:
                           wireshark -X lua_script:${join(PROJECT_ROOT, 'wireshark', 'condis.lua')} ${join(args.out, 'segment-ethernet.pcap')}
  <host>-sunatm.pcap       each daemon's ATM layer; stock Wireshark decodes it (atm > sscop > q2931)
${args.keep ? `lab kept up: npm run lab -- status ${args.name} / npm run lab -- down ${args.name}\n` : ''}`);
}
process.exit(code);
