/**
 * Modbus data model shared by the codec, the planner, the profiles, the agent and the simulators.
 * Pure: no I/O, imports nothing outside protocols/.
 */

/**
 * Order of the bytes of a multi-register value, named as the industry does (see
 * docs/modbus.md#data-types-and-word-orders). For a 32-bit value whose big-endian bytes are A B C D:
 * ABCD → registers [AB, CD] (big-endian); CDAB → [CD, AB] (word-swapped, the common "Modbus float");
 * BADC → [BA, DC] (byte-swapped); DCBA → [DC, BA] (little-endian). 64-bit values follow the same
 * idea over four registers (CDAB = words in reverse order, bytes big-endian within each word).
 * 16-bit values are byte-swapped by BADC and DCBA and left alone by ABCD and CDAB.
 */
export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type WordOrder = (typeof WORD_ORDERS)[number];

/** `bit` is one coil / discrete input, or one bit (see FieldSpec.bit) of a 16-bit register. */
export const DATA_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64', 'bit'] as const;
export type DataType = (typeof DATA_TYPES)[number];

/** The four Modbus data tables, read with FC01, FC02, FC03 and FC04. */
export const REGISTER_TABLES = ['coil', 'discrete', 'holding', 'input'] as const;
export type RegisterTable = (typeof REGISTER_TABLES)[number];

export const READ_FUNCTION: Readonly<Record<RegisterTable, 1 | 2 | 3 | 4>> = {
  coil: 1,
  discrete: 2,
  holding: 3,
  input: 4,
};

/** Modbus Application Protocol v1.1b3 §6.1–6.4: quantity limits of the read functions. */
export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;

/** One value to read from a device. */
export interface FieldSpec {
  /** Unique within a device: the channel or status-bit name. */
  readonly key: string;
  readonly table: RegisterTable;
  /** Zero-based protocol address (register or bit), 0..65535. */
  readonly address: number;
  readonly type: DataType;
  readonly order: WordOrder;
  /** For type `bit` in the holding/input tables: bit index 0..15 within the register (0 = LSB). */
  readonly bit?: number;
  /** Engineering value = raw · scale + offset. */
  readonly scale: number;
  readonly offset: number;
}

/** Exception codes, Modbus Application Protocol v1.1b3 §7. */
export const EXCEPTION_CODES = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  5: 'acknowledge',
  6: 'slave device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target failed to respond',
} as const satisfies Record<number, string>;

/** Width in registers of a value of this type (bits count as one register / one bit). */
export function registerWidth(type: DataType): 1 | 2 | 4 {
  switch (type) {
    case 'int16':
    case 'uint16':
    case 'bit':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
  }
}

/** True for the bit tables (FC01/FC02), whose addresses count bits rather than registers. */
export function isBitTable(table: RegisterTable): boolean {
  return table === 'coil' || table === 'discrete';
}
