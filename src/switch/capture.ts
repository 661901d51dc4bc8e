/**
 * The switch's capture: one pcapng file with an interface per port, named for
 * the port, in the form condisd's own captures have (src/capture/atm-capture.ts),
 * so stock Wireshark reads it the same way:
 *
 * | interface | link type | what |
 * |---|---|---|
 * | `<port>` | SunATM (123) | signalling with the host on the port, VPI 0/VCI 5: atm → sscop → q2931 |
 * | `<port> <host>` | SunATM (123) | signalling with a second (third ...) host on the same port |
 * | `<port> discovery` | SunATM (123) | announcements on VPI 0/VCI 16, sent and heard on the port |
 * | `<port> VC <vpi>/<vci>` | upper PDU (252) | user data switched in or out on that VC of the port |
 *
 * Channel (DTE->DCE) is what the switch sent, as in a host's capture: `tx`.
 * Each interface's description names the switch, the port and the peer's MAC.
 */
import type { Mac } from '../common/mac.js';
import { LINKTYPE_SUNATM, sunAtmHeader, type Direction, type PcapFileOptions } from '../capture/pcap.js';
import { LINKTYPE_UPPER_PDU, openPcapngWriter, DATA_HEADER } from '../capture/pcapng.js';
import { VCI_DISCOVERY, VCI_SIGNALLING } from '../wire/constants.js';

/** One SDU sent (`tx`) or received (`rx`) on a port, to or from `peer`. */
export type SwitchCaptureHook = (port: string, direction: Direction, vpi: number, vci: number, sdu: Buffer, peer: Mac) => void;

export interface SwitchCapture {
  readonly path: string;
  readonly records: number;
  record: SwitchCaptureHook;
  close(): void;
}

export interface SwitchCaptureOptions {
  /** the switch's name, for descriptions */
  self: string;
  /** a name for the host with this MAC on a port (undefined: its MAC) */
  peerName?: (port: string, mac: Mac) => string | undefined;
  file?: PcapFileOptions;
}

/** Create (truncate) the capture file; throws the file system's error. */
export function openSwitchCapture(path: string, opts: SwitchCaptureOptions): SwitchCapture {
  const w = openPcapngWriter(path, { application: `condis-tap condisd (switch ${opts.self})`, file: opts.file });
  const ids = new Map<string, number>();
  /** ports that already have their bare-named signalling interface */
  const named = new Set<string>();
  const iface = (key: string, make: () => { linkType: number; name: string; description: string }): number => {
    let id = ids.get(key);
    if (id === undefined) {
      id = w.addInterface(make());
      ids.set(key, id);
    }
    return id;
  };
  const who = (port: string, mac: Mac) => opts.peerName?.(port, mac) ?? mac;
  return {
    path,
    get records() {
      return w.records;
    },
    record(port, direction, vpi, vci, sdu, peer, tsMs?: number) {
      const o = { direction, ...(tsMs !== undefined ? { tsMs } : {}) };
      if (vpi === 0 && vci === VCI_DISCOVERY) {
        const id = iface(`disc ${port}`, () => ({ linkType: LINKTYPE_SUNATM, name: `${port} discovery`, description: `switch ${opts.self} port ${port}: neighbour discovery, VPI 0/VCI 16` }));
        w.write(id, [sunAtmHeader({ direction, vpi, vci }), sdu], o);
        return;
      }
      if (vpi === 0 && vci === VCI_SIGNALLING) {
        const id = iface(`sig ${port} ${peer}`, () => {
          const name = named.has(port) ? `${port} ${who(port, peer)}` : port;
          named.add(port);
          return { linkType: LINKTYPE_SUNATM, name, description: `switch ${opts.self} port ${port} <-> ${who(port, peer)} (${peer}): signalling, VPI 0/VCI 5` };
        });
        w.write(id, [sunAtmHeader({ direction, vpi, vci }), sdu], o);
        return;
      }
      const id = iface(`vc ${port} ${peer} ${vpi}/${vci}`, () => ({
        linkType: LINKTYPE_UPPER_PDU,
        name: `${port} VC ${vpi}/${vci}`,
        description: `switch ${opts.self} port ${port} <-> ${who(port, peer)} (${peer}): user data, VPI ${vpi}/VCI ${vci}`,
      }));
      w.write(id, [DATA_HEADER, sdu], o);
    },
    close: () => w.close(),
  };
}
