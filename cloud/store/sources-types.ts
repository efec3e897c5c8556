/**
 * The provider sources' store (sources-store.ts, issue 17): a source is a virtual gateway whose
 * records the relay numbers itself, gapless, in the transaction that stores them together with the
 * provider's message ids and the pull's cursor.
 */
import type { NewRecord } from '../../protocols/records.ts';
import type { SourceKind } from '../providers/config.ts';

export interface SourceRow {
  readonly id: string;
  readonly kind: SourceKind;
  /** Its virtual gateway (src-<id>). */
  readonly gateway: string;
  readonly org: string;
  readonly createdAt: number;
  /** The pull's since-last position (provider-specific text); null before the first pull. */
  readonly cursor: string | null;
  readonly lastSuccessAt: number | null;
  readonly lastErrorAt: number | null;
  /** Code and short text of the last failure: never a secret. */
  readonly lastError: string | null;
  /** Failed pulls in a row (0 after a success). */
  readonly failures: number;
  /** When the next pull is due (back-off), null for a webhook. */
  readonly nextTryAt: number | null;
  /** Provider messages stored, and those absorbed as redeliveries. */
  readonly messages: number;
  readonly duplicates: number;
}

export interface SourceProblemRow {
  readonly source: string;
  /** malformed, unknown_device, missing_field, not_a_number, bad_row, bad_time, invalid_record, not_uplink. */
  readonly reason: string;
  readonly count: number;
  readonly lastAt: number;
  /** What the last one was about (a field, a row number, a device id): never a secret. */
  readonly lastDetail: string;
}

/** One provider message (a TTS uplink, a Tago record, an HTTP row) and the records it becomes. */
export interface SourceMessage {
  /** The provider's own id: redelivered, it is stored once. */
  readonly id: string;
  /** Its time, ms. */
  readonly at: number;
  /**
   * Set for ids that may come back legitimately (a TTS frame counter reset): an id already held
   * with a time further than this away is a new message, stored under `<id>@<at>`, ms.
   */
  readonly dedupWindowMs?: number;
  readonly records: readonly Omit<NewRecord, 'priority' | 'flags' | 'mono' | 'bootId'>[];
}

export interface SourceProblem {
  readonly reason: string;
  readonly detail: string;
}

export interface SourceBatch {
  readonly source: string;
  readonly messages: readonly SourceMessage[];
  /** The cursor once this batch is stored; undefined: unchanged. */
  readonly cursor?: string;
  readonly problems: readonly SourceProblem[];
  readonly now: number;
}

export interface SourceIngestResult {
  /** Messages new to the relay, and their records (seqs firstSeq..lastSeq, gapless). */
  readonly messages: number;
  readonly records: number;
  /** Messages already stored (redeliveries). */
  readonly duplicates: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
}

export interface SourcesStore {
  /** The source and its virtual gateway, in one transaction; ATALAYA_SOURCE_EXISTS when either id is taken. */
  addSource(s: { id: string; kind: SourceKind; org: string; gatewaySecretCiphertext: string; now: number }): Promise<void>;
  getSource(id: string): Promise<SourceRow | undefined>;
  listSources(): Promise<SourceRow[]>;
  problems(source?: string): Promise<SourceProblemRow[]>;
  /** Stores new messages' records with the next seqs, their ids, the cursor and the problems: all or nothing. */
  ingest(batch: SourceBatch): Promise<SourceIngestResult>;
  /** Counts problems outside an ingest (a body that is not JSON). */
  countProblems(source: string, problems: readonly SourceProblem[], now: number): Promise<void>;
  /** A pull failed: its error, failures in a row and the next try. */
  pullFailed(source: string, error: string, failures: number, nextTryAt: number, now: number): Promise<void>;
  /** When the next pull is due (after a success). */
  scheduled(source: string, nextTryAt: number): Promise<void>;
}
