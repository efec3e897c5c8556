import type { RecordKind, StoredRecord } from '../../protocols/records.ts';

/** What the sync needs of the RecordBuffer (agent/buffer/buffer.ts). */
export interface SyncBuffer {
  readAfter(afterSeq: number, limit: number, kind?: RecordKind): StoredRecord[];
  release(seqs: readonly number[]): number;
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
}

/**
 * The next batch: every unreleased alarm first (an alarm raised during an outage reaches the relay
 * before the backlog of readings), then readings, each kind in ascending seq, until a limit is
 * reached. Always reads from seq 0: whatever is still in the buffer is unacknowledged, so a failed
 * batch is naturally retried and nothing acknowledged is ever read again. `skip`: seqs the wire
 * format cannot carry (see encode.ts), left in the buffer but not sent.
 */
export function selectBatch(
  buffer: Pick<SyncBuffer, 'readAfter'>,
  limits: BatchLimits,
  estimate: (r: StoredRecord) => number,
  skip: ReadonlySet<number> = new Set(),
): Selection {
  const records: StoredRecord[] = [];
  let bytes = 0;
  // Skipped seqs are still in the buffer: read that many more so they cannot starve a batch.
  const extra = skip.size;
  const take = (candidates: readonly StoredRecord[]): boolean => {
    for (const record of candidates) {
      if (skip.has(record.seq)) continue;
      const size = estimate(record);
      if (records.length > 0 && bytes + size > limits.bytes) return false;
      records.push(record);
      bytes += size;
      if (records.length >= limits.records) return false;
    }
    return true;
  };
  if (take(buffer.readAfter(0, limits.records + extra, 'alarm'))) take(buffer.readAfter(0, limits.records - records.length + extra, 'reading'));
  return { records, bytes };
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
