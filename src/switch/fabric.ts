/**
 * The switch's data plane: user frames switched by (port, host, VPI/VCI) with
 * translation, replicated for point-to-multipoint VCs.
 *
 * A frame that comes in on a connected VC leaves on every hop of that VC with
 * a new 18-octet header (destination and source MAC, EtherType, cell header
 * with the outgoing VPI/VCI); the AAL5 CPCS-PDU behind it is copied unchanged
 * (its CRC-32 covers only the SDU and the trailer, so it stays right). Each
 * hop's header is encoded once, when call control connects the VC. Per frame
 * there are three Map reads and one copy per hop; nothing is parsed into
 * records or formatted.
 */
import type { Mac } from '../common/mac.js';
import { cellHeader, frameHeader, macNumber, reframe, vcKey } from '../wire/index.js';
import { NumberMap } from '../common/number-map.js';

/** Where frames of one VC go: a port's send and the header for it. */
export interface Hop {
  readonly port: string;
  readonly peer: Mac;
  readonly vpi: number;
  readonly vci: number;
  readonly header: Buffer;
}

export interface FabricPort {
  readonly name: string;
  readonly mac: Mac;
  readonly etherType: number;
  sendFrame(frame: Buffer): void;
}

/** The far end of one VC on one port, as call control names it. */
export interface VcEnd {
  port: string;
  peer: Mac;
  vpi: number;
  vci: number;
}

export interface FabricCounters {
  /** connections (incoming VC ends with at least one hop) */
  entries: number;
  framesIn: number;
  /** frames sent (a p2mp frame counts once per hop) */
  framesOut: number;
  /** data frames on no connected VC */
  unknownVc: number;
}

export class Fabric {
  /**
   * port name -> host MAC as a number -> VPI/VCI key -> hops (the inner two are tables every call adds
   * to and deletes from: NumberMap, src/common/number-map.ts says why)
   */
  private readonly table = new Map<string, NumberMap<NumberMap<{ from: VcEnd; hops: Hop[] }>>>();
  private readonly ports = new Map<string, FabricPort>();
  private entries = 0;
  private readonly c = { framesIn: 0, framesOut: 0, unknownVc: 0 };

  addPort(p: FabricPort): void {
    this.ports.set(p.name, p);
  }

  /** frames arriving on `from` leave on `to` (replaces what was there; an empty list removes the entry) */
  connect(from: VcEnd, to: VcEnd[]): void {
    const hops: Hop[] = [];
    for (const t of to) {
      const port = this.ports.get(t.port);
      if (!port) continue;
      hops.push({ ...t, header: frameHeader(t.peer, port.mac, port.etherType, cellHeader(t.vpi, t.vci)) });
    }
    let byMac = this.table.get(from.port);
    if (!byMac) this.table.set(from.port, (byMac = new NumberMap()));
    const m = macNumber(from.peer);
    let byVc = byMac.get(m);
    if (!byVc) byMac.set(m, (byVc = new NumberMap()));
    const k = vcKey(from.vpi, from.vci);
    const had = byVc.has(k);
    if (hops.length === 0) {
      if (had) {
        byVc.delete(k);
        this.entries--;
        if (byVc.size === 0) byMac.delete(m);
        if (byMac.size === 0) this.table.delete(from.port);
      }
      return;
    }
    if (!had) this.entries++;
    byVc.set(k, { from: { ...from }, hops });
  }

  disconnect(from: VcEnd): void {
    this.connect(from, []);
  }

  /** a data frame from host `srcMac` (48-bit number) on `port` for VPI/VCI key `vc`; false when no VC is connected there */
  forward(port: string, srcMac: number, vc: number, frame: Buffer): boolean {
    this.c.framesIn++;
    const hops = this.table.get(port)?.get(srcMac)?.get(vc)?.hops;
    if (!hops) {
      this.c.unknownVc++;
      return false;
    }
    for (const h of hops) {
      const out = reframe(frame, h.header);
      this.c.framesOut++;
      this.ports.get(h.port)?.sendFrame(out);
    }
    return true;
  }

  /** every connection, for status displays */
  list(): { from: VcEnd; to: VcEnd[] }[] {
    const out: { from: VcEnd; to: VcEnd[] }[] = [];
    for (const byMac of this.table.values())
      for (const byVc of byMac.values())
        for (const { from, hops } of byVc.values()) out.push({ from: { ...from }, to: hops.map((h) => ({ port: h.port, peer: h.peer, vpi: h.vpi, vci: h.vci })) });
    return out;
  }

  counters(): FabricCounters {
    return { entries: this.entries, ...this.c };
  }
}
