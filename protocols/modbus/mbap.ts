import { ATALAYA_MODBUS_FRAME } from './errors.ts';
import { concat, MAX_PDU, MBAP_HEADER, type MbapErrorEntry, type MbapFrame } from './frame-common.ts';

/** MBAP framing, Modbus Messaging on TCP/IP Implementation Guide v1.0b §3.1.3. */

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
