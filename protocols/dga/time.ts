/**
 * DGA time: every date and hour DGA sees is on a fixed UTC-4 clock, all year (Res. Ex. DGA 2.170/2025
 * §2, citing D.S. 53/2020 and Res. DGA 1.238/2019). Not America/Santiago, which is UTC-3 in summer:
 * with a fixed offset the hours never repeat or skip when Chile changes its clocks.
 */
import { argumentError, timeError } from './errors.ts';

const SECOND_MS = 1000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Offset of the DGA clock from UTC. */
export const DGA_UTC_OFFSET_MS = -4 * HOUR_MS;
/** 10000-01-01T00:00Z: beyond it a year no longer has 4 digits. */
const MAX_EPOCH_MS = 253_402_300_800_000;

export interface DgaDateTime {
  /** `YYYY-MM-DD`: REST `fechaMedicion`. */
  readonly date: string;
  /** `HH:MM:SS`, 24 h: `horaMedicion` (REST and SOAP). */
  readonly hour: string;
  /** `DD-MM-YYYY`: SOAP `fechaMedicion`, and the date of REST GET answers. */
  readonly dateDMY: string;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The UTC-4 wall clock as a Date whose UTC fields are that clock. Sub-second parts are dropped. */
function dgaClock(epochMs: number, field: string): Date {
  if (typeof epochMs !== 'number' || !Number.isFinite(epochMs) || epochMs < 0 || epochMs >= MAX_EPOCH_MS) {
    throw timeError(field, 'expected ms since the epoch between 1970 and 9999', epochMs);
  }
  return new Date(Math.floor(epochMs / SECOND_MS) * SECOND_MS + DGA_UTC_OFFSET_MS);
}

export function toDgaDateTime(epochMs: number): DgaDateTime {
  const d = dgaClock(epochMs, 'time');
  const y = pad(d.getUTCFullYear(), 4);
  const mo = pad(d.getUTCMonth() + 1);
  const day = pad(d.getUTCDate());
  return {
    date: `${y}-${mo}-${day}`,
    hour: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
    dateDMY: `${day}-${mo}-${y}`,
  };
}

/**
 * REST header `timeStampOrigen`, the send time. The manual prints the format `yyyy-MM-ddTHH:mm:ss-0000`
 * (Manual Técnico N°1/2025 §4, every POST): we send that literal `-0000` suffix after the UTC-4 clock,
 * as the manual shows, although the digits are not UTC. Public clients send several variants and the
 * server appears lenient; following the manual to the letter is the defensible choice.
 */
export function timeStampOrigen(epochMs: number): string {
  const t = toDgaDateTime(epochMs);
  return `${t.date}T${t.hour}-0000`;
}

/**
 * SOAP header `timeStampOrigen` is an `xsd:dateTime`, where `-0000` is not a valid offset: the
 * legacy schema rejects it. The same UTC-4 clock with its true offset, `yyyy-MM-ddTHH:mm:ss-04:00`.
 */
export function soapTimeStamp(epochMs: number): string {
  const t = toDgaDateTime(epochMs);
  return `${t.date}T${t.hour}-04:00`;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DMY_DATE = /^(\d{2})-(\d{2})-(\d{4})$/;
const HOUR = /^(\d{2}):(\d{2}):(\d{2})$/;

/**
 * `YYYY-MM-DD` or `DD-MM-YYYY` (GET answers and SOAP use the latter) to `YYYY-MM-DD`; null when it is
 * neither or not a calendar date.
 */
export function normalizeDgaDate(text: string): string | null {
  const iso = ISO_DATE.exec(text);
  const dmy = iso ? null : DMY_DATE.exec(text);
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : dmy ? [dmy[3], dmy[2], dmy[1]] : [];
  if (y === undefined || m === undefined || d === undefined) return null;
  const probe = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (probe.getUTCFullYear() !== Number(y) || probe.getUTCMonth() !== Number(m) - 1 || probe.getUTCDate() !== Number(d)) return null;
  return `${y}-${m}-${d}`;
}

/** The inverse of toDgaDateTime: a DGA date (either form) and `HH:MM:SS` on the UTC-4 clock to epoch ms; null when malformed. */
export function fromDgaDateTime(date: string, hour: string): number | null {
  const iso = normalizeDgaDate(date);
  const h = HOUR.exec(hour);
  if (iso === null || h === null) return null;
  const [hh, mm, ss] = [Number(h[1]), Number(h[2]), Number(h[3])];
  if (hh > 23 || mm > 59 || ss > 59) return null;
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d, hh, mm, ss) - DGA_UTC_OFFSET_MS;
}

/**
 * Reporting standards of Res. DGA 1.238/2019, a per-obra setting. Each defines a grid of instants on
 * the UTC-4 clock at which a measurement is due (a "slot"):
 * - `mayor`: every hour at HH:00:00 (online). Well supported.
 * - `medio`: every day at 00:00:00; the measurement at 00:00 of day D+1 closes day D.
 * - `menor`: every month, on the 1st at 00:00:00; it closes the previous month.
 * - `muy-pequenos` ("caudales muy pequeños"): twice a year, 1 January and 1 July at 00:00:00, each
 *   closing the previous half-year. The exact dates are our reading of "twice a year" (a guess).
 * Confidence beyond `mayor` is medium-low (docs/dga.md#reporting-standards-and-slots).
 */
export const STANDARDS = ['mayor', 'medio', 'menor', 'muy-pequenos'] as const;
export type Standard = (typeof STANDARDS)[number];

/** Months per slot of the calendar standards. */
function monthsPerSlot(standard: Standard): number | null {
  switch (standard) {
    case 'mayor':
    case 'medio':
      return null;
    case 'menor':
      return 1;
    case 'muy-pequenos':
      return 6;
    default:
      throw argumentError('standard', `expected one of ${STANDARDS.join(', ')}`);
  }
}

/** The slot containing `epochMs`: the start of its UTC-4 hour (mayor), day (medio), month (menor) or half-year (muy-pequenos). */
export function slotStart(epochMs: number, standard: Standard): number {
  const months = monthsPerSlot(standard);
  const clock = dgaClock(epochMs, 'time').getTime();
  if (months === null) {
    const period = standard === 'mayor' ? HOUR_MS : DAY_MS;
    return clock - (((clock % period) + period) % period) - DGA_UTC_OFFSET_MS;
  }
  const d = new Date(clock);
  const month = d.getUTCMonth() - (d.getUTCMonth() % months);
  return Date.UTC(d.getUTCFullYear(), month, 1) - DGA_UTC_OFFSET_MS;
}

/** The first slot strictly after `epochMs`. */
export function nextSlot(epochMs: number, standard: Standard): number {
  const start = slotStart(epochMs, standard);
  const months = monthsPerSlot(standard);
  if (months === null) return start + (standard === 'mayor' ? HOUR_MS : DAY_MS);
  const d = new Date(start + DGA_UTC_OFFSET_MS);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1) - DGA_UTC_OFFSET_MS;
}

/**
 * The slots due in `[fromMs, toMs]` (both ends included), oldest first, at most `limit` of them
 * (default: all). A caller that keeps the last slot it handled asks for `(last + 1, now)`.
 */
export function slotsBetween(fromMs: number, toMs: number, standard: Standard, limit = Number.POSITIVE_INFINITY): number[] {
  dgaClock(toMs, 'toMs');
  let slot = slotStart(fromMs, standard);
  if (slot < fromMs) slot = nextSlot(slot, standard);
  const out: number[] = [];
  while (slot <= toMs && out.length < limit) {
    out.push(slot);
    slot = nextSlot(slot, standard);
  }
  return out;
}
