#!/usr/bin/env node
/**
 * condisd: the condis-tap daemon. One host: a miniport (TAP device, real NIC,
 * EtherIP, or memory), SSCOP links to its peers, Q.2931/Q.2971 signalling,
 * CoNDIS on top, and a control socket for condisctl and programs.
 *
 *   condisd --config config/host-a.yaml [--pcap FILE [--pcap-format pcapng|sunatm]] [--log-level debug] [--pretty]
 *
 * With `role: switch` in the configuration it runs a signalling ATM switch
 * instead (daemons/switchd.ts, docs/switch.md).
 *
 * SIGTERM / SIGINT / SIGHUP: every call released with a normal cause, every
 * SSCOP association ended, the device released, the control socket removed,
 * exit 0. SIGHUP is a stop, not a reload (the terminal that ran condisd in
 * the foreground went away, or a supervisor asked): the configuration names
 * the device, the addresses and the socket, which cannot change under live
 * calls, so a new configuration means a restart.
 */
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { loadAnyConfig, ConfigError, type AnyConfig, type HostConfig } from '../src/config/index.js';
import { runSwitch } from './switchd.js';
import { stopOnSignals } from './run-until-signal.js';
import { openMiniport, MiniportError } from '../src/miniport/index.js';
import { CondisNode } from '../src/host/node.js';
import { nodeOptionsFromConfig } from '../src/host/from-config.js';
import { NodeControlBackend } from '../src/host/control-backend.js';
import { warnPeerConflicts } from '../src/host/peer-conflicts.js';
import { checkSocketPath, startControlServer, type ControlServer } from '../src/control/server.js';
import { ATM_CAPTURE_FORMATS, openAtmCapture, type AtmCapture, type AtmCaptureFormat } from '../src/capture/atm-capture.js';
import type { Miniport } from '../src/miniport/types.js';
import { packageVersion } from '../src/common/package-root.js';
import { prepareHeapSnapshots } from '../src/common/heap-snapshots.js';

const VERSION = packageVersion();
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

interface Options {
  config: string;
  pcap?: string;
  pcapFormat?: AtmCaptureFormat;
  logLevel?: (typeof LEVELS)[number];
  pretty?: boolean;
  socket?: string;
}

function parseArgs(argv: string[]): Options {
  const program = new Command()
    .name('condisd')
    .description('condis-tap daemon: CoNDIS call management over Q.2931/Q.2971 signalling carried in Ethernet frames')
    .version(VERSION)
    .requiredOption('-c, --config <file>', 'host configuration (YAML), e.g. config/host-a.yaml')
    .option('--pcap <file>', 'write every SDU sent and received to this capture file (overrides capture.pcap)')
    .option('--pcap-format <format>', `capture form: pcapng (one interface per link, user data as data) or sunatm (classic) (overrides capture.format)`, (v) => {
      if (!(ATM_CAPTURE_FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${ATM_CAPTURE_FORMATS.join(', ')}`);
      return v;
    })
    .option('--socket <path>', 'control socket path (overrides control.socket)')
    .option('--log-level <level>', `log level: ${LEVELS.join(', ')}`, (v) => {
      if (!(LEVELS as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${LEVELS.join(', ')}`);
      return v;
    })
    .option('--pretty', 'human-readable log lines')
    .addHelpText('after', '\nExamples:\n  condisd --config config/host-a.yaml\n  condisd -c config/host-b.yaml --pcap /tmp/b.pcapng --pretty\n')
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));
  program.parse(argv);
  return program.opts<Options>();
}

