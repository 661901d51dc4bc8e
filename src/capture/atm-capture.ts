/**
 * The daemon's ATM-layer capture: every AAL5 SDU it sends or receives, in one
 * of two forms.
 *
 * - `pcapng` (the default): one interface per link and per use, so stock
 *   Wireshark keeps the links apart and never guesses at user data:
 *   | interface | link type | what |
 *   |---|---|---|
 *   | `<peer>` | SunATM (123) | signalling with that peer, VPI 0/VCI 5: atm → sscop → q2931 |
 *   | `discovery` | SunATM (123) | announcements on VPI 0/VCI 16, sent (broadcast) and heard |
 *   | `<peer> VC <vpi>/<vci>` | upper PDU (252) | user data of one VC, handed to Wireshark's `data` dissector |
 *   `<peer>` is the peer's configured name, else its first ATM address, else
 *   its MAC (whatever `peerName` says when the first record for it is
 *   written); every interface's description names both ends and the MAC.
 *   Each packet carries its direction (epb_flags: inbound / outbound).
 * - `sunatm`: the classic single-link-type file (link type 123), as before:
 *   one 4-octet pseudo-header per record. Every link shares VPI 0/VCI 5 there,
 *   so a host with several links cannot be read per link; and Wireshark's ATM
 *   dissector guesses IPv4/IPv6/PPP/Ethernet from the first octets of user
 *   data (docs/wireshark.md).
 */
import { BROADCAST_MAC, type Mac } from '../common/mac.js';
import { VCI_DISCOVERY, VCI_SIGNALLING } from '../wire/constants.js';
import { LINKTYPE_SUNATM, openPcapWriter, sunAtmHeader, type Direction, type PcapFileOptions } from './pcap.js';
import { LINKTYPE_UPPER_PDU, openPcapngWriter, DATA_HEADER } from './pcapng.js';

export const ATM_CAPTURE_FORMATS = ['pcapng', 'sunatm'] as const;
export type AtmCaptureFormat = (typeof ATM_CAPTURE_FORMATS)[number];

export interface AtmCaptureOptions {
  /** default 'pcapng' */
  format?: AtmCaptureFormat;
  /** this host's name, for interface descriptions */
  self?: string;
  /** a name for the peer with this MAC (undefined: the MAC itself) */
  peerName?: (mac: Mac) => string | undefined;
  /** the file's mode and owner (default 0644, owned by whoever runs the daemon) */
  file?: PcapFileOptions;
  /** write records in batches of up to this many ms (default 0: each at once; pcap.ts, recordSink) */
  flushMs?: number;
}

export interface AtmCapture {
  readonly path: string;
  readonly format: AtmCaptureFormat;
  /** records written */
  readonly records: number;
  /** one SDU sent to (`tx`) or received from (`rx`) `peer` on VPI/VCI */
  record(direction: Direction, vpi: number, vci: number, sdu: Buffer, peer: Mac, tsMs?: number): void;
  close(): void;
}

/** Create (truncate) the capture file. Throws the file system's error, or RangeError on an unknown format. */
export function openAtmCapture(path: string, opts: AtmCaptureOptions = {}): AtmCapture {
  const format = opts.format ?? 'pcapng';
  if (format === 'sunatm') {
    const w = openPcapWriter(path, LINKTYPE_SUNATM, opts.file, opts.flushMs);
    return {
      path,
      format,
      get records() {
        return w.records;
      },
      record: (direction, vpi, vci, sdu, _peer, tsMs) => w.writeSunAtm({ direction, vpi, vci, sdu }, tsMs),
      close: () => w.close(),
    };
  }
  if (format !== 'pcapng') throw new RangeError(`capture format '${String(format)}' is neither ${ATM_CAPTURE_FORMATS.join(' nor ')}`);
  const self = opts.self ?? 'this host';
  const w = openPcapngWriter(path, { application: `condis-tap condisd (${self})`, file: opts.file, flushMs: opts.flushMs });
  const ids = new Map<string, number>();
  const nameOf = (mac: Mac) => opts.peerName?.(mac) ?? mac;
  const iface = (key: string, make: () => { linkType: number; name: string; description: string }): number => {
    let id = ids.get(key);
    if (id === undefined) {
      id = w.addInterface(make());
      ids.set(key, id);
    }
    return id;
  };
  return {
    path,
    format,
    get records() {
      return w.records;
    },
    record(direction, vpi, vci, sdu, peer, tsMs) {
      const o = { direction, ...(tsMs !== undefined ? { tsMs } : {}) };
      if (vpi === 0 && vci === VCI_DISCOVERY) {
        const id = iface('discovery', () => ({ linkType: LINKTYPE_SUNATM, name: 'discovery', description: `${self}: neighbour discovery, VPI 0/VCI 16 (sent to ${BROADCAST_MAC}, heard from every peer)` }));
        w.write(id, [sunAtmHeader({ direction, vpi, vci }), sdu], o);
        return;
      }
      if (vpi === 0 && vci === VCI_SIGNALLING) {
        const id = iface(`sig ${peer}`, () => {
          const name = nameOf(peer);
          return { linkType: LINKTYPE_SUNATM, name, description: `${self} <-> ${name} (${peer}): signalling, VPI 0/VCI 5` };
        });
        w.write(id, [sunAtmHeader({ direction, vpi, vci }), sdu], o);
        return;
      }
      const id = iface(`vc ${peer} ${vpi}/${vci}`, () => {
        const name = nameOf(peer);
        return { linkType: LINKTYPE_UPPER_PDU, name: `${name} VC ${vpi}/${vci}`, description: `${self} <-> ${name} (${peer}): user data, VPI ${vpi}/VCI ${vci}` };
      });
      w.write(id, [DATA_HEADER, sdu], o);
    },
    close: () => w.close(),
  };
}
