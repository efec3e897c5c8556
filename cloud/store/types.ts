/**
 * The records store's interface (records-store.ts), on SQLite (embedded, default) or PostgreSQL
 * (several relay instances on one database). The same test suite runs against both.
 */
import type { StoredRecord } from '../../protocols/records.ts';

export interface GatewayRow {
  readonly id: string;
  /** The gateway's HMAC secret, encrypted with the relay key (cloud/secrets): never stored in clear. */
  readonly secretCiphertext: string;
  readonly createdAt: number;
  readonly lastSeenAt: number | null;
  /** Highest seq stored for the gateway, null before its first batch. */
  readonly highestSeq: number | null;
  /** Relay clock − gateway clock at the last batch, ms (positive: the gateway is behind). */
  readonly clockOffsetMs: number | null;
  /** Records stored for the gateway. */
  readonly records: number;
  /** The organization that owns the gateway and everything it sends (issue 15, migrations-orgs.ts). */
  readonly orgId: string;
}

/** A record as the relay keeps it. */
export interface RelayRecord extends StoredRecord {
  readonly gateway: string;
  /** Relay clock when the record was committed, ms. */
  readonly receivedAt: number;
  /**
   * The record's time on the relay's clock when the gateway's clock was not synchronized
   * (RECORD_FLAGS.clockUnsynced), derived from (bootId, mono); null when `ts` is trusted.
   */
  readonly tsCorrected: number | null;
  /** sha256 of the canonical encoding (protocols/sync/canonical.ts), hex. */
  readonly hash: string;
}

export interface IngestInput {
  readonly gateway: string;
  readonly records: ReadonlyArray<Omit<RelayRecord, 'receivedAt'>>;
  readonly now: number;
  readonly clockOffsetMs: number | null;
}

export type IngestOutcome =
  | { readonly ok: true; readonly stored: number; readonly duplicates: number; readonly highestSeq: number }
  /** Nothing was stored: these seqs exist with other content. An integrity alarm was recorded. */
  | { readonly ok: false; readonly conflicts: readonly number[] };

export interface ReadingsQuery {
  readonly gateway?: string;
  readonly device?: string;
  readonly channel?: string;
  readonly kind?: 'reading' | 'alarm';
  /** Inclusive lower and exclusive upper bound on the record time (tsCorrected when set, else ts), ms. */
  readonly from?: number;
  readonly to?: number;
  /** Opaque cursor from a previous page. */
  readonly cursor?: string;
  /** 1..10 000 */
  readonly limit: number;
  /**
   * Only the records of this organization's gateways (issue 15); absent: every organization (the
   * platform owner). The route answers 404 for a `gateway` of another organization before asking.
   */
  readonly org?: string;
}

export interface IntegrityAlarm {
  readonly id: number;
  readonly gateway: string;
  readonly seq: number;
  readonly existingHash: string;
  readonly offeredHash: string;
  readonly at: number;
}

export interface RelayStore {
  /**
   * The relay database's start and stop (database.ts): start applies pending migrations (each in a
   * transaction; safe when several relays start at once). Only the database's owner calls them.
   */
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Refuses a duplicate id with code ATALAYA_STORE_GATEWAY_EXISTS. `orgId` (default `default`)
   * must name an organization (org-store.ts); the CLI checks it first.
   */
  addGateway(id: string, secretCiphertext: string, now: number, orgId?: string): Promise<void>;
  getGateway(id: string): Promise<GatewayRow | undefined>;
  /** Every gateway, or those of one organization (`org`, through the index gateways_org). */
  listGateways(org?: string): Promise<GatewayRow[]>;
  /**
   * Replay protection: records (gateway, nonce) until `expiresAt` and returns true, or returns
   * false when that nonce was already claimed. Atomic across relay instances. Expired nonces are
   * pruned opportunistically.
   */
  claimNonce(gateway: string, nonce: string, expiresAt: number, now: number): Promise<boolean>;
  /**
   * All or nothing, in one transaction: records new (gateway, seq) keys, counts identical ones as
   * duplicates, and if any key exists with another hash stores nothing, records an integrity
   * alarm per conflicting seq, and returns the conflicts. Updates the gateway's last seen,
   * highest seq and clock offset.
   */
  ingest(input: IngestInput): Promise<IngestOutcome>;
  queryRecords(query: ReadingsQuery): Promise<{ items: RelayRecord[]; next: string | null }>;
  /** Newest first; `org`: only those of that organization's gateways. */
  integrityAlarms(limit: number, org?: string): Promise<IntegrityAlarm[]>;
}
