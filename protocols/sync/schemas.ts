/**
 * zod schemas of what crosses POST /v1/ingest: the batch fields (checked by encodeBatch before
 * sending and by decodeBatch after parsing), and the relay's JSON answers, parsed on the agent
 * side. Records are checked by protocols/records-check.ts, not by storedRecordSchema: the schema
 * states the same rules for documentation and JSON Schema (the anchoring proof document), and
 * test/unit/records-check.test.ts holds the two to the same verdicts.
 */
import { z } from 'zod';
import type { StoredRecord } from '../records.ts';
import { ALARM_LEVELS, ALARM_STATES, QUALITIES, RECORD_KINDS } from '../records.ts';
import { MAX_BOOT_ID_LENGTH, MAX_EXCEPTION_CODE, MAX_NAME_LENGTH, MAX_UNIT_LENGTH } from '../records-check.ts';
import type { IngestAck, IngestError, SyncBatch } from './types.ts';
import { INGEST_REFUSALS } from './types.ts';

export { MAX_BOOT_ID_LENGTH, MAX_EXCEPTION_CODE, MAX_NAME_LENGTH, MAX_UNIT_LENGTH };
export const MAX_GATEWAY_LENGTH = 128;

const name = z.string().min(1).max(MAX_NAME_LENGTH);
/** seq, ms since the epoch, ms since boot, flags: integers JS holds exactly. */
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** zod 4's number() already refuses NaN and ±Infinity. */
const double = z.number();

export const alarmDetailSchema = z.strictObject({
  rule: name,
  level: z.enum(ALARM_LEVELS),
  state: z.enum(ALARM_STATES),
  threshold: double.nullable(),
});

export const storedRecordSchema = z
  .strictObject({
    seq: count,
    kind: z.enum(RECORD_KINDS),
    device: name,
    channel: name,
    value: double.nullable(),
    unit: z.string().max(MAX_UNIT_LENGTH),
    quality: z.enum(QUALITIES),
    exception: z.number().int().min(0).max(MAX_EXCEPTION_CODE).nullable(),
    ts: count,
    mono: count,
    bootId: z.string().min(1).max(MAX_BOOT_ID_LENGTH),
    priority: z.literal([0, 1, 2]),
    flags: count,
    alarm: alarmDetailSchema.optional(),
  })
  // Alarm records written before buffer schema 2 carry no detail; a reading never does.
  .refine((r) => r.kind === 'alarm' || r.alarm === undefined, { path: ['alarm'], message: 'a reading carries no alarm detail' });

export const syncBatchSchema = z
  .strictObject({
    gateway: z.string().min(1).max(MAX_GATEWAY_LENGTH),
    sentAt: count,
    mono: count,
    bootId: z.string().min(1).max(MAX_BOOT_ID_LENGTH),
    clockSynced: z.boolean(),
    records: z.array(storedRecordSchema),
  })
  .superRefine((batch, ctx) => {
    // types.ts: ascending seq within each kind; seq is gateway-wide, so also unique across kinds.
    const last = new Map<string, number>();
    const seen = new Set<number>();
    batch.records.forEach((r, i) => {
      const previous = last.get(r.kind);
      if (seen.has(r.seq)) ctx.addIssue({ code: 'custom', path: ['records', i, 'seq'], message: `seq ${r.seq} appears twice` });
      else if (previous !== undefined && r.seq <= previous) {
        ctx.addIssue({ code: 'custom', path: ['records', i, 'seq'], message: `not above the previous ${r.kind}'s seq ${previous}` });
      }
      last.set(r.kind, r.seq);
      seen.add(r.seq);
    });
  });

/** Forward compatible: fields a newer relay adds are dropped, not refused. */
export const ingestAckSchema = z.object({
  gateway: z.string().min(1),
  stored: count,
  duplicates: count,
  acknowledged: z.array(z.tuple([count, count]).refine(([from, to]) => from <= to, 'range ends before it starts')),
  highestSeq: count,
  relayTime: count,
});

export const ingestErrorSchema = z.object({
  error: z.enum(INGEST_REFUSALS),
  message: z.string(),
  seqs: z.array(count).optional(),
});

/** "records[17].quality: Invalid option: expected one of …" from a zod error's first issue. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  let path = '';
  for (const key of issue.path) path += typeof key === 'number' ? `[${key}]` : `${path === '' ? '' : '.'}${String(key)}`;
  return `${path === '' ? '(root)' : path}: ${issue.message}`;
}

// The schemas' outputs stay assignable to the contract in types.ts and records.ts.
type Assignable<T, _U extends T> = true;
// biome-ignore lint/correctness/noUnusedVariables: a compile-time check, never referenced: tsc fails here if the two drift apart
type SchemaChecks = [
  Assignable<StoredRecord, z.output<typeof storedRecordSchema>>,
  Assignable<SyncBatch, z.output<typeof syncBatchSchema>>,
  Assignable<IngestAck, z.output<typeof ingestAckSchema>>,
  Assignable<IngestError, z.output<typeof ingestErrorSchema>>,
];
