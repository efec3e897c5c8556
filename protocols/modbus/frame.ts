import { AtalayaError } from '../errors.ts';
import { crc16Modbus, crc16Update, hasValidCrc } from './crc.ts';
import { MAX_READ_BITS, MAX_READ_REGISTERS } from './types.ts';

/**
 * Modbus framing: RTU ADUs (Modbus over Serial Line v1.02 §2.5.1), MBAP ADUs (Modbus Messaging on
 * TCP/IP Implementation Guide v1.0b §3.1.3) and the request/response PDUs of FC01–06, 15 and 16
 * (Modbus Application Protocol v1.1b3 §6, exceptions §7). Pure: bytes in, bytes out.
 */

/** The CRC of an RTU frame does not match its bytes. */
export const ATALAYA_MODBUS_CRC = 'ATALAYA_MODBUS_CRC';
/** Bytes that cannot be a frame: too short, bad MBAP header, garbage on the line. */
export const ATALAYA_MODBUS_FRAME = 'ATALAYA_MODBUS_FRAME';
export type FrameErrorCode = typeof ATALAYA_MODBUS_CRC | typeof ATALAYA_MODBUS_FRAME;

export function frameError(code: FrameErrorCode, message: string, bytes: Uint8Array): AtalayaError<FrameErrorCode> {
  return new AtalayaError(code, message, { details: { length: bytes.length } });
}

/** Serial Line v1.02 §2.5.1: an RTU ADU is at most 256 bytes (address + 253-byte PDU + CRC). */
export const MAX_RTU_ADU = 256;
/** Application Protocol v1.1b3 §4.1: a PDU is at most 253 bytes. */
export const MAX_PDU = 253;
const MBAP_HEADER = 7;

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

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// ---------------------------------------------------------------- RTU (Serial Line v1.02 §2.5.1)

export function encodeRtu(unit: number, pdu: Uint8Array): Uint8Array {
  const adu = new Uint8Array(pdu.length + 3);
  adu[0] = unit;
  adu.set(pdu, 1);
  const crc = crc16Modbus(adu, 0, pdu.length + 1);
  adu[pdu.length + 1] = crc & 0xff;
  adu[pdu.length + 2] = crc >>> 8;
  return adu;
}

/** One complete RTU ADU → unit and PDU. Throws ATALAYA_MODBUS_FRAME (< 4 bytes) or ATALAYA_MODBUS_CRC. */
export function decodeRtu(adu: Uint8Array): UnitPdu {
  if (adu.length < 4) throw frameError(ATALAYA_MODBUS_FRAME, `RTU frame of ${adu.length} bytes is too short`, adu);
  if (!hasValidCrc(adu)) throw frameError(ATALAYA_MODBUS_CRC, 'RTU frame CRC mismatch', adu);
  return { unit: adu[0]!, pdu: adu.slice(1, adu.length - 2) };
}

type Probe = { kind: 'frame'; length: number } | { kind: 'need' } | { kind: 'bad'; crc: boolean };

/**
 * Splits a serial byte stream into RTU requests. Real devices delimit frames by 3.5 characters of
 * silence (§2.5.1.1), which a pseudo-terminal or a USB adapter's buffering does not preserve, so
 * frames are found by their length: FC01–06 requests are 8 bytes, FC15/16 are 9 + byte count
 * (§6.11, §6.12 of the Application Protocol). For other function codes the shortest prefix with a
 * valid CRC is taken, so they can still be answered with exception 01.
 *
 * Bytes that cannot start a frame are dropped one at a time until a frame lines up again. A run
 * of dropped bytes is reported once, when the next frame is found or on flush(): its code is
 * ATALAYA_MODBUS_CRC if the run began with a complete frame whose CRC was wrong.
 */
export class RtuRequestSplitter {
  private buf: Uint8Array = new Uint8Array(0);
  private garbage: number[] = [];
  private garbageCode: FrameErrorCode = ATALAYA_MODBUS_FRAME;

  /** Bytes held back: an incomplete frame or an unreported garbage run. */
  get pending(): number {
    return this.buf.length + this.garbage.length;
  }

  push(chunk: Uint8Array): Array<UnitPdu | FrameErrorEntry> {
    const out: Array<UnitPdu | FrameErrorEntry> = [];
    const buf = (this.buf = concat(this.buf, chunk));
    let pos = 0;
    while (buf.length - pos >= 4) {
      const probe = this.probe(pos);
      if (probe.kind === 'frame') {
        this.reportGarbage(out);
        out.push({ unit: buf[pos]!, pdu: buf.slice(pos + 1, pos + probe.length - 2) });
        pos += probe.length;
        continue;
      }
      if (probe.kind === 'bad') {
        this.drop(pos, probe.crc ? ATALAYA_MODBUS_CRC : ATALAYA_MODBUS_FRAME);
        pos += 1;
        continue;
      }
      // Incomplete: if a whole frame already sits further on, what we hold is not its start.
      const next = this.nextFrame(pos + 1);
      if (next >= 0 || buf.length - pos >= MAX_RTU_ADU) {
        const end = next >= 0 ? next : pos + 1;
        for (let i = pos; i < end; i++) this.drop(i, ATALAYA_MODBUS_FRAME);
        pos = end;
        continue;
      }
      break;
    }
    this.buf = buf.slice(pos);
    if (this.garbage.length >= MAX_RTU_ADU) this.reportGarbage(out);
    return out;
  }

