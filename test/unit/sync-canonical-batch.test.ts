/**
 * recordHashes (protocols/sync/canonical.ts) puts each record's canonical text together from
 * pieces cached per batch instead of JSON.stringify of the array (issue 18). These tests hold it
 * to recordHash, record by record, on the golden vectors and on random batches whose strings
 * repeat (so cached pieces are reused across records and fields) and touch every escape rule.
 */
import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../protocols/records.ts';
import { recordHash, recordHashes } from '../../protocols/sync/canonical.ts';
import { ATALAYA_SYNC_MALFORMED, isSyncError } from '../../protocols/sync/errors.ts';
import { seededRandom } from '../../simulators/modbus/faults.ts';

const reading: StoredRecord = {
  seq: 42,
  kind: 'reading',
  device: 'gas-01',
  channel: 'ch4',
  value: 12.5,
  unit: '%LEL',
  quality: 'good',
  exception: null,
  ts: 1_750_000_000_000,
  mono: 86_400_000,
  bootId: '5f1c3b1e-0d6e-4a43-9f0e-1d2c3b4a5e6f',
  priority: 0,
  flags: 0,
};

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return isSyncError(err) ? err.code : 'not a SyncError';
  }
  return undefined;
};

describe('recordHashes', () => {
  it('gives the golden vector of a reading', () => {
    expect(recordHashes('gw-01', [reading])).toEqual(['39c007c9bd8ad4fb54befc3f55a17307670f1b8c4c1491a68ae326187481d488']);
    expect(recordHashes('gw-01', [])).toEqual([]);
  });

  it('gives recordHash of every record of 300 random batches', () => {
    const random = seededRandom(18);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const units = ['a', '0', ' ', '-', '"', '\\', '/', '\b', '\t', '\n', '\u0000', '\u001f', '\u007f', '\u2028', 'ñ', '³', '🌵', '\ud800', '\udfff'];
    const text = (): string => Array.from({ length: Math.floor(random() * 8) }, () => pick(units)).join('');
    const count = (): number => pick([0, 1, Math.floor(random() * 1e6), Math.floor(random() * 2 ** 53), Number.MAX_SAFE_INTEGER]);
    const value = (): number | null => pick([null, -0, 0, 12.5, 0.1 + 0.2, 1e21, 1e-7, -5e-324, 1.7976931348623157e308, Math.round(random() * 1e6) / 1000]);
    let hashed = 0;
    for (let b = 0; b < 300; b++) {
      // A small pool per batch, so the same strings come back in several records and fields.
      const pool = Array.from({ length: 1 + Math.floor(random() * 4) }, text);
      const s = (): string => pick(pool);
      const records = Array.from({ length: Math.floor(random() * 20) }, (): StoredRecord => {
        const r: StoredRecord = {
          seq: count(),
          kind: pick(['reading', 'alarm'] as const),
          device: s(),
          channel: s(),
          value: value(),
          unit: s(),
          quality: pick(['good', 'comm_error', 'exception', 'out_of_range', 'sensor_fault'] as const),
          exception: random() < 0.7 ? null : Math.floor(random() * 256),
          ts: count(),
          mono: count(),
          bootId: s(),
          priority: pick([0, 1, 2] as const),
          flags: pick([0, 1, count()]),
        };
        return random() < 0.3
          ? { ...r, alarm: { rule: s(), level: pick(['warning', 'alarm'] as const), state: pick(['raised', 'paged'] as const), threshold: value() } }
          : r;
      });
      const gateway = s();
      expect(recordHashes(gateway, records)).toEqual(records.map((r) => recordHash(gateway, r)));
      hashed += records.length;
    }
    expect(hashed).toBeGreaterThan(2000);
  });

  it('refuses what recordHash refuses, with the same code', () => {
    for (const bad of [{ value: Number.NaN }, { ts: 1.5 }, { device: 3 }, { alarm: { rule: 'r', level: 'alarm', state: 'raised', threshold: Infinity } }]) {
      const r = { ...reading, ...bad } as unknown as StoredRecord;
      expect(code(() => recordHash('gw', r))).toBe(ATALAYA_SYNC_MALFORMED);
      expect(code(() => recordHashes('gw', [reading, r]))).toBe(ATALAYA_SYNC_MALFORMED);
    }
    expect(code(() => recordHashes(7 as unknown as string, [reading]))).toBe(ATALAYA_SYNC_MALFORMED);
  });
});
