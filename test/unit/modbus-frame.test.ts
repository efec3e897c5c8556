import { describe, expect, it } from 'vitest';
import { isAtalayaError } from '../../protocols/errors.ts';
import { crc16Modbus, hasValidCrc } from '../../protocols/modbus/crc.ts';
import { ATALAYA_MODBUS_CRC, ATALAYA_MODBUS_FRAME } from '../../protocols/modbus/errors.ts';
import {
  decodeRtu,
  encodeException,
  encodeMbap,
  encodeReadBitsResponse,
  encodeReadRegistersResponse,
  encodeRequest,
  encodeRtu,
  encodeWriteResponse,
  MbapSplitter,
  parseRequest,
  RtuRequestSplitter,
} from '../../protocols/modbus/frame.ts';

/** "01 03 00 00" → bytes. */
const hex = (s: string): Uint8Array =>
  Uint8Array.from(
    s
      .trim()
      .split(/\s+/)
      .map((b) => parseInt(b, 16)),
  );
const show = (u: Uint8Array): string =>
  Buffer.from(u)
    .toString('hex')
    .replace(/(..)(?=.)/g, '$1 ');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isAtalayaError(err) ? err.code : 'not-coded';
  }
  return undefined;
}

describe('CRC-16/MODBUS (Serial Line v1.02 §6.2.2)', () => {
  it('matches published check values', () => {
    expect(crc16Modbus(hex('01 03 00 00 00 0A'))).toBe(0xcdc5); // on the wire: C5 CD
    expect(crc16Modbus(hex('11 03 00 6B 00 03'))).toBe(0x8776); // 76 87, the classic modbus.org example
    expect(crc16Modbus(new TextEncoder().encode('123456789'))).toBe(0x4b37); // CRC catalogue check value
  });

  it('validates the trailing CRC of a frame', () => {
    expect(hasValidCrc(hex('01 03 00 00 00 0A C5 CD'))).toBe(true);
    expect(hasValidCrc(hex('01 03 00 00 00 0A CD C5'))).toBe(false);
  });
});

describe('RTU ADU (Serial Line v1.02 §2.5.1)', () => {
  it('appends the CRC low byte first', () => {
    expect(show(encodeRtu(1, hex('03 00 00 00 0A')))).toBe('01 03 00 00 00 0a c5 cd');
    expect(show(encodeRtu(0x11, hex('03 00 6B 00 03')))).toBe('11 03 00 6b 00 03 76 87');
  });

  it('decodes unit and PDU', () => {
    const { unit, pdu } = decodeRtu(hex('01 03 02 00 64 B9 AF'));
    expect(unit).toBe(1);
    expect(show(pdu)).toBe('03 02 00 64');
  });

  it('rejects a bad CRC and a too-short frame with coded errors', () => {
    expect(codeOf(() => decodeRtu(hex('01 03 00 00 00 0A C5 CE')))).toBe(ATALAYA_MODBUS_CRC);
    expect(codeOf(() => decodeRtu(hex('01 03 C5')))).toBe(ATALAYA_MODBUS_FRAME);
  });
});

