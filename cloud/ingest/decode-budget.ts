/**
 * Decompressed bytes held by requests between decoding and storing, all requests together
 * (ingest.maxDecodeBytesInFlight; issue 19 item 11): a batch's parsed records stay in memory until
 * the store's transaction ends, so many large batches at once could exhaust the relay. A request
 * that would cross the budget is answered 503 (retry later) before it is parsed.
 */
import { IngestBusy } from './errors.ts';

export class DecodeBudget {
  private inFlight = 0;

  constructor(private readonly budget: number) {}

  get bytesInFlight(): number {
    return this.inFlight;
  }

  /** Reserves `bytes` (throws IngestBusy when the budget cannot hold them); returns the release, safe to call twice. */
  reserve(bytes: number): () => void {
    if (this.inFlight + bytes > this.budget) throw new IngestBusy(bytes, this.budget);
    this.inFlight += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= bytes;
    };
  }
}
