/**
 * The host every bench and profile runs: static peers, no discovery, close data
 * allowed, the integrated call manager answering PENDING.
 */
import type { NodeOptions } from '../src/host/node.js';
import type { Miniport } from '../src/miniport/types.js';

export function benchNodeOptions(name: string, miniport: Miniport, address: string, peers: NodeOptions['peers']): NodeOptions {
  return {
    name,
    miniport,
    addresses: [address],
    role: 'auto',
    peers,
    discovery: { enabled: false, intervalMs: 500, holdTimeMs: 2000 },
    closeData: { allowed: true, maxOctets: 127 },
    callManager: { shape: 'mcm', completion: 'pending' },
  };
}
