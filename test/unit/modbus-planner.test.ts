import { describe, expect, it } from 'vitest';
import { encodeRaw } from '../../protocols/modbus/decode.ts';
import { ATALAYA_MODBUS_DECODE_INVALID, ATALAYA_MODBUS_PLAN_INVALID, ATALAYA_MODBUS_SHORT_DATA } from '../../protocols/modbus/errors.ts';
import type { PlanOptions, ReadRequest } from '../../protocols/modbus/planner.ts';
import { DEFAULT_PLAN_OPTIONS, extractFields, planReads } from '../../protocols/modbus/planner.ts';
import type { DataType, FieldSpec, RegisterTable } from '../../protocols/modbus/types.ts';
import { BUILTIN_PROFILES } from '../../protocols/profiles/index.ts';

function field(key: string, table: RegisterTable, address: number, type: DataType = 'uint16', more: Partial<FieldSpec> = {}): FieldSpec {
  return { key, table, address, type, order: 'ABCD', scale: 1, offset: 0, ...more };
}

/** [table, address, count, keys] per request: compact to compare. */
function shape(reqs: readonly ReadRequest[]): Array<[RegisterTable, number, number, string[]]> {
  return reqs.map((r) => [r.table, r.address, r.count, r.fields.map((f) => f.key)]);
}

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return 'no error';
}

describe('planReads merging', () => {
  it('merges contiguous registers into one request, sorted by address', () => {
    const reqs = planReads([field('c', 'holding', 12), field('a', 'holding', 10, 'float32'), field('d', 'holding', 13, 'uint64')]);
    expect(shape(reqs)).toEqual([['holding', 10, 7, ['a', 'c', 'd']]]);
  });

  it('bridges a hole up to maxGap and no further', () => {
    const fields = [field('a', 'input', 0), field('b', 'input', 9), field('c', 'input', 19)];
    // a→b leaves 8 registers (1..8) unread, b→c leaves 9 (10..18).
    expect(shape(planReads(fields))).toEqual([
      ['input', 0, 10, ['a', 'b']],
      ['input', 19, 1, ['c']],
    ]);
    expect(shape(planReads(fields, { maxGap: 9 }))).toEqual([['input', 0, 20, ['a', 'b', 'c']]]);
    expect(shape(planReads(fields, { maxGap: 0 }))).toEqual([
      ['input', 0, 1, ['a']],
      ['input', 9, 1, ['b']],
      ['input', 19, 1, ['c']],
    ]);
  });

  it('with maxGap 0 still merges fields that touch', () => {
    expect(shape(planReads([field('a', 'holding', 0, 'int32'), field('b', 'holding', 2)], { maxGap: 0 }))).toEqual([['holding', 0, 3, ['a', 'b']]]);
  });

  it('fills a request to exactly 125 registers and starts a new one after', () => {
    const fields = Array.from({ length: 126 }, (_, i) => field(`r${i}`, 'holding', 1000 + i));
    const reqs = planReads(fields);
    expect(reqs.map((r) => [r.address, r.count, r.fields.length])).toEqual([
      [1000, 125, 125],
      [1125, 1, 1],
    ]);
  });

  it('never splits a field: the span is cut before a field that would cross the limit', () => {
    const reqs = planReads([field('first', 'holding', 0), field('big', 'holding', 123, 'float64')]);
    // 0..126 would be 127 registers.
    expect(shape(reqs)).toEqual([
      ['holding', 0, 1, ['first']],
      ['holding', 123, 4, ['big']],
    ]);
    const tight = planReads([field('a', 'holding', 0), field('b', 'holding', 3, 'float32')], { maxRegisters: 4 });
    expect(shape(tight)).toEqual([
      ['holding', 0, 1, ['a']],
      ['holding', 3, 2, ['b']],
    ]);
  });

  it('honours the 2000-bit limit of FC01/02', () => {
    const coils = [field('c0', 'coil', 0, 'bit'), field('c1999', 'coil', 1999, 'bit'), field('c2000', 'coil', 2000, 'bit')];
    expect(shape(planReads(coils, { maxGap: 2000 }))).toEqual([
      ['coil', 0, 2000, ['c0', 'c1999']],
      ['coil', 2000, 1, ['c2000']],
    ]);
    expect(shape(planReads(coils, { maxGap: 2000, maxBits: 1000 }))).toEqual([
      ['coil', 0, 1, ['c0']],
      ['coil', 1999, 2, ['c1999', 'c2000']],
    ]);
  });

  it('lets several bits of one status register share it', () => {
    const reqs = planReads([field('alarm', 'holding', 4, 'bit', { bit: 8 }), field('fault', 'holding', 4, 'bit', { bit: 0 }), field('value', 'holding', 3)]);
    expect(shape(reqs)).toEqual([['holding', 3, 2, ['value', 'fault', 'alarm']]]);
  });

  it('never merges different tables and orders them by function code', () => {
    const reqs = planReads([
      field('in', 'input', 1),
      field('hold', 'holding', 0),
      field('di', 'discrete', 2, 'bit'),
      field('co', 'coil', 1, 'bit'),
      field('hold2', 'holding', 1),
    ]);
    expect(shape(reqs)).toEqual([
      ['coil', 1, 1, ['co']],
      ['discrete', 2, 1, ['di']],
      ['holding', 0, 2, ['hold', 'hold2']],
      ['input', 1, 1, ['in']],
    ]);
  });

  it('perField reads each field on its own; bits of one register still share its read', () => {
    const reqs = planReads(
      [
        field('a', 'holding', 0, 'float32'),
        field('b', 'holding', 2),
        field('s1', 'holding', 3, 'bit', { bit: 1 }),
        field('s0', 'holding', 3, 'bit', { bit: 0 }),
      ],
      { perField: true },
    );
    expect(shape(reqs)).toEqual([
      ['holding', 0, 2, ['a']],
      ['holding', 2, 1, ['b']],
      ['holding', 3, 1, ['s0', 's1']],
    ]);
  });

  it('is deterministic regardless of input order', () => {
    const fields = [field('x', 'holding', 5), field('y', 'input', 0), field('z', 'holding', 1, 'int32'), field('w', 'coil', 9, 'bit')];
    expect(shape(planReads(fields))).toEqual(shape(planReads([...fields].reverse())));
  });

  it('accepts a value ending exactly at register 65535', () => {
    expect(shape(planReads([field('last', 'input', 65534, 'float32')]))).toEqual([['input', 65534, 2, ['last']]]);
  });

  it('returns no requests for no fields', () => {
    expect(planReads([])).toEqual([]);
  });

  it('defaults to the protocol limits', () => {
    expect(DEFAULT_PLAN_OPTIONS).toEqual({ maxGap: 8, maxRegisters: 125, maxBits: 2000, perField: false });
  });
});

