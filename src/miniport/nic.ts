/**
 * `nic` backend: a real NIC through libpcap (npm `cap`), for hosts whose NIC
 * should not be bridged. A BPF filter keeps only our EtherType addressed to
 * the NIC's MAC or to a group address (and not our own transmissions, which
 * a packet socket also sees); frames go out with pcap_sendpacket and carry
 * the NIC's MAC as source.
 */
import { Subject } from 'rxjs';
import { run } from '../lab/sh.js';
import { checkEtherType, checkIfName, hasEtherType, newCounters } from './common.js';
import { MiniportError } from './errors.js';
import { inNetns } from './native.js';
import { newCap } from './pcap.js';
import type { Miniport, MiniportConfig } from './types.js';

export type NicConfig = Extract<MiniportConfig, { kind: 'nic' }>;

export async function openNic(cfg: NicConfig): Promise<Miniport> {
  const device = checkIfName(cfg.device, 'nic', 'NIC');
  const where = `nic '${device}'${cfg.netns ? ` in namespace '${cfg.netns}'` : ''}`;
  const etherType = checkEtherType(cfg.etherType, where);

  const r = await run('ip', [...(cfg.netns ? ['-n', cfg.netns] : []), '-j', 'link', 'show', 'dev', device], { allowFail: true });
  if (r.code !== 0) {
    if (cfg.netns && /netns|namespace/i.test(r.stderr)) throw new MiniportError('NO_DEVICE', `${where}: ${r.stderr.trim()}`);
    throw new MiniportError('NO_DEVICE', `${where}: no such network device (ip said: ${r.stderr.trim() || 'nothing'})`);
  }
  const link = (JSON.parse(r.stdout) as { address?: string; mtu: number; link_type?: string; flags?: string[] }[])[0]!;
  if (link.link_type !== 'ether' || !link.address) {
    throw new MiniportError('WRONG_DEVICE', `${where}: not an Ethernet device (link type '${String(link.link_type)}')`);
  }
  const mac = link.address.toLowerCase();

  const hex = `0x${etherType.toString(16).padStart(4, '0')}`;
  const filter = `ether proto ${hex} and (ether dst ${mac} or ether multicast)${cfg.loopback ? '' : ` and not ether src ${mac}`}`;
  const cap = newCap(where);
  const buffer = Buffer.alloc(65535);
  try {
    const linkType = inNetns(cfg.netns, () => cap.open(device, filter, 4 << 20, buffer));
    if (linkType !== 'ETHERNET') {
      cap.close();
      throw new MiniportError('WRONG_DEVICE', `${where}: libpcap link type is ${linkType}, not ETHERNET`);
    }
  } catch (e) {
    if (e instanceof MiniportError) throw e;
    const said = (e as Error).message;
    const code = /permission|not permitted/i.test(said) ? 'PERMISSION' : /no such device|doesn't exist/i.test(said) ? 'NO_DEVICE' : 'SYSTEM';
    throw new MiniportError(code, `${where}: libpcap could not open the device: ${said}`, undefined, { cause: e });
  }
  // the link comes up when we use it
  if (!link.flags?.includes('UP')) await run('ip', [...(cfg.netns ? ['-n', cfg.netns] : []), 'link', 'set', 'dev', device, 'up'], { allowFail: true });

  const counters = newCounters();
  const frames = new Subject<Buffer>();
  let closed = false;
  cap.on('packet', (nbytes, truncated) => {
    if (truncated || !hasEtherType(buffer, etherType) || nbytes < 14) {
      counters.rxDropped++;
      return;
    }
    counters.rxFrames++;
    counters.rxBytes += nbytes;
    frames.next(Buffer.from(buffer.subarray(0, nbytes)));
  });

  return {
    name: `nic:${device}`,
    mac,
    mtu: link.mtu,
    frames$: frames.asObservable(),
    send(frame: Buffer): void {
      if (closed) {
        counters.txErrors++;
        return;
      }
      try {
        cap.send(frame, frame.length);
        counters.txFrames++;
        counters.txBytes += frame.length;
      } catch {
        counters.txErrors++;
      }
    },
    counters: () => ({ ...counters }),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      cap.removeAllListeners();
      cap.close();
      frames.complete();
    },
  };
}
