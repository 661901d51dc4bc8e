/**
 * An in-memory ControlBackend for tests of the server, the client library and
 * the CLI. It keeps SAPs, VCs and parties with just enough CoNDIS state to
 * give the statuses a real backend gives (INVALID_STATE, FAILURE for the last
 * party, INVALID_DATA for close data that is too long, ...). Calls to
 * "9xxx" addresses fail with NO_ROUTE_TO_DESTINATION; everything else connects.
 * A point-to-point call starts at the best-effort line rate (353207 cells/s);
 * a modification to more than 100000 cells/s is refused (MODIFY REJECT 37).
 */
import { Subject } from 'rxjs';
import type {
  AddPartyResult,
  ControlBackend,
  ControlEvent,
  Counters,
  DaemonInfo,
  LinkInfo,
  MakeCallResult,
  ModifyCallResult,
  PartyInfo,
  PeerInfo,
  SapInfo,
  VcInfo,
} from '../../src/control/backend.js';
import { ControlError, statusInfo } from '../../src/control/errors.js';

/** the best-effort peak cell rate a SETUP names (an OC-3 line) */
const LINE_RATE = 353_207;

interface FakeVc {
  info: VcInfo;
  parties: Map<number, PartyInfo>;
}

export class FakeBackend implements ControlBackend {
  readonly events = new Subject<ControlEvent>();
  readonly events$ = this.events.asObservable();
  readonly calls: { op: string; args: unknown }[] = [];
  private nextSap = 1;
  private nextVc = 1;
  private nextParty = 1;
  readonly sapsById = new Map<number, SapInfo>();
  readonly vcsById = new Map<number, FakeVc>();
  /** when set, makeCall waits for this before completing (to test concurrency) */
  makeCallGate: Promise<void> | undefined;
  /** when set, send waits for this before completing (to see how many sends a client keeps in flight) */
  sendGate: Promise<void> | undefined;
  maxCloseData = 127;

  peerList: PeerInfo[] = [
    { mac: '02:c0:00:00:00:0b', name: 'host-b', addresses: ['1002'], source: 'static', linked: true, lastSeen: '2026-01-01T00:00:00.000Z' },
    { mac: '02:c0:00:00:00:0c', addresses: ['1003'], source: 'discovery', linked: false },
  ];
  linkList: LinkInfo[] = [{ peer: '02:c0:00:00:00:0b', name: 'host-b', side: 'user', state: 'Data Transfer Ready', established: true, calls: 0 }];

  emit(ev: ControlEvent): void {
    this.events.next(ev);
  }

  private vc(vc: number): FakeVc {
    const v = this.vcsById.get(vc);
    if (!v) throw ControlError.notFound(`no VC ${vc}`);
    return v;
  }

  private checkCloseData(b: Buffer | undefined): void {
    if (b && b.length > this.maxCloseData) {
      throw ControlError.failed(`close data of ${b.length} octets is longer than this link carries (${this.maxCloseData})`, 'INVALID_DATA');
    }
  }

  async info(): Promise<DaemonInfo> {
    return {
      name: 'fake-a',
      version: '0.1.0',
      addresses: ['1001'],
      mac: '02:c0:00:00:00:0a',
      miniport: 'memory:test',
      callManager: { shape: 'mcm', completion: 'pending' },
      closeData: { allowed: true, maxOctets: this.maxCloseData },
    };
  }

  async registerSap(args: { address?: string; policy?: 'accept' | 'reject' | 'ask'; rejectCause?: number }): Promise<SapInfo> {
    this.calls.push({ op: 'registerSap', args });
    const address = args.address ?? '*';
    for (const s of this.sapsById.values()) if (s.address === address) throw ControlError.failed(`a SAP for ${address} is already registered`, 'SAP_IN_USE');
    const sap: SapInfo = { sap: this.nextSap++, address, policy: args.policy ?? 'accept', ...(args.rejectCause ? { rejectCause: args.rejectCause } : {}), state: 'registered' };
    this.sapsById.set(sap.sap, sap);
    this.emit({ kind: 'sap', sap: sap.sap, change: 'registered', address });
    return sap;
  }

  async deregisterSap(args: { sap: number }): Promise<void> {
    const s = this.sapsById.get(args.sap);
    if (!s) throw ControlError.notFound(`no SAP ${args.sap}`);
    this.sapsById.delete(args.sap);
    this.emit({ kind: 'sap', sap: args.sap, change: 'deregistered', address: s.address });
  }

  async setIncomingPolicy(args: { sap: number; policy: 'accept' | 'reject' | 'ask'; rejectCause?: number }): Promise<SapInfo> {
    const s = this.sapsById.get(args.sap);
    if (!s) throw ControlError.notFound(`no SAP ${args.sap}`);
    s.policy = args.policy;
    if (args.rejectCause) s.rejectCause = args.rejectCause;
    return s;
  }

