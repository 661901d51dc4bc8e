/**
 * The Q.2931 / Q.2971 message codec, as call control and tools use it:
 * `encodeMessage`, `decodeMessage`, `checkMessage`, the records (types.ts),
 * the name tables (names.ts), the declaration tables (decls.ts), cause
 * diagnostics (diag.ts) and one-line descriptions for logs (describe.ts).
 */
export { encodeMessage, decodeMessage, checkMessage } from './codec.js';
export type { MessageCheck } from './codec.js';
export { GLOBAL_CALL_REFERENCE, DUMMY_CALL_REFERENCE } from './codec.js';
export { IE_PROBLEM } from './ie.js';
export type { IeProblem } from './ie.js';
export { ieDecl, msgDecl, IE_DECL_LIST, MSG_DECL_LIST, USER_USER_MAX_DATA } from './decls.js';
export type { IeDecl, MsgDecl, MsgIeRule, CompiledMsgDecl } from './decls.js';
export * from './types.js';
export * from './names.js';
export {
  describeCause,
  diagnosticKind,
  ieListDiagnostic,
  messageTypeDiagnostic,
  parseDiagnostic,
  timerDiagnostic,
  vpciVciDiagnostic,
} from './diag.js';
export type { Diagnostic, DiagnosticKind } from './diag.js';
export { describeIe, describeMessage } from './describe.js';
export {
  CELL_PAYLOAD,
  MAX_CELL_RATE,
  TD,
  modifyTrafficDescriptor,
  modifyTrafficProblem,
  pcrBytesPerSecond,
  pcrProblem,
  peakCellRates,
  withPeakCellRates,
} from './traffic.js';
export type { PeakCellRates } from './traffic.js';
