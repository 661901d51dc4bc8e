/** What exists of a lab (`lab status`): namespaces, links, addresses, netem, processes, problems. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRunRoot, labNameOf, labNsPrefix, type LabOptions } from './plan.js';
import { nsPidsAll, pidFileAlive, procCommand, readPidFiles } from './procs.js';
import { run } from '../common/sh.js';
import { pidAlive, readState } from './lab-file.js';
import { listNamespaces, NS_QUERIES, verifyLab } from './system.js';
import { describeNetem } from './topology.js';
import { mapConcurrent } from '../common/map-concurrent.js';

export interface LinkStatus {
  name: string;
  /** operstate: UP, DOWN, LOWERLAYERDOWN, UNKNOWN */
  state: string;
  mac: string;
  master?: string;
  addresses: string[];
  /** netem settings on the link, as tc prints them */
  netem?: string;
}

export interface NsStatus {
  ns: string;
  /** switch: the Ethernet segment's bridge; atm-switch: an ATM switch (condisd, role switch) */
  role: 'host' | 'switch' | 'router' | 'atm-switch';
  host?: string;
  exists: boolean;
  links: LinkStatus[];
}

export interface ProcessStatus {
  pid: number;
  alive: boolean;
  command: string;
  ns?: string;
  host?: string;
  /** the pid file's name, for processes the lab started */
  name?: string;
  pidFile?: string;
}

export interface LabStatus {
  name: string;
  runDir: string;
  /** up: complete; creating: an up in progress or interrupted; partial: namespaces missing or left over; absent: nothing */
  state: 'up' | 'creating' | 'partial' | 'absent';
  kind?: 'bridged' | 'routed';
  topologyFile?: string;
  namespaces: NsStatus[];
  processes: ProcessStatus[];
  /** expected netem per host link, from the topology */
  netem: { host: string; out: string; in: string }[];
  problems: string[];
}

async function linksOf(ns: string): Promise<LinkStatus[]> {
  const r = await run('ip', ['-n', ns, '-j', 'addr'], { allowFail: true });
  let links: { ifname: string; operstate?: string; address?: string; master?: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  try {
    links = JSON.parse(r.stdout);
  } catch {
    return [];
  }
  const tc = await run('tc', ['-n', ns, 'qdisc', 'show'], { allowFail: true });
  const netem = parseNetemQdiscs(tc.stdout);
  return links
    .filter((l) => l.ifname !== 'lo')
    .map((l) => ({
      name: l.ifname,
      state: l.operstate ?? '?',
      mac: l.address ?? '',
      ...(l.master ? { master: l.master } : {}),
      addresses: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      ...(netem.has(l.ifname) ? { netem: netem.get(l.ifname)! } : {}),
    }));
}

/** netem settings per device from `tc qdisc show` output: `qdisc netem 8001: dev eth1 root refcnt 2 limit 1000 delay 3ms loss 2%` -> eth1: `delay 3ms loss 2%`. */
export function parseNetemQdiscs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^qdisc netem \S+ dev (\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const rest = m[2]!.replace(/^(root|parent \S+)\s*/, '').replace(/^refcnt \d+\s*/, '').replace(/^limit \d+\s*/, '').trim();
    out.set(m[1]!, rest || 'netem');
  }
  return out;
}

/** What exists of a lab: namespaces, links, addresses, netem, processes. Never throws for a lab that is not up. */
export async function labStatus(nameOrFile: string, opts: LabOptions = {}): Promise<LabStatus> {
  const runRoot = opts.runRoot ?? defaultRunRoot();
  const name = labNameOf(nameOrFile);
  const runDir = join(runRoot, name);
  const state = readState(runDir);
  const prefix = labNsPrefix(name);
  const present = new Set((await listNamespaces()).filter((n) => n.startsWith(prefix)));
  const problems: string[] = [];
  const namespaces: NsStatus[] = [];
  const seen = new Set<string>();
  const add = (ns: string, role: NsStatus['role'], host?: string) => {
    seen.add(ns);
    const exists = present.has(ns);
    if (!exists && state) problems.push(`namespace ${ns} is missing`);
    namespaces.push({ ns, role, ...(host ? { host } : {}), exists, links: [] });
  };
  if (state) {
    add(state.plan.switchNs, state.plan.kind === 'bridged' ? 'switch' : 'router');
    for (const s of state.plan.switches ?? []) add(s.ns, 'atm-switch', s.name);
    for (const h of state.plan.hosts) add(h.ns, 'host', h.name);
  }
  for (const ns of [...present].sort()) {
    if (seen.has(ns)) continue;
    problems.push(`namespace ${ns} is not part of the lab's state${state ? '' : ' (no state file: run `lab down` to remove it)'}`);
    const host = ns.slice(prefix.length);
    add(ns, host.startsWith('_') ? 'switch' : 'host', host.startsWith('_') ? undefined : host);
  }
  // each namespace's links: independent queries, several at a time (NS_QUERIES); its processes: one walk of /proc
  const links = await mapConcurrent(namespaces, NS_QUERIES, async (n) => (n.exists ? linksOf(n.ns) : []));
  namespaces.forEach((n, i) => (n.links = links[i]!));
  const pidsIn = nsPidsAll(namespaces.filter((n) => n.exists).map((n) => n.ns));
  const processes: ProcessStatus[] = [];
  const seenPids = new Set<number>();
  for (const { file, info } of readPidFiles(runDir)) {
    const alive = pidFileAlive(info);
    seenPids.add(info.pid);
    const h = state?.plan.hosts.find((x) => x.name === info.host) ?? state?.plan.switches?.find((x) => x.name === info.host);
    processes.push({
      pid: info.pid,
      alive,
      command: alive ? procCommand(info.pid) : info.argv.join(' '),
      ...(h ? { ns: h.ns, host: h.name } : info.ns ? { ns: info.ns } : {}),
      name: info.name,
      pidFile: file,
    });
    if (!alive) problems.push(`process ${info.name} (pid ${info.pid}) is not running`);
  }
  for (const n of namespaces) {
    for (const pid of pidsIn.get(n.ns) ?? []) {
      if (seenPids.has(pid)) continue;
      seenPids.add(pid);
      processes.push({ pid, alive: true, command: procCommand(pid), ns: n.ns, ...(n.host ? { host: n.host } : {}) });
    }
  }
  let st: LabStatus['state'];
  if (!state && present.size === 0) st = existsSync(runDir) ? 'partial' : 'absent';
  else if (!state) st = 'partial';
  else if (state.phase === 'creating') {
    st = 'creating';
    problems.push(
      pidAlive(state.upPid) && state.upPid !== process.pid
        ? `an up is in progress (pid ${state.upPid})`
        : `the up started by pid ${state.upPid} did not finish: run \`lab down ${name}\` (or \`lab up\` again)`,
    );
  }
  else st = problems.some((p) => p.startsWith('namespace')) ? 'partial' : 'up';
  if (st === 'up' && state && !(await verifyLab(state.plan))) {
    st = 'partial';
    problems.push('links are missing (run `lab up` again to rebuild)');
  }
  return {
    name,
    runDir,
    state: st,
    ...(state ? { kind: state.plan.kind } : {}),
    ...(state?.topologyFile ? { topologyFile: state.topologyFile } : {}),
    namespaces,
    processes,
    netem: state ? state.plan.hosts.map((h) => ({ host: h.name, out: describeNetem(h.netemOut), in: describeNetem(h.netemIn) })) : [],
    problems,
  };
}
