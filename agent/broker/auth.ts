import { parse } from 'yaml';
import { verifyPassword } from '../../platform/passwords.ts';
import type { AclRules } from './acl.ts';
import { ANONYMOUS, UNKNOWN_USER } from './counters.ts';
import { fileFailed, invalidOptions } from './errors.ts';
import type { BrokerConfig, BrokerUser } from './schema.ts';
import { credentialsFileSchema } from './schema.ts';

/** MQTT 3.1.1 §3.2.2.3, Table 3.1: CONNACK return codes the broker sends when refusing. */
export const CONNACK = { serverUnavailable: 3, badUsernameOrPassword: 4, notAuthorized: 5 } as const;

export type AuthResult =
  | { readonly ok: true; readonly key: string; readonly username: string | undefined; readonly rules: AclRules }
  | { readonly ok: false; readonly key: string; readonly returnCode: 4 | 5 };

export type ReadFile = (file: string) => Promise<Buffer>;

/** Users of the config plus those of its credentialsFile; a user in both is an error. */
export async function loadUsers(config: BrokerConfig, readFile: ReadFile): Promise<BrokerUser[]> {
  if (config.credentialsFile === undefined) return config.users;
  const file = config.credentialsFile;
  let text: string;
  try {
    text = (await readFile(file)).toString('utf8');
  } catch (err) {
    throw fileFailed('credentials file', file, err);
  }
  let raw: unknown;
  try {
    // prettyErrors off: a pretty YAML error quotes the offending line, which may hold a hash.
    raw = parse(text, { prettyErrors: false });
  } catch (err) {
    const offset = (err as { pos?: [number, number] }).pos?.[0];
    const where = offset === undefined ? '' : `: line ${text.slice(0, offset).split('\n').length}`;
    throw invalidOptions([`${file}${where}: not valid YAML`]);
  }
  const parsed = credentialsFileSchema.safeParse(raw);
  if (!parsed.success) {
    // Paths and messages only: zod does not echo input values unless asked to.
    const problems = parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw invalidOptions(problems);
  }
  const known = new Set(config.users.map((u) => u.username));
  const twice = parsed.data.users.filter((u) => known.has(u.username)).map((u) => `${file}: user ${u.username} is also in the config's users`);
  if (twice.length > 0) throw invalidOptions(twice);
  return [...config.users, ...parsed.data.users];
}

/** Checks CONNECT credentials against the user list (scrypt, constant work for unknown users). */
export class Authenticator {
  private readonly users: ReadonlyMap<string, BrokerUser>;
  private readonly anonymousRules: AclRules;

  constructor(
    users: readonly BrokerUser[],
    private readonly allowAnonymous: boolean,
    treeFilter: string,
  ) {
    this.users = new Map(users.map((u) => [u.username, u]));
    // Anonymous clients (dashboards on the LAN) may only read what the gateway republishes.
    this.anonymousRules = { publish: [], subscribe: [treeFilter] };
  }

  /** What counts and back-off are kept under for a user name: itself when configured, else one shared key. */
  keyOf(username: string): string {
    return this.users.has(username) ? username : UNKNOWN_USER;
  }

  async check(username: string | undefined, password: Buffer | undefined): Promise<AuthResult> {
    if (username === undefined || username === '') {
      return this.allowAnonymous && password === undefined
        ? { ok: true, key: ANONYMOUS, username: undefined, rules: this.anonymousRules }
        : { ok: false, key: ANONYMOUS, returnCode: CONNACK.notAuthorized };
    }
    const user = this.users.get(username);
    const ok = await verifyPassword(password ?? Buffer.alloc(0), user?.password);
    if (!ok || user === undefined) return { ok: false, key: user === undefined ? UNKNOWN_USER : username, returnCode: CONNACK.badUsernameOrPassword };
    return { ok: true, key: username, username, rules: user };
  }
}
