/**
 * Q.2931 5.6 message verification as pure functions (NgATM keeps the same job
 * in `sig_verify.c`).
 *
 * `verify` looks at one received message on a known call and returns a
 * verdict: whether the message goes on to the call and party machines, and the
 * steps the coordinator takes first, in order (count a protocol error, answer
 * with STATUS, clear the call, reject the party). `verifySetup` does the same
 * for a SETUP that creates a call. Neither touches a link: the coordinator
 * (`uni-link.ts`) carries the steps out. Every 5.6 rule lives here and nowhere else.
 */
import { ieListDiag } from './call-ies.js';
import { msgDecl } from './msg/index.js';
import type { MessageCheck } from './msg/codec.js';
import { Cause, findIe, IeAction, IeId, MsgType, type UniMessage } from './msg/types.js';
import type { Side } from './states.js';

/** one thing the coordinator does because of what the checks found */
export type VerifyStep =
  /** count a protocol error of that cause and report it with the text */
  | { k: 'count'; cause: number; text: string }
  /** count a message discarded without a cause (Q.2931 5.6.8.3 "discard and ignore") */
  | { k: 'count-silent' }
  /** answer with STATUS carrying the cause */
  | { k: 'status'; cause: number; diag?: Buffer }
  /** clear the call (RELEASE with the cause) */
  | { k: 'clear-call'; cause: number; diag?: Buffer }
  /** reject the party the ADD PARTY asked for */
  | { k: 'add-party-reject'; cause: number; diag?: Buffer };

export interface Verdict {
  /** the message goes on to the machines */
  readonly proceed: boolean;
  readonly steps: readonly VerifyStep[];
}

/** what the verifier needs to know about the call the message is for */
export interface VerifyContext {
  /** the codec's findings for the message */
  readonly check: MessageCheck;
  readonly side: Side;
  readonly multipoint: boolean;
  /** we sent the SETUP of this call */
  readonly mine: boolean;
  /** the call has its VC (connection identifier) already */
  readonly vcAssigned: boolean;
  /** the message's name, for the texts */
  readonly name: (type: number) => string;
}

const PROCEED: Verdict = { proceed: true, steps: [] };

const ANSWERS_TO_SETUP = new Set<number>([MsgType.CALL_PROCEEDING, MsgType.ALERTING, MsgType.CONNECT]);
const PARTY_CLEARING = new Set<number>([MsgType.DROP_PARTY, MsgType.DROP_PARTY_ACKNOWLEDGE, MsgType.ADD_PARTY_REJECT]);
const CALL_CLEARING = new Set<number>([MsgType.RELEASE, MsgType.RELEASE_COMPLETE]);

/** the mandatory IEs of a message type */
export function mandatoryFor(type: number): readonly number[] {
  return msgDecl(type)?.mandatory ?? [];
}

/**
 * The action an IE's instruction field asks for, or undefined when its flag says to follow the
 * procedures of 5.6.8 without instruction. Reserved action values count as "discard IE, proceed and report".
 */
export function ieAction(ie: { flag?: boolean; action?: number }): number | undefined {
  if (!ie.flag) return undefined;
  const a = ie.action ?? 0;
  return a === 0 || a === 1 || a === 2 || a === 5 || a === 6 ? a : IeAction.DISCARD_IE_PROCEED_AND_REPORT;
}

const ids = (list: readonly { id: number }[]): Buffer => ieListDiag(list.map((i) => i.id));

