/**
 * The pure parts of the provider sources (issue 17 §2–4): the JSONPath subset, local times in an
 * IANA zone across Santiago's DST changes, and the HTTP rows (JSON and CSV, a bad row counted and
 * the others kept).
 */
import { describe, expect, it } from 'vitest';
import { sourceConfigSchema } from '../../cloud/providers/config.ts';
import { parseHttpRows } from '../../cloud/providers/http-rows.ts';
import { parseJsonPath, selectJson } from '../../protocols/json-select.ts';
import { parseLocalTime, zoneOffsetMs } from '../../protocols/zoned-time.ts';

const path = (text: string) => {
  const p = parseJsonPath(text);
  if (!p.ok) throw new Error(p.problem);
  return p.steps;
};

describe('JSONPath subset (protocols/json-select.ts)', () => {
  const doc = { data: [{ value: 1, 'weird key': 'a' }, { value: 2 }, { other: 3 }], meta: { n: 3 } };

  it('selects members, indexes and wildcards in document order', () => {
    expect(selectJson(doc, path('$.data[*].value'))).toEqual([1, 2]);
    expect(selectJson(doc, path('$.data.*.value'))).toEqual([1, 2]);
    expect(selectJson(doc, path('$.data[1].value'))).toEqual([2]);
    expect(selectJson(doc, path("$.data[0]['weird key']"))).toEqual(['a']);
    expect(selectJson(doc, path('$.meta.*'))).toEqual([3]);
    expect(selectJson(doc, path('$'))).toEqual([doc]);
    expect(selectJson(doc, path('$.nothing[*].value'))).toEqual([]);
  });

  it('refuses what it does not implement instead of guessing', () => {
    for (const bad of ['data', '$..value', '$.data[?(@.value>1)]', '$.data[0:2]', '$.data[-1]', '$.']) expect(parseJsonPath(bad).ok, bad).toBe(false);
  });
});

describe('local times in America/Santiago (protocols/zoned-time.ts)', () => {
  const Z = 'America/Santiago';
  const utc = (local: string) => new Date(parseLocalTime(local, Z) as number).toISOString();

  it('reads winter (UTC−4) and summer (UTC−3) times', () => {
    expect(utc('2026-07-01 08:00:00')).toBe('2026-07-01T12:00:00.000Z');
    expect(utc('2026-01-15 12:00')).toBe('2026-01-15T15:00:00.000Z');
    expect(zoneOffsetMs(Z, Date.parse('2026-07-01T00:00:00Z'))).toBe(-4 * 3_600_000);
  });

  it('takes the first pass of the hour repeated when clocks go back (4 April 2026, 24:00 → 23:00)', () => {
    expect(utc('2026-04-04 22:30:00')).toBe('2026-04-05T01:30:00.000Z');
    expect(utc('2026-04-04 23:30:00')).toBe('2026-04-05T02:30:00.000Z');
    expect(utc('2026-04-05 00:30:00')).toBe('2026-04-05T04:30:00.000Z');
  });

  it('reads the hour skipped when clocks go forward (6 September 2026, 00:00 → 01:00) with the offset before the change', () => {
    expect(utc('2026-09-05 23:30:00')).toBe('2026-09-06T03:30:00.000Z');
    expect(utc('2026-09-06 00:30:00')).toBe('2026-09-06T04:30:00.000Z');
    expect(utc('2026-09-06 01:30:00')).toBe('2026-09-06T04:30:00.000Z');
  });

  it('refuses impossible or unparseable times', () => {
    for (const bad of ['2026-02-30 10:00', '2026-01-01 24:00', '01/02/2026 10:00', '2026-01-01T10:00:00Z']) expect(parseLocalTime(bad, Z), bad).toBeUndefined();
  });
});

describe('HTTP rows (cloud/providers/http-rows.ts)', () => {
  const csvSource = sourceConfigSchema.parse({
    id: 'vendor',
    kind: 'http',
    url: 'http://127.0.0.1:1/readings.csv',
    format: 'csv',
    device: 'col:equipo',
    time: 'fecha',
    timeFormat: 'local',
    idField: 'id',
    fields: { caudal: { channel: 'flow', unit: 'L/s' }, totalizador: { channel: 'totalizer', unit: 'm3', scale: 0.001 } },
  });

  it('keeps the good CSV rows and counts a short row and a bad time as bad rows, with their line', () => {
    const csv = [
      'id,equipo,fecha,caudal,totalizador',
      'a1,pozo-1,2026-04-04 23:30:00,12.5,1000',
      'a2,pozo-1,2026-04-05 00:30:00,13',
      'a3,pozo-1,ayer,13,1001',
      'a4,pozo-1,2026-04-05 01:30:00,x,1002',
      '',
    ].join('\r\n');
    const rows = parseHttpRows(csv, csvSource as never);
    expect(rows.messages.map((m) => m.id)).toEqual(['id:a1', 'id:a4']);
    expect(rows.messages[0]?.records).toEqual([
      {
        kind: 'reading',
        device: 'pozo-1',
        channel: 'flow',
        value: 12.5,
        unit: 'L/s',
        quality: 'good',
        exception: null,
        ts: Date.parse('2026-04-05T02:30:00Z'),
      },
      {
        kind: 'reading',
        device: 'pozo-1',
        channel: 'totalizer',
        value: 1,
        unit: 'm3',
        quality: 'good',
        exception: null,
        ts: Date.parse('2026-04-05T02:30:00Z'),
      },
    ]);
    expect(rows.messages[1]?.records.map((r) => r.channel)).toEqual(['totalizer']);
    expect(rows.problems).toEqual([
      { reason: 'bad_row', detail: 'line 3: 4 cells, the header has 5' },
      { reason: 'bad_row', detail: 'line 4: time' },
      { reason: 'not_a_number', detail: 'pozo-1: caudal' },
    ]);
    expect(rows.newest).toBe(Date.parse('2026-04-05T05:30:00Z'));
  });

  it('selects JSON rows by path and names a row without its own id by its hash', () => {
    const source = sourceConfigSchema.parse({
      id: 'vendor-json',
      kind: 'http',
      url: 'http://127.0.0.1:1/readings.json',
      items: '$.data[*]',
      device: 'pozo-json',
      time: '$.ts',
      fields: { '$.caudal': { channel: 'flow', unit: 'L/s' } },
    });
    const body = JSON.stringify({
      data: [
        { ts: '2026-07-01T12:00:00Z', caudal: 3 },
        { ts: 'soon', caudal: 4 },
      ],
    });
    const rows = parseHttpRows(body, source as never);
    expect(rows.messages).toHaveLength(1);
    expect(rows.messages[0]?.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(rows.messages[0]?.records[0]).toMatchObject({ device: 'pozo-json', channel: 'flow', value: 3, ts: Date.parse('2026-07-01T12:00:00Z') });
    expect(rows.problems).toEqual([{ reason: 'bad_row', detail: 'row 2: time' }]);
  });
});
