import { decodeBit, decodeRaw, toEngineering } from './decode.ts';
import type { PlanProblem } from './errors.ts';
import { decodeInvalid, planInvalid, shortData } from './errors.ts';
import type { FieldSpec, RegisterTable } from './types.ts';
import { DATA_TYPES, isBitTable, MAX_READ_BITS, MAX_READ_REGISTERS, REGISTER_TABLES, registerWidth, WORD_ORDERS } from './types.ts';

/**
 * Turns a device's field list into as few read requests as the protocol and the device allow:
 * every request costs a round trip (tens of ms on RS-485 at 9600 baud), so reading a 4-register
 * hole is cheaper than a second request.
 */

export interface PlanOptions {
  /** Largest hole (registers for FC03/04, bits for FC01/02) bridged when merging; 0 = only contiguous. Integer 0..65535, default 8. */
  readonly maxGap: number;
  /** Upper bound on registers per request, 1..125 (Modbus Application Protocol v1.1b3 §6.3/§6.4). Default 125. */
  readonly maxRegisters: number;
  /** Upper bound on bits per request, 1..2000 (§6.1/§6.2). Default 2000. */
  readonly maxBits: number;
  /**
   * Escape hatch for picky devices: one request per field, never merged. Fields that cover
   * exactly the same registers (the bits of one status register) still share one read.
   * Default false.
   */
  readonly perField: boolean;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = Object.freeze({
  maxGap: 8,
  maxRegisters: MAX_READ_REGISTERS,
  maxBits: MAX_READ_BITS,
  perField: false,
});

export interface ReadRequest {
  readonly table: RegisterTable;
  readonly address: number;
  /** registers (FC03/04) or bits (FC01/02) */
  readonly count: number;
  readonly fields: readonly FieldSpec[];
}

const MAX_ADDRESS = 0xffff;

function isIntIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function resolveOptions(options: Partial<PlanOptions>, problems: PlanProblem[]): PlanOptions {
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULT_PLAN_OPTIONS))
      problems.push({ path: `options.${key}`, problem: `unknown option (known: ${Object.keys(DEFAULT_PLAN_OPTIONS).join(', ')})` });
  }
  // An explicit undefined (an unset config key) means the default.
  const o: PlanOptions = {
    maxGap: options.maxGap ?? DEFAULT_PLAN_OPTIONS.maxGap,
    maxRegisters: options.maxRegisters ?? DEFAULT_PLAN_OPTIONS.maxRegisters,
    maxBits: options.maxBits ?? DEFAULT_PLAN_OPTIONS.maxBits,
    perField: options.perField ?? DEFAULT_PLAN_OPTIONS.perField,
  };
  if (!isIntIn(o.maxGap, 0, MAX_ADDRESS)) problems.push({ path: 'options.maxGap', problem: 'expected an integer 0..65535' });
  if (!isIntIn(o.maxRegisters, 1, MAX_READ_REGISTERS)) problems.push({ path: 'options.maxRegisters', problem: `expected an integer 1..${MAX_READ_REGISTERS}` });
  if (!isIntIn(o.maxBits, 1, MAX_READ_BITS)) problems.push({ path: 'options.maxBits', problem: `expected an integer 1..${MAX_READ_BITS}` });
  if (typeof o.perField !== 'boolean') problems.push({ path: 'options.perField', problem: 'expected a boolean' });
  return o;
}

/** Registers (or bits, in a bit table) a field occupies. */
function fieldWidth(f: FieldSpec): number {
  return isBitTable(f.table) ? 1 : registerWidth(f.type);
}

function checkField(f: FieldSpec, path: string, opts: PlanOptions, problems: PlanProblem[]): void {
  const bad = (suffix: string, problem: string): void => {
    problems.push({ path: `${path}.${suffix}`, problem });
  };
  if (typeof f.key !== 'string' || f.key.length === 0) bad('key', 'expected a non-empty string');
  if (!(DATA_TYPES as readonly string[]).includes(f.type)) bad('type', `expected one of ${DATA_TYPES.join(', ')}`);
  if (!(WORD_ORDERS as readonly string[]).includes(f.order)) bad('order', `expected one of ${WORD_ORDERS.join(', ')}`);
  if (typeof f.scale !== 'number' || !Number.isFinite(f.scale) || f.scale === 0) bad('scale', 'expected a finite non-zero number');
  if (typeof f.offset !== 'number' || !Number.isFinite(f.offset)) bad('offset', 'expected a finite number');
  if (!(REGISTER_TABLES as readonly string[]).includes(f.table)) {
    bad('table', `expected one of ${REGISTER_TABLES.join(', ')}`);
    return;
  }
  if (!isIntIn(f.address, 0, MAX_ADDRESS)) {
    bad('address', 'expected an integer 0..65535');
    return;
  }
  if (isBitTable(f.table)) {
    // Coils and discrete inputs are single bits (§6.1/§6.2): there is nothing to assemble.
    if (f.type !== 'bit') bad('type', `a ${f.table} holds single bits: expected type bit`);
    if (f.bit !== undefined) bad('bit', `not allowed in the ${f.table} table (the address is the bit)`);
    return;
  }
  if (f.type === 'bit') {
    if (!isIntIn(f.bit, 0, 15)) bad('bit', 'a bit of a register needs a bit index 0..15');
  } else if (f.bit !== undefined) {
    bad('bit', `only type bit takes a bit index (type is ${f.type})`);
  }
  if (!(DATA_TYPES as readonly string[]).includes(f.type)) return;
  const width = registerWidth(f.type);
  if (f.address + width - 1 > MAX_ADDRESS) bad('address', `${f.type} at ${f.address} runs past register 65535`);
  if (width > opts.maxRegisters) bad('type', `${f.type} needs ${width} registers, more than maxRegisters ${opts.maxRegisters}`);
}

