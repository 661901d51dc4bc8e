/**
 * `npm run demo`: the main job. A lab in network namespaces, an ATM network:
 * a root and three leaves, each with condisd on a TAP device, each on a port
 * of a signalling ATM switch (condisd with role switch, in a namespace of its
 * own), as five VMs would be. leaf2 holds two ATM addresses, so two parties
 * of the root's call share its link. It plays a point-to-multipoint scenario
 * with printed steps, checks every step, verifies the captures with tshark
 * (each port's Ethernet segment, each daemon's own capture, the switch's),
 * draws the signalling as a ladder diagram with the switch as a column, and
 * tears everything down, also when interrupted. Exit 0 only if every check
 * passed.
 *
 * `--direct`: the switchless form, every host on one bridged segment (two or
 * more VMs back to back): the root's host fans the call out itself.
 *
 *   npm run demo [-- --direct] [-- --keep] [-- --out DIR] [-- --cm cm|mcm] [-- --completion sync|pending]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { labUp, type Lab } from '../src/lab/lab.js';
import type { Netns } from '../src/lab/netns.js';
import { topologyFrom } from '../src/lab/topology.js';
import { neighbourMacs, startDaemon, waitForLinks, PROJECT_ROOT, type RunningDaemon } from '../src/demo/daemons.js';
import { checkCaptures, type CaptureExpectations, type CaptureReport } from '../src/demo/captures.js';
import { expectedDirect, expectedThroughSwitch } from '../src/demo/expected.js';
import { eventsFromCapture, renderLadderHtml, renderLadderText } from '../src/capture/ladder.js';

interface Args {
  out: string;
  /** lab name (namespaces and run directory are named after it) */
  name: string;
  keep: boolean;
  shape: 'cm' | 'mcm';
  completion: 'sync' | 'pending';
  color: boolean;
  /** no switch: every host on one segment */
  direct: boolean;
}

/** `npm run demo` goes through the switch unless told --direct (`--switch` says so explicitly) */
const SWITCH_BY_DEFAULT = true;

function parseArgs(argv: string[]): Args {
  const choice = (name: string, allowed: string[]) => (v: string) => {
    if (!allowed.includes(v)) throw new InvalidArgumentError(`expected ${allowed.join(' or ')}, got '${v}'.`);
    return v;
  };
  const program = new Command('demo')
    .usage('[options]   (npm run demo -- [options])')
    .description(
      'The main job: a root and three leaves in network namespaces, condisd on a TAP device in each, each on a port of a signalling ATM switch ' +
        '(condisd with role switch; leaf2 holds two addresses, two parties on one link), play a point-to-multipoint scenario with close data: ' +
        'SETUP, ADD PARTY, DROP PARTY and RELEASE with close data cross real wires. Every step is checked, the captures are verified with tshark, ' +
        'the signalling is drawn as a ladder diagram, and everything is torn down (also when interrupted). With --direct the hosts share one ' +
        'segment and no switch. Exit 0 only if every check passed. Needs root.',
    )
    .option('--out <dir>', 'where the ladder, captures and logs go', 'demo-output')
    .option('--name <lab>', 'lab name (namespaces clab.LAB.*): lower-case letters, digits and -, at most 16, starting with a letter', (v: string) => {
      if (!/^[a-z][a-z0-9-]{0,15}$/.test(v)) throw new InvalidArgumentError(`lower-case letters, digits and -, at most 16, starting with a letter (got '${v}').`);
      return v;
    }, 'condis-demo')
    .option('--keep', 'leave the lab and its daemons running at the end (take it down with: npm run lab -- down LAB)')
    .option('--cm <shape>', 'call manager shape: mcm (integrated miniport call manager) or cm (stand-alone)', choice('cm', ['cm', 'mcm']), 'mcm')
    .option('--completion <mode>', 'request completion: pending (as real call managers) or sync', choice('completion', ['sync', 'pending']), 'pending')
    .option('--direct', `no switch: every host on one bridged segment (two VMs back to back); the root fans the call out per leaf link${SWITCH_BY_DEFAULT ? '' : ' (the default before the switch)'}`)
    .option('--switch', `root -- switch -- leaves, leaf2 with two addresses${SWITCH_BY_DEFAULT ? ' (the default)' : ''}`)
    .option('--no-color', 'no ANSI colours (default: colours when the output is a terminal)')
    .addHelpText('after', '\nExamples:\n  $ npm run demo\n  $ npm run demo -- --direct\n  $ npm run demo -- --keep --out /tmp/demo\n  $ npm run demo -- --cm cm --completion sync\n')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'demo: ')) })
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ out: string; name: string; keep?: boolean; cm: 'cm' | 'mcm'; completion: 'sync' | 'pending'; color: boolean; direct?: boolean; switch?: boolean }>();
  if (o.direct && o.switch) program.error('demo: --direct and --switch exclude each other');
  return { out: resolve(o.out), name: o.name, keep: !!o.keep, shape: o.cm, completion: o.completion, color: o.color && (process.stdout.isTTY ?? false), direct: o.direct ?? (o.switch ? false : !SWITCH_BY_DEFAULT) };
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

