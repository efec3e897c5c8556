/**
 * decodeBatch's one-pass fast path (protocols/sync/batch-fast.ts) must accept exactly the wires
 * the exact path (batch-rebuild.ts) accepts, with the same records: these tests change every
 * column entry, table entry and alarm detail of a valid wire, one at a time, to values at and
 * around every bound, and compare the two.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../protocols/records.ts';
import { MAX_BOOT_ID_LENGTH, MAX_NAME_LENGTH, MAX_UNIT_LENGTH } from '../../protocols/records-check.ts';
import { encodeBatch } from '../../protocols/sync/batch.ts';
import { rebuildFast } from '../../protocols/sync/batch-fast.ts';
import { type ParsedWire, rebuildExact } from '../../protocols/sync/batch-rebuild.ts';
import { wireSchema } from '../../protocols/sync/batch-wire.ts';
import { ATALAYA_SYNC_MALFORMED, isSyncError } from '../../protocols/sync/errors.ts';
import type { SyncBatch } from '../../protocols/sync/types.ts';

const base = {
  value: 1,
  unit: 'ppm',
  quality: 'good',
  exception: null,
  ts: 1_750_000_000_000,
  mono: 86_400_000,
  bootId: 'boot-b',
  priority: 0,
  flags: 0,
} as const;
const detail = { rule: 'high1', level: 'warning', state: 'raised', threshold: 10 } as const;
/** Alarms with and without detail before and between readings of two boots, every table with several entries. */
const valid: SyncBatch = {
  gateway: 'gw-01',
  sentAt: 1_750_000_001_000,
  mono: 86_401_000,
  bootId: 'boot-b',
  clockSynced: false,
  records: [
    { seq: 20, kind: 'alarm', device: 'gas-01', channel: 'ch4', ...base, priority: 2, alarm: detail },
    { seq: 5, kind: 'reading', device: 'gas-01', channel: 'ch4', ...base },
    { seq: 21, kind: 'alarm', device: 'gas-01', channel: 'ch4', ...base, priority: 2 },
    { seq: 6, kind: 'reading', device: 'gas-02', channel: 'co', ...base, value: null, quality: 'comm_error', bootId: 'boot-a', flags: 1 },
    { seq: 7, kind: 'reading', device: 'gas-01', channel: 'o2', ...base, value: null, quality: 'exception', exception: 2 },
    {
      seq: 22,
      kind: 'alarm',
      device: 'gas-02',
      channel: 'co',
      ...base,
      priority: 2,
      alarm: { rule: 'device', level: 'alarm', state: 'paged', threshold: null },
    },
    { seq: 8, kind: 'reading', device: 'gas-02', channel: 'co', ...base, value: -0, unit: '', priority: 1 },
  ] satisfies StoredRecord[],
};

const wireOf = (batch: SyncBatch): ParsedWire => wireSchema.parse(JSON.parse(zlib.gunzipSync(encodeBatch(batch)).toString('utf8'))) as ParsedWire;

/** 'accepted' with the batch, or 'refused'; any other error fails the test. */
function exact(wire: ParsedWire): SyncBatch | 'refused' {
  try {
    return rebuildExact(wire);
  } catch (err) {
    if (isSyncError(err, ATALAYA_SYNC_MALFORMED)) return 'refused';
    throw err;
  }
}

const MAX = Number.MAX_SAFE_INTEGER;
/** Values a column entry may hold after JSON.parse, at and around every bound. */
const ENTRIES: unknown[] = [
  0,
  -0,
  1,
  2,
  3,
  4,
  5,
  6,
  -1,
  0.5,
  1.5,
  255,
  256,
  1000,
  -1000,
  MAX,
  -MAX,
  2 ** 53,
  1e308,
  Infinity,
  null,
  '-0',
  '0',
  '1',
  true,
  [],
  {},
];
const STRINGS: string[] = [
  '',
  'x',
  'gas-01',
  'x'.repeat(MAX_UNIT_LENGTH),
  'x'.repeat(MAX_UNIT_LENGTH + 1),
  'x'.repeat(MAX_BOOT_ID_LENGTH),
  'x'.repeat(MAX_BOOT_ID_LENGTH + 1),
  'x'.repeat(MAX_NAME_LENGTH),
  'x'.repeat(MAX_NAME_LENGTH + 1),
  '🌵'.repeat(MAX_NAME_LENGTH),
  `${'🌵'.repeat(MAX_NAME_LENGTH)}x`,
];

function variants(): Array<[string, ParsedWire]> {
  const w = wireOf(valid);
  const out: Array<[string, ParsedWire]> = [['valid', w]];
  const clone = (): ParsedWire => structuredClone(w);
  for (const name of Object.keys(w.cols) as Array<keyof ParsedWire['cols']>) {
    for (let i = 0; i < w.n; i++) {
      for (const v of ENTRIES) {
        const c = clone();
        c.cols[name][i] = v;
        out.push([`cols.${name}[${i}] = ${JSON.stringify(v)}`, c]);
      }
    }
    const shorter = clone();
    shorter.cols[name].pop();
    const longer = clone();
    longer.cols[name].push(0);
    out.push([`cols.${name} one short`, shorter], [`cols.${name} one long`, longer]);
  }
  for (const table of Object.keys(w.tables) as Array<keyof ParsedWire['tables']>) {
    for (let j = 0; j < w.tables[table].length; j++) {
      for (const s of STRINGS) {
        const c = clone();
        (c.tables[table] as string[])[j] = s;
        out.push([`tables.${table}[${j}] = ${s.slice(0, 8)}…${s.length}`, c]);
      }
    }
    const extra = clone();
    (extra.tables[table] as string[]).push('unused');
    out.push([`tables.${table} with an unused entry`, extra]);
  }
  for (let k = 0; k < w.alarms.length; k++) {
    for (let f = 0; f < 5; f++) {
      for (const v of [0, 1, 2, 3, 4, 5, 6, 7, null, '-0', -0, 0.5, 1e308]) {
        const c = clone();
        (c.alarms[k] as unknown[])[f] = v;
        out.push([`alarms[${k}][${f}] = ${JSON.stringify(v)}`, c]);
      }
    }
  }
  const none = clone();
  (none.alarms as unknown[]).length = 0;
  const swapped = clone();
  (swapped.alarms as unknown[]).reverse();
  out.push(['no alarm details', none], ['alarm details descending', swapped]);
  // Only what wireSchema lets through reaches either path.
  return out.filter(([, wire]) => wireSchema.safeParse(wire).success);
}

describe('rebuildFast', () => {
  it('accepts exactly what rebuildExact accepts, with the same records', () => {
    const verdicts = { accepted: 0, refused: 0 };
    for (const [label, wire] of variants()) {
      const expected = exact(wire);
      const fast = rebuildFast(wire);
      if (expected === 'refused') expect(fast, label).toBeUndefined();
      else expect(fast, label).toStrictEqual(expected);
      verdicts[expected === 'refused' ? 'refused' : 'accepted']++;
    }
    // Both verdicts are well represented, so agreement is not agreement on one answer.
    expect(verdicts.accepted).toBeGreaterThan(200);
    expect(verdicts.refused).toBeGreaterThan(500);
  });

  it('keeps -0 values and thresholds as -0', () => {
    const batch = rebuildFast(wireOf({ ...valid, records: [{ ...valid.records[0]!, value: -0, alarm: { ...detail, threshold: -0 } }] }));
    expect(Object.is(batch?.records[0]?.value, -0)).toBe(true);
    expect(Object.is(batch?.records[0]?.alarm?.threshold, -0)).toBe(true);
  });
});
