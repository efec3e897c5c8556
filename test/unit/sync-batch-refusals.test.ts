import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../protocols/records.ts';
import type { DecodeLimits } from '../../protocols/sync/batch.ts';
import { DEFAULT_MAX_INFLATED_BYTES, DEFAULT_MAX_RECORDS, decodeBatch, encodeBatch } from '../../protocols/sync/batch.ts';
import { ATALAYA_SYNC_MALFORMED, ATALAYA_SYNC_TOO_LARGE, isSyncError } from '../../protocols/sync/errors.ts';
import type { SyncBatch } from '../../protocols/sync/types.ts';

const base = {
  value: 1,
  unit: 'ppm',
  quality: 'good',
  exception: null,
  ts: 1_750_000_000_000,
  mono: 86_400_000,
  bootId: 'boot-a',
  priority: 0,
  flags: 0,
} as const;
/** Record 0: an alarm (seq 10) with detail; records 1 and 2: readings 8 and 9 of two devices. */
const valid: SyncBatch = {
  gateway: 'gw-01',
  sentAt: 1_750_000_001_000,
  mono: 86_401_000,
  bootId: 'boot-a',
  clockSynced: true,
  records: [
    {
      seq: 10,
      kind: 'alarm',
      device: 'gas-01',
      channel: 'ch4',
      ...base,
      priority: 2,
      alarm: { rule: 'high1', level: 'warning', state: 'raised', threshold: 10 },
    },
    { seq: 8, kind: 'reading', device: 'gas-01', channel: 'co', ...base },
    { seq: 9, kind: 'reading', device: 'gas-02', channel: 'co', ...base, value: null, quality: 'comm_error' },
  ] satisfies StoredRecord[],
};

/** The inflated JSON, loosely typed so a test can break it in any way. */
interface WireJson {
  [key: string]: unknown;
  tables: Record<string, unknown[]>;
  cols: Record<string, unknown[]>;
  alarms: unknown[][];
}

const gzip = (text: string | Buffer): Buffer => zlib.gzipSync(text);
const wireText = (): string => zlib.gunzipSync(encodeBatch(valid)).toString('utf8');
function tampered(mutate: (w: WireJson) => void): Buffer {
  const w = JSON.parse(wireText()) as WireJson;
  mutate(w);
  return gzip(JSON.stringify(w));
}

/** The code and reason of decodeBatch's refusal, or 'accepted'. */
function refusal(body: Uint8Array, limits?: DecodeLimits): { code: string; reason: string } | 'accepted' {
  try {
    decodeBatch(body, limits);
    return 'accepted';
  } catch (err) {
    if (!isSyncError(err)) throw err;
    return { code: err.code, reason: String(err.details?.reason) };
  }
}

/** Malformed, and the reason starts with the path of what was broken (so it failed for that reason, not another). */
function expectMalformed(body: Uint8Array, path: string): void {
  const r = refusal(body);
  expect(r).not.toBe('accepted');
  if (r === 'accepted') return;
  expect(r.code).toBe(ATALAYA_SYNC_MALFORMED);
  expect(r.reason.startsWith(`${path}:`), `reason "${r.reason}" should name ${path}`).toBe(true);
}