const SW = 'sw1';
const topology = topologyFrom(
  args.direct
    ? {
        name: args.name,
        description: 'root + leaf1..3 on one bridged segment',
        segment: { kind: 'bridged' },
        hosts: [
          { name: 'root', mac: '02:00:00:00:01:01', address: '1001' },
          { name: 'leaf1', mac: '02:00:00:00:01:02', address: '1002' },
          { name: 'leaf2', mac: '02:00:00:00:01:03', address: '1003' },
          { name: 'leaf3', mac: '02:00:00:00:01:04', address: '1004' },
        ],
      }
    : {
        name: args.name,
        description: 'root + leaf1..3, each on a port of switch sw1; leaf2 holds two addresses',
        segment: { kind: 'bridged' },
        switches: [{ name: SW }],
        hosts: [
          { name: 'root', mac: '02:00:00:00:01:01', address: '1001', switch: SW },
          { name: 'leaf1', mac: '02:00:00:00:01:02', address: '1002', switch: SW },
          { name: 'leaf2', mac: '02:00:00:00:01:03', address: '1003', extraAddresses: ['1005'], switch: SW },
          { name: 'leaf3', mac: '02:00:00:00:01:04', address: '1004', switch: SW },
        ],
      },
  args.name,
);

let lab: Lab | undefined;
/** tshark on the segment's bridge (direct), or on each switch port's bridge */
const bridgeCaptures: ChildProcess[] = [];
const daemons = new Map<string, RunningDaemon>();
let teardownDone: Promise<void> | undefined;
let interruptedBy: string | undefined;

/** start tshark on a bridge in a namespace, writing `file`; resolves once the file exists */
async function captureBridge(ns: Netns, bridge: string, file: string): Promise<void> {
  const [cmd, cargs] = ns.spawnArgs('tshark', ['-q', '-i', bridge, '-f', 'ether proto 0x88b5', '-w', file]);
  bridgeCaptures.push(spawn(cmd, cargs, { stdio: ['ignore', 'ignore', 'pipe'] }));
  const started = Date.now();
  // tshark takes a while to start on a busy machine
  while (!existsSync(file) && Date.now() - started < 45_000) await new Promise((r) => setTimeout(r, 50));
  check(existsSync(file), `tshark did not start capturing on ${bridge}`);
}

/** stop the segment captures (SIGINT: tshark finishes its file) */
async function stopCaptures(ms: number): Promise<void> {
  await Promise.all(
    bridgeCaptures.map(
      (c) =>
        new Promise((r) => {
          if (c.exitCode !== null) return r(undefined);
          c.once('exit', r);
          c.kill('SIGINT');
          setTimeout(r, ms);
        }),
    ),
  );
}

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
    await attempt('stopping the segment captures', () => stopCaptures(3000));
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
  console.log(bold(`condis-tap demo: CoNDIS point-to-multipoint calls over Q.2931/Q.2971 + SSCOP on TAP devices${args.direct ? ' (direct, no switch)' : ', through an ATM switch'}`));
  console.log(dim(`call manager: ${args.shape}, completion: ${args.completion}; output: ${args.out}\n`));
  rmSync(args.out, { recursive: true, force: true });
  mkdirSync(args.out, { recursive: true });
  return args.direct ? direct() : throughSwitch();
}

