/**
 * `atalaya relay gateway config set|get|history` on the relay's database (cloud/fleet): the same
 * validation as PUT /v1/gateways/<id>/config (the agent's own schema and cross-checks); the actor
 * audited is cli:<user>. Works whether or not the relay runs: a running relay delivers the new
 * version on the gateway's next fleet poll.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { RelayConfig } from '../cloud/config/schema.ts';
import { ConfigService } from '../cloud/fleet/config-service.ts';
import { SqlFleetConfigStore } from '../cloud/store/fleet-config-store.ts';
import { systemClock } from '../protocols/clock.ts';
import { ConfigError } from '../protocols/config-errors.ts';
import { rootLogger } from './logger.ts';
import { withRelayDatabase } from './relay-database.ts';

export const GATEWAY_CONFIG_HELP = `atalaya relay gateway config set <id> <file.yaml>    validate and store the next desired config version
atalaya relay gateway config get <id> [--version N]  the desired config (YAML on stdout; its state on stderr)
atalaya relay gateway config history <id>            every version (who, when, sha256) and what the gateway reported
`;

export interface GatewayConfigInput {
  readonly sub: string | undefined;
  readonly id: string | undefined;
  readonly file: string | undefined;
  readonly version: string | undefined;
  readonly json: boolean;
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

export async function gatewayConfigCommand(input: GatewayConfigInput, config: RelayConfig): Promise<number> {
  const { sub, id } = input;
  if (id === undefined || (sub !== 'set' && sub !== 'get' && sub !== 'history') || (sub === 'set' && input.file === undefined)) {
    process.stderr.write(GATEWAY_CONFIG_HELP);
    return 2;
  }
  const version = input.version === undefined ? undefined : Number(input.version);
  if (version !== undefined && !(Number.isInteger(version) && version >= 1)) {
    process.stderr.write(`atalaya relay gateway config: --version: expected a version number, got '${input.version}'\n`);
    return 2;
  }
  const logger = rootLogger('warn', 2);
  return withRelayDatabase(config.storage, async (db) => {
    if ((await db.records.getGateway(id)) === undefined) {
      process.stderr.write(`atalaya relay gateway config: no gateway '${id}' (atalaya relay gateway add ${id})\n`);
      return 1;
    }
    const service = new ConfigService({ store: new SqlFleetConfigStore(db.executor), clock: systemClock, logger });
    const action: 'set' | 'get' | 'history' = sub;
    switch (action) {
      case 'set': {
        const file = input.file as string;
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          process.stderr.write(`atalaya relay gateway config set: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}\n`);
          return 2;
        }
        try {
          const stored = await service.set(id, text, `cli:${userInfo().username}`);
          process.stdout.write(`${id}: config version ${stored.version} stored (sha256 ${stored.sha256}); delivered on the gateway's next fleet poll\n`);
          return 0;
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          process.stderr.write(`${err.message}\n`);
          return 1;
        }
      }
      case 'get': {
        const view = await service.view(id, version);
        if (input.json) {
          process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
          return view.desired === null ? 1 : 0;
        }
        if (view.desired === null || view.yaml === null) {
          process.stderr.write(`${id}: no desired config${version === undefined ? '' : ` version ${version}`}\n`);
          return 1;
        }
        const g = view.gateway;
        process.stderr.write(
          `${id}: version ${view.desired.version} set by ${view.desired.setBy} at ${iso(view.desired.setAt)}; ${view.status}` +
            `${g === null ? '' : ` (gateway: ${g.state} v${g.version ?? '-'}, runs ${g.applied ?? 'its local file'}${g.reason === null ? '' : `: ${g.reason}`})`}\n`,
        );
        process.stdout.write(view.yaml);
        return 0;
      }
      case 'history': {
        const h = await service.history(id);
        if (input.json) {
          process.stdout.write(`${JSON.stringify(h, null, 2)}\n`);
          return 0;
        }
        for (const v of h.versions) process.stdout.write(`v${v.version}  ${iso(v.setAt)}  ${v.setBy}  sha256 ${v.sha256}\n`);
        for (const r of h.reports)
          process.stdout.write(
            `${iso(r.at)}  gateway ${r.state} v${r.version ?? '-'} (runs ${r.applied ?? 'local file'})${r.reason === null ? '' : `: ${r.reason}`}\n`,
          );
        return 0;
      }
    }
  });
}
