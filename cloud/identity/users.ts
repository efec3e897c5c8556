/**
 * Managing users and their API tokens (issue 15 §3, §5): the CLI (`atalaya relay user|token`) and
 * any HTTP route call these with the acting principal; each change is audited. An admin manages
 * only its own organization and never creates an owner; the owner manages everything. A token's
 * role is at most its user's (permissions.ts roleWithin).
 */
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../platform/passwords.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { IdentityStore, TokenRow, UserRow } from '../store/identity-types.ts';
import type { Auditor } from './audit.ts';
import { IDENTITY_CONFLICT, IDENTITY_FORBIDDEN, IDENTITY_INVALID, IDENTITY_NOT_FOUND, identityError } from './errors.ts';
import { can, roleWithin } from './permissions.ts';
import type { Principal, Role } from './principal.ts';
import { hashApiToken, newApiToken } from './tokens.ts';

/** User and token names: what people type and what the audit shows. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Shorter passwords are refused. */
export const MIN_PASSWORD_LENGTH = 10;

export interface NewUserInput {
  readonly name: string;
  readonly displayName?: string;
  readonly role: Role;
  /** null only with role owner. */
  readonly orgId: string | null;
  readonly password: string;
}

/** A user as listed: never its hash. */
export type PublicUser = Omit<UserRow, 'passwordHash'>;

export interface ConfigTokenRow {
  readonly kind: 'config';
  readonly name: string;
  readonly role: 'owner';
}

const publicUser = ({ passwordHash: _hash, ...u }: UserRow): PublicUser => u;

export class UserAdmin {
  constructor(
    private readonly store: IdentityStore,
    private readonly auditor: Auditor,
    private readonly clock: Clock,
    /** The config's operator token names, listed as owner tokens. */
    private readonly configTokens: readonly string[] = [],
    /** Whether an organization exists (cloud/store/org-store.ts); a user of an unknown one is refused. */
    private readonly orgExists: (id: string) => Promise<boolean> = async () => true,
  ) {}

  private mayManage(by: Principal, orgId: string | null, role?: Role): void {
    if (!can(by.role, 'users.manage')) throw identityError(IDENTITY_FORBIDDEN, 'this role does not manage users');
    if (by.orgId !== null && (orgId !== by.orgId || role === 'owner')) throw identityError(IDENTITY_FORBIDDEN, 'an admin manages only its own organization');
  }

  private async visibleUser(by: Principal, name: string): Promise<UserRow> {
    const user = await this.store.userByName(name);
    if (user === undefined || (by.orgId !== null && user.orgId !== by.orgId)) throw identityError(IDENTITY_NOT_FOUND, `no user ${name}`);
    this.mayManage(by, user.orgId, user.role);
    return user;
  }

  async add(by: Principal, input: NewUserInput): Promise<PublicUser> {
    if (!NAME_PATTERN.test(input.name)) throw identityError(IDENTITY_INVALID, 'user name: 1..64 letters, digits, . _ @ -');
    if ((input.role === 'owner') !== (input.orgId === null)) throw identityError(IDENTITY_INVALID, 'the owner has no organization; every other role has one');
    if (input.password.length < MIN_PASSWORD_LENGTH) throw identityError(IDENTITY_INVALID, `a password has at least ${MIN_PASSWORD_LENGTH} characters`);
    this.mayManage(by, input.orgId, input.role);
    if (input.orgId !== null && !(await this.orgExists(input.orgId)))
      throw identityError(IDENTITY_NOT_FOUND, `no organization ${input.orgId} (atalaya relay org add)`);
    if ((await this.store.userByName(input.name)) !== undefined) throw identityError(IDENTITY_CONFLICT, `user ${input.name} exists`);
    const now = this.clock.now();
    const id = randomUUID();
    const displayName = input.displayName ?? input.name;
    await this.store.insertUser({
      id,
      orgId: input.orgId,
      name: input.name,
      displayName,
      role: input.role,
      passwordHash: await hashPassword(input.password),
      createdAt: now,
    });
    await this.auditor.record(by, 'user.add', input.name, { role: input.role, orgId: input.orgId, displayName }, input.orgId);
    return publicUser((await this.store.userById(id)) as UserRow);
  }

  async list(by: Principal): Promise<PublicUser[]> {
    if (!can(by.role, 'users.manage')) throw identityError(IDENTITY_FORBIDDEN, 'this role does not manage users');
    return (await this.store.listUsers(by.orgId ?? undefined)).map(publicUser);
  }

  async passwd(by: Principal, name: string, password: string): Promise<void> {
    if (password.length < MIN_PASSWORD_LENGTH) throw identityError(IDENTITY_INVALID, `a password has at least ${MIN_PASSWORD_LENGTH} characters`);
    const user = await this.visibleUser(by, name);
    await this.store.setPassword(user.id, await hashPassword(password), this.clock.now());
    await this.auditor.record(by, 'user.passwd', name, {}, user.orgId);
  }

  /** Disabling stops the user's sessions and tokens on their next request (no cache). */
  async setDisabled(by: Principal, name: string, disabled: boolean): Promise<void> {
    const user = await this.visibleUser(by, name);
    await this.store.setDisabled(user.id, disabled, this.clock.now());
    await this.auditor.record(by, disabled ? 'user.disable' : 'user.enable', name, { disabled }, user.orgId);
  }

  /** A new token for a user, returned once in clear (only its sha256 is kept). */
  async addToken(by: Principal, input: { user: string; role: Role; name?: string }): Promise<{ token: string; row: TokenRow }> {
    const user = await this.visibleUser(by, input.user);
    if (!roleWithin(input.role, user.role)) throw identityError(IDENTITY_FORBIDDEN, `a token of ${user.name} (${user.role}) cannot be ${input.role}`);
    const name = input.name ?? `${user.name}-${this.clock.now().toString(36)}`;
    if (!NAME_PATTERN.test(name)) throw identityError(IDENTITY_INVALID, 'token name: 1..64 letters, digits, . _ @ -');
    const token = newApiToken();
    const id = randomUUID();
    await this.store.insertToken({ id, userId: user.id, orgId: user.orgId, name, role: input.role, sha256: hashApiToken(token), createdAt: this.clock.now() });
    await this.auditor.record(by, 'token.add', name, { id, user: user.name, role: input.role }, user.orgId);
    const row = (await this.store.listTokens({ userId: user.id })).find((t) => t.id === id) as TokenRow;
    return { token, row };
  }

  /** Every token the principal may see; the owner also sees the config's (operator) tokens. */
  async listTokens(by: Principal): Promise<{ users: TokenRow[]; config: ConfigTokenRow[] }> {
    if (!can(by.role, 'users.manage')) throw identityError(IDENTITY_FORBIDDEN, 'this role does not manage tokens');
    const users = await this.store.listTokens(by.orgId === null ? {} : { orgId: by.orgId });
    return { users, config: by.orgId === null ? this.configTokens.map((name) => ({ kind: 'config', name, role: 'owner' })) : [] };
  }

  async revokeToken(by: Principal, id: string): Promise<void> {
    const found = (await this.store.listTokens(by.orgId === null ? {} : { orgId: by.orgId })).find((t) => t.id === id || t.name === id);
    if (found === undefined) throw identityError(IDENTITY_NOT_FOUND, `no token ${id}`);
    this.mayManage(by, found.orgId);
    await this.store.revokeToken(found.id, this.clock.now());
    await this.auditor.record(by, 'token.revoke', found.name, { id: found.id, user: found.userName }, found.orgId);
  }
}
