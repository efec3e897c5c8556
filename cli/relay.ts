import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadRelayConfigFile, relayConfigJsonSchema } from '../cloud/config/load.ts';
import type { RelayConfig } from '../cloud/config/schema.ts';
import { hashApiToken, newApiToken } from '../cloud/http/auth.ts';
import { GatewaySecrets } from '../cloud/ingest/gateway-secrets.ts';
import { Relay } from '../cloud/main.ts';
import { loadRelayKey, newRelayKey } from '../cloud/secrets.ts';
import type { RelayStore } from '../cloud/store/types.ts';
import { systemClock } from '../protocols/clock.ts';
import { ConfigError } from '../protocols/config-errors.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { rootLogger } from './logger.ts';
import { withRelayDatabase } from './relay-database.ts';
import { untilSignal } from './signals.ts';

const HELP = `atalaya relay [--config FILE] [--check | --schema]
atalaya relay gateway add <id> [--org ID]        register a gateway (in organization ID, default 'default'); prints its secret once
atalaya relay gateway list [--config FILE]       gateways with organization, last seen, highest seq, clock offset
atalaya relay gateway move <id> --org ID         move a gateway to another organization
atalaya relay gateway config set|get|history <id> …  a gateway's desired agent config (see 'atalaya relay gateway config')
atalaya relay org add <id> --name NAME | list    organizations (see 'atalaya relay org --help')
atalaya relay source add <id> --kind tts|tago|http   provision a provider source (virtual gateway src-<id>)
atalaya relay source list [--json]               provider sources and their status
atalaya relay token add [--name NAME]            new operator (config) token: acts as the platform owner
atalaya relay user|token …                       users, roles and their API tokens (see 'atalaya relay user --help')
atalaya relay keygen [--out FILE]                new relay key (encrypts gateway secrets at rest)
atalaya relay dga <status|send-pending|retry|credentials|review> …   DGA reports (see 'atalaya relay dga --help')
atalaya relay anchor <deploy|now|date|status|errors> …       Ethereum anchoring (see 'atalaya relay anchor --help')
atalaya relay export <readings|volumes> …             CSV of readings or an obra's volumes (see 'atalaya relay export --help')
atalaya relay alerts [list|ack <id>] …          alerts and their deliveries (see 'atalaya relay alerts --help')
atalaya relay notify test <channel|group>        queue a test message
atalaya relay verify-db [--json]                 recompute every anchored batch root and check it on chain
atalaya relay release <add|rollout|group|list> …   signed releases for over-the-air updates (see 'atalaya relay release --help')
atalaya relay backup <file>                      copy the SQLite database to <file>, safe while the relay runs
atalaya relay restore <file> [--force]           replace the SQLite database with a backup (relay stopped)

Runs the cloud relay: gateways POST signed batches to /v1/ingest; operators read /v1/gateways
and /v1/readings with a bearer token. See cloud/README.md.

Options:
  -c, --config FILE   YAML config (default: ATALAYA_RELAY_CONFIG or /etc/atalaya/relay.yaml)
      --check         validate the config and the relay key, print every problem, and exit
      --schema        print the config's JSON Schema (for editors) and exit
      --out FILE      keygen: write the key to a new file readable only by its owner
  -h, --help          this help
`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  check: { type: 'boolean' },
  schema: { type: 'boolean' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  obra: { type: 'string' },
  json: { type: 'boolean' },
  state: { type: 'string' },
  by: { type: 'string' },
  'rut-usuario': { type: 'string' },
  'rut-empresa': { type: 'string' },
  name: { type: 'string' },
  reason: { type: 'string' },
  set: { type: 'string', multiple: true },
  gateway: { type: 'string' },
  device: { type: 'string' },
  channel: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  granularity: { type: 'string' },
  kind: { type: 'string' },
  user: { type: 'string' },
  role: { type: 'string' },
  org: { type: 'string' },
  owner: { type: 'boolean' },
  'display-name': { type: 'string' },
  generate: { type: 'boolean' },
  version: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function loadConfig(option: string | undefined): RelayConfig | undefined {
  const file = option ?? process.env['ATALAYA_RELAY_CONFIG'] ?? '/etc/atalaya/relay.yaml';
  try {
    return loadRelayConfigFile(file, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return undefined;
  }
}

/** Runs `fn` on the records store of the relay's database (admin commands), logging only warnings, to stderr. */
function withStore<T>(config: RelayConfig, fn: (store: RelayStore) => Promise<T>): Promise<T> {
  return withRelayDatabase(config.storage, (database) => fn(database.records));
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

async function gatewayCommand(sub: string | undefined, id: string | undefined, config: RelayConfig, org: string | undefined): Promise<number> {
  if (sub === 'add') {
    if (id === undefined) {
      process.stderr.write('atalaya relay gateway add: missing <id>\n');
      return 2;
    }
    const key = loadRelayKey(config.keyFile, process.env).key;
    const secret = await withStore(config, (store) => new GatewaySecrets({ store, key, logger: rootLogger('warn', 2) }).provision(id, systemClock.now(), org));
    process.stdout.write(`${secret}\n`);
    await (await import('./relay-audit.ts')).auditFromCli(config, { action: 'gateway.provision', target: id, gateway: id });
    process.stderr.write(`gateway ${id} added. Put the secret above in that gateway's agent config; it is not shown again.\n`);
    return 0;
  }
  if (sub === 'list') {
    const rows = await withStore(config, (store) => store.listGateways());
    const table = [['ID', 'ORG', 'CREATED', 'LAST SEEN', 'HIGHEST SEQ', 'CLOCK OFFSET MS', 'RECORDS']];
    for (const g of rows)
      table.push([g.id, g.orgId, iso(g.createdAt), iso(g.lastSeenAt), String(g.highestSeq ?? '-'), String(g.clockOffsetMs ?? '-'), String(g.records)]);
    const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
    process.stdout.write(
      `${table
        .map((r) =>
          r
            .map((cell, c) => cell.padEnd(widths[c]!))
            .join('  ')
            .trimEnd(),
        )
        .join('\n')}\n`,
    );
    return 0;
  }
  process.stderr.write(`atalaya relay gateway: expected 'add <id>', 'list' or 'move <id> --org ID'\n\n${HELP}`);
  return 2;
}

async function run(config: RelayConfig): Promise<number> {
  const logger = rootLogger(config.log.level);
  const relay = new Relay(config, { logger });
  try {
    await relay.start();
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    logger.fatal({ code: err.code, details: err.details }, err.message);
    process.stderr.write(`atalaya relay: ${err.message}\n`);
    return 1;
  }
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping');
  await relay.stop();
  logger.info('stopped');
  return 0;
}

export async function relayCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'release') return (await import('./relay-release.ts')).relayReleaseCommand(argv.slice(1));
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, sub, id] = positionals;
  if (values.help === true) {
    process.stdout.write(
      command === 'export'
        ? (await import('./relay-export.ts')).EXPORT_HELP
        : command === 'dga'
          ? (await import('./relay-dga.ts')).DGA_HELP
          : command === 'anchor' || command === 'verify-db'
            ? (await import('./relay-anchor.ts')).ANCHOR_HELP
            : command === 'alerts' || command === 'notify'
              ? (await import('./relay-alerts.ts')).ALERTS_HELP
              : command === 'source'
                ? (await import('./relay-source.ts')).SOURCE_HELP
                : command === 'org'
                  ? (await import('./relay-org.ts')).ORG_HELP
                  : command === 'user' || command === 'token'
                    ? (await import('./relay-user.ts')).USER_HELP
                    : HELP,
    );
    return 0;
  }
  const allowed =
    command === 'gateway' && sub === 'config'
      ? 5
      : command === 'gateway' || command === 'source' || command === 'org'
        ? 3
        : command === 'token' || command === 'user'
          ? 3
          : command === 'dga'
            ? 5
            : command === 'export'
              ? 4
              : command === 'anchor'
                ? 3
                : command === 'alerts' || command === 'notify'
                  ? 3
                  : command === 'backup' || command === 'restore'
                    ? 2
                    : command === undefined
                      ? 0
                      : 1;
  if (positionals.length > allowed) {
    process.stderr.write(`atalaya relay: unexpected '${positionals.slice(allowed).join(' ')}'\n`);
    return 2;
  }
  switch (command) {
    case 'keygen': {
      const key = newRelayKey();
      if (values.out === undefined) process.stdout.write(`${key}\n`);
      else {
        try {
          // 'wx': never overwrite a key that may already encrypt gateway secrets.
          writeFileSync(values.out, `${key}\n`, { mode: 0o600, flag: 'wx' });
        } catch (err) {
          process.stderr.write(
            `atalaya relay keygen: cannot create ${values.out} (${(err as NodeJS.ErrnoException).code ?? 'error'}); an existing key is never overwritten\n`,
          );
          return 1;
        }
      }
      process.stderr.write(
        `relay key ${values.out === undefined ? 'above' : `written to ${values.out}`}: point keyFile at a file holding it (chmod 600) or set ATALAYA_RELAY_KEY.\nKeep a copy: without it no gateway secret can be decrypted.\n`,
      );
      return 0;
    }
    case 'user':
    case 'token': {
      if (command === 'user' || sub !== 'add' || values.user !== undefined) {
        const config = loadConfig(values.config);
        if (config === undefined) return 2;
        const input = {
          command,
          sub,
          args: positionals.slice(2),
          role: values.role,
          org: values.org,
          owner: values.owner === true,
          displayName: values['display-name'],
          generate: values.generate === true,
          user: values.user,
          name: values.name,
          json: values.json === true,
        } as const;
        return (await import('./relay-user.ts')).userCommand(input, config, process);
      }
      if (values.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(values.name)) {
        process.stderr.write('atalaya relay token add: --name: 1..64 letters, digits, . _ @ -, e.g. alice\n');
        return 2;
      }
      const token = newApiToken();
      process.stdout.write(`${token}\n`);
      const entry = values.name === undefined ? hashApiToken(token) : `{ name: ${values.name}, sha256: ${hashApiToken(token)} }`;
      process.stderr.write(`operator token above, shown once. Add its sha256 to the relay config:\napiTokens:\n  - ${entry}\n`);
      return 0;
    }
    case 'dga': {
      const config = loadConfig(values.config);
      if (config === undefined) return 2;
      const input = {
        sub,
        args: positionals.slice(2),
        obra: values.obra,
        json: values.json === true,
        rutUsuario: values['rut-usuario'],
        rutEmpresa: values['rut-empresa'],
        out: values.out,
        by: values.by,
        reason: values.reason,
        set: values.set ?? [],
      };
      return (await import('./relay-dga.ts')).dgaCommand(input, config);
    }
    case 'export': {
      const config = loadConfig(values.config);
      if (config === undefined) return 2;
      const input = {
        what: sub,
        args: positionals.slice(2),
        gateway: values.gateway,
        device: values.device,
        channel: values.channel,
        from: values.from,
        to: values.to,
        granularity: values.granularity,
        out: values.out,
      };
      return (await import('./relay-export.ts')).exportCommand(input, config);
    }
    case 'anchor':
    case 'verify-db': {
      const config = loadConfig(values.config);
      if (config === undefined) return 2;
      const m = await import('./relay-anchor.ts');
      if (command === 'verify-db') return m.verifyDbCommand(config, values.json === true);
      return m.anchorCommand({ sub, args: positionals.slice(2), json: values.json === true }, config);
    }
    case 'alerts':
    case 'notify': {
      const config = loadConfig(values.config);
      if (config === undefined) return 2;
      return (await import('./relay-alerts.ts')).alertsCommand(
        { command, sub, args: positionals.slice(2), state: values.state, by: values.by, json: values.json === true },
        config,
      );
    }
    case 'source': {
      const config = loadConfig(values.config);
      if (config === undefined) return 2;
      return (await import('./relay-source.ts')).sourceCommand({ sub, id, kind: values.kind, org: values.org, json: values.json === true }, config);
    }
    case 'backup':
    case 'restore': {
      const config = loadConfig(values.config);
      if (config === undefined) return 2;
      return (await import('./relay-backup.ts')).relayBackupCommand(command, sub, config, values.force === true);
    }
    case 'org': {
      const config = loadConfig(values.config);
      if (config === undefined) return 2;
      return (await import('./relay-org.ts')).orgCommand(
        { command, sub, args: positionals.slice(2), name: values.name, json: values.json === true },
        config,
        process,
      );
    }
    case 'gateway':
    case undefined: {
      if (values.schema === true) {
        process.stdout.write(`${JSON.stringify(relayConfigJsonSchema(), null, 2)}\n`);
        return 0;
      }
      const config = loadConfig(values.config);
      if (config === undefined) return 2;
      if (command === 'gateway' && sub === 'move') {
        const args = { command, sub, args: positionals.slice(2), org: values.org, json: false } as const;
        return (await import('./relay-org.ts')).orgCommand(args, config, process);
      }
      if (command === 'gateway' && sub === 'config') {
        const [, , action, gatewayId, file] = positionals;
        return (await import('./relay-gateway-config.ts')).gatewayConfigCommand(
          { sub: action, id: gatewayId, file, version: values.version, json: values.json === true },
          config,
        );
      }
      if (command === 'gateway') {
        try {
          return await gatewayCommand(sub, id, config, values.org);
        } catch (err) {
          // Coded: unknown key, duplicate or invalid id, store down. Said plainly, no stack.
          if (!isAtalayaError(err)) throw err;
          process.stderr.write(`atalaya relay gateway: ${err.message}\n`);
          return 1;
        }
      }
      if (values.check === true) {
        try {
          const key = loadRelayKey(config.keyFile, process.env);
          process.stdout.write(
            `config OK (storage ${config.storage.kind}, listen ${config.listen.host}:${config.listen.port}, relay key from ${key.source})\n`,
          );
          return 0;
        } catch (err) {
          if (!isAtalayaError(err)) throw err;
          process.stderr.write(`atalaya relay: ${err.message}\n`);
          return 2;
        }
      }
      return run(config);
    }
    default:
      process.stderr.write(`atalaya relay: unknown command '${command}'\n\n${HELP}`);
      return 2;
  }
}