/** Q.2931 5.6.8 on a message for a call we have: mandatory, unrecognised and errored IEs, in NgATM's order of precedence */
export function verify(m: UniMessage, ctx: VerifyContext): Verdict {
  const chk = ctx.check;
  if (chk.missing.length === 0 && chk.unrecognized.length === 0 && chk.errored.length === 0 && !impliedMissing(m, ctx, [])) return PROCEED;
  const partyClear = PARTY_CLEARING.has(m.type);
  const name = (): string => ctx.name(m.type);
  let missing: readonly number[] = chk.missing;
  if (partyClear) {
    // a missing cause is tolerated here (a DROP PARTY's absence is carried as cause 96 on the last-party path)
    missing = missing.filter((id) => id !== IeId.CAUSE);
    // a missing or bad endpoint reference clears the whole call (Q.2971 9.5.3.2.1 / 9.5.3.2.2)
    if (missing.includes(IeId.ENDPOINT_REFERENCE)) {
      const cause = Cause.MANDATORY_INFORMATION_ELEMENT_MISSING;
      return drop({ k: 'count', cause, text: `${name()} without endpoint reference` }, { k: 'clear-call', cause, diag: ieListDiag([IeId.ENDPOINT_REFERENCE]) });
    }
    if (chk.errored.some((e) => e.id === IeId.ENDPOINT_REFERENCE)) {
      const cause = Cause.INVALID_INFORMATION_ELEMENT_CONTENTS;
      return drop({ k: 'count', cause, text: `${name()} with a bad endpoint reference` }, { k: 'clear-call', cause, diag: ieListDiag([IeId.ENDPOINT_REFERENCE]) });
    }
  }
  missing = impliedMissing(m, ctx, missing) || missing;

  if (missing.length > 0) {
    const cause = Cause.MANDATORY_INFORMATION_ELEMENT_MISSING;
    const count: VerifyStep = { k: 'count', cause, text: `${name()} lacks ${missing.map((i) => '0x' + i.toString(16)).join(', ')}` };
    if (CALL_CLEARING.has(m.type)) return { proceed: true, steps: [count] };
    if (m.type === MsgType.ADD_PARTY && !missing.includes(IeId.ENDPOINT_REFERENCE)) return drop(count, { k: 'add-party-reject', cause, diag: ieListDiag(missing) });
    return drop(count, { k: 'status', cause, diag: ieListDiag(missing) });
  }
  const unr = chk.unrecognized;
  const errd = chk.errored;
  const clearU = unr.filter((ie) => ieAction(ie) === IeAction.CLEAR_CALL);
  if (clearU.length) {
    const cause = Cause.INFORMATION_ELEMENT_NON_EXISTENT;
    return drop({ k: 'count', cause, text: `${name()}: unrecognised IE asks to clear the call` }, { k: 'clear-call', cause, diag: ids(clearU) });
  }
  const clearE = errd.filter((ie) => ieAction(ie) === IeAction.CLEAR_CALL);
  if (clearE.length) {
    const cause = Cause.INVALID_INFORMATION_ELEMENT_CONTENTS;
    return drop({ k: 'count', cause, text: `${name()}: errored IE asks to clear the call` }, { k: 'clear-call', cause, diag: ids(clearE) });
  }
  const repU = unr.filter((ie) => ieAction(ie) === IeAction.DISCARD_MESSAGE_AND_REPORT);
  if (repU.length) {
    const cause = Cause.INFORMATION_ELEMENT_NON_EXISTENT;
    return drop({ k: 'count', cause, text: `${name()} discarded: unrecognised IE` }, { k: 'status', cause, diag: ids(repU) });
  }
  const repE = errd.filter((ie) => ieAction(ie) === IeAction.DISCARD_MESSAGE_AND_REPORT);
  if (repE.length) {
    const cause = Cause.INVALID_INFORMATION_ELEMENT_CONTENTS;
    return drop({ k: 'count', cause, text: `${name()} discarded: errored IE` }, { k: 'status', cause, diag: ids(repE) });
  }
  if ([...unr, ...errd].some((ie) => ieAction(ie) === IeAction.DISCARD_MESSAGE_AND_IGNORE)) return drop({ k: 'count-silent' });
  const mandatory = mandatoryFor(m.type);
  const mandatoryBad = errd.filter((e) => mandatory.includes(e.id) && ieAction(e) === undefined);
  if (mandatoryBad.length) {
    const cause = Cause.INVALID_INFORMATION_ELEMENT_CONTENTS;
    const count: VerifyStep = { k: 'count', cause, text: `${name()}: mandatory IE with bad contents` };
    if (CALL_CLEARING.has(m.type) || partyClear) return { proceed: true, steps: [count] };
    if (m.type === MsgType.ADD_PARTY && !mandatoryBad.some((e) => e.id === IeId.ENDPOINT_REFERENCE))
      return drop(count, { k: 'add-party-reject', cause, diag: ids(mandatoryBad) });
    return drop(count, { k: 'status', cause, diag: ids(mandatoryBad) });
  }
  // what is left is reported and the message proceeds
  const steps: VerifyStep[] = [];
  const softE = errd.filter((ie) => ieAction(ie) !== IeAction.DISCARD_IE_AND_PROCEED);
  if (softE.length) {
    const cause = Cause.INVALID_INFORMATION_ELEMENT_CONTENTS;
    steps.push({ k: 'count', cause, text: `${name()}: IE with bad contents ignored` }, { k: 'status', cause, diag: ids(softE) });
  }
  const softU = unr.filter((ie) => ieAction(ie) !== IeAction.DISCARD_IE_AND_PROCEED);
  if (softU.length) {
    const cause = Cause.INFORMATION_ELEMENT_NON_EXISTENT;
    steps.push({ k: 'count', cause, text: `${name()}: unrecognised IE ignored` }, { k: 'status', cause, diag: ids(softU) });
  }
  return steps.length ? { proceed: true, steps } : PROCEED;
}

