/**
 * `atalaya relay release …`: releases the relay hosts for over-the-air updates (issue 16 §4),
 * working on the relay's database and releases.dir directly, like the other admin commands.
 * `add` verifies the release against releases.publicKeys before anything is stored: access to the
 * relay (or an operator token) is not enough to publish a build that was not signed.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { loadRelayConfigFile } from '../cloud/config/load.ts';
import { Auditor, cliPrincipal } from '../cloud/identity/audit.ts';
import { loadReleaseKeys } from '../cloud/releases/keys.ts';
import { ReleaseService } from '../cloud/releases/service.ts';
import { SqlReleasesStore } from '../cloud/store/releases-store.ts';
import { systemClock } from '../protocols/clock.ts';
import { ConfigError } from '../protocols/config-errors.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import type { RolloutTarget } from '../protocols/release/index.ts';
import { rootLogger } from './logger.ts';
import { withRelayDatabase } from './relay-database.ts';

export const RELEASE_HELP = `atalaya relay release add <tarball> <manifest> <signature> [--config FILE]
atalaya relay release rollout <version> [--gateways ID,ID… | --group NAME] [--percent N] [--config FILE]
atalaya relay release group <name> add|remove <gateway>… [--config FILE]
atalaya relay release list [--json] [--config FILE]

add       verify the manifest's signature against releases.publicKeys and the tarball against the
          manifest, then host it (releases.dir); files from 'atalaya release sign'
rollout   ask gateways to run <version>: the named ones, a group, or all (default); --percent N
          (1..100, default 100) reaches that share first, the same gateways every time (canary).
          The newest rollout reaching a gateway wins; a gateway's own beats its group's, beats all
group     gateways in a named group, for rollouts
list      releases, rollouts (who, when) and each gateway's update state

Acts as cli:<user> in the rollouts' record.
`;

export async function relayReleaseCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      gateways: { type: 'string' },
      group: { type: 'string' },
      percent: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(RELEASE_HELP);
    return 0;
  }
  const [sub, ...args] = positionals;
  const file = values.config ?? process.env['ATALAYA_RELAY_CONFIG'] ?? '/etc/atalaya/relay.yaml';
  let config: ReturnType<typeof loadRelayConfigFile>;
  try {
    config = loadRelayConfigFile(file, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const principal = cliPrincipal(userInfo().username);
  const actor = principal.name;
  const logger = rootLogger('warn', 2);
  try {
    return await withRelayDatabase(config.storage, async (database) => {
      const store = new SqlReleasesStore(database.executor);
      // Releases are a platform matter: audited without an organization, a gateway's rollout in its own.
      const auditor = new Auditor(database.identity, systemClock);
      const service = (): ReleaseService =>
        new ReleaseService({
          store,
          keys: loadReleaseKeys(config.releases.publicKeys),
          dir: config.releases.dir,
          urlTtlMs: config.releases.urlTtlS * 1000,
          clock: systemClock,
          logger,
        });
      switch (sub) {
        case 'add': {
          const [tarball, manifest, signature] = args;
          if (tarball === undefined || manifest === undefined || signature === undefined || args.length > 3)
            return usage('add needs <tarball> <manifest> <signature>');
          if (config.releases.publicKeys.length === 0) return usage('releases.publicKeys is empty in the relay config: nothing to verify a release against');
          const r = await service().add(tarball, readFileSync(manifest), readFileSync(signature, 'utf8'), actor);
          await auditor.record(principal, 'release.add', r.version, { size: r.size, sha256: r.sha256 }, null);
          process.stdout.write(`release ${r.version} hosted (${r.size} bytes, sha256 ${r.sha256})\n`);
          return 0;
        }
        case 'rollout': {
          const [version, ...extra] = args;
          if (version === undefined || extra.length > 0) return usage('rollout needs <version>');
          if (values.gateways !== undefined && values.group !== undefined) return usage('--gateways or --group, not both');
          const percent = values.percent === undefined ? 100 : Number(values.percent);
          if (!Number.isInteger(percent) || percent < 1 || percent > 100) return usage('--percent: an integer 1..100');
          const targets: RolloutTarget[] =
            values.gateways !== undefined
              ? values.gateways.split(',').map((id) => ({ kind: 'gateway' as const, id: id.trim() }))
              : [values.group !== undefined ? { kind: 'group', id: values.group } : { kind: 'all' }];
          for (const t of targets) {
            const id = await service().rollout(version, t, percent, actor);
            const orgId = t.kind === 'gateway' ? ((await database.orgs.orgOfGateway(t.id)) ?? null) : null;
            await auditor.record(principal, 'release.rollout', version, { rollout: id, target: t, percent }, orgId);
            process.stdout.write(`rollout ${id}: ${version} to ${t.kind === 'all' ? 'all gateways' : `${t.kind} ${t.id}`} at ${percent} %\n`);
          }
          return 0;
        }
        case 'group': {
          const [group, op, ...gateways] = args;
          if (group === undefined || (op !== 'add' && op !== 'remove') || gateways.length === 0) return usage('group needs <name> add|remove <gateway>…');
          for (const g of gateways) await store.setMember(group, g, op === 'add');
          return 0;
        }
        case 'list': {
          const overview = await service().overview();
          if (values.json === true) process.stdout.write(`${JSON.stringify(overview, null, 2)}\n`);
          else {
            for (const r of overview.releases)
              process.stdout.write(
                `release ${r.version}  ${r.size} B  ${r.sha256.slice(0, 16)}…  added by ${r.addedBy} ${new Date(r.addedAt).toISOString()}\n`,
              );
            for (const r of overview.rollouts)
              process.stdout.write(
                `rollout ${r.id}  ${r.version}  ${r.target.kind === 'all' ? 'all' : `${r.target.kind}:${r.target.id}`}  ${r.percent} %  by ${r.actor} ${new Date(r.createdAt).toISOString()}\n`,
              );
            for (const g of overview.gateways)
              process.stdout.write(
                `gateway ${g.gateway}  runs ${g.current}  ${g.state}${g.target === undefined ? '' : ` ${g.target}`}${g.reason === undefined ? '' : ` (${g.reason})`}\n`,
              );
          }
          return 0;
        }
        default:
          return usage(`expected add, rollout, group or list`);
      }
    });
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    process.stderr.write(`atalaya relay release: ${err.message} (${err.code})\n`);
    return 1;
  }
}

function usage(problem: string): number {
  process.stderr.write(`atalaya relay release: ${problem}\n\n${RELEASE_HELP}`);
  return 2;
}