describe('RtuRequestSplitter', () => {
  const read = '01 03 00 00 00 05 85 C9';
  // FC16 at 1, two registers 0x000A 0x0102 (Application Protocol §6.12 example), unit 1.
  const write16 = show(encodeRtu(1, hex('10 00 01 00 02 04 00 0A 01 02')));

  it('reassembles a frame delivered in pieces', () => {
    const s = new RtuRequestSplitter();
    expect(s.push(hex('01 03 00'))).toEqual([]);
    expect(s.push(hex('00 00'))).toEqual([]);
    const out = s.push(hex('05 85 C9'));
    expect(out).toEqual([{ unit: 1, pdu: hex('03 00 00 00 05') }]);
    expect(s.pending).toBe(0);
  });

  it('splits concatenated frames, FC16 by its byte count (9 + 4 bytes)', () => {
    const s = new RtuRequestSplitter();
    const out = s.push(hex(`${read} ${write16} ${read}`));
    expect(out.map((e) => ('pdu' in e ? show(e.pdu) : e.error))).toEqual(['03 00 00 00 05', '10 00 01 00 02 04 00 0a 01 02', '03 00 00 00 05']);
  });

  it('skips garbage before a frame and reports it once', () => {
    const s = new RtuRequestSplitter();
    const out = s.push(hex(`FF 00 13 37 01 03 ${read}`));
    expect(out).toEqual([
      { error: ATALAYA_MODBUS_FRAME, bytes: hex('FF 00 13 37 01 03') },
      { unit: 1, pdu: hex('03 00 00 00 05') },
    ]);
  });

  it('resynchronises when garbage and the frame arrive in separate chunks', () => {
    const s = new RtuRequestSplitter();
    expect(s.push(hex('DE AD 01'))).toEqual([]);
    const out = s.push(hex(read));
    expect(out.filter((e) => 'pdu' in e)).toEqual([{ unit: 1, pdu: hex('03 00 00 00 05') }]);
    expect(out.filter((e) => 'error' in e).flatMap((e) => ('error' in e ? [...e.bytes] : []))).toEqual([0xde, 0xad, 0x01]);
  });

  it('drops a request with a bad CRC as one CRC error and keeps serving', () => {
    const s = new RtuRequestSplitter();
    const bad = '01 03 00 00 00 05 85 CA';
    expect(s.push(hex(bad)).filter((e) => 'pdu' in e)).toEqual([]);
    const out = [...s.push(hex(read))];
    expect(out).toEqual([
      { error: ATALAYA_MODBUS_CRC, bytes: hex(bad) },
      { unit: 1, pdu: hex('03 00 00 00 05') },
    ]);
  });

  it('flush() reports a stale partial frame', () => {
    const s = new RtuRequestSplitter();
    expect(s.push(hex('01 03 00 00'))).toEqual([]);
    expect(s.flush()).toEqual([{ error: ATALAYA_MODBUS_FRAME, bytes: hex('01 03 00 00') }]);
    expect(s.pending).toBe(0);
  });

  it('finds an unknown function by its CRC so it can be answered with exception 01', () => {
    // FC17 (0x11) Report Server ID, Application Protocol §6.13: request is unit + function only.
    const s = new RtuRequestSplitter();
    const frame = encodeRtu(1, hex('11'));
    expect(s.push(frame)).toEqual([{ unit: 1, pdu: hex('11') }]);
  });
});

describe('MBAP (TCP/IP Implementation Guide v1.0b §3.1.3)', () => {
  // Transaction 1, protocol 0, length 6 (unit + 5-byte PDU), unit 0x11, FC03 at 0x6B ×3.
  const adu = '00 01 00 00 00 06 11 03 00 6B 00 03';

  it('encodes the header', () => {
    expect(show(encodeMbap(1, 0x11, hex('03 00 6B 00 03')))).toBe(adu.toLowerCase());
  });

  it('splits a stream by the length field, across chunk boundaries', () => {
    const s = new MbapSplitter();
    const bytes = hex(`${adu} 00 02 00 00 00 06 01 04 00 08 00 01`);
    expect(s.push(bytes.subarray(0, 5))).toEqual([]);
    const out = s.push(bytes.subarray(5));
    expect(out).toEqual([
      { transactionId: 1, unit: 0x11, pdu: hex('03 00 6B 00 03') },
      { transactionId: 2, unit: 1, pdu: hex('04 00 08 00 01') },
    ]);
  });

  it('skips a frame with a non-zero protocol id and gives up on an impossible length', () => {
    const s = new MbapSplitter();
    const out = s.push(hex(`00 01 00 01 00 06 11 03 00 6B 00 03 ${adu} 00 03 00 00 01 00 01`));
    expect(out[0]).toMatchObject({ error: ATALAYA_MODBUS_FRAME, recoverable: true });
    expect(out[1]).toEqual({ transactionId: 1, unit: 0x11, pdu: hex('03 00 6B 00 03') });
    expect(out[2]).toMatchObject({ error: ATALAYA_MODBUS_FRAME, recoverable: false });
  });
});

