/**
 * Device time fields of JSON mappings (issue 17 §5). Formats: `epoch_ms`, `epoch_s` (a number
 * or a numeric string), `iso` (RFC 3339; without an offset, a local time in the mapping's
 * `timeZone`, an IANA name such as America/Santiago, daylight saving included). Pure functions.
 */

export const TIME_FORMATS = ['iso', 'epoch_ms', 'epoch_s'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const NUMERIC = /^-?\d+(?:\.\d+)?$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether the runtime knows the IANA zone. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** ms since the epoch, or undefined when the value is not a time in that format. */
export function parseTime(value: unknown, format: TimeFormat, timeZone: string | undefined): number | undefined {
  if (format !== 'iso') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && NUMERIC.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isFinite(n)) return undefined;
    return Math.round(format === 'epoch_s' ? n * 1000 : n);
  }
  if (typeof value !== 'string') return undefined;
  const m = ISO.exec(value.trim());
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (new Date(wall).getUTCDate() !== d) return undefined;
  const zone = m[8];
  if (zone !== undefined) {
    if (zone.toUpperCase() === 'Z') return wall;
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    return wall - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  if (timeZone === undefined) return undefined;
  // The zone's offset at the guessed instant, then once more in case the guess crossed a change.
  const first = wall - zoneOffset(wall, timeZone);
  return wall - zoneOffset(first, timeZone);
}

/** The zone's wall clock minus UTC at `t`, ms. */
function zoneOffset(t: number, zone: string): number {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p['year'] ?? 0, (p['month'] ?? 1) - 1, p['day'] ?? 1, p['hour'] ?? 0, p['minute'] ?? 0, p['second'] ?? 0);
  return wall - (t - (((t % 1000) + 1000) % 1000));
}
