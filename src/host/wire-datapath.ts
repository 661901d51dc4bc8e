/**
 * NDIS's miniport half on real frames (the node's user-data path): an
 * activated VC's paths, their prepared frame headers, fan-out and receive by
 * path without parsing a frame (one wire path may feed several VCs: endpoints
 * of one multipoint call at this host are each their own NDIS VC).
 */
import { asyncScheduler, Subject, Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { emitFrameAfter, emitFrameInto, frameLength, macNumber, reframe, reheader, vcKey, type MacNumber } from '../wire/index.js';
import type { VcPath } from '../uni/api.js';
import { NdisStatus, type DataPathReceive, type NdisDataPath } from '../ndis/index.js';
import { NumberMap } from '../common/number-map.js';

/**
 * The default "next turn" of the data path: a zero-delay action runs from
 * `setImmediate`, after the I/O of this turn (asap would run it before any
 * I/O, so a client that awaits every send would starve the miniport's reads;
 * asyncScheduler would make it a timer of at least a millisecond). Delayed
 * actions go to asyncScheduler. A host with an injected scheduler uses that.
 */
export const nextTurnScheduler: SchedulerLike = {
  now: () => asyncScheduler.now(),
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    if (delay > 0) return asyncScheduler.schedule(work, delay, state);
    const sub = new Subscription(() => clearImmediate(h));
    const action = Object.assign(sub, { schedule: (s?: T, d?: number) => nextTurnScheduler.schedule(work, d, s) }) as unknown as SchedulerAction<T>;
    const h = setImmediate(() => {
      if (!sub.closed) work.call(action, state);
    });
    return sub;
  },
};

function wirePath(p: VcPath): WirePath {
  return { path: p, key: vcKey(p.vpi, p.vci), mac: macNumber(p.peer) };
}

/** a path of an active VC, with the 18 octets every frame on it starts with */
interface WirePath {
  path: VcPath;
  /** encoded on the first send (a call that never sends data never needs it) */
  header?: Buffer;
  /** VPI/VCI key and the peer's MAC as a 48-bit number: where byPeer keeps it */
  key: number;
  mac: MacNumber;
}

/** the VCs on one wire path, and the one-path list those of them share whose only path it is */
interface PathOwner {
  path: VcPath;
  /** the first VC on the path: usually the only one */
  vc: number;
  /** the VCs that came after it, in order (a Set: endpoints come and go one by one among thousands, in any order) */
  more: Set<number> | undefined;
  /** a multipoint call's endpoints at a leaf host are thousands of VCs on one path: one list (and one frame header) for all */
  alone: WirePath[] | undefined;
}

/**
 * NDIS's miniport half on real frames: an activated VC owns its paths (peer
 * MAC + VPI/VCI); a send fans out to every path (a multipoint root reaches
 * each leaf link); a received frame finds its VC by path.
 *
 * Per frame nothing is parsed or formatted: paths are found by VPI/VCI and the
 * peer's MAC as numbers, each path's frame header is encoded once at
 * activation, a fan-out computes the AAL5 CRC once (it covers only the SDU
 * and trailer, not the header) and copies the frame per further leaf, and the
 * sends of one turn complete together on the next. When whoever takes a frame
 * is done with it once `sendFrame` returns (`reuseFrames`: a miniport that
 * writes each frame to its device then, Miniport.sendCopies), every frame is
 * built in one buffer, and a further leaf's frame is the same octets with its
 * own header written over the last: no buffer per frame. A stream of large
 * frames otherwise allocates about its own volume again in buffers outside
 * V8's heap, and V8 ran a full collection after nearly every minor one under
 * that external memory pressure (docs/miniports.md). Received data is handed up
 * as a view into the miniport's buffer: when the miniport hands its frames over
 * (`ownedFrames`), the first VC on the path gets it as its own (NDIS indicates
 * it without a copy) and any further VC a copy from NDIS; otherwise NDIS copies
 * it for each.
 */
export class WireDataPath implements NdisDataPath {
  /** (this and each peer's map are tables every call adds to and deletes from: NumberMap, src/common/number-map.ts says why) */
  private readonly byVc = new NumberMap<WirePath[]>();
  /**
   * peer MAC as a 48-bit number -> VPI/VCI key (vcKey) -> the VCs on that path. Usually one; several when
   * endpoints of one multipoint call at this host (one ATM VC on the wire) are each their own NDIS VC.
   * A peer's map stays once made: peers are few and stay, while every call has a VPI/VCI of its own
   * (keyed the other way round, each activation made a Map and each deactivation dropped it).
   */
  private readonly byPeer = new Map<MacNumber, NumberMap<PathOwner>>();
  private pathCount = 0;
  private readonly rx = new Subject<DataPathReceive>();
  readonly receive$ = this.rx.asObservable();
  private outstanding = 0;
  private completing: ((st: number) => void)[] = [];

