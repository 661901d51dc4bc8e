/**
 * `nic` backend: a real NIC through libpcap, for hosts whose NIC should not
 * be bridged. A BPF filter keeps only our EtherType addressed to the NIC's
 * MAC or to a group address (and not our own transmissions, which a packet
 * socket also sees); frames go out with pcap_inject and carry the NIC's MAC
 * as source.
 *
 * Two bindings: 'addon' (default), libpcap driven by our N-API helper, and
 * 'cap' (npm `cap`). cap asserts on any socket error from its poll and so
 * aborts the whole process when the NIC is set down or removed; the addon
 * reports that instead: a link going down is survived (frames flow again when
 * it comes back up), a device that disappears ends frames$ with NO_DEVICE.
 */
import { Subject } from 'rxjs';
import { run } from '../common/sh.js';
import { checkEtherType, checkIfName, hasEtherType, newCounters } from './common.js';
import { MiniportError } from './errors.js';
import { inNetns, loadNative } from './native.js';
import { newCap } from './libpcap.js';
import type { Miniport, MiniportConfig } from './types.js';

export type NicConfig = Extract<MiniportConfig, { kind: 'nic' }>;

interface PcapIo {
  send(frame: Buffer): boolean;
  close(): void;
}

function pcapError(where: string, e: unknown): MiniportError {
  if (e instanceof MiniportError) return e;
  const said = (e as Error).message;
  const code = /permission|not permitted/i.test(said)
    ? 'PERMISSION'
    : /no such device|doesn't exist|not ethernet/i.test(said)
      ? /not ethernet/i.test(said)
        ? 'WRONG_DEVICE'
        : 'NO_DEVICE'
      : 'SYSTEM';
  return new MiniportError(code, `${where}: libpcap could not open the device: ${said}`, undefined, { cause: e });
}

export async function openNic(cfg: NicConfig): Promise<Miniport> {
  const device = checkIfName(cfg.device, 'nic', 'NIC');
  const where = `nic '${device}'${cfg.netns ? ` in namespace '${cfg.netns}'` : ''}`;
  const etherType = checkEtherType(cfg.etherType, where);
  if (cfg.binding !== undefined && cfg.binding !== 'addon' && cfg.binding !== 'cap') {
    throw new MiniportError('BAD_CONFIG', `${where}: binding '${String(cfg.binding)}' is neither 'addon' nor 'cap'`);
  }
  const ip = (args: string[]) => run('ip', [...(cfg.netns ? ['-n', cfg.netns] : []), ...args], { allowFail: true });

  const r = await ip(['-j', 'link', 'show', 'dev', device]);
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

  const counters = newCounters();
  const frames = new Subject<Buffer>();
  let closed = false;
  const deliver = (f: Buffer): void => {
    if (!hasEtherType(f, etherType)) {
      counters.rxDropped++;
      return;
    }
    counters.rxFrames++;
    counters.rxBytes += f.length;
    frames.next(f);
  };

  // the link comes up when we use it: before libpcap opens it (pcap_activate refuses a device that is down,
  // as a VM's second NIC is until configured)
  if (!link.flags?.includes('UP')) await ip(['link', 'set', 'dev', device, 'up']);

  let io: PcapIo;
  let close = async (): Promise<void> => {};
  if (cfg.binding === 'cap') {
    const cap = newCap(where);
    const buffer = Buffer.alloc(65535);
    try {
      const linkType = inNetns(cfg.netns, () => cap.open(device, filter, 4 << 20, buffer));
      if (linkType !== 'ETHERNET') {
        cap.close();
        throw new MiniportError('WRONG_DEVICE', `${where}: libpcap link type is ${linkType}, not ETHERNET`);
      }
    } catch (e) {
      throw pcapError(where, e);
    }
    cap.on('packet', (nbytes, truncated) => {
      if (truncated) counters.rxDropped++;
      else deliver(Buffer.from(buffer.subarray(0, nbytes)));
    });
    io = {
      send(frame) {
        try {
          cap.send(frame, frame.length);
          return true;
        } catch {
          return false;
        }
      },
      close() {
        cap.removeAllListeners();
        cap.close();
      },
    };
  } else {
    const native = loadNative();
    let ending: Promise<void> | undefined;
    let pcap;
    try {
      pcap = inNetns(cfg.netns, () =>
        new native.PcapReader(
          device,
          filter,
          64,
          (batch) => {
            for (const f of batch) deliver(f);
          },
          (_errno, message) => {
            // ENETDOWN: the link went down (we keep listening) or the device is gone (we end)
            if (closed || ending) return;
            ending = ip(['link', 'show', 'dev', device]).then((still) => {
              ending = undefined;
              if (still.code === 0 || closed) return;
              closed = true;
              io.close();
              frames.error(new MiniportError('NO_DEVICE', `${where}: the device went away (libpcap: ${message})`, 'ENETDOWN'));
            });
          },
        ),
      );
    } catch (e) {
      throw pcapError(where, e);
    }
    const p = pcap;
    io = { send: (frame) => p.send(frame) >= 0, close: () => p.close() };
    close = async () => {
      await ending;
    };
  }
  return {
    name: `nic:${device}`,
    mac,
    mtu: link.mtu,
    frames$: frames.asObservable(),
    // libpcap injects each frame (pcap_sendpacket / pcap_inject) before send returns
    sendCopies: true,
    send(frame: Buffer): void {
      if (!closed && io.send(frame)) {
        counters.txFrames++;
        counters.txBytes += frame.length;
      } else counters.txErrors++;
    },
    counters: () => ({ ...counters }),
    async close(): Promise<void> {
      if (closed) return close();
      closed = true;
      io.close();
      await close();
      frames.complete();
    },
  };
}