describe('decodeBatch refuses', () => {
  it('accepts the untouched body (the baseline every case below breaks)', () => {
    expect(decodeBatch(gzip(wireText()))).toStrictEqual(valid);
  });

  it('bodies that are not gzip, not UTF-8 or not JSON', () => {
    const body = encodeBatch(valid);
    for (const bad of [
      Buffer.alloc(0),
      Buffer.from('{"v":1}'),
      body.subarray(0, body.length - 9),
      zlib.deflateSync(wireText()),
      gzip(Buffer.from([0x7b, 0xff, 0x7d])),
      gzip('{"v":1,'),
      gzip(''),
    ]) {
      const r = refusal(bad);
      expect(r === 'accepted' ? r : r.code).toBe(ATALAYA_SYNC_MALFORMED);
    }
  });

  it('bodies that inflate past maxInflatedBytes (gzip bombs), at the default and a given limit', () => {
    const padded = gzip(`${wireText()}${' '.repeat(2 * 2 ** 20)}`);
    expect(padded.length).toBeLessThan(10_000);
    expect(refusal(padded, { maxInflatedBytes: 2 ** 20 })).toMatchObject({ code: ATALAYA_SYNC_TOO_LARGE });
    expect(decodeBatch(padded, { maxInflatedBytes: 4 * 2 ** 20 })).toStrictEqual(valid);
    const bomb = zlib.gzipSync(Buffer.alloc(DEFAULT_MAX_INFLATED_BYTES + 1, 0x20), { level: 1 });
    expect(refusal(bomb)).toMatchObject({ code: ATALAYA_SYNC_TOO_LARGE });
  });

  it('more records than maxRecords, before validating them', () => {
    expect(refusal(encodeBatch(valid), { maxRecords: 2 })).toMatchObject({ code: ATALAYA_SYNC_TOO_LARGE });
    expect(refusal(encodeBatch(valid), { maxRecords: 3 })).toBe('accepted');
    expect(refusal(gzip(JSON.stringify({ v: 1, n: DEFAULT_MAX_RECORDS + 1 })))).toMatchObject({ code: ATALAYA_SYNC_TOO_LARGE });
  });

  it('unknown versions', () => {
    expectMalformed(
      tampered((w) => (w.v = 2)),
      'v',
    );
    expectMalformed(
      tampered((w) => (w.v = '1')),
      'v',
    );
    expectMalformed(
      tampered((w) => delete w.v),
      'v',
    );
    for (const text of ['[]', 'null', '42', '"batch"']) expectMalformed(gzip(text), '(root)');
  });

  it('indexes and codes out of range', () => {
    expectMalformed(
      tampered((w) => (w.cols.device![1] = 2)),
      'records[1].device',
    );
    expectMalformed(
      tampered((w) => (w.cols.channel![2] = 9)),
      'records[2].channel',
    );
    expectMalformed(
      tampered((w) => (w.cols.unit![0] = 1)),
      'records[0].unit',
    );
    expectMalformed(
      tampered((w) => (w.cols.bootId![0] = 1)),
      'records[0].bootId',
    );
    expectMalformed(
      tampered((w) => (w.cols.device![1] = -1)),
      'cols.device[1]',
    );
    expectMalformed(
      tampered((w) => (w.cols.kind![1] = 2)),
      'records[1].kind',
    );
    expectMalformed(
      tampered((w) => (w.cols.quality![2] = 5)),
      'records[2].quality',
    );
    expectMalformed(
      tampered((w) => (w.alarms[0]![1] = 1)),
      'records[0].alarm.rule',
    );
    expectMalformed(
      tampered((w) => (w.alarms[0]![2] = 2)),
      'records[0].alarm.level',
    );
    expectMalformed(
      tampered((w) => (w.alarms[0]![3] = 4)),
      'records[0].alarm.state',
    ); // 3 is 'paged'
    expectMalformed(
      tampered((w) => (w.alarms[0]![0] = 3)),
      'alarms[0][0]',
    );
    expectMalformed(
      tampered((w) => w.alarms.push([0, 0, 0, 0, 1])),
      'alarms[1][0]',
    );
  });

  it('wrong types', () => {
    expectMalformed(
      tampered((w) => (w.cols.seq![0] = '10')),
      'cols.seq[0]',
    );
    expectMalformed(
      tampered((w) => (w.cols.seq![1] = 0.5)),
      'cols.seq[1]',
    );
    expectMalformed(
      tampered((w) => (w.cols.value![1] = '1')),
      'cols.value[1]',
    );
    expectMalformed(
      tampered((w) => (w.cols.value![1] = true)),
      'cols.value[1]',
    );
    expectMalformed(
      tampered((w) => (w.cols.exception![1] = '2')),
      'cols.exception[1]',
    );
    expectMalformed(
      tampered((w) => (w.clockSynced = 1)),
      'clockSynced',
    );
    expectMalformed(
      tampered((w) => (w.tables.device = 'gas-01' as unknown as unknown[])),
      'tables.device',
    );
    expectMalformed(
      tampered((w) => (w.tables.device![0] = 7)),
      'tables.device[0]',
    );
    expectMalformed(
      tampered((w) => (w.alarms[0] = [0, 0, 0, 0])),
      'alarms[0]',
    );
    expectMalformed(
      tampered((w) => (w.n = -1)),
      'n',
    );
  });

  it('columns whose length is not n', () => {
    expectMalformed(
      tampered((w) => w.cols.flags!.pop()),
      'cols.flags',
    );
    expectMalformed(
      tampered((w) => (w.n = 2)),
      'cols.seq',
    );
  });

  it('extra keys, __proto__ included, without polluting Object.prototype', () => {
    expectMalformed(
      tampered((w) => (w.extra = 1)),
      '(root)',
    );
    expectMalformed(
      tampered((w) => (w.cols.kinds = [])),
      'cols',
    );
    expectMalformed(
      tampered((w) => (w.tables.rules = [])),
      'tables',
    );
    expectMalformed(gzip(wireText().replace('{"v":1,', '{"__proto__":{"polluted":true},"v":1,')), '(root)');
    expectMalformed(gzip(wireText().replace('"cols":{', '"cols":{"constructor":{"prototype":{"polluted":true}},')), 'cols');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('non-finite numbers (JSON reads 1e999 as Infinity)', () => {
    const text = wireText();
    expectMalformed(gzip(text.replace('"value":[1,1,null]', '"value":[1,1e999,null]')), 'cols.value[1]');
    expectMalformed(gzip(text.replace('"value":[1,1,null]', '"value":[1,-1e999,null]')), 'cols.value[1]');
    expectMalformed(gzip(text.replace('"alarms":[[0,0,0,0,10]]', '"alarms":[[0,0,0,0,1e999]]')), 'alarms[0][4]');
    expectMalformed(gzip(text.replace('"ts":[1750000000000,', '"ts":[1e999,')), 'cols.ts[0]');
    expectMalformed(gzip(text.replace('"sentAt":1750000001000', '"sentAt":1e999')), 'sentAt');
  });

  it('seqs that are not strictly increasing within a kind, repeated across kinds, negative or unsafe', () => {
    expectMalformed(
      tampered((w) => (w.cols.seq![2] = -1)),
      'records[2].seq',
    );
    expectMalformed(
      tampered((w) => (w.cols.seq![2] = 2)),
      'records[2].seq',
    );
    expectMalformed(
      tampered((w) => (w.cols.seq![0] = -10)),
      'records[0].seq',
    );
    expectMalformed(
      tampered((w) => (w.cols.seq = [Number.MAX_SAFE_INTEGER, 1, 1])),
      'records[1].seq',
    );
    expectMalformed(
      tampered((w) => (w.cols.ts![0] = -1)),
      'records[0].ts',
    );
  });

  it('field values outside the record schema', () => {
    expectMalformed(
      tampered((w) => (w.cols.priority![1] = 3)),
      'records[1].priority',
    );
    expectMalformed(
      tampered((w) => (w.cols.exception![1] = 256)),
      'records[1].exception',
    );
    expectMalformed(
      tampered((w) => (w.cols.exception![1] = -1)),
      'records[1].exception',
    );
    expectMalformed(
      tampered((w) => (w.cols.flags![1] = -1)),
      'records[1].flags',
    );
    expectMalformed(
      tampered((w) => (w.tables.device![0] = '')),
      'records[0].device',
    );
    expectMalformed(
      tampered((w) => (w.tables.channel![0] = 'x'.repeat(129))),
      'records[0].channel',
    );
    expectMalformed(
      tampered((w) => (w.gateway = '')),
      'gateway',
    );
    expectMalformed(
      tampered((w) => (w.alarms[0]![0] = 1)),
      'records[1].alarm',
    );
  });

  it('tables with duplicate or unused entries', () => {
    expectMalformed(
      tampered((w) => (w.tables.device = ['gas-01', 'gas-01'])),
      'tables.device',
    );
    expectMalformed(
      tampered((w) => w.tables.unit!.push('m')),
      'tables.unit[1]',
    );
    expectMalformed(
      tampered((w) => (w.alarms = [])),
      'tables.rule[0]',
    );
  });
});