  async answerCall(args: { vc: number; accept: boolean }): Promise<void> {
    const v = this.vc(args.vc);
    if (v.info.call?.state !== 'OFFERED') throw ControlError.wrongState(`VC ${args.vc} has no call waiting for an answer`);
    if (args.accept) {
      v.info.call.state = 'CONNECTED';
      v.info.state = 'ACTIVE';
      this.emit({ kind: 'call-connected', vc: args.vc });
    } else {
      this.vcsById.delete(args.vc);
    }
  }

  async createVc(): Promise<VcInfo> {
    const info: VcInfo = { vc: this.nextVc++, creator: 'client', state: 'CREATED' };
    this.vcsById.set(info.vc, { info, parties: new Map() });
    return info;
  }

  async deleteVc(args: { vc: number }): Promise<void> {
    const v = this.vc(args.vc);
    if (v.info.creator !== 'client') throw ControlError.wrongState(`VC ${args.vc} was created by the call manager; only it deletes it`, 'FAILURE');
    if (v.info.call) throw ControlError.wrongState(`VC ${args.vc} carries a call; close it first`, 'NOT_ACCEPTED');
    this.vcsById.delete(args.vc);
  }

  async makeCall(args: { vc?: number; called: string; multipoint: boolean; uu?: Buffer }): Promise<MakeCallResult> {
    this.calls.push({ op: 'makeCall', args });
    if (this.makeCallGate) await this.makeCallGate;
    const v = args.vc !== undefined ? this.vc(args.vc) : this.vcsById.get((await this.createVc()).vc)!;
    if (v.info.call) throw ControlError.wrongState(`VC ${v.info.vc} already carries a call`);
    if (args.called.startsWith('9')) {
      if (args.vc === undefined) this.vcsById.delete(v.info.vc);
      this.emit({ kind: 'make-call-complete', vc: v.info.vc, status: statusInfo('NO_ROUTE_TO_DESTINATION') });
      throw ControlError.failed(`no route to ${args.called}`, 'NO_ROUTE_TO_DESTINATION');
    }
    v.info.state = 'ACTIVE';
    v.info.call = {
      direction: 'outgoing',
      multipoint: args.multipoint,
      called: args.called,
      calling: '1001',
      state: 'CONNECTED',
      uniState: 'U10 Active',
      ...(args.multipoint ? {} : { pcr: { transmit: LINE_RATE, receive: LINE_RATE } }),
    };
    v.info.path = { peer: '02:c0:00:00:00:0b', vpi: 0, vci: 32 + v.info.vc };
    let party: number | undefined;
    if (args.multipoint) {
      party = this.nextParty++;
      v.parties.set(party, { vc: v.info.vc, party, address: args.called, state: 'CONNECTED', uniState: 'P7 Active' });
    }
    this.emit({ kind: 'make-call-complete', vc: v.info.vc, ...(party !== undefined ? { party } : {}), status: statusInfo('SUCCESS') });
    return { vc: v.info.vc, ...(party !== undefined ? { party } : {}), status: statusInfo('SUCCESS'), path: v.info.path };
  }

  async addParty(args: { vc: number; address: string }): Promise<AddPartyResult> {
    this.calls.push({ op: 'addParty', args });
    const v = this.vc(args.vc);
    if (!v.info.call) throw ControlError.wrongState(`VC ${args.vc} carries no call`);
    if (!v.info.call.multipoint) throw ControlError.wrongState(`VC ${args.vc} carries a point-to-point call`);
    if (args.address.startsWith('9')) throw ControlError.failed(`no route to ${args.address}`, 'NO_ROUTE_TO_DESTINATION');
    const party = this.nextParty++;
    v.parties.set(party, { vc: args.vc, party, address: args.address, state: 'CONNECTED', uniState: 'P7 Active' });
    this.emit({ kind: 'add-party-complete', vc: args.vc, party, address: args.address, status: statusInfo('SUCCESS') });
    return { vc: args.vc, party, status: statusInfo('SUCCESS') };
  }

  async dropParty(args: { vc: number; party: number; closeData?: Buffer }): Promise<void> {
    this.calls.push({ op: 'dropParty', args });
    const v = this.vc(args.vc);
    if (!v.parties.has(args.party)) throw ControlError.notFound(`no party ${args.party} on VC ${args.vc}`);
    if (v.parties.size === 1) throw ControlError.wrongState(`party ${args.party} is the last one on VC ${args.vc}: close the call instead`, 'FAILURE');
    this.checkCloseData(args.closeData);
    v.parties.delete(args.party);
    this.emit({ kind: 'drop-party-complete', vc: args.vc, party: args.party, status: statusInfo('SUCCESS') });
  }

