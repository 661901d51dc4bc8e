/**
 * The miniport layer: `openMiniport(config)` opens one backend behind the
 * `Miniport` interface (types.ts). Failures are `MiniportError`s with a code.
 */
import { MiniportError } from './errors.js';
import { openMemory } from './memory.js';
import { openTap } from './tap.js';
import type { Miniport, MiniportConfig } from './types.js';

export type { Miniport, MiniportConfig, MiniportCounters, MemoryWireOptions } from './types.js';
export { MiniportError, type MiniportErrorCode } from './errors.js';
export { DEFAULT_ETHERTYPE } from './common.js';
export { openMemorySync, seededRandom } from './memory.js';
export { inNetns } from './native.js';

export async function openMiniport(cfg: MiniportConfig): Promise<Miniport> {
  switch (cfg?.kind) {
    case 'tap':
      return openTap(cfg);
    case 'memory':
      return openMemory(cfg);
    case 'nic':
      return (await import('./nic.js')).openNic(cfg);
    case 'etherip':
      return (await import('./etherip.js')).openEtherIp(cfg);
    default:
      throw new MiniportError('BAD_CONFIG', `miniport kind '${String((cfg as { kind?: unknown })?.kind)}' is not one of tap, nic, etherip, memory`);
  }
}
