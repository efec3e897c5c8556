import { AtalayaError } from '../errors.ts';
import type { ATALAYA_MODBUS_CRC, ATALAYA_MODBUS_FRAME } from './errors.ts';

/**
 * Modbus framing: RTU ADUs (Modbus over Serial Line v1.02 §2.5.1), MBAP ADUs (Modbus Messaging on
 * TCP/IP Implementation Guide v1.0b §3.1.3) and the request/response PDUs of FC01–06, 15 and 16
 * (Modbus Application Protocol v1.1b3 §6, exceptions §7). Pure: bytes in, bytes out.
 */

export type FrameErrorCode = typeof ATALAYA_MODBUS_CRC | typeof ATALAYA_MODBUS_FRAME;

export function frameError(code: FrameErrorCode, message: string, bytes: Uint8Array): AtalayaError<FrameErrorCode> {
  return new AtalayaError(code, message, { details: { length: bytes.length } });
}

/** Serial Line v1.02 §2.5.1: an RTU ADU is at most 256 bytes (address + 253-byte PDU + CRC). */
export const MAX_RTU_ADU = 256;
/** Application Protocol v1.1b3 §4.1: a PDU is at most 253 bytes. */
export const MAX_PDU = 253;
/** MBAP header: transaction id, protocol id, length, unit id (TCP/IP Implementation Guide §3.1.3). */
export const MBAP_HEADER = 7;

/** A request or response PDU split off the wire, addressed to (or from) `unit`. */
export interface UnitPdu {
  readonly unit: number;
  readonly pdu: Uint8Array;
}
/** Bytes a splitter threw away, reported so that callers can count them; never thrown. */
export interface FrameErrorEntry {
  readonly error: FrameErrorCode;
  readonly bytes: Uint8Array;
}
export interface MbapFrame extends UnitPdu {
  readonly transactionId: number;
}
/** `recoverable: false` means the stream lost sync (bad length): close the connection. */
export interface MbapErrorEntry extends FrameErrorEntry {
  readonly recoverable: boolean;
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
