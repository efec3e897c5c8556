import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { hashPassword } from '../../platform/passwords.ts';
import { readLine } from '../../protocols/read-line.ts';
import { USERNAME_PATTERN } from './acl.ts';

export interface CommandIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
}

const PASSWD_HELP = `atalaya agent passwd <user> [--prefix PREFIX]

Reads a password from stdin (first line; pipe it in or type it) and prints a users: entry for the
agent config's mqtt section or its credentialsFile, with the password as a scrypt hash.

Options:
      --prefix PREFIX   mqtt.topicPrefix, for the entry's default ACL (default: atalaya)
  -h, --help            this help
`;

const parsePasswdArgs = (args: string[]) =>
  parseArgs({ args, options: { prefix: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });

/** `atalaya agent passwd <user>`: exit code 0, or 2 on a usage error. The password is never echoed back. */
export async function passwdCommand(argv: string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parsePasswdArgs>;
  try {
    parsed = parsePasswdArgs(argv);
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n${PASSWD_HELP}`);
    return 2;
  }
  if (parsed.values.help === true) {
    io.stdout.write(PASSWD_HELP);
    return 0;
  }
  const [username, ...extra] = parsed.positionals;
  if (username === undefined || extra.length > 0) {
    io.stderr.write(PASSWD_HELP);
    return 2;
  }
  if (!USERNAME_PATTERN.test(username)) {
    io.stderr.write(`user name must be letters, digits, _ . - (1–64, starting with a letter or digit): it is used in topics\n`);
    return 2;
  }
  if (io.stdin.isTTY === true) io.stderr.write(`Password for ${username}: `);
  const password = await readLine(io.stdin);
  if (password.length === 0) {
    io.stderr.write('empty password refused\n');
    return 2;
  }
  const prefix = parsed.values.prefix ?? 'atalaya';
  const entry = { username, password: await hashPassword(password), publish: [`${prefix}/in/%u/#`], subscribe: [] as string[] };
  io.stdout.write(stringify([entry]));
  return 0;
}
