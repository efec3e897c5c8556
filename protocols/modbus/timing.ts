/**
 * RTU line timing: character time, the t3.5 inter-frame silence, and the time a Modbus RTU
 * exchange occupies the line (docs/modbus.md#silent-intervals-and-wire-time;
 * Modbus over Serial Line v1.02 §2.5.1.1). A character is 11 bits (start, 8 data, parity, stop —
 * or 2 stop bits without parity); frames are separated by t3.5 = 3.5 character times, fixed at
 * 1.75 ms above 19200 baud.
 */
export const RTU_BITS_PER_CHAR = 11;

/** Duration of one character, ms. */
export function charTimeMs(baud: number, bitsPerChar = RTU_BITS_PER_CHAR): number {
  return (bitsPerChar * 1000) / baud;
}

/**
 * Inter-frame silence t3.5, ms (§2.5.1.1: fixed 1.75 ms above 19200 baud; at 19200 itself it is
 * still 3.5 characters, 2.005 ms with 11-bit characters).
 */
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

/**
 * When a slave's answer has fully crossed the wire, ms after the master started its request:
 * request characters, the t3.5 silence that tells the slave the request ended, answer characters
 * (slave turnaround not included). The master's own t3.5 before its next request completes
 * wireTimeMs(); keeping it is the master's duty (agent/modbus/line-silence.ts).
 */
export function answerEndMs(requestBytes: number, responseBytes: number, baud: number, bitsPerChar = RTU_BITS_PER_CHAR): number {
  return (requestBytes + responseBytes) * charTimeMs(baud, bitsPerChar) + t35Ms(baud, bitsPerChar);
}

/** Bits of one character on the line: start + data + parity + stop (§2.5.1: 11 in compliant framing). */
export function bitsPerChar(dataBits: number, parity: 'none' | 'even' | 'odd', stopBits: number): number {
  return 1 + dataBits + (parity === 'none' ? 0 : 1) + stopBits;
}
