/** Calendar days in an IANA timezone, for "anchor this date now" (the predecessor's manual mode). */

/** Offset of `zone` from UTC at instant `ms`, in ms (positive east of Greenwich). */
function offsetAt(ms: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The first instant of `y-m-d` in `zone`: local midnight, or where a DST gap skipping midnight
 * ends (Chile moves its clocks at 24:00, so its spring-forward day starts at 01:00).
 */
function localMidnight(y: number, m: number, d: number, zone: string): number {
  const guess = Date.UTC(y, m - 1, d);
  let t = guess - offsetAt(guess, zone);
  t = guess - offsetAt(t, zone);
  const local = t + offsetAt(t, zone);
  // Still on the day before: midnight fell in the gap; the day begins when local time reaches it.
  if (local < guess) t += guess - local;
  return t;
}

/** [start, end) in ms of the calendar day `YYYY-MM-DD` in `zone`; undefined for a malformed date. */
export function dayRange(date: string, zone: string): { start: number; end: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  const next = new Date(Date.UTC(y, mo - 1, d + 1));
  return { start: localMidnight(y, mo, d, zone), end: localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), zone) };
}
