import { AtalayaError, isAtalayaError } from '../errors.ts';

/**
 * Stable codes of the pure Modbus framing (frame.ts), value codec (decode.ts) and request planner (planner.ts).
 * Callers branch on `code`; `details` carries the machine-readable context.
 */

/** The CRC of an RTU frame does not match its bytes (framing: frame-common.ts, rtu.ts). */
export const ATALAYA_MODBUS_CRC = 'ATALAYA_MODBUS_CRC';
/** Bytes that cannot be a frame: too short, bad MBAP header, garbage on the line. */
export const ATALAYA_MODBUS_FRAME = 'ATALAYA_MODBUS_FRAME';

/** The field list or the plan options cannot produce valid requests (a config problem). */
export const ATALAYA_MODBUS_PLAN_INVALID = 'ATALAYA_MODBUS_PLAN_INVALID';
/** Fewer registers or bits than the value or request needs (a truncated or mismatched response). */
export const ATALAYA_MODBUS_SHORT_DATA = 'ATALAYA_MODBUS_SHORT_DATA';
/** A value does not fit the register type it is to be written as. */
export const ATALAYA_MODBUS_VALUE_OUT_OF_RANGE = 'ATALAYA_MODBUS_VALUE_OUT_OF_RANGE';
/** An argument the codec cannot interpret: a word outside 0..65535, a bit index outside 0..15, … */
export const ATALAYA_MODBUS_DECODE_INVALID = 'ATALAYA_MODBUS_DECODE_INVALID';

export type ModbusCodecErrorCode =
  | typeof ATALAYA_MODBUS_PLAN_INVALID
  | typeof ATALAYA_MODBUS_SHORT_DATA
  | typeof ATALAYA_MODBUS_VALUE_OUT_OF_RANGE
  | typeof ATALAYA_MODBUS_DECODE_INVALID;

/** One thing wrong with the planner's input; `path` names it like the config does (`fields[3].bit`). */
export interface PlanProblem {
  readonly path: string;
  readonly problem: string;
}

export function planInvalid(problems: readonly PlanProblem[]): AtalayaError<typeof ATALAYA_MODBUS_PLAN_INVALID> {
  const summary = problems.map((p) => `${p.path}: ${p.problem}`).join('; ');
  return new AtalayaError(ATALAYA_MODBUS_PLAN_INVALID, `invalid Modbus read plan: ${summary}`, {
    details: { problems },
  });
}

export function shortData(needed: number, got: number, what: string): AtalayaError<typeof ATALAYA_MODBUS_SHORT_DATA> {
  return new AtalayaError(ATALAYA_MODBUS_SHORT_DATA, `${what}: need ${needed}, got ${got}`, {
    details: { needed, got },
  });
}

export function valueOutOfRange(value: number, type: string): AtalayaError<typeof ATALAYA_MODBUS_VALUE_OUT_OF_RANGE> {
  return new AtalayaError(ATALAYA_MODBUS_VALUE_OUT_OF_RANGE, `${value} does not fit a ${type}`, {
    details: { value, type },
  });
}

export function decodeInvalid(message: string, details: Record<string, unknown>): AtalayaError<typeof ATALAYA_MODBUS_DECODE_INVALID> {
  return new AtalayaError(ATALAYA_MODBUS_DECODE_INVALID, message, { details });
}

const CODES: ReadonlySet<string> = new Set<ModbusCodecErrorCode>([
  ATALAYA_MODBUS_PLAN_INVALID,
  ATALAYA_MODBUS_SHORT_DATA,
  ATALAYA_MODBUS_VALUE_OUT_OF_RANGE,
  ATALAYA_MODBUS_DECODE_INVALID,
]);

export function isModbusCodecError(err: unknown): err is AtalayaError<ModbusCodecErrorCode> {
  return isAtalayaError(err) && CODES.has(err.code);
}
