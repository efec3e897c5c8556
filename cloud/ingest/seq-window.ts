/**
 * The seq window (ingest.maxSeqJump; issue 19 item 11): a batch may not carry a seq more than
 * maxSeqJump above the gateway's highest stored seq (0 for a gateway with nothing stored). A
 * gateway's seq grows by one per record, so a real jump is the records it evicted or lost while
 * offline; without the window one signed batch with seq 2^53 − 1 spent the gateway's whole seq
 * space and set its highestSeq for good.
 *
 * The highest seq is remembered per gateway from each stored batch, read from the store once
 * after a start; a batch beyond the window reads it again before refusing, since another relay on
 * the same PostgreSQL database may have stored newer batches.
 */
import type { SyncBatch } from '../../protocols/sync/types.ts';
import type { RelayStore } from '../store/types.ts';
import { INGEST_SEQ_OUT_OF_WINDOW, refuse } from './errors.ts';

export class SeqWindow {
  private readonly highest = new Map<string, number>();

  constructor(
    private readonly store: Pick<RelayStore, 'getGateway'>,
    private readonly maxSeqJump: number,
  ) {}

  /** Refuses (malformed, ATALAYA_INGEST_SEQ_OUT_OF_WINDOW) a batch with a seq beyond the window. */
  async check(gateway: string, batch: SyncBatch): Promise<void> {
    let top = -1;
    for (const r of batch.records) if (r.seq > top) top = r.seq;
    // Within the window of a gateway with nothing stored: no lookup needed.
    if (top <= this.maxSeqJump) return;
    const cached = this.highest.get(gateway);
    if (cached !== undefined && top <= cached + this.maxSeqJump) return;
    const base = await this.read(gateway);
    if (top <= base + this.maxSeqJump) return;
    throw refuse('malformed', `malformed sync batch: seq ${top} is more than ${this.maxSeqJump} (ingest.maxSeqJump) above the highest stored seq ${base}`, {
      gateway,
      code: INGEST_SEQ_OUT_OF_WINDOW,
    });
  }

  /** After a batch was stored: the gateway's highest seq as the store reported it. */
  stored(gateway: string, highestSeq: number): void {
    this.highest.set(gateway, Math.max(highestSeq, this.highest.get(gateway) ?? highestSeq));
  }

  private async read(gateway: string): Promise<number> {
    const row = await this.store.getGateway(gateway);
    const base = row?.highestSeq ?? 0;
    this.stored(gateway, base);
    return base;
  }
}
