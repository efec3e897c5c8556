import { describe, expect, it } from 'vitest';
import { decodeAllOrders, decodeBit, decodeRaw, encodeRaw, fromEngineering, toEngineering } from '../../protocols/modbus/decode.ts';
import { ATALAYA_MODBUS_DECODE_INVALID, ATALAYA_MODBUS_SHORT_DATA, ATALAYA_MODBUS_VALUE_OUT_OF_RANGE } from '../../protocols/modbus/errors.ts';
import type { DataType, WordOrder } from '../../protocols/modbus/types.ts';
import { WORD_ORDERS } from '../../protocols/modbus/types.ts';

type ValueType = Exclude<DataType, 'bit'>;

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return 'no error';
}

/**
 * Known encodings: the value's big-endian bytes written out by hand in each order
 * (types.ts WordOrder; 64-bit: ABCD = AB CD EF GH, CDAB = GH EF CD AB, BADC = BA DC FE HG,
 * DCBA = HG FE DC BA).
 */
const VECTORS: ReadonlyArray<{ type: ValueType; value: number; regs: Record<WordOrder, number[]> }> = [
  // float32 123.456 = 0x42F6E979
  { type: 'float32', value: Math.fround(123.456), regs: { ABCD: [0x42f6, 0xe979], CDAB: [0xe979, 0x42f6], BADC: [0xf642, 0x79e9], DCBA: [0x79e9, 0xf642] } },
  // int32 -2 = 0xFFFFFFFE
  { type: 'int32', value: -2, regs: { ABCD: [0xffff, 0xfffe], CDAB: [0xfffe, 0xffff], BADC: [0xffff, 0xfeff], DCBA: [0xfeff, 0xffff] } },
  { type: 'uint32', value: 0xdeadbeef, regs: { ABCD: [0xdead, 0xbeef], CDAB: [0xbeef, 0xdead], BADC: [0xadde, 0xefbe], DCBA: [0xefbe, 0xadde] } },
  // int16 -2 = 0xFFFE; only the byte swap applies to one register
  { type: 'int16', value: -2, regs: { ABCD: [0xfffe], CDAB: [0xfffe], BADC: [0xfeff], DCBA: [0xfeff] } },
  { type: 'int16', value: -32768, regs: { ABCD: [0x8000], CDAB: [0x8000], BADC: [0x0080], DCBA: [0x0080] } },
  { type: 'uint16', value: 0x1234, regs: { ABCD: [0x1234], CDAB: [0x1234], BADC: [0x3412], DCBA: [0x3412] } },
  // float64 1234.5678 = 0x40934A456D5CFAAD
  {
    type: 'float64',
    value: 1234.5678,
    regs: {
      ABCD: [0x4093, 0x4a45, 0x6d5c, 0xfaad],
      CDAB: [0xfaad, 0x6d5c, 0x4a45, 0x4093],
      BADC: [0x9340, 0x454a, 0x5c6d, 0xadfa],
      DCBA: [0xadfa, 0x5c6d, 0x454a, 0x9340],
    },
  },
  // uint64 0x0011223344556677 (< 2^53, exact)
  {
    type: 'uint64',
    value: 4822678189205111,
    regs: {
      ABCD: [0x0011, 0x2233, 0x4455, 0x6677],
      CDAB: [0x6677, 0x4455, 0x2233, 0x0011],
      BADC: [0x1100, 0x3322, 0x5544, 0x7766],
      DCBA: [0x7766, 0x5544, 0x3322, 0x1100],
    },
  },
  // int64 -2 = 0xFFFFFFFFFFFFFFFE
  {
    type: 'int64',
    value: -2,
    regs: {
      ABCD: [0xffff, 0xffff, 0xffff, 0xfffe],
      CDAB: [0xfffe, 0xffff, 0xffff, 0xffff],
      BADC: [0xffff, 0xffff, 0xffff, 0xfeff],
      DCBA: [0xfeff, 0xffff, 0xffff, 0xffff],
    },
  },
  // int64 -4822678189205111 = 0xFFEEDDCCBBAA9989
  {
    type: 'int64',
    value: -4822678189205111,
    regs: {
      ABCD: [0xffee, 0xddcc, 0xbbaa, 0x9989],
      CDAB: [0x9989, 0xbbaa, 0xddcc, 0xffee],
      BADC: [0xeeff, 0xccdd, 0xaabb, 0x8999],
      DCBA: [0x8999, 0xaabb, 0xccdd, 0xeeff],
    },
  },
];

