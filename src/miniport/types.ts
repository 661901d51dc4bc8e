/**
 * Where frames meet an interface. Every backend (tap, nic, etherip, memory)
 * offers this one shape; nothing above `miniport/` touches a device.
 */
import type { Observable } from 'rxjs';
import type { Mac } from '../common/mac.js';

export interface MiniportCounters {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** frames the backend could not send (device gone, EAGAIN beyond the queue, ...) */
  txErrors: number;
  /** frames received but dropped by the backend (not our EtherType, truncated, ...) */
  rxDropped: number;
}

export interface Miniport {
  /** backend kind and device, e.g. "tap:ctap0", "nic:veth1", "etherip:10.1.0.1", "memory:a" */
  readonly name: string;
  /** the MAC this host uses as source address */
  readonly mac: Mac;
  /** the Ethernet payload size the medium carries (1500 on a standard link) */
  readonly mtu: number;
  /** whole Ethernet II frames received, already restricted to our EtherType where the backend can filter */
  readonly frames$: Observable<Buffer>;
  /**
   * true: every buffer frames$ emits is handed over, the backend never reuses or changes it (the
   * receiver may keep a view into it instead of a copy); absent or false: copy what you keep
   */
  readonly ownedFrames?: boolean;
  /**
   * true: `send` is done with the frame when it returns (its octets went to the device, or it was
   * counted as lost), so the sender may build the next frame in the same buffer; absent or false:
   * the backend may keep the frame (a queue, a delivery on a later turn), and each must be its own
   */
  readonly sendCopies?: boolean;
  /** send one whole Ethernet II frame; never throws (failures are counted) */
  send(frame: Buffer): void;
  counters(): MiniportCounters;
  /** release the device; frames$ completes */
  close(): Promise<void>;
}

/** The backends' configuration records are plain data shared with src/config: they live in src/common. */
export type { MemoryWireOptions, MiniportConfig } from '../common/miniport-config.js';
