/**
 * Time a Modbus RTU exchange occupies the line (docs/modbus.md#silent-intervals-and-wire-time;
 * Modbus over Serial Line v1.02 §2.5.1.1). A character is 11 bits (start, 8 data, parity, stop —
 * or 2 stop bits without parity); frames are separated by t3.5 = 3.5 character times, fixed at
 * 1.75 ms above 19200 baud.
 */
export const RTU_BITS_PER_CHAR = 11;

/** Duration of one character, ms. */
export function charTimeMs(baud: number, bitsPerChar = RTU_BITS_PER_CHAR): number {
  return (bitsPerChar * 1000) / baud;
}

/** Inter-frame silence t3.5, ms (§2.5.1.1: fixed 1.75 ms above 19200 baud). */
export function t35Ms(baud: number, bitsPerChar = RTU_BITS_PER_CHAR): number {
  return baud > 19200 ? 1.75 : 3.5 * charTimeMs(baud, bitsPerChar);
}

/**
 * Minimum duration of one poll on the wire, ms: request and response characters plus the silence
 * before each frame. Slave turnaround is not included. 9600 baud, FC03 of one register
 * (8 + 7 bytes): 25.2 ms, i.e. 39.7 polls/s.
 */
export function wireTimeMs(requestBytes: number, responseBytes: number, baud: number, bitsPerChar = RTU_BITS_PER_CHAR): number {
  return (requestBytes + responseBytes) * charTimeMs(baud, bitsPerChar) + 2 * t35Ms(baud, bitsPerChar);
}
