/**
 * Putting a gateway's records on the relay's clock, and the acknowledgement ranges.
 *
 * A Raspberry Pi has no RTC: until NTP answers, its wall clock may be years off, and records taken
 * then carry RECORD_FLAGS.clockUnsynced. Their monotonic time (ms since boot) is still right, and
 * the batch carries the gateway's monotonic time at sending. Within one boot:
 *
 *   tsCorrected = r.mono + (relayNow − batch.mono)
 *
 * i.e. the record happened (batch.mono − r.mono) ms before the batch was sent, and the batch is
 * taken as sent at relayNow. The error is the request's transit time plus queueing (typically
 * well under a second; bounded by the skew window since the timestamp was checked). A record from
 * an earlier boot (r.bootId ≠ batch.bootId) cannot be placed: its mono counts from a boot whose
 * start the relay does not know, so tsCorrected is null and only its flagged `ts` remains.
 * Records not flagged keep tsCorrected null: their `ts` is trusted.
 *
 * The gateway's clock offset (relay − gateway, positive when the gateway is behind) is
 * relayNow − batch.sentAt, with the same transit-time error.
 */
import { RECORD_FLAGS, type StoredRecord } from '../../protocols/records.ts';
import type { SyncBatch } from '../../protocols/sync/types.ts';

export function correctedTime(record: StoredRecord, batch: Pick<SyncBatch, 'mono' | 'bootId'>, relayNow: number): number | null {
  if ((record.flags & RECORD_FLAGS.clockUnsynced) === 0) return null;
  if (record.bootId !== batch.bootId) return null;
  return record.mono + (relayNow - batch.mono);
}

export function clockOffset(batch: Pick<SyncBatch, 'sentAt'>, relayNow: number): number {
  return relayNow - batch.sentAt;
}

/** Seqs (any order, repeats allowed) → sorted inclusive [from, to] ranges of consecutive seqs. */
export function seqRanges(seqs: Iterable<number>): Array<[number, number]> {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last !== undefined && s === last[1] + 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}
