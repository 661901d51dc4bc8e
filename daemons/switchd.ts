/**
 * condisd with `role: switch`: a signalling ATM switch (docs/switch.md). Opens
 * each port's miniport, runs the switch, serves status over the control
 * socket, and stops cleanly on SIGTERM / SIGINT / SIGHUP (calls released, SSCOP
 * associations ended, devices released, exit 0).
 */
import type { Logger } from 'pino';
import type { SwitchConfig } from '../src/config/index.js';
import { checkSocketPath, startControlServer, type ControlServer } from '../src/control/server.js';
import { sscopParamsFromConfig } from '../src/host/from-config.js';
import { openMiniport, MiniportError } from '../src/miniport/index.js';
import type { Miniport } from '../src/miniport/types.js';
import { createSwitch, openSwitchCapture, type SwitchCapture } from '../src/switch/index.js';
import { SwitchControlBackend } from '../src/switch/control.js';
import { stopOnSignals } from './run-until-signal.js';

export interface SwitchRunOptions {
  /** write a capture: one pcapng file, an interface per port (src/switch/capture.ts) */
  pcap?: string;
}

export async function runSwitch(cfg: SwitchConfig, log: Logger, version: string, run: SwitchRunOptions = {}): Promise<void> {
  // the control socket first, as for a host: a second switch with the same socket must not touch the first one's ports
  try {
    await checkSocketPath(cfg.control.socket);
  } catch (e) {
    process.stderr.write(`condisd: control socket ${cfg.control.socket}: ${(e as Error).message}; not opening the switch ports\n`);
    process.exit(1);
  }
  const miniports: Miniport[] = [];
  for (const p of cfg.ports) {
    try {
      miniports.push(await openMiniport(p.miniport));
    } catch (e) {
      for (const m of miniports) await m.close();
      if (e instanceof MiniportError) {
        process.stderr.write(`condisd: port ${p.name}: ${e.message}\n`);
        process.exit(1);
      }
      throw e;
    }
  }
  let pcap: SwitchCapture | undefined;
  if (run.pcap) {
    // a name for each port's configured hosts (others by MAC); the file is for whoever asked for it (sudo's user)
    const names = new Map(cfg.ports.flatMap((p) => p.hosts.filter((h) => h.name).map((h) => [`${p.name} ${h.mac.toLowerCase()}`, h.name!] as const)));
    const uid = Number(process.env.SUDO_UID);
    const gid = Number(process.env.SUDO_GID);
    const owner = process.getuid?.() === 0 && uid > 0 ? { uid, gid: gid > 0 ? gid : uid } : undefined;
    try {
      pcap = openSwitchCapture(run.pcap, { self: cfg.name, peerName: (port, mac) => names.get(`${port} ${mac}`), file: { mode: 0o644, ...(owner ? { owner } : {}) } });
    } catch (e) {
      process.stderr.write(`condisd: capture file ${run.pcap}: ${(e as Error).message}\n`);
      for (const m of miniports) await m.close();
      process.exit(1);
    }
  }
  const etherType = cfg.ports.map((p) => ('etherType' in p.miniport ? p.miniport.etherType : undefined)).find((x) => x !== undefined);
  const sw = createSwitch({
    name: cfg.name,
    ports: cfg.ports.map((p, i) => ({ name: p.name, miniport: miniports[i]!, hosts: p.hosts, side: p.side })),
    routes: cfg.routes,
    discovery: {
      enabled: cfg.discovery.enabled,
      intervalMs: cfg.discovery.interval,
      holdTimeMs: cfg.discovery.holdTime,
      ...(cfg.discovery.auth ? { auth: { key: cfg.discovery.auth.key.reveal(), maxAgeMs: cfg.discovery.auth.maxAge } } : {}),
    },
    ...(cfg.allowPeers ? { allowPeers: cfg.allowPeers } : {}),
    sscop: sscopParamsFromConfig({ timers: cfg.timers } as Parameters<typeof sscopParamsFromConfig>[0]),
    uniTimers: cfg.timers.uni,
    limits: cfg.limits,
    ...(etherType !== undefined ? { etherType } : {}),
    log: log.child({ layer: 'switch' }),
    ...(pcap ? { capture: pcap.record } : {}),
  });
  const backend = new SwitchControlBackend(sw, { version });
  let server: ControlServer;
  try {
    server = await startControlServer(backend, {
      path: cfg.control.socket,
      mode: cfg.control.mode,
      serverName: `condisd ${version} (switch ${cfg.name})`,
      logger: log.child({ layer: 'control' }),
    });
  } catch (e) {
    process.stderr.write(`condisd: control socket ${cfg.control.socket}: ${(e as Error).message}\n`);
    await sw.shutdown(0);
    for (const m of miniports) await m.close();
    process.exit(1);
  }
  log.info(
    { ports: cfg.ports.map((p, i) => `${p.name}=${miniports[i]!.name}`), routes: cfg.routes.length, socket: cfg.control.socket, ...(pcap ? { pcap: pcap.path } : {}) },
    `condisd ${version} started as switch ${cfg.name}`,
  );

  // a stop, as for a host (daemons/condisd.ts): ports and routes cannot change under live calls
  stopOnSignals({
    log,
    shutdown: async () => {
      await server.close();
      await sw.shutdown(3000);
      for (const m of miniports) await m.close();
      pcap?.close();
      return pcap ? { captured: pcap.records } : {};
    },
  });
}
