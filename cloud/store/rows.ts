/**
 * Row codec shared by both backends: the records and gateways tables have the same columns in
 * SQLite and PostgreSQL (migrations-*.ts), and both drivers hand rows back as plain objects with
 * numbers (postgres.ts parses int8 to number). Records' kind, quality and hash are stored narrow
 * (records-codec.ts); decodeRecord gives them back as the API's strings.
 */
import type { AlarmDetail, Priority } from '../../protocols/records.ts';
import { invalidBatch } from './errors.ts';
import { hashHex, isHashHex, kindCode, kindName, qualityCode, qualityName } from './records-codec.ts';
import type { GatewayRow, IngestInput, IntegrityAlarm, RelayRecord } from './types.ts';

/** Stored columns in the order inserts bind them and selects return them. */
export const RECORD_COLUMNS =
  'gateway, seq, kind, device, channel, value, unit, quality, exception, ts, ts_corrected, mono, boot_id, priority, flags, alarm, received_at, hash';

export const GATEWAY_COLUMNS = 'id, secret_ciphertext, created_at, last_seen_at, highest_seq, clock_offset_ms, record_count, org_id';

export interface RecordRow {
  gateway: string;
  seq: number;
  /** records-codec.ts KIND_CODES (the name on a table not yet migrated). */
  kind: number | string;
  device: string;
  channel: string;
  value: number | null;
  unit: string;
  /** records-codec.ts QUALITY_CODES (the name on a table not yet migrated). */
  quality: number | string;
  exception: number | null;
  ts: number;
  ts_corrected: number | null;
  mono: number;
  boot_id: string;
  priority: number;
  flags: number;
  alarm: string | null;
  received_at: number;
  /** 32 bytes (hex text on a table not yet migrated). */
  hash: Uint8Array | string;
}

export interface GatewayDbRow {
  id: string;
  secret_ciphertext: string;
  created_at: number;
  last_seen_at: number | null;
  highest_seq: number | null;
  clock_offset_ms: number | null;
  record_count: number;
  org_id: string;
}

export type IngestRecord = IngestInput['records'][number];

/** Alarm detail as JSON text `{rule, level, state, threshold}`; NULL on readings. */
export function encodeAlarm(alarm: AlarmDetail | undefined): string | null {
  if (alarm === undefined) return null;
  return JSON.stringify({ rule: alarm.rule, level: alarm.level, state: alarm.state, threshold: alarm.threshold });
}

export function decodeRecord(row: RecordRow): RelayRecord {
  const record = {
    gateway: row.gateway,
    seq: row.seq,
    kind: kindName(row.kind),
    device: row.device,
    channel: row.channel,
    value: row.value,
    unit: row.unit,
    quality: qualityName(row.quality),
    exception: row.exception,
    ts: row.ts,
    tsCorrected: row.ts_corrected,
    mono: row.mono,
    bootId: row.boot_id,
    priority: row.priority as Priority,
    flags: row.flags,
    receivedAt: row.received_at,
    hash: hashHex(row.hash),
  };
  return row.alarm === null ? record : { ...record, alarm: JSON.parse(row.alarm) as AlarmDetail };
}

export function decodeGateway(row: GatewayDbRow): GatewayRow {
  return {
    id: row.id,
    secretCiphertext: row.secret_ciphertext,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    highestSeq: row.highest_seq,
    clockOffsetMs: row.clock_offset_ms,
    records: row.record_count,
    orgId: row.org_id,
  };
}

/**
 * The batch in ascending seq. Sorted so that concurrent ingests of overlapping batches take their
 * key locks in the same order (PostgreSQL would otherwise be able to deadlock two relays); a seq
 * twice in one batch or a record naming another gateway is refused rather than guessed at.
 */
export function sortedBatch(input: IngestInput): IngestRecord[] {
  const records = input.records.slice().sort((a, b) => a.seq - b.seq);
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as IngestRecord;
    if (!Number.isSafeInteger(record.seq) || record.seq < 0) throw invalidBatch(input.gateway, 'seq must be a non-negative integer', record.seq);
    if (!integers(record)) throw invalidBatch(input.gateway, 'ts, tsCorrected, mono, priority, flags and exception must be integers', record.seq);
    if (kindCode(record.kind) < 0 || qualityCode(record.quality) < 0) throw invalidBatch(input.gateway, 'unknown kind or quality', record.seq);
    if (typeof record.hash !== 'string' || !isHashHex(record.hash)) throw invalidBatch(input.gateway, 'hash must be 64 lowercase hex digits', record.seq);
    if (record.gateway !== input.gateway) throw invalidBatch(input.gateway, `record of gateway ${record.gateway}`, record.seq);
    if (i > 0 && records[i - 1]?.seq === record.seq) throw invalidBatch(input.gateway, 'seq repeated in the batch', record.seq);
  }
  return records;
}

/** The columns both schemas keep as integers; PostgreSQL would refuse a fraction, SQLite keep it. */
function integers(r: IngestRecord): boolean {
  return (
    Number.isSafeInteger(r.ts) &&
    Number.isSafeInteger(r.mono) &&
    (r.tsCorrected === null || Number.isSafeInteger(r.tsCorrected)) &&
    Number.isSafeInteger(r.priority) &&
    Number.isSafeInteger(r.flags) &&
    (r.exception === null || Number.isSafeInteger(r.exception))
  );
}

/** Clock offsets are whole ms in both schemas (BIGINT). */
export function offsetMs(input: IngestInput): number | null {
  return input.clockOffsetMs === null ? null : Math.round(input.clockOffsetMs);
}

/** Expired nonces are deleted at most this often per store instance, ms of the caller's clock. */
export const NONCE_PRUNE_INTERVAL_MS = 60_000;

export interface Conflict {
  readonly seq: number;
  readonly existingHash: string;
  readonly offeredHash: string;
}

export interface IntegrityAlarmRow {
  id: number;
  gateway: string;
  seq: number;
  existing_hash: string;
  offered_hash: string;
  at: number;
}

export function decodeIntegrityAlarm(row: IntegrityAlarmRow): IntegrityAlarm {
  return { id: row.id, gateway: row.gateway, seq: row.seq, existingHash: row.existing_hash, offeredHash: row.offered_hash, at: row.at };
}
