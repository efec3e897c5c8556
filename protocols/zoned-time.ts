/**
 * Wall-clock times without an offset, read in an explicit IANA time zone (providers that export
 * `2026-04-04 23:30:00` in Chile's local time: America/Santiago, UTC−3 in summer and UTC−4 in
 * winter). Uses Intl only (the tz database Node ships), no library. Pure: imports nothing of ours.
 *
 * At a DST change some local times happen twice (the hour repeated when clocks go back) and some
 * never (the hour skipped when they go forward). The rule here, documented in
 * cloud/providers/README.md: a repeated time is the EARLIER instant (the first pass, still on the
 * old offset); a skipped time is read with the offset in force just before the change, i.e. it
 * lands after the change by the size of the gap (RFC 5545 §3.3.5's rule for nonexistent times).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the zone (checked when a config is read). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at instant `ms`, ms (Santiago in winter: −4 h). */
export function zoneOffsetMs(timeZone: string, ms: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts['year']!, parts['month']! - 1, parts['day']!, parts['hour']!, parts['minute']!, parts['second']!);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/**
 * `YYYY-MM-DD HH:mm[:ss[.fff]]` (a T also separates) read in `timeZone` → ms since the epoch;
 * undefined when the text is not such a time or names an impossible date.
 */
export function parseLocalTime(text: string, timeZone: string): number | undefined {
  const m = LOCAL.exec(text.trim());
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => (x === undefined ? 0 : Number(x))) as number[];
  const ms = Number((m[7] ?? '0').padEnd(3, '0'));
  const wall = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms);
  const check = new Date(wall);
  if (check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d! || h! > 23 || mi! > 59 || s! > 59) return undefined;
  // Candidates: the wall time under the offsets in force a day before and a day after; the
  // earlier one that maps back to the same wall time wins (a repeated hour's first pass).
  const before = zoneOffsetMs(timeZone, wall - 86_400_000);
  const after = zoneOffsetMs(timeZone, wall + 86_400_000);
  const candidates = [wall - before, wall - after].sort((a, b) => a - b);
  for (const c of candidates) if (c + zoneOffsetMs(timeZone, c) === wall) return c;
  // Skipped by a change forward: the offset in force before it.
  return wall - before;
}
