/**
 * `atalaya relay org add <id> --name NAME | list` and `atalaya relay gateway move <id> --org ID`
 * (issue 15 §1, §5), on the relay's database (cli/relay-database.ts). An organization owns
 * gateways, and through them their records, obras, proofs and alerts
 * (cloud/store/migrations-orgs.ts). `atalaya relay gateway add <id> --org ID` (cli/relay.ts) puts a
 * new gateway in one; an upgraded install has everything in `default`.
 */
import type { RelayConfig } from '../cloud/config/schema.ts';
import { ORG_ID_PATTERN } from '../cloud/store/org-store.ts';
import { systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { withRelayDatabase } from './relay-database.ts';

export const ORG_HELP = `atalaya relay org add <id> --name NAME     a new organization (id: a-z 0-9 _ -, up to 63)
atalaya relay org list [--json]                organizations and how many gateways each owns
atalaya relay gateway add <id> [--org ID]      register a gateway in an organization (default: default)
atalaya relay gateway move <id> --org ID       move a gateway, its records, obras and proofs, to another organization

Options:
  -c, --config FILE   YAML config (default: ATALAYA_RELAY_CONFIG or /etc/atalaya/relay.yaml)
`;

export interface OrgCommandInput {
  readonly command: 'org' | 'gateway';
  readonly sub: string | undefined;
  readonly args: readonly string[];
  readonly name?: string | undefined;
  readonly org?: string | undefined;
  readonly json: boolean;
}

/** Columns padded to their widest cell. */
function renderTable(headings: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [headings, ...rows];
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

interface Io {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
}

/** Exit code: 0, 1 when the relay refuses (taken id, unknown organization or gateway), 2 on a usage error. */
export async function orgCommand(input: OrgCommandInput, config: RelayConfig, io: Io): Promise<number> {
  const usage = (message: string): number => {
    io.stderr.write(`atalaya relay ${input.command}: ${message}\n\n${ORG_HELP}`);
    return 2;
  };
  const [target] = input.args;
  const key = `${input.command} ${input.sub ?? ''}`;
  if (key === 'org add') {
    if (target === undefined || !ORG_ID_PATTERN.test(target)) return usage('add <id>: a-z, 0-9, _ and -, starting with a letter or digit, up to 63');
    if (input.name === undefined || input.name.trim() === '') return usage('--name NAME: the organization as people call it');
  } else if (key === 'gateway move') {
    if (target === undefined || input.org === undefined) return usage('move <gateway> --org ID');
  } else if (key !== 'org list') {
    return usage(`expected 'org add <id> --name NAME', 'org list' or 'gateway move <id> --org ID'`);
  }
  try {
    return await withRelayDatabase(config.storage, async (database) => {
      if (key === 'org add') {
        await database.orgs.add(target!, input.name!.trim(), systemClock.now());
        io.stderr.write(`organization ${target} added\n`);
      } else if (key === 'gateway move') {
        await database.orgs.moveGateway(target!, input.org!);
        io.stderr.write(`gateway ${target} now belongs to ${input.org}\n`);
      } else {
        const orgs = await database.orgs.list();
        io.stdout.write(
          input.json
            ? `${JSON.stringify(orgs)}\n`
            : renderTable(
                ['ID', 'NAME', 'CREATED', 'GATEWAYS'],
                orgs.map((o) => [o.id, o.name, new Date(o.createdAt).toISOString(), String(o.gateways)]),
              ),
        );
      }
      return 0;
    });
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    io.stderr.write(`atalaya relay ${input.command}: ${err.message}\n`);
    return 1;
  }
}
