/**
 * fast-check generators for the codec's records, in canonical form: the form
 * decodeMessage produces (defaults omitted: coding 0, flag clear, action 0,
 * absent optional octets), so decode(encode(x)) must deep-equal x.
 */
import fc from 'fast-check';
import { IE_DECL_LIST, MSG_DECL_LIST, ieDecl, msgDecl } from '../../src/uni/msg/decls.js';
import { TRAFFIC_RATE_IDS } from '../../src/uni/msg/ie.js';
import { IeId, MsgType, type InfoElement, type KnownIe, type UniMessage, type UnknownIe } from '../../src/uni/msg/types.js';

/** fc.record, never with a null prototype (the codec's records are plain objects). */
const rec: typeof fc.record = ((m: never, o?: object) => fc.record(m, { ...(o ?? {}), noNullPrototype: true })) as never;

const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));

/** Compatibility fields in canonical form for an IE whose declaration accepts `codings`. */
function compat(codings: readonly number[]): fc.Arbitrary<{ coding?: number; flag?: true; action?: number }> {
  const nonItu = codings.filter((c) => c !== 0);
  return rec(
    {
      coding: nonItu.length > 0 ? fc.constantFrom(...nonItu) : fc.constant(undefined),
      flag: fc.constant(true as const),
      action: fc.integer({ min: 1, max: 7 }),
    },
    { requiredKeys: [] },
  );
}

