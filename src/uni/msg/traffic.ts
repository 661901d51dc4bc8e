/**
 * The ATM traffic descriptor as connection modification (Q.2963.1) reads
 * it: peak cell rates for the cell loss priority 0+1 flow, forward (from the
 * calling user, who owns the connection, to the called user) and backward.
 *
 * Q.2963.1 changes the peak cell rate and nothing else: the traffic
 * descriptor of a MODIFY REQUEST (and of a MODIFY ACKNOWLEDGE that repeats
 * it) carries the forward and/or backward PCR CLP=0+1 subfields only, each a
 * rate in cells per second that fits 24 bits and is not zero. Pure functions
 * on the records of types.ts.
 */
import { IeId, type TrafficDescriptorIe, type TrafficField } from './types.js';

/** Traffic-descriptor subfield identifiers (Q.2931 4.5.18). */
export const TD = {
  FWD_PCR_0: 0x82,
  BWD_PCR_0: 0x83,
  /** forward peak cell rate, CLP=0+1 */
  FWD_PCR: 0x84,
  /** backward peak cell rate, CLP=0+1 */
  BWD_PCR: 0x85,
  FWD_SCR_0: 0x88,
  BWD_SCR_0: 0x89,
  FWD_SCR: 0x90,
  BWD_SCR: 0x91,
  FWD_MBS_0: 0xa0,
  BWD_MBS_0: 0xa1,
  FWD_MBS: 0xb0,
  BWD_MBS: 0xb1,
} as const;

/** Largest cell rate a subfield carries (24 bits). */
export const MAX_CELL_RATE = 0xffffff;

/** Octets of user payload in one cell (what a peak cell rate means in bytes per second). */
export const CELL_PAYLOAD = 48;

export interface PeakCellRates {
  /** cells per second from the calling user to the called user */
  forward?: number;
  /** cells per second from the called user to the calling user */
  backward?: number;
}

/** The CLP=0+1 peak cell rates a traffic descriptor names (absent subfields stay undefined). */
export function peakCellRates(td: TrafficDescriptorIe | undefined): PeakCellRates {
  const out: PeakCellRates = {};
  if (!td) return out;
  for (const f of td.fields) {
    if (f.id === TD.FWD_PCR) out.forward = f.value;
    else if (f.id === TD.BWD_PCR) out.backward = f.value;
  }
  return out;
}

/** The traffic descriptor a MODIFY REQUEST carries for these rates (forward first). */
export function modifyTrafficDescriptor(pcr: PeakCellRates): TrafficDescriptorIe {
  const fields: TrafficField[] = [];
  if (pcr.forward !== undefined) fields.push({ id: TD.FWD_PCR, value: pcr.forward });
  if (pcr.backward !== undefined) fields.push({ id: TD.BWD_PCR, value: pcr.backward });
  return { id: IeId.ATM_TRAFFIC_DESCRIPTOR, fields, bestEffort: false };
}

/** Why these rates cannot go into a MODIFY REQUEST (undefined: they can). */
export function pcrProblem(pcr: PeakCellRates): string | undefined {
  if (pcr.forward === undefined && pcr.backward === undefined) return 'no peak cell rate given';
  for (const [dir, v] of [['forward', pcr.forward], ['backward', pcr.backward]] as const) {
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 1 || v > MAX_CELL_RATE) return `${dir} peak cell rate ${v} is not a whole number of cells/s in 1..${MAX_CELL_RATE}`;
  }
  return undefined;
}

/**
 * Why a received MODIFY REQUEST's traffic descriptor breaks the Q.2963.1
 * rules (undefined: it keeps them): only the PCR CLP=0+1 subfields, each at
 * most once, at least one of them, none zero, no best-effort indicator and
 * no traffic management options.
 */
export function modifyTrafficProblem(td: TrafficDescriptorIe): string | undefined {
  const seen = new Set<number>();
  for (const f of td.fields) {
    if (f.id !== TD.FWD_PCR && f.id !== TD.BWD_PCR) return `subfield 0x${f.id.toString(16)} is not a peak cell rate for CLP=0+1`;
    if (seen.has(f.id)) return `subfield 0x${f.id.toString(16)} twice`;
    seen.add(f.id);
  }
  if (td.bestEffort) return 'best-effort indicator';
  if (td.tmOptions !== undefined) return 'traffic management options';
  return pcrProblem(peakCellRates(td));
}

/**
 * The call's traffic descriptor after a modification: the PCR CLP=0+1
 * subfields replaced by (or, when absent, added with) the new rates; every
 * other subfield kept.
 */
export function withPeakCellRates(td: TrafficDescriptorIe, pcr: PeakCellRates): TrafficDescriptorIe {
  const fields = td.fields.map((f) =>
    f.id === TD.FWD_PCR && pcr.forward !== undefined
      ? { id: f.id, value: pcr.forward }
      : f.id === TD.BWD_PCR && pcr.backward !== undefined
        ? { id: f.id, value: pcr.backward }
        : { ...f },
  );
  if (pcr.forward !== undefined && !fields.some((f) => f.id === TD.FWD_PCR)) fields.unshift({ id: TD.FWD_PCR, value: pcr.forward });
  if (pcr.backward !== undefined && !fields.some((f) => f.id === TD.BWD_PCR)) fields.push({ id: TD.BWD_PCR, value: pcr.backward });
  return { ...td, fields };
}

/** Bytes of user payload per second a peak cell rate allows. */
export function pcrBytesPerSecond(cellsPerSecond: number): number {
  return cellsPerSecond * CELL_PAYLOAD;
}
