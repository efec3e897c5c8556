import { describe, expect, it } from 'vitest';
import { Authenticator, loadUsers } from '../../agent/broker/auth.ts';
import { BROKER_FILE, BROKER_INVALID_OPTIONS, isBrokerError } from '../../agent/broker/errors.ts';
import { brokerConfigSchema } from '../../agent/broker/schema.ts';
import { hashPassword } from '../../platform/passwords.ts';

const HASH = 'scrypt$16384$8$1$9a4MtVjNy0O0R4eHIksSlw==$k5fCPuiFvCm8rpK2aCMRCfad3HYWnn8a0UbaVU9Sg6s=';

function files(content: Record<string, string>): (file: string) => Promise<Buffer> {
  return async (file) => {
    const text = content[file];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
    return Buffer.from(text);
  };
}

describe('broker users', () => {
  const config = brokerConfigSchema.parse({ users: [{ username: 'a', password: HASH }], credentialsFile: '/etc/users.yaml' });

  it('adds the users of the credentials file to those of the config', async () => {
    const users = await loadUsers(config, files({ '/etc/users.yaml': `users:\n  - username: b\n    password: ${HASH}\n    publish: [x/%u]\n` }));
    expect(users.map((u) => [u.username, u.publish])).toEqual([
      ['a', []],
      ['b', ['x/%u']],
    ]);
  });

  it('rejects a missing file, a user in both places, bad entries and bad YAML without quoting the file', async () => {
    const err = (read: ReturnType<typeof files>): Promise<unknown> =>
      loadUsers(config, read).then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isBrokerError(await err(files({})), BROKER_FILE)).toBe(true);
    expect(isBrokerError(await err(files({ '/etc/users.yaml': `users:\n  - { username: a, password: ${HASH} }\n` })), BROKER_INVALID_OPTIONS)).toBe(true);
    const plain = await err(files({ '/etc/users.yaml': 'users:\n  - { username: c, password: hunter2 }\n' }));
    expect(isBrokerError(plain, BROKER_INVALID_OPTIONS)).toBe(true);
    expect(JSON.stringify(plain) + String(plain)).not.toContain('hunter2');
    const broken = await err(files({ '/etc/users.yaml': `users:\n  - username: c\n    password: ${HASH}: : [\n` }));
    expect(isBrokerError(broken, BROKER_INVALID_OPTIONS)).toBe(true);
    expect(String(broken)).not.toContain(HASH.slice(20));
  });
});

describe('broker CONNECT checks', () => {
  it('accepts a right password and refuses wrong and unknown users (4) and anonymous clients (5) unless allowed', async () => {
    const user = { username: 'dev1', password: await hashPassword('pw'), publish: ['a/%u'], subscribe: [] };
    const strict = new Authenticator([user], false, 'atalaya/gw1/#');
    expect(await strict.check('dev1', Buffer.from('pw'))).toMatchObject({ ok: true, username: 'dev1', rules: { publish: ['a/%u'] } });
    expect(await strict.check('dev1', Buffer.from('pW'))).toMatchObject({ ok: false, returnCode: 4, key: 'dev1' });
    expect(await strict.check('dev1', undefined)).toMatchObject({ ok: false, returnCode: 4 });
    expect(await strict.check('eve', Buffer.from('pw'))).toMatchObject({ ok: false, returnCode: 4, key: '(unknown)' });
    expect(await strict.check(undefined, undefined)).toMatchObject({ ok: false, returnCode: 5 });
    const open = new Authenticator([user], true, 'atalaya/gw1/#');
    expect(await open.check(undefined, undefined)).toMatchObject({ ok: true, rules: { publish: [], subscribe: ['atalaya/gw1/#'] } });
  });
});
