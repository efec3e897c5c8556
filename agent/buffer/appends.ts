import type { Logger } from 'pino';
import type { BufferError } from './errors.ts';
import type { PendingAppend } from './types.ts';

/** The seqs of `count` records committed from firstSeq on, as append() resolves them. */
export function seqsFrom(firstSeq: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => firstSeq + i);
}

/**
 * Tells every append of one group commit how it ended, in queue order (seqs are handed out in that
 * order); a callback that throws is logged and does not skip the others.
 */
export function settleAppends(batch: readonly PendingAppend[], failure: BufferError | undefined, firstSeq: number, log: Logger): void {
  let seq = firstSeq;
  for (const entry of batch) {
    try {
      entry.done(failure, seq);
    } catch (err) {
      log.error({ err }, 'append callback threw');
    }
    seq += entry.records.length;
  }
}