describe('planReads refuses invalid input', () => {
  const cases: Array<[string, FieldSpec[], Partial<PlanOptions>?]> = [
    ['a value running past register 65535', [field('a', 'holding', 65533, 'uint64')]],
    ['an address outside 0..65535', [field('a', 'holding', 65536)]],
    ['a negative address', [field('a', 'input', -1)]],
    ['a fractional address', [field('a', 'input', 1.5)]],
    ['duplicate keys', [field('a', 'holding', 0), field('a', 'input', 1)]],
    ['a register bit without its bit index', [field('a', 'holding', 0, 'bit')]],
    ['a bit index above 15', [field('a', 'holding', 0, 'bit', { bit: 16 })]],
    ['a bit index on a non-bit type', [field('a', 'holding', 0, 'uint16', { bit: 3 })]],
    ['a multi-register type in a bit table', [field('a', 'coil', 0, 'float32')]],
    ['a 16-bit type in a bit table', [field('a', 'discrete', 0, 'uint16')]],
    ['a bit index in a bit table', [field('a', 'coil', 0, 'bit', { bit: 1 })]],
    ['an unknown table', [field('a', 'analog' as RegisterTable, 0)]],
    ['an unknown type', [field('a', 'holding', 0, 'int8' as DataType)]],
    ['an unknown word order', [field('a', 'holding', 0, 'float32', { order: 'BACD' as FieldSpec['order'] })]],
    ['a zero scale', [field('a', 'holding', 0, 'uint16', { scale: 0 })]],
    ['a non-finite offset', [field('a', 'holding', 0, 'uint16', { offset: NaN })]],
    ['an empty key', [field('', 'holding', 0)]],
    ['a field wider than maxRegisters', [field('a', 'holding', 0, 'uint64')], { maxRegisters: 3 }],
    ['maxRegisters above 125', [], { maxRegisters: 126 }],
    ['maxRegisters 0', [], { maxRegisters: 0 }],
    ['maxBits above 2000', [], { maxBits: 2001 }],
    ['a negative maxGap', [], { maxGap: -1 }],
    ['a fractional maxGap', [], { maxGap: 1.5 }],
    ['an unknown option', [], { maxGaps: 4 } as Partial<PlanOptions>],
  ];
  for (const [name, fields, options] of cases) {
    it(`refuses ${name}`, () => {
      expect(codeOf(() => planReads(fields, options))).toBe(ATALAYA_MODBUS_PLAN_INVALID);
    });
  }

  it('reports every problem at once', () => {
    try {
      planReads([field('a', 'holding', 65535, 'int32'), field('a', 'coil', 0, 'int16')], { maxBits: 0 });
      expect.unreachable();
    } catch (err) {
      const problems = (err as { details: { problems: Array<{ path: string }> } }).details.problems;
      expect(problems.map((p) => p.path).sort()).toEqual(['fields[0].address', 'fields[1].key', 'fields[1].type', 'options.maxBits']);
    }
  });

  it('treats an explicit undefined option as the default', () => {
    expect(planReads([field('a', 'holding', 0)], { maxGap: undefined })).toHaveLength(1);
  });
});

