/**
 * The SAAL service that SSCOP + SSCF-UNI offer to Q.2931 call control (the
 * AAL-ESTABLISH / AAL-RELEASE / AAL-DATA / AAL-UNITDATA primitives of Q.2130).
 *
 * This file is the contract between `sscop/` (which implements it over a
 * lossy frame wire) and `uni/` (which only ever sees this interface; its unit
 * tests may use an in-memory perfect implementation).
 */
import type { Observable } from 'rxjs';

export type SaalSignal =
  /** the peer established the link (SSCOP BGN received and acknowledged), or resynchronised / recovered it */
  | { kind: 'establish-indication' }
  /** our establish request succeeded (BGAK received) */
  | { kind: 'establish-confirm' }
  /** the link is gone without our asking: peer END, BGREJ, NO-RESPONSE expiry, MaxCC exhausted */
  | { kind: 'release-indication'; reason: string }
  /** our release request finished */
  | { kind: 'release-confirm' }
  /** an assured SDU (a Q.2931 message), delivered once and in order */
  | { kind: 'data-indication'; data: Buffer }
  /** an unassured SDU */
  | { kind: 'unitdata-indication'; data: Buffer };

export interface SaalService {
  /** every indication and confirmation, in order; completes on dispose() */
  readonly signals$: Observable<SaalSignal>;
  /** AAL-ESTABLISH.request (also: re-establish / resynchronise when already up) */
  establish(): void;
  /** AAL-RELEASE.request */
  release(): void;
  /** AAL-DATA.request: assured transfer of one SDU; queued while the link establishes */
  data(sdu: Buffer): void;
  /** AAL-UNITDATA.request */
  unitdata(sdu: Buffer): void;
  /** true while the link is in Data Transfer Ready (SSCF-UNI 4/10 Established) */
  readonly established: boolean;
}
