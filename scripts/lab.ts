/**
 * The lab CLI: network-namespace labs for condisd (see docs/lab.md).
 *
 *   npm run lab -- up scripts/labs/demo.yaml
 *   npm run lab -- status demo
 *   npm run lab -- exec root -- ip -br link
 *   npm run lab -- view demo
 *   npm run lab -- down demo
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CaptureError, eventsFromCapture, renderLadderHtml, renderLadderSvg, renderLadderText } from '../src/capture/ladder.js';
import { formatLab, formatStatus } from '../src/lab/format.js';
import { controlSocketOf, defaultRunRoot, labDown, planLab, labNameOf, labStatus, labUp, LabError, listLabs, openLab, relayLines, type Lab } from '../src/lab/lab.js';
import { loadTopology } from '../src/lab/topology.js';
import { entryArgs } from '../src/common/package-root.js';
import { connectLabDriver } from '../src/lab/control-driver.js';
import { labView } from '../src/view/lab-view.js';
import { checkScenarioFile, formatStepResult, runScenario } from '../src/lab/scenario.js';
import { CommandError } from '../src/common/sh.js';
import { YamlFileError } from '../src/lab/yamlfile.js';


interface Common {
  runRoot?: string;
}

const program = new Command('lab')
  .description('network-namespace labs for condisd: N hosts on a bridged segment or routed subnets, with netem per link')
  .option('--run-root <dir>', `where lab state lives (default ${defaultRunRoot()}, or $CONDIS_LAB_DIR)`)
  .enablePositionalOptions() // `lab ctl HOST ...` passes condisctl's own options through
  .showHelpAfterError()
  .exitOverride();

const opts = (): { runRoot?: string } => {
  const o = program.opts<Common>();
  return o.runRoot ? { runRoot: o.runRoot } : {};
};

function needRoot(): void {
  if (process.getuid?.() !== 0) throw new LabError('labs need root (network namespaces): run with sudo');
}

/** the lab a command names with --lab, else the only lab that is up */
async function chosenLab(name: string | undefined): Promise<Lab> {
  if (!name) {
    const labs = listLabs(opts());
    if (labs.length !== 1) throw new LabError(labs.length ? `several labs are up (${labs.join(', ')}): say which with --lab` : 'no lab is up');
    name = labs[0]!;
  }
  return openLab(labNameOf(name), opts());
}

/** start condisd in every host (stopping them all again on any failure) and say where their sockets are */
async function startDaemons(lab: Lab): Promise<void> {
  const { startLabDaemons } = await import('../src/demo/daemons.js');
  const daemons = await startLabDaemons(lab);
  for (const d of daemons) {
    d.control.close();
    const role = lab.switches.some((s) => s.name === d.host) ? 'switch ' : '';
    console.log(`condisd started in ${role}${d.host} (pid ${d.process.pid}): socket ${d.socket}, log ${d.process.logFile}`);
  }
  console.log(`links are up; try: npm run lab -- ctl ${lab.hosts[0]!.name} status`);
}

program
  .command('up')
  .description('bring a lab up from a topology file (idempotent)')
  .argument('<file>', 'topology YAML, e.g. scripts/labs/demo.yaml')
  .option('-n, --name <name>', "the lab's name (default: the name in the file, else the file's name)")
  .option('--start', 'also start condisd in every host (as `lab start` does)')
  .action(async (file: string, o: { name?: string; start?: boolean }) => {
    needRoot();
    let topology = loadTopology(file);
    if (o.name !== undefined) {
      if (!/^[a-z0-9][a-z0-9_-]{0,31}$/i.test(o.name)) throw new LabError(`--name ${JSON.stringify(o.name)}: letters, digits, - and _, at most 32`);
      topology = { ...topology, name: o.name };
    }
    const lab = await labUp(topology, opts());
    console.log(formatLab(lab));
    for (const line of relayLines(lab)) console.log(line);
    if (o.start) await startDaemons(lab);
  });

program
  .command('start')
  .description('start condisd in every switch and host of a running lab (configurations generated into switches/SWITCH/ and hosts/HOST/condisd.yaml)')
  .argument('[lab]', 'lab name or topology file (default: the only lab that is up)')
  .action(async (name: string | undefined) => {
    needRoot();
    await startDaemons(await chosenLab(name));
  });

