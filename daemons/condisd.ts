#!/usr/bin/env -S node --import tsx
/**
 * condisd: the condis-tap daemon. One host: a miniport (TAP device, real NIC,
 * EtherIP, or memory), SSCOP links to its peers, Q.2931/Q.2971 signalling,
 * CoNDIS on top, and a control socket for condisctl and programs.
 *
 *   condisd --config config/host-a.yaml [--pcap FILE] [--log-level debug] [--pretty]
 *
 * SIGTERM / SIGINT: every call released with a normal cause, every SSCOP
 * association ended, the device released, exit 0.
 */
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { readFileSync } from 'node:fs';
import { loadConfig, ConfigError, type HostConfig } from '../src/config/index.js';
import { openMiniport, MiniportError } from '../src/miniport/index.js';
import { CondisNode } from '../src/host/node.js';
import { nodeOptionsFromConfig } from '../src/host/from-config.js';
import { NodeControlBackend } from '../src/host/backend.js';
import { checkSocketPath, startControlServer, type ControlServer } from '../src/control/server.js';
import { openPcapWriter, type PcapWriter } from '../src/capture/pcap.js';
import type { Miniport } from '../src/miniport/types.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

interface Options {
  config: string;
  pcap?: string;
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
    .option('--pcap <file>', 'write every frame sent and received as a SunATM pcap (overrides capture.pcap)')
    .option('--socket <path>', 'control socket path (overrides control.socket)')
    .option('--log-level <level>', `log level: ${LEVELS.join(', ')}`, (v) => {
      if (!(LEVELS as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${LEVELS.join(', ')}`);
      return v;
    })
    .option('--pretty', 'human-readable log lines')
    .addHelpText('after', '\nExamples:\n  condisd --config config/host-a.yaml\n  condisd -c config/host-b.yaml --pcap /tmp/b.pcap --pretty\n')
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
  let cfg: HostConfig;
  try {
    cfg = await loadConfig(opts.config);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`condisd: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (opts.socket) cfg.control.socket = opts.socket;
  if (opts.pcap) cfg.capture.pcap = opts.pcap;
  if (opts.logLevel) cfg.log.level = opts.logLevel;
  if (opts.pretty) cfg.log.pretty = true;

  const log = pino(
    { name: cfg.name, level: cfg.log.level, base: { host: cfg.name } },
    cfg.log.pretty ? pino.transport({ target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' } }) : pino.destination(2),
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

  let pcap: PcapWriter | undefined;
  if (cfg.capture.pcap) pcap = openPcapWriter(cfg.capture.pcap, 123);

  const node = new CondisNode(
    nodeOptionsFromConfig(cfg, miniport, {
      capture: pcap ? (direction, vpi, vci, sdu) => pcap!.writeSunAtm({ direction, vpi, vci, sdu }) : undefined,
      log: log.child({ layer: 'node' }),
    }),
  );
  const backend = await NodeControlBackend.create(node, { version: VERSION, miniport: miniport.name });

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

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: releasing calls, ending SSCOP associations');
    const hard = setTimeout(() => {
      log.warn({}, 'shutdown took too long; exiting');
      process.exit(1);
    }, 8000);
    hard.unref();
    await server.close();
    await node.shutdown(3000);
    backend.dispose();
    await miniport.close();
    pcap?.close();
    log.info({}, 'stopped');
    log.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`condisd: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