describe('decodeRaw / encodeRaw against known byte strings', () => {
  for (const v of VECTORS) {
    for (const order of WORD_ORDERS) {
      it(`${v.type} ${v.value} ${order}`, () => {
        expect(encodeRaw(v.value, v.type, order)).toEqual(v.regs[order]);
        expect(decodeRaw(v.regs[order], 0, v.type, order)).toBe(v.value);
        // Same registers at an offset inside a larger response.
        expect(decodeRaw([0xaaaa, 0xbbbb, ...v.regs[order], 0xcccc], 2, v.type, order)).toBe(v.value);
      });
    }
  }

  it('decodes uint16 and int16 of the same word differently', () => {
    expect(decodeRaw([0x8001], 0, 'uint16', 'ABCD')).toBe(0x8001);
    expect(decodeRaw([0x8001], 0, 'int16', 'ABCD')).toBe(-32767);
    expect(decodeRaw([0xffff], 0, 'int16', 'CDAB')).toBe(-1);
  });

  it('returns 64-bit integers above 2^53 as the nearest number', () => {
    expect(decodeRaw([0xffff, 0xffff, 0xffff, 0xffff], 0, 'uint64', 'ABCD')).toBe(2 ** 64);
    expect(decodeRaw([0x8000, 0, 0, 0], 0, 'int64', 'ABCD')).toBe(-(2 ** 63));
    expect(decodeRaw([0x0020, 0, 0, 0x0001], 0, 'uint64', 'ABCD')).toBe(2 ** 53);
  });
});

describe('encode → decode round trips', () => {
  const samples: Record<ValueType, number[]> = {
    int16: [0, 1, -1, 255, -256, 32767, -32768, 12345],
    uint16: [0, 1, 255, 256, 65535, 40000],
    int32: [0, 1, -1, 2147483647, -2147483648, 65536, -65537, 123456789],
    uint32: [0, 1, 65535, 65536, 4294967295, 0xdeadbeef],
    int64: [0, 1, -1, 2 ** 32, -(2 ** 32), 2 ** 32 - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, -(2 ** 63), 2 ** 63 - 1024],
    uint64: [0, 1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, 2 ** 64 - 2048],
    float32: [0, -0, 1.5, -1.5, Math.fround(Math.PI), Math.fround(1e-40), 3.4028234663852886e38, Infinity, -Infinity],
    float64: [0, -0, Math.PI, -1e300, 5e-324, Number.MAX_VALUE, Infinity],
  };
  for (const [type, values] of Object.entries(samples) as Array<[ValueType, number[]]>) {
    for (const order of WORD_ORDERS) {
      it(`${type} ${order}`, () => {
        for (const value of values) {
          const regs = encodeRaw(value, type, order);
          for (const w of regs) expect(w).toSatisfy((x: number) => Number.isInteger(x) && x >= 0 && x <= 0xffff);
          expect(decodeRaw(regs, 0, type, order)).toBe(value);
        }
      });
    }
  }

  it('keeps NaN as NaN in float types', () => {
    for (const order of WORD_ORDERS) {
      expect(decodeRaw(encodeRaw(NaN, 'float32', order), 0, 'float32', order)).toBeNaN();
      expect(decodeRaw(encodeRaw(NaN, 'float64', order), 0, 'float64', order)).toBeNaN();
    }
  });

  it('rounds integer types to nearest', () => {
    expect(encodeRaw(1233.6, 'uint16', 'ABCD')).toEqual([1234]);
    expect(encodeRaw(-1.4, 'int16', 'ABCD')).toEqual([0xffff]);
    expect(encodeRaw(-0.4, 'int16', 'ABCD')).toEqual([0]);
    expect(encodeRaw(65535.4, 'uint16', 'ABCD')).toEqual([0xffff]);
  });
});

describe('encodeRaw range checks', () => {
  const outOfRange: Array<[number, ValueType]> = [
    [32768, 'int16'],
    [-32769, 'int16'],
    [-1, 'uint16'],
    [65535.5, 'uint16'],
    [65536, 'uint16'],
    [2 ** 31, 'int32'],
    [-(2 ** 31) - 1, 'int32'],
    [-1, 'uint32'],
    [2 ** 32, 'uint32'],
    [2 ** 63, 'int64'],
    [-1, 'uint64'],
    [2 ** 64, 'uint64'],
    [NaN, 'int16'],
    [Infinity, 'uint32'],
    [-Infinity, 'int64'],
    [1e39, 'float32'],
    [-1e39, 'float32'],
  ];
  for (const [value, type] of outOfRange) {
    it(`refuses ${value} as ${type}`, () => {
      expect(codeOf(() => encodeRaw(value, type, 'ABCD'))).toBe(ATALAYA_MODBUS_VALUE_OUT_OF_RANGE);
    });
  }
});

