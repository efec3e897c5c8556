/**
 * decodeBatch checks records column by column instead of running syncBatchSchema over every
 * rebuilt record. These tests hold the two to the same verdicts: any single-field change to a
 * batch is refused by decodeBatch exactly when the schema refuses it, naming the same field.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../protocols/records.ts';
import { decodeBatch, encodeBatch } from '../../protocols/sync/batch.ts';
import { ATALAYA_SYNC_MALFORMED, isSyncError } from '../../protocols/sync/errors.ts';
import { firstIssue, MAX_BOOT_ID_LENGTH, MAX_GATEWAY_LENGTH, MAX_NAME_LENGTH, MAX_UNIT_LENGTH, syncBatchSchema } from '../../protocols/sync/schemas.ts';
import type { SyncBatch } from '../../protocols/sync/types.ts';

const MAX = Number.MAX_SAFE_INTEGER;
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
/** Alarms (with detail, without, device-reported) before and between older readings of two boots. */
const valid: SyncBatch = {
  gateway: 'gw-01',
  sentAt: 1_750_000_001_000,
  mono: 86_401_000,
  bootId: 'boot-b',
  clockSynced: false,
  records: [
    {
      seq: 20,
      kind: 'alarm',
      device: 'gas-01',
      channel: 'ch4',
      ...base,
      priority: 2,
      alarm: { rule: 'high1', level: 'warning', state: 'raised', threshold: 10 },
    },
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
      alarm: { rule: 'device', level: 'alarm', state: 'cleared', threshold: null },
    },
    { seq: 8, kind: 'reading', device: 'gas-02', channel: 'co', ...base, value: -0, unit: '', priority: 1 },
  ] satisfies StoredRecord[],
};

/**
 * The v1 layout (batch.ts) written without encodeBatch's validation, so a test can send what the
 * agent never would. Wire codes as the layout fixes them.
 */
function wireOf(batch: SyncBatch): Record<string, unknown> {
  const tables: Record<'device' | 'channel' | 'unit' | 'bootId' | 'rule', string[]> = { device: [], channel: [], unit: [], bootId: [], rule: [] };
  const ref = (table: keyof typeof tables, s: string): number => {
    const at = tables[table].indexOf(s);
    return at === -1 ? tables[table].push(s) - 1 : at;
  };
  const toWire = (v: number | null): number | null | '-0' => (v !== null && Object.is(v, -0) ? '-0' : v);
  const names = ['seq', 'ts', 'mono', 'kind', 'device', 'channel', 'unit', 'bootId', 'value', 'quality', 'exception', 'priority', 'flags'] as const;
  const cols = Object.fromEntries(names.map((c) => [c, [] as unknown[]])) as Record<(typeof names)[number], unknown[]>;
  const alarms: unknown[][] = [];
  let previous = { seq: 0, ts: 0, mono: 0 };
  batch.records.forEach((r, i) => {
    cols.seq.push(r.seq - previous.seq);
    cols.ts.push(r.ts - previous.ts);
    cols.mono.push(r.mono - previous.mono);
    previous = r;
    cols.kind.push(['reading', 'alarm'].indexOf(r.kind));
    cols.device.push(ref('device', r.device));
    cols.channel.push(ref('channel', r.channel));
    cols.unit.push(ref('unit', r.unit));
    cols.bootId.push(ref('bootId', r.bootId));
    cols.value.push(toWire(r.value));
    cols.quality.push(['good', 'comm_error', 'exception', 'out_of_range', 'sensor_fault'].indexOf(r.quality));
    cols.exception.push(r.exception);
    cols.priority.push(r.priority);
    cols.flags.push(r.flags);
    const a = r.alarm;
    if (a !== undefined)
      alarms.push([i, ref('rule', a.rule), ['warning', 'alarm'].indexOf(a.level), ['raised', 'cleared', 'acknowledged'].indexOf(a.state), toWire(a.threshold)]);
  });
  const { gateway, sentAt, mono, bootId, clockSynced } = batch;
  return { v: 1, gateway, sentAt, mono, bootId, clockSynced, n: batch.records.length, tables, cols, alarms };
}

const bodyOf = (batch: SyncBatch): Buffer => zlib.gzipSync(JSON.stringify(wireOf(batch)));

