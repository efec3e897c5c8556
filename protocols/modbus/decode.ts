import { decodeInvalid, shortData, valueOutOfRange } from './errors.ts';
import type { DataType, WordOrder } from './types.ts';
import { WORD_ORDERS } from './types.ts';

/**
 * Register ⇄ value codec. Registers are 16-bit big-endian words (Modbus Application Protocol
 * v1.1b3 §4.2); multi-register values follow the device's word order (see WordOrder in types.ts).
 *
 * Every order is two independent flags: CDAB and DCBA reverse the order of the words, BADC and
 * DCBA swap the two bytes inside each word. Loading the words into a big-endian scratch buffer
 * with those two flags applied turns every order into plain ABCD for DataView to read.
 *
 * The scratch buffer is shared: this runs once per reading on the poll hot path, and JS being
 * single-threaded, nothing can interleave between filling and reading it.
 */
const scratch = new DataView(new ArrayBuffer(8));

const TWO_32 = 4294967296;
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;
const FLOAT32_MAX = 3.4028234663852886e38;

type ValueType = Exclude<DataType, 'bit'>;

function reversesWords(order: WordOrder): boolean {
  switch (order) {
    case 'ABCD':
    case 'BADC':
      return false;
    case 'CDAB':
    case 'DCBA':
      return true;
    default:
      throw decodeInvalid(`unknown word order ${String(order)}`, { order });
  }
}

function swapsBytes(order: WordOrder): boolean {
  return order === 'BADC' || order === 'DCBA';
}

/** Copies `n` words from `words[start…]` into the scratch buffer as big-endian ABCD… bytes. */
function load(words: ArrayLike<number>, start: number, n: number, order: WordOrder): void {
  if (!Number.isInteger(start) || start < 0) throw decodeInvalid(`invalid start index ${start}`, { start });
  if (start + n > words.length) throw shortData(start + n, words.length, 'registers');
  const reverse = reversesWords(order);
  const swap = swapsBytes(order);
  for (let k = 0; k < n; k++) {
    const index = start + (reverse ? n - 1 - k : k);
    const w = words[index]!;
    // One AND rejects negatives, fractions, NaN and anything above 0xFFFF.
    if ((w & 0xffff) !== w) throw decodeInvalid(`register value ${w} is not a 16-bit word`, { index, value: w });
    // Writing little-endian is exactly the byte swap within a word.
    scratch.setUint16(2 * k, w, swap);
  }
}

/** Inverse of load: the scratch buffer's first `n` words as registers in `order`. */
function store(n: number, order: WordOrder): number[] {
  const reverse = reversesWords(order);
  const swap = swapsBytes(order);
  const out = new Array<number>(n);
  for (let k = 0; k < n; k++) out[reverse ? n - 1 - k : k] = scratch.getUint16(2 * k, swap);
  return out;
}

/**
 * The raw (unscaled) value of `type` starting at words[start]. 64-bit integers come back as the
 * nearest JS number: exact up to 2^53 (9,007,199,254,740,992), rounded beyond. Use decodeBit for
 * `bit`.
 */
export function decodeRaw(words: ArrayLike<number>, start: number, type: ValueType, order: WordOrder): number {
  switch (type) {
    case 'int16':
      load(words, start, 1, order);
      return scratch.getInt16(0);
    case 'uint16':
      load(words, start, 1, order);
      return scratch.getUint16(0);
    case 'int32':
      load(words, start, 2, order);
      return scratch.getInt32(0);
    case 'uint32':
      load(words, start, 2, order);
      return scratch.getUint32(0);
    case 'float32':
      load(words, start, 2, order);
      return scratch.getFloat32(0);
    case 'int64':
      load(words, start, 4, order);
      // hi·2^32 is exact, so the sum is rounded once: no BigInt allocated per reading.
      return scratch.getInt32(0) * TWO_32 + scratch.getUint32(4);
    case 'uint64':
      load(words, start, 4, order);
      return scratch.getUint32(0) * TWO_32 + scratch.getUint32(4);
    case 'float64':
      load(words, start, 4, order);
      return scratch.getFloat64(0);
    default:
      throw decodeInvalid(`decodeRaw cannot decode type ${String(type)}`, { type });
  }
}

function toInteger(raw: number, type: ValueType, min: number, maxExclusive: number): number {
  const r = Math.round(raw);
  // Written so that NaN fails too.
  if (!(r >= min && r < maxExclusive)) throw valueOutOfRange(raw, type);
  return r;
}