describe('decodeRaw input checks', () => {
  it('refuses to read past the end of the data', () => {
    expect(codeOf(() => decodeRaw([1], 0, 'float32', 'ABCD'))).toBe(ATALAYA_MODBUS_SHORT_DATA);
    expect(codeOf(() => decodeRaw([1, 2, 3, 4], 1, 'uint64', 'CDAB'))).toBe(ATALAYA_MODBUS_SHORT_DATA);
    expect(codeOf(() => decodeRaw([], 0, 'uint16', 'ABCD'))).toBe(ATALAYA_MODBUS_SHORT_DATA);
  });

  it('refuses values that are not 16-bit words and bad start indexes', () => {
    expect(codeOf(() => decodeRaw([0x10000], 0, 'uint16', 'ABCD'))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
    expect(codeOf(() => decodeRaw([-1, 0], 0, 'int32', 'ABCD'))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
    expect(codeOf(() => decodeRaw([0, 1.5], 0, 'int32', 'CDAB'))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
    expect(codeOf(() => decodeRaw([0, 0], -1, 'uint16', 'ABCD'))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
    expect(codeOf(() => decodeRaw([0, 0], 0, 'bit' as ValueType, 'ABCD'))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
    expect(codeOf(() => decodeRaw([0, 0], 0, 'int32', 'XYZW' as WordOrder))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
  });

  it('accepts typed arrays', () => {
    expect(decodeRaw(Uint16Array.of(0x42f6, 0xe979), 0, 'float32', 'ABCD')).toBe(Math.fround(123.456));
  });
});

describe('decodeBit', () => {
  it('reads bit 0 as the least significant', () => {
    expect(decodeBit(0b0000_0011_0000_0101, 0)).toBe(1);
    expect(decodeBit(0b0000_0011_0000_0101, 1)).toBe(0);
    expect(decodeBit(0b0000_0011_0000_0101, 2)).toBe(1);
    expect(decodeBit(0b0000_0011_0000_0101, 8)).toBe(1);
    expect(decodeBit(0b0000_0011_0000_0101, 9)).toBe(1);
    expect(decodeBit(0b0000_0011_0000_0101, 10)).toBe(0);
    expect(decodeBit(0x8000, 15)).toBe(1);
    expect(decodeBit(0x7fff, 15)).toBe(0);
  });

  it('refuses bit indexes outside 0..15 and non-words', () => {
    expect(codeOf(() => decodeBit(1, 16))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
    expect(codeOf(() => decodeBit(1, -1))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
    expect(codeOf(() => decodeBit(1, 0.5))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
    expect(codeOf(() => decodeBit(0x10000, 0))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
  });
});

describe('scale and offset', () => {
  it('applies raw·scale + offset', () => {
    expect(toEngineering(1234, 0.1, 0)).toBe(123.4);
    expect(toEngineering(2095, 0.01, 0)).toBe(20.95);
    expect(toEngineering(100, 2, -40)).toBe(160);
    expect(toEngineering(-5, 1, 0.5)).toBe(-4.5);
    expect(toEngineering(7, 0.25, 0)).toBe(1.75);
  });

  it('gives the decimal value for decimal scales rather than binary noise', () => {
    expect(toEngineering(3, 0.1, 0)).toBe(0.3);
    expect(toEngineering(123456, 0.001, 0)).toBe(123.456);
  });

  it('inverts back to the raw value', () => {
    for (const [raw, scale, offset] of [
      [1234, 0.1, 0],
      [2095, 0.01, 0],
      [100, 2, -40],
      [7, 0.25, 3],
      [-300, 0.5, 10],
    ] as const) {
      expect(Math.round(fromEngineering(toEngineering(raw, scale, offset), scale, offset))).toBe(raw);
    }
    expect(fromEngineering(160, 2, -40)).toBe(100);
  });

  it('refuses to invert a zero scale', () => {
    expect(codeOf(() => fromEngineering(1, 0, 0))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
  });
});

describe('decodeAllOrders', () => {
  it('decodes a dump every way a technician may need', () => {
    // 123.456 as CDAB followed by a status word 0xFFFE.
    const rows = decodeAllOrders([0xe979, 0x42f6, 0xfffe]);
    expect(rows).toHaveLength(3);
    const [r0, r1, r2] = rows;
    expect(r0).toMatchObject({ index: 0, int16: -5767, uint16: 0xe979 });
    expect(r0?.float32.CDAB).toBe(Math.fround(123.456));
    expect(r0?.uint32).toEqual({ ABCD: 0xe97942f6, CDAB: 0x42f6e979, BADC: 0x79e9f642, DCBA: 0xf64279e9 });
    expect(r0?.int32).toEqual({ ABCD: 0xe97942f6 - 2 ** 32, CDAB: 0x42f6e979, BADC: 0x79e9f642, DCBA: 0xf64279e9 - 2 ** 32 });
    expect(r1).toMatchObject({ index: 1, int16: 0x42f6, uint16: 0x42f6 });
    expect(r1?.uint32).toEqual({ ABCD: 0x42f6fffe, CDAB: 0xfffe42f6, BADC: 0xf642feff, DCBA: 0xfefff642 });
    expect(r2).toEqual({
      index: 2,
      int16: -2,
      uint16: 0xfffe,
      float32: { ABCD: null, CDAB: null, BADC: null, DCBA: null },
      int32: { ABCD: null, CDAB: null, BADC: null, DCBA: null },
      uint32: { ABCD: null, CDAB: null, BADC: null, DCBA: null },
    });
  });

  it('returns nothing for an empty dump', () => {
    expect(decodeAllOrders([])).toEqual([]);
  });
});
