import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../protocols/records.ts';
import { CANONICAL_VERSION, canonicalRecord, recordHash } from '../../protocols/sync/canonical.ts';
import { ATALAYA_SYNC_MALFORMED, isSyncError, malformed } from '../../protocols/sync/errors.ts';

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

/** Every escape rule, -0, the exponent form and the largest seq in one record. */
const alarm: StoredRecord = {
  seq: 2 ** 53 - 1,
  kind: 'alarm',
  device: 'Pozo "Ñandú" 🌵',
  channel: 'Δp\\\n\u0001\ud800',
  value: -0,
  unit: 'm³',
  quality: 'out_of_range',
  exception: 4,
  ts: 1e12,
  mono: 0,
  bootId: 'b',
  priority: 2,
  flags: 1,
  alarm: { rule: 'high2', level: 'alarm', state: 'acknowledged', threshold: 1e21 },
};

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function malformedCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return isSyncError(err) ? err.code : 'not a SyncError';
  }
  return undefined;
}

describe('canonicalRecord v1 golden vectors (never change: stored hashes and anchors depend on them)', () => {
  it('encodes a reading as the documented JSON array', () => {
    const expected = '[1,"gw-01",42,"reading","gas-01","ch4",12.5,"%LEL","good",null,1750000000000,86400000,"5f1c3b1e-0d6e-4a43-9f0e-1d2c3b4a5e6f",0,0,null]';
    const bytes = canonicalRecord('gw-01', reading);
    expect(bytes.equals(Buffer.from(expected, 'utf8'))).toBe(true);
    expect(recordHash('gw-01', reading)).toBe('39c007c9bd8ad4fb54befc3f55a17307670f1b8c4c1491a68ae326187481d488');
    expect(sha256(Buffer.from(expected, 'utf8'))).toBe('39c007c9bd8ad4fb54befc3f55a17307670f1b8c4c1491a68ae326187481d488');
    expect(CANONICAL_VERSION).toBe(1);
  });

  it('encodes escapes, UTF-8, -0 as 0, 1e+21 and the alarm detail byte for byte', () => {
    const expectedHex =
      '5b312c2267772dc3b1222c393030373139393235343734303939312c22616c61726d222c22506f7a6f205c22c391616e64c3ba5c2220f09f8cb5222c22ce9470' +
      '5c5c5c6e5c75303030315c7564383030222c302c226dc2b3222c226f75745f6f665f72616e6765222c342c313030303030303030303030302c302c2262222c32' +
      '2c312c5b226869676832222c22616c61726d222c2261636b6e6f776c6564676564222c31652b32315d5d';
    // The same bytes, readable: [1,"gw-ñ",9007199254740991,"alarm","Pozo \"Ñandú\" 🌵","Δp\\\n\u0001\ud800",0,"m³",…,[…,1e+21]]
    const text =
      '[1,"gw-ñ",9007199254740991,"alarm","Pozo \\"Ñandú\\" 🌵","Δp\\\\\\n\\u0001\\ud800",0,"m³","out_of_range",4,1000000000000,0,"b",2,1,["high2","alarm","acknowledged",1e+21]]';
    expect(Buffer.from(text, 'utf8').toString('hex')).toBe(expectedHex);
    expect(canonicalRecord('gw-ñ', alarm).toString('hex')).toBe(expectedHex);
    expect(recordHash('gw-ñ', alarm)).toBe('c1260140efdba85198d8bd034fa69c97e9f7a050e89c843b4ecefd05e14d6cb5');
  });
});

