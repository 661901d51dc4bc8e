/**
 * The miniport half of CoNDIS as the call managers and NDIS see it: program a
 * VC with the wire paths of its call, stop it, send on it, and receive frames
 * by path. The lead binds this to real frames (src/miniport + wire/); tests use
 * the in-memory one in test/helpers/fake-uni.ts.
 *
 * Sync vs PENDING is expressed by the return type: a plain NdisStatus is final
 * now; a promise means PENDING and settles with the final status (never PENDING).
 */
import type { Observable } from 'rxjs';
import type { VcPath } from '../uni/api.js';
import type { NdisStatus } from './status.js';
import type { CoCallParameters } from './types.js';

/** Identifies a VC towards the miniport: the NdisVcHandle's number. */
export type VcId = number;

export type MaybePending = NdisStatus | Promise<NdisStatus>;

export interface DataPathReceive {
  /** the path the data arrived on, as the local uni names it: peer MAC and VPI/VCI */
  path: VcPath;
  data: Buffer;
  /** the VC the miniport half has that path programmed for, when it knows (spares NDIS a search) */
  vc?: VcId;
  /**
   * true: `data` is handed over, nobody else reads or changes it afterwards (NDIS may indicate it
   * to the client as it is); absent or false: NDIS copies it before indicating it
   */
  owned?: boolean;
}

export interface NdisDataPath {
  /** MiniportCoCreateVc: SUCCESS or RESOURCES, never PENDING (optional; absent = SUCCESS) */
  createVc?(vc: VcId): NdisStatus;
  /** MiniportCoDeleteVc (optional) */
  deleteVc?(vc: VcId): NdisStatus;
  /**
   * MiniportCoActivateVc: program the VC for these paths (one per link; several
   * for a multipoint root) and parameters. May be repeated on an active VC to
   * change paths or parameters; a failed re-activation keeps the old ones.
   * The miniport may rewrite `params` (ROUND_UP_FLOW/ROUND_DOWN_FLOW) and then
   * sets CALL_PARAMETERS_CHANGED in them.
   */
  activate(vc: VcId, paths: VcPath[], params: CoCallParameters): MaybePending;
  /** MiniportCoDeactivateVc: completes only after every outstanding send on the VC completed */
  deactivate(vc: VcId): MaybePending;
  /** MiniportCoSendNetBufferLists for one buffer: fans out to every path of the VC; always completes later */
  send(vc: VcId, data: Buffer): Promise<NdisStatus>;
  /**
   * The same send, its completion a callback instead of a promise (optional; NDIS uses it when
   * present: no promise and no microtask per buffer): `done` is called once, later, never from
   * inside this call, with the final status
   */
  sendWith?(vc: VcId, data: Buffer, done: (status: NdisStatus) => void): void;
  /** frames for user data received on any path */
  readonly receive$: Observable<DataPathReceive>;
}

export function isPending(s: MaybePending): s is Promise<NdisStatus> {
  return typeof s !== 'number';
}

export function samePath(a: VcPath, b: VcPath): boolean {
  return a.peer === b.peer && a.vpi === b.vpi && a.vci === b.vci;
}

/** the same paths in the same order (a VC whose paths did not change needs no new activation) */
export function samePaths(a: readonly VcPath[], b: readonly VcPath[] | undefined): boolean {
  if (!b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!samePath(a[i]!, b[i]!)) return false;
  return true;
}
