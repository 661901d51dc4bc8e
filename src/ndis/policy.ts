/**
 * The built-in behaviour of a well-behaved CoNDIS client (seeds 000-004), for
 * programs that do not want to answer every indication themselves (the daemon
 * uses it on behalf of the CLI):
 *
 * - incoming drop party: drop that party (R42);
 * - incoming close: on a multipoint VC drop parties until one is left, then
 *   close naming it; on a point-to-point VC close with no party (R72, R73);
 *   a VC the client created is deleted afterwards when CloseStatus was not
 *   SUCCESS (R76); a call-manager VC is left to the call manager (R77);
 * - closeCall(): the root's own teardown: drop all but one party, one drop at
 *   a time never while an add or drop is outstanding, then close (R41, R50, R54, R55);
 * - notify close AF: tear everything down, deregister SAPs, then finish and close the AF (R87).
 *
 * Switch it off by not attaching it (or `dispose()`): the program then answers
 * each indication itself.
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { ClIndication, Context } from './indications.js';
import type { NdisClient } from './ndis.js';
import { NdisStatus, statusName } from './status.js';
import { CallFlags, type CoCallParameters, type NdisAfHandle, type NdisVcHandle } from './types.js';
import { NumberMap } from '../common/number-map.js';

const S = NdisStatus;
/** the policy asks NDIS about states only: no copy of the call's parameters each time */
const STATES_ONLY = { params: false } as const;

export interface ClientPolicyOptions {
  /** answer to ProtocolClIncomingCall; default: accept (SUCCESS) */
  incomingCall?: (sapContext: Context, vcContext: Context, params: CoCallParameters, vcHandle: NdisVcHandle) => NdisStatus;
  /** can this client live with call parameters the call manager changed (R29); default yes */
  acceptChangedParameters?: (params: CoCallParameters) => boolean;
  /** does it accept a remote QoS change (R66); default yes */
  acceptQoSChange?: (params: CoCallParameters, vcHandle: NdisVcHandle) => boolean;
  /** close the call when its own QoS change was refused (R66); default no */
  closeOnQoSRefused?: boolean;
}

export type PolicyEvent =
  | { kind: 'teardown-started'; vc: NdisVcHandle; reason: 'request' | 'incoming-close' | 'notify-close-af' | 'changed-parameters' | 'qos' }
  | { kind: 'teardown-finished'; vc: NdisVcHandle; status: NdisStatus; deleted: boolean }
  | { kind: 'af-closed'; af: NdisAfHandle; status: NdisStatus }
  | { kind: 'problem'; vc?: NdisVcHandle; message: string };

interface Teardown {
  closeData: Buffer | undefined;
  deleteAfter: boolean;
  closing: boolean;
}

export class ClientPolicy {
  /** (a table every call adds to and deletes from: NumberMap, src/common/number-map.ts says why) */
  private readonly teardowns = new NumberMap<Teardown>();
  private readonly closingAfs = new Set<NdisAfHandle>();
  private readonly sub: Subscription;
  private readonly events = new Subject<PolicyEvent>();
  /** what the policy did, for logs and tests */
  readonly events$: Observable<PolicyEvent> = this.events.asObservable();

  constructor(
    readonly client: NdisClient,
    private readonly opts: ClientPolicyOptions = {},
  ) {
    client.setHandlers({
      ProtocolClIncomingCall: (sap, vc, params, h) => (opts.incomingCall ? opts.incomingCall(sap, vc, params, h) : S.SUCCESS),
      ProtocolClNotifyCloseAf: () => S.PENDING,
    });
    this.sub = client.indications$.subscribe((i) => this.on(i));
  }

  dispose(): void {
    this.sub.unsubscribe();
    this.events.complete();
  }

  /**
   * Tear down a call this client holds (root or not): drop all parties but one
   * with NdisClDropParty, then NdisClCloseCall naming it; the same close data
   * goes with every drop and the close. `deleteVc`: delete a VC this client
   * created once the close completed.
   */
  closeCall(vc: NdisVcHandle, closeData?: Buffer, deleteVc = false): void {
    this.start(vc, closeData, deleteVc, 'request');
  }

  private start(vc: NdisVcHandle, closeData: Buffer | undefined, deleteAfter: boolean, reason: Extract<PolicyEvent, { kind: 'teardown-started' }>['reason']): void {
    const t = this.teardowns.get(vc);
    if (t) {
      t.deleteAfter ||= deleteAfter;
      return this.advance(vc);
    }
    this.teardowns.set(vc, { closeData, deleteAfter, closing: false });
    this.events.next({ kind: 'teardown-started', vc, reason });
    this.advance(vc);
  }

  private finish(vc: NdisVcHandle, status: NdisStatus): void {
    const t = this.teardowns.get(vc);
    if (!t) return;
    if (status !== S.SUCCESS && t.closeData) {
      // A15: close data the medium refused; close without it
      t.closeData = undefined;
      t.closing = false;
      return this.advance(vc);
    }
    this.teardowns.delete(vc);
    let deleted = false;
    const info = this.client.vcInfo(vc, STATES_ONLY);
    if (status === S.SUCCESS && t.deleteAfter && info?.creator === 'client') deleted = this.client.NdisCoDeleteVc(vc) === S.SUCCESS;
    if (status !== S.SUCCESS) this.events.next({ kind: 'problem', vc, message: `close failed: ${statusName(status)}` });
    this.events.next({ kind: 'teardown-finished', vc, status, deleted });
    this.checkAfs();
  }