describe('canonicalRecord', () => {
  it('writes doubles in their shortest round-trip form', () => {
    const readBack = (v: number): unknown => (JSON.parse(canonicalRecord('g', { ...reading, value: v }).toString('utf8')) as unknown[])[6];
    const text = (v: number): string =>
      canonicalRecord('g', { ...reading, value: v })
        .toString('utf8')
        .split(',')[6]!;
    expect(text(1e-300)).toBe('1e-300');
    expect(text(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(text(1e-7)).toBe('1e-7');
    expect(text(0.000001)).toBe('0.000001');
    expect(text(-5e-324)).toBe('-5e-324');
    expect(readBack(1.7976931348623157e308)).toBe(1.7976931348623157e308);
    expect(readBack(0.1 + 0.2)).toBe(0.1 + 0.2);
  });

  it('gives -0 and 0 the same identity, and null for absent optionals', () => {
    expect(recordHash('g', { ...reading, value: -0 })).toBe(recordHash('g', { ...reading, value: 0 }));
    const withoutThreshold = { ...alarm, alarm: { ...alarm.alarm!, threshold: null } };
    expect(canonicalRecord('g', withoutThreshold).toString('utf8')).toMatch(/,\["high2","alarm","acknowledged",null\]\]$/);
    expect(
      canonicalRecord('g', { ...reading, value: null })
        .toString('utf8')
        .split(',')[6],
    ).toBe('null');
  });

  it('does not depend on the property order of the record object', () => {
    const reversed = Object.fromEntries(Object.entries(alarm).reverse()) as unknown as StoredRecord;
    expect(canonicalRecord('g', reversed).equals(canonicalRecord('g', alarm))).toBe(true);
  });

  it('changes when any field, the gateway or the alarm detail changes', () => {
    const base = recordHash('gw', alarm);
    const variants: StoredRecord[] = [
      { ...alarm, seq: 1 },
      { ...alarm, kind: 'reading' },
      { ...alarm, device: 'Pozo' },
      { ...alarm, channel: 'p' },
      { ...alarm, value: 1 },
      { ...alarm, value: null },
      { ...alarm, unit: 'm' },
      { ...alarm, quality: 'good' },
      { ...alarm, exception: null },
      { ...alarm, ts: 1e12 + 1 },
      { ...alarm, mono: 1 },
      { ...alarm, bootId: 'c' },
      { ...alarm, priority: 1 },
      { ...alarm, flags: 0 },
      { ...alarm, alarm: { ...alarm.alarm!, rule: 'high1' } },
      { ...alarm, alarm: { ...alarm.alarm!, level: 'warning' } },
      { ...alarm, alarm: { ...alarm.alarm!, state: 'raised' } },
      { ...alarm, alarm: { ...alarm.alarm!, threshold: 10 } },
    ];
    const hashes = new Set([base, recordHash('gw2', alarm), ...variants.map((r) => recordHash('gw', r))]);
    expect(hashes.size).toBe(variants.length + 2);
    const { alarm: _detail, ...withoutDetail } = alarm;
    expect(recordHash('gw', withoutDetail)).not.toBe(base);
  });

  it('refuses numbers it cannot write unambiguously (NaN and ±Infinity would read as null)', () => {
    for (const bad of [
      { value: Number.NaN },
      { value: Infinity },
      { seq: 1.5 },
      { ts: Number.NaN },
      { exception: 2.5 },
      { alarm: { ...alarm.alarm!, threshold: -Infinity } },
    ]) {
      expect(malformedCode(() => canonicalRecord('g', { ...alarm, ...bad }))).toBe(ATALAYA_SYNC_MALFORMED);
    }
  });
});

/** canonicalRecord as first released (JSON.stringify of the array, a Buffer, createHash): the reference the faster one must match. */
function referenceCanonical(gateway: string, r: StoredRecord): Buffer {
  for (const [field, s] of [
    ['gateway', gateway],
    ['kind', r.kind],
    ['device', r.device],
    ['channel', r.channel],
    ['unit', r.unit],
    ['quality', r.quality],
    ['bootId', r.bootId],
  ] as const) {
    if (typeof s !== 'string') throw malformed(`${field}: expected a string`);
  }
  for (const [field, n] of [
    ['seq', r.seq],
    ['ts', r.ts],
    ['mono', r.mono],
    ['priority', r.priority],
    ['flags', r.flags],
  ] as const) {
    if (!Number.isSafeInteger(n)) throw malformed(`${field}: expected a safe integer`);
  }
  if (r.exception != null && !Number.isSafeInteger(r.exception)) throw malformed('exception: expected a safe integer or null');
  if (r.value != null && !Number.isFinite(r.value)) throw malformed('value: expected a finite number or null');
  const a = r.alarm;
  if (a !== undefined && a !== null) {
    if (typeof a.rule !== 'string' || typeof a.level !== 'string' || typeof a.state !== 'string')
      throw malformed('alarm: expected rule, level and state strings');
    if (a.threshold != null && !Number.isFinite(a.threshold)) throw malformed('alarm.threshold: expected a finite number or null');
  }
  const detail = a === undefined || a === null ? null : [a.rule, a.level, a.state, a.threshold ?? null];
  const fields = [
    1,
    gateway,
    r.seq,
    r.kind,
    r.device,
    r.channel,
    r.value ?? null,
    r.unit,
    r.quality,
    r.exception ?? null,
    r.ts,
    r.mono,
    r.bootId,
    r.priority,
    r.flags,
    detail,
  ];
  return Buffer.from(JSON.stringify(fields), 'utf8');
}

/** Seeded xorshift32 in [0, 1), so a failure reproduces. */
function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

describe('canonicalRecord and recordHash against the reference implementation', () => {
  const random = seeded(2024);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  // Code units every escape rule touches: quotes, backslash, C0 controls, DEL, U+2028, BOM, multi-byte UTF-8, pairs and lone surrogates.
  const units = [
    'a',
    'Z',
    '0',
    ' ',
    '-',
    '"',
    '\\',
    '/',
    '\b',
    '\t',
    '\n',
    '\f',
    '\r',
    '\u0000',
    '\u001f',
    '\u007f',
    '\u2028',
    '\ufeff',
    'ñ',
    'Δ',
    '³',
    '🌵',
    '\ud800',
    '\udfff',
  ];
  const text = (): string => Array.from({ length: Math.floor(random() * 12) }, () => pick(units)).join('');
  const view = new DataView(new ArrayBuffer(8));
  const double = (): number => {
    for (;;) {
      view.setUint32(0, Math.floor(random() * 2 ** 32));
      view.setUint32(4, Math.floor(random() * 2 ** 32));
      const d = view.getFloat64(0);
      if (Number.isFinite(d)) return d;
    }
  };
  const value = (): number | null =>
    pick([null, -0, 0, 12.5, 0.1 + 0.2, 1e21, 1e-7, 123456789.123, -5e-324, Math.round(random() * 1e6) / 1000, double(), double()]);
  const count = (): number => pick([0, 1, Math.floor(random() * 1e6), Math.floor(random() * 2 ** 53), Number.MAX_SAFE_INTEGER]);

  function randomRecord(): StoredRecord {
    const r: StoredRecord = {
      seq: count(),
      kind: pick(['reading', 'alarm'] as const),
      device: text(),
      channel: text(),
      value: value(),
      unit: text(),
      quality: pick(['good', 'comm_error', 'exception', 'out_of_range', 'sensor_fault'] as const),
      exception: random() < 0.7 ? null : Math.floor(random() * 256),
      ts: count(),
      mono: count(),
      bootId: text(),
      priority: pick([0, 1, 2] as const),
      flags: pick([0, 1, 7, count()]),
    };
    if (random() < 0.3)
      return {
        ...r,
        alarm: { rule: text(), level: pick(['warning', 'alarm'] as const), state: pick(['raised', 'cleared', 'acknowledged'] as const), threshold: value() },
      };
    return r;
  }

  it('gives the same bytes and hash for 2,000 random records', () => {
    for (let i = 0; i < 2000; i++) {
      const gateway = text();
      const r = randomRecord();
      const expected = referenceCanonical(gateway, r);
      expect(canonicalRecord(gateway, r).equals(expected), expected.toString('utf8')).toBe(true);
      expect(recordHash(gateway, r)).toBe(sha256(expected));
    }
  });
});
