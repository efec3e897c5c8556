/**
 * `atalaya relay source add <id> --kind tts|tago|http [--org ORG]` and `source list`: provider
 * sources provisioned like gateways (issue 17 §1). A source gets the virtual gateway src-<id>
 * (with a random secret nobody is shown: nothing signs batches as it) and its own gapless seq.
 */
import type { RelayConfig } from '../cloud/config/schema.ts';
import { newGatewaySecretCiphertext } from '../cloud/ingest/gateway-secrets.ts';
import { SOURCE_ID_PATTERN, SOURCE_KINDS, type SourceKind, sourceGateway } from '../cloud/providers/config.ts';
import { SOURCE_INVALID, sourceError } from '../cloud/providers/errors.ts';
import { loadRelayKey } from '../cloud/secrets.ts';
import { systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { auditFromCli } from './relay-audit.ts';
import { withRelayDatabase } from './relay-database.ts';

export const SOURCE_HELP = `atalaya relay source add <id> --kind tts|tago|http [--org ORG] [--config FILE]
atalaya relay source list [--json] [--config FILE]

Provisions a provider source (The Things Stack webhook, Tago.io pull, generic HTTP pull) as the
virtual gateway src-<id>; its mapping and secret go under sources: in the relay config
(cloud/providers/README.md). ORG, an existing organization (atalaya relay org add), defaults to
'default'; the virtual gateway, and so the source's records and alerts, belong to it.
`;

export interface SourceInput {
  readonly sub: string | undefined;
  readonly id: string | undefined;
  readonly kind: string | undefined;
  readonly org: string | undefined;
  readonly json: boolean;
}

/**
 * Provisions a source, its virtual gateway in organization `org` (so the source's records, alarms
 * and alerts are that organization's), and audits it as `cli:<OS user>`; coded errors for a bad
 * id, kind or organization and an id taken. For the CLI, the demo and tests.
 */
export async function addSource(config: RelayConfig, id: string, kind: string, org = 'default'): Promise<string> {
  if (!SOURCE_ID_PATTERN.test(id)) throw sourceError(SOURCE_INVALID, `source id '${id}': 1–60 letters, digits, _ . -, starting with a letter or digit`);
  if (!(SOURCE_KINDS as readonly string[]).includes(kind)) throw sourceError(SOURCE_INVALID, `--kind: one of ${SOURCE_KINDS.join(', ')}`);
  const key = loadRelayKey(config.keyFile, process.env).key;
  const gateway = sourceGateway(id);
  await withRelayDatabase(config.storage, async (db) => {
    if ((await db.orgs.get(org)) === undefined) throw sourceError(SOURCE_INVALID, `--org: no organization '${org}' (atalaya relay org list)`);
    await db.sources.addSource({
      id,
      kind: kind as SourceKind,
      org,
      gatewaySecretCiphertext: newGatewaySecretCiphertext(gateway, key),
      now: systemClock.now(),
    });
  });
  await auditFromCli(config, { action: 'source.add', target: id, gateway, details: { kind, gateway, org } });
  return gateway;
}

export async function sourceCommand(input: SourceInput, config: RelayConfig): Promise<number> {
  try {
    if (input.sub === 'add') {
      if (input.id === undefined || input.kind === undefined) {
        process.stderr.write(`atalaya relay source add: <id> and --kind are required\n\n${SOURCE_HELP}`);
        return 2;
      }
      const gateway = await addSource(config, input.id, input.kind, input.org);
      process.stdout.write(`source ${input.id} added (${input.kind}, gateway ${gateway}). Map its fields under sources: in the relay config.\n`);
      return 0;
    }
    if (input.sub === 'list') {
      const rows = await withRelayDatabase(config.storage, (db) => db.sources.listSources());
      if (input.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
      else
        for (const r of rows)
          process.stdout.write(
            `${r.id}\t${r.kind}\t${r.gateway}\tmessages ${r.messages}\tduplicates ${r.duplicates}\tlast success ${r.lastSuccessAt === null ? '-' : new Date(r.lastSuccessAt).toISOString()}\t${r.lastError ?? ''}\n`,
          );
      return 0;
    }
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    process.stderr.write(`atalaya relay source: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`atalaya relay source: expected 'add <id> --kind …' or 'list'\n\n${SOURCE_HELP}`);
  return 2;
}
