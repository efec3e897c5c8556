import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';

/** addGateway with an id already registered. */
export const STORE_GATEWAY_EXISTS = 'ATALAYA_STORE_GATEWAY_EXISTS';
/** ingest for a gateway that was never added: nothing stored. */
export const STORE_UNKNOWN_GATEWAY = 'ATALAYA_STORE_UNKNOWN_GATEWAY';
/** A batch the store cannot take as given (a seq twice, a record of another gateway): nothing stored. */
export const STORE_INVALID_BATCH = 'ATALAYA_STORE_INVALID_BATCH';
/** queryRecords with a limit outside 1..10 000, an unknown kind or a non-finite bound. */
export const STORE_INVALID_QUERY = 'ATALAYA_STORE_INVALID_QUERY';
/** A cursor this store did not hand out (or one altered on the way). */
export const STORE_INVALID_CURSOR = 'ATALAYA_STORE_INVALID_CURSOR';
/** Any call on a store that is not started or already stopped. */
export const STORE_CLOSED = 'ATALAYA_STORE_CLOSED';
/** The database was migrated by a newer relay: never downgraded. */
export const STORE_SCHEMA_TOO_NEW = 'ATALAYA_STORE_SCHEMA_TOO_NEW';
/** A migration step failed and was rolled back; `cause` holds the database error. */
export const STORE_MIGRATION_FAILED = 'ATALAYA_STORE_MIGRATION_FAILED';
/** The copy taken before a schema upgrade could not be written (disk full, …): nothing was migrated. */
export const STORE_UPGRADE_BACKUP_FAILED = 'ATALAYA_STORE_UPGRADE_BACKUP_FAILED';
/**
 * The database failed (connection lost, disk full, I/O error, …); `cause` holds its error and
 * `details.backendCode` its code (SQLITE_* or a PostgreSQL SQLSTATE). Worth retrying later.
 */
export const STORE_UNAVAILABLE = 'ATALAYA_STORE_UNAVAILABLE';
/**
 * An anchoring change the stored state does not allow (replacing a transaction that is unknown or
 * no longer live, a signed transaction whose nonce is not the one allocated): nothing changed.
 */
export const STORE_ANCHOR_REFUSED = 'ATALAYA_STORE_ANCHOR_REFUSED';
/** addOrganization with an id already taken (issue 15). */
export const STORE_ORG_EXISTS = 'ATALAYA_STORE_ORG_EXISTS';
/** A gateway added to, or moved into, an organization that does not exist (issue 15). */
export const STORE_UNKNOWN_ORG = 'ATALAYA_STORE_UNKNOWN_ORG';
/**
 * Dropping old months of records (PostgreSQL, records-partitions.ts) met a month holding a record
 * not in a batch confirmed on chain: nothing was dropped; `cause` holds the database error.
 */
export const STORE_PARTITION_HELD = 'ATALAYA_STORE_PARTITION_HELD';

export type StoreErrorCode =
  | typeof STORE_GATEWAY_EXISTS
  | typeof STORE_UNKNOWN_GATEWAY
  | typeof STORE_INVALID_BATCH
  | typeof STORE_INVALID_QUERY
  | typeof STORE_INVALID_CURSOR
  | typeof STORE_CLOSED
  | typeof STORE_SCHEMA_TOO_NEW
  | typeof STORE_MIGRATION_FAILED
  | typeof STORE_UPGRADE_BACKUP_FAILED
  | typeof STORE_UNAVAILABLE
  | typeof STORE_ANCHOR_REFUSED
  | typeof STORE_ORG_EXISTS
  | typeof STORE_UNKNOWN_ORG
  | typeof STORE_PARTITION_HELD;

export class StoreError extends AtalayaError<StoreErrorCode> {
  constructor(code: StoreErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && isAtalayaError(err, code);
}

export function gatewayExists(id: string): StoreError {
  return new StoreError(STORE_GATEWAY_EXISTS, `gateway ${id} is already registered`, { details: { gateway: id } });
}

export function unknownGateway(id: string): StoreError {
  return new StoreError(STORE_UNKNOWN_GATEWAY, `gateway ${id} is not registered`, { details: { gateway: id } });
}

export function invalidBatch(gateway: string, problem: string, seq: number): StoreError {
  return new StoreError(STORE_INVALID_BATCH, `batch of ${gateway}: ${problem} (seq ${seq})`, { details: { gateway, problem, seq } });
}

export function invalidQuery(problem: string): StoreError {
  return new StoreError(STORE_INVALID_QUERY, `invalid records query: ${problem}`, { details: { problem } });
}

export function invalidCursor(): StoreError {
  return new StoreError(STORE_INVALID_CURSOR, 'invalid records cursor');
}

export function storeClosed(operation: string): StoreError {
  return new StoreError(STORE_CLOSED, `store is not running: cannot ${operation}`, { details: { operation } });
}

export function schemaTooNew(found: number, known: number): StoreError {
  return new StoreError(STORE_SCHEMA_TOO_NEW, `relay schema version ${found} is newer than this relay knows (${known})`, { details: { found, known } });
}

export function migrationFailed(version: number, cause: unknown): StoreError {
  return new StoreError(STORE_MIGRATION_FAILED, `relay store migration to version ${version} failed`, {
    cause,
    details: { version, backendCode: backendCode(cause) },
  });
}

export function upgradeBackupFailed(backup: string, cause: unknown): StoreError {
  return new StoreError(STORE_UPGRADE_BACKUP_FAILED, `cannot copy the relay database to ${backup} before upgrading its schema`, {
    cause,
    details: { backup, backendCode: backendCode(cause) },
  });
}

export function anchorRefused(operation: string, problem: string, details: Record<string, unknown> = {}): StoreError {
  return new StoreError(STORE_ANCHOR_REFUSED, `anchor store ${operation} refused: ${problem}`, { details: { operation, problem, ...details } });
}

/** Wraps a database error; coded errors of this module pass through unchanged. */
export function partitionHeld(cause: unknown): StoreError {
  return new StoreError(
    STORE_PARTITION_HELD,
    'a month of records holds records not in a confirmed anchor batch: nothing dropped (their proofs still need them: see atalaya relay anchor status, and drop only months before them)',
    { cause },
  );
}

export function unavailable(operation: string, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause;
  return new StoreError(STORE_UNAVAILABLE, `store ${operation} failed`, { cause, details: { operation, backendCode: backendCode(cause) } });
}

/** better-sqlite3's SqliteError and pg's DatabaseError both carry their code in `code`. */
function backendCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function orgExists(id: string): StoreError {
  return new StoreError(STORE_ORG_EXISTS, `organization ${id} already exists`, { details: { org: id } });
}

export function unknownOrg(id: string): StoreError {
  return new StoreError(STORE_UNKNOWN_ORG, `no organization ${id}`, { details: { org: id } });
}
