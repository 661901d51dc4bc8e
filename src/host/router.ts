/**
 * The host's frame routing: every received frame goes up the host's path
 * (link-pipeline.ts: read once through the wire layer's view, addresses and
 * VC as numbers, the AAL5 trailer located and its CRC checked once, the SDU
 * as a view into the frame) to the VC demux, whose routes are here; every
 * frame sent goes down the host's path down (link-down-path.ts: framed,
 * counted, captured, to the miniport), composed here when the router is made,
 * so before any SAAL link exists. No frame offset is read in this file.
 *
 * - VPI 0 / VCI 5, signalling: to the SAAL link of the source MAC (peers.ts).
 * - VPI 0 / VCI 16, discovery: to the peer table (peers.ts).
 * - any other VC: user data, to NDIS's data path (wire-datapath.ts) by source MAC
 *   and VC, without a record, a MAC string or a copy.
 */
import type { Mac } from '../common/mac.js';
import type { Miniport } from '../miniport/types.js';
import type { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import { BROADCAST_MAC } from '../common/mac.js';
import { macNumber, VCI_DISCOVERY, VCI_SIGNALLING, type MacNumber } from '../wire/index.js';
import { hostUpPath, type VcRoutes } from './link-pipeline.js';
import { hostDownPath, pduPath, TxFrame } from './link-down-path.js';
import type { WireDataPath } from './wire-datapath.js';
import type { NodeCounters } from './node-types.js';

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
  private readonly me: MacNumber;
  /** the head of the host-wide path down: every frame this host sends */
  private readonly down: Subscriber<TxFrame>;
  /** the frames of our announcements and of NDIS's user data, re-pointed at each (link-down-path.ts) */
  private readonly discoveryTx = new TxFrame(BROADCAST_MAC, 0, VCI_DISCOVERY);
  private readonly dataTx = new TxFrame(BROADCAST_MAC, 0, 0);

  constructor(private readonly o: RouterOptions) {
    this.me = macNumber(o.mac);
    const c = o.counters;
    this.down = hostDownPath({
      mac: o.mac,
      etherType: o.etherType,
      sent: () => c.framesOut++,
      ...(o.capture ? { capture: o.capture } : {}),
      miniport: o.miniport,
    });
  }

  drop(reason: string): void {
    const d = this.o.counters.drops;
    d[reason] = (d[reason] ?? 0) + 1;
  }

  /**
   * The path up of this host's frames (link-pipeline.ts): frames to the VC
   * demux, whose routes are below. Subscribe to run it.
   */
  upPath(frames$: Observable<Buffer>): Observable<never> {
    const c = this.o.counters;
    return hostUpPath(frames$, {
      me: this.me,
      etherType: this.o.etherType,
      received: () => c.framesIn++,
      drop: (why) => this.drop(why),
      ...(this.o.capture ? { capture: this.o.capture } : {}),
      routes: this.routes,
    });
  }

  /** the VC demux's routes: signalling and discovery to the peer table (allow-list first), user data to NDIS */
  private readonly routes: VcRoutes = {
    signalling: (v) => {
      const from = v.srcMac;
      if (this.o.allowed && !this.o.allowed.has(from)) return this.drop('not-allowed-signalling');
      if (v.dst !== this.me) return this.drop('signalling-broadcast');
      // SSCOP may keep the SDU (receive window): a view will do when the miniport handed the frame over
      const why = this.o.hooks.signalling(from, this.o.miniport.ownedFrames ? v.sdu : Buffer.from(v.sdu));
      if (why !== undefined) this.drop(why);
    },
    discovery: (v) => {
      const from = v.srcMac;
      if (this.o.allowed && !this.o.allowed.has(from)) return this.drop('not-allowed-discovery');
      this.o.hooks.discovery(from, v.sdu);
    },
    data: (v) => {
      if (v.dst !== this.me) return this.drop('data-broadcast');
      if (!this.o.dataPath.receiveFrom(v.src, v.vcKey, v.sdu)) return this.drop('unknown-vc');
      this.o.counters.dataIn++;
    },
  };

  /**
   * The path down of the SAAL link to `peer` (VPI 0 / VCI 5): the link's
   * `send`, asked for by the SAAL mux before it makes the link (SaalMux's
   * pathTo), so the link's first PDU already has its way to the wire.
   */
  signallingTo(peer: Mac): (pdu: Buffer) => void {
    return pduPath(new TxFrame(peer, 0, VCI_SIGNALLING), this.down);
  }

  /** one discovery announcement, broadcast on VCI 16 */
  announce(sdu: Buffer): void {
    const tx = this.discoveryTx;
    tx.sdu = sdu;
    tx.frame = undefined;
    this.down.next(tx);
  }

  /** a user data frame, framed already by NDIS's data path (its prepared headers) */
  transmit(frame: Buffer, vpi: number, vci: number, sdu: Buffer, peer: Mac): void {
    const tx = this.dataTx;
    tx.peer = peer;
    tx.vpi = vpi;
    tx.vci = vci;
    tx.sdu = sdu;
    tx.frame = frame;
    this.down.next(tx);
  }
}
