import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { passwdCommand } from '../../agent/broker/passwd-command.ts';
import { brokerConfigSchema, userSchema } from '../../agent/broker/schema.ts';
import { hashPassword, verifyPassword } from '../../platform/passwords.ts';

function io(input: string): { io: Parameters<typeof passwdCommand>[1]; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdin: Readable.from([Buffer.from(input)]), stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
    out: () => out,
    err: () => err,
  };
}

describe('broker passwords', () => {
  it('hashes with scrypt N=16384 r=8 p=1 and a fresh 16-byte salt', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    const [scheme, n, r, p, salt, key] = a.split('$');
    expect([scheme, n, r, p]).toEqual(['scrypt', '16384', '8', '1']);
    expect(Buffer.from(salt ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(key ?? '', 'base64')).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it('verifies the right password only; unknown users and malformed hashes are false', async () => {
    const hash = await hashPassword('s3cret');
    expect(await verifyPassword('s3cret', hash)).toBe(true);
    expect(await verifyPassword(Buffer.from('s3cret'), hash)).toBe(true);
    expect(await verifyPassword('s3cret!', hash)).toBe(false);
    expect(await verifyPassword('s3cret', undefined)).toBe(false);
    expect(await verifyPassword('s3cret', 's3cret')).toBe(false);
    expect(await verifyPassword('s3cret', hash.replace('$16384$', '$1000$'))).toBe(false);
  });

  it('passwd prints a users entry with the hash of the piped password, never the password', async () => {
    const t = io('pump-7 pass\nignored second line\n');
    expect(await passwdCommand(['pump-7'], t.io)).toBe(0);
    expect(t.out()).not.toContain('pump-7 pass');
    const [entry] = parse(t.out()) as unknown[];
    const user = userSchema.parse(entry);
    expect(user).toMatchObject({ username: 'pump-7', publish: ['atalaya/in/%u/#'], subscribe: [] });
    expect(await verifyPassword('pump-7 pass', user.password)).toBe(true);
    expect(brokerConfigSchema.safeParse({ users: [entry] }).success).toBe(true);
  });

  it('passwd refuses a user name unusable in topics and an empty password (exit 2)', async () => {
    expect(await passwdCommand(['dev/1'], io('x\n').io)).toBe(2);
    expect(await passwdCommand(['dev1'], io('\n').io)).toBe(2);
    expect(await passwdCommand([], io('x\n').io)).toBe(2);
  });
});
