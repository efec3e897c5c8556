import { MAX_READ_BITS, MAX_READ_REGISTERS } from './types.ts';

/** Request and response PDUs of FC01–06, 15 and 16, Modbus Application Protocol v1.1b3 §6; exceptions §7. */

export type ReadFunction = 1 | 2 | 3 | 4;

export type ModbusRequest =
  | { readonly fc: ReadFunction; readonly address: number; readonly quantity: number }
  | { readonly fc: 5; readonly address: number; readonly value: boolean }
  | { readonly fc: 6; readonly address: number; readonly value: number }
  | { readonly fc: 15; readonly address: number; readonly values: readonly boolean[] }
  | { readonly fc: 16; readonly address: number; readonly values: readonly number[] };

export type ParsedRequest = { readonly ok: true; readonly request: ModbusRequest } | { readonly ok: false; readonly fc: number; readonly exception: number };

/** §6.11, §6.12: write-multiple quantity limits (the request must fit a 253-byte PDU). */
export const MAX_WRITE_BITS = 0x7b0;
export const MAX_WRITE_REGISTERS = 0x7b;

export const EXCEPTION = {
  illegalFunction: 1,
  illegalDataAddress: 2,
  illegalDataValue: 3,
  slaveDeviceFailure: 4,
  slaveDeviceBusy: 6,
  gatewayPathUnavailable: 10,
  gatewayTargetFailed: 11,
} as const;

const u16 = (pdu: Uint8Array, at: number): number => (pdu[at]! << 8) | pdu[at + 1]!;

/**
 * A request PDU as a server sees it. Malformed requests yield the exception the spec's state
 * diagrams prescribe: 01 for an unsupported function, 03 for a quantity, byte count or coil value
 * out of range. Address checks against a device's map (exception 02) are the server's job.
 */
export function parseRequest(pdu: Uint8Array): ParsedRequest {
  const fc = pdu[0] ?? 0;
  const fail = (exception: number): ParsedRequest => ({ ok: false, fc, exception });
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      if (pdu.length !== 5) return fail(EXCEPTION.illegalDataValue);
      const quantity = u16(pdu, 3);
      const max = fc <= 2 ? MAX_READ_BITS : MAX_READ_REGISTERS;
      if (quantity < 1 || quantity > max) return fail(EXCEPTION.illegalDataValue);
      return { ok: true, request: { fc, address: u16(pdu, 1), quantity } };
    }
    case 5: {
      const raw = pdu.length === 5 ? u16(pdu, 3) : -1;
      // §6.5: only 0xFF00 (ON) and 0x0000 (OFF) are legal.
      if (raw !== 0xff00 && raw !== 0) return fail(EXCEPTION.illegalDataValue);
      return { ok: true, request: { fc, address: u16(pdu, 1), value: raw === 0xff00 } };
    }
    case 6:
      if (pdu.length !== 5) return fail(EXCEPTION.illegalDataValue);
      return { ok: true, request: { fc, address: u16(pdu, 1), value: u16(pdu, 3) } };
    case 15:
    case 16: {
      if (pdu.length < 6) return fail(EXCEPTION.illegalDataValue);
      const quantity = u16(pdu, 3);
      const byteCount = pdu[5]!;
      const max = fc === 15 ? MAX_WRITE_BITS : MAX_WRITE_REGISTERS;
      const expected = fc === 15 ? Math.ceil(quantity / 8) : quantity * 2;
      if (quantity < 1 || quantity > max || byteCount !== expected || pdu.length !== 6 + byteCount) {
        return fail(EXCEPTION.illegalDataValue);
      }
      const address = u16(pdu, 1);
      if (fc === 15) return { ok: true, request: { fc, address, values: unpackBits(pdu.subarray(6), quantity) } };
      const values: number[] = [];
      for (let i = 0; i < quantity; i++) values.push(u16(pdu, 6 + 2 * i));
      return { ok: true, request: { fc, address, values } };
    }
    default:
      return fail(EXCEPTION.illegalFunction);
  }
}

/** The request PDU a client sends (the inverse of parseRequest). */
export function encodeRequest(request: ModbusRequest): Uint8Array {
  switch (request.fc) {
    case 1:
    case 2:
    case 3:
    case 4:
      return bytesOf(request.fc, [request.address, request.quantity]);
    case 5:
      return bytesOf(5, [request.address, request.value ? 0xff00 : 0]);
    case 6:
      return bytesOf(6, [request.address, request.value]);
    case 15: {
      const packed = packBits(request.values);
      return withTail(bytesOf(15, [request.address, request.values.length]), [packed.length, ...packed]);
    }
    case 16: {
      const words = bytesOf(0, request.values).subarray(1);
      return withTail(bytesOf(16, [request.address, request.values.length]), [words.length, ...words]);
    }
  }
}

/** §6.1/§6.2: FC01/02 response; bit i of the request is bit (i mod 8) of byte ⌊i/8⌋ (LSB first). */
export function encodeReadBitsResponse(fc: 1 | 2, bits: ArrayLike<boolean>): Uint8Array {
  const packed = packBits(bits);
  return Uint8Array.from([fc, packed.length, ...packed]);
}

/** §6.3/§6.4: FC03/04 response, registers big-endian. */
export function encodeReadRegistersResponse(fc: 3 | 4, words: ArrayLike<number>): Uint8Array {
  return withTail(Uint8Array.from([fc, words.length * 2]), bytesOf(0, Array.from(words)).subarray(1));
}

/** §6.5, §6.6: echo of the request; §6.11, §6.12: address and quantity written. */
export function encodeWriteResponse(request: Exclude<ModbusRequest, { fc: ReadFunction }>): Uint8Array {
  switch (request.fc) {
    case 5:
    case 6:
      return encodeRequest(request);
    case 15:
    case 16:
      return bytesOf(request.fc, [request.address, request.values.length]);
  }
}

/** §7: exception response, function code with its high bit set, then the exception code. */
export function encodeException(fc: number, code: number): Uint8Array {
  return Uint8Array.from([(fc | 0x80) & 0xff, code]);
}

export function packBits(bits: ArrayLike<boolean>): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

export function unpackBits(bytes: Uint8Array, count: number): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < count; i++) out.push(!!(((bytes[i >> 3] ?? 0) >> (i & 7)) & 1));
  return out;
}

function bytesOf(fc: number, words: readonly number[]): Uint8Array {
  const out = new Uint8Array(1 + 2 * words.length);
  out[0] = fc;
  words.forEach((w, i) => {
    out[1 + 2 * i] = (w >> 8) & 0xff;
    out[2 + 2 * i] = w & 0xff;
  });
  return out;
}

function withTail(head: Uint8Array, tail: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(Array.from(tail), head.length);
  return out;
}