  /**
   * `scheduler`: where the sends of one turn complete together, on a later
   * turn (default `nextTurnScheduler`; tests inject virtual time).
   * `ownedFrames`: the data given to `receiveFrom` is handed over (a view into
   * a frame the miniport never reuses: Miniport.ownedFrames), so one receiver
   * may keep it as it is.
   * `reuseFrames`: `out.sendFrame` keeps no frame it is given once it has
   * returned, so each send's frame may be built where the last one was.
   */
  constructor(
    private readonly out: { header(path: VcPath): Buffer; sendFrame(path: VcPath, frame: Buffer, sdu: Buffer): void },
    private readonly maxSdu: number,
    private readonly scheduler: SchedulerLike = nextTurnScheduler,
    private readonly ownedFrames = false,
    reuseFrames = false,
  ) {
    this.frameBuffer = reuseFrames ? Buffer.alloc(frameLength(maxSdu)) : undefined;
  }

  /** where every frame is built (reuseFrames), else none */
  private readonly frameBuffer: Buffer | undefined;

  activate(vc: number, paths: VcPath[]): number {
    this.unbind(vc);
    const wire = paths.length === 1 ? this.alone(paths[0]!) : paths.map(wirePath);
    this.byVc.set(vc, wire);
    for (const w of wire) {
      let onPeer = this.byPeer.get(w.mac);
      if (!onPeer) this.byPeer.set(w.mac, (onPeer = new NumberMap()));
      const owner = onPeer.get(w.key);
      if (!owner) {
        this.pathCount++;
        onPeer.set(w.key, { path: w.path, vc, more: undefined, alone: paths.length === 1 ? wire : undefined });
      } else {
        if (paths.length === 1) owner.alone ??= wire;
        (owner.more ??= new Set()).add(vc);
      }
    }
    return NdisStatus.SUCCESS;
  }

  /** the one-path list for a VC whose only path is `p`: the one other VCs on that path share, else a new one */
  private alone(p: VcPath): WirePath[] {
    const w = wirePath(p);
    return this.byPeer.get(w.mac)?.get(w.key)?.alone ?? [w];
  }

  deactivate(vc: number): number {
    this.unbind(vc);
    return NdisStatus.SUCCESS;
  }

  private unbind(vc: number): void {
    const old = this.byVc.get(vc);
    if (!old) return;
    for (const { key, mac } of old) {
      const onPeer = this.byPeer.get(mac);
      const owner = onPeer?.get(key);
      if (!owner) continue;
      if (owner.vc !== vc) {
        owner.more?.delete(vc);
        continue;
      }
      const more = owner.more;
      if (more && more.size > 0) {
        // the next one in order takes its place
        const [next] = more;
        more.delete(next!);
        owner.vc = next!;
        continue;
      }
      onPeer!.delete(key);
      this.pathCount--;
    }
    this.byVc.delete(vc);
  }

  send(vc: number, data: Buffer): Promise<number> {
    return new Promise((resolve) => this.sendWith(vc, data, resolve));
  }

  sendWith(vc: number, data: Buffer, done: (status: number) => void): void {
    const paths = this.byVc.get(vc);
    const refused = !paths ? NdisStatus.VC_NOT_ACTIVATED : data.length > this.maxSdu ? NdisStatus.INVALID_LENGTH : undefined;
    if (refused !== undefined) {
      queueMicrotask(() => done(refused));
      return;
    }
    this.outstanding++;
    let first: Buffer | undefined;
    const reused = this.frameBuffer;
    for (const p of paths!) {
      const header = (p.header ??= this.out.header(p.path));
      // a further leaf: the same octets after the header, CRC included
      let frame: Buffer;
      if (reused) frame = first ? reheader(first, header) : (first = emitFrameInto(reused, header, data));
      else frame = first ? reframe(first, header) : (first = emitFrameAfter(header, data));
      this.out.sendFrame(p.path, frame, data);
    }
    // the frame is handed to the device: the send completes on the next turn, as a miniport's would
    if (this.completing.length === 0) this.scheduler.schedule(this.completeAll);
    this.completing.push(done);
  }

  private readonly completeAll = (): void => this.complete();

  private complete(): void {
    const done = this.completing;
    this.completing = [];
    this.outstanding -= done.length;
    for (const resolve of done) resolve(NdisStatus.SUCCESS);
  }

  /** false: no active VC owns that path */
  receive(path: VcPath, data: Buffer): boolean {
    return this.receiveFrom(macNumber(path.peer), vcKey(path.vpi, path.vci), data);
  }

  /**
   * each VC on the path gets the frame (a snapshot: a receiver may deactivate its VC meanwhile);
   * handed-over data is owned by the first only, the others' are copied by NDIS
   */
  private deliver(owner: PathOwner, data: Buffer): void {
    if (!owner.more || owner.more.size === 0) this.rx.next({ path: owner.path, data, vc: owner.vc, owned: this.ownedFrames });
    else {
      let owned = this.ownedFrames;
      for (const vc of [owner.vc, ...owner.more]) {
        this.rx.next({ path: owner.path, data, vc, owned });
        owned = false;
      }
    }
  }

  /** the fast path: the frame's source MAC and VPI/VCI key as the frame view reads them (numbers); false: no active VC there */
  receiveFrom(src: MacNumber, vc: number, data: Buffer): boolean {
    const owner = this.byPeer.get(src)?.get(vc);
    if (!owner) return false;
    this.deliver(owner, data);
    return true;
  }

  counters(): { activeVcs: number; paths: number; outstandingSends: number } {
    return { activeVcs: this.byVc.size, paths: this.pathCount, outstandingSends: this.outstanding };
  }
}
