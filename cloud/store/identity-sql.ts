/** Statements of the identity store (identity-store.ts): one text for SQLite and PostgreSQL. */
import type { Role } from '../identity/principal.ts';
import type { AuditEntry, AuditQuery, TokenRow, UserRow } from './identity-types.ts';

const USER_COLUMNS = `u.id AS "id", u.org_id AS "orgId", u.name AS "name", u.display_name AS "displayName", u.role AS "role",
  u.password_hash AS "passwordHash", u.disabled AS "disabled", u.failed_logins AS "failedLogins", u.locked_until AS "lockedUntil",
  u.created_at AS "createdAt", u.updated_at AS "updatedAt"`;

const TOKEN_COLUMNS = `t.id AS "id", t.user_id AS "userId", u.name AS "userName", t.org_id AS "orgId", t.name AS "name", t.role AS "role",
  t.created_at AS "createdAt", t.last_used_at AS "lastUsedAt", t.revoked_at AS "revokedAt"`;

/** Tokens touched less than this long ago are not written again, ms. */
export const TOKEN_TOUCH_INTERVAL_MS = 60_000;

export const IDENTITY_SQL = {
  insertUser: `INSERT INTO users (id, org_id, name, display_name, role, password_hash, disabled, failed_logins, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $7)`,
  userByName: `SELECT ${USER_COLUMNS} FROM users u WHERE u.name = $1`,
  userById: `SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`,
  listUsers: `SELECT ${USER_COLUMNS} FROM users u ORDER BY u.org_id, u.name`,
  listOrgUsers: `SELECT ${USER_COLUMNS} FROM users u WHERE u.org_id = $1 ORDER BY u.name`,
  setPassword: 'UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $1',
  setDisabled: 'UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1',
  recordFailure: `UPDATE users SET failed_logins = failed_logins + 1,
    locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END, updated_at = $4
    WHERE id = $1 RETURNING failed_logins AS "failedLogins"`,
  clearFailures: 'UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)',

  insertSession: 'INSERT INTO sessions (id_sha256, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)',
  sessionOwner: `SELECT ${USER_COLUMNS}, s.expires_at AS "expiresAt", s.last_seen_at AS "lastSeenAt"
    FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_sha256 = $1`,
  touchSession: 'UPDATE sessions SET last_seen_at = $2 WHERE id_sha256 = $1',
  deleteSession: 'DELETE FROM sessions WHERE id_sha256 = $1',

  insertToken: `INSERT INTO api_tokens (id, user_id, org_id, name, role, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  tokenOwner: `SELECT ${USER_COLUMNS}, t.id AS "tokenId", t.role AS "tokenRole"
    FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.sha256 = $1 AND t.revoked_at IS NULL`,
  touchToken: `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`,
  listTokens: `SELECT ${TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_at, t.id`,
  listOrgTokens: `SELECT ${TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.org_id = $1 ORDER BY t.created_at, t.id`,
  listUserTokens: `SELECT ${TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = $1 ORDER BY t.created_at, t.id`,
  revokeToken: 'UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL',

  appendAudit: `INSERT INTO audit (at, actor, user_id, org_id, action, target, details) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id AS "id"`,
} as const;

/** The audit page's statement for the filters given, and its parameters in order. */
export function auditSql(q: AuditQuery): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (n: string) => string, value: unknown): void => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (q.orgId === null) where.push('org_id IS NULL');
  else if (q.orgId !== undefined) add((n) => `org_id = ${n}`, q.orgId);
  if (q.action !== undefined) add((n) => `action = ${n}`, q.action);
  if (q.actor !== undefined) add((n) => `actor = ${n}`, q.actor);
  if (q.from !== undefined) add((n) => `at >= ${n}`, q.from);
  if (q.to !== undefined) add((n) => `at < ${n}`, q.to);
  if (q.before !== undefined) add((n) => `id < ${n}`, q.before);
  params.push(q.limit);
  const sql = `SELECT id AS "id", at AS "at", actor AS "actor", user_id AS "userId", org_id AS "orgId", action AS "action",
    target AS "target", details AS "details" FROM audit ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
    ORDER BY id DESC LIMIT $${params.length}`;
  return { sql, params };
}

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export type RawUser = Omit<UserRow, 'disabled'> & { disabled: number | boolean };

export function decodeUser(row: RawUser): UserRow {
  return {
    id: row.id,
    orgId: row.orgId,
    name: row.name,
    displayName: row.displayName,
    role: row.role,
    passwordHash: row.passwordHash,
    disabled: Number(row.disabled) !== 0,
    failedLogins: num(row.failedLogins),
    lockedUntil: numOrNull(row.lockedUntil),
    createdAt: num(row.createdAt),
    updatedAt: num(row.updatedAt),
  };
}

export function decodeToken(row: TokenRow): TokenRow {
  return { ...row, role: row.role as Role, createdAt: num(row.createdAt), lastUsedAt: numOrNull(row.lastUsedAt), revokedAt: numOrNull(row.revokedAt) };
}

export function decodeAudit(row: Omit<AuditEntry, 'details'> & { details: string }): AuditEntry {
  return { ...row, id: num(row.id), at: num(row.at), details: JSON.parse(row.details) as Record<string, unknown> };
}