  /** Line went idle (≥ t3.5): whatever is held cannot become a frame any more. */
  flush(): FrameErrorEntry[] {
    for (let i = 0; i < this.buf.length; i++) this.drop(i, ATALAYA_MODBUS_FRAME);
    this.buf = new Uint8Array(0);
    const out: FrameErrorEntry[] = [];
    this.reportGarbage(out);
    return out;
  }

  private drop(index: number, code: FrameErrorCode): void {
    if (this.garbage.length === 0) this.garbageCode = code;
    this.garbage.push(this.buf[index]!);
  }

  private reportGarbage(out: Array<UnitPdu | FrameErrorEntry>): void {
    if (this.garbage.length === 0) return;
    out.push({ error: this.garbageCode, bytes: Uint8Array.from(this.garbage) });
    this.garbage = [];
  }

  private nextFrame(from: number): number {
    for (let p = from; this.buf.length - p >= 4; p++) {
      if (requestLength(this.buf, p) !== undefined && this.probe(p).kind === 'frame') return p;
    }
    return -1;
  }

  private probe(pos: number): Probe {
    const buf = this.buf;
    const unit = buf[pos]!;
    const fc = buf[pos + 1]!;
    // §2.2: addresses 248–255 are reserved; requests never carry the exception bit.
    if (unit > 247 || fc === 0 || fc >= 0x80) return { kind: 'bad', crc: false };
    const known = requestLength(buf, pos);
    if (known === null) return { kind: 'need' };
    if (known !== undefined) {
      if (buf.length - pos < known) return { kind: 'need' };
      return hasValidCrc(buf, pos, pos + known) ? { kind: 'frame', length: known } : { kind: 'bad', crc: true };
    }
    // Unknown function: the shortest prefix whose last two bytes are its CRC.
    let crc = crc16Update(crc16Update(0xffff, unit), fc);
    const limit = Math.min(buf.length - pos, MAX_RTU_ADU);
    for (let len = 4; len <= limit; len++) {
      if (buf[pos + len - 2] === (crc & 0xff) && buf[pos + len - 1] === crc >>> 8) return { kind: 'frame', length: len };
      crc = crc16Update(crc, buf[pos + len - 2]!);
    }
    return { kind: 'need' };
  }
}

/** Total RTU length of the request at buf[pos]: undefined = unknown function, null = need more bytes. */
function requestLength(buf: Uint8Array, pos: number): number | undefined | null {
  switch (buf[pos + 1]) {
    case 1: case 2: case 3: case 4: case 5: case 6:
      return 8;
    case 15: case 16:
      return buf.length - pos < 7 ? null : 9 + buf[pos + 6]!;
    default:
      return undefined;
  }
}

// ------------------------------------------------------- MBAP (TCP/IP Implementation Guide §3.1.3)

export function encodeMbap(transactionId: number, unit: number, pdu: Uint8Array): Uint8Array {
  const adu = new Uint8Array(MBAP_HEADER + pdu.length);
  const view = new DataView(adu.buffer);
  view.setUint16(0, transactionId);
  view.setUint16(2, 0); // protocol identifier: 0 = Modbus
  view.setUint16(4, pdu.length + 1); // length counts the unit identifier and the PDU
  adu[6] = unit;
  adu.set(pdu, MBAP_HEADER);
  return adu;
}

/**
 * Splits a TCP stream into MBAP frames by the header's length field. A frame with a protocol
 * identifier other than 0 is skipped (its length still delimits it); a length outside 2..254
 * leaves no way to find the next frame, so everything buffered is reported as unrecoverable.
 */
export class MbapSplitter {
  private buf: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): Array<MbapFrame | MbapErrorEntry> {
    const out: Array<MbapFrame | MbapErrorEntry> = [];
    const buf = (this.buf = concat(this.buf, chunk));
    let pos = 0;
    while (buf.length - pos >= MBAP_HEADER) {
      const view = new DataView(buf.buffer, buf.byteOffset + pos);
      const length = view.getUint16(4);
      if (length < 2 || length > MAX_PDU + 1) {
        out.push({ error: ATALAYA_MODBUS_FRAME, bytes: buf.slice(pos), recoverable: false });
        pos = buf.length;
        break;
      }
      const end = pos + 6 + length;
      if (end > buf.length) break;
      if (view.getUint16(2) !== 0) {
        out.push({ error: ATALAYA_MODBUS_FRAME, bytes: buf.slice(pos, end), recoverable: true });
      } else {
        out.push({ transactionId: view.getUint16(0), unit: buf[pos + 6]!, pdu: buf.slice(pos + MBAP_HEADER, end) });
      }
      pos = end;
    }
    this.buf = buf.slice(pos);
    return out;
  }
}

// ------------------------------------------------------ PDUs (Application Protocol v1.1b3 §6, §7)

export type ReadFunction = 1 | 2 | 3 | 4;

export type ModbusRequest =
  | { readonly fc: ReadFunction; readonly address: number; readonly quantity: number }
  | { readonly fc: 5; readonly address: number; readonly value: boolean }
  | { readonly fc: 6; readonly address: number; readonly value: number }
  | { readonly fc: 15; readonly address: number; readonly values: readonly boolean[] }
  | { readonly fc: 16; readonly address: number; readonly values: readonly number[] };

export type ParsedRequest =
  | { readonly ok: true; readonly request: ModbusRequest }
  | { readonly ok: false; readonly fc: number; readonly exception: number };

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
    case 1: case 2: case 3: case 4: {
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
    case 15: case 16: {
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
    case 1: case 2: case 3: case 4:
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
  for (let i = 0; i < count; i++) out.push(((bytes[i >> 3] ?? 0) >> (i & 7)) & 1 ? true : false);
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
