/**
 * How a record's narrow columns are stored, on both backends (issue 18 §3, migration
 * records v2): `kind` and `quality` as small integer codes, `hash` as the 32 raw bytes of the
 * SHA-256 instead of its 64 hex digits. The API never sees a code or a byte: rows.ts decodes them
 * back to RelayRecord's strings.
 *
 * The code tables are stored data: a code, once written, means its name forever. Append new names
 * at the end; never reorder, reuse or remove one (a relay database keeps rows of every version).
 */
import { QUALITIES, type Quality, RECORD_KINDS, type RecordKind } from '../../protocols/records.ts';
import type { Dialect } from './sql-executor.ts';

/** `records.kind`: index in this table. 0 reading, 1 alarm. */
export const KIND_CODES: readonly RecordKind[] = ['reading', 'alarm'];

/** `records.quality`: index in this table. 0 good, 1 comm_error, 2 exception, 3 out_of_range, 4 sensor_fault. */
export const QUALITY_CODES: readonly Quality[] = ['good', 'comm_error', 'exception', 'out_of_range', 'sensor_fault'];

const KIND_OF = new Map<string, number>(KIND_CODES.map((k, i) => [k, i]));
const QUALITY_OF = new Map<string, number>(QUALITY_CODES.map((q, i) => [q, i]));

// Every name of protocols/records.ts has its code (a new one must be appended above, not guessed).
for (const k of RECORD_KINDS) if (!KIND_OF.has(k)) throw new Error(`records-codec: kind ${k} has no code`);
for (const q of QUALITIES) if (!QUALITY_OF.has(q)) throw new Error(`records-codec: quality ${q} has no code`);

/** The code of a kind; -1 for a name not in the table (sortedBatch refuses such a batch first). */
export function kindCode(kind: string): number {
  return KIND_OF.get(kind) ?? -1;
}

export function qualityCode(quality: string): number {
  return QUALITY_OF.get(quality) ?? -1;
}

/**
 * A stored kind back to its name. Accepts the name too: a column read before its table was
 * migrated (or a literal in a hand-written query) still decodes.
 */
export function kindName(stored: number | string): RecordKind {
  return (typeof stored === 'number' ? KIND_CODES[stored] : stored) as RecordKind;
}

export function qualityName(stored: number | string): Quality {
  return (typeof stored === 'number' ? QUALITY_CODES[stored] : stored) as Quality;
}

/**
 * Whether a backend's `records.kind` holds the codes yet (records v2: migrations-records-v2.ts). A
 * backend still on text keeps the name.
 */
const KIND_CODED: Readonly<Record<Dialect, boolean>> = { sqlite: true, postgres: true };

/**
 * A kind as an SQL literal for a WHERE clause: a literal, not a parameter, because SQLite uses a
 * partial index (`WHERE kind = 1`) only when the query names its condition literally.
 */
export function kindLiteral(kind: RecordKind, dialect: Dialect): string {
  return KIND_CODED[dialect] ? String(kindCode(kind)) : `'${kind}'`;
}

/**
 * Whether `s` is what a record hash is on the API: SHA-256 as 64 lowercase hex digits (cloud/ingest
 * recordHash). A loop over the char codes, not a regular expression: it runs per record, and the
 * expression cost 3 % of the relay's thread in the ingest bench (issue 18).
 */
export function isHashHex(s: string): boolean {
  if (s.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i);
    if ((c < 48 || c > 57) && (c < 97 || c > 102)) return false;
  }
  return true;
}

/** 64 hex digits → the 32 bytes stored (callers check isHashHex first: rows.ts sortedBatch). */
export function hashBytes(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

/** A stored hash (bytes; hex text on a table not yet migrated) → 64 lowercase hex digits. */
export function hashHex(stored: Uint8Array | string): string {
  if (typeof stored === 'string') return stored;
  return Buffer.isBuffer(stored) ? stored.toString('hex') : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString('hex');
}
