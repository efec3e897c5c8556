/**
 * `atalaya relay user add|list|passwd|disable|enable` and `atalaya relay token add --user|list|revoke`
 * (issue 15 §5), on the relay's database (cli/relay-database.ts). The command acts as the platform
 * owner named `cli:<OS user>` in the audit: whoever runs it on the relay's host already holds its
 * config and database. Passwords are read from stdin (first line; typed or piped), never from an
 * argument; a generated password or token is printed once, to stdout only, and never logged.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { RelayConfig } from '../cloud/config/schema.ts';
import { tokenName } from '../cloud/http/auth.ts';
import { Auditor, cliPrincipal } from '../cloud/identity/audit.ts';
import { isIdentityError } from '../cloud/identity/errors.ts';
import { ROLES, type Role } from '../cloud/identity/principal.ts';
import { UserAdmin } from '../cloud/identity/users.ts';
import { systemClock } from '../protocols/clock.ts';
import { readLine } from '../protocols/read-line.ts';
import { withRelayDatabase } from './relay-database.ts';

export const USER_HELP = `atalaya relay user add <name> --role ROLE --org ORG [--display-name TEXT] [--generate]
atalaya relay user add <name> --owner [--generate]     the platform owner (every organization)
atalaya relay user list [--json]
atalaya relay user passwd <name> [--generate]
atalaya relay user disable|enable <name>
atalaya relay token add --user NAME --role ROLE [--name NAME]   a user's API token, printed once
atalaya relay token add [--name NAME]                           a config (operator) token: the owner
atalaya relay token list [--json]                               users' tokens and the config's
atalaya relay token revoke <id|name>

Roles: ${ROLES.join(', ')} (owner only with --owner). The password is read from stdin (its first
line: type it, or pipe it in); --generate makes one and prints it once to stdout. Disabling a user
stops its sessions and tokens at once. Every change is audited as cli:<your OS user>.

Options:
  -c, --config FILE   YAML config (default: ATALAYA_RELAY_CONFIG or /etc/atalaya/relay.yaml)
`;

export interface UserCommandInput {
  readonly command: 'user' | 'token';
  readonly sub: string | undefined;
  readonly args: readonly string[];
  readonly role?: string;
  readonly org?: string;
  readonly owner: boolean;
  readonly displayName?: string;
  readonly generate: boolean;
  readonly user?: string;
  readonly name?: string;
  readonly json: boolean;
}

export interface UserCommandIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
}

/** Columns padded to their widest cell, upper-case headings. */
function renderTable(headings: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [headings.map((h) => h.toUpperCase()), ...rows];
  const widths = headings.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  return `${all
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

async function password(input: UserCommandInput, io: UserCommandIo, who: string): Promise<string> {
  if (input.generate) {
    const generated = randomBytes(18).toString('base64url');
    io.stdout.write(`${generated}\n`);
    io.stderr.write(`password of ${who} above, shown once\n`);
    return generated;
  }
  if (io.stdin.isTTY === true) io.stderr.write(`Password for ${who}: `);
  return readLine(io.stdin);
}

function parseRole(value: string | undefined): Role | undefined {
  return (ROLES as readonly string[]).includes(value ?? '') ? (value as Role) : undefined;
}

/** Exit code: 0, 1 when the relay refuses (unknown user, conflict…), 2 on a usage error. */
export async function userCommand(input: UserCommandInput, config: RelayConfig, io: UserCommandIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr.write(`atalaya relay ${input.command}: ${message}\n`);
    return 2;
  };
  const by = cliPrincipal(os.userInfo().username);
  const [target] = input.args;
  try {
    return await withRelayDatabase(config.storage, async (database) => {
      const admin = new UserAdmin(
        database.identity,
        new Auditor(database.identity, systemClock),
        systemClock,
        config.apiTokens.map(tokenName),
        async (id) => (await database.orgs.get(id)) !== undefined,
      );
      const key = `${input.command} ${input.sub ?? ''}`;
      switch (key) {
        case 'user add': {
          if (target === undefined) return usage('add <name>');
          const role = input.owner ? 'owner' : parseRole(input.role);
          if (role === undefined || (role === 'owner' && !input.owner))
            return usage(`--role: one of ${ROLES.filter((r) => r !== 'owner').join(', ')} (or --owner)`);
          if (role !== 'owner' && input.org === undefined) return usage('--org ORG: the organization the user belongs to (default for an upgraded install)');
          const pw = await password(input, io, target);
          const user = await admin.add(by, {
            name: target,
            role,
            orgId: role === 'owner' ? null : (input.org ?? null),
            password: pw,
            displayName: input.displayName,
          });
          io.stderr.write(`user ${user.name} added (${user.role}${user.orgId === null ? '' : ` of ${user.orgId}`})\n`);
          return 0;
        }
        case 'user list': {
          const users = await admin.list(by);
          if (input.json) io.stdout.write(`${JSON.stringify(users, null, 2)}\n`);
          else
            io.stdout.write(
              renderTable(
                ['name', 'display name', 'org', 'role', 'disabled', 'locked until', 'created'],
                users.map((u) => [u.name, u.displayName, u.orgId ?? '*', u.role, u.disabled ? 'yes' : 'no', iso(u.lockedUntil), iso(u.createdAt)]),
              ),
            );
          return 0;
        }
        case 'user passwd': {
          if (target === undefined) return usage('passwd <name>');
          await admin.passwd(by, target, await password(input, io, target));
          io.stderr.write(`password of ${target} changed\n`);
          return 0;
        }
        case 'user disable':
        case 'user enable': {
          if (target === undefined) return usage(`${input.sub} <name>`);
          await admin.setDisabled(by, target, input.sub === 'disable');
          io.stderr.write(`user ${target} ${input.sub}d\n`);
          return 0;
        }
        case 'token add': {
          const role = parseRole(input.role);
          if (input.user === undefined || role === undefined) return usage(`add --user NAME --role ROLE (${ROLES.join(', ')})`);
          const { token, row } = await admin.addToken(by, { user: input.user, role, ...(input.name === undefined ? {} : { name: input.name }) });
          io.stdout.write(`${token}\n`);
          io.stderr.write(`token ${row.name} (${row.id}) of ${row.userName} as ${row.role} above, shown once\n`);
          return 0;
        }
        case 'token list': {
          const { users, config: configTokens } = await admin.listTokens(by);
          if (input.json) io.stdout.write(`${JSON.stringify({ users, config: configTokens }, null, 2)}\n`);
          else
            io.stdout.write(
              renderTable(
                ['id', 'name', 'kind', 'user', 'org', 'role', 'created', 'last used', 'revoked'],
                [
                  ...configTokens.map((t) => ['-', t.name, 'config', '-', '*', t.role, '-', '-', '-']),
                  ...users.map((t) => [t.id, t.name, 'user', t.userName, t.orgId ?? '*', t.role, iso(t.createdAt), iso(t.lastUsedAt), iso(t.revokedAt)]),
                ],
              ),
            );
          return 0;
        }
        case 'token revoke': {
          if (target === undefined) return usage('revoke <id|name>');
          await admin.revokeToken(by, target);
          io.stderr.write(`token ${target} revoked\n`);
          return 0;
        }
        default:
          return usage(`unknown subcommand '${input.sub ?? ''}'\n\n${USER_HELP}`);
      }
    });
  } catch (err) {
    if (!isIdentityError(err)) throw err;
    io.stderr.write(`atalaya relay ${input.command}: ${err.message}\n`);
    return 1;
  }
}
