/**
 * The host's frame routing: every received frame is read once through the
 * wire layer's view (src/wire/frame-view.ts: addresses and VC as numbers, the
 * AAL5 trailer located and its CRC checked once, the SDU as a view into the
 * frame) and handed to what its VC carries; every frame sent goes out here,
 * counted and captured. No frame offset is read in this file.
 *
 * - VPI 0 / VCI 5, signalling: to the SAAL link of the source MAC (peers.ts).
 * - VPI 0 / VCI 16, discovery: to the peer table (peers.ts).
 * - any other VC: user data, to NDIS's data path (datapath.ts) by source MAC
 *   and VC, without a record, a MAC string or a copy.
 */
import type { Mac } from '../common/mac.js';
import type { Miniport } from '../miniport/types.js';
import { cellHeader, emitFrame, FrameView, macNumber, VCI_DISCOVERY, VCI_SIGNALLING, type MacNumber } from '../wire/index.js';
import type { WireDataPath } from './datapath.js';
import type { NodeCounters } from './node-types.js';

/** ff:ff:ff:ff:ff:ff */
const BROADCAST: MacNumber = 2 ** 48 - 1;

/** what the router hands up; each returns a drop reason when it refuses the SDU */
export interface RouterHooks {
  /** an SSCOP PDU from `src` (VCI 5, addressed to this host); the PDU may be kept (it is the router's to give) */
  signalling(src: Mac, pdu: Buffer): string | undefined;
  /** a discovery announcement from `src` (VCI 16); a view into the frame, valid during the call */
  discovery(src: Mac, sdu: Buffer): void;
}

export interface RouterOptions {
  mac: Mac;
  etherType: number;
  miniport: Miniport;
  counters: NodeCounters;
  dataPath: WireDataPath;
  /** only these MACs may speak signalling or discovery to this host; absent: anyone */
  allowed?: ReadonlySet<Mac>;
  capture?: (dir: 'tx' | 'rx', vpi: number, vci: number, sdu: Buffer, peer: Mac) => void;
  hooks: RouterHooks;
}

export class FrameRouter {
  private readonly view: FrameView;
  private readonly me: MacNumber;

  constructor(private readonly o: RouterOptions) {
    this.view = new FrameView(o.etherType);
    this.me = macNumber(o.mac);
  }

  drop(reason: string): void {
    const d = this.o.counters.drops;
    d[reason] = (d[reason] ?? 0) + 1;
  }

  /** one received frame, handled to completion */
  receive(buf: Buffer): void {
    const c = this.o.counters;
    c.framesIn++;
    const v = this.view.wrap(buf);
    if (!v.check()) return this.drop(v.errorCode());
    const src = v.src;
    if (src === this.me) return this.drop('own-frame');
    const dst = v.dst;
    if (dst !== this.me && dst !== BROADCAST) return this.drop('not-for-us');
    const vc = v.vcKey;
    const capture = this.o.capture;
    if (capture) capture('rx', vc >>> 16, vc & 0xffff, v.sdu, v.srcMac);
    if (vc === VCI_SIGNALLING || vc === VCI_DISCOVERY) {
      const from = v.srcMac;
      if (this.o.allowed && !this.o.allowed.has(from)) return this.drop(vc === VCI_SIGNALLING ? 'not-allowed-signalling' : 'not-allowed-discovery');
      if (vc === VCI_DISCOVERY) return this.o.hooks.discovery(from, v.sdu);
      if (dst !== this.me) return this.drop('signalling-broadcast');
      // SSCOP may keep the SDU (receive window): a view will do when the miniport handed the frame over
      const why = this.o.hooks.signalling(from, this.o.miniport.ownedFrames ? v.sdu : Buffer.from(v.sdu));
      if (why !== undefined) this.drop(why);
      return;
    }
    if (dst !== this.me) return this.drop('data-broadcast');
    if (!this.o.dataPath.receiveFrom(src, vc, v.sdu)) return this.drop('unknown-vc');
    c.dataIn++;
  }

  /** a signalling or discovery SDU (user data goes through the data path's prepared headers) */
  sendSdu(peer: Mac, vpi: number, vci: number, sdu: Buffer): void {
    this.transmit(emitFrame({ dst: peer, src: this.o.mac, etherType: this.o.etherType, cell: cellHeader(vpi, vci), uu: 0, cpi: 0, sdu }), vpi, vci, sdu, peer);
  }

  transmit(frame: Buffer, vpi: number, vci: number, sdu: Buffer, peer: Mac): void {
    this.o.counters.framesOut++;
    if (this.o.capture) this.o.capture('tx', vpi, vci, sdu, peer);
    this.o.miniport.send(frame);
  }
}