program
  .command('stop')
  .description('stop condisd in every host and switch of a lab (the lab stays up)')
  .argument('[lab]', 'lab name or topology file (default: the only lab that is up)')
  .action(async (name: string | undefined) => {
    needRoot();
    const lab = await chosenLab(name);
    const { stopLabDaemons } = await import('../src/demo/daemons.js');
    const stopped = await stopLabDaemons(lab);
    console.log(stopped.length ? `condisd stopped in ${stopped.join(', ')}` : `no condisd was running in lab ${lab.name}`);
  });

program
  .command('ctl')
  .description("run condisctl against a host's (or a switch's) condisd: lab ctl [--lab NAME] HOST COMMAND ARGS...")
  .option('-l, --lab <lab>', 'lab name or topology file (default: the only lab that is up)')
  .argument('<host>', 'host or switch name')
  .argument('<args...>', 'condisctl command and arguments (e.g. status, listen, call 1002 --data hi)')
  .passThroughOptions()
  .allowUnknownOption()
  .helpOption('-h, --help', 'help for lab ctl (condisctl --help for its commands)')
  .action(async (host: string, args: string[], o: { lab?: string }) => {
    const lab = await chosenLab(o.lab);
    const socket = controlSocketOf(lab, host);
    const r = spawnSync(process.execPath, [...entryArgs('daemons/condisctl'), '--socket', socket, ...args], { stdio: 'inherit' });
    if (r.error) throw new LabError(`cannot run condisctl: ${r.error.message}`);
    process.exitCode = r.status ?? 1;
  });

program
  .command('down')
  .description('stop the lab\'s processes, delete its namespaces and run directory (also after an interrupted up)')
  .argument('<lab>', 'lab name or topology file')
  .action(async (lab: string) => {
    needRoot();
    const r = await labDown(lab, opts());
    if (!r.namespaces.length && !r.processes.length && !r.runDir) console.log(`lab ${r.name}: nothing to remove`);
    else
      console.log(
        `lab ${r.name} is down: ${r.namespaces.length} namespace(s) deleted, ${r.processes.length} process(es) stopped${r.runDir ? ', run directory removed' : ''}`,
      );
  });

program
  .command('status')
  .description('namespaces, links, addresses, netem and processes of a lab (of every lab when none is named)')
  .argument('[lab]', 'lab name or topology file')
  .option('--json', 'print JSON')
  .action(async (lab: string | undefined, o: { json?: boolean }) => {
    const names = lab ? [lab] : listLabs(opts());
    if (!names.length) {
      console.log('no labs');
      return;
    }
    const all = [];
    for (const n of names) all.push(await labStatus(n, opts()));
    if (o.json) console.log(JSON.stringify(lab ? all[0] : all, null, 2));
    else console.log(all.map(formatStatus).join('\n\n'));
    if (lab && all[0]!.state === 'absent') process.exitCode = 3;
  });

program
  .command('list')
  .description('names of the labs that have state')
  .action(() => {
    for (const n of listLabs(opts())) console.log(n);
  });

program
  .command('exec')
  .description('run a command inside a host\'s namespace: lab exec [--lab NAME] HOST -- CMD ARGS...')
  .option('-l, --lab <lab>', 'lab name or topology file (default: the only lab that is up)')
  .argument('<host>', 'host name')
  .argument('<cmd...>', 'command and arguments (after --)')
  .action(async (host: string, cmd: string[], o: { lab?: string }) => {
    needRoot();
    const lab = await chosenLab(o.lab);
    const [c, args] = lab.host(host).ns.spawnArgs(cmd[0]!, cmd.slice(1));
    const r = spawnSync(c, args, { stdio: 'inherit' });
    if (r.error) throw new LabError(`cannot run ${cmd[0]}: ${r.error.message}`);
    process.exitCode = r.status ?? 1;
  });