/**
 * The registers that hold `raw` (already unscaled). Integer types round to nearest (Math.round:
 * halves toward +∞) and throw ATALAYA_MODBUS_VALUE_OUT_OF_RANGE outside the type's range; float32
 * refuses finite values that would overflow to ±Infinity. NaN and ±Infinity pass for float types.
 */
export function encodeRaw(raw: number, type: ValueType, order: WordOrder): number[] {
  switch (type) {
    case 'int16':
      scratch.setInt16(0, toInteger(raw, type, -0x8000, 0x8000));
      return store(1, order);
    case 'uint16':
      scratch.setUint16(0, toInteger(raw, type, 0, 0x10000));
      return store(1, order);
    case 'int32':
      scratch.setInt32(0, toInteger(raw, type, -0x80000000, 0x80000000));
      return store(2, order);
    case 'uint32':
      scratch.setUint32(0, toInteger(raw, type, 0, TWO_32));
      return store(2, order);
    case 'float32':
      if (Number.isFinite(raw) && Math.abs(Math.fround(raw)) > FLOAT32_MAX) throw valueOutOfRange(raw, type);
      scratch.setFloat32(0, raw);
      return store(2, order);
    case 'int64':
    case 'uint64': {
      const r = type === 'int64' ? toInteger(raw, type, -TWO_63, TWO_63) : toInteger(raw, type, 0, TWO_64);
      // r is an integer double, so the division, floor and subtraction are all exact.
      const hi = Math.floor(r / TWO_32);
      scratch.setUint32(0, hi >>> 0);
      scratch.setUint32(4, r - hi * TWO_32);
      return store(4, order);
    }
    case 'float64':
      scratch.setFloat64(0, raw);
      return store(4, order);
    default:
      throw decodeInvalid(`encodeRaw cannot encode type ${String(type)}`, { type });
  }
}

/** Bit `bit` (0 = LSB, 0..15) of a 16-bit register: the status bits of a device's status word. */
export function decodeBit(word: number, bit: number): 0 | 1 {
  if ((word & 0xffff) !== word) throw decodeInvalid(`register value ${word} is not a 16-bit word`, { value: word });
  if (!Number.isInteger(bit) || bit < 0 || bit > 15) throw decodeInvalid(`bit index ${bit} outside 0..15`, { bit });
  return ((word >>> bit) & 1) as 0 | 1;
}

/**
 * raw · scale + offset. When 1/scale is an integer (0.1, 0.01, 0.001: how devices scale) we
 * divide by it instead, which gives the correctly rounded decimal (3 · 0.1 = 0.30000000000000004
 * but 3 / 10 = 0.3), so stored readings do not carry binary noise.
 */
export function toEngineering(raw: number, scale: number, offset: number): number {
  const inverse = 1 / scale;
  return (Number.isInteger(inverse) ? raw / inverse : raw * scale) + offset;
}

/** (value − offset) / scale: engineering units back to the raw register value (before rounding). */
export function fromEngineering(value: number, scale: number, offset: number): number {
  if (scale === 0 || !Number.isFinite(scale)) throw decodeInvalid(`scale ${scale} cannot be inverted`, { scale });
  const inverse = 1 / scale;
  return Number.isInteger(inverse) ? (value - offset) * inverse : (value - offset) / scale;
}

export type PerOrder = Record<WordOrder, number | null>;

export interface DecodedWord {
  readonly index: number;
  readonly int16: number;
  readonly uint16: number;
  /** Value of words[index..index+1] in each order; null on the last word (no pair). */
  readonly float32: PerOrder;
  readonly int32: PerOrder;
  readonly uint32: PerOrder;
}

function perOrder(words: ArrayLike<number>, index: number, type: 'float32' | 'int32' | 'uint32'): PerOrder {
  const paired = index + 1 < words.length;
  const out = {} as PerOrder;
  for (const order of WORD_ORDERS) out[order] = paired ? decodeRaw(words, index, type, order) : null;
  return out;
}

/**
 * A raw register dump decoded every plausible way, for the register inspector: float word order
 * is the first support question on every gateway (docs/field.md#word-order-in-the-field), and seeing all four
 * at once lets a technician spot the one that reads sensibly. int16/uint16 are big-endian.
 */
export function decodeAllOrders(words: ArrayLike<number>): DecodedWord[] {
  const out: DecodedWord[] = [];
  for (let index = 0; index < words.length; index++) {
    out.push({
      index,
      int16: decodeRaw(words, index, 'int16', 'ABCD'),
      uint16: decodeRaw(words, index, 'uint16', 'ABCD'),
      float32: perOrder(words, index, 'float32'),
      int32: perOrder(words, index, 'int32'),
      uint32: perOrder(words, index, 'uint32'),
    });
  }
  return out;
}