describe('request PDUs (Application Protocol v1.1b3 §6)', () => {
  it('parses the spec examples of FC01–06, 15 and 16', () => {
    expect(parseRequest(hex('01 00 13 00 13'))).toEqual({ ok: true, request: { fc: 1, address: 0x13, quantity: 19 } });
    expect(parseRequest(hex('02 00 C4 00 16'))).toEqual({ ok: true, request: { fc: 2, address: 0xc4, quantity: 22 } });
    expect(parseRequest(hex('03 00 6B 00 03'))).toEqual({ ok: true, request: { fc: 3, address: 0x6b, quantity: 3 } });
    expect(parseRequest(hex('04 00 08 00 01'))).toEqual({ ok: true, request: { fc: 4, address: 8, quantity: 1 } });
    expect(parseRequest(hex('05 00 AC FF 00'))).toEqual({ ok: true, request: { fc: 5, address: 0xac, value: true } });
    expect(parseRequest(hex('06 00 01 00 03'))).toEqual({ ok: true, request: { fc: 6, address: 1, value: 3 } });
    // §6.11: coils 20–29 ← CD 01 (LSB first).
    expect(parseRequest(hex('0F 00 13 00 0A 02 CD 01'))).toEqual({
      ok: true,
      request: { fc: 15, address: 0x13, values: [true, false, true, true, false, false, true, true, true, false] },
    });
    expect(parseRequest(hex('10 00 01 00 02 04 00 0A 01 02'))).toEqual({ ok: true, request: { fc: 16, address: 1, values: [0x0a, 0x0102] } });
  });

  it('round-trips through encodeRequest', () => {
    for (const s of ['01 00 13 00 13', '05 00 AC 00 00', '0F 00 13 00 0A 02 CD 01', '10 00 01 00 02 04 00 0A 01 02']) {
      const parsed = parseRequest(hex(s));
      if (!parsed.ok) throw new Error(`did not parse ${s}`);
      expect(show(encodeRequest(parsed.request))).toBe(s.toLowerCase());
    }
  });

  it('maps malformed requests to the exception the spec prescribes', () => {
    expect(parseRequest(hex('2B 0E 01 00'))).toEqual({ ok: false, fc: 0x2b, exception: 1 }); // unsupported → 01
    expect(parseRequest(hex('03 00 00 00 7E'))).toEqual({ ok: false, fc: 3, exception: 3 }); // 126 > 125 → 03
    expect(parseRequest(hex('03 00 00 00 00'))).toEqual({ ok: false, fc: 3, exception: 3 }); // quantity 0 → 03
    expect(parseRequest(hex('01 00 00 07 D1'))).toEqual({ ok: false, fc: 1, exception: 3 }); // 2001 bits → 03
    expect(parseRequest(hex('05 00 AC 12 34'))).toEqual({ ok: false, fc: 5, exception: 3 }); // §6.5: only FF00/0000
    expect(parseRequest(hex('10 00 01 00 02 03 00 0A 01'))).toEqual({ ok: false, fc: 16, exception: 3 }); // byte count ≠ 2N
  });
});

describe('response PDUs (Application Protocol v1.1b3 §6, §7)', () => {
  it('builds the spec example responses', () => {
    // §6.1: coils 20–38 = CD 6B 05.
    const coils = [1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1].map((b) => b === 1);
    expect(show(encodeReadBitsResponse(1, coils))).toBe('01 03 cd 6b 05');
    // §6.3: registers 108–110 = 555, 0, 100.
    expect(show(encodeReadRegistersResponse(3, [0x022b, 0, 0x64]))).toBe('03 06 02 2b 00 00 00 64');
    expect(show(encodeReadRegistersResponse(4, [0x0a]))).toBe('04 02 00 0a');
    expect(show(encodeWriteResponse({ fc: 6, address: 1, value: 3 }))).toBe('06 00 01 00 03');
    expect(show(encodeWriteResponse({ fc: 5, address: 0xac, value: true }))).toBe('05 00 ac ff 00');
    expect(show(encodeWriteResponse({ fc: 15, address: 0x13, values: new Array<boolean>(10).fill(false) }))).toBe('0f 00 13 00 0a');
    expect(show(encodeWriteResponse({ fc: 16, address: 1, values: [0x0a, 0x0102] }))).toBe('10 00 01 00 02');
  });

  it('builds exception PDUs with the function code high bit set (§7)', () => {
    expect(show(encodeException(1, 2))).toBe('81 02');
    expect(show(encodeException(3, 0x0b))).toBe('83 0b');
  });
});
