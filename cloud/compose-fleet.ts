/**
 * The relay's gateway-facing features, built for cloud/main.ts (the composition root): the signed
 * relay → gateway channel and its Fleet routes and metrics (issue 16 §1), provider sources
 * (issue 17), remote configuration and commands (issue 16 §2–3) and signed releases (issue 16 §4).
 * Every route goes behind the guard; every write is audited. The sources part joins the relay's
 * lifecycle here, so it stops in reverse order with the rest.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type Lifecycle, namedPart } from '../platform/lifecycle.ts';
import type { Clock } from '../protocols/clock.ts';
import type { Env } from './config/load.ts';
import type { RelayConfig } from './config/schema.ts';
import type { CommandsService } from './fleet/commands-service.ts';
import { registerFleetConfigAndCommands } from './fleet/config-compose.ts';
import { registerFleetMetrics } from './fleet/metrics.ts';
import type { FleetRelayPart } from './fleet/part.ts';
import { registerFleetReadRoutes } from './fleet/read-routes.ts';
import { registerFleetPollRoute } from './fleet/route.ts';
import { FleetService } from './fleet/service.ts';
import type { Guard } from './http/auth.ts';
import type { Auditor } from './identity/audit.ts';
import type { Ingestor } from './ingest/ingest.ts';
import { MIN_CACHE_MS, type RelayMetrics } from './metrics/index.ts';
import { registerSourceMetrics } from './providers/metrics.ts';
import { registerSourceRoutes } from './providers/routes.ts';
import { ProviderService } from './providers/service.ts';
import { registerReleases } from './releases/compose.ts';
import type { ReleaseService } from './releases/service.ts';
import type { RelayDatabase } from './store/index.ts';

export interface FleetFeaturesOptions {
  readonly config: RelayConfig;
  readonly database: RelayDatabase;
  readonly ingestor: Ingestor;
  readonly metrics: RelayMetrics;
  readonly guard: Guard;
  readonly auditor: Auditor;
  readonly lifecycle: Lifecycle;
  readonly relayKey: Uint8Array;
  readonly env: Env;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Fleet parts beside the relay's own (RelayDeps.fleetParts). */
  readonly fleetParts?: readonly FleetRelayPart[];
  /** false: provider pulls run only when called (RelayDeps.sourcesSchedule). */
  readonly sourcesSchedule?: boolean;
}

export interface FleetFeatures {
  readonly sources: ProviderService;
  /** Remote commands: the alert ack's alarm.ack goes through them (cloud/alerts/ack-to-gateway.ts). */
  readonly commands: CommandsService;
  readonly releases: ReleaseService | undefined;
}

export async function registerFleetFeatures(app: FastifyInstance, o: FleetFeaturesOptions): Promise<FleetFeatures> {
  const { config, database, guard, auditor, clock, logger } = o;
  const store = database.records;
  // The signed relay → gateway channel (cloud/fleet/README.md): each feature that talks to gateways registers its part here.
  const fleet = new FleetService({ checks: o.ingestor.requestChecks, store: database.fleet, config: config.fleet, clock, logger });
  for (const part of o.fleetParts ?? []) fleet.register(part);
  await registerFleetPollRoute(app, fleet, config.ingest.refusalLogIntervalMs);
  registerFleetMetrics(o.metrics.registry, {
    records: store,
    fleet: database.fleet,
    offlineAfterMs: config.fleet.offlineAfterMs,
    clock,
    logger,
    cacheMs: MIN_CACHE_MS,
  });
  await registerFleetReadRoutes(app, { records: store, fleet: database.fleet, config: config.fleet, clock, guard });
  // Provider sources (cloud/providers): virtual gateways fed by webhooks and pulls.
  const sourceMetrics = registerSourceMetrics(o.metrics.registry);
  const sources = new ProviderService({
    sources: config.sources,
    store: database.sources,
    env: o.env,
    clock,
    logger,
    metrics: sourceMetrics,
    schedule: o.sourcesSchedule,
  });
  await o.lifecycle.start(namedPart('sources', sources));
  const ttsHeaders = new Map(config.sources.flatMap((s) => (s.kind === 'tts' ? [[s.id, s.header.toLowerCase()] as const] : [])));
  await registerSourceRoutes(app, { service: sources, guard, metrics: sourceMetrics, headers: ttsHeaders });
  const parts = await registerFleetConfigAndCommands(app, {
    executor: database.executor,
    gateways: store,
    guard,
    auditor,
    clock,
    logger,
    commandMaxAgeMs: config.fleet.commandMaxAgeMs,
  });
  fleet.register(parts.config);
  fleet.register(parts.commands);
  // Signed releases and the fleet part `update` (issue 16 §4, cloud/releases).
  const releases = await registerReleases(app, { config: config.releases, executor: database.executor, relayKey: o.relayKey, guard, auditor, clock, logger });
  if (releases !== undefined) fleet.register(releases);
  return { sources, commands: parts.commands, releases };
}