const daemonOptions = () => ({
  callManager: { shape: args.shape, completion: args.completion },
  discoveryIntervalMs: 1000,
  // quick failure detection for the killed-daemon step: IDLE 1 s, then NO-RESPONSE 2 s
  timers: { sscop: { keepAlive: '500ms', idle: '1s', noResponse: '2s' } },
});

/** SIGTERM each daemon named, then stop the segment captures and copy each daemon's own capture to OUT/NAME.pcapng */
async function stopAndCollect(names: string[]): Promise<string> {
  const stopped = await Promise.all(names.map(async (h) => [h, await d(h).stop('SIGTERM', 10_000)] as const));
  for (const [h, ok] of stopped) check(ok, `${h}'s condisd did not exit on SIGTERM`);
  await stopCaptures(5000);
  const copied: string[] = [];
  for (const n of [...lab!.switches.map((s) => s.runDir), ...lab!.hosts.map((h) => h.runDir)]) {
    const src = join(n, 'condisd.pcapng');
    const name = `${n.split('/').pop()}.pcapng`;
    if (existsSync(src)) {
      copyFileSync(src, join(args.out, name));
      copied.push(name);
    }
  }
  return `captures: ${copied.join(', ')}`;
}

async function checkStep(expect: CaptureExpectations, hosts: { name: string; mac: string }[], ethernet?: string[]): Promise<void> {
  let report: CaptureReport | undefined;
  await step('check the captures with tshark: exact message sequence per link, close data, nothing malformed', async () => {
    report = await checkCaptures(args.out, hosts, expect, ethernet ? { ethernet } : {});
    for (const p of report.problems) console.log(`     ${red('problem')}: ${p}`);
    check(report.problems.length === 0, `${report.problems.length} problem(s) in the captures`);
    return report.summary.join('\n');
  });
}