  private advance(vc: NdisVcHandle): void {
    const t = this.teardowns.get(vc);
    if (!t || t.closing) return;
    const info = this.client.vcInfo(vc, STATES_ONLY);
    if (!info || (info.call !== 'CONNECTED' && info.call !== 'CLOSE_INDICATED')) {
      if (info && (info.call === 'MAKING' || info.call === 'ACCEPTED' || info.call === 'OFFERED')) return; // wait for it to settle
      this.teardowns.delete(vc);
      if (info?.call === 'IDLE' && t.deleteAfter && info.creator === 'client') this.client.NdisCoDeleteVc(vc);
      this.checkAfs();
      return;
    }
    if (!info.multipoint) {
      t.closing = true;
      const st = this.client.NdisClCloseCall(vc, undefined, t.closeData);
      if (st !== S.PENDING) {
        t.closing = false;
        this.finish(vc, st);
      }
      return;
    }
    // R54/R55: never while an add or a drop is outstanding
    if (info.parties.some((p) => p.state === 'ADDING' || p.state === 'DROPPING' || p.state === 'CLOSING')) return;
    const live = info.parties.filter((p) => p.state === 'CONNECTED' || p.state === 'DROP_INDICATED');
    if (live.length > 1) {
      let pending = false;
      for (const p of live.slice(1)) {
        let st = this.client.NdisClDropParty(p.handle, t.closeData);
        if (st !== S.SUCCESS && st !== S.PENDING && t.closeData) st = this.client.NdisClDropParty(p.handle);
        if (st === S.PENDING) pending = true;
        else if (st !== S.SUCCESS) this.events.next({ kind: 'problem', vc, message: `drop party failed: ${statusName(st)}` });
      }
      if (!pending) this.advance(vc);
      return;
    }
    const last = live[0];
    if (!last) return;
    t.closing = true;
    const st = this.client.NdisClCloseCall(vc, last.handle, t.closeData);
    if (st !== S.PENDING) {
      t.closing = false;
      this.finish(vc, st);
    }
  }

  private closeAf(af: NdisAfHandle): void {
    this.closingAfs.add(af);
    for (const v of this.client.vcs(af)) {
      if (v.call === 'CONNECTED' || v.call === 'CLOSE_INDICATED' || v.call === 'MAKING') this.start(v.handle, undefined, true, 'notify-close-af');
      else if (v.creator === 'client' && v.call === 'IDLE') this.client.NdisCoDeleteVc(v.handle);
    }
    for (const s of this.client.saps(af)) this.client.NdisClDeregisterSap(s);
    this.checkAfs();
  }

  private checkAfs(): void {
    for (const af of [...this.closingAfs]) {
      const vcs = this.client.vcs(af);
      for (const v of vcs) if (v.creator === 'client' && v.call === 'IDLE' && !this.teardowns.has(v.handle)) this.client.NdisCoDeleteVc(v.handle);
      if (this.client.vcs(af).length > 0 || this.client.saps(af).length > 0) continue;
      this.closingAfs.delete(af);
      this.client.NdisClNotifyCloseAddressFamilyComplete(af, S.SUCCESS);
      const st = this.client.NdisClCloseAddressFamily(af);
      this.events.next({ kind: 'af-closed', af, status: st });
    }
  }

  private on(i: ClIndication): void {
    switch (i.kind) {
      case 'ProtocolClIncomingDropParty': {
        if (this.teardowns.has(i.vcHandle)) return this.advance(i.vcHandle);
        const st = this.client.NdisClDropParty(i.partyHandle); // R42
        if (st !== S.SUCCESS && st !== S.PENDING) this.events.next({ kind: 'problem', vc: i.vcHandle, message: `drop party failed: ${statusName(st)}` });
        return;
      }
      case 'ProtocolClIncomingCloseCall': {
        const info = this.client.vcInfo(i.vcHandle, STATES_ONLY);
        // R76: a VC this client created and closed abnormally is deleted; R73: a call-manager VC is left alone
        const del = info?.creator === 'client' && i.closeStatus !== S.SUCCESS;
        return this.start(i.vcHandle, undefined, del, 'incoming-close');
      }
      case 'ProtocolClDropPartyComplete':
      case 'ProtocolClAddPartyComplete':
        return this.advance(i.vcHandle);
      case 'ProtocolClCloseCallComplete': {
        const t = this.teardowns.get(i.vcHandle);
        if (t) {
          t.closing = false;
          this.finish(i.vcHandle, i.status);
        }
        return;
      }
      case 'ProtocolClMakeCallComplete':
        if (this.teardowns.has(i.vcHandle)) return this.advance(i.vcHandle);
        if (i.status === S.SUCCESS && i.params.flags & CallFlags.CALL_PARAMETERS_CHANGED && this.opts.acceptChangedParameters && !this.opts.acceptChangedParameters(i.params))
          this.start(i.vcHandle, undefined, false, 'changed-parameters'); // R29
        return;
      case 'ProtocolClIncomingCallQoSChange':
        if (this.opts.acceptQoSChange && !this.opts.acceptQoSChange(i.params, i.vcHandle)) this.start(i.vcHandle, undefined, false, 'qos');
        return;
      case 'ProtocolClModifyCallQoSComplete':
        if (i.status !== S.SUCCESS && this.opts.closeOnQoSRefused) this.start(i.vcHandle, undefined, false, 'qos');
        return;
      case 'ProtocolClNotifyCloseAf':
        if (i.result === S.PENDING) this.closeAf(i.afHandle);
        return;
      case 'ProtocolCoDeleteVc':
      case 'ProtocolClDeregisterSapComplete':
        this.checkAfs();
        return;
      case 'ProtocolClCallConnected':
        if (this.teardowns.has(i.vcHandle)) this.advance(i.vcHandle);
        return;
      default:
        return;
    }
  }
}

/** attach the built-in policy to a client; dispose() the result to switch it off */
export function attachClientPolicy(client: NdisClient, opts: ClientPolicyOptions = {}): ClientPolicy {
  return new ClientPolicy(client, opts);
}