interface Placed {
  readonly field: FieldSpec;
  readonly start: number;
  readonly end: number;
  readonly bit: number;
  readonly index: number;
}

function byPosition(a: Placed, b: Placed): number {
  return a.start - b.start || a.end - b.end || a.bit - b.bit || a.index - b.index;
}

/**
 * Group fields by table, sort by address and merge across holes of at most maxGap while the span
 * stays within the per-request limit. A field is never split: a span that would exceed the limit
 * ends before it. Output is ordered by function code (FC01, 02, 03, 04) then address. Throws
 * ATALAYA_MODBUS_PLAN_INVALID listing every problem of the fields and options at once.
 */
export function planReads(fields: readonly FieldSpec[], options: Partial<PlanOptions> = {}): ReadRequest[] {
  const problems: PlanProblem[] = [];
  const opts = resolveOptions(options, problems);
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    checkField(f, `fields[${i}]`, opts, problems);
    if (seen.has(f.key)) problems.push({ path: `fields[${i}].key`, problem: `duplicate key ${f.key}` });
    seen.add(f.key);
  });
  if (problems.length > 0) throw planInvalid(problems);

  const requests: ReadRequest[] = [];
  for (const table of REGISTER_TABLES) {
    const placed: Placed[] = [];
    fields.forEach((field, index) => {
      if (field.table !== table) return;
      placed.push({ field, start: field.address, end: field.address + fieldWidth(field), bit: field.bit ?? -1, index });
    });
    placed.sort(byPosition);
    const limit = isBitTable(table) ? opts.maxBits : opts.maxRegisters;
    let cur: { address: number; end: number; fields: FieldSpec[] } | undefined;
    for (const p of placed) {
      const joins =
        cur !== undefined &&
        (opts.perField ? p.start === cur.address && p.end === cur.end : p.start - cur.end <= opts.maxGap && Math.max(cur.end, p.end) - cur.address <= limit);
      if (joins && cur !== undefined) {
        cur.end = Math.max(cur.end, p.end);
        cur.fields.push(p.field);
      } else {
        if (cur !== undefined) requests.push({ table, address: cur.address, count: cur.end - cur.address, fields: cur.fields });
        cur = { address: p.start, end: p.end, fields: [p.field] };
      }
    }
    if (cur !== undefined) requests.push({ table, address: cur.address, count: cur.end - cur.address, fields: cur.fields });
  }
  return requests;
}

/**
 * Decode every field of `req` from its response: `data` is the register words (FC03/04) or the
 * bits as 0/1 (FC01/02), at least req.count long. Returns engineering values (after scale and
 * offset) in the order of req.fields.
 */
export function extractFields(req: ReadRequest, data: ArrayLike<number>): number[] {
  const bits = isBitTable(req.table);
  if (data.length < req.count) throw shortData(req.count, data.length, bits ? 'bits' : 'registers');
  const out = new Array<number>(req.fields.length);
  for (let i = 0; i < req.fields.length; i++) {
    const f = req.fields[i]!;
    const at = f.address - req.address;
    if (at < 0 || at + fieldWidth(f) > req.count) {
      throw decodeInvalid(`field ${f.key} lies outside request ${req.address}+${req.count}`, { key: f.key });
    }
    let raw: number;
    if (bits) {
      raw = data[at]!;
      if (raw !== 0 && raw !== 1) throw decodeInvalid(`bit value ${raw} is not 0 or 1`, { key: f.key, value: raw });
    } else if (f.type === 'bit') {
      raw = decodeBit(data[at]!, f.bit ?? -1);
    } else {
      raw = decodeRaw(data, at, f.type, f.order);
    }
    out[i] = toEngineering(raw, f.scale, f.offset);
  }
  return out;
}
