/**
 * One-line descriptions of messages and IEs for logs, ladder diagrams and the
 * CLI: "DROP PARTY cr 42 (to origin) [cause 16 normal call clearing,
 * location user; endpoint reference 1 (to origin); user-user pd 0, 6 B]".
 * Pure; never throws on any record decodeMessage can produce.
 */
import { describeCause } from './diag.js';
import { callStateName, endpointStateName, ieName, messageName, msgActionName } from './names.js';
import { type ErroredIe, IeId, type InfoElement, type UniMessage } from './types.js';

const hex = (b: Buffer): string => (b.length <= 16 ? b.toString('hex') : `${b.subarray(0, 16).toString('hex')}...`);

function address(plan: number, a: Buffer): string {
  // E.164 digits are IA5; anything else (AESA, private) prints as hex
  return plan === 1 && a.every((c) => c >= 0x30 && c <= 0x39) ? a.toString('latin1') : hex(a);
}

function compat(ie: { coding?: number; flag?: boolean; action?: number }, flag: boolean | undefined): string {
  const parts: string[] = [];
  if (ie.coding) parts.push(`coding ${ie.coding}`);
  if (flag) parts.push(`action ${ie.action ?? 0}`);
  return parts.length ? ` {${parts.join(', ')}}` : '';
}

/** One IE, e.g. "endpoint reference 1 (to origin)". */
export function describeIe(ie: InfoElement, side: 'user' | 'network' = 'user'): string {
  if ('unknown' in ie) return `unrecognised ${ieName(ie.id)} ${ie.content.length} B${compat(ie, ie.flag)}`;
  let body: string;
  let flag = ie.flag;
  switch (ie.id) {
    case IeId.CAUSE:
      body = describeCause(ie);
      break;
    case IeId.CALL_STATE:
      body = `call state ${callStateName(ie.state, side)}`;
      break;
    case IeId.ENDPOINT_REFERENCE:
      body = `endpoint reference ${ie.value}${ie.flag ? ' (to origin)' : ''}`;
      flag = ie.ieFlag;
      break;
    case IeId.ENDPOINT_STATE:
      body = `endpoint state ${endpointStateName(ie.state)}`;
      break;
    case IeId.CONNECTION_IDENTIFIER:
      body = `connection identifier VPCI ${ie.vpci} VCI ${ie.vci}`;
      break;
    case IeId.RESTART_INDICATOR:
      body = `restart indicator class ${ie.restartClass}`;
      break;
    case IeId.USER_USER:
      body = `user-user pd ${ie.protocol}, ${ie.data.length} B`;
      break;
    case IeId.CALLED_PARTY_NUMBER:
    case IeId.CALLING_PARTY_NUMBER:
      body = `${ieName(ie.id)} ${address(ie.plan, ie.address)}`;
      break;
    case IeId.CALLED_PARTY_SUBADDRESS:
    case IeId.CALLING_PARTY_SUBADDRESS:
      body = `${ieName(ie.id)} ${hex(ie.address)}`;
      break;
    case IeId.BROADBAND_BEARER_CAPABILITY:
      body = `bearer class 0x${ie.bearerClass.toString(16)}${ie.userPlane === 1 ? ' point-to-multipoint' : ''}`;
      break;
    case IeId.ATM_TRAFFIC_DESCRIPTOR:
      body = `traffic ${ie.fields.map((f) => `0x${f.id.toString(16)}=${f.value}`).join(' ')}${ie.bestEffort ? ' best effort' : ''}`;
      break;
    case IeId.QOS_PARAMETER:
      body = `QoS class ${ie.forwardClass}/${ie.backwardClass}`;
      break;
    case IeId.AAL_PARAMETERS:
      body = `AAL ${ie.aalType}${ie.fwdMaxSdu !== undefined ? ` fwd ${ie.fwdMaxSdu}` : ''}${ie.bwdMaxSdu !== undefined ? ` bwd ${ie.bwdMaxSdu}` : ''}`;
      break;
    case IeId.BROADBAND_REPEAT_INDICATOR:
      body = `repeat indicator ${ie.indicator}`;
      break;
    case IeId.BROADBAND_REPORT_TYPE:
      body = `report type ${ie.reportType === 1 ? 'modification confirmation' : ie.reportType}`;
      break;
    case IeId.BROADBAND_SENDING_COMPLETE:
      body = 'sending complete';
      break;
    case IeId.BROADBAND_LOW_LAYER_INFORMATION:
    case IeId.BROADBAND_HIGH_LAYER_INFORMATION:
    case IeId.NOTIFICATION_INDICATOR:
      body = `${ieName(ie.id)} ${hex(ie.content)}`;
      break;
    default:
      body = ieName((ie as { id: number }).id);
  }
  return body + compat(ie, flag);
}

function describeErrored(e: ErroredIe): string {
  return `${e.problem} ${ieName(e.id)} ${e.content.length} B${compat(e, e.flag)}`;
}

/** One message on one line: type, call reference, instructions, IEs, then what decode found wrong. */
export function describeMessage(msg: UniMessage, side: 'user' | 'network' = 'user'): string {
  const head = `${messageName(msg.type)} cr ${msg.callRef}${msg.callRefFlag ? ' (to origin)' : ''}`;
  const instr = msg.msgFlag ? ` {${msgActionName(msg.msgAction ?? 0)}}` : '';
  const ies = msg.ies.map((ie) => describeIe(ie, side));
  const bad = (msg.errored ?? []).map(describeErrored);
  const all = bad.length ? [...ies, ...bad] : ies;
  return `${head}${instr} [${all.join('; ')}]`;
}
