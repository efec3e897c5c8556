/**
 * IdentityStore over the relay's SQL executor (sql-executor.ts): the same statements on SQLite and
 * PostgreSQL. Every request's credential is looked up here (no cache), so disabling a user or
 * revoking a token takes effect on the next request of every relay sharing the database.
 */
import type { RawUser } from './identity-sql.ts';
import { auditSql, decodeAudit, decodeToken, decodeUser, IDENTITY_SQL as SQL, TOKEN_TOUCH_INTERVAL_MS } from './identity-sql.ts';
import type { AuditEntry, AuditInput, AuditQuery, CredentialOwner, IdentityStore, NewToken, NewUser, TokenRow, UserRow } from './identity-types.ts';
import type { SqlExecutor } from './sql-executor.ts';

type RawOwner = RawUser & { expiresAt?: unknown; lastSeenAt?: unknown; tokenId?: string; tokenRole?: UserRow['role'] };

function decodeOwner(row: RawOwner | undefined): CredentialOwner | undefined {
  if (row === undefined) return undefined;
  const { expiresAt, lastSeenAt, tokenId, tokenRole, ...user } = row;
  return {
    user: decodeUser(user),
    ...(tokenId === undefined ? {} : { tokenId, tokenRole }),
    ...(expiresAt === undefined ? {} : { expiresAt: Number(expiresAt), lastSeenAt: Number(lastSeenAt) }),
  };
}

export class SqlIdentityStore implements IdentityStore {
  constructor(private readonly db: SqlExecutor) {}

  async insertUser(u: NewUser): Promise<void> {
    await this.db.query(SQL.insertUser, [u.id, u.orgId, u.name, u.displayName, u.role, u.passwordHash, u.createdAt]);
  }

  async userByName(name: string): Promise<UserRow | undefined> {
    const row = (await this.db.query<RawUser>(SQL.userByName, [name])).rows[0];
    return row === undefined ? undefined : decodeUser(row);
  }

  async userById(id: string): Promise<UserRow | undefined> {
    const row = (await this.db.query<RawUser>(SQL.userById, [id])).rows[0];
    return row === undefined ? undefined : decodeUser(row);
  }

  async listUsers(orgId?: string): Promise<UserRow[]> {
    const result = orgId === undefined ? await this.db.query<RawUser>(SQL.listUsers, []) : await this.db.query<RawUser>(SQL.listOrgUsers, [orgId]);
    return result.rows.map(decodeUser);
  }

  async setPassword(userId: string, hash: string, now: number): Promise<void> {
    await this.db.query(SQL.setPassword, [userId, hash, now]);
  }

  async setDisabled(userId: string, disabled: boolean, now: number): Promise<void> {
    await this.db.query(SQL.setDisabled, [userId, disabled ? 1 : 0, now]);
  }

  async recordFailure(userId: string, maxFailures: number, lockUntil: number, now: number): Promise<number> {
    const row = (await this.db.query<{ failedLogins: unknown }>(SQL.recordFailure, [userId, maxFailures, lockUntil, now])).rows[0];
    return Number(row?.failedLogins ?? 0);
  }

  async clearFailures(userId: string, now: number): Promise<void> {
    await this.db.query(SQL.clearFailures, [userId, now]);
  }

  async insertSession(idSha256: string, userId: string, now: number, expiresAt: number): Promise<void> {
    await this.db.query(SQL.insertSession, [idSha256, userId, now, expiresAt]);
  }

  async sessionOwner(idSha256: string): Promise<CredentialOwner | undefined> {
    return decodeOwner((await this.db.query<RawOwner>(SQL.sessionOwner, [idSha256])).rows[0]);
  }

  async touchSession(idSha256: string, now: number): Promise<void> {
    await this.db.query(SQL.touchSession, [idSha256, now]);
  }

  async deleteSession(idSha256: string): Promise<void> {
    await this.db.query(SQL.deleteSession, [idSha256]);
  }

  async insertToken(t: NewToken): Promise<void> {
    await this.db.query(SQL.insertToken, [t.id, t.userId, t.orgId, t.name, t.role, t.sha256, t.createdAt]);
  }

  async tokenOwner(sha256: string): Promise<CredentialOwner | undefined> {
    return decodeOwner((await this.db.query<RawOwner>(SQL.tokenOwner, [sha256])).rows[0]);
  }

  async touchToken(id: string, now: number): Promise<void> {
    await this.db.query(SQL.touchToken, [id, now, now - TOKEN_TOUCH_INTERVAL_MS]);
  }

  async listTokens(filter: { orgId?: string; userId?: string }): Promise<TokenRow[]> {
    const result =
      filter.userId !== undefined
        ? await this.db.query<TokenRow>(SQL.listUserTokens, [filter.userId])
        : filter.orgId !== undefined
          ? await this.db.query<TokenRow>(SQL.listOrgTokens, [filter.orgId])
          : await this.db.query<TokenRow>(SQL.listTokens, []);
    return result.rows.map(decodeToken);
  }

  async revokeToken(id: string, now: number): Promise<boolean> {
    return (await this.db.query(SQL.revokeToken, [id, now])).count > 0;
  }

  async appendAudit(e: AuditInput): Promise<number> {
    const row = (await this.db.query<{ id: unknown }>(SQL.appendAudit, [e.at, e.actor, e.userId, e.orgId, e.action, e.target, JSON.stringify(e.details)]))
      .rows[0];
    return Number(row?.id);
  }

  async queryAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const { sql, params } = auditSql(q);
    return (await this.db.query<Omit<AuditEntry, 'details'> & { details: string }>(sql, params)).rows.map(decodeAudit);
  }
}