describe('extractFields', () => {
  it('decodes fields at their offset inside a merged request, after scale and offset', () => {
    const fields = [
      field('temp', 'holding', 100, 'int16', { scale: 0.1, offset: 0 }),
      field('flow', 'holding', 103, 'float32', { order: 'CDAB' }),
      field('fault', 'holding', 105, 'bit', { bit: 3 }),
      field('alarm', 'holding', 105, 'bit', { bit: 8 }),
      field('total', 'holding', 106, 'uint32', { scale: 0.1 }),
    ];
    const [req, ...rest] = planReads(fields);
    expect(rest).toEqual([]);
    expect(req).toMatchObject({ address: 100, count: 8 });
    const data = [
      ...encodeRaw(-123, 'int16', 'ABCD'),
      0xdead,
      0xbeef, // a hole the plan bridged
      ...encodeRaw(12.5, 'float32', 'CDAB'),
      0b0000_0001_0000_1000,
      ...encodeRaw(4294967295, 'uint32', 'ABCD'),
    ];
    expect(extractFields(req!, data)).toEqual([-12.3, 12.5, 1, 1, 429496729.5]);
  });

  it('reads coils and discrete inputs from 0/1 bits', () => {
    const [req] = planReads([field('run', 'coil', 10, 'bit'), field('trip', 'coil', 13, 'bit'), field('inv', 'coil', 11, 'bit', { scale: -1, offset: 1 })]);
    expect(req).toMatchObject({ table: 'coil', address: 10, count: 4 });
    expect(extractFields(req!, [1, 1, 0, 0])).toEqual([1, 0, 0]);
    expect(codeOf(() => extractFields(req!, [1, 2, 0, 0]))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
  });

  it('refuses a response shorter than the request', () => {
    const [req] = planReads([field('a', 'input', 0), field('b', 'input', 2, 'float32')]);
    expect(codeOf(() => extractFields(req!, [0, 0, 0]))).toBe(ATALAYA_MODBUS_SHORT_DATA);
  });

  it('refuses a field outside a hand-built request', () => {
    const req: ReadRequest = { table: 'holding', address: 5, count: 2, fields: [field('a', 'holding', 6, 'float32')] };
    expect(codeOf(() => extractFields(req, [0, 0, 0]))).toBe(ATALAYA_MODBUS_DECODE_INVALID);
  });
});

describe('built-in profiles', () => {
  function plan(id: string): ReadRequest[] {
    const profile = BUILTIN_PROFILES.get(id);
    if (profile === undefined) throw new Error(`no profile ${id}`);
    return planReads([...profile.channels, ...profile.status]);
  }

  it('reads the gas detector in one FC03 request of 5 registers', () => {
    const reqs = plan('gas-detector');
    expect(reqs.map((r) => [r.table, r.address, r.count, r.fields.length])).toEqual([['holding', 0, 5, 10]]);
    const values = extractFields(reqs[0]!, [125, 52, 17, 2090, 0b11_0000_0100]);
    const byKey = Object.fromEntries(reqs[0]!.fields.map((f, i) => [f.key, values[i]]));
    expect(byKey).toEqual({
      ch4: 12.5,
      h2s: 5.2,
      co: 17,
      o2: 20.9,
      fault_ch4: 0,
      fault_h2s: 0,
      fault_co: 1,
      fault_o2: 0,
      alarm_1: 1,
      alarm_2: 1,
    });
  });

  for (const id of ['flowmeter', 'flowmeter-t64']) {
    it(`reads ${id} channels and status in one request 0..10`, () => {
      const reqs = plan(id);
      expect(reqs.map((r) => [r.table, r.address, r.count])).toEqual([['holding', 0, 11]]);
    });
  }
});