/** "tap0", "eth1", "10.0.1.5": what the miniport would open */
function describeDevice(cfg: HostConfig): string {
  const m = cfg.miniport as { device?: string; local?: string; hub?: string };
  return m.device ?? m.local ?? m.hub ?? '';
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv);
  prepareHeapSnapshots();
  let any: AnyConfig;
  try {
    any = await loadAnyConfig(opts.config);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`condisd: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (any.kind === 'switch') {
    const sc = any.config;
    if (opts.socket) sc.control.socket = opts.socket;
    if (opts.logLevel) sc.log.level = opts.logLevel;
    if (opts.pretty) sc.log.pretty = true;
    const slog = pino(
      { name: sc.name, level: sc.log.level, base: { host: sc.name } },
      sc.log.pretty ? pino.transport({ target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l', singleLine: true } }) : pino.destination(2),
    );
    if (opts.pcapFormat && opts.pcapFormat !== 'pcapng') slog.warn({}, `--pcap-format ${opts.pcapFormat}: a switch writes pcapng only (an interface per port); ignored`);
    return runSwitch(sc, slog, VERSION, opts.pcap ? { pcap: opts.pcap } : {});
  }
  const cfg: HostConfig = any.config;
  if (opts.socket) cfg.control.socket = opts.socket;
  if (opts.pcap) cfg.capture.pcap = opts.pcap;
  if (opts.pcapFormat) cfg.capture.format = opts.pcapFormat;
  if (opts.logLevel) cfg.log.level = opts.logLevel;
  if (opts.pretty) cfg.log.pretty = true;

  const log = pino(
    { name: cfg.name, level: cfg.log.level, base: { host: cfg.name } },
    cfg.log.pretty ? pino.transport({ target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l', singleLine: true } }) : pino.destination(2),
  );

  // the control socket first: a second condisd with the same socket must not touch the first one's device
  try {
    await checkSocketPath(cfg.control.socket);
  } catch (e) {
    process.stderr.write(`condisd: control socket ${cfg.control.socket}: ${(e as Error).message}; not opening ${cfg.miniport.kind} ${describeDevice(cfg)}\n`);
    process.exit(1);
  }

  let miniport: Miniport;
  try {
    miniport = await openMiniport(cfg.miniport);
  } catch (e) {
    if (e instanceof MiniportError) {
      process.stderr.write(`condisd: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }

  let pcap: AtmCapture | undefined;
  // peers are named as the configuration or their announcements name them, when the first record for them is written
  let node: CondisNode | undefined;
  const peerName = (mac: string) => {
    const p = node?.peerList().find((q) => q.mac === mac) ?? cfg.peers.find((q) => q.mac === mac);
    return p?.name ?? p?.addresses[0];
  };
  if (cfg.capture.pcap) {
    // readable (0644 whatever the umask) and, under sudo, owned by the user who asked for it
    const uid = Number(process.env.SUDO_UID);
    const gid = Number(process.env.SUDO_GID);
    const owner = process.getuid?.() === 0 && Number.isInteger(uid) && uid > 0 && Number.isInteger(gid) ? { uid, gid } : undefined;
    try {
      pcap = openAtmCapture(cfg.capture.pcap, { format: cfg.capture.format, self: cfg.name, peerName, file: { mode: 0o644, owner }, flushMs: cfg.capture.flush });
    } catch (e) {
      process.stderr.write(`condisd: capture file ${cfg.capture.pcap}: ${(e as Error).message}\n`);
      await miniport.close();
      process.exit(1);
    }
  }

  node = new CondisNode(
    nodeOptionsFromConfig(cfg, miniport, {
      capture: pcap ? (direction, vpi, vci, sdu, peer) => pcap!.record(direction, vpi, vci, sdu, peer) : undefined,
      log: log.child({ layer: 'node' }),
    }),
  );
  const backend = await NodeControlBackend.create(node, { version: VERSION, miniport: miniport.name });
  // a static peer whose address discovery hears from another MAC: say so (log and status)
  warnPeerConflicts(node, log.child({ layer: 'node' }));

  let server: ControlServer;
  try {
    server = await startControlServer(backend, {
      path: cfg.control.socket,
      mode: cfg.control.mode,
      serverName: `condisd ${VERSION} (${cfg.name})`,
      logger: log.child({ layer: 'control' }),
    });
  } catch (e) {
    process.stderr.write(`condisd: control socket ${cfg.control.socket}: ${(e as Error).message}\n`);
    await node.shutdown(0);
    await miniport.close();
    process.exit(1);
  }

  log.info(
    { miniport: miniport.name, mac: miniport.mac, addresses: cfg.addresses, socket: cfg.control.socket, callManager: cfg.callManager, pcap: cfg.capture.pcap },
    `condisd ${VERSION} started`,
  );

  stopOnSignals({
    log,
    shutdown: async () => {
      await server.close();
      await node.shutdown(3000);
      backend.dispose();
      await miniport.close();
      pcap?.close();
    },
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`condisd: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
