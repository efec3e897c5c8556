import { crc16Modbus, crc16Update, hasValidCrc } from './crc.ts';
import { ATALAYA_MODBUS_CRC, ATALAYA_MODBUS_FRAME } from './errors.ts';
import { concat, type FrameErrorCode, type FrameErrorEntry, frameError, MAX_RTU_ADU, type UnitPdu } from './frame-common.ts';

/** RTU framing, Modbus over Serial Line v1.02 §2.5.1. */

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
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
      return 8;
    case 15:
    case 16:
      return buf.length - pos < 7 ? null : 9 + buf[pos + 6]!;
    default:
      return undefined;
  }
}
