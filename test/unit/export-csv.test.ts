import { describe, expect, it } from 'vitest';
import { parseReadingsCsv, readingCsvLine, readingsCsvHeader } from '../../cloud/dga/csv.ts';
import type { RelayRecord } from '../../cloud/store/types.ts';
import { csvLine, parseCsv } from '../../protocols/csv.ts';

describe('RFC 4180 CSV', () => {
  it('quotes fields with commas, quotes and line breaks, and reads them back', () => {
    const cells = ['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\r\nlf', '', 'ñandú m³'];
    const line = csvLine([...cells, 1.5, -0, null, 1e-7]);
    expect(line).toBe('plain,"a,b","say ""hi""","two\nlines","cr\r\nlf",,ñandú m³,1.5,0,,1e-7\r\n');
    expect(parseCsv(line + line)).toEqual([
      [...cells, '1.5', '0', '', '1e-7'],
      [...cells, '1.5', '0', '', '1e-7'],
    ]);
  });

  it('a readings file reads back to the same records, alarm and nulls included', () => {
    const base: RelayRecord = {
      gateway: 'gw,1',
      seq: 7,
      kind: 'reading',
      device: 'pozo "norte"',
      channel: 'flow\nA',
      value: 0.1 + 0.2,
      unit: 'L/s',
      quality: 'good',
      exception: null,
      ts: Date.UTC(2026, 0, 30, 4, 0, 0, 123),
      tsCorrected: null,
      mono: 123456789,
      bootId: 'b',
      priority: 1,
      flags: 1,
      receivedAt: Date.UTC(2026, 0, 30, 5),
      hash: 'ab'.repeat(32),
    };
    const alarm: RelayRecord = {
      ...base,
      seq: 8,
      kind: 'alarm',
      value: null,
      quality: 'exception',
      exception: 2,
      tsCorrected: base.ts + 5,
      alarm: { rule: 'high1', level: 'alarm', state: 'raised', threshold: 25.5 },
    };
    const text = readingsCsvHeader() + readingCsvLine(base) + readingCsvLine(alarm);
    expect(parseReadingsCsv(text)).toEqual([base, alarm]);
  });
});