/** the switchless form: every host on one segment, the root's host fans the call out per leaf link */
async function direct(): Promise<number> {
  const ethCapture = join(args.out, 'segment-ethernet.pcap');

  await step('build the lab: 4 network namespaces bridged onto one segment (root, leaf1, leaf2, leaf3)', async () => {
    lab = await labUp(topology);
    // capture the Ethernet segment itself, as tcpdump on the VMs' bridge would
    await captureBridge(lab.switchNs, 'seg0', ethCapture);
    return lab.hosts.map((h) => `${h.name.padEnd(6)} ns ${h.nsName}  mac ${h.mac}  ATM address ${h.address}`).join('\n');
  });

  await step('start condisd on each host (tap0 created and enslaved to br0) and wait for SSCOP links', async () => {
    const started = await Promise.all(lab!.hosts.map((h) => startDaemon(lab!, h.name, daemonOptions())));
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

  const { vc, leafVc, parties } = await multipointCall([
    ['leaf1', '1002'],
    ['leaf2', '1003'],
    ['leaf3', '1004'],
  ]);
  await dataStep(vc, leafVc);
  await leaf3Leaves(leafVc, parties.get('1004')!);

  const dropData = 'leaf2: thanks for joining, goodbye';
  await step('root drops leaf2 with close data (NdisClDropParty): leaf2 receives the close data', async () => {
    const ic = d('leaf2').next('incoming-close-call', (e) => e.vc === leafVc.get('1003'));
    await d('root').control.dropParty({ vc, party: parties.get('1003')!, closeData: dropData });
    const e = await ic;
    check(e.closeData?.toString() === dropData, `leaf2 got close data ${show(e.closeData)}`);
    return `leaf2: ProtocolClIncomingCloseCall(${e.status.name}, close data ${show(e.closeData)})`;
  });

  const closeData = 'leaf1: the call is over';
  await closeStep(vc, parties.get('1002')!, leafVc.get('1002')!, closeData);
  await pointToPointSteps();
  await nothingLeftStep([]);
  await step('stop the daemons (SIGTERM): calls released, SSCOP ended, TAPs released', async () => {
    const r = await stopAndCollect(['root', 'leaf1', 'leaf3']);
    return `${r}, segment-ethernet.pcap (${statSync(ethCapture).size} octets)`;
  });
  await checkStep(expectedDirect(dropData, closeData), lab!.hosts.map((h) => ({ name: h.name, mac: h.mac })));

  await step('draw the signalling as a ladder diagram', async () => {
    const hosts = lab!.hosts.map((h) => ({ name: h.name, mac: h.mac }));
    const events = await eventsFromCapture(ethCapture, { hosts, sscop: true });
    return drawLadder(events, hosts.map((h) => h.name), 'condis-tap demo: signalling on the segment');
  });
  return 0;
}

/** the main form: root -- switch -- leaves; leaf2 holds two addresses */
async function throughSwitch(): Promise<number> {
  const portOf: Record<string, string> = {};
  const ethFiles: string[] = [];
  await step(`build the lab: switch ${SW} and 4 hosts in network namespaces, each host on a port of its own (root, leaf1, leaf2 with two addresses, leaf3)`, async () => {
    lab = await labUp(topology);
    const sw = lab.atmSwitch(SW);
    // capture each port's Ethernet segment, as tcpdump on the switch VM's bridges would
    for (const p of sw.ports) {
      portOf[p.host!] = p.name;
      ethFiles.push(`port-${p.name}-ethernet.pcap`);
    }
    await Promise.all(sw.ports.map((p, i) => captureBridge(sw.ns, p.bridge, join(args.out, ethFiles[i]!))));
    return [
      ...lab.hosts.map((h) => `${h.name.padEnd(6)} ns ${h.nsName}  mac ${h.mac}  ATM address ${[h.address, ...(h.extraAddresses ?? [])].join(', ')}  on ${SW} port ${portOf[h.name]}`),
      `${SW}    ns ${sw.nsName}  ports ${sw.ports.map((p) => `${p.name} (${p.mac})`).join(', ')}`,
    ].join('\n');
  });

  await step(`start condisd: ${SW} as a switch (a TAP device per port), then each host (tap0 on br0); wait for each host's SSCOP link to its port`, async () => {
    // the switch clears calls of a lost port link after T309 (2 s here), as Q.2931 5.5.6 says
    daemons.set(SW, await startDaemon(lab!, SW, { ...daemonOptions(), timers: { ...daemonOptions().timers, uni: { t309: '2s' } } }));
    const started = await Promise.all(lab!.hosts.map((h) => startDaemon(lab!, h.name, daemonOptions())));
    for (const dmn of started) daemons.set(dmn.host, dmn);
    for (const h of lab!.hosts) await waitForLinks(d(h.name), neighbourMacs(lab!, h.name));
    const links = (await d(SW).control.links()) as { peer: string; side: string; state: string; name?: string }[];
    return links.map((l) => `${SW} port ${l.name ?? l.peer}: ${l.state}, ${SW} is the ${l.side} side`).join('\n');
  });

  await step('the leaves register SAPs on their addresses (NdisClRegisterSap; leaf2 one per address) and accept calls; leaf3 refuses QoS changes', async () => {
    for (const [leaf, address] of [['leaf1', '1002'], ['leaf2', '1003'], ['leaf2', '1005'], ['leaf3', '1004']] as const)
      await d(leaf).control.registerSap({ address, policy: 'accept', ...(leaf === 'leaf3' ? { qos: 'refuse' as const } : {}) });
    return 'leaf1: 1002, leaf2: 1003 and 1005, leaf3: 1004 (refusing QoS changes: it closes the call)';
  });

  const { vc, leafVc, parties } = await multipointCall([
    ['leaf1', '1002'],
    ['leaf2', '1003'],
    ['leaf2', '1005'],
    ['leaf3', '1004'],
  ]);
  await dataStep(vc, leafVc);
  await leaf3Leaves(leafVc, parties.get('1004')!);

  const data = { leaf2bDrop: 'leaf2 (1005): goodbye', leaf2Drop: 'leaf2 (1003): goodbye too', closeData: 'leaf1: the call is over', hangUp: 'leaf1 hangs up' };
  await step("root drops leaf2's second party (1005) with close data: DROP PARTY crosses leaf2's link, its first party stays", async () => {
    const ic = d('leaf2').next('incoming-close-call', (e) => e.vc === leafVc.get('1005'));
    await d('root').control.dropParty({ vc, party: parties.get('1005')!, closeData: data.leaf2bDrop });
    const e = await ic;
    check(e.closeData?.toString() === data.leaf2bDrop, `leaf2 got close data ${show(e.closeData)}`);
    const vcs = (await d('leaf2').control.vcs()) as { vc: number }[];
    check(vcs.some((v) => v.vc === leafVc.get('1003')), "leaf2's call for 1003 went too");
    return `leaf2 (1005): ProtocolClIncomingCloseCall(${e.status.name}, close data ${show(e.closeData)}); its call for 1003 is still up`;
  });
  await step("root drops leaf2's first party (1003) with close data: the last party on leaf2's link, so RELEASE there", async () => {
    const ic = d('leaf2').next('incoming-close-call', (e) => e.vc === leafVc.get('1003'));
    await d('root').control.dropParty({ vc, party: parties.get('1003')!, closeData: data.leaf2Drop });
    const e = await ic;
    check(e.closeData?.toString() === data.leaf2Drop, `leaf2 got close data ${show(e.closeData)}`);
    return `leaf2 (1003): ProtocolClIncomingCloseCall(${e.status.name}, close data ${show(e.closeData)})`;
  });
  await closeStep(vc, parties.get('1002')!, leafVc.get('1002')!, data.closeData);
  await pointToPointSteps();
  await nothingLeftStep([SW]);
  await step(`stop the daemons (SIGTERM): hosts, then ${SW}: calls released, SSCOP ended, TAPs released`, () => stopAndCollect(['root', 'leaf1', 'leaf3', SW]));

  const names = [...lab!.hosts.map((h) => ({ name: h.name, mac: h.mac })), ...lab!.atmSwitch(SW).ports.map((p) => ({ name: SW, mac: p.mac }))];
  await checkStep(expectedThroughSwitch(SW, portOf, data), names, ethFiles);

  await step(`draw the signalling as a ladder diagram (from ${SW}'s capture: the switch is a column, each message says its port)`, async () => {
    const interfaces = Object.fromEntries(Object.entries(portOf).map(([h, p]) => [p, h]));
    const events = await eventsFromCapture(join(args.out, `${SW}.pcapng`), { self: SW, interfaces, sscop: true });
    return drawLadder(events, ['root', SW, 'leaf1', 'leaf2', 'leaf3'], `condis-tap demo: signalling through switch ${SW}`);
  });
  return 0;
}

function drawLadder(events: Awaited<ReturnType<typeof eventsFromCapture>>, hosts: string[], title: string): string {
  const text = renderLadderText(events, { hosts, color: args.color, width: 110, foldSscop: true });
  writeFileSync(join(args.out, 'ladder.txt'), renderLadderText(events, { hosts, width: 110 }));
  writeFileSync(join(args.out, 'ladder.html'), renderLadderHtml(events, { title, hosts }));
  console.log(text);
  return `${events.length} signalling messages drawn`;
}

/** root makes a multipoint call to the first target, then adds the others; returns the root's VC, each target's VC at its leaf and party */
async function multipointCall(targets: [string, string][]): Promise<{ vc: number; leafVc: Map<string, number>; parties: Map<string, number> }> {
  let vc = 0;
  const parties = new Map<string, number>();
  const leafVc = new Map<string, number>();
  const [firstLeaf, firstAddr] = targets[0]!;
  await step(`root makes a multipoint call to ${firstLeaf} (${firstAddr}) (NdisClMakeCall with a party context)`, async () => {
    const inc = d(firstLeaf).next('incoming-call', (e) => e.called === firstAddr);
    const r = (await d('root').control.makeCall({ called: firstAddr, multipoint: true })) as { vc: number; parties?: { party: number }[]; party?: number };
    vc = r.vc;
    const party = r.party ?? r.parties?.[0]?.party;
    check(party !== undefined, 'make call returned no party handle for the first party');
    parties.set(firstAddr, party);
    const e = await inc;
    leafVc.set(firstAddr, e.vc);
    await d(firstLeaf).seen('call-connected', (c) => c.vc === e.vc);
    return `root VC ${vc}, party ${party}; ${firstLeaf} sees an ordinary incoming call on its VC ${e.vc} and is connected`;
  });
  for (const [leaf, address] of targets.slice(1)) {
    const second = [...leafVc.keys()].some((a) => targets.find((t) => t[1] === a)![0] === leaf);
    await step(`root adds ${leaf} (${address}) (NdisClAddParty)${second ? `: ${leaf}'s second address, a second party on its link` : ''}`, async () => {
      const inc = d(leaf).next('incoming-call', (e) => e.called === address);
      const r = (await d('root').control.addParty({ vc, address })) as { party: number };
      parties.set(address, r.party);
      const e = await inc;
      leafVc.set(address, e.vc);
      await d(leaf).seen('call-connected', (c) => c.vc === e.vc);
      return `party ${r.party}; ${leaf} connected on its VC ${e.vc}${second ? ' (an incoming call of its own)' : ''}`;
    });
  }
  return { vc, leafVc, parties };
}

async function dataStep(vc: number, leafVc: Map<string, number>): Promise<void> {
  const targets = [...leafVc].map(([address, lvc]) => ({ leaf: [...daemons.keys()].find((h) => lab!.hosts.some((x) => x.name === h && [x.address, ...(x.extraAddresses ?? [])].includes(address)))!, address, lvc }));
  await step(`root sends data on the multipoint VC: it reaches every party (${targets.length} VCs on ${new Set(targets.map((t) => t.leaf)).size} leaves)`, async () => {
    const waits = targets.map((t) => d(t.leaf).next('receive', (e) => e.vc === t.lvc));
    await d('root').control.send({ vc, data: 'hello, leaves' });
    const got = await Promise.all(waits);
    for (const g of got) check(g.data.toString() === 'hello, leaves', `a leaf received ${JSON.stringify(g.data.toString())}`);
    return got.map((g, i) => `${targets[i]!.leaf}${targets.length > 3 ? ` (${targets[i]!.address})` : ''} received "${g.data.toString()}"`).join('\n');
  });
}

async function leaf3Leaves(leafVc: Map<string, number>, party: number): Promise<void> {
  await step('leaf3 leaves (NdisClCloseCall on its VC): root sees an incoming drop party and drops it', async () => {
    const idp = d('root').next('incoming-drop-party', (e) => e.party === party);
    const dropped = d('root').next('drop-party-complete', (e) => e.party === party);
    await d('leaf3').control.closeCall({ vc: leafVc.get('1004')! });
    const e = await idp;
    check(e.status.name === 'SUCCESS', `incoming drop party status ${e.status.name}`);
    const c = await dropped;
    check(c.status.name === 'SUCCESS', `root's answering drop completed with ${c.status.name}`);
    return `root: ProtocolClIncomingDropParty(party ${e.party}, ${e.status.name}); the policy answered with NdisClDropParty -> ${c.status.name}`;
  });
}

async function closeStep(vc: number, party: number, leaf1Vc: number, closeData: string): Promise<void> {
  await step('root closes the call naming leaf1, its last party, with close data (NdisClCloseCall)', async () => {
    const ic = d('leaf1').next('incoming-close-call', (e) => e.vc === leaf1Vc);
    await d('root').control.closeCall({ vc, party, closeData });
    const e = await ic;
    check(e.closeData?.toString() === closeData, `leaf1 got close data ${show(e.closeData)}`);
    return `leaf1: ProtocolClIncomingCloseCall(${e.status.name}, close data ${show(e.closeData)})`;
  });
}

async function pointToPointSteps(): Promise<void> {
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

  if (!args.direct) await refusedModificationStep();

  await step(`a point-to-point call root -> leaf2, then leaf2's condisd is killed (SIGKILL)${args.direct ? '' : `: ${SW} loses the port link and clears the call after T309`}`, async () => {
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
}

/** Q.2963.1 through the switch: root changes a point-to-point call's peak cell rate, leaf3 refuses by closing the call (seed 001's two QoS paths) */
async function refusedModificationStep(): Promise<void> {
  await step(
    `a point-to-point call root -> leaf3 whose peak cell rate root changes (NdisClModifyCallQoS): MODIFY REQUEST crosses ${SW}; leaf3 refuses by closing the call: MODIFY REJECT, then RELEASE`,
    async () => {
      const inc = d('leaf3').next('incoming-call');
      const r = (await d('root').control.makeCall({ called: '1004' })) as { vc: number };
      const e = await inc;
      await d('leaf3').seen('call-connected', (c) => c.vc === e.vc);
      const told = d('leaf3').next('incoming-qos-change', (x) => x.vc === e.vc);
      const done = d('root').next('modify-call-complete', (x) => x.vc === r.vc);
      const ic = d('root').next('incoming-close-call', (x) => x.vc === r.vc);
      const refused = await d('root')
        .control.modifyCall({ vc: r.vc, pcr: 2000 })
        .then(() => 'accepted', (err: Error) => err.message);
      check(/MODIFY REJECT cause 37\b/.test(refused), `root's modification: ${refused}`);
      const q = await told;
      check(!q.accepted && q.pcr.receive === 2000, `leaf3's incoming QoS change: ${JSON.stringify(q)}`);
      const c = await done;
      check(c.status.name === 'FAILURE' && c.cause === 37, `root's modify call complete: ${c.status.name}, cause ${c.cause}`);
      const got = await ic;
      check(got.status.name === 'SUCCESS', `root's incoming close status ${got.status.name}`);
      return [
        `leaf3: ProtocolClIncomingCallQoSChange (receive PCR ${q.pcr.receive} cells/s) refused: it closes the call`,
        `root: ProtocolClModifyCallQoSComplete(${c.status.name}, MODIFY REJECT cause ${c.cause} ${c.causeName ?? ''}), then ProtocolClIncomingCloseCall(${got.status.name})`,
      ].join('\n');
    },
  );
}

async function nothingLeftStep(switches: string[]): Promise<void> {
  await step(`nothing is left: no VCs, parties or calls on the surviving hosts${switches.length ? `, no calls or connections in ${switches.join(', ')}` : ''}`, async () => {
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
    for (const s of switches) {
      let c: Record<string, Record<string, number>> = {};
      for (let i = 0; i < 100; i++) {
        c = (await d(s).control.counters()) as typeof c;
        if (c.switch!.calls === 0 && c.fabric!.entries === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      check(c.switch!.calls === 0 && c.fabric!.entries === 0, `${s}: calls ${c.switch!.calls}, fabric entries ${c.fabric!.entries}`);
      lines.push(`${s}: calls 0, fabric connections 0, frames switched ${c.fabric!.framesOut}`);
    }
    return lines.join('\n');
  });
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
${
  args.direct
    ? `  segment-ethernet.pcap    the Ethernet segment; open in Wireshark with the condis dissector:
                           wireshark -X lua_script:${join(PROJECT_ROOT, 'wireshark', 'condis.lua')} ${join(args.out, 'segment-ethernet.pcap')}`
    : `  port-pN-ethernet.pcap    the Ethernet segment of each switch port; open in Wireshark with the condis dissector:
                           wireshark -X lua_script:${join(PROJECT_ROOT, 'wireshark', 'condis.lua')} ${join(args.out, 'port-p1-ethernet.pcap')}
  ${SW}.pcapng               the switch's own capture: one interface per port (stock Wireshark: atm > sscop > q2931)`
}
  <host>.pcapng            each daemon's ATM layer, one interface per link; stock Wireshark decodes it (atm > sscop > q2931)
${args.keep ? `lab kept up: npm run lab -- status ${args.name} / npm run lab -- down ${args.name}\n` : ''}`);
}
process.exit(code);
