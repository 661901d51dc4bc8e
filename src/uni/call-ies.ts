/**
 * Building and reading the IEs call control uses, on the records of msg/types.ts.
 */
import { atmAddressForm } from '../common/atm-address.js';
import type { AtmAddress } from './api.js';
import {
  findIe,
  IeId,
  MsgType,
  type AalParametersIe,
  type BearerCapabilityIe,
  type CalledPartyNumberIe,
  type CallingPartyNumberIe,
  type CauseIe,
  type ConnectionIdentifierIe,
  type EndpointReferenceIe,
  type InfoElement,
  type PartyNumber,
  type QosParameterIe,
  type TrafficDescriptorIe,
  type UniMessage,
  type UserUserIe,
} from './msg/types.js';

/** Close data: PD 0x00 + at most 127 octets (docs/wire.md). */
export const CLOSE_DATA_MAX = 127;

export function causeIe(cause: number, diagnostic: Buffer = EMPTY, location = 0): CauseIe {
  return { id: IeId.CAUSE, location, cause, diagnostic };
}

export const EMPTY = Buffer.alloc(0);

/** Cause diagnostics are built in msg/diag.ts; call control uses them under these short names. */
export { ieListDiagnostic as ieListDiag, messageTypeDiagnostic as msgTypeDiag } from './msg/diag.js';

export function eprefIe(value: number, flag: boolean): EndpointReferenceIe {
  return { id: IeId.ENDPOINT_REFERENCE, type: 0, flag, value };
}

export function connIdIe(vpi: number, vci: number): ConnectionIdentifierIe {
  return { id: IeId.CONNECTION_IDENTIFIER, vpAssociated: 1, exclusive: 0, vpci: vpi, vci };
}

export function uuIe(data: Buffer): UserUserIe {
  return { id: IeId.USER_USER, protocol: 0, data };
}

export function msg(type: MsgType, ies: InfoElement[] = []): UniMessage {
  return { type, callRef: 0, callRefFlag: false, ies };
}

/** Close data out of a User-user IE, unchanged (undefined when absent). */
export function closeDataOf(m: UniMessage): Buffer | undefined {
  const uu = findIe(m, IeId.USER_USER);
  return uu ? uu.data : undefined;
}

export function causeOf(m: UniMessage): number | undefined {
  return findIe(m, IeId.CAUSE)?.cause;
}

/** AtmAddress -> Called/Calling party number fields (E.164: plan 1, international; AESA: plan 2). */
export function addressFields(a: AtmAddress): Pick<PartyNumber, 'typeOfNumber' | 'plan' | 'address'> {
  const form = atmAddressForm(a);
  if (form?.plan === 'e164') return { typeOfNumber: 1, plan: 1, address: asciiBytes(form.value) };
  if (form?.plan === 'aesa') return { typeOfNumber: 0, plan: 2, address: Buffer.from(form.value, 'hex') };
  // not a well-formed address: carried as unknown-plan private digits so the peer can refuse it
  return { typeOfNumber: 0, plan: 9, address: asciiBytes(a) };
}

export { canonicalAddress } from '../common/atm-address.js';

export function addressOf(n: PartyNumber): AtmAddress {
  return n.plan === 2 ? n.address.toString('hex') : asciiString(n.address);
}

// A party number is a few digits, converted on every SETUP and ADD PARTY each way: for so few
// octets Buffer.from(s, 'ascii') and Buffer#toString('ascii'), with their argument handling and
// calls into C++, cost more than the loops (the same results: 'ascii' writes each character's low
// octet, and reads each octet with its high bit cleared).
const SHORT = 32;

function asciiBytes(s: string): Buffer {
  if (s.length > SHORT) return Buffer.from(s, 'ascii');
  const b = Buffer.allocUnsafe(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

function asciiString(b: Buffer): string {
  if (b.length > SHORT) return b.toString('ascii');
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]! & 0x7f);
  return s;
}

export function calledIe(a: AtmAddress): CalledPartyNumberIe {
  return { id: IeId.CALLED_PARTY_NUMBER, ...addressFields(a) };
}

export function callingIe(a: AtmAddress): CallingPartyNumberIe {
  return { id: IeId.CALLING_PARTY_NUMBER, ...addressFields(a) };
}

export function defaultTraffic(): TrafficDescriptorIe {
  // best effort: forward and backward PCR CLP0+1 (0x84 / 0x85), best-effort indicator
  return {
    id: IeId.ATM_TRAFFIC_DESCRIPTOR,
    fields: [
      { id: 0x84, value: 353_207 },
      { id: 0x85, value: 353_207 },
    ],
    bestEffort: true,
  };
}

export function defaultBearer(multipoint: boolean): BearerCapabilityIe {
  return { id: IeId.BROADBAND_BEARER_CAPABILITY, bearerClass: 0x10, transferCapability: 10, clipping: 0, userPlane: multipoint ? 1 : 0 };
}

export function defaultQos(): QosParameterIe {
  return { id: IeId.QOS_PARAMETER, forwardClass: 0, backwardClass: 0 };
}

export function defaultAal(): AalParametersIe {
  return { id: IeId.AAL_PARAMETERS, aalType: 5, fwdMaxSdu: 1484, bwdMaxSdu: 1484, sscsType: 0 };
}

export { findIe, IeId, MsgType };
