import type { RecordKind, StoredRecord } from '../../protocols/records.ts';
import { storedRecordProblem } from '../../protocols/records-check.ts';
import type { RecordProblem } from '../../protocols/records-errors.ts';

/** A buffered record the record check refuses, and why (see quarantine in SyncBuffer). */
export interface Refused {
  readonly record: StoredRecord;
  readonly problem: RecordProblem;
}

/** What the sync needs of the RecordBuffer (agent/buffer/buffer.ts). */
export interface SyncBuffer {
  readAfter(afterSeq: number, limit: number, kind?: RecordKind): StoredRecord[];
  release(seqs: readonly number[]): number;
  /** Moves records out of the queue for good (a table that survives restarts); returns how many moved. */
  quarantine(refused: readonly Refused[]): number;
  /** Records in quarantine since the buffer file was created. */
  quarantined(): number;
  /**
   * The records are about to be sent: the relay may store them even if its answer is lost, so the
   * buffer must not evict them until they are released (eviction counts records that never arrived).
   */
  protect(records: readonly StoredRecord[]): void;
  stats(): { readonly count: number };
  on(event: 'committed', listener: (records: readonly StoredRecord[]) => void): unknown;
  off(event: 'committed', listener: (records: readonly StoredRecord[]) => void): unknown;
}

export interface BatchLimits {
  /** Most records, ≥ 1. */
  readonly records: number;
  /** Most estimated uncompressed bytes; the first record is taken whatever its size. */
  readonly bytes: number;
}

export interface Selection {
  readonly records: StoredRecord[];
  /** Sum of the estimates of `records`, bytes. */
  readonly bytes: number;
  /** Records met on the way that the wire would refuse: not in `records`, to be quarantined. */
  readonly refused: Refused[];
}

/**
 * The next batch: every unreleased alarm first (an alarm raised during an outage reaches the relay
 * before the backlog of readings), then readings, each kind in ascending seq, until a limit is
 * reached. Always reads from seq 0: whatever is still in the buffer is unacknowledged, so a failed
 * batch is naturally retried and nothing acknowledged is ever read again. Every record passes
 * the record check on the way (protocols/records-check.ts, the encoder's): append refuses what it
 * refuses, so only rows of a file older than that check can land in `refused`.
 */
export function selectBatch(buffer: Pick<SyncBuffer, 'readAfter'>, limits: BatchLimits, estimate: (r: StoredRecord) => number): Selection {
  const records: StoredRecord[] = [];
  const refused: Refused[] = [];
  let bytes = 0;
  const take = (candidates: readonly StoredRecord[]): boolean => {
    for (const record of candidates) {
      const problem = storedRecordProblem(record);
      if (problem !== undefined) {
        refused.push({ record, problem });
        continue;
      }
      const size = estimate(record);
      if (records.length > 0 && bytes + size > limits.bytes) return false;
      records.push(record);
      bytes += size;
      if (records.length >= limits.records) return false;
    }
    return true;
  };
  if (take(buffer.readAfter(0, limits.records, 'alarm'))) take(buffer.readAfter(0, limits.records - records.length, 'reading'));
  return { records, bytes, refused };
}

/** Seqs of `records` covered by the ack's inclusive [from, to] ranges, in batch order. */
export function acknowledgedSeqs(records: readonly StoredRecord[], ranges: ReadonlyArray<readonly [number, number]>): number[] {
  const merged = mergeRanges(ranges);
  // Binary search: a batch of scattered seqs may come back as thousands of ranges.
  const covered = (seq: number): boolean => {
    let lo = 0;
    let hi = merged.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [from, to] = merged[mid] ?? [Infinity, -Infinity];
      if (seq < from) hi = mid - 1;
      else if (seq > to) lo = mid + 1;
      else return true;
    }
    return false;
  };
  return records.map((r) => r.seq).filter(covered);
}

function mergeRanges(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const sorted = ranges.filter(([from, to]) => from <= to).sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}
