import { decodeRaw, encodeRaw, fromEngineering, toEngineering } from '../../protocols/modbus/decode.ts';
import type { DataType, FieldSpec, RegisterTable } from '../../protocols/modbus/types.ts';

/**
 * The four data tables of one simulated device (Modbus Application Protocol v1.1b3 §4.3), as the
 * PDU handler reads and writes them. Addresses at or beyond a table's size are outside the
 * device's map: the handler answers exception 02 for them.
 */
export interface ImageLayout {
  /** Number of holding registers (FC03/06/16), addresses 0..holding−1. */
  readonly holding: number;
  /** Number of input registers (FC04). */
  readonly input: number;
  /** Number of coils (FC01/05/15). */
  readonly coils: number;
  /** Number of discrete inputs (FC02). */
  readonly discrete: number;
}

type ValueType = Exclude<DataType, 'bit'>;

/**
 * Raw range of each register type. The 64-bit bounds are the largest doubles below 2^63 and 2^64,
 * the exclusive limits encodeRaw enforces.
 */
const RAW_RANGE: Readonly<Record<ValueType, readonly [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
  int64: [-(2 ** 63), 2 ** 63 - 1024],
  uint64: [0, 2 ** 64 - 2048],
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
  float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
};

function isIntegerType(type: ValueType): boolean {
  return type !== 'float32' && type !== 'float64';
}

/**
 * Raw register value for an engineering value: rounded to `resolution` (engineering units, the
 * smallest step the device reports) and for integer types to whole counts, then clamped to what
 * the register type can hold, as a real transmitter saturates instead of wrapping.
 */
export function toRaw(spec: FieldSpec, value: number, resolution?: number): number {
  const type = spec.type as ValueType;
  let v = value;
  if (resolution !== undefined && resolution > 0 && Number.isFinite(v)) v = Math.round(v / resolution) * resolution;
  let raw = fromEngineering(v, spec.scale, spec.offset);
  if (isIntegerType(type)) raw = Number.isNaN(raw) ? 0 : Math.round(raw);
  const [min, max] = RAW_RANGE[type];
  return Math.min(max, Math.max(min, raw));
}

export class RegisterImage {
  readonly holding: Uint16Array;
  readonly input: Uint16Array;
  readonly coils: Uint8Array;
  readonly discrete: Uint8Array;

  constructor(layout: ImageLayout) {
    this.holding = new Uint16Array(layout.holding);
    this.input = new Uint16Array(layout.input);
    this.coils = new Uint8Array(layout.coils);
    this.discrete = new Uint8Array(layout.discrete);
  }

  /** Registers [address, address+quantity) of FC03/FC04, or undefined if any lies outside the map. */
  readRegisters(table: 'holding' | 'input', address: number, quantity: number): number[] | undefined {
    const words = table === 'holding' ? this.holding : this.input;
    if (address + quantity > words.length) return undefined;
    return Array.from(words.subarray(address, address + quantity));
  }

  /** FC06/FC16; false (nothing written) if any register lies outside the map. */
  writeRegisters(address: number, values: readonly number[]): boolean {
    if (address + values.length > this.holding.length) return false;
    this.holding.set(values, address);
    return true;
  }

  readBits(table: 'coil' | 'discrete', address: number, quantity: number): boolean[] | undefined {
    const bits = table === 'coil' ? this.coils : this.discrete;
    if (address + quantity > bits.length) return undefined;
    return Array.from(bits.subarray(address, address + quantity), (b) => b === 1);
  }

  /** FC05/FC15; false (nothing written) if any coil lies outside the map. */
  writeCoils(address: number, values: readonly boolean[]): boolean {
    if (address + values.length > this.coils.length) return false;
    values.forEach((on, i) => {
      this.coils[address + i] = on ? 1 : 0;
    });
    return true;
  }

  /** Writes an engineering value into the registers of a holding/input field (see toRaw). */
  setField(spec: FieldSpec, value: number, resolution?: number): void {
    const words = encodeRaw(toRaw(spec, value, resolution), spec.type as ValueType, spec.order);
    this.wordsOf(spec.table).set(words, spec.address);
  }

  /** The engineering value a client decoding `spec` would read now. */
  getField(spec: FieldSpec): number {
    const raw = decodeRaw(this.wordsOf(spec.table), spec.address, spec.type as ValueType, spec.order);
    return toEngineering(raw, spec.scale, spec.offset);
  }

  /** Sets a status bit: bit `spec.bit` of a register, or one coil / discrete input. */
  setBit(spec: FieldSpec, on: boolean): void {
    if (spec.table === 'coil' || spec.table === 'discrete') {
      (spec.table === 'coil' ? this.coils : this.discrete)[spec.address] = on ? 1 : 0;
      return;
    }
    const words = this.wordsOf(spec.table);
    const mask = 1 << (spec.bit ?? 0);
    words[spec.address] = on ? words[spec.address]! | mask : words[spec.address]! & ~mask;
  }

  getBit(spec: FieldSpec): boolean {
    if (spec.table === 'coil' || spec.table === 'discrete') {
      return (spec.table === 'coil' ? this.coils : this.discrete)[spec.address] === 1;
    }
    return ((this.wordsOf(spec.table)[spec.address]! >> (spec.bit ?? 0)) & 1) === 1;
  }

  private wordsOf(table: RegisterTable): Uint16Array {
    switch (table) {
      case 'holding':
        return this.holding;
      case 'input':
        return this.input;
      case 'coil':
      case 'discrete':
        throw new RangeError(`${table} is a bit table`);
    }
  }
}
