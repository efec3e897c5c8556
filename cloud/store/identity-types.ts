/**
 * The identity store (issue 15): users, sessions, per-user API tokens, the append-only audit.
 * cloud/identity codes against this interface; identity-store.ts implements it on both backends.
 * Times are ms since the epoch. Secrets never reach this store: passwords as scrypt hashes, session
 * ids and tokens as their sha256.
 */
import type { Role } from '../identity/principal.ts';

export interface UserRow {
  readonly id: string;
  /** null only for the platform owner. */
  readonly orgId: string | null;
  readonly name: string;
  readonly displayName: string;
  readonly role: Role;
  readonly passwordHash: string;
  readonly disabled: boolean;
  readonly failedLogins: number;
  readonly lockedUntil: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type NewUser = Pick<UserRow, 'id' | 'orgId' | 'name' | 'displayName' | 'role' | 'passwordHash' | 'createdAt'>;

export interface TokenRow {
  readonly id: string;
  readonly userId: string;
  readonly userName: string;
  readonly orgId: string | null;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

export type NewToken = Pick<TokenRow, 'id' | 'userId' | 'orgId' | 'name' | 'role' | 'createdAt'> & { readonly sha256: string };

/** A session or token found by its hash, with its user's current state (checked on every request). */
export interface CredentialOwner {
  readonly user: UserRow;
  /** The token's id and role (tokens only). */
  readonly tokenId?: string;
  readonly tokenRole?: Role;
  /** Sessions only: absolute expiry and last use. */
  readonly expiresAt?: number;
  readonly lastSeenAt?: number;
}

export interface AuditInput {
  readonly at: number;
  readonly actor: string;
  readonly userId: string | null;
  readonly orgId: string | null;
  readonly action: string;
  readonly target: string | null;
  /** What changed; never a password, token or credential. */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AuditEntry extends AuditInput {
  readonly id: number;
}

export interface AuditQuery {
  /** undefined: every organization (the owner); null: platform-level entries only; else one organization. */
  readonly orgId?: string | null;
  readonly action?: string;
  readonly actor?: string;
  readonly from?: number;
  readonly to?: number;
  /** Entries with an id below this (the previous page's `next`). */
  readonly before?: number;
  readonly limit: number;
}

export interface IdentityStore {
  insertUser(user: NewUser): Promise<void>;
  userByName(name: string): Promise<UserRow | undefined>;
  userById(id: string): Promise<UserRow | undefined>;
  /** Every user, or one organization's. */
  listUsers(orgId?: string): Promise<UserRow[]>;
  setPassword(userId: string, hash: string, now: number): Promise<void>;
  setDisabled(userId: string, disabled: boolean, now: number): Promise<void>;
  /** A failed sign-in: the count after it; locks until `lockUntil` when the count reaches `maxFailures`. */
  recordFailure(userId: string, maxFailures: number, lockUntil: number, now: number): Promise<number>;
  clearFailures(userId: string, now: number): Promise<void>;

  insertSession(idSha256: string, userId: string, now: number, expiresAt: number): Promise<void>;
  sessionOwner(idSha256: string): Promise<CredentialOwner | undefined>;
  touchSession(idSha256: string, now: number): Promise<void>;
  deleteSession(idSha256: string): Promise<void>;

  insertToken(token: NewToken): Promise<void>;
  tokenOwner(sha256: string): Promise<CredentialOwner | undefined>;
  /** Sets last_used_at, at most once a minute per token (a write per request would cost SQLite a sync each). */
  touchToken(id: string, now: number): Promise<void>;
  listTokens(filter: { orgId?: string; userId?: string }): Promise<TokenRow[]>;
  revokeToken(id: string, now: number): Promise<boolean>;

  appendAudit(entry: AuditInput): Promise<number>;
  queryAudit(query: AuditQuery): Promise<AuditEntry[]>;
}