const known: Record<number, fc.Arbitrary<KnownIe>> = {
  [IeId.CAUSE]: rec({
    id: fc.constant(IeId.CAUSE as const),
    location: fc.integer({ min: 0, max: 15 }),
    cause: fc.integer({ min: 0, max: 127 }),
    diagnostic: bytes(0, 28),
  }),
  [IeId.CALL_STATE]: rec({ id: fc.constant(IeId.CALL_STATE as const), state: fc.integer({ min: 0, max: 63 }) }),
  [IeId.NOTIFICATION_INDICATOR]: rec({
    id: fc.constant(IeId.NOTIFICATION_INDICATOR as const),
    content: bytes(1, 128),
  }),
  [IeId.ENDPOINT_REFERENCE]: rec(
    {
      id: fc.constant(IeId.ENDPOINT_REFERENCE as const),
      type: fc.integer({ min: 0, max: 255 }),
      flag: fc.boolean(),
      value: fc.integer({ min: 0, max: 0x7fff }),
      ieFlag: fc.constant(true),
    },
    { requiredKeys: ['id', 'type', 'flag', 'value'] },
  ),
  [IeId.ENDPOINT_STATE]: rec({
    id: fc.constant(IeId.ENDPOINT_STATE as const),
    state: fc.integer({ min: 0, max: 63 }),
  }),
  [IeId.AAL_PARAMETERS]: fc.oneof(
    rec(
      {
        id: fc.constant(IeId.AAL_PARAMETERS as const),
        aalType: fc.constant(5),
        fwdMaxSdu: fc.integer({ min: 0, max: 0xffff }),
        bwdMaxSdu: fc.integer({ min: 0, max: 0xffff }),
        mode: fc.integer({ min: 0, max: 255 }),
        sscsType: fc.integer({ min: 0, max: 255 }),
      },
      { requiredKeys: ['id', 'aalType'] },
    ),
    rec(
      {
        id: fc.constant(IeId.AAL_PARAMETERS as const),
        aalType: fc.integer({ min: 0, max: 255 }).filter((n) => n !== 5),
        raw: bytes(1, 16),
      },
      { requiredKeys: ['id', 'aalType'] },
    ),
  ),
  [IeId.ATM_TRAFFIC_DESCRIPTOR]: rec(
    {
      id: fc.constant(IeId.ATM_TRAFFIC_DESCRIPTOR as const),
      fields: fc.array(
        rec({ id: fc.constantFrom(...TRAFFIC_RATE_IDS), value: fc.integer({ min: 0, max: 0xffffff }) }),
        { maxLength: 5 },
      ),
      bestEffort: fc.boolean(),
      tmOptions: fc.integer({ min: 0, max: 255 }),
    },
    { requiredKeys: ['id', 'fields', 'bestEffort'] },
  ),
  [IeId.CONNECTION_IDENTIFIER]: rec({
    id: fc.constant(IeId.CONNECTION_IDENTIFIER as const),
    vpAssociated: fc.integer({ min: 0, max: 3 }),
    exclusive: fc.integer({ min: 0, max: 7 }),
    vpci: fc.integer({ min: 0, max: 0xffff }),
    vci: fc.integer({ min: 0, max: 0xffff }),
  }),
  [IeId.QOS_PARAMETER]: rec({
    id: fc.constant(IeId.QOS_PARAMETER as const),
    forwardClass: fc.integer({ min: 0, max: 255 }),
    backwardClass: fc.integer({ min: 0, max: 255 }),
  }),
  [IeId.BROADBAND_HIGH_LAYER_INFORMATION]: rec({
    id: fc.constant(IeId.BROADBAND_HIGH_LAYER_INFORMATION as const),
    content: bytes(1, 9),
  }),
  [IeId.BROADBAND_BEARER_CAPABILITY]: rec(
    {
      id: fc.constant(IeId.BROADBAND_BEARER_CAPABILITY as const),
      bearerClass: fc.integer({ min: 0, max: 31 }),
      transferCapability: fc.integer({ min: 0, max: 127 }),
      clipping: fc.integer({ min: 0, max: 3 }),
      userPlane: fc.integer({ min: 0, max: 3 }),
    },
    { requiredKeys: ['id', 'bearerClass', 'clipping', 'userPlane'] },
  ),
  [IeId.BROADBAND_LOW_LAYER_INFORMATION]: rec({
    id: fc.constant(IeId.BROADBAND_LOW_LAYER_INFORMATION as const),
    content: bytes(1, 13),
  }),
  [IeId.BROADBAND_SENDING_COMPLETE]: rec({ id: fc.constant(IeId.BROADBAND_SENDING_COMPLETE as const) }),
  [IeId.BROADBAND_REPEAT_INDICATOR]: rec({
    id: fc.constant(IeId.BROADBAND_REPEAT_INDICATOR as const),
    indicator: fc.integer({ min: 0, max: 15 }),
  }),
  [IeId.CALLING_PARTY_NUMBER]: fc.oneof(
    rec({
      id: fc.constant(IeId.CALLING_PARTY_NUMBER as const),
      typeOfNumber: fc.integer({ min: 0, max: 7 }),
      plan: fc.integer({ min: 0, max: 15 }),
      address: bytes(0, 20),
    }),
    rec({
      id: fc.constant(IeId.CALLING_PARTY_NUMBER as const),
      typeOfNumber: fc.integer({ min: 0, max: 7 }),
      plan: fc.integer({ min: 0, max: 15 }),
      presentation: fc.integer({ min: 0, max: 3 }),
      screening: fc.integer({ min: 0, max: 3 }),
      address: bytes(0, 20),
    }),
  ),
  [IeId.CALLING_PARTY_SUBADDRESS]: rec({
    id: fc.constant(IeId.CALLING_PARTY_SUBADDRESS as const),
    subaddressType: fc.integer({ min: 0, max: 7 }),
    address: bytes(0, 20),
  }),
  [IeId.CALLED_PARTY_NUMBER]: rec({
    id: fc.constant(IeId.CALLED_PARTY_NUMBER as const),
    typeOfNumber: fc.integer({ min: 0, max: 7 }),
    plan: fc.integer({ min: 0, max: 15 }),
    address: bytes(0, 20),
  }),
  [IeId.CALLED_PARTY_SUBADDRESS]: rec({
    id: fc.constant(IeId.CALLED_PARTY_SUBADDRESS as const),
    subaddressType: fc.integer({ min: 0, max: 7 }),
    address: bytes(0, 20),
  }),
  [IeId.RESTART_INDICATOR]: rec({
    id: fc.constant(IeId.RESTART_INDICATOR as const),
    restartClass: fc.integer({ min: 0, max: 7 }),
  }),
  [IeId.USER_USER]: rec({
    id: fc.constant(IeId.USER_USER as const),
    protocol: fc.integer({ min: 0, max: 255 }),
    data: bytes(0, 127),
  }),
  [IeId.BROADBAND_REPORT_TYPE]: rec({
    id: fc.constant(IeId.BROADBAND_REPORT_TYPE as const),
    reportType: fc.integer({ min: 0, max: 127 }),
  }),
};

