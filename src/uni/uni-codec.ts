/**
 * The one place call control meets the message codec (`msg/`). Everything
 * else in uni/ works on UniMessage records; tests may inject another codec.
 */
import type { DecodeError, Result } from '../common/result.js';
import type { Side } from './states.js';
import {
  callStateName,
  causeName,
  checkMessage,
  decodeMessage,
  encodeMessage,
  endpointStateName,
  messageName,
  type MessageCheck,
  type UniMessage,
} from './msg/index.js';

export type CheckResult = MessageCheck;

export interface UniCodec {
  encode(msg: UniMessage): Buffer;
  decode(buf: Buffer): Result<UniMessage, DecodeError>;
  check(msg: UniMessage): CheckResult;
  messageName(type: number): string;
  causeName(cause: number): string;
  callStateName(code: number, side: Side): string;
  partyStateName(code: number): string;
}

export const binaryCodec: UniCodec = {
  encode: encodeMessage,
  decode: decodeMessage,
  check: checkMessage,
  messageName,
  causeName,
  callStateName,
  partyStateName: endpointStateName,
};

/** The codec call control (src/callcontrol) uses unless told otherwise. */
export const defaultCodec: UniCodec = binaryCodec;
