/** fast-check generators for SSCOP PDU records (in the form parsePdu returns). */
import fc from 'fast-check';
import type { SscopPdu } from '../../src/sscop/index.js';

const sn = fc.integer({ min: 0, max: 0xffffff });
const sq = fc.integer({ min: 0, max: 0xff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

export const arbPdu: fc.Arbitrary<SscopPdu> = fc.oneof(
  fc.record({ type: fc.constant('BGN' as const), nsq: sq, nmr: sn, uu: bytes(40) }),
  fc.record({ type: fc.constant('BGAK' as const), nmr: sn, uu: bytes(40) }),
  fc.record({ type: fc.constant('BGREJ' as const), uu: bytes(40) }),
  fc.record({ type: fc.constant('END' as const), source: fc.constantFrom('user' as const, 'sscop' as const), uu: bytes(40) }),
  fc.record({ type: fc.constant('ENDAK' as const) }),
  fc.record({ type: fc.constant('RS' as const), nsq: sq, nmr: sn, uu: bytes(40) }),
  fc.record({ type: fc.constant('RSAK' as const), nmr: sn }),
  fc.record({ type: fc.constant('ER' as const), nsq: sq, nmr: sn }),
  fc.record({ type: fc.constant('ERAK' as const), nmr: sn }),
  fc.record({ type: fc.constant('SD' as const), ns: sn, data: bytes(100) }),
  fc.record({ type: fc.constant('POLL' as const), nps: sn, ns: sn }),
  fc.record({ type: fc.constant('STAT' as const), nps: sn, nmr: sn, nr: sn, list: fc.array(sn, { maxLength: 67 }) }),
  fc.record({ type: fc.constant('USTAT' as const), nmr: sn, nr: sn, sn1: sn, sn2: sn }),
  fc.record({ type: fc.constant('UD' as const), data: bytes(100) }),
  fc.record({ type: fc.constant('MD' as const), data: bytes(100) }),
);

/** PDUs with sequence numbers near a base (so they land inside an association's windows) */
export function arbNearPdu(base: () => number): fc.Arbitrary<SscopPdu> {
  const near = fc.integer({ min: -40, max: 200 }).map((d) => (base() + d) & 0xffffff);
  const small = fc.integer({ min: 0, max: 40 });
  return fc.oneof(
    arbPdu,
    fc.record({ type: fc.constant('SD' as const), ns: near, data: bytes(20) }),
    fc.record({ type: fc.constant('POLL' as const), nps: small, ns: near }),
    fc.record({ type: fc.constant('STAT' as const), nps: small, nmr: near, nr: near, list: fc.array(near, { maxLength: 9 }) }),
    fc.record({ type: fc.constant('USTAT' as const), nmr: near, nr: near, sn1: near, sn2: near }),
    fc.record({ type: fc.constant('BGN' as const), nsq: fc.integer({ min: 0, max: 3 }), nmr: near, uu: bytes(4) }),
    fc.record({ type: fc.constant('RS' as const), nsq: fc.integer({ min: 0, max: 3 }), nmr: near, uu: bytes(4) }),
    fc.record({ type: fc.constant('ER' as const), nsq: fc.integer({ min: 0, max: 3 }), nmr: near }),
  );
}