/** A known IE of kind `id`, with canonical compatibility fields. */
export function knownIe(id: IeId): fc.Arbitrary<KnownIe> {
  const d = ieDecl(id)!;
  return fc.tuple(known[id], compat(d.codings)).map(([ie, c]) => {
    const out = { ...ie } as KnownIe & { ieFlag?: boolean };
    if (c.coding !== undefined) out.coding = c.coding;
    if (c.action !== undefined) out.action = c.action;
    if (id === IeId.ENDPOINT_REFERENCE) {
      // the IE-header flag lives in ieFlag (from the generator above); `flag` is the epref flag
    } else if (c.flag) out.flag = true;
    return out;
  });
}

/** Every IE kind the codec knows. */
export const KNOWN_IE_IDS: readonly IeId[] = IE_DECL_LIST.map((d) => d.id);

/** An IE that `type` treats as unrecognised: unknown identifier, or known but not allowed there. */
export function unknownIe(type: number): fc.Arbitrary<UnknownIe> {
  const md = msgDecl(type);
  return fc
    .tuple(
      fc.integer({ min: 0, max: 255 }).filter((id) => ieDecl(id) === undefined || (md !== undefined && md.maxCount[id] === 0)),
      bytes(0, 40),
      rec(
        { coding: fc.integer({ min: 1, max: 3 }), flag: fc.constant(true), action: fc.integer({ min: 1, max: 7 }) },
        { requiredKeys: [] },
      ),
    )
    .map(([id, content, c]) => ({ id, unknown: true as const, content, ...c }));
}

export const KNOWN_TYPES: readonly MsgType[] = MSG_DECL_LIST.map((d) => d.type);

/** Message types the codec does not declare (kept as numbers, IEs decoded generically). */
export const unknownType = fc.integer({ min: 0, max: 255 }).filter((t) => msgDecl(t) === undefined);

/**
 * A message of a declared type: each allowed IE kind 0..max times (so the
 * repeat limits hold), shuffled, with unknown IEs mixed in; or a message of an
 * undeclared type with any known IEs (no limits apply there).
 */
export function message(): fc.Arbitrary<UniMessage> {
  const header = rec(
    {
      callRef: fc.integer({ min: 0, max: 0x7fffff }),
      callRefFlag: fc.boolean(),
      msgFlag: fc.constant(true),
    },
    { requiredKeys: ['callRef', 'callRefFlag'] },
  );
  const declared = fc.constantFrom(...KNOWN_TYPES).chain((type) => {
    const rules = msgDecl(type)!.decl.ies;
    const parts = rules.map((r) => fc.array(knownIe(r.id), { maxLength: r.max }));
    return fc.tuple(
      fc.constant(type as number),
      fc.tuple(...parts).map((xs) => xs.flat() as InfoElement[]),
      fc.array(unknownIe(type), { maxLength: 3 }),
    );
  });
  const undeclared = unknownType.chain((type) =>
    fc.tuple(
      fc.constant(type),
      fc.array(fc.constantFrom(...KNOWN_IE_IDS).chain(knownIe), { maxLength: 6 }) as fc.Arbitrary<InfoElement[]>,
      fc.array(unknownIe(type), { maxLength: 3 }),
    ),
  );
  return fc
    .tuple(fc.oneof(declared, undeclared), header, fc.integer({ min: 0, max: 3 }))
    .chain(([[type, knownIes, unknownIes], h, action]) =>
      fc.shuffledSubarray([...knownIes, ...unknownIes], {
        minLength: knownIes.length + unknownIes.length,
        maxLength: knownIes.length + unknownIes.length,
      }).map((ies) => {
        const m: UniMessage = { type, callRef: h.callRef, callRefFlag: h.callRefFlag, ies };
        if (h.msgFlag) {
          m.msgFlag = true;
          m.msgAction = action;
        }
        return m;
      }),
    );
}
