/**
 * CRC-16/MODBUS, Modbus over Serial Line v1.02 §6.2.2: polynomial 0xA001 (0x8005 reflected),
 * initial value 0xFFFF, no final XOR. On the wire the low byte goes first.
 * Table-driven: one lookup per byte instead of eight shifts, as the spec's Appendix B suggests.
 */
const TABLE = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    table[i] = c;
  }
  return table;
}

/** CRC of bytes[start, end). Returns the 16-bit value; its LOW byte is transmitted first. */
export function crc16Modbus(bytes: ArrayLike<number>, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** Continues a running CRC with one more byte (for scanning frames of unknown length). */
export function crc16Update(crc: number, byte: number): number {
  return (crc >>> 8) ^ TABLE[(crc ^ byte) & 0xff]!;
}

/** True when the last two bytes of bytes[start, end) are the CRC of the bytes before them. */
export function hasValidCrc(bytes: ArrayLike<number>, start = 0, end = bytes.length): boolean {
  if (end - start < 3) return false;
  const crc = crc16Modbus(bytes, start, end - 2);
  return bytes[end - 2] === (crc & 0xff) && bytes[end - 1] === crc >>> 8;
}
