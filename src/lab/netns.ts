/**
 * Network namespaces and links for labs and tests. Names are unique per
 * process (parallel tests never collide) and short enough for Linux interface
 * names (15 characters). Everything created is remembered so `destroyAll()`
 * can remove it even after a failure.
 */
import { run, runSync, type RunResult } from '../common/sh.js';

let counter = 0;

/** A name unique to this process and call: prefix + pid (base 36) + counter, at most 15 characters. */
export function uniqueName(prefix: string): string {
  const tail = `${process.pid.toString(36)}${(counter++).toString(36)}`;
  return `${prefix.slice(0, Math.max(1, 15 - tail.length))}${tail}`;
}

export class Netns {
  private constructor(readonly name: string) {}

  static async create(name: string): Promise<Netns> {
    await run('ip', ['netns', 'add', name]);
    const ns = new Netns(name);
    live.add(ns);
    await ns.ip(['link', 'set', 'lo', 'up']);
    return ns;
  }

  /**
   * A handle on a namespace that already exists (made by another process, such
   * as a lab's): not tracked here, so destroyAll() leaves it to its owner.
   */
  static attach(name: string): Netns {
    return new Netns(name);
  }

  /** Run a command inside the namespace. */
  exec(cmd: string, args: string[], opts?: { allowFail?: boolean; timeoutMs?: number }): Promise<RunResult> {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** `ip ARGS` inside the namespace. */
  ip(args: string[], opts?: { allowFail?: boolean }): Promise<RunResult> {
    return run('ip', ['-n', this.name, ...args], opts);
  }

  /** Argument vector prefix to start a long-running process in this namespace. */
  spawnArgs(cmd: string, args: string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.name, cmd, ...args]];
  }

  /** Delete the namespace (its interfaces go with it); idempotent. */
  async destroy(): Promise<void> {
    live.delete(this);
    await run('ip', ['netns', 'del', this.name], { allowFail: true });
  }
}

const live = new Set<Netns>();

/** Synchronously delete every namespace this process created (for exit handlers). */
export function destroyAllSync(): void {
  for (const ns of live) runSync('ip', ['netns', 'del', ns.name]);
  live.clear();
}

export async function destroyAll(): Promise<void> {
  await Promise.all([...live].map((ns) => ns.destroy()));
}

/** A veth pair with one end in each namespace (either may be undefined = the current namespace). */
export async function createVeth(a: { ns?: Netns; name: string }, b: { ns?: Netns; name: string }): Promise<void> {
  await run('ip', ['link', 'add', a.name, 'type', 'veth', 'peer', 'name', b.name]);
  for (const end of [a, b]) {
    if (end.ns) await run('ip', ['link', 'set', end.name, 'netns', end.ns.name]);
    await run('ip', [...(end.ns ? ['-n', end.ns.name] : []), 'link', 'set', end.name, 'up']);
  }
}

/** A Linux bridge inside a namespace (a lab's shared segment). */
export async function createBridge(ns: Netns, name: string): Promise<void> {
  await ns.ip(['link', 'add', name, 'type', 'bridge']);
  // no STP and no forwarding delay: ports forward at once
  await ns.ip(['link', 'set', name, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  await ns.ip(['link', 'set', name, 'up']);
}

/** Two namespaces, each with a bridge, joined by a veth pair between the bridges. */
export interface BridgedPair {
  a: { ns: Netns; bridge: string };
  b: { ns: Netns; bridge: string };
  destroy(): Promise<void>;
}

/**
 * Two "hosts" (namespaces `a` and `b`) on one Ethernet segment: each has a
 * bridge (where a TAP can be enslaved), and a veth pair joins the bridges.
 * `destroy()` removes both namespaces; also call it when creation fails halfway.
 */
export async function createBridgedPair(prefix = 'bp'): Promise<BridgedPair> {
  const made: Netns[] = [];
  const destroy = async (): Promise<void> => {
    await Promise.all(made.map((ns) => ns.destroy()));
  };
  try {
    const nsA = await Netns.create(uniqueName(`${prefix}a`));
    made.push(nsA);
    const nsB = await Netns.create(uniqueName(`${prefix}b`));
    made.push(nsB);
    const brA = uniqueName('bra');
    const brB = uniqueName('brb');
    await createBridge(nsA, brA);
    await createBridge(nsB, brB);
    const va = uniqueName('va');
    const vb = uniqueName('vb');
    await createVeth({ ns: nsA, name: va }, { ns: nsB, name: vb });
    await nsA.ip(['link', 'set', va, 'master', brA]);
    await nsB.ip(['link', 'set', vb, 'master', brB]);
    return { a: { ns: nsA, bridge: brA }, b: { ns: nsB, bridge: brB }, destroy };
  } catch (e) {
    await destroy();
    throw e;
  }
}

/** Two hosts on different IPv4 subnets and the router namespace between them. */
export interface RoutedPair {
  a: { ns: Netns; addr: string; dev: string };
  b: { ns: Netns; addr: string; dev: string };
  router: Netns;
  destroy(): Promise<void>;
}

/**
 * Hosts `a` (10.1.0.2/24) and `b` (10.2.0.2/24) in their own namespaces,
 * each joined by a veth pair to a third namespace that forwards IPv4 between
 * 10.1.0.1/24 and 10.2.0.1/24; each host's default route points at the
 * router. Addresses are private to the namespaces. `subnets` picks other
 * second octets (default [1, 2]).
 */
export async function createRoutedPair(prefix = 'rp', subnets: [number, number] = [1, 2]): Promise<RoutedPair> {
  const made: Netns[] = [];
  const destroy = async (): Promise<void> => {
    await Promise.all(made.map((ns) => ns.destroy()));
  };
  try {
    const router = await Netns.create(uniqueName(`${prefix}r`));
    made.push(router);
    await router.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    const hosts: { ns: Netns; addr: string; dev: string }[] = [];
    for (const [i, net] of subnets.entries()) {
      const ns = await Netns.create(uniqueName(`${prefix}${'ab'[i]}`));
      made.push(ns);
      const dev = uniqueName('eh');
      const rdev = uniqueName('er');
      await createVeth({ ns, name: dev }, { ns: router, name: rdev });
      await router.ip(['addr', 'add', `10.${net}.0.1/24`, 'dev', rdev]);
      await ns.ip(['addr', 'add', `10.${net}.0.2/24`, 'dev', dev]);
      await ns.ip(['route', 'add', 'default', 'via', `10.${net}.0.1`]);
      hosts.push({ ns, addr: `10.${net}.0.2`, dev });
    }
    return { a: hosts[0]!, b: hosts[1]!, router, destroy };
  } catch (e) {
    await destroy();
    throw e;
  }
}