/**
 * IEs a message needs on this call beyond its declaration: a multipoint call's answers to SETUP name the
 * party, and the network side's first answer to our SETUP assigns the VC. Returns the longer list, or
 * undefined when nothing is added.
 */
function impliedMissing(m: UniMessage, ctx: VerifyContext, missing: readonly number[]): readonly number[] | undefined {
  if (!ANSWERS_TO_SETUP.has(m.type)) return undefined;
  let out: number[] | undefined;
  if (ctx.multipoint && !findIe(m, IeId.ENDPOINT_REFERENCE) && !missing.includes(IeId.ENDPOINT_REFERENCE)) out = [...missing, IeId.ENDPOINT_REFERENCE];
  if (
    ctx.side === 'user' &&
    ctx.mine &&
    !ctx.vcAssigned &&
    !findIe(m, IeId.CONNECTION_IDENTIFIER) &&
    !ctx.check.errored.some((e) => e.id === IeId.CONNECTION_IDENTIFIER)
  )
    out = [...(out ?? missing), IeId.CONNECTION_IDENTIFIER];
  return out;
}

function drop(...steps: VerifyStep[]): Verdict {
  return { proceed: false, steps };
}

/** what becomes of a received SETUP (a new call) */
export type SetupVerdict =
  /** refused with RELEASE COMPLETE; counted when `text` is given */
  | { k: 'refuse'; cause: number; diag?: Buffer; text?: string }
  /** discarded without an answer (counted without a cause) */
  | { k: 'ignore' }
  /**
   * the call is created; `ep` is the first party of a multipoint call, `report` a STATUS to send once the
   * call exists (IEs it ignored)
   */
  | { k: 'accept'; multipoint: boolean; ep?: number; report?: { cause: number; diag: Buffer } };

/** Q.2931 5.6 and Q.2971 on a SETUP: which IEs refuse the call, which are ignored, and what the call is */
export function verifySetup(m: UniMessage, check: MessageCheck, side: Side): SetupVerdict {
  if (check.missing.length)
    return { k: 'refuse', cause: Cause.MANDATORY_INFORMATION_ELEMENT_MISSING, diag: ieListDiag(check.missing), text: 'SETUP lacks mandatory IEs' };
  const cu = check.unrecognized.filter((ie) => ieAction(ie) === IeAction.CLEAR_CALL);
  if (cu.length) return { k: 'refuse', cause: Cause.INFORMATION_ELEMENT_NON_EXISTENT, diag: ids(cu), text: 'SETUP: unrecognised IE asks to clear' };
  const mandatory = mandatoryFor(MsgType.SETUP);
  const mandatoryBad = check.errored.filter((e) => mandatory.includes(e.id) || ieAction(e) === IeAction.CLEAR_CALL || e.id === IeId.ENDPOINT_REFERENCE);
  if (mandatoryBad.length) return { k: 'refuse', cause: Cause.INVALID_INFORMATION_ELEMENT_CONTENTS, diag: ids(mandatoryBad), text: 'SETUP: IE with bad contents' };
  const odd = [...check.unrecognized, ...check.errored];
  if (odd.some((ie) => ieAction(ie) === IeAction.DISCARD_MESSAGE_AND_IGNORE || ieAction(ie) === IeAction.DISCARD_MESSAGE_AND_REPORT)) return { k: 'ignore' };
  const bearer = findIe(m, IeId.BROADBAND_BEARER_CAPABILITY);
  const ep = findIe(m, IeId.ENDPOINT_REFERENCE);
  const multipoint = bearer?.userPlane === 1;
  if (multipoint && (!ep || ep.flag))
    return {
      k: 'refuse',
      cause: ep ? Cause.INVALID_INFORMATION_ELEMENT_CONTENTS : Cause.MANDATORY_INFORMATION_ELEMENT_MISSING,
      diag: ieListDiag([IeId.ENDPOINT_REFERENCE]),
      text: 'point-to-multipoint SETUP without a good endpoint reference',
    };
  if (side === 'user' && !findIe(m, IeId.CONNECTION_IDENTIFIER))
    return {
      k: 'refuse',
      cause: Cause.MANDATORY_INFORMATION_ELEMENT_MISSING,
      diag: ieListDiag([IeId.CONNECTION_IDENTIFIER]),
      text: 'SETUP from the network side without a connection identifier',
    };
  const soft = odd.filter((ie) => ieAction(ie) !== IeAction.DISCARD_IE_AND_PROCEED);
  const report = soft.length
    ? { cause: check.errored.length > 0 ? Cause.INVALID_INFORMATION_ELEMENT_CONTENTS : Cause.INFORMATION_ELEMENT_NON_EXISTENT, diag: ids(soft) }
    : undefined;
  return { k: 'accept', multipoint, ep: multipoint ? ep!.value : undefined, report };
}