program
  .command('check')
  .description('validate a scenario file (and its hosts against a lab or topology)')
  .argument('<scenario>', 'scenario YAML')
  .option('-l, --lab <lab>', 'lab name or topology file whose hosts the scenario uses')
  .action(async (file: string, o: { lab?: string }) => {
    const s = await checkScenarioFile(file, o.lab, opts());
    console.log(`${file}: ${s.steps.length} step(s), hosts ${s.hosts.join(', ') || '-'}: ok`);
  });

program
  .command('run')
  .description('play a scenario against the condisd daemons of a running lab')
  .argument('<scenario>', 'scenario YAML')
  .option('-l, --lab <lab>', "lab name or topology file (default: the scenario's lab:, else the only lab that is up)")
  .option('--start', 'start condisd in every host first (and stop them after)')
  .option('--keep-going', 'run every step even after a failure')
  .action(async (file: string, o: { lab?: string; start?: boolean; keepGoing?: boolean }) => {
    needRoot();
    let name = o.lab;
    if (!name) {
      const labs = listLabs(opts());
      const own = (await checkScenarioFile(file)).lab;
      if (own) name = own;
      else if (labs.length === 1) name = labs[0]!;
      else throw new LabError(labs.length ? `several labs are up (${labs.join(', ')}): say which with --lab` : 'no lab is up');
    }
    const lab = await openLab(labNameOf(name), opts());
    const scenario = await checkScenarioFile(file, lab.name, opts());
    const { startLabDaemons, stopLabDaemons } = await import('../src/demo/daemons.js');
    // --start: a failure to start stops what was started (startLabDaemons), a failure later stops them all (finally)
    const started = o.start ? await startLabDaemons(lab) : [];
    try {
      const driver = await connectLabDriver(lab, scenario.hosts).catch((e: Error) => {
        throw new LabError(`connecting to condisd in lab ${lab.name}: ${e.message}${o.start ? '' : ' (start the daemons with `lab start` or run with --start)'}`);
      });
      try {
        console.log(`${scenario.name} (${scenario.steps.length} steps) on lab ${lab.name}`);
        const r = await runScenario(scenario, { driver, hosts: lab.hosts, keepGoing: !!o.keepGoing, onStep: (s) => console.log(formatStepResult(s)) });
        console.log(r.ok ? 'PASSED' : `FAILED at step ${r.failure!.index + 1}`);
        if (!r.ok) process.exitCode = 1;
      } finally {
        await driver.close();
      }
    } finally {
      if (started.length) await stopLabDaemons(lab, started);
    }
  });

