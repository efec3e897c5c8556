/**
 * The contract between the agent's sync and the relay's ingest (POST /v1/ingest). Pure shapes;
 * codec in batch.ts, request signing in signature.ts, canonical record encoding in canonical.ts.
 */
import type { StoredRecord } from '../records.ts';

export const INGEST_PATH = '/v1/ingest';

/** A batch of buffered records sent by one gateway in one request. */
export interface SyncBatch {
  readonly gateway: string;
  /** Gateway wall clock when the batch was sent, ms since the epoch. */
  readonly sentAt: number;
  /** Gateway monotonic ms since boot when the batch was sent (with bootId: lets the relay map mono → its own clock). */
  readonly mono: number;
  readonly bootId: string;
  /** Whether the gateway believed its wall clock synchronized when sending. */
  readonly clockSynced: boolean;
  /** Ascending seq within each kind; alarms may come before older readings. */
  readonly records: readonly StoredRecord[];
}

/** The relay's answer to a stored (or already stored) batch: sent only after the commit. */
export interface IngestAck {
  readonly gateway: string;
  /** Records newly stored by this request. */
  readonly stored: number;
  /** Records the relay already held with identical content (a retried batch). */
  readonly duplicates: number;
  /** Every seq of the batch, as inclusive [from, to] ranges: the agent may release exactly these. */
  readonly acknowledged: ReadonlyArray<readonly [number, number]>;
  /** Highest seq the relay holds for this gateway after the commit. */
  readonly highestSeq: number;
  /** Relay wall clock when the batch was committed, ms since the epoch. */
  readonly relayTime: number;
}

/** Why the relay refused a request: stable codes the agent branches on (never the message). */
export const INGEST_REFUSALS = [
  'unauthenticated', // missing/unknown gateway, bad signature
  'forbidden', // a gateway writing as another
  'stale', // timestamp outside the skew window
  'replayed', // nonce already used
  'too_large', // body or record count over the limit
  'malformed', // not a valid batch
  'conflict', // same (gateway, seq) already stored with other content: integrity alarm raised
] as const;
export type IngestRefusal = (typeof INGEST_REFUSALS)[number];

export interface IngestError {
  readonly error: IngestRefusal;
  readonly message: string;
  /** For conflict: the seqs whose content differs. */
  readonly seqs?: readonly number[];
}
