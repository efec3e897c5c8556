import type { NewRecord } from '../protocols/records.ts';

/** Plain-text table of records, as `atalaya agent --once` prints it. */
export function recordTable(byDevice: ReadonlyMap<string, readonly NewRecord[]>): string {
  const rows: string[][] = [['DEVICE', 'CHANNEL', 'VALUE', 'UNIT', 'QUALITY']];
  for (const [device, records] of byDevice) {
    for (const r of records) {
      const quality = r.quality === 'exception' && r.exception !== null ? `exception ${r.exception}` : r.quality;
      rows.push([device, r.channel, r.value === null ? '-' : String(r.value), r.unit, quality]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return `${rows
    .map((r) =>
      r
        .map((cell, c) => (c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