/** 'accepted', or the path decodeBatch's reason starts with. */
function decodeVerdict(batch: SyncBatch): string {
  try {
    expect(decodeBatch(bodyOf(batch))).toStrictEqual(batch);
    return 'accepted';
  } catch (err) {
    if (!isSyncError(err, ATALAYA_SYNC_MALFORMED)) throw err;
    return String(err.details?.reason).split(': ')[0]!;
  }
}

function schemaVerdict(batch: SyncBatch): string {
  const checked = syncBatchSchema.safeParse(batch);
  return checked.success ? 'accepted' : firstIssue(checked.error).split(': ')[0]!;
}

/** A type error inside a column is named by its column entry (`cols.ts[3]`), where the schema says `records[3].ts`. */
const sameField = (decoded: string, schema: string): boolean => decoded === schema || decoded.replace(/^cols\.(\w+)\[(\d+)\]$/, 'records[$2].$1') === schema;

function withRecord(i: number, change: Record<string, unknown>): SyncBatch {
  const records = valid.records.map((r, k) => {
    if (k !== i) return r;
    const changed = { ...r, ...change } as Record<string, unknown>;
    if (changed.alarm === undefined) delete changed.alarm;
    return changed as unknown as StoredRecord;
  });
  return { ...valid, records };
}

const detail = valid.records[0]!.alarm!;
/** Values at, just inside and just outside every limit of storedRecordSchema that JSON can carry. */
const FIELD_VALUES: Record<string, unknown[]> = {
  seq: [-1, 0, 0.5, 5, 7, 20, 22, MAX, 2 ** 53, 2 ** 53 + 2],
  kind: ['reading', 'alarm'],
  ts: [-1, 0, 1.5, MAX, 2 ** 53 + 2],
  mono: [-1, 0, 1.5, MAX, 2 ** 53 + 2],
  // zod counts code points: 128 cacti (256 UTF-16 units) are a valid name, 129 are not; a lone surrogate counts once.
  device: [
    '',
    'x',
    'x'.repeat(MAX_NAME_LENGTH),
    'x'.repeat(MAX_NAME_LENGTH + 1),
    '🌵'.repeat(MAX_NAME_LENGTH),
    '🌵'.repeat(MAX_NAME_LENGTH + 1),
    `${'🌵'.repeat(MAX_NAME_LENGTH - 1)}\ud800`,
  ],
  channel: ['', 'Δp "\\\n', 'x'.repeat(MAX_NAME_LENGTH), 'x'.repeat(MAX_NAME_LENGTH + 1)],
  unit: ['', 'x'.repeat(MAX_UNIT_LENGTH), 'x'.repeat(MAX_UNIT_LENGTH + 1), '🌵'.repeat(MAX_UNIT_LENGTH)],
  bootId: ['', 'x'.repeat(MAX_BOOT_ID_LENGTH), 'x'.repeat(MAX_BOOT_ID_LENGTH + 1), 'ñ'.repeat(MAX_BOOT_ID_LENGTH), '🌵'.repeat(MAX_BOOT_ID_LENGTH + 1)],
  value: [null, -0, 5e-324, -1.7976931348623157e308],
  exception: [null, -1, 0, 255, 256, 2.5],
  priority: [-1, 0, 1, 2, 3, 1.5],
  flags: [-1, 0, MAX, 2 ** 53 + 2, 0.5],
  alarm: [
    undefined,
    detail,
    { ...detail, rule: '' },
    { ...detail, rule: 'x'.repeat(MAX_NAME_LENGTH) },
    { ...detail, rule: 'x'.repeat(MAX_NAME_LENGTH + 1) },
    { ...detail, threshold: -0 },
  ],
};
const BATCH_VALUES: Record<string, unknown[]> = {
  gateway: ['', 'x'.repeat(MAX_GATEWAY_LENGTH), 'x'.repeat(MAX_GATEWAY_LENGTH + 1)],
  sentAt: [-1, 0, 1.5, MAX, 2 ** 53],
  mono: [-1, 1.5, 2 ** 53],
  bootId: ['', 'x'.repeat(MAX_BOOT_ID_LENGTH + 1)],
};