  async closeCall(args: { vc: number; party?: number; closeData?: Buffer }): Promise<void> {
    this.calls.push({ op: 'closeCall', args });
    const v = this.vc(args.vc);
    if (!v.info.call) throw ControlError.wrongState(`VC ${args.vc} carries no call`);
    if (v.parties.size > 1) throw ControlError.wrongState(`VC ${args.vc} still has ${v.parties.size} parties: drop all but one first`, 'FAILURE');
    this.checkCloseData(args.closeData);
    delete v.info.call;
    delete v.info.path;
    v.parties.clear();
    v.info.state = 'CREATED';
    this.emit({ kind: 'close-call-complete', vc: args.vc, status: statusInfo('SUCCESS') });
    if (v.info.creator === 'call-manager') this.vcsById.delete(args.vc);
  }

  async modifyCall(args: { vc: number; pcr: number; receivePcr?: number }): Promise<ModifyCallResult> {
    this.calls.push({ op: 'modifyCall', args });
    const v = this.vc(args.vc);
    const call = v.info.call;
    if (call?.state !== 'CONNECTED') throw ControlError.wrongState(`VC ${args.vc} carries no connected call`);
    if (call.multipoint) throw new ControlError('unsupported', `VC ${args.vc} carries a point-to-multipoint call`, statusInfo('NOT_SUPPORTED'));
    if (call.direction !== 'outgoing') throw ControlError.wrongState(`only the calling side changes the rate`, 'FAILURE');
    if (args.pcr > 100_000 || (args.receivePcr ?? 0) > 100_000) {
      this.emit({ kind: 'modify-call-complete', vc: args.vc, status: statusInfo('FAILURE'), pcr: { ...call.pcr }, cause: 37, causeName: 'user cell rate not available' });
      throw ControlError.failed(`refused by host-b with MODIFY REJECT cause 37 user cell rate not available; the old rates stay`, 'FAILURE');
    }
    call.pcr = { transmit: args.pcr, receive: args.receivePcr ?? call.pcr?.receive ?? LINE_RATE };
    this.emit({ kind: 'modify-call-complete', vc: args.vc, status: statusInfo('SUCCESS'), pcr: { ...call.pcr } });
    return { vc: args.vc, status: statusInfo('SUCCESS'), pcr: { ...call.pcr } };
  }

  async send(args: { vc: number; data: Buffer }): Promise<{ bytes: number }> {
    this.calls.push({ op: 'send', args });
    if (this.sendGate) await this.sendGate;
    const v = this.vc(args.vc);
    if (v.info.state !== 'ACTIVE') throw ControlError.wrongState(`VC ${args.vc} is not active`, 'VC_NOT_ACTIVATED');
    v.info.tx = { packets: (v.info.tx?.packets ?? 0) + 1, bytes: (v.info.tx?.bytes ?? 0) + args.data.length };
    return { bytes: args.data.length };
  }

  /** The remote calls us: a CM-created VC offered to the SAP for `called`. */
  incomingCall(called: string, calling: string, multipoint = false, uu?: Buffer): number {
    const sap = [...this.sapsById.values()].find((s) => s.address === called || s.address === '*');
    if (!sap) throw new Error(`no SAP for ${called}`);
    const info: VcInfo = {
      vc: this.nextVc++,
      creator: 'call-manager',
      state: 'ACTIVE',
      call: { direction: 'incoming', multipoint, called, calling, state: sap.policy === 'ask' ? 'OFFERED' : 'CONNECTED' },
      sap: sap.sap,
      path: { peer: '02:c0:00:00:00:0b', vpi: 0, vci: 100 },
    };
    this.vcsById.set(info.vc, { info, parties: new Map() });
    this.emit({ kind: 'incoming-call', sap: sap.sap, vc: info.vc, called, calling, multipoint, awaitingAnswer: sap.policy === 'ask', ...(uu ? { uu } : {}) });
    if (sap.policy === 'accept') this.emit({ kind: 'call-connected', vc: info.vc });
    return info.vc;
  }

  /** The remote released: incoming close (answered by the backend itself), with close data. */
  remoteClose(vc: number, closeData?: Buffer): void {
    this.vcsById.delete(vc);
    this.emit({ kind: 'incoming-close-call', vc, status: statusInfo('SUCCESS'), ...(closeData ? { closeData } : {}) });
  }

  async saps(): Promise<SapInfo[]> {
    return [...this.sapsById.values()];
  }
  async peers(): Promise<PeerInfo[]> {
    return this.peerList;
  }
  async links(): Promise<LinkInfo[]> {
    return this.linkList;
  }
  async vcs(): Promise<VcInfo[]> {
    return [...this.vcsById.values()].map((v) => v.info);
  }
  async parties(): Promise<PartyInfo[]> {
    return [...this.vcsById.values()].flatMap((v) => [...v.parties.values()]);
  }
  async counters(): Promise<Counters> {
    return { miniport: { rxFrames: 10, txFrames: 12, rxDropped: 0 }, uni: { calls: this.vcsById.size } };
  }
}
