import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../protocols/records.ts';
import { newRecordProblem, storedRecordProblem } from '../../protocols/records-check.ts';
import { ATALAYA_RECORD_INVALID, isRecordError, recordInvalid } from '../../protocols/records-errors.ts';
import { decodeBatch, encodeBatch } from '../../protocols/sync/batch.ts';
import { ATALAYA_SYNC_MALFORMED, isSyncError } from '../../protocols/sync/errors.ts';
import { firstIssue, storedRecordSchema } from '../../protocols/sync/schemas.ts';
import type { SyncBatch } from '../../protocols/sync/types.ts';
import { INVALID, VALID, VALID_ALARM, VALID_READING } from './record-table.ts';

const batchOf = (records: StoredRecord[]): SyncBatch => ({
  gateway: 'gw-01',
  sentAt: 1_750_000_001_000,
  mono: 86_401_000,
  bootId: 'boot-b',
  clockSynced: true,
  records,
});

/**
 * The v1 layout (protocols/sync/batch.ts) of a one-record batch written without encodeBatch's
 * check, the way a faulty or hostile gateway could: ±Infinity as 1e999, which JSON.parse reads back
 * as ±Infinity; unknown kinds and codes as -1.
 */
function rawBody(r: StoredRecord): Buffer {
  const at = (codes: readonly string[], v: string): number => codes.indexOf(v);
  const a = r.alarm;
  const wire = {
    v: 1,
    gateway: 'gw-01',
    sentAt: 1_750_000_001_000,
    mono: 86_401_000,
    bootId: 'boot-b',
    clockSynced: true,
    n: 1,
    tables: { device: [r.device], channel: [r.channel], unit: [r.unit], bootId: [r.bootId], rule: a === undefined ? [] : [a.rule] },
    cols: {
      seq: [r.seq],
      ts: [r.ts],
      mono: [r.mono],
      kind: [at(['reading', 'alarm'], r.kind)],
      device: [0],
      channel: [0],
      unit: [0],
      bootId: [0],
      value: [Object.is(r.value, -0) ? '-0' : r.value],
      quality: [at(['good', 'comm_error', 'exception', 'out_of_range', 'sensor_fault'], r.quality)],
      exception: [r.exception],
      priority: [r.priority],
      flags: [r.flags],
    },
    alarms: a === undefined ? [] : [[0, 0, at(['warning', 'alarm'], a.level), at(['raised', 'cleared', 'acknowledged'], a.state), a.threshold]],
  };
  const text = JSON.stringify(wire, (_k, v: unknown) => (v === Infinity ? '+inf' : v === -Infinity ? '-inf' : v));
  return zlib.gzipSync(text.replaceAll('"+inf"', '1e999').replaceAll('"-inf"', '-1e999'));
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('the record check', () => {
  it.each(INVALID.map((k) => [k.label, k] as const))('refuses %s, naming the field', (_label, { record, path }) => {
    expect(storedRecordProblem(record)?.path).toBe(path);
    if (path !== 'seq') expect(newRecordProblem(record)?.path).toBe(path);
    const err = recordInvalid(storedRecordProblem(record)!, 3);
    expect(err.code).toBe(ATALAYA_RECORD_INVALID);
    expect(err.details).toMatchObject({ path, index: 3 });
  });

  it('accepts every limit itself', () => {
    for (const record of VALID) {
      expect(storedRecordProblem(record), JSON.stringify(record).slice(0, 80)).toBeUndefined();
      expect(newRecordProblem(record)).toBeUndefined();
    }
  });

  it('refuses what is not a record at all', () => {
    for (const v of [null, undefined, 42, 'reading', []]) {
      expect(storedRecordProblem(v as unknown as StoredRecord)?.path).toBe('');
      expect(newRecordProblem(v as unknown as StoredRecord)?.path).toBe('');
    }
    expect(recordInvalid({ path: '', expected: 'an object' }, 2).details).toMatchObject({ path: '', index: 2 });
  });

  it('takes an alarm record without detail from the buffer (rows before schema 2) but never at append', () => {
    const { alarm: _detail, ...legacy } = VALID_ALARM;
    expect(storedRecordProblem(legacy)).toBeUndefined();
    expect(newRecordProblem(legacy)?.path).toBe('alarm');
  });
});

describe('the wire codec applies the same check', () => {
  it.each(INVALID.map((k) => [k.label, k] as const))('encodeBatch refuses %s, the record check as cause', (_label, { record, path }) => {
    const err = thrown(() => encodeBatch(batchOf([record])));
    expect(isSyncError(err, ATALAYA_SYNC_MALFORMED)).toBe(true);
    const cause = (err as Error).cause;
    expect(isRecordError(cause)).toBe(true);
    expect((cause as { details: unknown }).details).toMatchObject({ path, index: 0 });
  });

  it.each(INVALID.filter((k) => k.onWire).map((k) => [k.label, k] as const))('decodeBatch (the relay) refuses %s', (_label, { record, path }) => {
    const err = thrown(() => decodeBatch(rawBody(record)));
    expect(isSyncError(err, ATALAYA_SYNC_MALFORMED)).toBe(true);
    // Refused by the record check itself unless the column layout already could not hold the value.
    if (isRecordError((err as Error).cause)) expect(((err as Error).cause as { details: unknown }).details).toMatchObject({ path, index: 0 });
  });

  it('while both take every valid record, through the same test writer', () => {
    for (const record of VALID) {
      expect(decodeBatch(encodeBatch(batchOf([record]))).records).toStrictEqual([record]);
      expect(decodeBatch(rawBody(record)).records).toStrictEqual([record]);
    }
  });

  it('decodeBatch refuses through the record check (not the column layout) for most rules', () => {
    const viaCheck = INVALID.filter((k) => k.onWire && isRecordError((thrown(() => decodeBatch(rawBody(k.record))) as Error).cause));
    expect(viaCheck.length).toBeGreaterThan(INVALID.length / 2);
  });
});

describe('storedRecordSchema (documentation, JSON Schema) and the check', () => {
  it('give the same verdict on every case, naming the same field', () => {
    for (const record of [...VALID, ...INVALID.map((k) => k.record)]) {
      const checked = storedRecordSchema.safeParse(record);
      const problem = storedRecordProblem(record);
      const label = JSON.stringify(record).slice(0, 100);
      expect(checked.success, label).toBe(problem === undefined);
      if (!checked.success) expect(firstIssue(checked.error).split(': ')[0], label).toBe(problem?.path);
    }
  });

  it('agree on a reading and an alarm with each field replaced by values of every other type', () => {
    const values: unknown[] = [null, undefined, 0, -1, 1.5, '', 'x', true, {}, [], Number.NaN];
    let refused = 0;
    for (const base of [VALID_READING, VALID_ALARM]) {
      for (const field of [...Object.keys(VALID_ALARM), 'alarm']) {
        for (const v of values) {
          const record = { ...base, [field]: v } as unknown as StoredRecord;
          if (v === undefined) delete (record as unknown as Record<string, unknown>)[field];
          const checked = storedRecordSchema.safeParse(record);
          const problem = storedRecordProblem(record);
          expect(checked.success, `${base.kind}.${field} = ${String(v)}`).toBe(problem === undefined);
          if (!checked.success) expect(firstIssue(checked.error).split(': ')[0]).toBe(problem?.path);
          if (problem !== undefined) refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(200);
  });
});