describe('decodeBatch and syncBatchSchema', () => {
  it('share a test encoder that writes what encodeBatch writes', () => {
    expect(JSON.stringify(wireOf(valid))).toBe(zlib.gunzipSync(encodeBatch(valid)).toString('utf8'));
    expect(decodeVerdict(valid)).toBe('accepted');
  });

  it('agree on every single-field change to any record or to the batch, and name the same field', () => {
    const cases: Array<[string, SyncBatch]> = [];
    for (const [field, values] of Object.entries(FIELD_VALUES)) {
      for (const value of values)
        for (const i of [0, 1, 4, 6]) cases.push([`records[${i}].${field} = ${String(value).slice(0, 12)}`, withRecord(i, { [field]: value })]);
    }
    for (const [field, values] of Object.entries(BATCH_VALUES))
      for (const value of values) cases.push([`${field} = ${String(value).slice(0, 12)}`, { ...valid, [field]: value }]);
    const verdicts = { accepted: 0, refused: 0 };
    for (const [label, batch] of cases) {
      const decoded = decodeVerdict(batch);
      const schema = schemaVerdict(batch);
      expect(sameField(decoded, schema), `${label}: decodeBatch ${decoded}, schema ${schema}`).toBe(true);
      verdicts[schema === 'accepted' ? 'accepted' : 'refused']++;
    }
    // Both verdicts are well represented, so agreement is not agreement on one answer.
    expect(verdicts.accepted).toBeGreaterThan(100);
    expect(verdicts.refused).toBeGreaterThan(100);
  });

  it('refuse, naming the field, what only the zod pass over rebuilt records used to catch', () => {
    const refused: Array<[SyncBatch, string]> = [
      [withRecord(1, { unit: 'x'.repeat(MAX_UNIT_LENGTH + 1) }), 'records[1].unit'],
      [withRecord(4, { bootId: '' }), 'records[4].bootId'],
      [withRecord(6, { bootId: 'x'.repeat(MAX_BOOT_ID_LENGTH + 1) }), 'records[6].bootId'],
      [withRecord(1, { device: 'x'.repeat(MAX_NAME_LENGTH + 1) }), 'records[1].device'],
      [withRecord(0, { alarm: { ...detail, rule: '' } }), 'records[0].alarm.rule'],
      [withRecord(5, { alarm: { ...detail, rule: 'x'.repeat(MAX_NAME_LENGTH + 1) } }), 'records[5].alarm.rule'],
      [withRecord(4, { seq: 21 }), 'records[4].seq'], // an alarm's seq on a reading: seq is gateway-wide
      [withRecord(6, { seq: 7 }), 'records[6].seq'],
      [withRecord(1, { ts: 2 ** 53 + 2 }), 'records[1].ts'],
      [withRecord(4, { mono: -1 }), 'records[4].mono'],
      [withRecord(6, { mono: 2 ** 53 + 2 }), 'records[6].mono'],
      [withRecord(1, { priority: -1 }), 'records[1].priority'],
      [withRecord(1, { flags: 2 ** 53 + 2 }), 'cols.flags[1]'],
      [withRecord(1, { exception: 2.5 }), 'cols.exception[1]'],
      [{ ...valid, gateway: 'x'.repeat(MAX_GATEWAY_LENGTH + 1) }, 'gateway'],
      [{ ...valid, bootId: '' }, 'bootId'],
      [{ ...valid, sentAt: -1 }, 'sentAt'],
      [{ ...valid, mono: 1.5 }, 'mono'],
    ];
    for (const [batch, path] of refused) expect(decodeVerdict(batch)).toBe(path);
  });

  it('accept every limit itself', () => {
    const limits = withRecord(1, {
      device: 'x'.repeat(MAX_NAME_LENGTH),
      unit: 'x'.repeat(MAX_UNIT_LENGTH),
      bootId: 'x'.repeat(MAX_BOOT_ID_LENGTH),
      exception: 255,
      ts: MAX,
      mono: 0,
      flags: MAX,
    });
    expect(decodeVerdict(limits)).toBe('accepted');
    expect(decodeVerdict(withRecord(5, { seq: MAX, priority: 0 }))).toBe('accepted');
    expect(decodeVerdict({ ...valid, gateway: 'x'.repeat(MAX_GATEWAY_LENGTH), sentAt: MAX, mono: 0 })).toBe('accepted');
  });
});