program
  .command('ladder')
  .description('draw the signalling of a capture as a ladder diagram (terminal, SVG or HTML)')
  .argument('<capture>', 'pcap/pcapng file: Ethernet (tcpdump on br0/eth1/seg0) or written by condisd (pcapng: one interface per link; or classic SunATM)')
  .option('-l, --lab <lab>', 'lab name or topology file: host names for MAC addresses')
  .option('--self <host>', "condisd captures: the host (or, with --lab, the switch) that wrote the capture; a switch's ports are drawn as the hosts on them", 'host')
  .option('--peer <host>', 'classic SunATM captures: the one peer (default: "network"; pcapng captures name each link\'s peer)')
  .option('--sscop [which]', 'also draw SSCOP link control PDUs ("all": POLL/STAT too)')
  .option('--fold-sscop', 'fold each run of SSCOP PDUs into one line (the HTML page folds them and has a checkbox to show them)')
  .option('--no-lua', 'stock tshark only (no wireshark/condis.lua)')
  .option('-w, --width <n>', 'terminal width to fit', (v) => Number(v), Math.min(process.stdout.columns || 110, 120))
  .option('--color', 'ANSI colours (default: when the output is a terminal)')
  .option('--svg <file>', 'write an SVG instead of text')
  .option('--html <file>', 'write an HTML page instead of text')
  .option('--title <title>', 'title of the SVG / HTML page')
  .action(
    async (
      capture: string,
      o: { lab?: string; self: string; peer?: string; sscop?: boolean | string; foldSscop?: boolean; lua: boolean; width: number; color?: boolean; svg?: string; html?: string; title?: string },
    ) => {
      let hosts: { name: string; mac: string }[] = [];
      let notes: Record<string, string> | undefined;
      let interfaces: Record<string, string> | undefined;
      if (o.lab) {
        const topo = /\.ya?ml$/i.test(o.lab) || o.lab.includes('/') ? loadTopology(o.lab) : (await openLab(labNameOf(o.lab), opts())).topology;
        hosts = topo.hosts.map((h) => ({ name: h.name, mac: h.mac }));
        notes = Object.fromEntries(topo.hosts.map((h) => [h.name, `${h.address}  ${h.mac}`]));
        // a switch's capture: one interface per port, drawn as the host (or switch) on that port
        const sw = planLab(topo).switches?.find((x) => x.name === o.self);
        if (sw) {
          interfaces = Object.fromEntries(sw.ports.map((p) => [p.name, p.host ?? p.peerSwitch?.name ?? p.name]));
          for (const p of sw.ports) hosts.push({ name: `${o.self} ${p.name}`, mac: p.mac });
        }
      }
      const events = await eventsFromCapture(capture, {
        hosts,
        self: o.self,
        ...(interfaces ? { interfaces } : {}),
        ...(o.peer ? { peer: o.peer } : {}),
        ...(o.sscop ? { sscop: o.sscop === 'all' ? 'all' : true } : {}),
        ...(o.lua ? {} : { luaScript: false }),
      });
      // a switch's column goes between its first host and the others
      const names = interfaces ? [...Object.values(interfaces).slice(0, 1), o.self, ...Object.values(interfaces).slice(1)] : hosts.map((h) => h.name);
      const order = names.filter((n) => events.some((e) => e.from === n || e.to === n));
      const title = o.title ?? `signalling in ${capture}`;
      const fold = !!o.foldSscop;
      if (o.svg) writeFileSync(o.svg, renderLadderSvg(events, { hosts: order, title, foldSscop: fold, ...(notes ? { hostNotes: notes } : {}) }));
      if (o.html) writeFileSync(o.html, renderLadderHtml(events, { hosts: order, title, subtitle: `${events.length} messages from ${capture}`, ...(fold ? { sscop: 'fold' as const } : {}), ...(notes ? { hostNotes: notes } : {}) }));
      if (!o.svg && !o.html) process.stdout.write(renderLadderText(events, { hosts: order, width: o.width, foldSscop: fold, color: o.color ?? !!process.stdout.isTTY }));
      else console.log(`${events.length} message(s) drawn to ${[o.svg, o.html].filter(Boolean).join(' and ')}`);
    },
  );

program
  .command('view')
  .description("a live view of the lab in the browser: topology, calls, parties, VCs, a growing ladder, demo actions (condisd must run in the hosts)")
  .argument('<lab>', 'lab name or topology file')
  .option('-p, --port <port>', 'TCP port (0: any free port)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new LabError(`--port: ${v} is not a TCP port (0-65535)`);
    return n;
  }, 8080)
  .option('--listen <address>', 'address to bind (anything but loopback lets others drive the lab\'s calls)', '127.0.0.1')
  .option('--start', 'start condisd in every host first (and stop them when the view stops)')
  .action(async (name: string, o: { port: number; listen: string; start?: boolean }) => {
    const lab = await openLab(labNameOf(name), opts());
    const { startLabDaemons, stopLabDaemons } = await import('../src/demo/daemons.js');
    const started: Awaited<ReturnType<typeof startLabDaemons>> = [];
    try {
      if (o.start) {
        needRoot();
        started.push(...(await startLabDaemons(lab)));
      }
      const view = await labView(lab, { port: o.port, listen: o.listen });
      console.log(`live view of lab ${lab.name}: ${view.url}  (Ctrl-C to stop${started.length ? ' the view and the daemons it started' : ''})`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await view.close();
    } finally {
      await stopLabDaemons(lab, started);
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? 0 : 2;
  else if (e instanceof YamlFileError) {
    console.error(e.message);
    process.exitCode = 2;
  } else if (e instanceof LabError || e instanceof CommandError || e instanceof CaptureError) {
    console.error(`lab: ${e.message}`);
    process.exitCode = 1;
  } else throw e;
}
