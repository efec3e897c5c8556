import type { Database, Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { GatewayRow, IngestInput, IngestOutcome, IntegrityAlarm, ReadingsQuery, RelayRecord, RelayStore } from './types.ts';
import { recordQuerySql, toPage } from './cursor.ts';
import { gatewayExists, invalidQuery, storeClosed, unavailable, unknownGateway } from './errors.ts';
import { openRelaySqlite } from './migrations-sqlite.ts';
import { GATEWAY_COLUMNS, NONCE_PRUNE_INTERVAL_MS, RECORD_COLUMNS, decodeGateway, decodeIntegrityAlarm, decodeRecord, encodeAlarm, offsetMs, sortedBatch } from './rows.ts';
import type { Conflict, GatewayDbRow, IngestRecord, IntegrityAlarmRow, RecordRow } from './rows.ts';

export interface SqliteStoreOptions {
  readonly path: string;
  readonly logger: Logger;
  /**
   * `full` (default): a batch acknowledged to a gateway survives a power cut, which matters because
   * the gateway deletes what the relay acknowledged. `normal` is faster but may lose the last
   * commits on power loss (never corrupts in WAL mode): docs/storage.md#wal-and-synchronous.
   */
  readonly synchronous?: 'full' | 'normal';
}

/** How long a writer waits for another connection's transaction before failing, ms. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Every statement but the record queries (cursor.ts builds those per filter shape). Those that run
 * per record or per request are checked with EXPLAIN QUERY PLAN in test/unit/store-sqlite-plan.test.ts.
 */
export const SQLITE_SQL = {
  insertGateway: 'INSERT INTO gateways (id, secret_ciphertext, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
  getGateway: `SELECT ${GATEWAY_COLUMNS} FROM gateways WHERE id = ?`,
  listGateways: `SELECT ${GATEWAY_COLUMNS} FROM gateways ORDER BY id`,
  hasGateway: 'SELECT 1 FROM gateways WHERE id = ?',
  insertRecord: `INSERT INTO records (${RECORD_COLUMNS}) VALUES (${RECORD_COLUMNS.split(',').map(() => '?').join(', ')}) ON CONFLICT (gateway, seq) DO NOTHING`,
  recordHash: 'SELECT hash FROM records WHERE gateway = ? AND seq = ?',
  // Multi-argument max() is NULL when an argument is: the coalesce keeps whichever side is known.
  updateGateway: `UPDATE gateways SET
      last_seen_at = coalesce(max(last_seen_at, @now), @now),
      highest_seq = coalesce(max(highest_seq, @maxSeq), highest_seq, @maxSeq),
      clock_offset_ms = @offset,
      record_count = record_count + @stored
    WHERE id = @id RETURNING highest_seq`,
  // Claims a new nonce, or takes over an expired one that was not pruned yet.
  claimNonce: `INSERT INTO nonces (gateway, nonce, expires_at) VALUES (@gateway, @nonce, @expiresAt)
    ON CONFLICT (gateway, nonce) DO UPDATE SET expires_at = excluded.expires_at WHERE nonces.expires_at <= @now`,
  pruneNonces: 'DELETE FROM nonces WHERE expires_at <= ?',
  insertIntegrityAlarm: 'INSERT INTO integrity_alarms (gateway, seq, existing_hash, offered_hash, at) VALUES (?, ?, ?, ?, ?)',
  listIntegrityAlarms: 'SELECT id, gateway, seq, existing_hash, offered_hash, at FROM integrity_alarms ORDER BY id DESC LIMIT ?',
} as const;

/** Statements that return a single column. */
const PLUCKED: ReadonlySet<string> = new Set(['hasGateway', 'recordHash', 'updateGateway']);

type Prepared = { [K in keyof typeof SQLITE_SQL]: Statement };

/** Thrown inside the batch savepoint to roll it back; never escapes ingest. */
class ConflictSignal {
  constructor(readonly conflicts: Conflict[]) {}
}

/**
 * The embedded relay store: one file, WAL, statements prepared once. better-sqlite3 is synchronous,
 * so each call runs to completion on the event loop (a 10 000-record batch takes tens of ms); the
 * async interface is what lets postgres.ts stand in for it.
 */
export class SqliteStore implements RelayStore {
  private readonly options: SqliteStoreOptions;
  private readonly log: Logger;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private db: Database | undefined;
  private statements: Prepared | undefined;
  private readonly queries = new Map<string, Statement>();
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(options: SqliteStoreOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'store', backend: 'sqlite' });
  }

  start(): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    if (this.state === 'stopped') return Promise.reject(storeClosed('start (create a new store)'));
    let db: Database | undefined;
    try {
      const opened = openRelaySqlite(this.options.path, { synchronous: this.options.synchronous, busyTimeoutMs: BUSY_TIMEOUT_MS, logger: this.log });
      db = opened.db;
      const { from, to } = opened;
      const open = db;
      const prepare = (name: string, sql: string): Statement => (PLUCKED.has(name) ? open.prepare(sql).pluck() : open.prepare(sql));
      this.statements = Object.fromEntries(Object.entries(SQLITE_SQL).map(([name, sql]) => [name, prepare(name, sql)])) as Prepared;
      this.db = db;
      this.state = 'running';
      this.log.info({ path: this.options.path, from, to, synchronous: this.options.synchronous ?? 'full' }, 'relay store started');
      return Promise.resolve();
    } catch (err) {
      db?.close();
      return Promise.reject(unavailable('start', err));
    }
  }

  stop(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve();
    this.state = 'stopped';
    this.queries.clear();
    this.statements = undefined;
    try {
      this.db?.close();
    } catch (err) {
      this.log.error({ err }, 'closing the relay store failed');
    }
    this.db = undefined;
    return Promise.resolve();
  }

  addGateway(id: string, secretCiphertext: string, now: number): Promise<void> {
    return this.run('addGateway', (s) => {
      if (s.insertGateway.run(id, secretCiphertext, now).changes === 0) throw gatewayExists(id);
    });
  }

  getGateway(id: string): Promise<GatewayRow | undefined> {
    return this.run('getGateway', (s) => {
      const row = s.getGateway.get(id) as GatewayDbRow | undefined;
      return row === undefined ? undefined : decodeGateway(row);
    });
  }

  listGateways(): Promise<GatewayRow[]> {
    return this.run('listGateways', (s) => (s.listGateways.all() as GatewayDbRow[]).map(decodeGateway));
  }

  claimNonce(gateway: string, nonce: string, expiresAt: number, now: number): Promise<boolean> {
    return this.run('claimNonce', (s) => {
      if (now - this.lastPrune >= NONCE_PRUNE_INTERVAL_MS) {
        s.pruneNonces.run(now);
        this.lastPrune = now;
      }
      return s.claimNonce.run({ gateway, nonce, expiresAt, now }).changes === 1;
    });
  }

  ingest(input: IngestInput): Promise<IngestOutcome> {
    return this.run('ingest', (s, db) => {
      const batch = sortedBatch(input);
      const attempt = db.transaction(() => this.insertBatch(s, input, batch));
      const ingest = db.transaction((): IngestOutcome => {
        if (s.hasGateway.get(input.gateway) === undefined) throw unknownGateway(input.gateway);
        try {
          // Nested better-sqlite3 transaction = SAVEPOINT: a conflict rolls back the batch alone,
          // and the integrity alarms commit in the same transaction.
          return attempt();
        } catch (err) {
          if (!(err instanceof ConflictSignal)) throw err;
          for (const c of err.conflicts) s.insertIntegrityAlarm.run(input.gateway, c.seq, c.existingHash, c.offeredHash, input.now);
          this.log.warn({ gateway: input.gateway, conflicts: err.conflicts.length, firstSeq: err.conflicts[0]?.seq }, 'integrity alarm: seq stored with other content');
          return { ok: false, conflicts: err.conflicts.map((c) => c.seq) };
        }
      });
      return ingest.immediate();
    });
  }

  queryRecords(query: ReadingsQuery): Promise<{ items: RelayRecord[]; next: string | null }> {
    return this.run('queryRecords', (_s, db) => {
      const { shape, sql, params } = recordQuerySql(query, () => '?');
      let statement = this.queries.get(shape);
      if (statement === undefined) {
        statement = db.prepare(sql);
        this.queries.set(shape, statement);
      }
      return toPage((statement.all(...params) as RecordRow[]).map(decodeRecord), query.limit);
    });
  }

  integrityAlarms(limit: number): Promise<IntegrityAlarm[]> {
    return this.run('integrityAlarms', (s) => {
      if (!Number.isSafeInteger(limit) || limit < 1) throw invalidQuery('limit must be a positive integer');
      return (s.listIntegrityAlarms.all(limit) as IntegrityAlarmRow[]).map(decodeIntegrityAlarm);
    });
  }

  private insertBatch(s: Prepared, input: IngestInput, batch: readonly IngestRecord[]): IngestOutcome {
    const conflicts: Conflict[] = [];
    let stored = 0;
    for (const r of batch) {
      const inserted = s.insertRecord.run(
        input.gateway, r.seq, r.kind, r.device, r.channel, r.value, r.unit, r.quality, r.exception, r.ts, r.tsCorrected,
        r.mono, r.bootId, r.priority, r.flags, encodeAlarm(r.alarm), input.now, r.hash,
      );
      if (inserted.changes === 1) {
        stored++;
        continue;
      }
      const existingHash = s.recordHash.get(input.gateway, r.seq) as string;
      if (existingHash !== r.hash) conflicts.push({ seq: r.seq, existingHash, offeredHash: r.hash });
    }
    if (conflicts.length > 0) throw new ConflictSignal(conflicts);
    const maxSeq = batch.length === 0 ? null : (batch[batch.length - 1]?.seq ?? null);
    const highest = s.updateGateway.get({ id: input.gateway, now: input.now, maxSeq, offset: offsetMs(input), stored }) as number | null;
    return { ok: true, stored, duplicates: batch.length - stored, highestSeq: highest ?? 0 };
  }

  private run<T>(operation: string, body: (statements: Prepared, db: Database) => T): Promise<T> {
    if (this.state !== 'running' || this.db === undefined || this.statements === undefined) return Promise.reject(storeClosed(operation));
    try {
      return Promise.resolve(body(this.statements, this.db));
    } catch (err) {
      return Promise.reject(unavailable(operation, err));
    }
  }
}
